from __future__ import annotations

import json
from pathlib import Path

import pytest

from translator.core.errors import InputError, ModelUnavailableError
from translator.core.registry import BERT2BERT_RECIPE, OFFLINE_MINILM, Registry, default_specs, read_registry_file


def test_defaults_are_the_real_checkpoints():
    hub_ids = {spec.hub_id for spec in default_specs()}
    for hub_id in (
        "Helsinki-NLP/opus-mt-en-de",
        "Helsinki-NLP/opus-mt-de-en",
        "google/bert2bert_L-24_wmt_de_en",
        "google/bert2bert_L-24_wmt_en_de",
        "distilbert/distilbert-base-cased-distilled-squad",
        "deepset/roberta-base-squad2",
        "google-bert/bert-base-uncased",
        "sentence-transformers/all-MiniLM-L6-v2",
    ):
        assert hub_id in hub_ids
    registry = Registry(default_specs())
    assert registry.get("bert2bert-de-en").recipe == BERT2BERT_RECIPE
    bundled = registry.get(OFFLINE_MINILM)
    assert (Path(bundled.path) / "model.safetensors").is_file()
    assert OFFLINE_MINILM in registry.keys("embeddings")
    assert "opus-mt-en-de" in registry.keys("translation") and "opus-mt-en-de" not in registry.keys("qa")


def test_unknown_key_names_the_choices():
    with pytest.raises(ModelUnavailableError, match="Unknown model 'nope'.*opus-mt-en-de"):
        Registry(default_specs()).get("nope")


def test_toml_file_adds_entries_with_relative_paths(tmp_path):
    (tmp_path / "models" / "mine").mkdir(parents=True)
    file = tmp_path / "extra.toml"
    file.write_text(
        '[models.mine]\npath = "models/mine"\ntasks = ["translation"]\nlanguages = ["en", "fr"]\n'
        'recipe = "bert2bert"\n',
        encoding="utf-8",
    )
    (spec,) = read_registry_file(file)
    assert spec.path == str((tmp_path / "models" / "mine").resolve())
    assert spec.languages == ("en", "fr") and spec.recipe == BERT2BERT_RECIPE


def test_json_file_and_bad_entries(tmp_path):
    good = tmp_path / "extra.json"
    good.write_text(
        json.dumps({"models": {"x": {"hub_id": "org/x", "tasks": ["qa"], "recipe": {"add_special_tokens": False}}}})
    )
    (spec,) = read_registry_file(good)
    assert spec.hub_id == "org/x" and spec.recipe.add_special_tokens is False
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"models": {"y": {"tasks": ["qa"]}}}))
    with pytest.raises(InputError, match="needs a hub_id or a path"):
        read_registry_file(bad)
    with pytest.raises(InputError, match="Can't read the registry file"):
        read_registry_file(tmp_path / "missing.toml")
