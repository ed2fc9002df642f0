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
    made_with = view.translated_with(result, "beam", *SETTINGS.values(), engine)
    chunk = result.chunks[1]
    _, _, data, _ = continued(chunk.source, result, made_with, engine=engine)
    assert steered[-1] is chunk.hypotheses[0]
    assert data["original"]["text"] == chunk.best and not data["changed"]  # an empty start changes nothing
    # an edited sentence, other settings, a sampled translation or none: the original is decoded again
    continued(chunk.source + " Again.", result, made_with, engine=engine)
    continued(chunk.source, result, made_with, engine=engine, length_penalty=1.5)
    continued(chunk.source, result, view.translated_with(result, "sampling", *SETTINGS.values(), engine))
    continued(chunk.source, None, None, engine=engine)
    assert steered[1:] == [None] * 4


def test_a_translation_whose_beams_no_longer_match_the_controls_is_no_original(tiny):
    result = translate("The house is big.", engine="transformers", **SETTINGS)
    moved = {**SETTINGS, "num_beams": 3}
    assert view.translated_with(result, "beam", *moved.values(), "transformers") is None
    assert view.translated_with(None, "beam", *SETTINGS.values(), "transformers") is None
