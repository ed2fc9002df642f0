"""Conversion for CTranslate2: cached beside the hub cache, keyed, written atomically, once per request burst."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from translator import ModelUnavailableError
from translator.__main__ import main
from translator.tasks.translation.engines import bert2bert_spec, convert
from translator.tasks.translation.engines import ctranslate2 as fast


@pytest.fixture
def conversions(monkeypatch) -> list[Path]:
    """Counts real conversions (each appends its output folder), slowed a little so threads overlap."""
    made: list[Path] = []
    real = convert._converter

    def counting(config, folder, tokenizer):
        converter = real(config, folder, tokenizer)
        convert_to = converter.convert

        def convert_slowly(output_dir, **kwargs):
            time.sleep(0.3)
            made.append(Path(output_dir))
            return convert_to(output_dir, **kwargs)

        converter.convert = convert_slowly
        return converter

    monkeypatch.setattr(convert, "_converter", counting)
    return made


def test_a_model_converts_once_and_is_reused_from_disk(fast_settings, tmp_path, conversions):
    fast_settings(ctranslate2_dir=str(tmp_path))
    first = convert.convert_model("tiny-marian", "int8")
    assert first.parent == tmp_path and (first / "model.bin").is_file() and first.name.startswith("tiny-marian-")
    assert convert.convert_model("tiny-marian", "int8") == first
    assert len(conversions) == 1
    assert convert.convert_model("tiny-marian", "float32") != first  # the quantization is part of the key
    assert len(conversions) == 2


def test_two_requests_at_once_convert_once(fast_settings, tmp_path, conversions):
    fast_settings(ctranslate2_dir=str(tmp_path))
    results: list[Path] = []

    def request() -> None:
        results.append(convert.convert_model("tiny-bert2bert"))

    threads = [threading.Thread(target=request) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 2 and results[0] == results[1] and len(conversions) == 1


# holds the lock file named on the command line, says so, and keeps it a while
HOLD_LOCK = """
import sys, time
from filelock import FileLock
with FileLock(sys.argv[1]):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_a_conversion_waits_while_another_process_holds_the_lock(fast_settings, tmp_path, conversions):
    fast_settings(ctranslate2_dir=str(tmp_path))
    first = convert.convert_model("tiny-marian", "float32")
    (lock,) = tmp_path.glob("*.lock")
    shutil.rmtree(first)  # the next request must convert again, once it has the lock
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(lock), "1.5"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        again = convert.convert_model("tiny-marian", "float32")
        waited = time.monotonic() - started
    finally:
        holder.wait(timeout=30)
    assert again == first and (again / "model.bin").is_file() and len(conversions) == 2
    assert waited >= 1.0  # the conversion started only after the other process let go


def test_a_failed_conversion_leaves_nothing_behind(fast_settings, tmp_path, monkeypatch):
    fast_settings(ctranslate2_dir=str(tmp_path))

    class Crashing:
        def convert(self, output_dir, **kwargs):
            Path(output_dir).mkdir()
            (Path(output_dir) / "model.bin").write_bytes(b"half a model")
            raise RuntimeError("the disk is full")

    monkeypatch.setattr(convert, "_converter", lambda config, folder, tokenizer: Crashing())
    with pytest.raises(RuntimeError):
        convert.convert_model("tiny-marian")
    assert [p.suffix for p in tmp_path.iterdir()] == [".lock"]  # no model folder, no scratch folder


def test_a_changed_checkpoint_converts_again(fast_settings, tmp_path, tiny_models):
    fast_settings(ctranslate2_dir=str(tmp_path / "cache"))
    model = shutil.copytree(tiny_models["marian"], tmp_path / "marian")
    before = convert.convert_model(str(model))
    weights = model / "model.safetensors"
    os.utime(weights, ns=(weights.stat().st_atime_ns, weights.stat().st_mtime_ns + 10**9))
    assert convert.convert_model(str(model)) != before


def test_the_cache_lives_beside_the_hub_cache(fast_settings, tmp_path, monkeypatch):
    import dataclasses

    from huggingface_hub import constants

    from translator import configure, get_settings

    fast_settings()
    configure(dataclasses.replace(get_settings(), ctranslate2_dir=None))  # replace() would keep a None as unset
    monkeypatch.setattr(constants, "HF_HOME", str(tmp_path / "hf"))
    assert convert.cache_root() == tmp_path / "hf" / "ctranslate2"


def test_the_cli_converts_ahead_of_first_use(fast_settings, tmp_path, capsys, conversions):
    fast_settings(ctranslate2_dir=str(tmp_path))
    assert main(["convert", "tiny-marian", "--quantization", "float32"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("tiny-marian: ") and str(tmp_path) in printed
    loaded = fast.load("tiny-marian", "fp32")  # float32 on a CPU: the folder the CLI wrote
    assert loaded.model.folder == Path(printed.split(": ", 1)[1].strip()) and len(conversions) == 1


def test_the_cli_names_a_model_it_cannot_convert(fast_settings, tmp_path, capsys):
    fast_settings(ctranslate2_dir=str(tmp_path))
    assert main(["convert", "tiny-qa"]) == 1
    assert "not made for translation" in capsys.readouterr().err


def test_marian_without_pad_last_is_refused_with_the_reason(fast_settings, tmp_path, monkeypatch):
    fast_settings(ctranslate2_dir=str(tmp_path))
    monkeypatch.setattr(convert, "unsupported", lambda config, tokenizer: "its vocabulary does not end with <pad>")
    with pytest.raises(ModelUnavailableError, match="because its vocabulary does not end with <pad>"):
        convert.convert_model("tiny-marian")
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"encoder": {"model_type": "roberta"}}, "BERT or BertGeneration halves"),
        ({"decoder": {"model_type": "bert", "position_embedding_type": "relative_key"}}, "relative position"),
        ({"decoder": {"model_type": "bert", "hidden_size": 32}}, "widths differ"),
        ({"decoder": {"model_type": "bert", "hidden_act": "silu"}}, "activation"),
    ],
)
def test_what_the_bert2bert_converter_cannot_express_is_named(change, reason):
    half = {"model_type": "bert", "hidden_size": 64}
    assert bert2bert_spec.unsupported({"encoder": half, "decoder": half}) is None
    config = {"encoder": half, "decoder": half}
    for name, values in change.items():
        config[name] = {**half, **values}
    assert reason in (bert2bert_spec.unsupported(config) or "")
