"""The progress file of a corpus run: finished translations, appended and fsync'ed, so a re-run resumes.

JSON lines. The first names the settings the translations were made with; each other line is one
finished unit: ``{"key": sha256 of the source text, "text": its translation}``. Keys are the source
text's hash, so the same text is never translated twice, in one file or across files. A line cut
short by a crash is dropped on reading; a file made with other settings is started afresh.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any


def unit_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ProgressLog:
    def __init__(self, path: Path, settings: Mapping[str, Any]) -> None:
        self.path = path
        self.settings = {"settings": dict(settings)}
        self.done: dict[str, str] = {}  # unit key -> translation
        # finished units of an old file whose settings differ or can't be read (a cut first line): kept apart in
        # ``set_aside``, and the caller says so
        self.discarded = 0
        self.set_aside = path.with_name(path.name + ".old")
        lines = self._read()
        if lines and lines[0] == self.settings:
            self.done = {line["key"]: line["text"] for line in lines[1:] if "key" in line and "text" in line}
        else:  # a new file, or an old one made with other settings: start over
            self.discarded = sum("key" in line and "text" in line for line in lines)
            if self.discarded:
                self.path.replace(self.set_aside)
            self._append([self.settings], mode="w")

    def add(self, finished: Iterable[tuple[str, str]]) -> None:
        """Record (source text, translation) pairs durably before anything else happens."""
        lines = [{"key": unit_key(source), "text": text} for source, text in finished]
        self._append(lines)
        self.done.update((line["key"], line["text"]) for line in lines)

    def translation(self, source: str) -> str | None:
        return self.done.get(unit_key(source))

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)

    def _read(self) -> list[dict[str, Any]]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return []
        complete = raw[: raw.rfind(b"\n") + 1]  # a line without its newline was cut short by a crash
        if len(complete) < len(raw):
            with self.path.open("r+b") as file:
                file.truncate(len(complete))  # so the next append starts on a line of its own
        lines = []
        for line in complete.decode("utf-8", errors="replace").splitlines():
            try:
                lines.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return lines

    def _append(self, lines: list[dict[str, Any]], mode: str = "a") -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open(mode, encoding="utf-8") as file:
            file.write("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines))
            file.flush()
            os.fsync(file.fileno())
