"""read_auth: user:password pairs from the flag, a file and TRANSLATOR_AUTH; anything malformed stops the app."""

from __future__ import annotations

import pytest

from translator import InputError
from translator.serving.auth import read_auth


def test_pairs_come_from_the_flag_the_environment_and_the_file_in_that_order(tmp_path):
    auth_file = tmp_path / "auth.txt"
    auth_file.write_text("grace:hopper\n\n  alan:turing:machine  \n", encoding="utf-8")
    pairs = read_auth("ada:lovelace", auth_file, {"TRANSLATOR_AUTH": "edsger:dijkstra"})
    # a password may hold colons; blank lines and surrounding spaces are skipped
    assert pairs == [("ada", "lovelace"), ("edsger", "dijkstra"), ("grace", "hopper"), ("alan", "turing:machine")]


def test_no_source_means_no_login():
    assert read_auth(None, None, {}) == []
    assert read_auth("", None, {"TRANSLATOR_AUTH": "  "}) == []


@pytest.mark.parametrize("entry", ["nocolon", ":password", "user:", ":"])
def test_a_malformed_entry_is_one_sentence(entry):
    with pytest.raises(InputError, match="^Auth entries must look like user:password.$"):
        read_auth(entry, None, {})


def test_a_malformed_line_in_the_file_is_refused_too(tmp_path):
    auth_file = tmp_path / "auth.txt"
    auth_file.write_text("ada:lovelace\njust-a-name\n", encoding="utf-8")
    with pytest.raises(InputError, match="user:password"):
        read_auth(None, auth_file, {})


def test_an_unreadable_file_is_one_sentence(tmp_path):
    with pytest.raises(InputError, match="auth file .*missing.* cannot be read"):
        read_auth(None, tmp_path / "missing", {})
    binary = tmp_path / "binary"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(InputError, match="cannot be read"):
        read_auth(None, binary, {})
