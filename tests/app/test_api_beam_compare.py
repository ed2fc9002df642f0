"""The /beam_tree and /compare endpoints through gradio_client, as an API user calls them."""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from gradio_client.exceptions import AppError

SENTENCE = "The house is big."
TEXT = "The house is big. The river runs to the city."


def beam_tree(client, sentence=SENTENCE, *, model="tiny-marian", beams=4, length_penalty=1.0, no_repeat=0):
    return client.predict(
        sentence=sentence,
        model=model,
        precision="fp32",
        num_beams=beams,
        length_penalty=length_penalty,
        no_repeat_ngram_size=no_repeat,
        api_name="/beam_tree",
    )


def compare(client, text=TEXT, *, a=None, b=None, reference="", only_differences=False):
    sides = {}
    for name, config in (("a", a), ("b", b)):
        config = {"model": "tiny-marian", "precision": "fp32", "beams": 2, "engine": "transformers", **(config or {})}
        sides |= {f"{name}_{key}": value for key, value in config.items()}
    return client.predict(
        text=text, **sides, reference=reference, only_differences=only_differences, api_name="/compare"
    )


def ranked_texts(tree_html: str) -> list[str]:
    """The hypotheses of the view's ranked table, best first."""
    body = tree_html.split("<tbody>", 1)[1]
    return [html.unescape(text) for text in re.findall(r"<tr><td>\d+</td><td>(.*?)</td>", body)]


@pytest.mark.parametrize("beams", [1, 4])
def test_beam_tree_best_hypothesis_is_the_translation(client, beams):
    tree_html, ran, files = beam_tree(client, beams=beams)
    output = client.predict(
        text=SENTENCE,
        model="tiny-marian",
        precision="fp32",
        num_beams=beams,
        n_best=1,
        engine="transformers",
        api_name="/translate",
    )[0]
    ranked = ranked_texts(tree_html)
    assert ranked and ranked[0].replace("<i>(empty)</i>", "") == output
    assert "tiny-marian" in ran and "transformers" in ran
    assert "<script" not in tree_html and f"{beams} beam(s)" in tree_html


def test_beam_tree_downloads_are_the_drawing_and_the_tree(client):
    tree_html, _, files = beam_tree(client, beams=2)
    by_suffix = {Path(f).suffix: Path(f) for f in files}
    assert set(by_suffix) == {".svg", ".json"}
    svg = by_suffix[".svg"].read_text(encoding="utf-8")
    assert ET.fromstring(svg).tag == "{http://www.w3.org/2000/svg}svg"
    assert svg in tree_html  # the download is the drawing on screen
    tree = json.loads(by_suffix[".json"].read_text(encoding="utf-8"))
    assert tree["num_beams"] == 2 and tree["nodes"][0]["parent"] is None
    assert html.unescape(ranked_texts(tree_html)[0]).replace("<i>(empty)</i>", "") == tree["hypotheses"][0]["text"]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"sentence": "  "}, "empty"),
        ({"model": "tiny-bert"}, "list"),  # not a translation model
        ({"sentence": "The house is big. " * 60}, "one chunk"),
    ],
)
def test_beam_tree_bad_input_is_one_sentence(client, kwargs, message):
    with pytest.raises(AppError, match=message):
        beam_tree(client, **kwargs)


def test_compare_identical_configs_agree_fully(client):
    shown, ran = compare(client)
    assert "chrF between A and B: <b>100.0</b>" in shown
    assert "<del" not in shown and "<ins" not in shown
    assert shown.count('data-same="true"') == 2 and 'data-same="false"' not in shown
    assert "tiny-marian" in ran
    # with only the differences asked for, both identical segments are left out and said so
    only, _ = compare(client, only_differences=True)
    assert "2 identical segment(s) left out" in only and "compare-segment" not in only


def test_compare_two_beam_widths_with_a_reference(client):
    shown, _ = compare(client, a={"beams": 1}, b={"beams": 4}, reference="Das Haus ist groß. Der Fluss fließt.")
    runs = shown.split("</table>", 1)[0]
    assert "1 beam," in runs and "4 beams" in runs  # each side says what it ran
    assert "sacreBLEU signature" in shown and "BLEU" in shown and "chrF" in shown
    assert re.search(r"nrefs:1\|case:mixed", shown)  # sacreBLEU's own signature is shown
    diff_marked = "<del" in shown or "<ins" in shown
    assert diff_marked == ('data-same="false"' in shown)  # words are marked exactly where segments differ


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"text": "   "}, "empty"),
        ({"a": {"model": "/etc"}}, "list"),
        ({"b": {"engine": "fastest"}}, "not in the list of choices"),  # gradio checks the radio
    ],
)
def test_compare_bad_input_is_one_sentence(client, kwargs, message):
    with pytest.raises(AppError, match=message):
        compare(client, **kwargs)
