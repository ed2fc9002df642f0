from __future__ import annotations

import dataclasses
import re

from translator import compare
from translator.render.compare import compare_html, side_label
from translator.tasks.translation.compare import word_diff

TEXT = "The house is big. The river runs to the city.\n\nA <b>bold</b> claim & more."
# the reference engine, whatever engine="auto" would pick
GREEDY = {"model": "tiny-marian", "num_beams": 1, "precision": "fp32", "engine": "transformers"}


def with_first_segment(comparison, a_text: str, b_text: str):
    """The comparison with its first segment's outputs replaced, to draw a known difference."""
    first = dataclasses.replace(
        comparison.segments[0], a_text=a_text, b_text=b_text, diff=word_diff(a_text, b_text), chrf=50.0
    )
    return dataclasses.replace(comparison, segments=[first, *comparison.segments[1:]])


def test_identical_sides_draw_no_differences(tiny):
    comparison = compare(TEXT, a=GREEDY, b=GREEDY)
    html = compare_html(comparison)
    assert "<del" not in html and "<ins" not in html
    assert html.count('class="compare-segment"') == len(comparison.segments) == 3
    assert html.count('data-same="true"') == 3
    assert "chrF between A and B: <b>100.0</b>" in html
    assert f"{comparison.a.seconds:.2f}" in html and f"{comparison.a.footprint_bytes / 2**20:,.0f} MB" in html


def test_words_only_one_side_has_are_marked_on_that_side(tiny):
    same = compare(TEXT, a=GREEDY, b=GREEDY)
    comparison = with_first_segment(same, "der Hund sieht das Auto", "der Hund mag das Auto")
    html = compare_html(comparison)
    assert re.findall(r"<del[^>]*>([^<]*)</del>", html) == ["sieht"]
    assert re.findall(r"<ins[^>]*>([^<]*)</ins>", html) == ["mag"]
    assert 'data-same="false"' in html and "chrF 50.0" in html
    only = compare_html(comparison, only_differences=True)
    assert only.count('class="compare-segment"') == 1 and "2 identical segment(s) left out" in only


def test_user_text_is_escaped(tiny):
    comparison = with_first_segment(compare(TEXT, a=GREEDY, b=GREEDY), "<script>x</script>", "a & b")
    html = compare_html(comparison)
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "<script>" not in html and "&lt;script&gt;" in html and "a &amp; b" in html


def test_reference_scores_are_shown_with_their_signatures(tiny):
    reference = "Das Haus ist groß. Der Fluss fließt in die Stadt.\n\nEine kühne Behauptung."
    comparison = compare(TEXT, a=GREEDY, b={**GREEDY, "num_beams": 2}, reference=reference)
    html = compare_html(comparison)
    scores = comparison.scores
    assert f"{scores.a.bleu:.1f}" in html and f"{scores.b.chrf:.1f}" in html
    assert scores.bleu_signature in html and scores.chrf_signature in html
    assert html.count("Reference: ") == 3 and "chrF vs reference" in html


def test_each_side_is_labelled_with_what_ran(tiny):
    comparison = compare(TEXT, a=GREEDY, b={**GREEDY, "pack_sentences": True, "max_chunk_tokens": 64})
    assert side_label(comparison.a) == "tiny-marian, 1 beam, fp32, transformers, sentence by sentence"
    assert side_label(comparison.b).endswith("packed up to 64 tokens")
    assert side_label(comparison.b) in compare_html(comparison)
