from __future__ import annotations

from types import SimpleNamespace

import pytest

from translator import translate
from translator.tasks.translation import generation, omissions
from translator.tasks.translation import translate as translate_module
from translator.tasks.translation.engines.base import Generated
from translator.tasks.translation.results import FLAG_TEXTS, Hypothesis
from translator.text.chunking import Chunk
from translator.text.segment import sentences

TEXT = (
    "The house is big. The river runs to the city.\n\n"
    "Paris is the capital of France. The museum was built in the last century!\n"
    "A new line starts here.\n\n"
    "London. Berlin. The king and the queen."
)
MODELS = ["tiny-marian", "tiny-bert2bert"]


def forced_engine(monkeypatch, output_of):
    """Whatever engine translate() picks, each text's output is ``output_of(text)``; returns the calls."""
    calls: list[list[str]] = []

    def generate(loaded, texts, caps, options):
        calls.append(list(texts))
        return [
            Generated([Hypothesis(output_of(t), -1.0)], ids=[0], new_tokens=1, truncated=False, max_new_tokens=cap)
            for t, cap in zip(texts, caps, strict=True)
        ]

    monkeypatch.setattr(generation, "engine_for", lambda loaded: SimpleNamespace(generate=generate))
    return calls


def drop_last_sentence_of_the_river(text: str) -> str:
    """An echo "translation" that loses the last sentence of the chunk about the river, when it holds several."""
    spans = sentences(text)
    if "river" in text and len(spans) > 1:
        return " ".join(s.text for s in spans[:-1])
    return text


@pytest.mark.parametrize("model", MODELS)
def test_default_chunks_are_one_sentence_each_and_cover_the_text(tiny, model):
    result = translate(TEXT, model=model, num_beams=1)
    assert [c.source for c in result.chunks] == [s.text for s in sentences(TEXT)]
    assert [(c.char_start, c.char_end) for c in result.chunks] == [(s.char_start, s.char_end) for s in sentences(TEXT)]
    assert "".join("".join(c.source.split()) for c in result.chunks) == "".join(TEXT.split())
    assert not result.pack_sentences
    assert result.batches < len(result.chunks)  # sentences share generate() calls: batching keeps it fast


def test_a_packed_chunk_whose_output_misses_a_sentence_is_flagged(tiny, monkeypatch):
    forced_engine(monkeypatch, drop_last_sentence_of_the_river)
    result = translate(TEXT, model="tiny-marian", num_beams=1, pack_sentences=True, max_chunk_tokens=200)
    river = next(c for c in result.chunks if "river" in c.source)
    assert river.source == "The house is big. The river runs to the city."  # two sentences packed
    assert river.hypotheses[0].text == "The house is big."
    assert omissions.SENTENCE_COUNT in river.flags
    assert all(not c.flags for c in result.chunks if c is not river)  # echoed chunks keep every sentence
    flag_lines = [w for w in result.warnings if "missing part of their source" in w]
    assert len(flag_lines) == 1
    assert f"1 of {len(result.chunks)} chunks" in flag_lines[0]
    assert f"chunk {river.index + 1}: fewer sentences than the source" in flag_lines[0]
    # the facts the views read, computed here once: the sentence count, whether a retry may help, the wording
    assert river.source_sentences == 2 and river.retryable and result.retryable
    assert river.flag_notes[0] == FLAG_TEXTS[omissions.SENTENCE_COUNT]
    assert [c.source_sentences for c in result.chunks] == [
        len([s for s in sentences(TEXT) if c.char_start <= s.char_start and s.char_end <= c.char_end])
        for c in result.chunks
    ]


def test_a_length_flag_says_the_chunks_own_ratio(tiny, monkeypatch):
    forced_engine(monkeypatch, lambda text: text * 3)
    result = translate("The river runs to the city and the king rides along it.", model="tiny-marian")
    (chunk,) = result.chunks
    assert chunk.flags == (omissions.LENGTH_RATIO,) and chunk.length_ratio == pytest.approx(3.0)
    assert chunk.flag_notes == (f"{FLAG_TEXTS[omissions.LENGTH_RATIO]} (3.00x its length)",)
    assert f"chunk 1: {chunk.flag_notes[0]}" in " ".join(result.warnings)
    assert not chunk.retryable and not result.retryable  # one sentence: a retry has nothing to split


def test_the_output_is_segmented_in_the_target_language(tiny, monkeypatch):
    forced_engine(monkeypatch, lambda text: "Der Hund sieht das Auto.")
    seen = []
    segment = omissions.sentences
    spy = lambda text, language="en": seen.append((text, language)) or segment(text)  # noqa: E731
    monkeypatch.setattr(omissions, "sentences", spy)
    monkeypatch.setattr(translate_module, "sentences", spy)
    result = translate("The cat sees the house. The dog likes the car.", model="tiny-marian", pack_sentences=True)
    assert ("Der Hund sieht das Auto.", "de") in seen  # tiny-marian is registered en -> de
    assert ("The cat sees the house. The dog likes the car.", "en") in seen
    assert result.chunks[0].flags == (omissions.SENTENCE_COUNT,)


def test_the_example_from_the_issue_is_flagged():
    source = "The cat sees the house. The dog likes the car."
    flags = omissions.omission_flags(
        source, "der hund sieht das auto.", source_sentences=2, truncated=False, target_language="de"
    )
    assert flags == (omissions.SENTENCE_COUNT,)
    whole = omissions.omission_flags(
        source,
        "Die Katze sieht das Haus. Der Hund mag das Auto.",
        source_sentences=2,
        truncated=False,
        target_language="de",
    )
    assert whole == ()


def test_the_length_ratio_band_is_a_setting(tiny, settings_with):
    source = "The river runs to the city and the king rides along it."
    loop = " ".join([source] * 3)  # a model stuck repeating itself: 3x the characters, no sentence lost

    def flags() -> tuple[str, ...]:
        return omissions.omission_flags(source, loop, source_sentences=1, truncated=False, target_language="en")

    assert flags() == (omissions.LENGTH_RATIO,)
    settings_with(max_length_ratio=4.0)
    assert flags() == ()
    settings_with(min_length_ratio=0.1, max_length_ratio=2.0)
    short = omissions.omission_flags(source, "Der Fluss.", source_sentences=1, truncated=False, target_language="de")
    assert short == ()  # 0.17x is inside [0.1, 2]
    settings_with(min_length_ratio=0.5)
    assert omissions.LENGTH_RATIO in omissions.omission_flags(
        source, "Der Fluss.", source_sentences=1, truncated=False, target_language="de"
    )


def test_a_short_source_is_never_length_flagged():
    # "OK." -> "In Ordnung." is 3.7x the characters and a fine translation
    assert (
        omissions.omission_flags("OK.", "In Ordnung.", source_sentences=1, truncated=False, target_language="de") == ()
    )


def test_sentences_are_counted_as_the_whole_text_was_cut():
    text = "The house is big. The river runs. " + "word " * 30 + "end."
    spans = sentences(text)
    whole = Chunk(0, 0, spans[1].char_end, 9, 0, text[: spans[1].char_end])
    piece = Chunk(1, spans[2].char_start, spans[2].char_start + 20, 5, 0, "", split_inside_sentence=True)
    assert omissions.sentences_inside(whole, spans) == 2
    assert omissions.sentences_inside(piece, spans) == 0


def test_an_empty_output_loses_its_one_sentence_but_a_piece_has_none_to_lose():
    def flags(count: int) -> tuple[str, ...]:
        return omissions.omission_flags("Short.", " ", source_sentences=count, truncated=False, target_language="de")

    assert flags(1) == (omissions.SENTENCE_COUNT,)
    assert flags(0) == ()


def test_truncated_chunks_are_flagged_and_counted(tiny, settings_with):
    settings_with(max_new_tokens=2)
    result = translate(TEXT, model="tiny-marian", num_beams=1)
    cut = [c for c in result.chunks if c.truncated]
    assert cut and all(omissions.TRUNCATED in c.flags for c in cut)
    assert all(omissions.TRUNCATED not in c.flags for c in result.chunks if not c.truncated)
    flagged = sum(bool(c.flags) for c in result.chunks)
    assert any(w.startswith(f"{flagged} of {len(result.chunks)} chunks may be missing") for w in result.warnings)


def test_retry_translates_only_flagged_packed_chunks_sentence_by_sentence(tiny, monkeypatch):
    calls = forced_engine(monkeypatch, drop_last_sentence_of_the_river)
    packed = dict(model="tiny-marian", num_beams=1, pack_sentences=True, max_chunk_tokens=200)
    before = translate(TEXT, **packed)
    first_pass = [t for call in calls for t in call]
    calls.clear()
    result = translate(TEXT, **packed, retry_flagged=True)
    texts = [t for call in calls for t in call]
    assert texts[: len(first_pass)] == first_pass
    # the retry ran only the flagged chunk's two sentences, nothing else
    assert sorted(texts[len(first_pass) :]) == sorted(["The house is big.", "The river runs to the city."])
    assert "The river runs to the city." in result.text
    assert len(result.chunks) == len(before.chunks) + 1  # the packed chunk became its two sentences
    assert [c.index for c in result.chunks] == list(range(len(result.chunks)))
    assert all(not c.flags for c in result.chunks)
    assert result.batches == before.batches + 1
    # what the retry did informs; it is no warning
    assert any("translated again sentence by sentence" in n and "chunk 1 " in n for n in result.notes)
    assert not any("missing part of their source" in w for w in result.warnings)


def test_retry_has_nothing_to_do_without_flags_or_without_packing(tiny, monkeypatch):
    calls = forced_engine(monkeypatch, lambda text: text)
    result = translate(TEXT, model="tiny-marian", pack_sentences=True, max_chunk_tokens=200, retry_flagged=True)
    assert sum(len(call) for call in calls) == len(result.chunks)
    assert not any("missing part" in w for w in result.warnings)
    assert not any("translated again" in n for n in result.notes)
    calls = forced_engine(monkeypatch, lambda text: "")  # every chunk flagged, but each is one sentence already
    one_each = translate(TEXT, model="tiny-marian", retry_flagged=True)
    assert all(omissions.SENTENCE_COUNT in c.flags for c in one_each.chunks)
    assert not any(c.retryable for c in one_each.chunks) and not one_each.retryable
    assert sum(len(call) for call in calls) == len(one_each.chunks)
    assert not any("translated again" in n for n in one_each.notes)
    # the flags stay, and the warning no longer advises a retry that cannot help (no API name in it either)
    flagged = next(w for w in one_each.warnings if "missing part of their source" in w)
    assert flagged.endswith("compare them with the source.") and "retry" not in flagged


def test_the_flag_warning_advises_a_retry_only_while_one_can_help(tiny, monkeypatch):
    forced_engine(monkeypatch, drop_last_sentence_of_the_river)
    packed = dict(model="tiny-marian", num_beams=1, pack_sentences=True, max_chunk_tokens=200)
    before = next(w for w in translate(TEXT, **packed).warnings if "missing part" in w)
    assert before.endswith("translate them again sentence by sentence, or compare them with the source.")
    forced_engine(monkeypatch, lambda text: "")  # every chunk flagged; after the retry each holds one sentence
    after = translate(TEXT, **packed, retry_flagged=True)
    flagged = next(w for w in after.warnings if "missing part" in w)
    assert not after.retryable and flagged.endswith(": compare them with the source.")
