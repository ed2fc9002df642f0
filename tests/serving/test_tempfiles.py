"""The temporary-file sweep: files past their age go, then the oldest past the disk budget, then empty folders."""

from __future__ import annotations

import os

from translator.serving.tempfiles import TempPolicy, sweep, translated_folders

NOW = 1_000_000.0


def make(path, size: int, age: float):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    os.utime(path, (NOW - age, NOW - age))
    return path


def test_old_files_go_and_the_folders_they_leave_empty_too(tmp_path):
    cache = tmp_path / "gradio"
    old = make(cache / "abc" / "refused.docx", 100, age=7200)
    fresh = make(cache / "def" / "upload.txt", 100, age=10)
    run = make(tmp_path / "translated-x1" / "a.de.txt", 100, age=7200)
    freed = sweep([cache, run.parent], TempPolicy(max_age_seconds=3600, budget_bytes=10**6), NOW, keep=[cache])
    assert freed == 200
    assert not old.exists() and not old.parent.exists() and not run.parent.exists()
    assert fresh.exists() and cache.exists()  # the kept folder stays, and so does what is young enough


def test_past_the_budget_the_oldest_files_go_first(tmp_path):
    files = [make(tmp_path / f"f{i}", 400, age=100 - i) for i in range(5)]  # f0 the oldest
    sweep([tmp_path], TempPolicy(max_age_seconds=3600, budget_bytes=1000), NOW, keep=[tmp_path])
    assert [f.exists() for f in files] == [False, False, False, True, True]


def test_only_the_translated_folders_of_the_temp_folder_are_found(tmp_path):
    (tmp_path / "translated-abc").mkdir()
    (tmp_path / "other").mkdir()
    (tmp_path / "translated-file.txt").write_text("not a folder")
    assert translated_folders(tmp_path) == [tmp_path / "translated-abc"]


def test_the_app_lifespan_sweeps_while_it_serves(tmp_path):
    import asyncio
    import time

    from threaded_loop import run_coroutine

    from translator.serving.tempfiles import sweeper

    old = make(tmp_path / "cache" / "x" / "old.txt", 10, age=time.time() - NOW + 7200)  # two hours old now
    lifespan = sweeper(lambda: [tmp_path / "cache"], TempPolicy(max_age_seconds=3600, every_seconds=0.05))

    async def serve() -> None:
        async with lifespan(None):
            for _ in range(100):
                if not old.exists():
                    return
                await asyncio.sleep(0.02)

    run_coroutine(serve())
    assert not old.exists()
