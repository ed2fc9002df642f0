"""The Translate tab at its defaults (engine and precision auto: CTranslate2 at the model's own numbers): Confidence
and Beam search explain the translation shown."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

TEXT = "The house is big. The river runs to the city."


def test_confidence_and_beam_tree_explain_the_default_translation(page, artifacts):
    page.get_by_role("tab", name="Translate").click()
    page.get_by_label("Model").first.click()
    page.get_by_role("option", name="tiny-marian").first.click()
    page.locator("#translate-input textarea").fill(TEXT)
    page.locator("#translate-button").click()  # every other control at its default
    output = page.locator("#translate-output textarea")
    expect(output).not_to_have_value("", timeout=60_000)
    expect(page.locator("body")).to_contain_text("CTranslate2 (fp32)")  # the engine note: the model's own numbers
    translation = output.input_value()

    confidence = page.locator("#translate-confidence .confidence")
    expect(confidence).to_contain_text("Least confident words first")
    expect(confidence.locator("p span[title]").first).to_have_attribute("title", re.compile(r"\d%"))

    page.locator("#beam-view").get_by_text("Beam search: the tree generate() searched").click()
    page.locator("#beam-chunk input").click()
    page.get_by_role("option", name="1: The house is big.").click()
    expect(page.locator("#beam-sentence textarea")).to_have_value("The house is big.")  # the pick has filled it
    page.locator("#beam-button").click()
    expect(page.locator("#beam-tree svg")).to_be_visible(timeout=60_000)
    best = page.locator("#beam-tree table tbody tr").first.locator("td").nth(1).inner_text()
    assert translation.startswith(best)  # the tree's winner is the first chunk's translation on screen
    score_cell = page.locator("#translate-nbest table tbody tr").first.locator("td").last
    expect(score_cell).to_have_text(re.compile(r"-?\d+\.\d+"))
    shown_score = float(score_cell.text_content())  # the cell's text, drawn or not
    tree_score = float(page.locator("#beam-tree table tbody tr").first.locator("td").nth(2).inner_text())
    assert tree_score == pytest.approx(shown_score, abs=1e-3)  # and its score, the one the n-best table shows
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.screenshot(path=str(artifacts / "translate-defaults-explained-1400.png"), full_page=True)
