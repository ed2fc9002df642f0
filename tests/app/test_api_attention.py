"""The /attention endpoint through gradio_client, as an API user calls it."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from gradio_client.exceptions import AppError

SVG = "{http://www.w3.org/2000/svg}"


def attention(
    client,
    text="The cat sat on the mat.",
    *,
    mode="encoder",
    encoder_model="tiny-bert",
    translation_model="tiny-marian",
    text_pair="",
    beams=1,
    precision="fp32",
    view="head",
    kind="cross",
    layer=1,
    heads=(),
    pair="all",
    word_level=False,
    hide_special=False,
    min_weight=0.0,
):
    return client.predict(
        mode,
        encoder_model,
        translation_model,
        text,
        text_pair,
        beams,
        precision,
        view,
        kind,
        layer,
        list(heads),
        pair,
        word_level,
        hide_special,
        min_weight,
        api_name="/attention",
    )


def svg_of(html: str) -> ET.Element:
    root = ET.fromstring(html)
    svg = next(root.iter(f"{SVG}svg"))
    assert "<script" not in html
    return svg


def test_encoder_head_view_over_the_api(client):
    html, ran = attention(client, "the house is in the city", text_pair="it was built", heads=[2], pair="A->B")
    svg = svg_of(html)
    left = [g.find(f"{SVG}text").text for g in svg.iter(f"{SVG}g") if g.get("class") == "attn-q"]
    right = [t.text for g in svg.iter(f"{SVG}g") if g.get("class") == "attn-keys" for t in g]
    assert left == ["[CLS]", "the", "house", "is", "in", "the", "city", "[SEP]"]
    assert right == ["it", "was", "built", "[SEP]"]
    assert len(list(svg.iter(f"{SVG}line"))) == len(left) * len(right)  # one head, min weight 0: every link
    assert "encoder self-attention · layer 1 · head 2" in html
    assert "tiny-bert" in ran and "fp32" in ran


def test_translation_alignment_over_the_api(client):
    html, ran = attention(
        client, "the house is in the city", mode="translation", view="alignment", layer=9, word_level=True
    )
    svg_of(html)
    assert "Generated translation (greedy)" in html
    assert "layer 2 · mean of all heads" in html  # layer 9 was fitted to the tiny model's two layers
    assert "tiny-marian" in ran


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"text": "  "}, "empty"),
        ({"encoder_model": "tiny-marian"}, "list"),  # gradio checks the dropdown; registry_key checks again
        ({"mode": "sideways"}, "sideways"),
        ({"view": "alignment"}, "translation"),
        ({"pair": "A->B"}, "second text"),
        ({"mode": "translation", "beams": 99}, "maximum"),
    ],
)
def test_bad_attention_requests_get_one_sentence(client, kwargs, message):
    with pytest.raises(AppError, match=message):
        attention(client, **kwargs)


def test_the_redraw_and_export_events_are_not_public(client):
    endpoints = set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
    assert "/attention" in endpoints
    assert not {"/attention_view", "/attention_export"} & endpoints
