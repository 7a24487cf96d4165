"""The project's error hierarchy. Every message says what happened and what to do next."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path


class NewsdeskError(Exception):
    """Base class: catch this to turn any expected failure into one readable line."""


class IndexNotFoundError(NewsdeskError):
    """No index has been built in the configured directory yet."""


class IndexMismatchError(NewsdeskError):
    """The index on disk was written by another format version or embedder."""


class IndexBusyError(NewsdeskError):
    """Another build holds the index lock."""


class InputNotFoundError(NewsdeskError):
    """An input (a file or folder to index) given to a build does not exist."""


# The name before inputs were called inputs ("source" now means only who published an
# article): kept for callers that catch it.
SourceNotFoundError = InputNotFoundError


class ModelUnavailableError(NewsdeskError):
    """A model package is missing or its files are corrupt."""


class InvalidInputError(NewsdeskError):
    """A question, filter or upload that cannot be used as given."""


class IndexDamagedError(IndexMismatchError):
    """A part of the index on disk is missing, cut short or corrupt; only a rebuild mends it.

    A subclass of ``IndexMismatchError``: both mean "rebuild the index", so every handler
    written for a mismatch catches damage too."""


class IndexServerError(NewsdeskError):
    """The index server (Milvus, ``NEWSDESK_INDEX_BACKEND=milvus``) does not answer at its URI."""


class IndexAuthError(IndexServerError):
    """The index server refused the token (``NEWSDESK_MILVUS_TOKEN``)."""


class DiskFullError(NewsdeskError):
    """The disk ran out of space while the index was read or written."""


def rebuild_command(index_dir, name_inputs: bool = False) -> str:
    """The exact command that rebuilds the index in ``index_dir``, to paste into a shell."""
    from .settings import Settings  # settings imports this module: import on use

    words = ["python", "-m", "embeddings", "build", "--rebuild"] + (["INPUTS"] if name_inputs else [])
    # A bare command builds Settings.index_dir unless the environment points elsewhere; an
    # index anywhere else (or a redirected environment) must be named or the wrong one is built.
    redirected = any(os.environ.get(f"NEWSDESK_{name}") for name in ("INDEX_DIR", "DATA_DIR"))
    if redirected or Path(index_dir) != Settings().index_dir:
        words += ["--index", str(index_dir)]
    return " ".join(shlex.quote(w) if w != "INPUTS" else w for w in words)


def index_damaged(index_dir, problem: str, name_inputs: bool = False) -> IndexDamagedError:
    """The one error every kind of damage becomes: what is damaged, and the command that mends it.

    Args:
        index_dir: the index directory (not the generation inside it).
        problem: what was found, naming the part (``"dense.faiss in gen-000003 is unreadable"``).
        name_inputs: the inputs the index was built from are unknown, so the command asks for them.
    """
    command = rebuild_command(index_dir, name_inputs)
    if name_inputs:
        return IndexDamagedError(f"the index at {index_dir} is damaged ({problem}) and the inputs it was "
                                 f"built from are unreadable: run `{command}`, naming the files or folders "
                                 "to index as INPUTS")
    return IndexDamagedError(f"the index at {index_dir} is damaged ({problem}): run `{command}` "
                             "to rebuild it from its inputs")


def disk_full(where, exc: BaseException) -> DiskFullError:
    """A full disk is no damage: freeing space, not a rebuild, is what mends it."""
    return DiskFullError(f"the disk holding {where} is full ({exc}): free some space and try again")


def command_failed(exc: BaseException, where, interrupted: str) -> int:
    """A command's failure as one line on stderr, and its exit status: 2 for what the user can
    fix (a ``NewsdeskError`` names how), 1 when ``where`` (a directory, an ``OSError``) cannot
    be written, 130 on Ctrl-C, saying ``interrupted``. Every ``python -m ...`` command of the
    index and the feeds ends this way."""
    if isinstance(exc, KeyboardInterrupt):
        print(interrupted, file=sys.stderr)
        return 130
    if isinstance(exc, NewsdeskError):
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"error: {exc.strerror or exc}: {exc.filename or where}", file=sys.stderr)
    return 1
