from __future__ import annotations

import pytest
import torch

from translator import InputError, ModelUnavailableError, load_model, translate
from translator.tasks.translation.results import Hypothesis, TranslatedChunk
from translator.tasks.translation.translate import join_translations, make_batches

TEXT = (
    "The house is big. The river runs to the city.\n\n"
    "Paris is the capital of France. The museum was built in the last century!\n"
    "A new line starts here.\n\n"
    "London. Berlin. The king and the queen."
)
MODELS = ["tiny-marian", "tiny-bert2bert"]


@pytest.mark.parametrize("model", MODELS)
def test_batched_output_equals_each_chunk_alone(tiny, model):
    packed = dict(num_beams=1, precision="fp32", max_chunk_tokens=24, pack_sentences=True)
    result = translate(TEXT, model=model, **packed)
    assert len(result.chunks) > result.batches >= 1  # several chunks really shared a generate() call
    for chunk in result.chunks:
        alone = translate(chunk.source, model=model, **packed)
        assert len(alone.chunks) == 1
        assert alone.chunks[0].hypotheses[0].text == chunk.hypotheses[0].text
        assert alone.chunks[0].hypotheses[0].score == pytest.approx(chunk.hypotheses[0].score, abs=1e-4)
        assert alone.chunks[0].truncated == chunk.truncated
        assert chunk.best == chunk.hypotheses[0].text


@pytest.mark.parametrize("pack", [True, False])
@pytest.mark.parametrize("model", MODELS)
def test_chunks_come_back_in_document_order_covering_the_text(tiny, model, pack):
    result = translate(TEXT, model=model, num_beams=2, max_chunk_tokens=16, pack_sentences=pack, engine="transformers")
    assert [c.index for c in result.chunks] == list(range(len(result.chunks)))
    assert all(c.source == TEXT[c.char_start : c.char_end] for c in result.chunks)
    assert all(a.char_end <= b.char_start for a, b in zip(result.chunks, result.chunks[1:], strict=False))
    assert "".join("".join(c.source.split()) for c in result.chunks) == "".join(TEXT.split())
    assert result.source == TEXT and result.model == model and result.precision in ("fp32", "bf16", "fp16")
    assert result.device and result.footprint_bytes > 0


@pytest.mark.parametrize("model", MODELS)
def test_n_best_gives_the_asked_number_best_first_with_generate_scores(tiny, model):
    result = translate(TEXT, model=model, num_beams=4, num_return_sequences=3, precision="fp32", engine="transformers")
    for chunk in result.chunks:
        scores = [h.score for h in chunk.hypotheses]
        assert len(scores) == 3 and scores == sorted(scores, reverse=True)
    # the scores are the ones generate() ranks beams by
    loaded = load_model(model, "translation", "fp32")
    first = result.chunks[0]
    encoded = loaded.tokenizer([first.source], add_special_tokens=loaded.recipe.add_special_tokens, return_tensors="pt")
    with torch.inference_mode():
        out = loaded.model.generate(
            input_ids=encoded["input_ids"],
            attention_mask=encoded["attention_mask"],
            num_beams=4,
            num_return_sequences=3,
            max_new_tokens=first.max_new_tokens,
            forced_eos_token_id=None,
            return_dict_in_generate=True,
            output_scores=True,
        )
    assert [h.score for h in first.hypotheses] == pytest.approx(out.sequences_scores.tolist(), abs=1e-4)


@pytest.mark.parametrize("model", MODELS)
def test_paragraph_and_line_breaks_survive(tiny, model):
    result = translate(TEXT, model=model, num_beams=1)
    assert len(result.text.split("\n\n")) == 3
    assert result.text.count("\n") == 5  # two blank lines (2 each) and one line break


def test_join_uses_the_source_separators():
    def chunk(i, start, end):
        return TranslatedChunk(
            i, start, end, 1, 0, source[start:end], hypotheses=[Hypothesis(f"t{i}", 0.0)], truncated=False
        )

    source = "aa bb\r\ncc\n \n dd"
    chunks = [chunk(0, 0, 2), chunk(1, 3, 5), chunk(2, 7, 9), chunk(3, 13, 15)]
    assert join_translations(source, chunks) == "t0 t1\nt2\n\nt3"


def test_a_chunk_carries_its_best_text_and_the_join_uses_it():
    kept = TranslatedChunk(
        0, 0, 2, 1, 0, "aa", hypotheses=[Hypothesis("t0", -0.1), Hypothesis("x", -0.9)], truncated=False
    )
    empty = TranslatedChunk(1, 3, 5, 1, 0, "bb", hypotheses=[], truncated=True)
    assert (kept.best, empty.best) == ("t0", "")
    assert join_translations("aa bb", [kept, empty]) == "t0 "


def test_bert2bert_input_has_no_special_tokens(tiny, monkeypatch):
    loaded = load_model("tiny-bert2bert", "translation")
    seen = []
    generate = loaded.model.generate
    monkeypatch.setattr(loaded.model, "generate", lambda **kw: seen.append(kw["input_ids"]) or generate(**kw))
    translate("The house is big.", model="tiny-bert2bert", num_beams=1, engine="transformers")
    ids = seen[0][0].tolist()
    assert loaded.tokenizer.cls_token_id not in ids and loaded.tokenizer.sep_token_id not in ids
    assert ids == loaded.tokenizer("The house is big.", add_special_tokens=False)["input_ids"]


def test_a_tiny_new_token_limit_marks_chunks_truncated_and_warns(tiny, settings_with):
    settings_with(max_new_tokens=2)
    result = translate(TEXT, model="tiny-marian", num_beams=2)
    assert all(c.max_new_tokens == 2 and c.new_tokens <= 2 for c in result.chunks)
    cut = [c for c in result.chunks if c.truncated]
    assert cut and all(c.new_tokens == 2 for c in cut)
    assert any("cut short" in w for w in result.warnings)


def test_progress_is_reported_per_batch(tiny):
    calls = []
    result = translate(
        TEXT,
        model="tiny-marian",
        num_beams=1,
        max_chunk_tokens=8,
        progress=lambda fraction, message: calls.append(fraction),
    )
    per_batch = calls[1:]
    assert len(per_batch) == result.batches and per_batch == sorted(per_batch) and per_batch[-1] == 1.0


def test_batches_respect_the_token_budget(tiny):
    from translator.text.chunking import Chunk

    chunks = [Chunk(i, 0, 1, n, 0) for i, n in enumerate([5, 40, 12, 40, 7, 30, 2])]
    batches = make_batches(chunks, num_beams=4, token_budget=400, max_rows=3)
    assert sorted(c.index for b in batches for c in b) == list(range(7))
    for batch in batches:
        assert len(batch) <= 3 and len(batch) * max(c.n_tokens for c in batch) * 4 <= 400
        assert [c.n_tokens for c in batch] == sorted((c.n_tokens for c in batch), reverse=True)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"text": "  \n "}, "empty"),
        ({"text": "x" * 20_001}, "limit is 20,000"),
        ({"num_beams": 0}, "beams"),
        ({"num_beams": 99}, "beams"),
        ({"num_beams": 2, "num_return_sequences": 3}, "n-best"),
        ({"length_penalty": float("nan")}, "length penalty"),
        ({"no_repeat_ngram_size": -1}, "n-gram"),
        ({"max_chunk_tokens": 10_000}, "chunk size"),
        ({"num_beams": 2.5}, "whole number"),
    ],
)
def test_bad_input_is_one_clear_sentence(tiny, kwargs, message):
    arguments = {"text": "The house is big.", "model": "tiny-marian", **kwargs}
    with pytest.raises(InputError, match=message):
        translate(**arguments)


def test_an_unknown_model_is_reported(tiny):
    with pytest.raises(ModelUnavailableError):
        translate("The house is big.", model="no-such-model")
