"""A saved translator's files: the weights readable like the rest, and a cased encoder's tokenizer keeps case."""

from __future__ import annotations

import stat

from translator import load_model
from translator.training.warmstart import save_translator, warm_start


def test_weights_get_the_same_permissions_as_the_other_files(tiny, tmp_path):
    warm = warm_start(str(tiny["bert"]))
    folder = save_translator(warm.model, warm.tokenizer, tmp_path / "out")
    modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in folder.iterdir() if path.is_file()}
    assert modes["model.safetensors"] == modes["config.json"] == modes["tokenizer_config.json"]


def test_a_cased_encoder_gives_a_translator_that_keeps_case_and_accents(tiny, tmp_path):
    warm = warm_start(str(tiny["bert"]))  # the tiny BERT's tokenizer is cased (do_lower_case=False)
    save_translator(warm.model, warm.tokenizer, tmp_path / "out")
    tokenizer = load_model(str(tmp_path / "out"), "translation", precision="fp32").tokenizer
    ids = tokenizer("Die Brücke", add_special_tokens=False)["input_ids"]
    assert tokenizer.decode(ids).replace(" ##", "") == "Die Brücke"
