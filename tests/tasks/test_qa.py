"""translator.answer(): the v4 pipeline's answers, long contexts in batched windows, retrieval mode, bad input."""

from __future__ import annotations

import inspect
import json

import numpy as np
import pytest
import qa_oracle
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from translator import InputError, ModelUnavailableError, RetrievalFallbackWarning, answer
from translator.tasks.qa import SpanOptions, select_spans, span_options

QUESTION = qa_oracle.QUESTION
LONG = qa_oracle._context(60)  # about 1,000 tokens: 10+ windows of 64


@pytest.fixture(scope="session")
def oracle_models(tmp_path_factory) -> dict[str, str]:
    return {name: str(path) for name, path in qa_oracle.build_models(tmp_path_factory.mktemp("oracle")).items()}


@pytest.fixture(scope="session")
def expected() -> dict:
    return json.loads(qa_oracle.EXPECTED.read_text(encoding="utf-8"))


def test_fixture_covers_every_case(expected):
    assert expected["transformers"].startswith("4.")
    assert sorted(expected["cases"]) == sorted(case[0] for case in qa_oracle.CASES), (
        "the recorded answers are stale: run tests/qa_oracle.py (see its docstring)"
    )


@pytest.mark.parametrize("case", qa_oracle.CASES, ids=[case[0] for case in qa_oracle.CASES])
def test_same_answers_as_the_v4_pipeline(case, oracle_models, expected):
    name, model, question, context, kwargs = case
    result = answer(
        question, context, model=oracle_models[model], mode="span", **{"max_answer_len": 15, **kwargs}
    )  # 15: the pipeline's default
    want = expected["cases"][name]
    got = [{"answer": a.text, "start": a.start, "end": a.end} for a in result.answers]
    assert got == [{k: w[k] for k in ("answer", "start", "end")} for w in want]
    assert [a.score for a in result.answers] == pytest.approx([w["score"] for w in want], abs=1e-4)


def test_impossible_answer_is_one_empty_answer(oracle_models, expected):
    context = "Built in Paris, 1889."
    result = answer(QUESTION, context, model=oracle_models["distilbert"], top_k=20, handle_impossible_answer=True)
    empty = [a for a in result.answers if a.text == ""]
    assert len(empty) == 1 and (empty[0].start, empty[0].end) == (0, 0) and 0 < empty[0].score < 1
    assert "" in [w["answer"] for w in expected["cases"]["impossible-listed"]]
    without = answer(QUESTION, context, model=oracle_models["distilbert"], top_k=20)
    assert all(a.text for a in without.answers) and len(without.answers) == len(result.answers) - 1


def test_answers_lie_in_the_context_sorted_by_score(tiny):
    result = answer(QUESTION, LONG, model="tiny-qa", top_k=10, max_seq_len=64, doc_stride=16)
    assert result.mode == "span" and len(result.answers) == 10
    for found in result.answers:
        assert LONG[found.start : found.end] == found.text and found.text
        window = result.windows[found.window]
        assert window.char_start <= found.start and found.end <= window.char_end
    scores = [a.score for a in result.answers]
    assert scores == sorted(scores, reverse=True) and all(0 < s <= 1 for s in scores)
    assert len({a.text.lower() for a in result.answers}) == 10  # one answer per text, as v4 merged them


def test_long_context_answers_come_from_later_windows(tiny):
    result = answer(QUESTION, LONG, model="tiny-qa", top_k=20, max_seq_len=64, doc_stride=16)
    assert len(result.windows) >= 10
    assert max(a.window for a in result.answers) > 0
    assert max(a.start for a in result.answers) > result.windows[0].char_end
    # the windows cover the context in order, each sharing doc_stride tokens with the one before
    windows = result.windows
    assert windows[0].char_start == 0 and windows[-1].char_end == len(LONG.rstrip())
    assert all(w.n_tokens <= 64 for w in windows)
    assert all(b.char_start < a.char_end < b.char_end for a, b in zip(windows, windows[1:], strict=False))
    assert [w.overlap_prev for w in windows[1:-1]] == [16] * (len(windows) - 2)


def test_batched_windows_equal_one_window_at_a_time(tiny):
    kwargs = dict(model="tiny-qa", top_k=8, max_seq_len=64, doc_stride=20, handle_impossible_answer=True)
    batched = answer(QUESTION, LONG, **kwargs)
    single = answer(QUESTION, LONG, batch_size=1, **kwargs)
    odd = answer(QUESTION, LONG, batch_size=3, **kwargs)
    for other in (single, odd):
        assert [(a.text, a.start, a.end, a.window) for a in other.answers] == [
            (a.text, a.start, a.end, a.window) for a in batched.answers
        ]
        assert [a.score for a in other.answers] == pytest.approx([a.score for a in batched.answers], abs=1e-6)
    assert batched.windows == single.windows


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    words=st.lists(
        st.sampled_from(
            ["Paris", "tower", "built", "in", "1889", "by", "a", "king", ",", ".", "Zürich", "unbekannt", "x"]
        ),
        min_size=1,
        max_size=120,
    ),
    top_k=st.integers(1, 6),
    max_answer_len=st.integers(1, 20),
)
def test_any_context_gives_answers_inside_it(tiny, words, top_k, max_answer_len):
    context = " ".join(words)
    result = answer(
        "who built it?",
        context,
        model="tiny-qa",
        top_k=top_k,
        max_seq_len=32,
        doc_stride=8,
        max_answer_len=max_answer_len,
    )
    assert 1 <= len(result.answers) <= top_k
    for found in result.answers:
        assert context[found.start : found.end] == found.text and found.text.strip()


@settings(max_examples=60, deadline=None)
@given(data=st.data(), n=st.integers(2, 40), n_best=st.integers(1, 30), max_answer_len=st.integers(1, 12))
def test_selected_spans_are_valid_and_best_first(data, n, n_best, max_answer_len):
    floats = st.floats(-8, 8, allow_nan=False, width=32)
    start = np.array(data.draw(st.lists(floats, min_size=n, max_size=n)), dtype=np.float32)
    end = np.array(data.draw(st.lists(floats, min_size=n, max_size=n)), dtype=np.float32)
    desired = np.array([True] + data.draw(st.lists(st.booleans(), min_size=n - 1, max_size=n - 1)))
    starts, ends, scores, null = select_spans(start, end, desired, n_best=n_best, max_answer_len=max_answer_len)
    assert len(starts) <= n_best and 0 <= null <= 1
    assert np.all(starts >= 1) and np.all(starts <= ends) and np.all(ends - starts < max_answer_len)
    assert desired[starts].all() and desired[ends].all()
    assert np.all(np.diff(scores) <= 0) and np.all(scores > 0)


def test_select_spans_by_hand():
    # tokens: [CLS] q [SEP] c1 c2 c3; p(start) and p(end) are softmaxes over [CLS] and the context only
    desired = np.array([True, False, False, True, True, True])
    start = np.array([0, 9, 9, 3, 1.5, 0.25], dtype=np.float32)
    end = np.array([0, 9, 9, 0, 2, 4.5], dtype=np.float32)
    starts, ends, scores, null = select_spans(start, end, desired, n_best=3, max_answer_len=2)
    p_start = np.exp([0, 3, 1.5, 0.25]) / np.exp([0, 3, 1.5, 0.25]).sum()  # over [CLS], c1, c2, c3
    p_end = np.exp([0, 0, 2, 4.5]) / np.exp([0, 0, 2, 4.5]).sum()
    assert null == pytest.approx(p_start[0] * p_end[0])
    # log-scores: (c2, c3) 6, (c1, c2) 5, (c3, c3) 4.75; (c1, c3) would be 7.5 but is 3 tokens long
    assert [(int(s), int(e)) for s, e in zip(starts, ends, strict=True)] == [(4, 5), (3, 4), (5, 5)]
    assert scores == pytest.approx([p_start[2] * p_end[3], p_start[1] * p_end[2], p_start[3] * p_end[3]])


def test_retrieval_mode_ranks_whole_sentences(tiny):
    context = qa_oracle._context(8)
    result = answer("Which city is the capital of Germany?", context, mode="retrieval", top_k=3)
    assert result.mode == "retrieval" and result.model == "minilm-offline"
    assert result.answers[0].text.startswith("Berlin is the capital of Germany")
    assert [a.score for a in result.answers] == sorted((a.score for a in result.answers), reverse=True)
    for found in result.answers:
        assert context[found.start : found.end] == found.text
        assert result.windows[found.window].char_start == found.start


def test_unavailable_model_falls_back_to_retrieval(tiny):
    # a script sees the fallback (a warning it can turn into an error), and the result says it in one sentence
    with pytest.warns(RetrievalFallbackWarning, match="Answered by sentence retrieval instead of span extraction: "):
        result = answer(QUESTION, qa_oracle._context(4), model="nobody/no-such-qa-model")
    assert result.mode == "retrieval" and result.warnings[-1].startswith("Answered by sentence retrieval")
    assert result.warnings[-1].endswith(".") and result.warnings[-1].count(". ") == 0  # one sentence, not two run on
    assert result.answers[0].text.startswith("The Eiffel tower was built in Paris")
    with pytest.raises(ModelUnavailableError):
        answer(QUESTION, qa_oracle._context(4), model="nobody/no-such-qa-model", mode="span")


def test_too_many_windows_is_refused_before_any_work(tiny, monkeypatch):
    monkeypatch.setattr("translator.tasks.qa.MAX_WINDOWS", 5)
    with pytest.raises(InputError, match=r"into \d+ windows \(the limit is 5\); lower doc_stride"):
        answer(QUESTION, LONG, model="tiny-qa", max_seq_len=64, doc_stride=16)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"question": ""}, "question is empty"),
        ({"question": "   \n"}, "question is empty"),
        ({"context": ""}, "context is empty"),
        ({"context": 42}, "context must be text"),
        ({"doc_stride": 64}, "doc_stride (64) must be smaller than max_seq_len (64)"),
        ({"doc_stride": 200}, "must be smaller than max_seq_len"),
        ({"doc_stride": 60}, "lower doc_stride"),
        ({"question": "why " * 80}, "shorten the question"),
        ({"top_k": 0}, "top_k must be between 1"),
        ({"top_k": 2.5}, "top_k must be a whole number"),
        ({"max_answer_len": 0}, "max_answer_len must be at least 1"),
        ({"max_seq_len": 4096}, "more than this model takes"),
        ({"mode": "guess"}, "mode must be one of"),
        ({"context": "x" * 100_001}, "the limit is 100,000"),
    ],
)
def test_bad_input_is_one_clear_sentence(tiny, kwargs, message):
    call = {
        "question": QUESTION,
        "context": qa_oracle._context(4),
        "model": "tiny-qa",
        "max_seq_len": 64,
        "doc_stride": 16,
        **kwargs,
    }
    with pytest.raises(InputError) as caught:
        answer(call.pop("question"), call.pop("context"), **call)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


ARGUMENTS = inspect.signature(span_options).parameters


def test_span_options_are_checked_once_and_carry_the_defaults(tiny):
    defaults = {name: p.default for name, p in inspect.signature(answer).parameters.items() if name in ARGUMENTS}
    assert span_options(**defaults) == SpanOptions()  # answer()'s defaults are the options' defaults
    checked = span_options(**{**defaults, "top_k": 2, "max_seq_len": 64.0, "doc_stride": 16, "align_to_words": False})
    assert checked == SpanOptions(top_k=2, max_seq_len=64, doc_stride=16, align_to_words=False)
    with pytest.raises(InputError, match=r"doc_stride \(64\) must be smaller than max_seq_len \(64\)"):
        span_options(**{**defaults, "max_seq_len": 64, "doc_stride": 64})
    with pytest.raises(InputError, match="batch_size must be between 1 and 512"):
        span_options(**{**defaults, "batch_size": 0})


def test_answer_reads_the_context_as_its_span_options_say(tiny):
    context = qa_oracle._context(8)
    result = answer(QUESTION, context, model="tiny-qa", top_k=3, max_seq_len=64, doc_stride=16, max_answer_len=4)
    assert result.mode == "span" and result.max_seq_len == 64 and 1 <= len(result.answers) <= 3
    assert all(window.n_tokens <= 64 for window in result.windows)
    assert [w.overlap_prev > 0 for w in result.windows[1:]] == [True] * (len(result.windows) - 1)
