"""The Steer view's logic without a browser: the tab's translation is steer()'s original while it still is one."""

from __future__ import annotations

import pytest

import ui.steer_view as view
from translator import translate

SETTINGS = dict(model="tiny-marian", precision="fp32", num_beams=2, length_penalty=1.0, no_repeat_ngram_size=0)
TEXT = "The house is big. The river runs to the city."


@pytest.fixture
def steered(tiny, monkeypatch):
    """The ``original`` each steer() call of the view got."""
    got = []
    steer = view.translator.steer

    def spy(*args, **kwargs):
        got.append(kwargs["original"])
        return steer(*args, **kwargs)

    monkeypatch.setattr(view.translator, "steer", spy)
    return got


def continued(sentence: str, translation, made_with, **changes):
    settings = {**SETTINGS, "engine": "transformers", **changes}
    return view.continue_from_here(sentence, "", picked=None, translation=translation, made_with=made_with, **settings)


@pytest.mark.parametrize("engine", ["transformers", "ctranslate2"])
def test_a_chunk_of_the_tabs_translation_is_steered_with_its_shown_translation(steered, engine):
    result = translate(TEXT, engine=engine, **SETTINGS)
    made_with = view.translated_with(result, *SETTINGS.values(), engine)
    chunk = result.chunks[1]
    _, _, data, _ = continued(chunk.source, result, made_with, engine=engine)
    assert steered[-1] is chunk.hypotheses[0]
    assert data["original"]["text"] == chunk.best and not data["changed"]  # an empty start changes nothing
    # an edited sentence, other settings, a sampled translation or none: the original is decoded again
    continued(chunk.source + " Again.", result, made_with, engine=engine)
    continued(chunk.source, result, made_with, engine=engine, length_penalty=1.5)
    sampled = translate(TEXT, engine=engine, decoding="sampling", seed=1, **SETTINGS)
    continued(chunk.source, sampled, view.translated_with(sampled, *SETTINGS.values(), engine))
    continued(chunk.source, None, None, engine=engine)
    assert steered[1:] == [None] * 4


def test_the_settings_are_the_ones_the_translation_ran_with_whatever_the_controls_say_now(tiny):
    """A control moved while the translation ran: the result's own settings count, so a steer with the moved
    control (another search) gets no original, and one with the settings it ran with does."""
    result = translate("The house is big.", engine="transformers", **{**SETTINGS, "length_penalty": 1.5})
    moved = {**SETTINGS, "num_beams": 3}  # the controls as the result arrives: beams and length penalty moved
    made_with = view.translated_with(result, *moved.values(), "transformers")
    assert made_with == {**SETTINGS, "length_penalty": 1.5, "engine": "transformers"}
    assert view.shown_original(result, made_with, "The house is big.", {**moved, "engine": "transformers"}) is None
    ran = {**SETTINGS, "length_penalty": 1.5, "engine": "transformers"}
    assert view.shown_original(result, made_with, "The house is big.", ran) is result.chunks[0].hypotheses[0]
    assert view.translated_with(None, *SETTINGS.values(), "transformers") is None


def test_a_translation_records_the_decoding_it_ran_with(tiny):
    result = translate("The house is big.", engine="transformers", **{**SETTINGS, "no_repeat_ngram_size": 2})
    recorded = (result.decoding, result.num_beams, result.length_penalty, result.no_repeat_ngram_size)
    assert recorded == ("beam", 2, 1.0, 2)
    sampled = translate("The house is big.", engine="transformers", decoding="sampling", seed=3, model="tiny-marian")
    assert sampled.decoding == "sampling" and sampled.num_beams == 1
