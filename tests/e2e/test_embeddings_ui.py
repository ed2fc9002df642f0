from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from screens import WIDTHS, shots
from visitor import use_example

pytestmark = pytest.mark.e2e


def test_the_bank_example_on_minilm_then_another_layer_and_the_export(page, artifacts):
    page.get_by_role("tab", name="Embeddings").click()
    use_example(page, "He sat on the bank", "#embeddings-texts")
    expect(page.locator("#embeddings-word input, #embeddings-word textarea").first).to_have_value("bank")
    page.locator("#embeddings-button").click()  # the bundled MiniLM is the default model

    word_view = page.locator("#embeddings-word-view")
    expect(word_view.locator("svg")).to_be_visible(timeout=60_000)
    expect(word_view).to_contain_text("“bank”: every two occurrences")
    expect(page.locator("#embeddings-ran")).to_contain_text("minilm-offline")
    expect(page.locator("#embeddings-ran")).to_contain_text("layers: 6")
    expect(page.locator("#embeddings-heatmap")).to_contain_text("layer 6")
    expect(page.locator("#embeddings-sentence-view")).to_contain_text("[CLS] (dashed)")
    expect(page.locator("#embeddings-layer input[type='range']")).to_have_attribute("max", "6")

    number = page.locator("#embeddings-layer input[type='number']")
    number.fill("2")
    number.press("Enter")
    expect(page.locator("#embeddings-heatmap")).to_contain_text("layer 2", timeout=30_000)
    expect(page.locator("#embeddings-map")).to_contain_text("tokens at layer 2")
    expect(page.get_by_text("Something went wrong")).to_have_count(0)

    tab = page.locator("[role=tabpanel]").locator("visible=true").first
    shots(page, tab, artifacts, "embeddings-tab")
    for width in WIDTHS:  # the line plots and the map fit the panel; the page never scrolls sideways
        page.set_viewport_size({"width": width, "height": 1000})
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, (width, overflow)
        box = word_view.locator("svg").bounding_box()
        assert box is not None and box["width"] <= width
    page.set_viewport_size({"width": WIDTHS[0], "height": 1000})
    shots(page, page.locator("#embeddings-map"), artifacts, "embeddings-map")

    page.locator("#embeddings-export").click()
    files = page.locator("#embeddings-files")
    for name in ("embeddings-word-pairs.png", "embeddings-token-map.svg", "embeddings-views.json"):
        stem, extension = name.rsplit(".", 1)
        expect(files).to_contain_text(re.compile(rf"{stem}\s*\.{extension}"), timeout=30_000)
    expect(files).to_contain_text(re.compile(r"embeddings-arrays\s*\.npz"))


def test_a_word_in_one_text_is_one_sentence(page):
    page.get_by_role("tab", name="Embeddings").click()
    page.locator("#embeddings-texts textarea").fill("The cat sat on the mat.\nThe dog slept.")
    page.locator("#embeddings-word input, #embeddings-word textarea").first.fill("cat")
    page.locator("#embeddings-button").click()
    expect(page.get_by_text("“cat” must be in at least two texts to compare, and text 2 lacks it.")).to_be_visible(
        timeout=60_000
    )
