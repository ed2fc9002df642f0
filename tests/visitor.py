"""What a visitor does in the browser tests, done so that the test waits as a visitor would."""

from __future__ import annotations

import re

from playwright.sync_api import expect


def use_example(page, opening: str, textbox: str) -> None:
    """Click the visible example row that starts with ``opening`` and wait until it has filled ``textbox`` (an
    elem_id selector). gradio loads an example with a call to the server: a button pressed before that call
    returns runs on the inputs from before the example."""
    page.get_by_text(opening).locator("visible=true").first.click()
    expect(page.locator(f"{textbox} textarea")).to_have_value(re.compile("^" + re.escape(opening)))


def fill_drawn(box, text: str) -> None:
    """Type ``text`` into ``box`` (a textarea locator) once it is drawn, and wait until it holds it: an accordion
    just opened draws its contents after the click, and a box filled before that loses the text (a Compare run
    went out without its reference that way)."""
    expect(box).to_be_visible()
    box.fill(text)
    expect(box).to_have_value(text)
