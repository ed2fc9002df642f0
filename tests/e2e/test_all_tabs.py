"""Each tab's first example, run in the browser the way a visitor would, with a screenshot per tab."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from visitor import use_example

pytestmark = pytest.mark.e2e

# tab, a model to pick first (None keeps the tab's default), the example's opening words, the box they fill,
# button, and an element that exists only once the result has arrived
TABS = [
    (
        "Translate",
        "tiny-marian",
        "The museum was built",
        "#translate-input",
        "#translate-button",
        "#translate-output textarea",
    ),
    # the tab starts on a QA model that runs offline (tiny-qa), so it extracts spans and says so
    (
        "Question answering",
        None,
        "Who designed the tower?",
        "#qa-question",
        "#qa-button",
        "#qa-mode :text('Span extraction')",
    ),
    (
        "Summarize",
        None,
        "Extractive summarization picks",
        "#summarize-input",
        "#summarize-button",
        "#summarize-output textarea",
    ),
    ("Attention", None, "The animal didn't cross", "#attention-text", "#attention-button", "#attention-view svg"),
    (
        "Chunks",
        None,
        "Short sentences pack together",
        "#chunks-input",
        "#chunks-button",
        "#chunks-viewer .chunk-viewer",
    ),
]


@pytest.mark.parametrize(("tab", "model", "example", "textbox", "button", "result"), TABS, ids=[t[0] for t in TABS])
def test_each_tab_runs_its_example(page, artifacts, tab, model, example, textbox, button, result):
    page.get_by_role("tab", name=tab).click()
    if model:
        picker = page.get_by_label("Model").locator("visible=true").first
        picker.click()
        page.get_by_role("option", name=model).locator("visible=true").first.click()
    use_example(page, example, textbox)
    page.locator(button).click()
    shown = page.locator(result).first
    expect(shown).to_be_visible(timeout=90_000)
    if shown.evaluate("e => e.tagName") == "TEXTAREA":
        expect(shown).not_to_have_value("", timeout=90_000)
    expect(page.get_by_text("Something went wrong")).to_have_count(0)
    page.screenshot(path=str(artifacts / f"example-{tab.lower().replace(' ', '-')}.png"), full_page=True)
