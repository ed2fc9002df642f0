"""steer() on the tiny Marian and the tiny BERT2BERT, on both engines at fp32 (see conftest.py for the models)."""

from __future__ import annotations

import math

import pytest
from builders import sentences
from transformers import GenerationMixin

from translator import InputError, beam_search_tree, steer, translate
from translator.tasks.translation.engines import ctranslate2 as fast

MODELS = ["marian", "bert2bert"]
ENGINES = ["transformers", "ctranslate2"]


@pytest.fixture
def run(ending_models, fast_settings):
    """steer() and translate() on one tiny model, engine and beam width, at fp32, without a time limit."""
    fast_settings(max_generate_seconds=1e6)

    def both(name: str, engine: str, num_beams: int):
        common = dict(model=str(ending_models[name]), engine=engine, precision="fp32", num_beams=num_beams)
        return (lambda text, **kw: steer(text, **common, **kw)), (lambda text: translate(text, **common))

    return both


def same(a, b) -> bool:
    """The same hypothesis, its score up to float32 rounding (a batch of two rows adds up in another order)."""
    return a.text == b.text and a.score == pytest.approx(b.score, rel=1e-6, abs=1e-5)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", MODELS)
def test_greedy_steered_with_its_own_first_tokens_gives_its_own_translation(run, name, engine):
    steered, translated = run(name, engine, 1)
    for text in sentences(4, seed=7):
        chunk = translated(text).chunks[0]
        own = [t.text for t in chunk.tokens]
        for k in (1, 3):
            result = steered(text, prefix_tokens=own[:k])
            assert same(result.original, chunk.hypotheses[0])
            assert result.steered.text == chunk.best
            assert [t.text for t in result.tokens] == own
            assert result.steered.score == pytest.approx(chunk.hypotheses[0].score, abs=1e-4)
            assert result.forced == tuple(own[:k]) and result.changes[0].tag == "equal"
            expected = sum(math.log(t.prob) for t in chunk.tokens[:k])
            assert result.forced_logprob == pytest.approx(expected, abs=1e-4)


def decoded_rows(monkeypatch, engine: str) -> list[int]:
    """From now on, the rows (texts) of each decoding call of the engine: generate()'s batch, or the sources of
    CTranslate2's translate_batch (its read-back of a steered output included)."""
    rows: list[int] = []
    if engine == "transformers":
        generate = GenerationMixin.generate

        def counted(model, *args, **kwargs):
            rows.append(kwargs["input_ids"].shape[0])
            return generate(model, *args, **kwargs)

        monkeypatch.setattr(GenerationMixin, "generate", counted)
    else:
        call = fast.translate_call

        def counted(model, sources, *args, **kwargs):
            rows.append(len(sources))
            return call(model, sources, *args, **kwargs)

        monkeypatch.setattr(fast, "translate_call", counted)
    return rows


@pytest.mark.parametrize("num_beams", [1, 4])
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", MODELS)
def test_with_the_original_given_only_the_steered_row_is_decoded_to_the_same_result(
    run, monkeypatch, name, engine, num_beams
):
    steered, translated = run(name, engine, num_beams)
    for text in sentences(3, seed=11):
        chunk = translated(text).chunks[0]
        forced = [chunk.tokens[0].alternatives[0][0]]
        rows = decoded_rows(monkeypatch, engine)
        alone = steered(text, prefix_tokens=forced)
        assert rows[0] == 2  # without it, the model's own row is decoded beside the steered one
        rows.clear()
        given = steered(text, prefix_tokens=forced, original=chunk.hypotheses[0])
        assert rows and set(rows) == {1}
        monkeypatch.undo()
        assert given.original is chunk.hypotheses[0] and same(alone.original, given.original)
        assert same(given.steered, alone.steered) and given.forced == alone.forced
        assert given.forced_logprob == pytest.approx(alone.forced_logprob, abs=1e-5)
        assert [(t.text, t.shown, t.words) for t in given.tokens] == [(t.text, t.shown, t.words) for t in alone.tokens]
        assert [t.prob for t in given.tokens] == pytest.approx([t.prob for t in alone.tokens], abs=1e-5)
        assert (given.flags, given.changes, given.truncated) == (alone.flags, alone.changes, alone.truncated)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", MODELS)
def test_steered_tokens_carry_the_words_they_make_as_translates_do(run, name, engine):
    steered, translated = run(name, engine, 1)
    for text in sentences(3, seed=12):
        chunk = translated(text).chunks[0]
        own = steered(text, prefix_tokens=[chunk.tokens[0].text])
        # steering with the model's own start: each token shows and offers the words translate()'s do
        assert [(t.shown, t.words) for t in own.tokens] == [(t.shown, t.words) for t in chunk.tokens]
        other = steered(text, prefix_tokens=[chunk.tokens[0].alternatives[0][0]])
        assert all(t.shown is not None and len(t.words) == len(t.alternatives) for t in other.tokens)
        assert any(t.words for t in other.tokens)


def test_an_original_that_is_not_a_hypothesis_is_refused_in_one_sentence(run):
    steered, _ = run("marian", "transformers", 2)
    with pytest.raises(InputError, match="original must be a Hypothesis"):
        steered("The house is big.", prefix="the", original="Das Haus ist groß.")


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", MODELS)
def test_beam_search_keeps_a_forced_alternative_verbatim_and_an_empty_prefix_changes_nothing(run, name, engine):
    steered, translated = run(name, engine, 4)
    for text in sentences(3, seed=8):
        chunk = translated(text).chunks[0]
        alternative = chunk.tokens[0].alternatives[0][0]
        result = steered(text, prefix_tokens=[alternative])
        assert same(result.original, chunk.hypotheses[0])
        assert result.tokens[0].text == alternative and result.forced == (alternative,)
        # the forced token's probability is the one the Confidence view listed for the alternative
        assert result.tokens[0].prob == pytest.approx(chunk.tokens[0].alternatives[0][1], abs=1e-4)
        assert result.steered.text != result.original.text or result.tokens[0].text != chunk.tokens[0].text
        empty = steered(text, prefix="")
        assert empty.steered.text == chunk.best and empty.forced == ()
        assert empty.steered.score == pytest.approx(chunk.hypotheses[0].score, abs=1e-4)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_typed_prefix_ending_mid_word_is_kept_verbatim(run, engine):
    steered, _ = run("marian", engine, 4)
    result = steered("The house is big.", prefix="the riv")
    assert len(result.forced) >= 2
    assert [t.text for t in result.tokens[: len(result.forced)]] == list(result.forced)
    assert result.steered.text.startswith("the riv")


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("num_beams", [1, 4])
def test_both_engines_steer_alike_at_fp32(run, name, num_beams):
    steered_t, translated = run(name, "transformers", num_beams)
    steered_c, _ = run(name, "ctranslate2", num_beams)
    texts = sentences(6, seed=9)
    same = 0
    for text in texts:
        forced = [translated(text).chunks[0].tokens[0].alternatives[0][0]]
        a, b = steered_t(text, prefix_tokens=forced), steered_c(text, prefix_tokens=forced)
        assert (a.forced, a.engine, b.engine) == (b.forced, "transformers", "ctranslate2")
        assert a.forced_logprob == pytest.approx(b.forced_logprob, abs=1e-4)
        if a.steered.text == b.steered.text:
            same += 1
            assert a.steered.score == pytest.approx(b.steered.score, abs=1e-4)
            assert [t.prob for t in a.tokens] == pytest.approx([t.prob for t in b.tokens], abs=1e-4)
    # greedy search is exact; beam search may resolve a near-tie differently (ctranslate2.py: PATIENCE)
    assert same == len(texts) if num_beams == 1 else same >= len(texts) - 1


def test_bad_calls_get_one_sentence(run):
    steered, _ = run("marian", "transformers", 2)
    with pytest.raises(InputError, match="exactly one of prefix"):
        steered("The house is big.")
    with pytest.raises(InputError, match="exactly one of prefix"):
        steered("The house is big.", prefix="the", prefix_tokens=["▁the"])
    with pytest.raises(InputError, match="shorter prefix"):
        steered("The house.", prefix="the river " * 20)
    with pytest.raises(InputError, match="no token"):
        steered("The house.", prefix_tokens=["no-such-token"])
    with pytest.raises(InputError, match="one sentence or one chunk"):
        steered("The house is big. " * 200, prefix="the")


@pytest.mark.parametrize("num_beams", [1, 4])
@pytest.mark.parametrize("name", MODELS)
def test_the_steered_beam_tree_is_the_search_steer_ran(run, ending_models, name, num_beams):
    steered, translated = run(name, "transformers", num_beams)
    common = dict(model=str(ending_models[name]), engine="transformers", precision="fp32", num_beams=num_beams)
    for text in sentences(3, seed=10):
        tokens = translated(text).chunks[0].tokens
        # a runner-up for the first word, then a two-token start of the model's own
        for forced in ([tokens[0].alternatives[0][0]], [tokens[0].alternatives[0][0], tokens[1].text]):
            check_tree(steered(text, prefix_tokens=forced), beam_search_tree(text, prefix_tokens=forced, **common))
    with pytest.raises(InputError, match="no token"):
        beam_search_tree("The house.", prefix_tokens=["no-such-token"], **common)


def check_tree(result, tree) -> None:
    assert tree.hypotheses[0].text == result.steered.text
    # each forced step holds one node, the forced token, certain as the search scored it; then the search opens
    for step, token in enumerate(result.forced, 1):
        (node,) = [n for n in tree.nodes if n.step == step]
        assert (node.token, node.logprob, node.kept) == (token, 0.0, True)
    assert len([n for n in tree.nodes if n.step == len(result.forced) + 1]) >= 2
    assert any("forced" in w for w in tree.warnings)
