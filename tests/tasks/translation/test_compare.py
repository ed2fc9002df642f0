from __future__ import annotations

import pytest
from sacrebleu.metrics import BLEU, CHRF

from translator import InputError, compare, translate
from translator.tasks.translation.compare import word_diff
from translator.text.segment import sentences

TEXT = (
    "The house is big. The river runs to the city.\n\n"
    "Paris is the capital of France. The museum was built in the last century!\n"
    "London. Berlin. The king and the queen."
)
# the reference engine, whatever engine="auto" would pick
GREEDY = {"model": "tiny-marian", "num_beams": 1, "precision": "fp32", "engine": "transformers"}


def rebuilt(diff, side: str) -> list[str]:
    return [w for op in diff for w in (op.a_words if side == "a" else op.b_words)]


def test_identical_configurations_agree_fully_with_no_diff(tiny):
    result = compare(TEXT, a=GREEDY, b=dict(GREEDY))
    # each side is what translate() gives for its configuration
    assert result.a.text == translate(TEXT, **GREEDY).text
    assert result.chrf_between == 100.0
    assert all(s.same and s.chrf == 100.0 for s in result.segments)
    assert all(op.tag == "equal" for s in result.segments for op in s.diff)
    assert result.a.text == result.b.text and result.scores is None
    # one model at one precision is held once: the footprint is not counted twice
    assert result.footprint_bytes == result.a.footprint_bytes
    chrf = CHRF()
    chrf.corpus_score(["a"], [["a"]])
    assert result.chrf_signature == str(chrf.get_signature())


def test_the_sides_skip_token_confidences_unless_a_configuration_asks(tiny):
    result = compare(TEXT, a=GREEDY, b={**GREEDY, "confidences": True})
    assert not any(chunk.tokens for chunk in result.a.chunks)  # compared by their text: not worth a second pass
    assert all(chunk.tokens for chunk in result.b.chunks)
    assert result.a.text == result.b.text


def test_sentence_by_sentence_sides_pair_up_sentence_by_sentence(tiny):
    result = compare(TEXT, a=GREEDY, b={**GREEDY, "num_beams": 3})
    spans = sentences(TEXT)
    assert [(s.char_start, s.char_end) for s in result.segments] == [(s.char_start, s.char_end) for s in spans]
    for segment in result.segments:
        assert segment.a_chunks == segment.b_chunks == (segment.index,)
        assert segment.a_text == result.a.chunks[segment.index].hypotheses[0].text
        assert segment.b_text == result.b.chunks[segment.index].hypotheses[0].text
        # the diff walks both texts word by word, nothing lost or added
        assert rebuilt(segment.diff, "a") == segment.a_text.split()
        assert rebuilt(segment.diff, "b") == segment.b_text.split()
    a_texts, b_texts = [s.a_text for s in result.segments], [s.b_text for s in result.segments]
    expected = 100.0 if a_texts == b_texts else CHRF().corpus_score(a_texts, [b_texts]).score
    assert result.chrf_between == pytest.approx(expected)
    assert result.a.num_beams == 1 and result.b.num_beams == 3
    assert result.a.seconds > 0 and result.b.seconds > 0 and result.a.footprint_bytes > 0


def test_a_packed_side_is_aligned_on_its_sentences(tiny):
    packed = {**GREEDY, "pack_sentences": True, "max_chunk_tokens": 200}
    result = compare(TEXT, a=GREEDY, b=packed)
    assert len(result.b.chunks) < len(result.a.chunks)
    assert [s.source for s in result.segments] == [c.source for c in result.b.chunks]
    first = result.segments[0]
    assert first.source == "The house is big. The river runs to the city."
    assert first.a_chunks == (0, 1) and first.b_chunks == (0,)
    assert first.a_text == " ".join(c.hypotheses[0].text for c in result.a.chunks[:2])


def test_the_difference_between_two_texts_is_found_word_by_word():
    diff = word_diff("der Hund sieht das Auto", "der Hund mag das rote Auto")
    assert [(op.tag, op.a_words, op.b_words) for op in diff if op.tag != "equal"] == [
        ("replace", ("sieht",), ("mag",)),
        ("insert", (), ("rote",)),
    ]


def test_reference_scores_equal_sacrebleus_own(tiny):
    reference = (
        "Das Haus ist groß. Der Fluss fließt in die Stadt.\n\n"
        "Paris ist die Hauptstadt Frankreichs. Das Museum wurde im letzten Jahrhundert gebaut!\n"
        "London. Berlin. Der König und die Königin."
    )
    assert len(sentences(reference, "de")) == len(sentences(TEXT))
    result = compare(TEXT, a=GREEDY, b={**GREEDY, "num_beams": 2}, reference=reference)
    refs = [s.text for s in sentences(reference, "de")]
    assert [s.reference for s in result.segments] == refs
    for side, scores in (("a", result.scores.a), ("b", result.scores.b)):
        hyps = [getattr(s, f"{side}_text") for s in result.segments]
        bleu, chrf = BLEU(), CHRF()
        assert scores.bleu == pytest.approx(bleu.corpus_score(hyps, [refs]).score)
        assert scores.chrf == pytest.approx(chrf.corpus_score(hyps, [refs]).score)
        for segment, ref in zip(result.segments, refs, strict=True):
            own = CHRF().sentence_score(getattr(segment, f"{side}_text"), [ref]).score
            assert getattr(segment, f"{side}_chrf") == pytest.approx(own)
        assert result.scores.bleu_signature == str(bleu.get_signature())
        assert result.scores.chrf_signature == str(chrf.get_signature())
    assert result.scores.aligned


def test_a_reference_of_another_length_scores_the_whole_texts(tiny):
    reference = "Das Haus ist groß und der Fluss fließt in die Stadt, nach Paris, London und Berlin."
    result = compare(TEXT, a=GREEDY, b={**GREEDY, "num_beams": 2}, reference=reference)
    assert not result.scores.aligned and "scored as one segment" in result.scores.note
    assert result.scores.a.bleu == pytest.approx(BLEU().corpus_score([result.a.text], [[reference]]).score)
    assert result.scores.b.chrf == pytest.approx(CHRF().corpus_score([result.b.text], [[reference]]).score)
    assert all(s.reference is None and s.a_chrf is None for s in result.segments)


def test_an_empty_reference_means_none(tiny):
    assert compare("The house is big.", a=GREEDY, b=GREEDY, reference="  \n").scores is None


def test_one_model_at_two_precisions(tiny):
    result = compare("The house is big. The river runs to the city.", a=GREEDY, b={**GREEDY, "precision": "4bit"})
    assert (result.a.precision, result.b.precision) == ("fp32", "4bit")
    assert result.b.footprint_bytes < result.a.footprint_bytes
    assert result.footprint_bytes == result.a.footprint_bytes + result.b.footprint_bytes
    assert result.precision == "fp32 | 4bit"


def test_progress_runs_a_then_b(tiny):
    calls = []
    compare(TEXT, a=GREEDY, b=GREEDY, progress=lambda fraction, message: calls.append((fraction, message)))
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert calls[0][1].startswith("A: ") and calls[-1][1].startswith("B: ")


@pytest.mark.parametrize(
    "a, message",
    [({"beams": 2}, "unknown setting.*'beams'.*num_beams"), ("fp32", "must be a dict"), ({"text": "x"}, "'text'")],
)
def test_a_bad_configuration_is_one_clear_sentence(tiny, a, message):
    with pytest.raises(InputError, match=message):
        compare("The house is big.", a=a, b=GREEDY)
