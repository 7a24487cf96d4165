"""The project's error hierarchy. Every message says what happened and what to do next."""

from __future__ import annotations


class NewsdeskError(Exception):
    """Base class: catch this to turn any expected failure into one readable line."""


class IndexNotFoundError(NewsdeskError):
    """No index has been built in the configured directory yet."""


class IndexMismatchError(NewsdeskError):
    """The index on disk was written by another format version or embedder."""


class IndexBusyError(NewsdeskError):
    """Another build holds the index lock."""


class SourceNotFoundError(NewsdeskError):
    """A source path given to a build does not exist."""


class ModelUnavailableError(NewsdeskError):
    """A model package is missing or its files are corrupt."""


class InvalidInputError(NewsdeskError):
    """A question, filter or upload that cannot be used as given."""
