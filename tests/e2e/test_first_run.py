"""A new user's first visit, in the browser: honest defaults offline, counters instead of silent cuts, controls
that offer only what works, and a status line that follows the runs (tables: test_tables_and_errors.py)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from screens import shots
from servers import launch_app, stop
from visitor import use_example

pytestmark = pytest.mark.e2e

SENTENCES = "The museum was built in the last century. It stands by the river. Many people visit it every year. "


def visible(page, selector: str):
    return page.locator(selector).locator("visible=true").first


def test_translate_starts_on_a_model_that_runs_and_counts_characters_instead_of_cutting(page, artifacts):
    model = page.get_by_label("Model").first
    expect(model).to_have_value(re.compile("^tiny-"))  # not the uncached opus-mt-en-de
    long_text = (SENTENCES * 300)[:20_005]
    page.locator("#translate-input textarea").fill(long_text)
    assert len(page.locator("#translate-input textarea").input_value()) == 20_005  # kept whole in the box
    expect(page.locator("#translate-input-count")).to_contain_text("20,005 / 20,000 characters: 5 over the limit")
    page.locator("#translate-button").click()
    expect(page.get_by_text("the limit is 20,000", exact=False).first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("`")).to_have_count(0)  # the toast is plain text
    page.screenshot(path=str(artifacts / "first-run-over-limit.png"))


def test_n_best_cannot_exceed_the_beams(page):
    beams = page.locator("#translate-beams input[type='number']")
    beams.fill("2")
    beams.press("Enter")
    n_best = page.get_by_label("Translations per chunk (n-best)").locator("visible=true").first
    expect(n_best).to_have_attribute("max", "2")


def test_status_line_follows_runs_and_lists_each_model_once(page):
    status = page.locator("#status-line")
    expect(status).to_contain_text("Hub: not used (offline mode)")
    page.get_by_role("tab", name="Chunks").click()
    page.locator("#chunks-input textarea").fill("One sentence here. Another one there.")
    page.locator("#chunks-button").click()
    expect(page.locator("#chunks-viewer .chunk-viewer")).to_be_visible(timeout=60_000)
    page.get_by_role("tab", name="Summarize").click()
    page.locator("#summarize-input textarea").fill(SENTENCES * 2)
    page.locator("#summarize-button").click()
    expect(page.locator("#summarize-output textarea")).not_to_have_value("", timeout=90_000)
    expect(status).not_to_contain_text("none yet", timeout=30_000)
    loaded = status.inner_text().split("loaded models:")[1]
    keys = re.findall(r"([\w.-]+) \(", loaded)
    assert keys and len(keys) == len(set(keys)), loaded


def test_chunks_stride_is_off_in_sentences_mode(page):
    page.get_by_role("tab", name="Chunks").click()
    use_example(page, "Windows slide over the text", "#chunks-input")
    stride = page.get_by_label("Stride (overlap tokens, windows mode)").locator("visible=true").first
    expect(stride).to_have_value("8")
    page.get_by_label("sentences", exact=True).check()
    expect(stride).to_have_value("0")
    expect(stride).to_be_disabled()
    page.locator("#chunks-button").click()
    expect(page.locator("#chunks-viewer .chunk-viewer")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("stride applies")).to_have_count(0)


def test_attention_offers_only_its_modes_views_and_hides_empty_downloads(page, artifacts):
    page.get_by_role("tab", name="Attention").click()
    views = page.locator("#attention-view-choice")
    expect(views).to_be_visible()
    expect(views.get_by_label("Alignment (translation)")).to_have_count(0)
    expect(page.locator("#attention-files")).to_have_count(0)  # hidden until an export exists
    page.locator("#attention-text textarea").fill("The animal didn't cross the street.")
    page.locator("#attention-button").click()
    expect(page.locator("#attention-view svg").first).to_be_visible(timeout=90_000)
    # the run line above the view is drawn a moment later and moves the export button down: click after it
    expect(page.locator("#attention-ran")).to_contain_text("time:")
    page.locator("#attention-export").click()
    expect(page.locator("#attention-files")).to_be_visible(timeout=60_000)
    page.locator("#attention-button").click()  # a new run clears the last export
    expect(page.locator("#attention-files")).to_have_count(0, timeout=60_000)
    svg = page.locator("#attention-view svg").first.bounding_box()
    panel = page.locator("#attention-view").bounding_box()
    assert svg["width"] > 0.5 * panel["width"]
    page.locator("#attention-mode").get_by_text("Translation: generate, then look").click()
    expect(views.get_by_label("Alignment (translation)")).to_have_count(1)
    page.locator("#attention-mode").get_by_text("Encoder: one text or a sentence pair").click()
    expect(views.get_by_label("Alignment (translation)")).to_have_count(0)
    page.screenshot(path=str(artifacts / "first-run-attention.png"), full_page=True)


@pytest.fixture(scope="module")
def no_translator_url(tmp_path_factory):
    """The app offline with nothing that translates: the default registry's hub models are not cached."""
    log = tmp_path_factory.mktemp("bare") / "app.log"
    process, url = launch_app(["--offline"], log_path=log, fork=False)  # started as a user starts it
    yield url
    stop(process)


@pytest.mark.slow
def test_without_a_runnable_translator_translate_says_so_and_its_examples_fire_no_error(
    browser, no_translator_url, artifacts
):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(no_translator_url)
    panel = page.locator("#translation-no-model")
    expect(panel).to_contain_text("No translation model can run on this machine yet")
    expect(panel).to_contain_text(".venv/bin/python -m translator download")
    expect(panel).to_contain_text("--registry")
    expect(page.locator("#translate-button")).to_be_disabled()
    use_example(page, "The museum was built", "#translate-input")
    # the counter is the last of the example's events: once it has counted the example, an error from any of them
    # is on the page
    example = page.locator("#translate-input textarea").input_value()
    expect(page.locator("#translate-input-count")).to_contain_text(f"{len(example):,} / 20,000 characters")
    expect(page.get_by_text("Error")).to_have_count(0)
    page.screenshot(path=str(artifacts / "first-run-no-translator.png"))
    # Attention's translation mode is off up front too, with the reason, rather than failing on click
    page.get_by_role("tab", name="Attention").click()
    mode = page.locator("#attention-mode")
    expect(mode.get_by_label("Translation: generate, then look at the generated text")).to_be_disabled()
    expect(mode).to_contain_text("Translation mode needs a translation model, and none can run here")
    example = page.get_by_role("gridcell", name="Translation: generate, then look at the generated text")
    expect(example).to_have_count(0)  # nor an example in that mode
    shots(page, mode, artifacts, "first-run-no-translator-attention")
    context.close()


def test_every_part_of_the_page_loads(page):
    """A component gradio cannot draw is left out of the page without a word; its failed request is the trace."""
    failed: list[str] = []

    def record_failure(response) -> None:
        if response.status >= 400:
            failed.append(f"{response.status} {response.url}")

    def record_console_error(message) -> None:
        if message.type == "error":
            failed.append(message.text)

    page.on("response", record_failure)
    page.on("console", record_console_error)
    try:
        page.reload()
        expect(page.locator("#status-line")).to_contain_text("Hub:")
        for tab in ("Translate", "Question answering", "Summarize", "Chunks", "Attention"):
            page.get_by_role("tab", name=tab).click()
        expect(page.locator("#attention-layer")).to_be_visible()
    finally:
        page.remove_listener("response", record_failure)
        page.remove_listener("console", record_console_error)
    assert failed == []
    expect(page.locator("#attention-heads input[type='checkbox']").first).to_be_attached()
