"""Token confidences decoded in context (engines/base.py's in_context): each token as the text shows it, and each
alternative as the word it would have made, not as a bare piece."""

from __future__ import annotations

from transformers import AutoTokenizer

from translator import translate
from translator.tasks.translation.engines.base import decoder, in_context, scored_tokens


def test_alternatives_are_the_words_they_would_make_with_the_pieces_before_them(tiny):
    tokenizer = AutoTokenizer.from_pretrained(tiny["marian"])
    ids = tokenizer.convert_tokens_to_ids(["▁b", "b", "▁a", "0"])
    alternatives = tokenizer.convert_tokens_to_ids(["ear", "▁der"])
    names = tokenizer.convert_ids_to_tokens(range(len(tokenizer)))
    top = [[ids[t], *alternatives] for t in range(len(ids))]
    scored = scored_tokens(ids, [-0.1] * 4, top, [[-0.1, -2.0, -3.0]] * 4, names, set(), decoder(tokenizer))
    assert "".join(t.shown for t in scored) == tokenizer.decode(ids) == "bb a0"
    assert [t.shown for t in scored] == ["b", "b", " a", "0"]
    # in the place of the second "b": "b" + "ear" makes "bear"; "▁der" starts a word of its own
    assert scored[1].words == ("bear", "der") and scored[3].words == ("aear", "der")
    assert scored[0].alternatives[0][0] == "ear"  # the raw pieces stay as they were


def test_an_end_token_alternative_makes_no_word_and_special_tokens_show_nothing(tiny):
    tokenizer = AutoTokenizer.from_pretrained(tiny["marian"])
    eos = tokenizer.eos_token_id
    ids = [*tokenizer.convert_tokens_to_ids(["▁a"]), eos]
    scored = scored_tokens(
        ids,
        [-0.1, -0.1],
        [[ids[0], eos], [eos, ids[0]]],
        [[-0.1, -1.0]] * 2,
        tokenizer.convert_ids_to_tokens(range(len(tokenizer))),
        {eos},
        decoder(tokenizer),
    )
    assert scored[0].words == ("",) and scored[1].shown == "" and scored[1].words == ("a",)
    assert in_context((), [], [], decoder(tokenizer)) == ()


def test_every_engine_reports_decoded_tokens(tiny):
    for engine in ("transformers", "ctranslate2"):
        result = translate("The house is big.", model="tiny-marian", num_beams=2, engine=engine)
        chunk = result.chunks[0]
        assert "".join(t.shown for t in chunk.tokens) == chunk.best
        assert all(len(t.words) == len(t.alternatives) for t in chunk.tokens)
