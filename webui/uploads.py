"""Storing uploaded and pasted articles where the indexer can read them.

Nothing about an upload's name is trusted: the stored file gets a generated name (a time
stamp, a random token and a slug of letters and digits from the original name), only a
suffix from the allowed list survives, and the file is written inside the uploads folder
and nowhere else. Files are written under a hidden temporary name and renamed when
complete, because the indexer skips hidden files and must never read half a file.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Collection

from embeddings import atomic_write, format_size

from .errors import UploadError

_CHUNK = 1 << 20
_MAGIC = {".gz": b"\x1f\x8b", ".pdf": b"%PDF-"}


def upload_suffix(name: str, allowed: Collection[str]) -> str:
    """The suffix to keep: one from ``allowed`` (e.g. ``.txt``), or one of them plus ``.gz``.

    Raises:
        UploadError: the name has no allowed suffix.
    """
    base = _basename(name).lower()
    parts = base.split(".")
    last = f".{parts[-1]}" if len(parts) > 1 else ""
    if last == ".gz" and len(parts) > 2 and f".{parts[-2]}" in allowed:
        return f".{parts[-2]}.gz"
    if last in allowed:
        return last
    kinds = ", ".join(sorted(allowed))
    raise UploadError(f"“{_basename(name) or name}” is not a supported file type; "
                      f"upload {kinds} (optionally gzipped as .gz).")


def slug(name: str, limit: int = 40) -> str:
    """A slug of a file name's stem (the name without its suffix, and without ``.gz``)."""
    base = _basename(name)
    if base.lower().endswith(".gz"):
        base = base[:-3]
    stem, dot, _ = base.rpartition(".")
    return text_slug(stem if dot else base, limit)


def text_slug(text: str, limit: int = 40) -> str:
    """Letters, digits and single dashes from any text, e.g. a headline; ``"article"`` if none.

    The text is never read as a path: "AC/DC tour" is ``ac-dc-tour``, not ``dc-tour``, and
    "U.S. economy grows 3.1%" is ``u-s-economy-grows-3-1``, not ``u``.
    """
    ascii_ = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")
    return cleaned[:limit].strip("-") or "article"


def generated_name(original: str, suffix: str, now: datetime | None = None, token: str | None = None) -> str:
    """``20260110-143000-<8 hex>-<slug><suffix>``: unique, sortable, and safe on any filesystem."""
    return _stamped(slug(original), suffix, now, token)


def _stamped(slug_: str, suffix: str, now: datetime | None = None, token: str | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    token = token or secrets.token_hex(4)
    return f"{now:%Y%m%d-%H%M%S}-{token}-{slug_}{suffix}"


def store_upload(src: str | Path, original_name: str, dest_dir: str | Path, max_bytes: int,
                 allowed: Collection[str]) -> Path:
    """Copy one uploaded file into ``dest_dir`` under a generated name.

    Args:
        src: where the web framework saved the upload.
        original_name: the name the user's browser sent (used only for the suffix and slug).
        dest_dir: the uploads folder; created if missing.
        max_bytes: larger files are refused.
        allowed: suffixes the indexer reads, e.g. ``qa.SUPPORTED_SUFFIXES``.

    Returns:
        The stored file's path, inside ``dest_dir``.

    Raises:
        UploadError: unsupported type, empty, too large, or not what its suffix says.
    """
    shown = _basename(original_name) or "upload"
    suffix = upload_suffix(original_name, allowed)
    src = Path(src)
    try:
        size = src.stat().st_size
    except OSError as exc:
        raise UploadError(f"“{shown}” could not be read ({exc.strerror}); upload it again.") from None
    if size == 0:
        raise UploadError(f"“{shown}” is empty.")
    if size > max_bytes:
        raise UploadError(f"“{shown}” is {_mb(size)}; the upload limit is {_mb(max_bytes)}.")
    with open(src, "rb") as fh:
        head = fh.read(8)
    outer = suffix.rsplit(".", 1)[-1]
    magic = _MAGIC.get(f".{outer}")
    if magic and not head.startswith(magic):
        raise UploadError(f"“{shown}” is not a valid {outer.upper()} file.")
    return _write(dest_dir, generated_name(shown, suffix), lambda out: _copy_capped(src, out, max_bytes, shown))


def store_pasted(title: str, body: str, dest_dir: str | Path, max_bytes: int,
                 source: str = "", published: str = "") -> Path:
    """Save a pasted article as a ``.txt`` the indexer reads: headline, byline, date, body.

    Raises:
        UploadError: no headline or no body, or the text is over ``max_bytes``.
    """
    title = " ".join((title or "").split())
    body = (body or "").replace("\r\n", "\n").strip()
    source = " ".join((source or "").split())
    if not title:
        raise UploadError("Give the pasted article a headline.")
    if len(title) > 300:
        raise UploadError("The headline is over 300 characters; shorten it.")
    if not body:
        raise UploadError("Paste the article's text into the body box.")
    header = [title, ""]
    if source:
        header.append(source if re.match(r"^(by|from)\s", source, re.IGNORECASE) else f"By {source}")
    if published:
        header.append(published)
    text = "\n".join(header).rstrip("\n") + "\n\n" + body + "\n"
    data = text.encode("utf-8")
    if len(data) > max_bytes:
        raise UploadError(f"The pasted article is {_mb(len(data))}; the limit is {_mb(max_bytes)}.")
    return _write(dest_dir, _stamped(text_slug(title), ".txt"), lambda out: out.write(data))


def discard_upload(path: str | Path, cache_dir: str | Path) -> bool:
    """Delete an uploaded original, but only if it really lives inside ``cache_dir``.

    The web framework keeps each upload in its cache, where anyone with its URL can download
    it; once stored (or refused) it must go. A path from anywhere else, a link, or one that
    only looks inside (``cache/../elsewhere``) is left alone.

    Args:
        path: the upload as the web framework handed it over.
        cache_dir: the framework's upload cache (Gradio: ``gradio.utils.get_upload_folder()``).

    Returns:
        Whether the file was deleted.
    """
    path = Path(path)
    try:
        if path.is_symlink() or not path.is_file():
            return False
        cache, real = Path(cache_dir).resolve(), path.resolve()
        if not real.is_relative_to(cache):
            return False
        real.unlink()
    except OSError:
        return False
    # Gradio keeps each upload in a folder of its own, named by the file's hash.
    if real.parent != cache:
        try:
            real.parent.rmdir()
        except OSError:  # not empty: another upload shares it
            pass
    return True


def _write(dest_dir: str | Path, name: str, fill) -> Path:
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    final = dest_dir / name
    with atomic_write(final, "wb") as out:  # hidden until complete: the indexer skips hidden files
        fill(out)
    return final


def _copy_capped(src: Path, out, max_bytes: int, shown: str) -> None:
    # The size was checked before; this guards a file that grows while it is copied.
    copied = 0
    with open(src, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            copied += len(chunk)
            if copied > max_bytes:
                raise UploadError(f"“{shown}” is over the upload limit of {_mb(max_bytes)}.")
            out.write(chunk)


def _basename(name: str) -> str:
    # Browsers may send "C:\\fakepath\\x.txt" or "../../x.txt": keep the last part only.
    name = (name or "").replace("\x00", "")
    return PureWindowsPath(PurePosixPath(name).name).name.strip()


def _mb(n: int | float) -> str:
    return format_size(n)

