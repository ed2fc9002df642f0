"""translator.summarize() on the real bundled MiniLM: the asked length, from the source, in order, reproducible."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from translator import InputError, summarize
from translator.tasks.summarize import MAX_LENGTH, MIN_LENGTH, SEED, SummaryOptions, knee, summary_options

TOPICS = [
    "The Eiffel Tower was built in Paris for the World's Fair of 1889.",
    "Its iron lattice was designed by the engineering company of Gustave Eiffel.",
    "Visitors climb to the top platform, almost three hundred metres above the ground.",
    "Bread rises because yeast turns the sugars in the dough into carbon dioxide.",
    "A slow second rise in a cold fridge gives the loaf a deeper, sourer flavour.",
    "Bakers score the dough with a blade so the crust opens where they want it to.",
    "The goalkeeper saved a penalty in the last minute of the cup final.",
    "Both teams had played extra time without scoring a single goal.",
    "The winning side lifted the trophy in front of forty thousand fans.",
    "Neural machine translation models read a whole sentence before writing its translation.",
    "Long documents are cut into chunks that fit the model's input limit.",
    "Beam search keeps several candidate translations and returns the most probable one.",
]
TEXT = " ".join(TOPICS[:6]) + "\n\n" + " ".join(TOPICS[6:])


def picked(result) -> list:
    return [s for s in result.sentences if s.selected]


@pytest.mark.parametrize("k", [1, 2, 4])
def test_asked_number_of_sentences_from_the_source_in_order(tiny, k):
    result = summarize(TEXT, num_sentences=k)
    chosen = picked(result)
    assert len(chosen) == k
    assert [s.index for s in chosen] == sorted(s.index for s in chosen)
    for s in chosen:
        assert TEXT[s.char_start : s.char_end] == s.text and s.text in TOPICS
    positions = [result.summary.index(s.text) for s in chosen]
    assert positions == sorted(positions)
    assert result.model == "minilm-offline" and result.embedding == "sentence-transformers embedding"


def test_topics_get_one_sentence_each_and_paragraphs_stay_apart(tiny):
    # four clear topics of three sentences: four clusters give one sentence from each
    result = summarize(TEXT, num_sentences=4, use_first=False)
    chosen = [s.text for s in picked(result)]
    assert sorted(TOPICS.index(text) // 3 for text in chosen) == [0, 1, 2, 3]
    # two topics per paragraph: a space within a paragraph, a blank line between them
    assert result.summary == f"{chosen[0]} {chosen[1]}\n\n{chosen[2]} {chosen[3]}"


def test_same_seed_same_summary(tiny):
    for algorithm in ("kmeans", "gmm"):
        first = summarize(TEXT, num_sentences=3, algorithm=algorithm, seed=7)
        again = summarize(TEXT, num_sentences=3, algorithm=algorithm, seed=7)
        assert first.summary == again.summary and first.sentences == again.sentences
        assert len(picked(first)) == 3


def test_every_sentence_has_a_rank_and_score(tiny):
    result = summarize(TEXT, num_sentences=3)
    ranks = sorted(s.rank for s in result.sentences)
    assert ranks == list(range(1, len(TOPICS) + 1))
    assert sorted(s.rank for s in picked(result)) == [1, 2, 3]
    assert all(-1.0 <= s.score <= 1.0 + 1e-6 for s in result.sentences)
    assert len({s.cluster for s in result.sentences}) <= 3
    assert picked(result)[0].index == 0  # use_first


@pytest.mark.parametrize("use_first", [True, False])
def test_rank_follows_score_within_the_picked_and_the_rest(tiny, use_first):
    result = summarize(TEXT, num_sentences=4, use_first=use_first)
    ranked = sorted(result.sentences, key=lambda s: s.rank)
    assert [s.selected for s in ranked] == [True] * 4 + [False] * (len(TOPICS) - 4)
    for group in (ranked[:4], ranked[4:]):
        scores = [s.score for s in group]
        assert scores == sorted(scores, reverse=True)


def test_ratio_sets_the_length_when_no_number_is_given(tiny):
    # the anchor's count: max(1, int(n * ratio)) clusters over the sentences clustered
    assert len(picked(summarize(TEXT, ratio=0.25, use_first=False))) == 3  # int(12 * 0.25)
    assert len(picked(summarize(TEXT, ratio=0.01, use_first=False))) == 1  # never less than one
    # use_first: the first sentence, and the ratio of the other 11
    assert len(picked(summarize(TEXT, ratio=0.25))) == 1 + 2  # 1 + int(11 * 0.25)
    assert len(picked(summarize(TEXT, ratio=0.01))) == 1 + 1


def test_length_filters_are_strict_as_the_anchors(tiny):
    forty = "The cat sat on the mat by the old door!!"
    assert len(forty) == 40
    text = f"{TOPICS[0]} {forty} {TOPICS[3]}"
    result = summarize(text, num_sentences=3, min_length=40, use_first=False)
    assert [d.text for d in result.dropped] == [forty]
    assert result.dropped[0].reason == "not longer than min_length (40 <= 40 characters)"
    assert len(summarize(text, num_sentences=3, min_length=39).sentences) == 3
    assert [d.text for d in summarize(f"It is short. {forty}", min_length=0, max_length=40).dropped] == [forty]


def test_options_are_checked_once_into_one_object():
    options = summary_options(num_sentences=2, ratio=0.5, algorithm="gmm", use_first=False)
    assert options == SummaryOptions(2, 0.5, "gmm", MIN_LENGTH, MAX_LENGTH, False, None, SEED, "en", "auto")
    with pytest.raises(InputError, match="ratio must be a number between 0.0 and 1.0"):
        summary_options(ratio=2)


def test_use_first_keeps_the_first_sentence_as_a_cluster_of_its_own(tiny):
    result = summarize(TEXT, num_sentences=1)
    assert [s.index for s in picked(result)] == [0]
    first = result.sentences[0]
    assert first.cluster == 0 and first.score == 1.0 and first.rank == 1
    assert all(s.cluster == 1 for s in result.sentences[1:])  # the others: one cluster, for their scores


def test_length_filters_report_what_they_dropped(tiny):
    text = "Introduction\n\n" + TEXT + " " + "This sentence goes on " * 40 + "until it ends."
    result = summarize(text, num_sentences=2, min_length=20, max_length=300)
    reasons = {d.text[:12]: d.reason for d in result.dropped}
    assert reasons["Introduction"].startswith("not longer than min_length (12 <= 20")
    assert reasons["This sentenc"].startswith("not shorter than max_length")
    kept = {s.index for s in result.sentences}
    assert kept.isdisjoint(d.index for d in result.dropped)
    assert len(kept) + len(result.dropped) == len(TOPICS) + 2
    for d in result.dropped:
        assert text[d.char_start : d.char_end] == d.text and d.text not in result.summary


def test_everything_filtered_out_summarizes_the_unfiltered_sentences_and_says_so(tiny):
    result = summarize("Yes, it is. No, it is not. Maybe it is.", num_sentences=2, min_length=40)
    assert len(picked(result)) == 2 and len(result.sentences) == 3 and result.dropped == []
    assert result.summary and all(s.text in result.summary for s in picked(result))
    assert "made from all of them, unfiltered" in result.warnings[0]


def test_text_without_punctuation_is_one_sentence(tiny):
    text = "this text has no punctuation at all it just goes on about trains and stations and tickets"
    result = summarize(text, num_sentences=3)
    assert result.summary == text
    assert "only 1 passed the length filters" in result.warnings[0]
    assert result.elbow.ks == [] and result.elbow.suggested_k == 0  # the anchor's range: k < sentences


def test_one_sentence_text(tiny):
    text = "  The only sentence here is long enough to pass the default filter.  "
    result = summarize(text)
    assert result.summary == text.strip() and picked(result)[0].rank == 1


def test_elbow_curve_and_suggested_k(tiny):
    elbow = summarize(TEXT, num_sentences=3).elbow
    assert elbow.ks == list(range(1, len(TOPICS)))  # the anchor's range: k < sentences
    assert elbow.inertias[0] > elbow.inertias[-1] >= 0
    assert elbow.suggested_k in elbow.ks


def test_knee_of_a_sharp_curve():
    assert knee([1, 2, 3, 4, 5, 6], [100, 40, 12, 10, 9, 8]) == 3
    assert knee([1, 2], [5.0, 1.0]) == 1


def test_hidden_layer_of_any_bert(tiny):
    result = summarize(TEXT, model="tiny-bert", num_sentences=2, hidden=-1)
    assert result.embedding == "mean of hidden layer -1" and len(picked(result)) == 2
    default = summarize(TEXT, model="tiny-bert", num_sentences=2)
    assert default.embedding == "mean of hidden layer -2"  # not a sentence-transformers model
    with pytest.raises(InputError, match="choose a layer from -3 to 2"):
        summarize(TEXT, model="tiny-bert", hidden=5)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(TOPICS), n=st.integers(1, 12), k=st.integers(1, 5), use_first=st.booleans())
def test_any_text_gives_k_source_sentences_in_order(tiny, order, n, k, use_first):
    text = " ".join(order[:n])
    result = summarize(text, num_sentences=k, use_first=use_first)
    chosen = picked(result)
    assert len(chosen) == min(k, n)
    assert [s.char_start for s in chosen] == sorted(s.char_start for s in chosen)
    assert all(text[s.char_start : s.char_end] == s.text for s in chosen)
    assert (chosen[0].index == 0) or not use_first


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"text": ""}, "text is empty"),
        ({"text": None}, "text must be text"),
        ({"num_sentences": 0}, "num_sentences must be at least 1"),
        ({"ratio": 1.5}, "ratio must be a number between 0.0 and 1.0"),
        ({"algorithm": "dbscan"}, "algorithm must be one of kmeans, gmm"),
        ({"min_length": 50, "max_length": 10}, "max_length must be at least 50"),
        ({"use_first": "no"}, "use_first must be true or false"),
        ({"text": "x" * 100_001}, "the limit is 100,000"),
    ],
)
def test_bad_input_is_one_clear_sentence(tiny, kwargs, message):
    call = {"text": TEXT, **kwargs}
    with pytest.raises(InputError) as caught:
        summarize(call.pop("text"), **call)
    assert message in str(caught.value)


def test_a_mixture_that_cannot_be_fitted_falls_back_to_diagonal_covariances_and_says_so(tiny, monkeypatch):
    import sklearn.mixture

    class Collapsing(sklearn.mixture.GaussianMixture):
        def fit(self, X, y=None):
            if self.covariance_type == "full":  # as scikit-learn fails on a cluster of one float32 point
                raise ValueError("Fitting the mixture model failed because some components have ill-defined ...")
            return super().fit(X, y)

    monkeypatch.setattr(sklearn.mixture, "GaussianMixture", Collapsing)
    result = summarize(TEXT, num_sentences=3, algorithm="gmm")
    assert len(picked(result)) == 3 and "diagonal ones were used" in result.warnings[-1]
