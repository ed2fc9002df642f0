from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from screens import shots
from visitor import fill_drawn

pytestmark = pytest.mark.e2e

TEXT = "The house is big. The river runs to the city."


def test_confidence_beam_and_compare_views(page, artifacts):
    page.get_by_role("tab", name="Translate").click()
    model = page.get_by_label("Model").first  # the Translate tab's picker comes first
    model.click()
    page.get_by_role("option", name="tiny-marian").first.click()
    page.locator("#translate-input textarea").fill(TEXT)
    page.get_by_text("Advanced", exact=True).first.click()
    page.locator("#translate-engine input").click()
    page.get_by_role("option", name="transformers").click()  # the engine that reports token probabilities
    page.locator("#translate-button").click()
    expect(page.locator("#translate-output textarea")).not_to_have_value("", timeout=60_000)

    # Confidence: every word shaded, with its alternatives in a tooltip, least confident listed
    confidence = page.locator("#translate-confidence .confidence")
    expect(confidence).to_contain_text("Least confident words first")
    expect(confidence.locator("p span[title]").first).to_have_attribute("title", re.compile(r"\d%"))
    assert confidence.locator("ol li").count() >= 1

    # Beam search: pick the second chunk, build its tree, then re-rank with another length penalty
    page.locator("#beam-view").get_by_text("Beam search: the tree generate() searched").click()
    chunk = page.locator("#beam-chunk input")
    chunk.click()
    page.get_by_role("option", name="2: The river runs to the city.").click()
    expect(page.locator("#beam-sentence textarea")).to_have_value("The river runs to the city.")
    page.locator("#beam-button").click()
    tree = page.locator("#beam-tree svg")
    expect(tree).to_be_visible(timeout=60_000)
    expect(page.locator("#beam-tree")).to_contain_text("ranked with length penalty 1")
    links = page.locator("#beam-files a[href]")
    expect(links).to_have_count(2)
    assert sorted(href.rsplit("/", 1)[1] for href in (links.nth(i).get_attribute("href") for i in range(2))) == [
        "beam-tree.json",
        "beam-tree.svg",
    ]
    penalty = page.locator("#beam-length-penalty input[type='number']")
    penalty.fill("2")
    penalty.press("Enter")
    expect(page.locator("#beam-tree")).to_contain_text("Re-ranked with length penalty 2", timeout=30_000)
    shots(page, page.locator("#beam-view"), artifacts, "beam-view")

    # Compare: A fp32 against B 4-bit, both on the tab's text
    page.locator("#compare-view").get_by_text("Compare: the text above through two configurations").click()
    fill_drawn(page.locator("#compare-reference textarea"), "Das Haus ist groß. Der Fluss fließt in die Stadt.")
    page.locator("#compare-button").click()
    shown = page.locator("#compare-output .compare")
    expect(shown).to_contain_text("chrF between A and B", timeout=120_000)
    expect(shown).to_contain_text("4bit")
    expect(shown).to_contain_text("sacreBLEU signature")
    expect(shown.locator(".compare-segment")).to_have_count(2)
    shown.scroll_into_view_if_needed()
    shots(page, page.locator("#compare-view"), artifacts, "compare-view")


ROW_HEIGHT = """(selector) => [...document.querySelectorAll(selector + " tbody tr")].map((row) => row.offsetHeight)"""
SIDEWAYS = (
    """(selector) => { const box = document.querySelector(selector); return box.scrollWidth - box.clientWidth; }"""
)


def test_n_best_follows_the_decoding_and_the_tree_draws_diverse_groups_beside_a_compact_step_table(page, artifacts):
    page.get_by_role("tab", name="Translate").click()
    # n-best: Beams 1 holds it at 1; sampling (no beams) lets it reach the most samples; beam search clamps it back
    n_best = page.get_by_label("Translations per chunk (n-best)").locator("visible=true").first
    beams = page.locator("#translate-beams input[type='number']")
    beams.fill("1")
    beams.press("Enter")
    expect(n_best).to_be_disabled()
    page.get_by_text("Advanced", exact=True).first.click()
    decoding = page.locator("#decoding")
    decoding.get_by_label("sampling", exact=True).check()
    expect(n_best).to_be_enabled()
    n_best.fill("12")
    n_best.press("Enter")
    expect(n_best).to_have_value("12")
    decoding.get_by_label("beam", exact=True).check()
    expect(n_best).to_have_value("1")
    expect(n_best).to_be_disabled()
    beams.fill("4")
    beams.press("Enter")
    expect(n_best).to_be_enabled()
    decoding.get_by_label("diverse", exact=True).check()
    page.locator("#translate-input textarea").fill(TEXT)
    page.locator("#translate-button").click()
    expect(page.locator("#translate-ran")).to_contain_text("time:", timeout=90_000)

    # the tree of the diverse search that made the translation: its groups told apart, and no warning that it isn't
    page.locator("#beam-view").get_by_text("Beam search: the tree generate() searched").click()
    page.locator("#beam-chunk input").click()
    page.get_by_role("option", name="1: The house is big.").click()
    expect(page.locator("#beam-sentence textarea")).to_have_value("The house is big.")
    page.locator("#beam-button").click()
    tree = page.locator("#beam-tree")
    expect(tree.locator("svg")).to_be_visible(timeout=60_000)
    expect(tree).to_contain_text("Diverse beam search: 2 groups of 2 beam(s)")
    expect(tree.locator("svg text", has_text="group 2")).to_have_count(1)
    expect(tree).not_to_contain_text("not the translation shown")
    steps = page.locator("#beam-steps .beam-steps")
    expect(steps.locator("tbody tr").first).to_be_visible()
    for width in (1400, 400):  # compact rows, and every column on screen without scrolling sideways
        page.set_viewport_size({"width": width, "height": 1000})
        page.wait_for_timeout(300)
        assert max(page.evaluate(ROW_HEIGHT, "#beam-steps .beam-steps")) <= 22
        assert page.evaluate(SIDEWAYS, "#beam-steps .beam-steps") <= 0
    page.set_viewport_size({"width": 1400, "height": 1000})
    expect(page.get_by_text("Error")).to_have_count(0)
    shots(page, page.locator("#beam-view"), artifacts, "beam-view-diverse")
