"""The Translate tab's extras in a browser: engine and packing options, flag marks and the retry, the coverage
check, and a subtitle file translated and given back."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from screens import shots

pytestmark = pytest.mark.e2e

TEXT = "The house is big. The river runs to the city. The dog sees the car.\n\nParis is the capital of France."
SRT = "1\n00:00:01,000 --> 00:00:02,500\nThe house is big.\n\n2\n00:00:03,000 --> 00:00:04,250\nParis is far.\n"


def test_pack_flags_retry_coverage_and_a_file(page, artifacts, tmp_path):
    page.get_by_role("tab", name="Translate").click()
    model = page.get_by_label("Model").first
    model.click()
    page.get_by_role("option", name="tiny-marian").first.click()
    page.locator("#translate-input textarea").fill(TEXT)

    page.get_by_text("Advanced").first.click()
    slider = page.get_by_label("Max chunk tokens").first
    expect(slider).to_be_disabled()  # sentence by sentence: the size means nothing yet
    page.locator("#translate-pack input[type='checkbox']").check()
    expect(slider).to_be_enabled()
    engine = page.locator("#translate-engine input")
    engine.click()
    page.get_by_role("option", name="transformers").click()
    expect(engine).to_have_value("transformers")

    page.locator("#translate-button").click()
    viewer = page.locator("#translate-chunks .chunk-viewer")
    expect(viewer).to_contain_text("flagged as possibly missing part of the source", timeout=60_000)
    expect(viewer.locator(".chunk-table tbody tr")).to_have_count(2)  # packed: one chunk per paragraph
    expect(viewer).to_contain_text("⚑ fewer sentences than the source")
    expect(page.locator("#translate-warnings")).to_contain_text("may be missing part of their source")
    expect(page.locator("p").filter(has_text="engine choice: transformers")).to_be_visible()
    retry = page.locator("#translate-retry")
    expect(retry).to_be_visible()
    shots(page, page.locator("[role=tabpanel]").locator("visible=true").first, artifacts, "translate-packed-flags")

    retry.click()
    # what the retry did is information, under the run line; the warning no longer advises it
    expect(page.locator("#translate-ran")).to_contain_text("translated again sentence by sentence", timeout=60_000)
    expect(viewer.locator(".chunk-table tbody tr")).to_have_count(4)
    expect(retry).to_be_hidden()  # every chunk is one sentence now: nothing left to retry

    page.get_by_text("Coverage check").click()
    page.locator("#coverage-chunk input").fill("2")
    page.locator("#coverage-button").click()
    coverage = page.locator("#coverage-view .coverage")
    expect(coverage).to_contain_text("The river runs to the city.", timeout=60_000)
    expect(coverage).to_contain_text(re.compile(r"received almost no attention|Every source token"))

    source = tmp_path / "talk.srt"
    source.write_text(SRT, encoding="utf-8")
    page.locator("#translate-files").get_by_text("Translate a file").click()
    page.locator("#file-input input[type='file']").set_input_files(str(source))
    page.locator("#file-button").click()
    link = page.locator("#file-output a[href$='/talk.de.srt']")  # same base name, target language, same format
    expect(link).to_be_visible(timeout=60_000)
    expect(page.locator("#file-chunks .chunk-viewer")).to_contain_text("Paris is far.")
    with page.expect_download() as download:
        link.click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert "00:00:01,000 --> 00:00:02,500" in text and "00:00:03,000 --> 00:00:04,250" in text
    shots(page, page.locator("#translate-files"), artifacts, "translate-file")
