"""summarize(): extractive summaries by clustering sentence embeddings, picking what bert-extractive-summarizer picks.

Sentences come from ``segment.sentences`` (pysbd); the length filters set some aside (and say
why); the rest are embedded (sentence-transformers, or one layer of any BERT mean-pooled) and
clustered with scikit-learn. The picks follow bert-extractive-summarizer 0.10.1's
``SBertSummarizer`` rule for rule, so the same model and text give the same summary
(tests/tasks/test_summarize_parity.py holds us to its recorded picks):

- a sentence counts when it has more than ``min_length`` and fewer than ``max_length`` characters;
- ``use_first`` keeps the first sentence and clusters the others into one cluster fewer;
- the ratio asks for ``max(1, int(n * ratio))`` clusters over the n sentences clustered;
- k-means and the Gaussian mixture run with scikit-learn's defaults and the anchor's seed;
- each centre, in order, takes the sentence nearest to it (Euclidean) not yet taken.

The one difference is the splitter: spaCy's sentencizer (the anchor's) keeps lines without end
punctuation together and cuts after a quoted ``"Stop!"``; pysbd cuts at each line and reads the
quote as part of its sentence. Beyond the anchor: every sentence gets a rank and a score, the
elbow curve comes with a suggested k, the dropped sentences are listed with the reason, and a text
whose every sentence the filters drop is summarized unfiltered instead of coming back empty.
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
# the elbow curve tries k = 1 .. this - 1 (and fewer than the number of sentences), as the anchor's k_max
ELBOW_K_MAX = 12


@dataclass(frozen=True)
class SummaryOptions:
    """summarize()'s settings, checked once by summary_options()."""

    num_sentences: int | None  # sentences to return; None: ``ratio`` of them
    ratio: float  # share of the sentences, when num_sentences is None
    algorithm: str  # "kmeans" or "gmm"
    min_length: int  # a sentence needs more characters than this
    max_length: int  # and fewer than this
    use_first: bool  # keep the first sentence, and cluster the others
    hidden: int | None  # pool this hidden layer instead of a sentence-transformers embedding
    seed: int  # scikit-learn's random_state
    language: str  # pysbd's language code
    precision: str  # the weights of a pooled-layer model


def summary_options(
    num_sentences: object = None,
    ratio: object = 0.2,
    algorithm: object = "kmeans",
    min_length: object = MIN_LENGTH,
    max_length: object = MAX_LENGTH,
    use_first: object = True,
    hidden: object = None,
    seed: object = SEED,
    language: str = "en",
    precision: str = "auto",
) -> SummaryOptions:
    """Options checked one by one; each bad value is one sentence that says how to fix it."""
    minimum = int_arg("min_length", min_length, 0)
    return SummaryOptions(
        num_sentences=None if num_sentences is None else int_arg("num_sentences", num_sentences, 1),
        ratio=float_arg("ratio", ratio, 0.0, 1.0),
        algorithm=choice_arg("algorithm", algorithm, ALGORITHMS),
        min_length=minimum,
        max_length=int_arg("max_length", max_length, max(minimum, 1)),
        use_first=bool_arg("use_first", use_first),
        hidden=None if hidden is None else int_arg("hidden", hidden, -1000, 1000),
        seed=int_arg("seed", seed, 0, 2**32 - 1),
        language=language,
        precision=precision,
    )


@dataclass(frozen=True)
class ScoredSentence:
    index: int  # position among all the text's sentences (dropped ones included)
    text: str
    char_start: int
    char_end: int
    selected: bool
    rank: int  # 1 = first; the selected sentences come first, each group by score, highest first
    # cosine similarity to the centre of its cluster (how well it speaks for its topic); 1.0 for a
    # first sentence kept by use_first, which is a cluster of its own
    score: float
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
    suggested_k: int  # the knee: the point farthest from the line between the curve's ends (0: no curve)


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
    ``use_first`` always keeps the first sentence, which stands for itself.
    """
    started = time.perf_counter()
    text = text_arg("text", text, get_settings().max_chars_summarize)
    model = model or embeddings.default_embedding_model()
    options = summary_options(
        num_sentences, ratio, algorithm, min_length, max_length, use_first, hidden, seed, language, precision
    )
    spans = sentences(text, options.language)
    kept = [span for span in spans if options.min_length < len(span.text) < options.max_length]
    notes: list[str] = []
    if spans and not kept:
        # an empty summary helps no one (bert-extractive-summarizer's issues #29, #150): use every sentence
        notes.append(
            f"All {len(spans)} sentences are outside the length limits (more than {options.min_length} and "
            f"fewer than {options.max_length} characters), so the summary was made from all of them, unfiltered."
        )
        kept = spans
    kept_indices = {span.index for span in kept}
    dropped = [_dropped(span, options) for span in spans if span.index not in kept_indices]
    if not kept:
        return SummaryResult(
            summary="",
            sentences=[],
            elbow=Elbow([], [], 0),
            dropped=dropped,
            algorithm=options.algorithm,
            model=model,
            seconds=time.perf_counter() - started,
            warnings=("The text has no sentences to summarize.",),
        )

    if options.num_sentences is not None and options.num_sentences > len(kept):
        notes.append(
            f"Asked for {options.num_sentences} sentences, but only {len(kept)} passed the length filters; "
            "the summary keeps all of them."
        )
    vectors, loaded, how = _embed([span.text for span in kept], model, options, progress)
    report(progress, 0.9, "Clustering sentences")
    first = options.use_first and len(kept) > 1  # the anchor returns a lone sentence as it is
    rest = vectors[1:] if first else vectors
    k = _cluster_count(len(rest), options, first)
    labels, centres = _cluster(rest, max(k, 1), options, notes)  # one cluster at least, for the scores
    picked = _pick(rest, centres[:k])
    from sklearn.metrics.pairwise import cosine_similarity

    affinity = cosine_similarity(rest, centres)  # (sentences, clusters)
    scores = affinity[np.arange(len(rest)), labels]
    if first:
        # the first sentence is a cluster of its own (number 0), and the centre of it
        picked = [0, *(i + 1 for i in picked)]
        labels, scores = np.concatenate([[0], labels + 1]), np.concatenate([[1.0], scores])
    return SummaryResult(
        summary=_join([kept[i] for i in sorted(picked)]),
        sentences=_score(kept, labels, scores, picked),
        elbow=elbow_curve(vectors, options.seed),
        dropped=dropped,
        algorithm=options.algorithm,
        embedding=how,
        **run_info(loaded, started, notes),
    )


def _dropped(span: Span, options: SummaryOptions) -> DroppedSentence:
    if len(span.text) <= options.min_length:
        reason = f"not longer than min_length ({len(span.text)} <= {options.min_length} characters)"
    else:
        reason = f"not shorter than max_length ({len(span.text)} >= {options.max_length} characters)"
    return DroppedSentence(span.index, span.text, span.char_start, span.char_end, reason)


def _cluster_count(n: int, options: SummaryOptions, first: bool) -> int:
    """Clusters over the ``n`` sentences clustered (the first one left out when it is kept anyway)."""
    if options.num_sentences is None:
        return max(int(n * options.ratio), 1)
    return min(options.num_sentences - first, n)


def _embed(
    texts: list[str], model: str, options: SummaryOptions, progress: Progress | None
) -> tuple[np.ndarray, LoadedModel, str]:
    """Sentence vectors, the model that made them, and how, in words."""
    if options.hidden is None and embeddings.is_sentence_transformer(model):
        encoder = embeddings.sentence_encoder(model)
        report(progress, 0.1, "Embedding sentences")
        # the model's own vectors, as the anchor clusters them
        vectors = embeddings.embed_sentences(texts, encoder, normalize=False)
        return vectors, encoder, "sentence-transformers embedding"
    layer = -2 if options.hidden is None else options.hidden
    loaded = load_model(model, "encoder", options.precision)
    return embeddings.embed_layer(texts, loaded, layer, progress), loaded, f"mean of hidden layer {layer}"


def _cluster(vectors: np.ndarray, k: int, options: SummaryOptions, notes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Cluster labels (sentences,) and centres (k, dim), with the anchor's estimators and their defaults."""
    with _quiet_single_threaded():
        if options.algorithm == "gmm":
            from sklearn.mixture import GaussianMixture

            # full covariances, as the anchor: slow on long texts (a dim x dim matrix per cluster), but its picks
            try:
                mixture = GaussianMixture(n_components=k, random_state=options.seed).fit(vectors)
            except ValueError:
                # a cluster of one sentence has no covariance to speak of: the anchor stops with an error there
                notes.append(
                    "The Gaussian mixture with full covariances could not be fitted (a cluster holds too few "
                    "sentences), so diagonal ones were used; bert-extractive-summarizer stops with an error here."
                )
                diagonal = GaussianMixture(n_components=k, covariance_type="diag", random_state=options.seed)
                mixture = diagonal.fit(vectors.astype(np.float64))
            return mixture.predict(vectors.astype(mixture.means_.dtype)), mixture.means_
        from sklearn.cluster import KMeans

        kmeans = KMeans(n_clusters=k, random_state=options.seed).fit(vectors)
        return kmeans.labels_, kmeans.cluster_centers_


@contextmanager
def _quiet_single_threaded() -> Iterator[None]:
    """scikit-learn's OpenMP and BLAS threads on one thread, and its warnings off.

    After a torch forward, torch's own OpenMP pool still spins on the cores, and k-means' pool
    fighting it ran up to 70x slower on a 2-core CPU; the Gaussian mixture's BLAS calls, 7x.
    Repeated sentences give fewer distinct points than clusters, which k-means warns about; the
    picks below still differ.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _pick(vectors: np.ndarray, centres: np.ndarray) -> list[int]:
    """Each centre in turn takes the sentence nearest to it (Euclidean) that no centre took before."""
    picked: list[int] = []
    for centre in centres:
        distance = np.linalg.norm(vectors - centre, axis=1)
        distance[picked] = np.inf
        # near-ties are settled with the anchor's own arithmetic, one vector's norm at a time: the two
        # sentences of a two-sentence cluster are equally far from its centre, and rounding chooses
        close = np.flatnonzero(distance <= distance.min() * (1 + 1e-5))
        picked.append(min(close, key=lambda i: (float(np.linalg.norm(vectors[i] - centre)), int(i))))
    return [int(i) for i in picked]


def _score(kept: list[Span], labels: np.ndarray, scores: np.ndarray, picked: list[int]) -> list[ScoredSentence]:
    """Every kept sentence with its cluster and score. Rank: the picked sentences first, then the others;
    within each group by score, highest first, so a better rank never has a lower score in its group."""
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


def elbow_curve(vectors: np.ndarray, seed: int = SEED, k_max: int = ELBOW_K_MAX) -> Elbow:
    """k-means inertia for k = 1 .. min(k_max, sentences) - 1, the anchor's calculate_elbow, and the knee's k."""
    from sklearn.cluster import KMeans

    ks = list(range(1, min(k_max, len(vectors))))
    with _quiet_single_threaded():
        inertias = [float(KMeans(n_clusters=k, random_state=seed).fit(vectors).inertia_) for k in ks]
    return Elbow(ks, inertias, knee(ks, inertias))


def knee(ks: list[int], values: list[float]) -> int:
    """The k whose point lies farthest below the straight line from the first point to the last."""
    if len(ks) < 3 or values[0] == values[-1]:
        return ks[0] if ks else 0
    x = (np.array(ks) - ks[0]) / (ks[-1] - ks[0])
    y = (np.array(values) - values[-1]) / (values[0] - values[-1])
    return int(ks[int(np.argmax((1 - x) - y))])
