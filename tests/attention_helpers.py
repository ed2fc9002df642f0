"""For the render tests: attention results made by hand (no model), and checks that drawn markup is static.

Imported as ``attention_helpers`` (conftest puts tests/ on sys.path).
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import numpy as np
from PIL import Image

from translator.render.attention_view import RenderedAttention, attention_png
from translator.tasks.attention.results import AttentionResult, TranslationAttention

SVG = "{http://www.w3.org/2000/svg}"

RUN = {"model": "fake", "device": "CPU", "precision": "fp32", "footprint_bytes": 1, "seconds": 0.0}


def peaked(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """Row-stochastic weights that look like attention: a few strong keys per row."""
    weights = np.random.default_rng(seed).random(shape, dtype=np.float32) ** 12 + 1e-7
    return weights / weights.sum(-1, keepdims=True)


def encoder_result(
    tokens: list[str], segments: list[int] | None = None, layers: int = 2, heads: int = 3
) -> AttentionResult:
    n = len(tokens)
    special = [t in ("[CLS]", "[SEP]") for t in tokens]
    return AttentionResult(
        tokens=tokens,
        attentions=peaked((layers, heads, n, n)),
        special=special,
        segments=segments or [0] * n,
        words=list(range(n)),
        word_labels=list(tokens),
        word_level=False,
        n_input_tokens=n,
        cut="",
        **RUN,
    )


def translation_result() -> TranslationAttention:
    source = ["▁the", "▁ho", "use", "</s>"]
    target = ["<pad>", "▁das", "▁Haus", "</s>"]
    return TranslationAttention(
        source_tokens=source,
        target_tokens=target,
        encoder=peaked((2, 2, 4, 4)),
        decoder=peaked((2, 2, 4, 4), 1),
        cross=peaked((2, 2, 4, 4), 2),
        translation="das Haus",
        source_special=[False, False, False, True],
        target_special=[True, False, False, True],
        source_words=[0, 1, 1, 2],
        target_words=[0, 1, 2, 3],
        source_word_labels=["the", "house", "</s>"],
        target_word_labels=["<pad>", "das", "Haus", "</s>"],
        word_level=False,
        num_beams=1,
        n_input_tokens=4,
        cut="",
        **RUN,
    )


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)


def check_markup(rendered: RenderedAttention) -> ET.Element:
    """The SVG document and the tab's HTML both parse as XML and hold no script; returns the SVG root."""
    root = ET.fromstring(rendered.svg)
    assert root.tag == f"{SVG}svg"
    ET.fromstring(rendered.html)  # the HTML fragment is well-formed too
    parser = _Tags()
    parser.feed(rendered.html)
    assert "svg" in parser.tags and "script" not in parser.tags
    for markup in (rendered.svg, rendered.html):
        assert "<script" not in markup.lower()
        assert not any(name.startswith("on") for element in ET.fromstring(markup).iter() for name in element.attrib)
    return root


def check_png(rendered: RenderedAttention) -> Image.Image:
    image = Image.open(io.BytesIO(attention_png(rendered)))
    image.load()
    assert image.format == "PNG" and min(image.size) > 50
    return image
