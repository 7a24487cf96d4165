"""Adding articles from the page and the Index panel's view of what is indexed.

The Index panel's handlers, free of gradio: ``index_view`` (the panel, the source names for
the filter and the example questions), ``add_files`` (uploads) and ``add_pasted`` (the
paste form), each returning what the page shows. ``pages/index.py`` places and wires them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from qa import (SUPPORTED_SUFFIXES, IndexNotFoundError, InvalidInputError, add_articles,
                example_questions, index_info, parse_date)

from . import render, uploads
from .errors import UploadError, user_message
from .settings import WebSettings
from qa import plural

log = logging.getLogger("newsdesk.app")

N_EXAMPLES = 4  # example questions under the chat, drawn from the index


@dataclass(frozen=True)
class IndexView:
    """The Index panel's HTML, the source (byline) names for the filter, example questions."""

    html: str
    sources: list[str]
    examples: list[str]


def index_view(settings) -> IndexView:
    """What the Index panel shows for ``settings``' index; a missing index is explained."""
    try:
        info = index_info(settings)
    except IndexNotFoundError as exc:
        return IndexView(render.error_block(str(exc), hint="Or start one here: upload files or paste an article "
                                                           "below."), [], [])
    except Exception as exc:
        return IndexView(render.error_block(user_message(exc, "reading the index",
                                                         generic="Could not read the index; see the server log.")),
                         [], [])
    try:
        examples = example_questions(settings, n=N_EXAMPLES)
    except Exception:  # examples are a nicety: never let them break the page
        log.exception("example questions failed")
        examples = []
    return IndexView(render.index_panel(info), list(info.sources), list(examples))


@dataclass(frozen=True)
class IndexResult:
    """What adding articles did: ``ok`` when at least one article is in the index now (the
    paste form is cleared then); ``text`` is the report shown to the user either way."""

    ok: bool
    text: str


def add_files(files: list[str] | None, settings, on_progress=None, *, upload_cache: str | Path,
              max_bytes: int = WebSettings().upload_max_bytes) -> IndexResult:
    """Store uploaded files under generated names and index them.

    Files over ``max_bytes`` are refused (``WebSettings.upload_max_bytes``).

    Each original is deleted from the web framework's upload cache once it is stored or
    refused, since anyone with its URL could download it from there; a path outside
    ``upload_cache`` (the page passes Gradio's, ``GRADIO_TEMP_DIR``) is never touched.
    """
    if not files:
        return IndexResult(False, "Choose one or more files first.")
    stored, problems = [], []
    for path in files:
        try:
            stored.append(uploads.store_upload(path, Path(path).name, settings.data_dir / "uploads",
                                               max_bytes, SUPPORTED_SUFFIXES))
        except UploadError as exc:
            problems.append(str(exc))
        finally:
            uploads.discard_upload(path, upload_cache)
    return _index_stored(stored, problems, settings, on_progress)


def add_pasted(title: str, source: str, published: str, body: str, settings, on_progress=None, *,
               max_bytes: int = WebSettings().upload_max_bytes) -> IndexResult:
    """Save a pasted article (at most ``max_bytes``) as a text file and index it."""
    try:
        published = parse_date(published, "“Published”")
        path = uploads.store_pasted(title, body, settings.data_dir / "uploads", max_bytes,
                                    source=source, published=published)
    except InvalidInputError as exc:  # a bad date or an UploadError
        return IndexResult(False, str(exc))
    return _index_stored([path], [], settings, on_progress)


def _index_stored(stored: list[Path], problems: list[str], settings, on_progress) -> IndexResult:
    lines = [f"Not added: {p}" for p in problems]
    if not stored:
        return IndexResult(False, "\n".join(lines))
    try:
        report = add_articles(stored, settings, on_progress=on_progress)
    except Exception as exc:
        return IndexResult(False, "\n".join([*lines, user_message(
            exc, "indexing uploads", known="Indexing failed: {}",
            generic="Indexing failed; the details are in the server log.")]))
    added = len(report.added) + len(report.updated)
    if added:
        lines.insert(0, f"Added {added} {plural(added, 'article')}: you can ask about "
                        f"{'them' if added != 1 else 'it'} now.")
    elif not problems:
        lines.insert(0, "Nothing new was added.")
    lines.append(report.summary())
    return IndexResult(added > 0, "\n".join(lines))
