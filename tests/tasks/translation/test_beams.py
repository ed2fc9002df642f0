"""beam_search_tree() records generate()'s own search; translate() reports each token's probability."""

from __future__ import annotations

import math
import shutil

import numpy as np
import pytest
import torch

from translator import InputError, beam_search_tree, load_model, translate
from translator.tasks.translation.beams import reranked, rescore
from translator.tasks.translation.engines import transformers as engine
from translator.tasks.translation.engines.base import GenerationOptions
from translator.tasks.translation.results import BeamTree

SENTENCE = "The house."
# random tiny models never end a sentence; these copies lean towards </s>, so hypotheses end at several steps
EOS_BIAS = {"marian": 0.6, "bert2bert": 1.0}
# (model, beams): both architectures at beams 1, 4 and 8 with ended hypotheses, and one run that hits the cap
RUNS = [(m, b) for m in ("eos-marian", "eos-bert2bert") for b in (1, 4, 8)] + [("tiny-marian", 4)]


@pytest.fixture(scope="module")
def eos_registry(tiny_models, tmp_path_factory):
    """A registry with the tiny models plus copies whose output layer favours </s>."""
    from transformers import EncoderDecoderModel, MarianMTModel

    root = tmp_path_factory.mktemp("eos")
    lines = [tiny_models["registry"].read_text(encoding="utf-8")]
    for kind, bias in EOS_BIAS.items():
        folder = root / kind
        shutil.copytree(tiny_models[kind], folder)
        model = (MarianMTModel if kind == "marian" else EncoderDecoderModel).from_pretrained(folder)
        eos = model.generation_config.eos_token_id
        with torch.no_grad():
            if kind == "marian":
                model.final_logits_bias[0, eos] += bias
            else:
                model.decoder.lm_head.bias[eos] += bias
        model.save_pretrained(folder)
        lines += [f"[models.eos-{kind}]", f'path = "{folder}"', 'tasks = ["translation"]']
        lines += ['recipe = "bert2bert"'] if kind == "bert2bert" else ['languages = ["en", "de"]']
    registry = root / "registry.toml"
    registry.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return registry


@pytest.fixture
def models(settings_with, eos_registry):
    settings_with(registry_file=str(eos_registry), offline=True)


def path_of(tree: BeamTree, node_id: int) -> tuple[int, ...]:
    ids = []
    while node_id is not None:
        ids.append(tree.nodes[node_id].token_id)
        node_id = tree.nodes[node_id].parent
    return tuple(reversed(ids))


# ---- the invariant: the tree's best hypothesis is translate()'s, its kept rows are generate's beams


@pytest.mark.parametrize(("model", "beams"), RUNS)
def test_best_hypothesis_is_translates_with_the_same_score(models, model, beams):
    tree = beam_search_tree(SENTENCE, model=model, num_beams=beams, precision="fp32")
    result = translate(
        SENTENCE, model=model, num_beams=beams, num_return_sequences=beams, precision="fp32", engine="transformers"
    )
    (chunk,) = result.chunks
    best = tree.hypotheses[0]
    assert (best.text, best.score) == (chunk.hypotheses[0].text, chunk.hypotheses[0].score)
    assert best.length == chunk.new_tokens and best.ended == (not chunk.truncated)
    # generate's whole n-best list comes first, in its order; hypotheses it dropped on the way rank below it
    assert [(h.text, h.score) for h in tree.hypotheses[:beams]] == [(h.text, h.score) for h in chunk.hypotheses]
    assert [h.score for h in tree.hypotheses] == sorted((h.score for h in tree.hypotheses), reverse=True)


def test_the_eos_models_end_hypotheses_at_several_steps(models):
    """The fixtures exercise what matters: ended and cut hypotheses, finishing at different steps."""
    for model in ("eos-marian", "eos-bert2bert"):
        tree = beam_search_tree(SENTENCE, model=model, num_beams=8, length_penalty=2.0, precision="fp32")
        assert len({h.length for h in tree.hypotheses if h.ended}) >= 3
    cut = beam_search_tree(SENTENCE, model="tiny-marian", num_beams=4, precision="fp32")
    assert not cut.hypotheses[0].ended and cut.warnings and cut.steps == cut.max_new_tokens


@pytest.mark.parametrize(("model", "beams"), [(m, b) for m, b in RUNS if b > 1])
def test_kept_rows_at_each_step_are_generates_beams(models, monkeypatch, model, beams):
    loaded = load_model(model, "translation", "fp32")
    original = loaded.model._get_running_beams_for_next_iteration
    beams_seen: list[set[tuple[int, ...]]] = []

    def spy(*args, **kwargs):
        sequences, scores, indices = original(*args, **kwargs)
        length = len(beams_seen) + 2  # call i holds the start token and i + 1 new tokens
        # live beams only: when fewer candidates are open than beams, generate pads with stopped ones scored -1e9
        rows = zip(sequences[0].tolist(), scores[0].tolist(), strict=True)
        beams_seen.append({tuple(row[:length]) for row, score in rows if score > -1e8})
        return sequences, scores, indices

    monkeypatch.setattr(loaded.model, "_get_running_beams_for_next_iteration", spy)
    tree = beam_search_tree(SENTENCE, model=model, num_beams=beams, precision="fp32")
    assert len(beams_seen) == tree.steps
    for step, generate_beams in enumerate(beams_seen, 1):
        at_step = [n for n in tree.nodes if n.step == step]
        kept = {path_of(tree, n.id) for n in at_step if n.kept}
        finished = {path_of(tree, n.id) for n in at_step if n.finished}
        assert kept == generate_beams | finished
        assert len(generate_beams) == beams or step == tree.steps


def test_greedy_tree_is_one_chain_with_runners_up(models):
    tree = beam_search_tree(SENTENCE, model="eos-bert2bert", num_beams=1, precision="fp32")
    kept = [n for n in tree.nodes if n.kept]
    assert [n.step for n in kept] == list(range(tree.steps + 1))
    assert all(child.parent == parent.id for parent, child in zip(kept, kept[1:], strict=False))
    assert kept[-1].finished and len(tree.hypotheses) == 1
    # greedy takes the most likely token, so every pruned runner-up is at most as likely
    for node in tree.nodes[1:]:
        if not node.kept:
            chosen = next(n for n in kept if n.parent == node.parent)
            assert node.logprob <= chosen.logprob


@pytest.mark.parametrize("beams", [1, 4, 8])
def test_nodes_add_up(models, beams):
    tree = beam_search_tree(SENTENCE, model="eos-bert2bert", num_beams=beams, length_penalty=1.5, precision="fp32")
    root = tree.nodes[0]
    assert root.parent is None and root.step == 0 and root.kept and root.cumulative == 0.0
    parents = set()
    for node in tree.nodes[1:]:
        parent = tree.nodes[node.parent]
        parents.add(parent.id)
        assert node.id == tree.nodes.index(node) and parent.id < node.id and node.step == parent.step + 1
        assert 0.0 <= math.exp(node.logprob) <= 1.0
        # float32, added in generate's order
        assert node.cumulative == float(np.float32(parent.cumulative) + np.float32(node.logprob))
        assert node.kept or not node.finished
    # only beams generate carried on have children; a pruned candidate or a finished hypothesis has none
    assert all(tree.nodes[p].kept and not tree.nodes[p].finished for p in parents)
    loaded = load_model("eos-bert2bert", "translation", "fp32")
    eos = loaded.model.generation_config.eos_token_id
    for h in tree.hypotheses:
        node = tree.nodes[h.node]
        assert node.finished and node.step == h.length and node.cumulative == h.logprob
        assert h.ended == (node.token_id == eos) and (h.ended or h.length == tree.max_new_tokens)
        assert h.score == pytest.approx(rescore(h.logprob, h.length, 1.5), rel=1e-6)
    ended = [n for n in tree.nodes if n.finished and n.token_id == eos]
    assert len(ended) == sum(h.ended for h in tree.hypotheses) > 0


def test_reranking_uses_the_new_penalty_on_each_hypothesis(models):
    tree = beam_search_tree(SENTENCE, model="eos-bert2bert", num_beams=4, precision="fp32")
    lengths = {h.length for h in tree.hypotheses}
    assert len(lengths) > 1
    assert [h.node for h in reranked(tree, tree.length_penalty)] == [h.node for h in tree.hypotheses]
    raw = reranked(tree, 0.0)  # no normalisation: the highest total log-prob wins
    assert [h.score for h in raw] == [h.logprob for h in raw] == sorted((h.logprob for h in raw), reverse=True)
    long = reranked(tree, 3.0)
    assert all(h.score == pytest.approx(h.logprob / h.length**3.0, rel=1e-6) for h in long)
    assert long[0].length == max(lengths) and raw[0].length == min(lengths)


def test_max_new_tokens_caps_the_tree(models):
    tree = beam_search_tree(SENTENCE, model="tiny-marian", num_beams=2, max_new_tokens=5, precision="fp32")
    assert tree.max_new_tokens == 5 and tree.steps == 5
    assert all(h.length == 5 and not h.ended for h in tree.hypotheses)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"text": "One sentence.\n\nAnother paragraph."}, "one chunk at a time"),
        ({"num_beams": 0}, "number of beams"),
        ({"max_new_tokens": 0}, "new-token limit"),
        ({"text": "   "}, "empty"),
    ],
)
def test_bad_input_is_one_clear_sentence(models, kwargs, message):
    with pytest.raises(InputError, match=message):
        beam_search_tree(**{"text": SENTENCE, "model": "tiny-marian", **kwargs})


# ---- token confidence on every translation


@pytest.mark.parametrize("beams", [1, 4])
@pytest.mark.parametrize("model", ["eos-marian", "tiny-bert2bert"])
def test_each_generated_token_has_a_probability_and_its_runners_up(models, model, beams):
    result = translate(
        "The house is big. London is a city.", model=model, num_beams=beams, precision="fp32", engine="transformers"
    )
    loaded = load_model(model, "translation", "fp32")
    for chunk in result.chunks:
        assert len(chunk.tokens) == chunk.new_tokens > 0
        for token in chunk.tokens:
            assert 0.0 <= token.prob <= 1.0
            probs = [p for _, p in token.alternatives]
            assert 0 < len(probs) <= 3 and probs == sorted(probs, reverse=True) and all(0 <= p <= 1 for p in probs)
            assert token.text not in [text for text, _ in token.alternatives]  # the chosen token is never its own rival
            if beams == 1:  # greedy takes the most likely token
                assert token.prob >= probs[0]
        words = [t.text for t in chunk.tokens if not t.special]
        assert loaded.tokenizer.convert_tokens_to_string(words).strip() == chunk.hypotheses[0].text
        assert (chunk.tokens[-1].text == loaded.tokenizer.eos_token) == (not chunk.truncated)
        assert chunk.tokens[-1].special or chunk.truncated


@pytest.mark.parametrize("beams", [1, 4])
def test_token_probabilities_are_generates_transition_scores(models, beams):
    model = "eos-bert2bert"
    result = translate(
        SENTENCE, model=model, num_beams=beams, length_penalty=1.3, precision="fp32", engine="transformers"
    )
    (chunk,) = result.chunks
    loaded = load_model(model, "translation", "fp32")
    options = GenerationOptions(num_beams=beams, length_penalty=1.3)
    with torch.inference_mode():
        out = loaded.model.generate(
            **engine.encode(loaded, [SENTENCE]), **engine.generation_kwargs(options, chunk.max_new_tokens)
        )
        transition = loaded.model.compute_transition_scores(
            out.sequences, out.scores, out.beam_indices if beams > 1 else None, normalize_logits=beams == 1
        )[0, : chunk.new_tokens]
    assert [t.prob for t in chunk.tokens] == pytest.approx(transition.exp().tolist(), rel=1e-5)
    # and they add up to generate's score: sum of log-probs / tokens ** length_penalty
    total = sum(math.log(t.prob) for t in chunk.tokens)
    assert chunk.hypotheses[0].score == pytest.approx(total / chunk.new_tokens**1.3, rel=1e-5)


# ---- the other decodings: diverse beam groups and sampling


DIVERSE = dict(decoding="diverse", num_beams=4, num_beam_groups=2, diversity_penalty=1.0)


@pytest.mark.parametrize("model", ["eos-marian", "eos-bert2bert"])
def test_a_diverse_tree_is_the_diverse_search_translate_ran_group_by_group(models, model):
    tree = beam_search_tree(SENTENCE, model=model, precision="fp32", **DIVERSE)
    (chunk,) = translate(SENTENCE, model=model, precision="fp32", num_return_sequences=4, **DIVERSE).chunks
    assert (tree.decoding, tree.num_beam_groups, tree.diversity_penalty) == ("diverse", 2, 1.0)
    assert [(h.text, h.score) for h in tree.hypotheses[:4]] == [(h.text, h.score) for h in chunk.hypotheses]
    assert tree.nodes[0].parent is None and {n.group for n in tree.nodes} == {0, 1}
    for node in tree.nodes[1:]:  # each group's search hangs from the shared root and stays in its group
        assert node.parent == 0 or tree.nodes[node.parent].group == node.group
    for group in (0, 1):  # each group is a 2-beam search: at most 2 beams carried on per step
        carried = [n for n in tree.nodes if n.group == group and n.kept and not n.finished and n.step]
        assert max(sum(n.step == step for n in carried) for step in range(1, tree.steps + 1)) == 2


def test_without_a_penalty_both_groups_of_the_tree_run_the_same_search(models):
    tree = beam_search_tree(SENTENCE, model="eos-marian", precision="fp32", **(DIVERSE | {"diversity_penalty": 0.0}))
    kept = [sorted(path_of(tree, n.id) for n in tree.nodes if n.group == g and n.kept and n.step) for g in (0, 1)]
    assert kept[0] == kept[1] and kept[0]


def test_the_second_group_s_log_probs_are_lowered_where_the_first_group_chose(models):
    tree = beam_search_tree(SENTENCE, model="eos-marian", precision="fp32", **(DIVERSE | {"diversity_penalty": 0.01}))
    plain = beam_search_tree(SENTENCE, model="eos-marian", precision="fp32", num_beams=8)
    before = {n.token_id: n.logprob for n in plain.nodes if n.step == 1}  # the root's 8 likeliest tokens
    chosen = {n.token_id for n in tree.nodes if n.group == 0 and n.step == 1 and n.kept}
    second = [n for n in tree.nodes if n.group == 1 and n.step == 1]
    # a small penalty: group 1 still takes group 0's tokens, each 0.01 less likely than in a plain search
    assert {n.token_id for n in second if n.kept} == chosen
    for node in second:
        assert node.logprob == pytest.approx(before[node.token_id] - 0.01 * (node.token_id in chosen), abs=1e-5)


def test_a_sampled_tree_draws_what_a_seeded_translation_drew_and_says_what_it_shows(models):
    # tiny-marian, seed 5: draws that end at different steps, some on a token outside the step's two likeliest
    sample = dict(decoding="sampling", num_return_sequences=3, seed=5, top_p=0.9)
    tree = beam_search_tree(SENTENCE, model="tiny-marian", precision="fp32", **sample)
    (chunk,) = translate(SENTENCE, model="tiny-marian", precision="fp32", engine="transformers", **sample).chunks
    assert [(h.text, h.score) for h in tree.hypotheses[:3]] == [(h.text, h.score) for h in chunk.hypotheses]
    assert tree.decoding == "sampling" and tree.seed == 5
    (note,) = tree.notes
    assert note.startswith("Sampling has no search: the tree shows the ") and "(seed 5)" in note
    assert len({h.length for h in tree.hypotheses}) > 1
    # each distinct sample is a path of kept nodes from the root, and every kept node is on one
    paths = set()
    for hypothesis in tree.hypotheses:
        node = tree.nodes[hypothesis.node]
        while node.parent is not None:
            assert node.kept
            paths.add(node.id)
            node = tree.nodes[node.parent]
    assert paths == {n.id for n in tree.nodes[1:] if n.kept}
    for node in tree.nodes[1:]:  # probabilities after top-p: a token outside the nucleus is never recorded
        assert math.isfinite(node.logprob) and tree.nodes[node.parent].kept
