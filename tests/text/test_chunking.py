from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from transformers import AutoTokenizer

from translator import InputError, chunk_text, plan_chunks
from translator.text.chunking import count_tokens, token_offsets
from translator.text.segment import sentences

FRAGMENTS = [
    "The house is big.",
    "the river runs to the city",
    "Dr. Who?",
    "Paris!",
    "...",
    ",",
    "3.14",
    "日本語の文です。",
    "二つ目の文",
    "😀",
    "👍🏽",
    "👨‍👩‍👧",
    "שלום עולם.",
    "مرحبا بالعالم.",
    "\u200b",
    "ﬁne",
    "Averyveryverylongwordwithoutspaces",
    " ",
    "  ",
    "\n",
    "\r\n",
    "\r",
    "\n\n",
    "\t",
]
texts = st.lists(st.sampled_from(FRAGMENTS), max_size=40).map(" ".join)
AWKWARD = [
    "no punctuation at all just words " * 8,
    "x" * 10_000,
    "日本語の文です。" * 30,
    "😀👍🏽 " * 40,
    "שלום עולם. מה שלומך? " * 10,
    "a\r\nb\rc\n\nd " * 20,
]


@pytest.fixture(scope="module", params=["marian", "bert2bert"])
def tokenizer(request, tiny_models):
    """The slow SentencePiece Marian tokenizer (offsets matched by hand) and a fast WordPiece one."""
    return AutoTokenizer.from_pretrained(tiny_models[request.param])


def covered(text: str, chunks) -> list[int]:
    counts = [0] * len(text)
    for chunk in chunks:
        assert chunk.text == text[chunk.char_start : chunk.char_end]
        for k in range(chunk.char_start, chunk.char_end):
            counts[k] += 1
    return counts


def check_sentence_plan(text: str, tokenizer, max_tokens: int, pack: bool = True) -> None:
    chunks = plan_chunks(text, tokenizer, max_tokens=max_tokens, pack=pack)
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert all(a.char_end <= b.char_start for a, b in zip(chunks, chunks[1:], strict=False))  # ordered, disjoint
    counts = covered(text, chunks)
    assert all(counts[k] == 1 for k, char in enumerate(text) if not char.isspace())  # nothing lost, nothing twice
    for chunk in chunks:
        assert chunk.n_tokens == count_tokens(chunk.text, tokenizer)  # what the model is fed
        # only a lone character that alone tokenizes to more (NFKC turns "ﷺ" into 18 letters) may exceed
        assert chunk.n_tokens <= max_tokens or len(chunk.text) == 1
        assert chunk.overlap_prev == 0


def check_window_plan(text: str, tokenizer, max_tokens: int, stride: int) -> None:
    chunks = plan_chunks(text, tokenizer, max_tokens=max_tokens, stride=stride, mode="windows")
    assert all(
        a.char_start <= b.char_start and a.char_end <= b.char_end for a, b in zip(chunks, chunks[1:], strict=False)
    )
    counts = covered(text, chunks)
    assert all(counts[k] >= 1 for k, char in enumerate(text) if not char.isspace())
    assert all(c.n_tokens <= max_tokens for c in chunks)
    assert [c.overlap_prev for c in chunks] == [0, *[stride] * (len(chunks) - 1)][: len(chunks)]
    # windows advance by max_tokens - stride tokens of the whole text's tokenization
    assert sum(c.n_tokens - c.overlap_prev for c in chunks) == len(token_offsets(text, tokenizer))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=texts, max_tokens=st.integers(4, 40))
@example(text="x" * 10_000, max_tokens=64)
def test_sentence_chunks_tile_the_text_within_the_limit(tokenizer, text, max_tokens):
    check_sentence_plan(text, tokenizer, max_tokens)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=texts, max_tokens=st.integers(2, 40), data=st.data())
def test_windows_overlap_by_the_stride(tokenizer, text, max_tokens, data):
    check_window_plan(text, tokenizer, max_tokens, data.draw(st.integers(0, max_tokens - 1)))


@pytest.mark.parametrize("text", AWKWARD, ids=["no-punct", "huge-word", "cjk", "emoji", "rtl", "newlines"])
def test_awkward_text(tokenizer, text):
    check_sentence_plan(text, tokenizer, 24)
    check_window_plan(text, tokenizer, 24, 6)


def test_whole_sentences_are_packed_and_lines_are_not_crossed(tokenizer):
    text = "The house is big. The city is new.\nThe river runs.\n\nParis! London."
    chunks = plan_chunks(text, tokenizer, max_tokens=200)
    assert [c.text for c in chunks] == ["The house is big. The city is new.", "The river runs.", "Paris! London."]
    assert [c.paragraph for c in chunks] == [0, 0, 1]
    assert not any(c.split_inside_sentence for c in chunks)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=texts, max_tokens=st.integers(4, 40))
def test_without_packing_each_chunk_is_one_sentence_or_a_piece_of_one(tokenizer, text, max_tokens):
    check_sentence_plan(text, tokenizer, max_tokens, pack=False)
    spans = sentences(text)
    for chunk in plan_chunks(text, tokenizer, max_tokens=max_tokens, pack=False):
        inside = [s for s in spans if s.char_start < chunk.char_end and chunk.char_start < s.char_end]
        assert len(inside) == 1
        if not chunk.split_inside_sentence:
            assert (chunk.char_start, chunk.char_end) == (inside[0].char_start, inside[0].char_end)


def test_without_packing_sentences_that_would_pack_stay_apart(tokenizer):
    text = "The house is big. The city is new.\nThe river runs.\n\nParis! London."
    chunks = plan_chunks(text, tokenizer, max_tokens=200, pack=False)
    assert [c.text for c in chunks] == ["The house is big.", "The city is new.", "The river runs.", "Paris!", "London."]
    assert [c.paragraph for c in chunks] == [0, 0, 0, 1, 1]


def test_a_sentence_over_the_limit_is_cut_on_token_windows(tokenizer):
    text = "Short one. " + "the river runs to the city " * 10 + "and ends here. Last one."
    chunks = plan_chunks(text, tokenizer, max_tokens=12)
    starts = {s.char_start for s in sentences(text)}
    cut = [c for c in chunks if c.split_inside_sentence]
    assert len(cut) >= 2
    assert all(c.n_tokens <= 12 for c in chunks)
    assert all(c.char_start in starts for c in chunks if not c.split_inside_sentence)
    # cuts fall between words when one is near
    assert all(text[c.char_end] == " " for c in cut[:-1])


def test_a_cut_continues_into_the_next_piece_of_its_own_sentence_only(tokenizer):
    long = "the river runs to the city " * 6
    text = f"Short one. {long}and ends here. {long.capitalize()}and ends too. Last one."
    chunks = plan_chunks(text, tokenizer, max_tokens=12)
    first = [c for c in chunks if c.split_inside_sentence and c.char_end <= text.index("and ends here.") + 14]
    second = [c for c in chunks if c.split_inside_sentence and c.char_start > first[-1].char_end]
    assert len(first) >= 2 and len(second) >= 2
    # each piece but the last of a sentence goes on in the next piece, never into the next sentence's first piece
    assert [c.continues for c in first] == [True] * (len(first) - 1) + [False]
    assert [c.continues for c in second] == [True] * (len(second) - 1) + [False]
    assert not any(c.continues for c in chunks if not c.split_inside_sentence)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"max_tokens": 0}, "max_tokens"),
        ({"max_tokens": 8, "stride": 8, "mode": "windows"}, "stride"),
        ({"max_tokens": 8, "stride": 2}, "windows"),
        ({"max_tokens": 8, "mode": "paragraphs"}, "mode"),
    ],
)
def test_bad_arguments_say_how_to_fix_them(tokenizer, kwargs, message):
    with pytest.raises(InputError, match=message):
        plan_chunks("Some text.", tokenizer, **kwargs)


def test_empty_text_has_no_chunks(tokenizer):
    assert plan_chunks(" \n ", tokenizer, max_tokens=8) == []


def test_chunk_text_takes_any_registry_model_and_checks_the_request(tiny):
    plan = chunk_text("One sentence. Another one.", model="tiny-qa", max_tokens=600.0, stride=0)
    assert plan.model == "tiny-qa" and plan.model_max_tokens == 512
    assert [c.text for c in plan.chunks] == ["One sentence. Another one."]
    assert plan.warnings and "512" in plan.warnings[0]
    with pytest.raises(InputError, match="empty"):
        chunk_text("   ", model="tiny-qa", max_tokens=8)
    with pytest.raises(InputError, match="limit"):
        chunk_text("x" * 200_001, model="tiny-qa", max_tokens=8)
