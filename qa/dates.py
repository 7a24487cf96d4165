"""Dates a person types (search filters, ``--as-of``, a pasted article's date): one rule for
the command line, the web form and the API: ISO 8601, ``YYYY-MM-DD``.

Strict on purpose: "01/02/2026" is 1 February in most of the world and 2 January in the US,
and a filter that guessed would quietly search the wrong month. Dates found *inside*
articles are read leniently when they are indexed (``embeddings.normalize_date``): there is
nobody to ask then; here there is, so a date that is not in this form is refused with the
rule in the message.
"""

from __future__ import annotations

import re
from datetime import date

from embeddings import InvalidInputError

DATE_RULE = "YYYY-MM-DD, e.g. 2026-01-31"  # for help texts and messages
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_date(value: str | None, label: str) -> str:
    """A typed date, checked: ``"2026-01-31"``, or ``""`` when ``value`` is empty or blank.

    Args:
        value: what was typed; spaces around it are ignored.
        label: what the value is called where it was typed (``"--from"``, ``"“Published to”"``),
            for the message.

    Raises:
        InvalidInputError: not ``YYYY-MM-DD``, or no such day (2026-02-30).
    """
    value = (value or "").strip()
    if not value:
        return ""
    if not _ISO_DATE.fullmatch(value):
        raise InvalidInputError(f"{label} {value!r} is not a date; use {DATE_RULE}")
    try:
        date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInputError(f"{label} {value!r} is not a real date ({exc})") from None
    return value


def parse_date_range(date_from: str | None, date_to: str | None,
                     labels: tuple[str, str] = ("--from", "--to")) -> tuple[str, str]:
    """Both ends of a publish-date range, checked (either may be ``""``: open-ended).

    Raises:
        InvalidInputError: an end is not a date, or the range ends before it starts.
    """
    start, end = parse_date(date_from, labels[0]), parse_date(date_to, labels[1])
    if start and end and start > end:
        raise InvalidInputError(f"The date range is empty: {labels[0]} {start} is after {labels[1]} {end}.")
    return start, end
