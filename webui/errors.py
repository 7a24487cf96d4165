"""The web chat's errors, inside the project's one hierarchy.

Both are ``qa.InvalidInputError`` (so ``qa.NewsdeskError``): something a user typed, sent or
uploaded cannot be used as given, and the message says how to fix it. Callers catch
``qa.NewsdeskError`` once, whether the problem was found here or in ``qa``.
"""

from __future__ import annotations

from qa import InvalidInputError


class FormError(InvalidInputError):
    """A form value, ``/ask`` argument or server option that cannot be used; the message says
    how to fix it."""


class UploadError(InvalidInputError):
    """An upload that was not stored; the message says why and what to do."""
