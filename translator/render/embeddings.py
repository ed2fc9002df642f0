"""The Embeddings views of a LayerEmbeddings (and a followed word) at one layer, and their files.

Four views: (1) the followed word's occurrences, pair by pair, layer by layer; (2) the token cosine heatmap
and (3) the token map (PCA) at the chosen layer; (4) the texts' similarity layer by layer, mean-pooled and
[CLS]. The numbers are computed in translator.tasks.layers; this module draws them and writes them out.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from ..core.checks import int_arg
from ..tasks.layers import LayerEmbeddings, LayerTokens, WordAcrossLayers, layer_tokens, token_map, token_similarity
from .attention_view import JSON_MAX_VALUES
from .export import export_folder
from .figures import figure_png, figure_svg, inline_svg
from .layer_figures import pairs_figure, token_heatmap_figure, token_map_figure
from .markup import esc
from .run import notes_html

EXPORT_ROOT = Path(tempfile.gettempdir()) / "bert-studio-embeddings"
VIEWS = ("word-pairs", "token-similarity", "token-map", "sentence-similarity")
# the narrowest the views with token labels are drawn (the heatmap: ~10 px a row for 50 tokens); a phone scrolls
MIN_PX = {"token-similarity": 560, "token-map": 560}
NO_WORD = "Type a word that two or more texts share to follow it through the layers."


@dataclass(frozen=True, eq=False)
class RenderedEmbeddings:
    figures: dict[str, Figure]  # one per name in VIEWS, for the PNG export
    svgs: dict[str, str]  # the same as standalone SVG documents
    html: dict[str, str]  # what the tab shows for each view: a static SVG, no script
    data: dict[str, object]  # the numbers the views drew (JSON export)
    notes: tuple[str, ...]


def layer_name(layer: int) -> str:
    return "the embedding output" if layer == 0 else f"layer {layer}"


def occurrence_names(track: WordAcrossLayers) -> list[str]:
    """'T2 “bank”' for each occurrence; '#2' and on where one text has the word more than once."""
    names, seen = [], {}
    for occurrence in track.occurrences:
        index = occurrence.text_index
        seen[index] = seen.get(index, 0) + 1
        count = sum(o.text_index == index for o in track.occurrences)
        names.append(f"T{index + 1}" + (f" #{seen[index]}" if count > 1 else ""))
    return names


def _marked(tokens: LayerTokens, track: WordAcrossLayers | None) -> set[int]:
    """Positions in ``tokens`` of the followed word's pieces."""
    if track is None:
        return set()
    pieces = {(o.text_index, i) for o in track.occurrences for i in o.token_indices}
    return {k for k, key in enumerate(zip(tokens.text_index, tokens.token_index, strict=True)) if key in pieces}


def _view_html(svg: str, min_px: int) -> str:
    """An inline SVG in a white box, scaled down to the panel but never below ``min_px`` wide: narrower, the box
    scrolls sideways, so a phone shows the heatmap's labels at a readable size rather than a thumbnail."""
    style = "max-width:100%;height:auto" + (f";min-width:{min_px}px" if min_px else "")
    drawing = inline_svg(svg).replace("<svg ", f'<svg style="{style}" ', 1)
    return f'<div class="emb-view" style="overflow:auto;background:#fff;border:1px solid #e5e7eb">{drawing}</div>'


def _word_figure(track: WordAcrossLayers | None, layer: int) -> Figure:
    if track is None:
        return pairs_figure(np.zeros((0, 1)), [], "", empty=NO_WORD)
    names = occurrence_names(track)
    title = f"“{track.word}”: every two occurrences, layer by layer ({track.pooling} of its pieces)"
    pair_names = [f"{names[a]} ↔ {names[b]}" for a, b in track.pairs]
    return pairs_figure(track.similarity, pair_names, title, chosen=layer)


def _text_pairs(result: LayerEmbeddings) -> list[tuple[int, int]]:
    return list(combinations(range(len(result.texts)), 2))


def _sentence_figure(result: LayerEmbeddings, layer: int) -> Figure:
    pairs = _text_pairs(result)
    shape = (len(pairs), result.layers + 1)  # (pairs, layers + 1), also with one text and no pair
    mean = np.array([result.mean_similarity[:, a, b] for a, b in pairs]).reshape(shape)
    cls = result.cls_similarity
    dashed = np.array([cls[:, a, b] for a, b in pairs]).reshape(shape) if cls is not None else None
    title = "every two texts, layer by layer: mean of their tokens" + (
        " (solid) and [CLS] (dashed)" if cls is not None else " (this model has no [CLS])"
    )
    names = [f"T{a + 1} ↔ T{b + 1}" for a, b in pairs]
    empty = "Give two texts or more to compare them."
    return pairs_figure(mean, names, title, chosen=layer, dashed=dashed, empty=empty)


def embedding_views(
    result: LayerEmbeddings, track: WordAcrossLayers | None, layer: int, *, special: bool = False
) -> RenderedEmbeddings:
    """The four views at ``layer`` (0 = embedding output); ``special`` puts [CLS]/[SEP] in the heatmap and map."""
    asked = int_arg("layer", layer, 0)
    layer = min(asked, result.layers)  # a slider set for a deeper model: this one's last layer
    tokens = layer_tokens(result, layer, special=special)
    marked = _marked(tokens, track)
    similarity, coordinates = token_similarity(tokens), token_map(tokens)
    where = layer_name(layer)
    text_names = [f"T{i + 1}" for i in range(len(result.texts))]
    figures = {
        "word-pairs": _word_figure(track, layer),
        "token-similarity": token_heatmap_figure(
            similarity, tokens, f"token × token cosine similarity · {where}", marked
        ),
        "token-map": token_map_figure(coordinates, tokens, f"tokens at {where}, PCA to 2-D", marked, text_names),
        "sentence-similarity": _sentence_figure(result, layer),
    }
    svgs = {name: figure_svg(figure) for name, figure in figures.items()}
    html = {name: _view_html(svg, MIN_PX.get(name, 0)) for name, svg in svgs.items()}
    notes = [*result.warnings, *(track.warnings if track is not None else ())]
    notes = list(dict.fromkeys(notes))  # a followed word repeats its run's warnings
    if asked > layer:
        notes.append(f"{result.model} has {result.layers} layers: showing layer {layer}, not {asked}.")
    if not special:
        notes.append("The heatmap and the map leave out special tokens ([CLS], [SEP], </s>).")
    values = similarity.size
    data: dict[str, object] = {
        "model": result.model,
        "layer": layer,
        "layers": result.layers,
        "texts": list(result.texts),
        "tokens": [[[t.text, t.start, t.end, t.special] for t in tokens_of] for tokens_of in result.tokens],
        "occurrences": [
            {"text": o.text_index + 1, "start": o.start, "end": o.end, "tokens": list(o.token_indices)}
            for o in (track.occurrences if track is not None else ())
        ],
        **numbers(result, track),
        "view_tokens": [
            [text + 1, position] for text, position in zip(tokens.text_index, tokens.token_index, strict=True)
        ],
        "token_map": coordinates,
    }
    if values <= JSON_MAX_VALUES:
        data["token_similarity"] = similarity
    else:
        notes.append(f"The heatmap has {values:,} numbers, too many for JSON; the .npz has them.")
    return RenderedEmbeddings(figures, svgs, html, data, tuple(notes))


def notes_of(rendered: RenderedEmbeddings) -> str:
    """The views' notes and warnings as HTML, for the line above them."""
    return notes_html(rendered.notes, icon="")


def embeddings_json(rendered: RenderedEmbeddings) -> str:
    """The numbers of the views as JSON, floats rounded to 6 decimals."""

    def plain(value: object) -> object:
        if isinstance(value, np.ndarray):
            return np.round(value, 6).tolist()
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        return value

    return json.dumps(plain(rendered.data), ensure_ascii=False)


def write_npz(result: LayerEmbeddings, track: WordAcrossLayers | None, path: Path) -> None:
    """Every hidden state (``hidden_states_<text>``: layers + 1, tokens, dim), tokens with offsets, the similarities."""
    arrays: dict[str, np.ndarray] = {"texts": np.asarray(result.texts, dtype=str)}
    for index, (states, tokens) in enumerate(zip(result.hidden_states, result.tokens, strict=True)):
        arrays[f"hidden_states_{index}"] = states
        arrays[f"tokens_{index}"] = np.asarray([t.text for t in tokens], dtype=str)
        arrays[f"offsets_{index}"] = np.asarray([[t.start, t.end] for t in tokens], dtype=np.int64).reshape(-1, 2)
    arrays["mean_similarity"] = result.mean_similarity
    if result.cls_similarity is not None:
        arrays["cls_similarity"] = result.cls_similarity
    if track is not None:
        arrays["word_pairs"] = np.asarray(track.pairs, dtype=np.int64).reshape(-1, 2)
        arrays["word_similarity"] = track.similarity
        arrays["word_vectors"] = track.vectors
    np.savez(path, **arrays)


def export_embeddings(
    result: LayerEmbeddings,
    track: WordAcrossLayers | None,
    layer: int,
    *,
    special: bool = False,
    folder: Path | None = None,
) -> list[Path]:
    """Each view as PNG and SVG, their numbers as JSON, the hidden states as .npz, in a fresh export folder."""
    rendered = embedding_views(result, track, layer, special=special)
    folder = folder or export_folder(EXPORT_ROOT)
    files: dict[str, bytes] = {}
    for name in VIEWS:
        files[f"embeddings-{name}.png"] = figure_png(rendered.figures[name])
        files[f"embeddings-{name}.svg"] = rendered.svgs[name].encode()
    files["embeddings-views.json"] = embeddings_json(rendered).encode()
    for filename, data in files.items():
        (folder / filename).write_bytes(data)
    write_npz(result, track, folder / "embeddings-arrays.npz")
    return [folder / filename for filename in [*files, "embeddings-arrays.npz"]]


def numbers(result: LayerEmbeddings, track: WordAcrossLayers | None) -> dict[str, object]:
    """The curves of the two layer-by-layer views as plain lists (the API's JSON output): index k is layer k."""
    cls = result.cls_similarity
    texts = [
        {
            "texts": [a + 1, b + 1],
            "mean": np.round(result.mean_similarity[:, a, b], 6).tolist(),
            "cls": np.round(cls[:, a, b], 6).tolist() if cls is not None else None,
        }
        for a, b in _text_pairs(result)
    ]
    word = None
    if track is not None:
        names = occurrence_names(track)
        word = {
            "word": track.word,
            "pooling": track.pooling,
            "pairs": [
                {"a": names[a], "b": names[b], "similarity": np.round(row, 6).tolist()}
                for (a, b), row in zip(track.pairs, track.similarity, strict=True)
            ],
            "missing_texts": [i + 1 for i in track.missing],
        }
    return {"layers": result.layers, "word": word, "texts": texts}


def word_summary(track: WordAcrossLayers | None) -> str:
    """One Markdown line under the word view: each pair's similarity at the first and last layer."""
    if track is None:
        return ""
    names = occurrence_names(track)
    parts = [
        f"{esc(names[a])} ↔ {esc(names[b])}: {row[0]:.3f} → {row[-1]:.3f}"
        for (a, b), row in zip(track.pairs[:6], track.similarity[:6], strict=True)
    ]
    return f"“{esc(track.word)}”, embedding output → last layer: " + "; ".join(parts)
