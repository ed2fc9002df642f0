"""The confidence view: words shaded by probability, sub-word pieces merged, least confident listed first."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from translator import TokenScore, translate
from translator.render.confidence import confidence_html, least_confident, shade, words
from translator.tasks.translation.results import Hypothesis, TranslatedChunk, TranslationResult

SENTENCEPIECE = (
    TokenScore("▁Das", 0.9, (("▁Der", 0.05),)),
    TokenScore("▁Ha", 0.5, (("▁Gebäude", 0.3), ("▁Heim", 0.1))),
    TokenScore("us", 0.8, (("use", 0.1),)),
    TokenScore("▁ist", 0.95),
    TokenScore("▁groß", 0.3, (("▁klein", 0.25), ("▁<b>", 0.2), ("▁weit", 0.1))),
    TokenScore(".", 0.99),
    TokenScore("</s>", 0.7, (("▁und", 0.2),), special=True),
)


def result_of(*chunks: tuple[str, tuple[TokenScore, ...]], source: str = "", engine: str = "transformers"):
    made, start = [], 0
    for i, (text, tokens) in enumerate(chunks):
        made.append(
            TranslatedChunk(
                i, start, start + 3, 3, 0, "src", hypotheses=[Hypothesis(text, -1.0)], truncated=False, tokens=tokens
            )
        )
        start += 5
    return TranslationResult(
        text=" ".join(t for t, _ in chunks), chunks=made, source=source or "src. src.", model="m", engine=engine
    )


def test_sentencepiece_pieces_merge_into_words_with_the_product_of_their_probabilities():
    merged = words(SENTENCEPIECE)
    assert [w.text for w in merged] == ["Das", "Haus", "ist", "groß."]
    assert [round(w.prob, 4) for w in merged] == [0.9, 0.4, 0.95, 0.297]
    assert [w.space_before for w in merged] == [False, True, True, True]  # </s> is no word


def test_wordpiece_pieces_merge_and_punctuation_joins_the_word_before():
    tokens = [TokenScore(t, p) for t, p in [("das", 0.9), ("ha", 0.6), ("##us", 0.5), ("ist", 0.8), (".", 0.7)]]
    merged = words(tokens)
    assert [(w.text, w.space_before) for w in merged] == [("das", False), ("haus", True), ("ist.", True)]
    assert merged[1].prob == 0.6 * 0.5


def test_decoded_tokens_are_shown_as_the_tokenizer_decoded_them():
    """``shown`` wins over the marks: "▁." decoded with the space cleaned up joins "Ticket" ("Ticket.", not
    "Ticket ."), and the alternatives read as the words they would have made, at the word's probability."""
    tokens = (
        TokenScore("▁Le", 0.5, (("▁Student", 0.3),), shown="Le", words=("Student",)),
        TokenScore("hrer", 0.8, (("ser", 0.1), ("▁", 0.05)), shown="hrer", words=("Leser", "")),
        TokenScore("▁Ticket", 0.9, shown=" Ticket"),
        TokenScore("▁.", 0.6, shown="."),
    )
    merged = words(tokens)
    assert [(w.text, w.space_before) for w in merged] == [("Lehrer", False), ("Ticket.", True)]
    html = confidence_html(result_of(("Lehrer Ticket.", tokens)))
    assert "Lehrer Ticket." in "".join(ET.fromstring(html).find("p").itertext())
    title = {s.text: s.get("title") for s in ET.fromstring(html).find("p").iter("span")}["Lehrer"]
    # Student at the first piece (30%); Leser after "Le" (50% x 10%); "▁" makes no word: its piece is shown
    assert "else: Student 30.0%, Leser 5.0%, ▁ 2.5%" in title and "hrer" not in title.replace("Lehrer", "")


def test_least_confident_word_is_listed_first():
    html = confidence_html(result_of(("Das Haus ist groß.", SENTENCEPIECE)))
    items = ET.fromstring(html).find("ol").findall("li")
    assert [li.find("span").text for li in items] == ["groß.", "Haus", "Das", "ist"]
    assert [w.text for w in least_confident(result_of(("x", SENTENCEPIECE)), limit=2)] == ["groß.", "Haus"]


def test_words_are_shaded_and_their_tooltips_list_the_alternatives_escaped():
    html = confidence_html(result_of(("Das Haus ist groß.", SENTENCEPIECE)))
    assert "<b>" not in html and "&lt;b&gt;" in html
    spans = {s.text: s for s in ET.fromstring(html).find("p").iter("span")}
    assert set(spans) >= {"Das", "Haus", "ist", "groß."}
    assert "klein 25.0%" in spans["groß."].get("title") and "<b> 20.0%" in spans["groß."].get("title")
    assert "Gebäude 30.0%" in spans["Haus"].get("title") and "2 pieces" in spans["Haus"].get("title")
    hue = {text: int(re.search(r"hsl\((\d+)", span.get("style")).group(1)) for text, span in spans.items()}
    assert hue["groß."] < hue["Haus"] < hue["Das"] < hue["ist"]  # red for unsure through green for sure
    assert shade(0.0).startswith("hsl(0,") and shade(1.0).startswith("hsl(120,")
    assert "⏎" not in html  # sentence ends are hidden unless asked for
    shown = confidence_html(result_of(("Das Haus ist groß.", SENTENCEPIECE)), ends=True)
    assert "⏎" in shown and "ended the sentence here: 70.0%" in shown and "else: und 20.0%" in shown


def test_chunks_keep_the_sources_breaks_and_name_their_chunk():
    second = (TokenScore("▁Ja", 0.1), TokenScore("</s>", 0.9, special=True))
    html = confidence_html(result_of(("Das Haus ist groß.", SENTENCEPIECE), ("Ja", second), source="abc\n\nabc"))
    assert html.count("<br/>") == 2  # the blank line between the source's paragraphs
    first = "".join(ET.fromstring(html).find("ol").findall("li")[0].itertext())
    assert first.startswith("Ja 10.0% (chunk 2)")


def test_an_engine_without_token_scores_says_so():
    html = confidence_html(result_of(("Das Haus", ()), engine="ctranslate2"))
    assert "ctranslate2 engine reported no token probabilities" in html


def test_a_real_translation_shows_every_word_of_the_best_hypothesis(tiny):
    runs = (
        ("tiny-marian", 1, "transformers"),
        ("tiny-bert2bert", 4, "transformers"),
        ("tiny-marian", 2, "ctranslate2"),
    )
    for model, beams, engine in runs:  # (greedy tiny-bert2bert says only <s>)
        result = translate("The house is big. London.", model=model, num_beams=beams, engine=engine)
        for chunk in result.chunks:
            # the words, spaced as the view spaces them, are the translation's text
            assert "".join((" " if w.space_before else "") + w.text for w in words(chunk.tokens)) == chunk.best
        html = confidence_html(result)
        ET.fromstring(html)
        listed = ET.fromstring(html).find("ol").findall("li")
        probs = [w.prob for w in least_confident(result)]
        assert len(listed) == len(probs) > 0 and probs == sorted(probs)
