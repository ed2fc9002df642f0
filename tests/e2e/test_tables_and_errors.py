"""Readable tables at 1400 and 400 px, and what an error leaves on screen (its own module, so the two test
workers can run it beside the first-run tests)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from screens import WIDTHS
from visitor import use_example

pytestmark = pytest.mark.e2e

SENTENCES = "The museum was built in the last century. It stands by the river. Many people visit it every year. "


def check_table(page, element, artifacts, name: str, text_column: str) -> None:
    """At 1400 and 400 px: headers on one line and not squeezed, cells in a proportional font, the text column on
    screen and wide enough to read (at 1400 px every column inside the panel)."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 1000})
        page.wait_for_timeout(500)
        heights = element.locator("th").evaluate_all(
            "cells => cells.map(c => c.getBoundingClientRect().height).filter(h => h > 0)"
        )
        assert heights and max(heights) < 2.2 * min(heights), heights  # no header broken a letter a line
        widths = element.locator("th").evaluate_all(
            "cells => cells.map(c => c.getBoundingClientRect().width).filter(w => w > 0)"
        )
        assert min(widths) >= 40, widths
        clipped = element.locator("th span").evaluate_all(
            "cells => cells.filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.textContent)"
        )
        assert clipped == [], f"headers cut at {width} px: {clipped}"
        fonts = element.locator("[role=gridcell]").evaluate_all(
            "cells => cells.map(c => getComputedStyle(c.querySelector('span') || c).fontFamily)"
        )
        assert fonts and not [font for font in fonts if "mono" in font.lower()], fonts
        panel = element.locator(".table-wrap").bounding_box()
        text = element.locator("th", has_text=text_column).bounding_box()
        assert text["width"] >= 140 and text["x"] + text["width"] <= panel["x"] + panel["width"] + 1, (text, panel)
        if width == 1400:
            last = element.locator("th").last.bounding_box()
            assert last["x"] + last["width"] <= panel["x"] + panel["width"] + 1, "a column is hidden to the right"
        element.screenshot(path=str(artifacts / f"first-run-{name}-{width}.png"))
    page.set_viewport_size({"width": WIDTHS[0], "height": 1000})


def test_tables_are_readable_at_1400_and_400_px(page, artifacts):
    page.locator("#translate-input textarea").fill(SENTENCES)
    page.locator("#translate-button").click()
    expect(page.locator("#translate-output textarea")).not_to_have_value("", timeout=90_000)
    check_table(page, page.locator("#translate-nbest"), artifacts, "nbest-table", "Translation")
    page.get_by_role("tab", name="Question answering").click()
    use_example(page, "Who designed the tower?", "#qa-question")
    page.locator("#qa-button").click()
    expect(page.locator("#qa-mode")).to_contain_text("score", timeout=90_000)
    check_table(page, page.locator("#qa-answers"), artifacts, "qa-table", "Answer")
    page.get_by_role("tab", name="Summarize").click()
    use_example(page, "Extractive summarization picks", "#summarize-input")
    page.locator("#summarize-button").click()
    expect(page.locator("#summarize-output textarea")).not_to_have_value("", timeout=90_000)
    check_table(page, page.locator("#summarize-table"), artifacts, "summary-table", "Text")


def test_after_an_error_no_stale_result_or_error_badge_stays(page, artifacts):
    page.get_by_role("tab", name="Summarize").click()
    page.locator("#summarize-input textarea").fill(SENTENCES * 2)
    page.locator("#summarize-button").click()
    expect(page.locator("#summarize-output textarea")).not_to_have_value("", timeout=90_000)
    expect(page.locator("#summarize-notes")).to_contain_text("dropped")
    page.locator("#summarize-input textarea").fill("")
    page.locator("#summarize-button").click()
    expect(page.get_by_text("The text is empty").first).to_be_visible(timeout=30_000)  # the toast says why
    expect(page.locator("#summarize-notes")).not_to_contain_text("dropped", timeout=30_000)  # the old run's gone
    expect(page.locator("#summarize-output textarea")).to_have_value("")
    badges = page.locator("[data-testid=status-tracker]").filter(has_text="Error").locator("visible=true")
    expect(badges).to_have_count(0)
    page.screenshot(path=str(artifacts / "first-run-after-error.png"))
