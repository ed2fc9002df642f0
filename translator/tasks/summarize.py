"""summarize(): extractive summaries by clustering sentence embeddings, in the spirit of bert-extractive-summarizer.

Sentences come from ``segment.sentences``; the length filters set some aside (and say why);
the rest are embedded (sentence-transformers, or one layer of any BERT mean-pooled), clustered
with scikit-learn, and the sentence closest to each cluster's centre is picked. Beyond the
anchor: every sentence gets a rank and a score, the elbow curve comes with a suggested k,
and ``num_sentences`` is exactly the number of sentences returned.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from ..core.checks import bool_arg, choice_arg, float_arg, int_arg, text_arg
from ..core.loading import LoadedModel, load_model
from ..core.results import Progress, RunInfo, report, run_info
from ..core.settings import get_settings
from ..text.segment import Span, sentences
from . import embeddings

ALGORITHMS = ("kmeans", "gmm")
# the anchor's filters, in characters: shorter is usually a heading or debris, longer a run-on list
MIN_LENGTH = 40
MAX_LENGTH = 600
# bert-extractive-summarizer's random_state: the same text and settings give the same summary
SEED = 12345
# the elbow curve tries k = 1 .. this (or the number of sentences, if fewer)
ELBOW_MAX_K = 12


@dataclass(frozen=True)
class ScoredSentence:
    index: int  # position among all the text's sentences (dropped ones included)
    text: str
    char_start: int
    char_end: int
    selected: bool
    rank: int  # 1 = first; the selected sentences come first, each group by score, highest first
    score: float  # cosine similarity to the centre of its cluster (how well it speaks for its topic)
    cluster: int


@dataclass(frozen=True)
class DroppedSentence:
    index: int
    text: str
    char_start: int
    char_end: int
    reason: str


@dataclass(frozen=True)
class Elbow:
    ks: list[int]
    inertias: list[float]  # k-means inertia (sum of squared distances to the nearest centre) for each k
    suggested_k: int  # the knee: the point farthest from the line between the curve's ends


@dataclass(frozen=True, eq=False)
class SummaryResult(RunInfo):
    summary: str  # the selected sentences in document order
    sentences: list[ScoredSentence]  # every sentence that passed the length filters, in document order
    elbow: Elbow
    dropped: list[DroppedSentence]
    algorithm: str = "kmeans"
    embedding: str = ""  # how sentences were embedded, in words


def summarize(
    text: str,
    *,
    model: str | None = None,
    num_sentences: int | None = None,
    ratio: float = 0.2,
    algorithm: str = "kmeans",
    min_length: int = MIN_LENGTH,
    max_length: int = MAX_LENGTH,
    use_first: bool = True,
    hidden: int | None = None,
    seed: int = SEED,
    language: str = "en",
    precision: str = "auto",
    progress: Progress | None = None,
) -> SummaryResult:
    """An extractive summary of ``text``: ``num_sentences`` sentences, or ``ratio`` of them if it is None.

    ``model`` embeds the sentences: by default the bundled all-MiniLM-L6-v2 through
    sentence-transformers. With ``hidden`` set (or a model that is not a sentence-transformers
    one) the mean of that hidden layer is used instead (-2: the second to last, the anchor's default).
    ``use_first`` always keeps the first sentence, which stands for its cluster.
    """
    started = time.perf_counter()
    text = text_arg("text", text, get_settings().max_chars_summarize)
    model = model or embeddings.default_embedding_model()
    if num_sentences is not None:
        num_sentences = int_arg("num_sentences", num_sentences, 1)
    ratio = float_arg("ratio", ratio, 0.0, 1.0)
    algorithm = choice_arg("algorithm", algorithm, ALGORITHMS)
    min_length = int_arg("min_length", min_length, 0)
    max_length = int_arg("max_length", max_length, max(min_length, 1))
    seed = int_arg("seed", seed, 0, 2**32 - 1)
    use_first = bool_arg("use_first", use_first)
    if hidden is not None:
        hidden = int_arg("hidden", hidden, -1000, 1000)

    spans = sentences(text, language)
    kept = [span for span in spans if min_length <= len(span.text) <= max_length]
    notes: list[str] = []
    if spans and not kept:
        # an empty summary helps no one (bert-extractive-summarizer's issues #29, #150): use every sentence
        notes.append(
            f"All {len(spans)} sentences are outside the length limits ({min_length} to {max_length} "
            "characters), so the summary was made from all of them, unfiltered."
        )
        kept = spans
    kept_indices = {span.index for span in kept}
    dropped = [_dropped(span, min_length, max_length) for span in spans if span.index not in kept_indices]
    if not kept:
        return SummaryResult(
            summary="",
            sentences=[],
            elbow=Elbow([], [], 0),
            dropped=dropped,
            algorithm=algorithm,
            model=model,
            seconds=time.perf_counter() - started,
            warnings=("The text has no sentences to summarize.",),
        )

    k = _summary_length(len(kept), num_sentences, ratio, notes)
    vectors, loaded, how = _embed([span.text for span in kept], model, hidden, precision, progress)
    report(progress, 0.9, "Clustering sentences")
    labels, centres = _cluster(vectors, k, algorithm, seed)
    affinity = _cosine(vectors, centres)  # (sentences, clusters)
    picked = _pick(affinity, labels, k, use_first)
    return SummaryResult(
        summary=_join([kept[i] for i in sorted(picked)]),
        sentences=_score(kept, labels, affinity, picked),
        elbow=elbow_curve(vectors, seed),
        dropped=dropped,
        algorithm=algorithm,
        embedding=how,
        **run_info(loaded, started, notes),
    )


def _dropped(span: Span, min_length: int, max_length: int) -> DroppedSentence:
    if len(span.text) < min_length:
        reason = f"shorter than min_length ({len(span.text)} < {min_length} characters)"
    else:
        reason = f"longer than max_length ({len(span.text)} > {max_length} characters)"
    return DroppedSentence(span.index, span.text, span.char_start, span.char_end, reason)


def _summary_length(n: int, num_sentences: int | None, ratio: float, notes: list[str]) -> int:
    if num_sentences is None:
        return max(1, int(n * ratio))
    if num_sentences > n:
        notes.append(
            f"Asked for {num_sentences} sentences, but only {n} passed the length filters; "
            "the summary keeps all of them."
        )
    return min(num_sentences, n)


def _embed(
    texts: list[str], model: str, hidden: int | None, precision: str, progress: Progress | None
) -> tuple[np.ndarray, LoadedModel, str]:
    """Sentence vectors, the model that made them, and how, in words."""
    if hidden is None and embeddings.is_sentence_transformer(model):
        encoder = embeddings.sentence_encoder(model)
        report(progress, 0.1, "Embedding sentences")
        return embeddings.embed_sentences(texts, encoder), encoder, "sentence-transformers embedding"
    layer = -2 if hidden is None else hidden
    loaded = load_model(model, "encoder", precision)
    return embeddings.embed_layer(texts, loaded, layer, progress), loaded, f"mean of hidden layer {layer}"


def _cluster(vectors: np.ndarray, k: int, algorithm: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Cluster labels (sentences,) and centres (k, dim)."""
    with _quiet_single_threaded():
        if algorithm == "gmm":
            from sklearn.mixture import GaussianMixture

            # diagonal covariances: full ones need dim**2 parameters per cluster from a handful of sentences
            mixture = GaussianMixture(n_components=k, covariance_type="diag", random_state=seed).fit(vectors)
            return mixture.predict(vectors), mixture.means_
        from sklearn.cluster import KMeans

        # one k-means++ start (n_init="auto"): ten starts cost ten times as much for little gain in a summary
        kmeans = KMeans(n_clusters=k, random_state=seed, n_init="auto").fit(vectors)
        return kmeans.labels_, kmeans.cluster_centers_


@contextmanager
def _quiet_single_threaded() -> Iterator[None]:
    """scikit-learn's OpenMP threads on one thread, and its warnings off.

    After a torch forward, torch's own OpenMP pool still spins on the cores, and k-means' pool
    fighting it ran up to 70x slower on a 2-core CPU. Repeated sentences give fewer distinct points
    than clusters, which k-means warns about; the picks below still differ.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="openmp"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _cosine(vectors: np.ndarray, centres: np.ndarray) -> np.ndarray:
    a = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    b = centres / np.maximum(np.linalg.norm(centres, axis=1, keepdims=True), 1e-12)
    return a @ b.T


def _pick(affinity: np.ndarray, labels: np.ndarray, k: int, use_first: bool) -> list[int]:
    """One sentence per cluster, the closest to its centre; larger clusters choose first, no sentence twice."""
    sizes = np.bincount(labels, minlength=k)
    picked: list[int] = []
    clusters = [int(c) for c in np.argsort(-sizes, kind="stable")]
    if use_first:
        # the opening sentence speaks for its own cluster
        clusters.remove(int(labels[0]))
        picked.append(0)
    for cluster in clusters:
        order = np.argsort(-affinity[:, cluster], kind="stable")
        picked.append(next(int(i) for i in order if int(i) not in picked))
    return picked


def _score(kept: list[Span], labels: np.ndarray, affinity: np.ndarray, picked: list[int]) -> list[ScoredSentence]:
    """Every kept sentence with its cluster and score. Rank: the picked sentences first, then the others;
    within each group by score, highest first, so a better rank never has a lower score in its group."""
    scores = affinity[np.arange(len(kept)), labels]
    order = sorted(range(len(kept)), key=lambda i: (i not in picked, -scores[i]))
    rank = {i: r for r, i in enumerate(order, start=1)}
    return [
        ScoredSentence(
            span.index,
            span.text,
            span.char_start,
            span.char_end,
            i in picked,
            rank[i],
            float(scores[i]),
            int(labels[i]),
        )
        for i, span in enumerate(kept)
    ]


def _join(spans: list[Span]) -> str:
    """Sentences in document order: a space within a paragraph, a blank line between paragraphs."""
    parts: list[str] = []
    for prev, span in zip([None, *spans], spans, strict=False):
        if prev is not None:
            parts.append(" " if prev.paragraph == span.paragraph else "\n\n")
        parts.append(span.text)
    return "".join(parts)


def elbow_curve(vectors: np.ndarray, seed: int = SEED, max_k: int = ELBOW_MAX_K) -> Elbow:
    """k-means inertia for k = 1 .. min(max_k, sentences), and the k at the curve's knee."""
    from sklearn.cluster import KMeans

    ks = list(range(1, min(max_k, len(vectors)) + 1))
    with _quiet_single_threaded():
        inertias = [float(KMeans(n_clusters=k, random_state=seed, n_init="auto").fit(vectors).inertia_) for k in ks]
    return Elbow(ks, inertias, knee(ks, inertias))


def knee(ks: list[int], values: list[float]) -> int:
    """The k whose point lies farthest below the straight line from the first point to the last."""
    if len(ks) < 3 or values[0] == values[-1]:
        return ks[0] if ks else 0
    x = (np.array(ks) - ks[0]) / (ks[-1] - ks[0])
    y = (np.array(values) - values[-1]) / (values[0] - values[-1])
    return int(ks[int(np.argmax((1 - x) - y))])
