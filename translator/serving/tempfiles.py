"""Temporary files under an age and a disk budget: translated files, gradio's copies of uploads (refused ones too)
and of every file an event returned. Old files go first; folders they leave empty go with them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.settings import Settings

log = logging.getLogger("app")


@dataclass(frozen=True)
class TempPolicy:
    """What the sweep keeps; the defaults suit a public app on a small disk."""

    # a file older than this is gone: a translated file is downloaded within minutes of its run
    max_age_seconds: float = 3600
    # all temporary files together stay under this; the oldest go first
    budget_bytes: int = 512 * 2**20
    # how often the app sweeps
    every_seconds: float = 60


def temp_policy(settings: Settings) -> TempPolicy:
    return TempPolicy(max_age_seconds=settings.temp_max_age_seconds, budget_bytes=settings.temp_budget_mb * 2**20)


def sweep(folders: Iterable[Path], policy: TempPolicy, now: float | None = None, keep: Iterable[Path] = ()) -> int:
    """Delete files in ``folders`` older than the policy's age, then the oldest until the rest fit its budget,
    then the folders left empty (the ones in ``keep`` stay, empty or not); returns the bytes freed. A file
    another process removes first is skipped."""
    folders = [Path(folder) for folder in folders]
    now = time.time() if now is None else now
    files = []
    for folder in folders:
        for path in folder.rglob("*"):
            with contextlib.suppress(OSError):
                if path.is_file() and not path.is_symlink():
                    stat = path.stat()
                    files.append((stat.st_mtime, stat.st_size, path))
    files.sort()  # oldest first
    total = sum(size for _, size, _ in files)
    freed = 0
    for mtime, size, path in files:
        if now - mtime <= policy.max_age_seconds and total - freed <= policy.budget_bytes:
            break
        with contextlib.suppress(OSError):
            path.unlink()
            freed += size
    kept = {Path(folder).resolve() for folder in keep}
    for folder in folders:
        # deepest first, so a folder whose only content was an empty folder goes too
        for path in sorted([*folder.rglob("*"), folder], key=lambda p: len(p.parts), reverse=True):
            with contextlib.suppress(OSError):
                if path.is_dir() and not path.is_symlink() and path.resolve() not in kept and not any(path.iterdir()):
                    path.rmdir()
    return freed


def translated_folders(parent: Path, prefix: str = "translated-") -> list[Path]:
    """The per-run folders the Translate tab writes translated files to (in the system's temp folder)."""
    return [path for path in Path(parent).glob(f"{prefix}*") if path.is_dir() and not path.is_symlink()]


Lifespan = Callable[[Any], contextlib.AbstractAsyncContextManager]


def sweeper(folders: Callable[[], list[Path]], policy: TempPolicy, keep: Iterable[Path] = ()) -> Lifespan:
    """A lifespan (for the ASGI app) that sweeps ``folders()`` every ``policy.every_seconds`` while it serves."""
    keep = list(keep)

    async def loop() -> None:
        while True:
            try:
                freed = await asyncio.to_thread(sweep, folders(), policy, None, keep)
                if freed:
                    log.info("temporary files: removed %d KB", freed // 1024)
            except Exception as exc:  # noqa: BLE001 (the sweep must never stop the server)
                log.warning("temporary files: the sweep failed (%s)", exc)
            await asyncio.sleep(policy.every_seconds)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        task = asyncio.create_task(loop())
        try:
            yield
        finally:
            task.cancel()

    return lifespan
