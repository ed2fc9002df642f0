"""The Beam search view's handler, without a browser: it draws the search of the tab's decoding (Advanced), and
warns when the tree's best is not the translation shown for that chunk."""

from __future__ import annotations

import dataclasses

from translator import Hypothesis, translate
from ui.beam_view import build_tree

SENTENCE = "The house is big."
# the Decoding controls as the tab sends them (the seed box's -1: no seed)
BEAM = dict(decoding="beam", temperature=1.0, top_k=0, top_p=1.0, seed=-1, num_beam_groups=2, diversity_penalty=0.5)


def tree_for(translation, num_beams: int = 4, n_best: int = 1, **decoding):
    view, ran, files, tree = build_tree(
        SENTENCE, "tiny-marian", "fp32", num_beams, 1.0, 0, "auto", translation=translation, n_best=n_best,
        **(BEAM | decoding),
    )  # fmt: skip
    return view, ran, tree


def test_the_view_draws_the_tab_s_diverse_search_and_warns_only_when_its_best_is_not_the_translation(tiny):
    diverse = dict(decoding="diverse", num_beam_groups=2, diversity_penalty=1.0)
    shown = translate(SENTENCE, model="tiny-marian", precision="fp32", num_beams=4, **diverse)
    view, _, tree = tree_for(shown, **diverse)
    assert (tree.decoding, tree.num_beam_groups) == ("diverse", 2)
    assert tree.hypotheses[0].text == shown.chunks[0].best
    assert "Diverse beam search: 2 groups of 2 beam(s)" in view and "not the translation shown" not in view
    (chunk,) = shown.chunks
    other = dataclasses.replace(shown, chunks=[dataclasses.replace(chunk, hypotheses=[Hypothesis("Anders.", -1.0)])])
    view, _, tree = tree_for(other, **diverse)
    assert tree.warnings[-1].startswith("The tree's best hypothesis is not the translation shown for this chunk: it")
    assert "not the translation shown" in view


def test_under_sampling_the_view_draws_as_many_samples_as_the_translation_and_says_what_they_are(tiny):
    sampling = dict(decoding="sampling", seed=5)
    shown = translate(
        SENTENCE, model="tiny-marian", precision="fp32", engine="transformers", num_return_sequences=2, **sampling
    )
    view, ran, tree = tree_for(shown, num_beams=1, n_best=2, **sampling)  # Beams 1: sampling uses no beams
    assert tree.hypotheses[0].text == shown.chunks[0].best and "not the translation shown" not in view
    assert "Sampling has no search" in ran and "among the 6 draw(s)" in ran and "(seed 5)" in ran
    assert "Sampling: solid: the tokens drawn" in view
    _, _, unseeded = tree_for(shown, num_beams=1, n_best=2, decoding="sampling", seed=-1)
    assert unseeded.seed is None and "no seed, so a new draw each time" in unseeded.notes[0]
