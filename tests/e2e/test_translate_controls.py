"""The Translate tab's controls and notes in the browser, at 1400 and 400 px: greedy decoding, notes by kind, the retry
next to its warning, the language pair, the copy button and the full-screen n-best table."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from screens import shots

pytestmark = pytest.mark.e2e

COLUMN = "xpath=ancestor::div[contains(@class, 'column')][1]"  # the column the element sits in
TEXT = "The house is big. The river runs to the city. Paris is the capital.\n\nLondon is old. Berlin is new."


def translate(page, text: str = TEXT) -> None:
    page.locator("#translate-input textarea").fill(text)
    page.locator("#translate-button").click()
    expect(page.locator("#translate-ran")).to_contain_text("time:", timeout=90_000)


def set_number(page, selector: str, value: int) -> None:
    field = page.locator(f"{selector} input[type='number']")
    field.fill(str(value))
    field.press("Enter")


def test_one_beam_translates_greedily_and_notes_come_by_kind(page, artifacts):
    n_best = page.get_by_label("Translations per chunk (n-best)").locator("visible=true").first
    n_best.fill("3")
    n_best.press("Enter")
    set_number(page, "#translate-beams", 1)
    expect(n_best).to_have_value("1")
    expect(n_best).to_be_disabled()  # greedy decoding gives one translation
    translate(page)
    expect(page.locator("#translate-output textarea")).not_to_have_value("")
    expect(page.get_by_text("Error")).to_have_count(0)
    # warnings first, counted; what ran and why apart, under the run line, quieter
    warnings = page.locator("#translate-warnings")
    expect(warnings.locator(".warnings-count")).to_have_text(re.compile(r"^\d+ warnings?$"))
    expect(warnings).not_to_contain_text("Translated with")
    ran = page.locator("#translate-ran")
    expect(ran.locator("blockquote")).to_contain_text("ℹ️ Translated with")
    for api_name in ("retry_flagged", "engine=", "num_beams"):
        expect(page.get_by_text(api_name)).to_have_count(0)
    # the Translation box copies its text
    expect(page.locator("#translate-output").get_by_role("button", name=re.compile("copy", re.I))).to_be_visible()
    shots(page, page.locator("#translate-output").locator(COLUMN), artifacts, "translate-greedy-notes")


def test_the_n_best_table_fills_the_screen_in_full_screen(page, artifacts):
    translate(page, "The house is big. The river runs to the city.")
    table = page.locator("#translate-nbest")
    table.hover()
    table.get_by_role("button", name="Fullscreen").first.click()
    for width in (1400, 400):
        page.set_viewport_size({"width": width, "height": 1000})
        page.wait_for_timeout(300)
        drawn = table.locator("table").first.bounding_box()["width"]
        assert drawn >= 0.9 * page.viewport_size["width"] - 40, (width, drawn)
        page.screenshot(path=str(artifacts / f"translate-nbest-fullscreen-{width}.png"))
    page.keyboard.press("Escape")
    page.set_viewport_size({"width": 1400, "height": 1000})


def test_the_retry_sits_under_its_warning_and_the_warning_changes_after_it(page, artifacts):
    page.get_by_text("Advanced", exact=True).locator("visible=true").first.click()
    page.locator("#translate-pack input").check()
    translate(page)
    warnings, retry = page.locator("#translate-warnings"), page.locator("#translate-retry")
    expect(retry).to_be_visible()
    expect(warnings).to_contain_text("translate them again sentence by sentence")
    expect(warnings).to_contain_text(f"Press {retry.inner_text()}, just below")
    gap = retry.bounding_box()["y"] - (warnings.bounding_box()["y"] + warnings.bounding_box()["height"])
    assert 0 <= gap < 40, gap  # next to the note that mentions it
    shots(page, page.locator("#translate-output").locator(COLUMN), artifacts, "translate-retry")
    retry.click()
    expect(page.locator("#translate-ran")).to_contain_text("translated again sentence by sentence", timeout=90_000)
    expect(retry).to_be_hidden()
    expect(warnings).not_to_contain_text("translate them again")  # no advice a retry can't follow
    expect(warnings).not_to_contain_text("Press")


def test_the_language_pair_filters_the_models_and_swaps(page, artifacts):
    model = page.get_by_label("Model").first
    expect(model).to_have_value(re.compile("^tiny-"))
    expect(page.get_by_label("From", exact=True).first).to_have_value("English")
    expect(page.get_by_label("To", exact=True).first).to_have_value("German")
    page.locator("#translate-swap").click()
    expect(page.get_by_label("From", exact=True).first).to_have_value("German")
    expect(page.get_by_label("To", exact=True).first).to_have_value("English")
    expect(model).to_have_value(re.compile("de-en"))  # the model for the swapped pair
    model.click()
    options = page.get_by_role("option").all_inner_texts()
    assert options and all("de-en" in option or "German → English" in option for option in options), options
    page.keyboard.press("Escape")
    shots(page, page.locator("#translate-languages").locator(COLUMN), artifacts, "translate-languages")
    page.locator("#translate-swap").click()
    expect(model).to_have_value(re.compile("en-de|tiny-"))
