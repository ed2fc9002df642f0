"""Markdown on the CommonMark spec's own examples (tests/fixtures/commonmark.json) and on the cases of issue 23."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from translator import InputError
from translator.text.formats import parse_document

EXAMPLES = json.loads((Path(__file__).parents[2] / "fixtures" / "commonmark.json").read_text(encoding="utf-8"))
RENDER = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render
TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*")
# measured when the identity rule and the escapes landed; a change that accepts fewer examples fails here
ACCEPTED = 485


def tags(markdown: str) -> list[str]:
    return TAG.findall(RENDER(markdown))


def shown(markdown: str) -> str:
    """The rendered text a reader sees (a soft line break reads as a space)."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", RENDER(markdown))).split())


def accepted() -> list[tuple[int, str, object]]:
    out = []
    for example in EXAMPLES:
        try:
            out.append((example["example"], example["markdown"], parse_document(example["markdown"].encode(), "a.md")))
        except InputError:
            continue
    return out


def test_every_accepted_spec_example_round_trips_byte_for_byte_and_keeps_its_tags_when_translated():
    documents = accepted()
    assert len(EXAMPLES) == 652 and len(documents) == ACCEPTED
    identical = [n for n, source, doc in documents if doc.rebuild(doc.units) == source.encode()]
    assert len(identical) == ACCEPTED
    changed = [
        n for n, source, doc in documents if tags(doc.rebuild([u.upper() for u in doc.units]).decode()) != tags(source)
    ]
    assert changed == []
    assert not [n for n, _, doc in documents if doc.warnings]  # every block's markup was placed


def prose(markdown: str) -> list[str]:
    """Text the parser reads as prose: text tokens with a letter, outside autolinks and URLs (code and HTML aren't
    text tokens)."""
    found = []
    for token in MarkdownIt("commonmark").enable(["table", "strikethrough"]).parse(markdown):
        autolink = False
        for child in token.children or []:
            if child.type == "link_open":
                autolink = child.markup in ("autolink", "linkify")
            elif (
                child.type == "text"
                and not autolink
                and re.search(r"[^\W\d_]", re.sub(r"\S+://\S*", "", child.content))
            ):
                found.append(child.content)
    return found


def test_refused_spec_examples_hold_no_prose():
    refused = []
    for example in EXAMPLES:
        try:
            parse_document(example["markdown"].encode(), "a.md")
        except InputError as error:
            refused.append(example["example"])
            assert str(error) == "a.md has no text to translate."
            assert prose(example["markdown"]) == [], example["example"]
    assert len(refused) == len(EXAMPLES) - ACCEPTED


def translated(source: str, translations: dict[str, str]) -> str:
    document = parse_document(source.encode(), "a.md")
    return document.rebuild([translations.get(unit, unit) for unit in document.units]).decode()


def test_a_reference_link_keeps_its_label_when_its_text_is_translated():
    source = "See [the docs].\n\n[the docs]: https://example.org/docs\n"
    out = translated(source, {"See": "Siehe", "the docs": "die Dokumentation"})
    assert out == "Siehe [die Dokumentation][the docs].\n\n[the docs]: https://example.org/docs\n"
    assert 'href="https://example.org/docs"' in RENDER(out)
    collapsed = translated("A [Foo*bar\\]][] link.\n\n[Foo*bar\\]]: /url\n", {"Foo*bar]": "Etwas"})
    assert collapsed.startswith("A [Etwas][Foo*bar\\]] link.") and 'href="/url"' in RENDER(collapsed)
    # a full reference link already names its label: only its text changes
    assert translated("[docs][ref]\n\n[ref]: /u\n", {"docs": "Doku"}) == "[Doku][ref]\n\n[ref]: /u\n"


@pytest.mark.parametrize(
    "source",
    [
        "1986\\. A great year\n",
        "\\# of items\n",
        "\\- not a list item\n",
        "&#35; &#1234;\n",
        "### foo \\###\n",
        "A&nbsp;B and more\n",
        "[Foo*bar\\]]\n\n[Foo*bar\\]]: /url\n",
        "aaa\nbbb\n",
        "> a quote\n> on two lines\n",
    ],
)
def test_escapes_entities_and_line_breaks_stay_under_the_identity_and_render_the_same_translated(source):
    document = parse_document(source.encode(), "a.md")
    assert document.rebuild(document.units) == source.encode()
    upper = document.rebuild([unit.upper() for unit in document.units]).decode()
    assert tags(upper) == tags(source)
    assert shown(upper) == shown(source).upper()


def test_a_translation_that_starts_like_markup_is_escaped_where_it_lands():
    out = translated("A year\n\nSome items\n\nA quote\n", {"A year": "1986. war", "Some items": "# Dinge"})
    assert out == "1986\\. war\n\n\\# Dinge\n\nA quote\n"
    assert tags(out) == ["<p", "</p", "<p", "</p", "<p", "</p"]
    assert "\\*" in translated("Plain\n", {"Plain": "*not emphasis*"})


def test_hard_breaks_stay_in_a_translated_paragraph_and_soft_breaks_in_an_untranslated_one():
    source = "First line  \nsecond line\\\nthird\n\nkept\nas it is\n"
    out = translated(source, {"First line": "Erste Zeile", "second line": "zweite Zeile", "third": "dritte"})
    assert out == "Erste Zeile  \nzweite Zeile\\\ndritte\n\nkept\nas it is\n"
    assert tags(out) == tags(source) and tags(out).count("<br") == 2


@pytest.mark.parametrize(
    ("source", "units"),
    [
        ("*foo**bar*\n", ("foo**bar",)),
        ("**foo*\n", ("foo",)),  # the first "*" is text, but no word
        ("[link](<foo(and(bar)>)\n", ("link",)),
        ('[foo] [bar]\n\n[bar]: /url "title"\n', ("[foo]", "bar")),
    ],
)
def test_blocks_with_prose_are_never_refused(source, units):
    document = parse_document(source.encode(), "a.md")
    assert document.units == units and document.warnings == ()
    out = document.rebuild([unit.upper() for unit in document.units]).decode()
    assert tags(out) == tags(source)
