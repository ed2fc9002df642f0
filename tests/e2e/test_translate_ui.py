from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

TEXT = "The house is big. The river runs to the city.\n\nParis is the capital of France."


def test_translate_tab_end_to_end(page, artifacts):
    page.get_by_role("tab", name="Translate").click()
    model = page.get_by_label("Model").first  # the Translate tab's picker comes first
    model.click()
    page.get_by_role("option", name="tiny-marian").first.click()
    expect(model).to_have_value("tiny-marian — tiny marian for tests")
    page.locator("#translate-input textarea").fill(TEXT)

    beams = page.locator("#translate-beams input[type='range']")
    beams.focus()
    beams.press("ArrowLeft")
    beams.press("ArrowLeft")
    expect(page.locator("#translate-beams input[type='number']")).to_have_value("2")

    page.locator("#translate-button").click()
    output = page.locator("#translate-output textarea")
    expect(output).not_to_have_value("", timeout=60_000)
    assert "\n\n" in output.input_value()  # the paragraph break came through
    viewer = page.locator("#translate-chunks .chunk-viewer")
    expect(viewer).to_be_visible()
    # one sentence per chunk by default (translate(pack_sentences=False)), so three rows
    rows = viewer.locator(".chunk-table tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(1)).to_contain_text("The river runs to the city.")
    expect(viewer).to_contain_text("Paris is the capital of France.")
    page.screenshot(path=str(artifacts / "translate-tab.png"), full_page=True)
