"""The Steer view's HTML and pickers: words as the tokenizer decodes them, not raw word pieces."""

from __future__ import annotations

from translator import Hypothesis, SteeredTranslation, TokenScore
from translator.render.steer import alternative_choices, steer_html, steer_prefix
from translator.tasks.translation.compare import word_diff
from translator.tasks.translation.results import TranslatedChunk, TranslationResult

# "Das Leben." as a tokenizer without sub-word marks decodes it: "ben" continues "Le", and each alternative
# carries the word it would have made in its place (engines/base.py's in_context)
TOKENS = (
    TokenScore("Das", 0.9, (("Der", 0.05),), shown="Das", words=("Der",)),
    TokenScore("Le", 0.5, (("Haus", 0.3),), shown=" Le", words=("Haus",)),
    TokenScore("ben", 0.4, (("ser", 0.3), ("</s>", 0.1)), shown="ben", words=("Leser", "")),
    TokenScore(".", 0.99, shown="."),
    TokenScore("</s>", 0.7, special=True, shown=""),
)


def test_a_tokens_alternatives_are_offered_as_the_words_they_make():
    chunk = TranslatedChunk(
        0, 0, 9, 4, 0, "The life.", hypotheses=[Hypothesis("Das Leben.", -1.0)], truncated=False, tokens=TOKENS
    )
    result = TranslationResult(text="Das Leben.", chunks=[chunk], model="m")
    # the label is the word; the value stays the token steer() forces
    assert alternative_choices(result, 0, 2) == [("Leser (30.0%)", "ser"), ("</s> (10.0%)", "</s>")]


def test_the_forced_words_are_listed_as_words_with_their_probability():
    steered = SteeredTranslation(
        source="The life.",
        original=Hypothesis("Der Leben.", -1.0),
        steered=Hypothesis("Das Leben.", -0.5),
        forced=("Das", "Le", "ben"),
        forced_logprob=-1.8,
        tokens=TOKENS,
        flags=(),
        changes=word_diff("Der Leben.", "Das Leben."),
        model="m",
    )
    html = steer_html(steered)
    assert 'Forced start: <b class="steer-forced">Das Leben</b>' in html
    # one probability per word: "Leben" is its two pieces' 0.5 x 0.4
    assert "model probability: Das 90.0%, Leben 20.0%;" in html


def test_the_prefix_box_joins_an_alternative_that_continues_a_word_as_the_forced_tokens_do():
    """SentencePiece pieces "b", "b" then "▁a": the runner-up "b" continues the word ("bbb", as the picker and the
    forced start say); the kept pieces alone carry no word-start mark, so the box once read them as WordPiece."""
    tokens = (
        TokenScore("b", 0.5, (("ear", 0.1),), shown="b"),
        TokenScore("b", 0.5, (("▁a", 0.1),), shown="b"),
        TokenScore("▁a", 0.5, (("b", 0.2), ("▁der", 0.1)), shown=" a", words=("bbb", "der")),
    )
    best = [Hypothesis("bb a", -1.0)]
    chunk = TranslatedChunk(0, 0, 5, 3, 0, "Text.", hypotheses=best, truncated=False, tokens=tokens)
    result = TranslationResult(text="bb a", chunks=[chunk], model="m")
    assert steer_prefix(result, 0, 2, "b") == ("bbb", ["b", "b", "b"])
    assert steer_prefix(result, 0, 2, "▁der") == ("bb der", ["b", "b", "▁der"])
