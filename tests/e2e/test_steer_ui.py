"""The Steer view in a browser: pick a word's alternative from the last translation, continue from there."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from screens import shots

pytestmark = pytest.mark.e2e

TEXT = "The house is big. The river runs to the city."


def test_steer_from_an_alternative_shows_both_sentences(page, artifacts):
    page.get_by_role("tab", name="Translate").click()
    page.get_by_label("Model").first.click()
    page.get_by_role("option", name="tiny-marian").first.click()
    page.locator("#translate-input textarea").fill(TEXT)
    page.locator("#translate-button").click()
    expect(page.locator("#translate-output textarea")).not_to_have_value("", timeout=60_000)

    page.locator("#steer-view").get_by_text("Steer: start the translation your way").click()
    expect(page.locator("#steer-sentence textarea")).to_have_value("The house is big.")  # the first chunk
    page.locator("#steer-word input").click()
    page.get_by_role("option", name="2: ").first.click()  # the second word
    page.locator("#steer-alternative input").click()
    page.get_by_role("option").first.click()  # its most likely runner-up
    prefix = page.locator("#steer-prefix textarea")
    expect(prefix).not_to_have_value("")
    forced = prefix.input_value()
    page.locator("#steer-button").click()

    shown = page.locator("#steer-output .steer")
    expect(shown).to_contain_text("Steered", timeout=60_000)
    expect(shown.locator(".steer-original")).to_contain_text("score")
    expect(shown.locator(".steer-steered")).to_contain_text(forced.split()[0])
    expect(shown).to_contain_text("model probability")
    shots(page, page.locator("#steer-view"), artifacts, "steer-view")

    # the steered run's beam tree: the forced steps, then the search, its best path the steered sentence
    page.locator("#steer-tree-button").click()
    tree = page.locator("#steer-tree")
    expect(tree.locator("svg")).to_be_visible(timeout=60_000)
    expect(tree).to_contain_text("were forced")
    expect(tree.locator("tbody tr").first).to_contain_text(forced.split()[0])
    shots(page, page.locator("#steer-view"), artifacts, "steer-tree")
