from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_attention_tab_draws_a_head_view_and_a_model_view(page, artifacts):
    page.get_by_role("tab", name="Attention").click()
    page.locator("#attention-text textarea").fill("The cat sat on the mat because it was tired.")
    page.locator("#attention-text-pair textarea").fill("It fell asleep there.")
    page.locator("#attention-button").click()  # the bundled MiniLM is the default model

    head_view = page.locator("#attention-view svg.attn-head")
    expect(head_view).to_be_visible(timeout=60_000)
    expect(head_view.locator("g.attn-q")).to_have_count(19)  # [CLS] + 11 + [SEP] + 5 + [SEP] MiniLM pieces
    assert head_view.locator("line").count() > 0
    expect(page.locator("#attention-layer input[type='number']")).to_have_value("1")
    head_boxes = page.locator("#attention-heads input[type='checkbox']")
    expect(head_boxes).to_have_count(12)  # MiniLM's heads, drawn by gradio's own check boxes
    page.locator("#attention-heads").get_by_label("3", exact=True).check()
    expect(page.locator("#attention-view")).to_contain_text("layer 1 · head 3")
    page.locator("#attention-heads").get_by_label("3", exact=True).uncheck()
    expect(page.locator("#attention-view")).to_contain_text("layer 1 · all heads")
    head_view.locator("g.attn-q text").nth(2).hover()  # CSS-only focus on one token's links ("cat")
    page.locator("#attention-view").screenshot(path=str(artifacts / "attention-head-view.png"))

    page.locator("#attention-view-choice").get_by_label("Model view", exact=True).check()
    model_view = page.locator("#attention-view svg image")  # matplotlib embeds the thumbnail mosaic
    expect(model_view).to_be_visible(timeout=30_000)
    expect(page.locator("#attention-view")).to_contain_text("every layer × head")
    expect(page.locator("#attention-view svg.attn-head")).to_have_count(0)
    page.locator("#attention-view").screenshot(path=str(artifacts / "attention-model-view.png"))

    page.locator("#attention-export").click()
    files = page.locator("#attention-files")
    for name, extension in (("attention-model", "png"), ("attention-model", "svg"), ("attention-arrays", "npz")):
        expect(files).to_contain_text(re.compile(rf"{name}\s*\.{extension}"), timeout=30_000)
    page.screenshot(path=str(artifacts / "attention-tab.png"), full_page=True)


def test_translation_mode_shows_cross_attention_on_the_generated_text(page, artifacts):
    page.get_by_role("tab", name="Attention").click()
    page.locator("#attention-mode").get_by_label("Translation", exact=False).check()
    expect(page.locator("#attention-text-pair")).to_be_hidden()
    expect(page.locator("#attention-text-pair-count")).to_be_hidden()  # its counter goes with it
    picker = page.locator("#attention-translation-model").get_by_role("combobox", name="Model")
    picker.click()
    page.get_by_role("option", name="tiny-marian").first.click()
    page.locator("#attention-text textarea").fill("the house is in the city")
    page.locator("#attention-button").click()

    view = page.locator("#attention-view")
    expect(view.locator("svg.attn-head")).to_be_visible(timeout=60_000)
    expect(view).to_contain_text("Generated translation (greedy)")
    expect(view).to_contain_text("cross-attention (target → source)")
    expect(view.locator("g.attn-q").first).to_contain_text("<pad>")  # the decoder start token is row 0
    page.get_by_label("Alignment (translation)").check()
    expect(view).to_contain_text("hard alignment", timeout=30_000)
    view.screenshot(path=str(artifacts / "attention-alignment.png"))
