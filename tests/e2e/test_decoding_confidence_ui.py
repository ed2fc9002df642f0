"""Decoding in Advanced and the Confidence view, in the browser at 1400 and 400 px: each decoding shows only its
own options and reaches the translation; confidence words as the text shows them, sentence ends on request."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from screens import overflowing, shots

pytestmark = pytest.mark.e2e

TEXT = "The house is big. The river runs to the city."


def translate(page) -> None:
    page.locator("#translate-input textarea").fill(TEXT)
    page.locator("#translate-button").click()
    expect(page.locator("#translate-ran")).to_contain_text("time:", timeout=90_000)


def test_each_decoding_shows_its_own_options_and_sampling_runs(page, artifacts):
    page.get_by_text("Advanced", exact=True).locator("visible=true").first.click()
    sampling, diverse = page.locator("#decoding-sampling"), page.locator("#decoding-diverse")
    expect(sampling).to_be_hidden()
    expect(diverse).to_be_hidden()
    page.locator("#decoding").get_by_label("diverse").check()
    expect(diverse).to_be_visible()
    expect(sampling).to_be_hidden()
    expect(page.locator("#decoding")).to_contain_text("CTranslate2 has no diverse beam search")
    page.locator("#decoding").get_by_label("sampling").check()
    expect(sampling).to_be_visible()
    expect(diverse).to_be_hidden()
    seed = sampling.get_by_label("Seed")
    seed.fill("7")
    seed.press("Enter")
    advanced = page.locator("#decoding").locator("xpath=ancestor::div[contains(@class, 'column')][1]")
    shots(page, advanced, artifacts, "translate-decoding-sampling")
    page.set_viewport_size({"width": 400, "height": 1000})
    assert [o for o in overflowing(page) if "decoding" in o] == []
    page.set_viewport_size({"width": 1400, "height": 1000})
    translate(page)
    first = page.locator("#translate-output textarea").input_value()
    translate(page)
    assert first and page.locator("#translate-output textarea").input_value() == first  # the same seed
    expect(page.get_by_text("Error")).to_have_count(0)


def test_confidence_shows_words_and_hides_sentence_ends_until_asked(page, artifacts):
    translate(page)
    view = page.locator("#translate-confidence")
    expect(view.locator("ol li").first).to_be_visible()
    expect(view).not_to_contain_text("⏎")
    expect(view).not_to_contain_text("Choose the transformers engine")
    shown = view.locator("p").first.inner_text()
    assert " ." not in shown and " ," not in shown
    tip = view.locator("p").first.locator("span").first.get_attribute("title")
    assert "else:" in tip or "no alternatives reported" in tip
    # the tiny random model runs each sentence to its cap: no sentence end to mark (the render tests draw them)
    page.locator("#confidence-ends input").check()
    page.wait_for_timeout(500)
    expect(view.locator("ol li").first).to_be_visible()
    expect(page.get_by_text("Error")).to_have_count(0)
    shots(page, page.locator("#confidence-view"), artifacts, "translate-confidence")
