"""The web chat's errors, inside the project's one hierarchy, and the page's one error
boundary.

Both errors are ``qa.InvalidInputError`` (so ``qa.NewsdeskError``): something a user typed,
sent or uploaded cannot be used as given, and the message says how to fix it. Callers catch
``qa.NewsdeskError`` once, whether the problem was found here or in ``qa``.

``user_message`` is the boundary every handler of the page ends in: a ``NewsdeskError``'s
message is for the user; anything else is a bug, logged with its traceback for the server's
operator, and the user reads a short generic text.
"""

from __future__ import annotations

import logging

from qa import InvalidInputError, NewsdeskError

log = logging.getLogger("newsdesk.app")

GENERIC_ERROR = ("Something went wrong while answering; the details are in the server log. "
                 "Try again, or rephrase the question.")


class FormError(InvalidInputError):
    """A form value, ``/ask`` argument or server option that cannot be used; the message says
    how to fix it."""


class UploadError(InvalidInputError):
    """An upload that was not stored; the message says why and what to do."""


def user_message(exc: Exception, doing: str, *args: object, generic: str = GENERIC_ERROR, known: str = "{}",
                 logger: logging.Logger = log) -> str:
    """What the page shows for ``exc``, caught at its edge.

    Args:
        exc: the exception the handler caught (``except Exception as exc``).
        doing: what failed, for the log, %-formatted with ``args`` ("searching for %r").
        generic: shown for an unexpected exception, which is logged with its traceback.
        known: shown for a ``NewsdeskError``, ``{}`` standing for its message; not logged.
        logger: where the traceback goes (default ``newsdesk.app``).
    """
    if isinstance(exc, NewsdeskError):
        return known.format(exc)
    logger.error(f"{doing} failed", *args, exc_info=exc)
    return generic
