"""Zip archives read with a running byte count: the sizes an archive declares are checked, never believed.

A zip member's header says how big it is, and ``zipfile`` stops at that size, but a member can
hold far more than it declares, and one ``read()`` decompresses all of it before cutting it. So
every member is decompressed here a chunk at a time, and reading stops with one sentence as soon
as a member gives more than it declares. The declared sizes are summed first: a total over the
limit is refused before anything is decompressed, and since no member may exceed its own size,
the members can't exceed the total. Once ``expand`` has gone through an archive, other readers of
it (python-docx) can't be made to expand more than the limit.
"""

from __future__ import annotations

import copy
import io
import zipfile
import zlib
from collections.abc import Iterator

from ...core.errors import InputError

CHUNK = 1 << 16  # decompressed bytes per step: the most that is ever held beyond what the caller keeps
# zlib (deflate) and stored members only: what Word writes; bzip2 and lzma can't be decompressed in bounded steps
METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)


def expand(data: bytes, name: str, max_bytes: int) -> Iterator[tuple[str, bytes]]:
    """(member name, chunk) for each member of the zip ``data``, decompressed in order as it is read.

    An InputError names the file when it isn't a zip, when its members declare more than ``max_bytes``
    in all, or when a member's contents don't match its declared size or checksum.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise InputError(f"{name} is not a zip archive, as a file of its kind must be.") from None
    if sum(info.file_size for info in members) > max_bytes:
        raise InputError(f"{name} expands to more than {max_bytes // 2**20} MB; it can't be read safely.")
    for info in members:
        if info.compress_type not in METHODS or info.flag_bits & 0x1:
            raise InputError(f"{name} is encrypted or compressed in a way this reader doesn't accept.")
        size = 0
        for chunk in _chunks(archive, info, name):
            size += len(chunk)
            if size > info.file_size:
                raise _lies(name, info)
            yield info.filename, chunk
        if size != info.file_size:
            raise _lies(name, info)


def _chunks(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> Iterator[bytes]:
    """The member's decompressed bytes, a chunk at a time, up to one byte past its declared size."""
    probe = copy.copy(info)
    # zipfile never gives more than the size in the header: one byte over it shows that the header lies
    probe.file_size = info.file_size + 1
    try:
        with archive.open(probe) as stream:
            while chunk := stream.read(CHUNK):
                yield chunk
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error):  # a bad checksum, a cut or broken deflate stream
        raise _lies(name, info) from None


def _lies(name: str, info: zipfile.ZipInfo) -> InputError:
    return InputError(
        f"{name} is damaged or crafted: its part {info.filename} doesn't hold what the archive says it does."
    )
