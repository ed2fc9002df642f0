"""translate(decoding=...): greedy, sampling with a seed, diverse beam groups, on both engines where they exist."""

from __future__ import annotations

import pytest

from translator import DECODINGS, InputError, translate

TEXT = "The house is big. The river runs to the city. Paris is the capital of France."
ENGINES = ["transformers", "ctranslate2"]


@pytest.mark.parametrize("engine", ENGINES)
def test_greedy_with_n_best_above_one_says_how_to_fix_it(fast_settings, engine):
    with pytest.raises(InputError, match=r"^Greedy decoding \(1 beam\) makes one translation per chunk: set n-best"):
        translate(TEXT, model="tiny-marian", num_beams=1, num_return_sequences=3, engine=engine)
    result = translate(TEXT, model="tiny-marian", num_beams=1, num_return_sequences=1, engine=engine)
    assert all(len(chunk.hypotheses) == 1 for chunk in result.chunks)


@pytest.mark.parametrize("engine", ENGINES)
def test_sampling_with_a_seed_is_reproducible_and_its_n_best_are_distinct(fast_settings, engine):
    sample = dict(model="tiny-marian", decoding="sampling", num_return_sequences=3, engine=engine, top_p=0.95)
    first = translate(TEXT, seed=7, **sample)
    again = translate(TEXT, seed=7, **sample)
    other = translate(TEXT, seed=8, **sample)
    assert first.engine == engine
    assert [[h.text for h in c.hypotheses] for c in first.chunks] == [
        [h.text for h in c.hypotheses] for c in again.chunks
    ]
    assert [[h.text for h in c.hypotheses] for c in first.chunks] != [
        [h.text for h in c.hypotheses] for c in other.chunks
    ]
    for chunk in first.chunks:
        texts = [h.text for h in chunk.hypotheses]
        assert 1 <= len(texts) <= 3 and len(set(texts)) == len(texts)  # distinct samples, never one twice
        assert [h.score for h in chunk.hypotheses] == sorted((h.score for h in chunk.hypotheses), reverse=True)
        assert len(chunk.tokens) == chunk.new_tokens  # the best sample's confidences
    assert any(len(chunk.hypotheses) > 1 for chunk in first.chunks)


@pytest.mark.parametrize("engine", ENGINES)
def test_sampling_from_the_single_most_likely_token_is_greedy(fast_settings, engine):
    greedy = translate(TEXT, model="tiny-marian", num_beams=1, engine=engine, precision="fp32")
    top1 = translate(TEXT, model="tiny-marian", decoding="sampling", top_k=1, seed=1, engine=engine, precision="fp32")
    assert top1.text == greedy.text


def test_diverse_beams_run_on_transformers_with_one_note(fast_settings):
    result = translate(TEXT, model="tiny-marian", num_beams=4, decoding="diverse", num_beam_groups=2)
    assert result.engine == "transformers"
    assert [n for n in result.notes if "diverse" in n] == [
        "Translated with transformers: CTranslate2 has no diverse beam search."
    ]


def test_diverse_beams_without_a_penalty_are_each_group_s_beam_search(fast_settings):
    diverse = translate(
        TEXT, model="tiny-marian", num_beams=4, decoding="diverse", num_beam_groups=2, num_return_sequences=2
    )
    beam = translate(TEXT, model="tiny-marian", num_beams=2, engine="transformers")
    for d, b in zip(diverse.chunks, beam.chunks, strict=True):
        # no penalty: both groups run the same 2-beam search, so the two best are that search's best, twice
        assert [h.text for h in d.hypotheses] == [b.best, b.best]
        assert d.hypotheses[0].score == pytest.approx(b.hypotheses[0].score, abs=1e-5)


def test_a_diversity_penalty_makes_the_groups_differ(fast_settings):
    kept = dict(model="tiny-marian", num_beams=4, decoding="diverse", num_beam_groups=4, num_return_sequences=4)
    plain = translate(TEXT, diversity_penalty=0.0, **kept)
    diverse = translate(TEXT, diversity_penalty=10.0, **kept)
    distinct = [len({h.text for h in c.hypotheses}) for c in diverse.chunks]
    assert all(len({h.text for h in c.hypotheses}) == 1 for c in plain.chunks)  # four greedy searches alike
    assert all(n == 4 for n in distinct), distinct


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (dict(decoding="nucleus"), "The decoding must be one of beam, sampling, diverse"),
        (dict(decoding="diverse", num_beams=4, num_beam_groups=3), "split the 4 beams evenly"),
        (dict(decoding="diverse", num_beams=4, num_beam_groups=1), "at least 2 beam groups"),
        (dict(decoding="sampling", temperature=0), "The temperature must be a number between"),
        (dict(decoding="sampling", top_p=0), "Top-p must be a number between"),
        (dict(decoding="sampling", seed=-1), "The seed must be between"),
    ],
)
def test_bad_decoding_options_are_one_sentence(fast_settings, arguments, message):
    with pytest.raises(InputError, match=message):
        translate(TEXT, model="tiny-marian", **arguments)


def test_the_decodings_are_listed_for_the_ui():
    assert DECODINGS == ("beam", "sampling", "diverse")
