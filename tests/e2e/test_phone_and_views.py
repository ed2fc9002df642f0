"""Phones (400 px): nothing wider than the screen except inside a scroll container, in every view the issue named
(Chunks table, Compare tables and signature, head view, export file names); the Attention tab's translation mode;
and the small things: availability lines, the elbow chart, fonts, accordion titles."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from screens import overflowing, shots
from visitor import fill_drawn, use_example

pytestmark = pytest.mark.e2e

PHONE = {"width": 400, "height": 1000}
WIDE = {"width": 1400, "height": 1000}
TEXT = "The house is big. The river runs to the city.\n\nParis is the capital of France."
REFERENCE = "Das Haus ist groß. Der Fluss fließt zur Stadt.\n\nParis ist die Hauptstadt von Frankreich."


def on_a_phone(page) -> list[str]:
    """What is wider than a 400 px screen once the page has laid itself out again; the page goes back to 1400 px."""
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(500)
    found = overflowing(page)
    page.set_viewport_size(WIDE)
    return found


def test_on_a_phone_nothing_is_wider_than_the_screen_outside_a_scroll_box(page, artifacts):
    page.locator("#translate-input textarea").fill(TEXT)
    page.locator("#translate-button").click()
    expect(page.locator("#translate-ran")).to_contain_text("time:", timeout=90_000)
    page.locator("#compare-view").get_by_text("Compare: the text above").click()
    fill_drawn(page.locator("#compare-reference textarea"), REFERENCE)
    page.locator("#compare-button").click()
    expect(page.locator("#compare-output")).to_contain_text("sacreBLEU signature", timeout=90_000)
    assert on_a_phone(page) == []
    shots(page, page.locator("#compare-output"), artifacts, "phone-compare")

    page.get_by_role("tab", name="Chunks").click()
    expect(page.locator("#chunks-input").locator("xpath=..")).to_be_visible()
    # the tokenizer dropdown has its availability line, as every other model dropdown
    expect(
        page.get_by_text(re.compile(r"^✔ .*: (local files|in the local cache)")).locator("visible=true")
    ).to_have_count(1)
    use_example(page, "Short sentences pack together", "#chunks-input")  # holds a 90-letter word
    page.locator("#chunks-button").click()
    expect(page.locator("#chunks-viewer .chunk-table")).to_be_visible(timeout=60_000)
    assert on_a_phone(page) == []
    shots(page, page.locator("#chunks-viewer"), artifacts, "phone-chunks")

    page.get_by_role("tab", name="Attention").click()
    use_example(page, "The animal didn't cross", "#attention-text")
    page.locator("#attention-button").click()
    expect(page.locator("#attention-ran")).to_contain_text("time:", timeout=90_000)
    page.locator("#attention-export").click()
    expect(page.locator("#attention-files .file-preview")).to_be_visible(timeout=60_000)
    assert on_a_phone(page) == []
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(500)
    # the head view scrolls rather than shrinking its labels to 6 px; file names are shown whole
    heights = page.locator("#attention-view svg text").evaluate_all(
        "texts => texts.map(t => t.getBoundingClientRect().height)"
    )
    assert min(heights) >= 9, min(heights)
    names = page.locator("#attention-files .filename").evaluate_all(
        "cells => cells.map(c => [c.textContent.trim(), c.scrollWidth <= c.clientWidth + 1, "
        "c.querySelector('.stem').getBoundingClientRect().width])"
    )
    assert names and all(whole and width > 40 for _, whole, width in names), names
    page.set_viewport_size(WIDE)
    shots(page, page.locator("#attention-view"), artifacts, "phone-head-view")
    shots(page, page.locator("#attention-files"), artifacts, "phone-export-files")


def test_attention_translation_mode_rollout_and_the_pair_filter(page, artifacts):
    page.get_by_role("tab", name="Attention").click()
    mode = page.locator("#attention-mode")
    expect(mode.get_by_label("Translation: generate, then look at the generated text")).to_be_enabled()
    mode.get_by_text("Translation: generate, then look").click()
    page.locator("#attention-text textarea").fill("The house is big.")
    page.locator("#attention-button").click()
    expect(page.locator("#attention-ran")).to_contain_text("time:", timeout=90_000)
    kinds = page.get_by_label("Cross-attention", exact=True).locator("visible=true")
    expect(kinds).to_be_checked()
    page.locator("#attention-view-choice").get_by_text("Rollout").click()
    # rollout has no cross-attention: the kind moves to the encoder's, and the view draws without an error
    expect(page.get_by_label("Encoder self-attention", exact=True).locator("visible=true")).to_be_checked()
    expect(page.get_by_label("Cross-attention", exact=True).locator("visible=true")).to_have_count(0)
    expect(page.locator("#attention-view")).to_contain_text("rollout", timeout=30_000)
    expect(page.get_by_text("Error")).to_have_count(0)
    shots(page, page.locator("#attention-view"), artifacts, "attention-translation-rollout")

    mode.get_by_text("Encoder: one text or a sentence pair").click()
    page.locator("#attention-text textarea").fill("The cat sat on the mat.")
    page.locator("#attention-text-pair textarea").fill("It slept.")
    pair = page.get_by_label("A->B", exact=True)
    pair.check()
    page.locator("#attention-text-pair textarea").fill("")
    expect(page.get_by_label("all", exact=True)).to_be_checked()  # no sentence B, no pair to filter


def test_small_things_fonts_titles_and_the_elbow_chart(page, artifacts):
    # every semibold text in one complete font: gradio's semibold file (55 glyphs) is not used
    weights = page.evaluate(
        "() => [...document.fonts].filter(f => f.family.includes('Source Sans')).map(f => f.weight)"
    )
    assert weights and "600" not in weights, weights
    shots(page, page.locator("h1").first, artifacts, "title-font")
    # accordion titles that wrap read from the left
    title = page.locator(".label-wrap").locator("visible=true").first
    assert title.evaluate("t => getComputedStyle(t).textAlign") in ("left", "start")
    page.get_by_role("tab", name="Summarize").click()
    use_example(page, "Extractive summarization picks", "#summarize-input")
    page.locator("#summarize-button").click()
    expect(page.locator("#summarize-output textarea")).not_to_have_value("", timeout=90_000)
    # the chart carries its title: no label badge sits on the curve's top-left point
    expect(page.locator("#summarize-elbow [data-testid=block-label]").locator("visible=true")).to_have_count(0)
    shots(page, page.locator("#summarize-elbow"), artifacts, "summarize-elbow")
