"""Guards for ui/gradio_patches.py: each test fails when gradio changes a thing the app relies on or overrides,
so a gradio upgrade breaks here, in one plain sentence, rather than quietly in the app."""

from __future__ import annotations

import inspect
import logging
import re
from pathlib import Path

import gradio as gr
import pytest
from gradio.state_holder import SessionState
from threaded_loop import run_coroutine

from ui.gradio_patches import (
    GRADIO_CSS,
    PROGRESS_POLL_SECONDS,
    QUEUE_POLL_SECONDS,
    THEME,
    HeadBoxes,
    Studio,
    page_load,
)


def test_the_queue_polls_calmly_while_idle():
    plain = gr.Blocks().queue()._queue
    # the attributes Studio changes are gradio's own (a gradio that renamed them would be left polling at 1 ms)
    assert {"sleep_when_free", "progress_update_sleep_when_free"} <= set(vars(plain))
    calm = Studio().queue(max_size=3)._queue
    assert (calm.sleep_when_free, calm.progress_update_sleep_when_free) == (QUEUE_POLL_SECONDS, PROGRESS_POLL_SECONDS)
    assert calm.max_size == 3  # the caller's settings still apply


def test_preprocess_data_has_the_signature_studio_overrides():
    assert inspect.iscoroutinefunction(gr.Blocks.preprocess_data)
    parameters = list(inspect.signature(gr.Blocks.preprocess_data).parameters)
    assert parameters[:5] == ["self", "block_fn", "inputs", "state", "explicit_call"]


def preprocessed(component: gr.components.Component, value: object) -> object:
    """``value`` through Studio's preprocess_data for one event whose only input is ``component``."""
    with Studio() as blocks:
        component.render()
        gr.Button().click(lambda value: value, component, None, api_name="echo")
    block_fn = blocks.fns[0]  # gradio's registry of events: the one event above
    return run_coroutine(blocks.preprocess_data(block_fn, [value], SessionState(blocks)))


def test_a_value_outside_the_choices_is_one_log_line_and_gradios_message(caplog):
    with caplog.at_level(logging.WARNING, logger="app"), pytest.raises(gr.Error) as refused:
        preprocessed(gr.Radio(["a", "b"]), "paragraphs")
    assert "paragraphs" in refused.value.message and not refused.value.print_exception  # no traceback printed
    assert [r.getMessage() for r in caplog.records] == [f"rejected a request to echo: {refused.value.message}"]
    assert preprocessed(gr.Radio(["a", "b"]), "a") == ["a"]


def test_a_value_of_the_wrong_type_is_one_sentence(caplog):
    with caplog.at_level(logging.WARNING, logger="app"), pytest.raises(gr.Error) as refused:
        preprocessed(gr.Slider(0, 10), "ten")
    # gradio's ComponentProcessingError, whose second paragraph says what was expected and what came
    assert "ten" in refused.value.message and "\n" not in refused.value.message
    assert not refused.value.print_exception and len(caplog.records) == 1


def test_head_boxes_are_drawn_by_gradios_check_boxes_and_typed_as_integers():
    # gradio names a subclass's front-end component after the class: without the override, no such component
    assert gr.CheckboxGroup.get_block_name(HeadBoxes([1])) == "headboxes"
    assert HeadBoxes([1, 2]).get_block_name() == gr.CheckboxGroup([1]).get_block_name() == "checkboxgroup"
    # api_info has the "items" HeadBoxes replaces
    assert "items" in gr.CheckboxGroup([1, 2]).api_info()
    assert HeadBoxes([1, 2]).api_info()["items"] == {"type": "integer", "minimum": 1}


def test_page_load_is_the_load_event_of_the_blocks_being_built():
    with gr.Blocks() as blocks, gr.Row(), gr.Column():
        inner = page_load()
    assert inner == blocks.load


def frontend() -> Path:
    return Path(gr.__file__).parent / "templates" / "frontend"


def test_the_theme_takes_a_complete_bold_font_that_gradio_serves():
    from fontTools.ttLib import TTFont

    fonts = frontend() / "static" / "fonts" / "SourceSansPro"
    letters = {ord(c) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"}
    assert letters <= set(TTFont(fonts / "SourceSansPro-Bold.woff2").getBestCmap())
    # the reason for the patch: once gradio's semibold file holds every letter, THEME can go back to gradio's default
    assert not letters <= set(TTFont(fonts / "SourceSansPro-SemiBold.woff2").getBestCmap())
    faces = THEME._get_theme_css()
    assert "SourceSansPro-Bold.woff2" in faces and "SourceSansPro-SemiBold" not in faces


def test_the_classes_gradio_css_restyles_are_gradios_own():
    bundle = "".join(path.read_text(encoding="utf-8") for path in (frontend() / "assets").glob("*.css"))
    for selector in re.findall(r"\.([a-z-]+)", GRADIO_CSS):
        assert f".{selector}." in bundle or f".{selector}:" in bundle or f".{selector}{{" in bundle, selector
