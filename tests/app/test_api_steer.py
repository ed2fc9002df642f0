"""The /steer endpoint through gradio_client, as an API user calls it."""

from __future__ import annotations

import pytest
from gradio_client.exceptions import AppError

from translator.render.markup import esc

SENTENCE = "The house is big."


def steer(client, sentence=SENTENCE, prefix="", *, engine="transformers", beams=4):
    return client.predict(
        sentence=sentence,
        prefix=prefix,
        model="tiny-marian",
        precision="fp32",
        num_beams=beams,
        length_penalty=1.0,
        no_repeat_ngram_size=0,
        engine=engine,
        api_name="/steer",
    )


@pytest.mark.parametrize("engine", ["transformers", "ctranslate2"])
def test_steer_endpoint_gives_both_sentences_with_the_prefix_kept(client, engine):
    shown, ran, data = steer(client, prefix="the riv", engine=engine)
    assert data["steered"]["text"].startswith("the riv") and len(data["forced"]) >= 2
    assert data["engine"] == engine and data["precision"] == "fp32"
    assert len(data["forced_probs"]) == len(data["forced"])
    assert 'class="steer"' in shown and "Original" in shown and "Steered" in shown and engine in ran
    translated = client.predict(
        text=SENTENCE,
        model="tiny-marian",
        precision="fp32",
        num_beams=4,
        n_best=1,
        engine=engine,
        api_name="/translate",
    )[0]
    assert data["original"]["text"] == translated
    # an empty start changes nothing
    _, _, same = steer(client, prefix="", engine=engine)
    assert same["steered"]["text"] == translated and not same["changed"] and same["forced"] == []


def test_steer_endpoint_refuses_several_chunks_in_one_sentence(client):
    with pytest.raises(AppError, match="one sentence or one chunk at a time"):
        steer(client, sentence="The house is big. The river runs to the city. " * 40, prefix="the")


def test_the_steered_runs_beam_tree_is_drawn_with_the_steered_text_first(client):
    _, _, data = steer(client, prefix="the riv")
    tree = client.predict(api_name="/steer_tree")  # the session's last steered run
    assert "<svg" in tree and "were forced" in tree
    # the ranked table's first row: the tree's best hypothesis is the steered translation
    assert f"<td>1</td><td>{esc(data['steered']['text'])}</td>" in tree


def test_the_steer_endpoint_takes_no_state_of_the_page(client):
    # the tab's translation and its settings reach the view as states, never as API inputs
    api = client.view_api(print_info=False, return_format="dict")["named_endpoints"]["/steer"]
    assert [p["parameter_name"] for p in api["parameters"]] == [
        "sentence",
        "prefix",
        "model",
        "precision",
        "num_beams",
        "length_penalty",
        "no_repeat_ngram_size",
        "engine",
    ]
