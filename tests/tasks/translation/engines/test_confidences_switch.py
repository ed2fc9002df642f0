"""translate(confidences=False): the same translation without the token confidences, and on CTranslate2 after a
beam search without the forced pass that reads them; files and corpora take that path."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from builders import sentences

import translator.tasks.files.documents as documents
from translator import translate
from translator.core.errors import InputError
from translator.tasks.translation.generation import generation_options

pytest.importorskip("ctranslate2")


@pytest.mark.parametrize("beams", [1, 4])
@pytest.mark.parametrize("engine", ["ctranslate2", "transformers"])
def test_without_confidences_the_translation_is_the_same_and_has_no_tokens(ending_models, fast_settings, engine, beams):
    model = str(ending_models["marian"])
    text = " ".join(sentences(5, seed=3))
    full = translate(text, model=model, num_beams=beams, num_return_sequences=min(2, beams), engine=engine)
    bare = translate(
        text, model=model, num_beams=beams, num_return_sequences=min(2, beams), engine=engine, confidences=False
    )
    assert all(chunk.tokens for chunk in full.chunks)
    assert not any(chunk.tokens for chunk in bare.chunks)
    assert bare.text == full.text
    assert [c.hypotheses for c in bare.chunks] == [c.hypotheses for c in full.chunks]
    assert [c.flags for c in bare.chunks] == [c.flags for c in full.chunks]


def test_ctranslate2_skips_the_forced_pass_without_confidences(ending_models, fast_settings, monkeypatch):
    from translator.tasks.translation.engines import ctranslate2 as fast

    calls: list[dict] = []
    call = fast.translate_call

    def counted(*args, **extra):
        calls.append(extra)
        return call(*args, **extra)

    monkeypatch.setattr(fast, "translate_call", counted)
    model = str(ending_models["marian"])
    text = " ".join(sentences(4, seed=5))
    translate(text, model=model, engine="ctranslate2")
    with_confidences = list(calls)
    calls.clear()
    translate(text, model=model, engine="ctranslate2", confidences=False)
    assert [c for c in with_confidences if c.get("target_prefix")]  # the forced read-back ran
    assert len(calls) == len(with_confidences) - 1
    assert not any(c.get("target_prefix") or c.get("return_logits_vocab") for c in calls)


def test_files_and_corpora_translate_without_confidences(monkeypatch):
    seen: list[dict] = []

    def fake_translate(text, **options):
        seen.append(options)
        # one chunk per member, each translated as itself
        starts = [0, text.index(documents.SEPARATOR) + len(documents.SEPARATOR)]
        ends = [starts[1] - len(documents.SEPARATOR), len(text)]
        chunks = [SimpleNamespace(char_start=a, char_end=b, best=text[a:b]) for a, b in zip(starts, ends, strict=True)]
        return SimpleNamespace(chunks=chunks, text=text)

    monkeypatch.setattr(documents, "translate", fake_translate)
    groups = list(documents.translate_groups(["One.", "Two."], model="m", num_beams=4))
    assert [g.translations for g in groups] == [("One.", "Two.")]
    assert seen and all(o["confidences"] is False and o["num_beams"] == 4 for o in seen)


def test_the_switch_takes_only_true_or_false():
    assert generation_options(confidences=False).confidences is False
    with pytest.raises(InputError, match="true or false"):
        generation_options(confidences="false")
