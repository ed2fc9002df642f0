from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from translator import InputError, attend_translation, chunk_coverage, coverage, translate
from translator.render.coverage import LOW_STYLE, coverage_html
from translator.tasks.translation import coverage as coverage_module
from translator.tasks.translation.coverage import received_shares

SOURCE = "The house is big and the river runs to the city."
MODELS = ["tiny-marian", "tiny-bert2bert"]


def test_shares_leave_out_special_tokens_and_the_step_that_predicts_nothing():
    # (layers, heads, target, source): 3 decoder rows, 4 source tokens, the last one special (</s>)
    cross = np.zeros((1, 1, 3, 4), dtype=np.float32)
    cross[0, 0, 0] = [0.5, 0.0, 0.0, 0.5]
    cross[0, 0, 1] = [0.0, 0.5, 0.0, 0.5]
    cross[0, 0, 2] = [0.0, 0.0, 1.0, 0.0]  # the last row reads the final token: it predicts nothing
    shares = received_shares(cross, [False, False, False, True])
    assert shares.tolist() == pytest.approx([0.5, 0.5, 0.0])


@pytest.mark.parametrize("model", MODELS)
def test_every_source_token_has_a_share_and_its_characters(tiny, model):
    found = coverage(SOURCE, model=model, precision="fp32")
    assert len(found.tokens) == len(found.spans) == len(found.received) == len(found.low) > 0
    assert sum(found.received) == pytest.approx(1.0, abs=1e-5)
    for token, (a, b) in zip(found.tokens, found.spans, strict=True):
        assert SOURCE[a:b] == token.replace("\u2581", "").removeprefix("##")
    # the translation is the one the same generate path gives (greedy, as translate(num_beams=1))
    same = translate(SOURCE, model=model, num_beams=1, precision="fp32", engine="transformers")
    assert found.translation == same.chunks[0].hypotheses[0].text


def neglect(monkeypatch, word: str) -> None:
    """attend_translation as usual, but no decoder step looks at ``word``'s tokens (rows renormalized)."""

    def attend(source, **kwargs):
        result = attend_translation(source, **kwargs)
        start = source.index(word)
        tokens = [t.replace("\u2581", "").removeprefix("##") for t in result.source_tokens]
        cross = result.cross.copy()
        position = 0
        for i, (token, special) in enumerate(zip(tokens, result.source_special, strict=True)):
            if special or not token:
                continue
            position = source.index(token, position)
            if start <= position < start + len(word):
                cross[..., i] = 0.0
            position += len(token)
        cross /= cross.sum(-1, keepdims=True)
        return dataclasses.replace(result, cross=cross)

    monkeypatch.setattr(coverage_module, "attend_translation", attend)


def test_a_neglected_word_is_flagged_and_drawn_in_red(tiny, monkeypatch):
    neglect(monkeypatch, "river")
    found = coverage(SOURCE, model="tiny-bert2bert", precision="fp32")
    low = [SOURCE[a:b] for (a, b), is_low in zip(found.spans, found.low, strict=True) if is_low]
    assert low == ["river"]
    html = coverage_html(found)
    assert f'style="{LOW_STYLE}"' in html and html.count(LOW_STYLE) == 1
    assert "1 of" in html and "“river”" in html
    assert html.index(LOW_STYLE) < html.index(">river</span>") < html.index(LOW_STYLE) + 400


def test_without_neglected_tokens_nothing_is_red(tiny):
    found = coverage(SOURCE, model="tiny-bert2bert", precision="fp32", threshold=0.0)
    assert not any(found.low)
    html = coverage_html(found)
    assert LOW_STYLE not in html and "Every source token received some attention" in html


def test_the_coverage_of_a_translated_chunk_uses_its_settings(tiny):
    result = translate(
        "The house is big. " + SOURCE, model="tiny-marian", num_beams=2, precision="fp32", engine="transformers"
    )
    found = chunk_coverage(result, 1)
    assert found.source == result.chunks[1].source and found.num_beams == 2
    assert found.translation == result.chunks[1].hypotheses[0].text
    assert not any("differs" in w for w in found.warnings)
    other = dataclasses.replace(
        result.chunks[1], hypotheses=[dataclasses.replace(result.chunks[1].hypotheses[0], text="something else")]
    )
    changed = dataclasses.replace(result, chunks=[result.chunks[0], other])
    assert any("differs from the one of chunk 2" in w for w in chunk_coverage(changed, 1).warnings)


@pytest.mark.parametrize("kwargs", [{"threshold": 2.0}, {"threshold": float("nan")}])
def test_bad_thresholds_are_refused(tiny, kwargs):
    with pytest.raises(InputError, match="threshold"):
        coverage(SOURCE, model="tiny-marian", **kwargs)


def test_a_chunk_number_out_of_range_is_refused(tiny):
    result = translate(SOURCE, model="tiny-marian", num_beams=1, engine="transformers")
    with pytest.raises(InputError, match="chunk number"):
        chunk_coverage(result, 5)
