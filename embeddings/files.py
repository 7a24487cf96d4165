"""Writing files so that a crash never leaves half of one, and showing file sizes.

Every file that something else reads while it may be replaced (an index's ``CURRENT``, a
model file, a stored upload, a cache) is written through ``atomic_write``: readers see the
old file or the new one, never a mix, and a failed write leaves nothing behind.
"""

from __future__ import annotations

import os
import secrets
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

__all__ = ["atomic_write", "fsync_dir", "format_size"]


@contextmanager
def atomic_write(path: str | Path, mode: str = "wb", *, encoding: str = "utf-8",
                 permissions: int | None = None) -> Iterator[IO]:
    """Write ``path`` all at once: ``with atomic_write(p, "w") as fh: fh.write(...)``.

    The block writes to a hidden temporary file beside ``path`` (``.<name>.<random>.tmp``:
    the indexer skips hidden files, and ``os.replace`` is atomic only within one file
    system). When the block ends normally the file is flushed to disk, renamed over
    ``path`` and the directory synced, so the rename survives a crash. When the block
    raises, for any reason, the temporary file is removed and ``path`` is left as it was.

    Args:
        path: the file to write; its folder must exist.
        mode: ``"wb"`` (bytes) or ``"w"`` (text in ``encoding``).
        permissions: mode bits to give the file (default: what ``open`` gives, 0o666 less
            the umask).

    Raises:
        ValueError: any other ``mode``.
        OSError: the folder is missing or not writable, or the disk is full.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_write writes whole files: mode 'w' or 'wb', not {mode!r}")
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    # "x": never write into a file that already exists, whoever made it.
    fh = open(tmp, "x" + mode[1:], encoding=None if "b" in mode else encoding)
    try:
        with fh:
            yield fh
            fh.flush()
            # Without it a crash soon after the rename can leave the new name on an empty file.
            os.fsync(fh.fileno())
        if permissions is not None:
            os.chmod(tmp, permissions)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def fsync_dir(directory: str | Path, *, recursive: bool = False) -> None:
    """Flush a folder's entries (the names created, renamed or removed in it) to disk.

    Args:
        recursive: also flush every file and folder below it, then the folder itself: what
            makes a freshly written tree (an index generation) durable before it is published.
    """
    directory = Path(directory)
    for path in [*directory.rglob("*"), directory] if recursive else [directory]:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def format_size(n: float) -> str:
    """A byte count for people: ``"512 bytes"``, ``"40 kB"``, ``"1.5 MB"``, ``"64 MB"``.

    Megabytes from 0.1 MB up (one decimal below 10 MB, whole ones above), kilobytes or bytes
    below that, where one decimal of a megabyte would read "0.0 MB".
    """
    if n >= 100_000:
        return _scaled(n / 1e6, "MB")
    if n >= 1000:
        return _scaled(n / 1e3, "kB")
    return f"{n:.0f} bytes"


def _scaled(value: float, unit: str) -> str:
    return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
