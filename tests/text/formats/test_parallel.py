"""Reading parallel corpora (TSV, CSV, JSON lines) and the held-out split."""

from __future__ import annotations

import csv
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from translator import InputError
from translator.text.formats.parallel import Pair, read_parallel, split_heldout


def write(tmp_path, name: str, content: str | bytes):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def pairs_of(corpus) -> list[tuple[str, str]]:
    return [(p.source, p.target) for p in corpus.pairs]


# -------------------------------------------------------------------- formats


def test_tsv_without_header_reads_two_columns_and_counts_empty_rows(tmp_path):
    path = write(tmp_path, "c.tsv", 'Hello "you"\tHallo "du"\n\tleer\n\nA cat.\tEine Katze.\r\n')
    corpus = read_parallel(path)
    assert pairs_of(corpus) == [('Hello "you"', 'Hallo "du"'), ("A cat.", "Eine Katze.")]
    assert [p.line for p in corpus.pairs] == [1, 4]
    assert (corpus.rows, corpus.skipped_empty, corpus.format) == (3, 1, "tsv")


def test_tsv_header_picks_named_columns_in_any_order(tmp_path):
    path = write(tmp_path, "c.tsv", "id\tde\ten\n1\tHaus\thouse\n2\tBaum\ttree\n")
    corpus = read_parallel(path, source_column="en", target_column="de")
    assert pairs_of(corpus) == [("house", "Haus"), ("tree", "Baum")]
    assert [p.line for p in corpus.pairs] == [2, 3]


def test_csv_with_quotes_commas_and_a_field_spanning_lines(tmp_path):
    path = write(tmp_path, "c.csv", 'source,target\n"one, two","eins, zwei"\n"line\nbreak",Umbruch\nlast,letzte\n')
    corpus = read_parallel(path)
    assert pairs_of(corpus) == [("one, two", "eins, zwei"), ("line\nbreak", "Umbruch"), ("last", "letzte")]
    assert [p.line for p in corpus.pairs] == [2, 3, 5]  # the row that spans lines 3-4 starts at 3


def test_jsonl_objects_and_lists_and_a_byte_order_mark(tmp_path):
    lines = [
        json.dumps({"source": "a b", "target": "c d", "extra": 1}),
        "",
        json.dumps(["e", "f"]),
        json.dumps({"source": " ", "target": "x"}),
    ]
    path = write(tmp_path, "c.jsonl", "\ufeff" + "\n".join(lines) + "\n")
    corpus = read_parallel(path)
    assert pairs_of(corpus) == [("a b", "c d"), ("e", "f")]
    assert (corpus.rows, corpus.skipped_empty) == (3, 1)


def test_format_named_explicitly_overrides_the_extension(tmp_path):
    path = write(tmp_path, "corpus.data", "a\tb\n")
    assert pairs_of(read_parallel(path, format="tsv")) == [("a", "b")]


# -------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("c.tsv", "a\tb\nonly one column\nc\td\n", "Line 2 has 1 field; expected 2"),
        ("c.tsv", "a\tb\tc\n", "Line 1 has 3 fields"),
        ("c.tsv", "source\ttarget\tnote\nx\ty\n", "Line 2 has 2 fields; the header has 3"),
        ("c.csv", "source,target\nx\n", "Line 2 has 1 field"),
        ("c.jsonl", '{"source": "a", "target": "b"}\n{"source": "a"}\n', "Line 2 has no 'target' field"),
        ("c.jsonl", '{"source": "a", "target": "b"}\n{"source": "a", "target": 3}\n', "Line 2: the source and target"),
        ("c.jsonl", '{"source": "a", "target": "b"}\n\n{"source": "a", \n', "Line 3 of c.jsonl is not valid JSON"),
        ("c.jsonl", '"just a string"\n', "Line 1 must be a JSON object"),
    ],
)
def test_malformed_rows_name_their_line(tmp_path, name, content, message):
    with pytest.raises(InputError, match=message):
        read_parallel(write(tmp_path, name, content))


def test_a_named_column_missing_from_the_header(tmp_path):
    path = write(tmp_path, "c.tsv", "en\tfr\nhouse\tmaison\n")
    with pytest.raises(InputError, match="Line 1 of c.tsv is not a header with a 'de' column"):
        read_parallel(path, source_column="en", target_column="de")


@pytest.mark.parametrize("content", ["", "  \n\n"])
def test_empty_file(tmp_path, content):
    with pytest.raises(InputError, match="is empty"):
        read_parallel(write(tmp_path, "c.tsv", content))


def test_header_without_rows_and_rows_all_empty(tmp_path):
    with pytest.raises(InputError, match="has no data rows"):
        read_parallel(write(tmp_path, "a.tsv", "source\ttarget\n"))
    with pytest.raises(InputError, match="all 2 have an empty source or target"):
        read_parallel(write(tmp_path, "b.tsv", "a\t \n\tb\n"))


def test_non_utf8_bytes_name_the_line(tmp_path):
    path = write(tmp_path, "c.tsv", "ok\tgut\nfine\tfein\ncaf\xe9\tCaf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"not UTF-8 text: line 3 has the byte 0xe9; save the file as UTF-8"):
        read_parallel(path)


def test_missing_file_and_unknown_extension(tmp_path):
    with pytest.raises(InputError, match="There is no file to read at"):
        read_parallel(tmp_path / "nope.tsv")
    with pytest.raises(InputError, match="Can't tell the format of c.xlsx"):
        read_parallel(write(tmp_path, "c.xlsx", "a\tb\n"))
    with pytest.raises(InputError, match="format must be one of"):
        read_parallel(write(tmp_path, "c.tsv", "a\tb\n"), format="xml")


# -------------------------------------------------------------------- round trips


# text a row can hold: no surrogates (not UTF-8) and no NUL; trimmed and non-empty, as the reader keeps it
def texts(forbidden: str):
    alphabet = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00" + forbidden)
    return st.text(alphabet, min_size=1, max_size=30).map(str.strip).filter(bool)


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(st.tuples(texts("\t\n\r"), texts("\t\n\r")), min_size=1, max_size=8))
def test_tsv_round_trip(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("tsv") / "c.tsv"
    path.write_text("".join(f"{s}\t{t}\n" for s, t in rows), encoding="utf-8")
    corpus = read_parallel(path)
    assert pairs_of(corpus) == rows
    assert [p.line for p in corpus.pairs] == list(range(1, len(rows) + 1))


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(st.tuples(texts("\r"), texts("\r")), min_size=1, max_size=8))
def test_csv_and_jsonl_round_trip(tmp_path_factory, rows):
    folder = tmp_path_factory.mktemp("rt")
    with open(folder / "c.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source", "target"])
        writer.writerows(rows)
    (folder / "c.jsonl").write_text(
        "".join(json.dumps({"source": s, "target": t}) + "\n" for s, t in rows), encoding="utf-8"
    )
    assert pairs_of(read_parallel(folder / "c.csv")) == rows
    assert pairs_of(read_parallel(folder / "c.jsonl")) == rows


# -------------------------------------------------------------------- held-out split


def make_pairs(n: int, distinct: int | None = None) -> list[Pair]:
    return [Pair(f"s{i % (distinct or n)}", f"t{i}", i + 1) for i in range(n)]


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(2, 200),
    distinct=st.integers(1, 200),
    fraction=st.floats(0, 0.5),
    cap=st.integers(0, 50),
    seed=st.integers(0, 5),
)
def test_split_partitions_the_rows_in_file_order(n, distinct, fraction, cap, seed):
    pairs = make_pairs(n, min(distinct, n))
    try:
        train, heldout, dropped = split_heldout(pairs, fraction=fraction, max_heldout=cap, seed=seed)
    except InputError as error:
        # only when every source is held out, which takes at least one held-out row per distinct source
        held = max(1, min(cap, round(n * fraction)))
        assert "none would be left for training" in str(error) and len({p.source for p in pairs}) <= held
        return
    assert len(train) + len(heldout) + dropped == n
    assert len(heldout) <= max(cap, 0) and (len(heldout) >= 1) == (fraction > 0 and cap > 0)
    assert {p.source for p in train}.isdisjoint({p.source for p in heldout})
    for part in (train, heldout):
        assert [p.line for p in part] == sorted(p.line for p in part)
    assert (train, heldout, dropped) == split_heldout(pairs, fraction=fraction, max_heldout=cap, seed=seed)


def test_split_depends_on_the_seed_and_rejects_bad_fractions():
    pairs = make_pairs(100)
    first = split_heldout(pairs, fraction=0.1, max_heldout=50, seed=0)[1]
    assert len(first) == 10
    assert first != split_heldout(pairs, fraction=0.1, max_heldout=50, seed=1)[1]
    with pytest.raises(InputError, match="held-out fraction"):
        split_heldout(pairs, fraction=1.0, max_heldout=5, seed=0)
    with pytest.raises(InputError, match="none would be left for training"):
        split_heldout(make_pairs(1), fraction=0.5, max_heldout=5, seed=0)
