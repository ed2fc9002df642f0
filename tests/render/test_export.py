"""export_view writes the view on screen and the raw arrays; old export folders are cleaned up."""

from __future__ import annotations

import json
import os
import time

import numpy as np
from attention_helpers import encoder_result, translation_result
from PIL import Image

from translator.render.export import export_folder, export_view
from translator.tasks.attention.results import AttentionOptions


def test_an_export_writes_the_view_and_the_arrays(tmp_path):
    result = encoder_result(["[CLS]", "a", "b", "[SEP]"])
    paths = export_view(result, AttentionOptions(view="heatmap", heads=(2,)), folder=tmp_path)
    assert [p.name for p in paths] == [
        "attention-heatmap.svg",
        "attention-heatmap.png",
        "attention-heatmap.json",
        "attention-arrays.npz",
    ]
    assert all(p.parent == tmp_path and p.stat().st_size > 0 for p in paths)
    assert paths[0].read_text().lstrip().startswith("<?xml") and Image.open(paths[1]).format == "PNG"
    np.testing.assert_allclose(json.loads(paths[2].read_text())["weights"], result.attentions[0, 1], atol=1e-6)
    with np.load(paths[3]) as arrays:
        np.testing.assert_array_equal(arrays["attentions"], result.attentions)
        assert list(arrays["tokens"]) == result.tokens


def test_a_translation_export_names_its_view(tmp_path):
    paths = export_view(translation_result(), AttentionOptions(view="alignment"), folder=tmp_path)
    assert {p.name for p in paths} >= {"attention-alignment.png", "attention-arrays.npz"}


def test_each_export_gets_a_fresh_folder_and_old_ones_go(tmp_path):
    old = export_folder(tmp_path, keep_seconds=60)
    (old / "attention-arrays.npz").write_bytes(b"x")
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    recent = export_folder(tmp_path, keep_seconds=60)
    newest = export_folder(tmp_path, keep_seconds=60)
    assert not old.exists() and recent.is_dir() and newest.is_dir() and recent != newest
