"""The Explain view of the Attention tab in a browser: attribution beside attention, a token picked, a contrast."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_explain_view_draws_attribution_beside_attention_and_contrasts(page, artifacts):
    page.get_by_role("tab", name="Attention").click()
    page.locator("#explain-source-text textarea").fill("the house by the river was built")
    page.locator("#explain-button").click()  # the tiny Marian is the translation model the page starts on

    view = page.locator("#explain-view")
    expect(view.locator("svg")).to_be_visible(timeout=60_000)
    expect(view).to_contain_text("integrated gradients of each target token")
    expect(view).to_contain_text("completeness gap")
    expect(view).to_contain_text("cross-attention, same steps")
    expect(page.locator("#explain-ran")).to_contain_text("tiny-marian")

    page.locator("#explain-row").get_by_role("combobox").click()
    picked = page.get_by_role("option").nth(2).inner_text()
    # the pick fetches that token's runners-up for the contrast picker: an option picked from the list before they
    # arrive is one of the first token's, and the update that follows empties the picker
    with page.expect_response(lambda response: "/run/predict" in response.url):
        page.get_by_role("option").nth(2).click()
    expect(view).to_contain_text("Source, shaded for", timeout=30_000)
    shaded_for = view.locator("p b").last.inner_text()
    expect(view.locator("p b").last).to_contain_text(picked.split(": ", 1)[1])  # redrawn for the picked token
    page.locator("#explain-alternative").get_by_role("combobox").click()
    expect(page.get_by_role("option").first).to_contain_text("(p=")  # the runners-up of the picked token
    chosen = page.get_by_role("option").first.inner_text().split(" (p=")[0]
    page.get_by_role("option").first.click()
    expect(page.locator("#explain-alternative").get_by_role("combobox")).to_have_value(re.compile(re.escape(chosen)))
    page.locator("#explain-view").screenshot(path=str(artifacts / "explain-view-1400.png"))
    page.screenshot(path=str(artifacts / "explain-tab-1400.png"), full_page=True)

    page.locator("#explain-contrast").click()
    expect(view).to_contain_text("contrasted with", timeout=60_000)
    assert shaded_for.startswith("Source, shaded for")
    expect(page.locator("#explain-row").get_by_role("combobox")).to_have_value("1: " + _row_token(page))

    page.set_viewport_size({"width": 400, "height": 900})
    page.locator("#explain-view").scroll_into_view_if_needed()
    page.locator("#explain-view").screenshot(path=str(artifacts / "explain-view-400.png"))
    page.screenshot(path=str(artifacts / "explain-tab-400.png"), full_page=True)
    box = page.locator("#explain-view").bounding_box()
    assert box is not None and box["width"] <= 400  # the figure scrolls inside its box, the page does not widen


def _row_token(page) -> str:
    """The one row of a contrast: the token it explains, as the view's note names it."""
    text = page.locator("#explain-view p b").last.inner_text()
    return text.split("“", 1)[1].rsplit("”", 1)[0]
