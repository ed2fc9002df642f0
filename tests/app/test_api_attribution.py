"""The /attribute endpoint through gradio_client, as an API user calls it."""

from __future__ import annotations

import numpy as np
import pytest
from gradio_client.exceptions import AppError


def attribute(
    client,
    source="the house by the river was built",
    *,
    mode="translation",
    translation_model="tiny-marian",
    qa_model="tiny-qa",
    target="",
    question="",
    context="",
    method="integrated_gradients",
    steps=8,
    word_level=False,
    hide_special=False,
    precision="fp32",
):
    return client.predict(
        mode,
        translation_model,
        qa_model,
        source,
        target,
        question,
        context,
        method,
        steps,
        word_level,
        hide_special,
        precision,
        api_name="/attribute",
    )


def test_translation_attribution_over_the_api(client):
    html, ran, numbers = attribute(client, target="das haus ist in der stadt")
    assert "integrated gradients" in html and "<script" not in html and "`tiny-marian`" in ran
    scores = np.array(numbers["scores"])
    assert scores.shape == (len(numbers["rows"]), len(numbers["columns"]))
    assert numbers["rows"][-1] == "</s>" and numbers["convergence_delta"] < 1e-2
    assert len(numbers["rank_correlation"]) == len(numbers["rows"])


def test_qa_attribution_over_the_api(client):
    html, _, numbers = attribute(
        client, mode="qa", question="where is the tower", context="the tower is in paris .", word_level=True
    )
    assert "start + end logits" in html
    assert numbers["kind"] == "qa" and numbers["attention"] is None and "tower" in numbers["columns"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"steps": 500}, "greater than maximum value 128"),  # gradio checks the slider first
        ({"precision": "4bit"}, "Gradients need fp32 or bf16 weights"),
        ({"source": ""}, "source text is empty"),
        ({"translation_model": "nope"}, "not in the list of choices"),
    ],
)
def test_bad_requests_get_one_sentence(client, kwargs, message):
    with pytest.raises(AppError, match=message):
        attribute(client, **kwargs)


def test_the_endpoint_names_its_outputs_and_types_its_numbers(client):
    api = client.view_api(print_info=False, return_format="dict")["named_endpoints"]["/attribute"]
    assert [r["label"] for r in api["returns"]] == ["Explain view", "What ran", "Attribution numbers"]
    parameters = {p["parameter_name"]: p for p in api["parameters"]}
    assert parameters["steps"]["python_type"]["type"] == "int"
    assert all(parameters[name]["parameter_default"] == "" for name in ("target", "question", "context"))
