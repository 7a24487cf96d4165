"""Checking what the page's forms hold before it reaches ``qa``: the search settings
(model, passages, dates, sources) and the server's login."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Iterable

from qa import MODEL_CHOICES, InvalidInputError, SearchFilters, Settings, parse_date_range, redact_url

from .errors import FormError

# The most passages a question may read, from the slider or the API: each one adds prompt
# tokens, so time to the first word, on two CPU cores.
MAX_K = 12


# The date boxes' labels, also naming them in messages about what was typed there.
DATE_FROM_LABEL = "Published from"
DATE_TO_LABEL = "Published to"


@dataclass(frozen=True)
class SearchChoice:
    """The search settings, checked: what ``qa.stream_answer`` and ``qa.answer`` take."""

    settings: Settings  # the server's, with the chosen model
    k: int
    filters: SearchFilters | None  # None: search everything
    scope: str  # the filters in words ("Articles from Reuters"); "" for none


def read_search_form(settings: Settings, model: str | None, k: object, date_from: str | None,
                     date_to: str | None, sources: Iterable[str] | str | None) -> SearchChoice:
    """Check the search settings, as the page's form or an ``/ask`` call gives them.

    Args:
        settings: the server's settings; their model and passages are the defaults.
        model: a model name, or empty for the server's.
        k: passages to read; anything not a positive number means the default, and more
            than ``MAX_K`` means ``MAX_K``.
        date_from, date_to: YYYY-MM-DD, or empty.
        sources: source names; empty means all.

    Raises:
        FormError: an unknown model.
        InvalidInputError: a date is malformed, or the range ends before it starts.
    """
    chosen = choose_model(settings, model)
    values = parse_filters(date_from, date_to, sources)
    return SearchChoice(chosen, clamp_k(k, settings.passages), None if values.is_empty() else values,
                        describe_filters(values))


@dataclass(frozen=True)
class ModelMenu:
    """What the page's model dropdown offers."""

    choices: list[str]
    value: str
    info: str
    interactive: bool


def model_menu(settings: Settings) -> ModelMenu:
    """The packaged models to choose from; with ``llm_url`` set, only the server's model.

    A generation server answers with the one model it was started with, so offering the
    local ones there would be a choice that changes nothing.
    """
    if settings.llm_url.strip():
        name = settings.llm_model.strip() or "server default"
        return ModelMenu([name], name, f"Answers come from the server at {redact_url(settings.llm_url.strip())}.",
                         interactive=False)
    models = list(dict.fromkeys([*MODEL_CHOICES, settings.model]))
    return ModelMenu(models, settings.model, "The smaller model answers about twice as fast.", interactive=True)


def choose_model(settings: Settings, model: str | None) -> Settings:
    """``settings`` with ``model`` (one of ``qa.MODEL_CHOICES``, or empty for the server's).

    With ``llm_url`` set, the server's model (as ``model_menu`` names it) is accepted too, and
    every accepted name leaves ``settings`` as they are: the server answers.

    Raises:
        FormError: an unknown model.
    """
    if settings.llm_url.strip():
        if model and model not in (*MODEL_CHOICES, *model_menu(settings).choices):
            raise FormError(f"Unknown model “{model}”; this server answers with "
                            f"“{model_menu(settings).value}”.")
        return settings
    if model and model != settings.model:
        if model not in MODEL_CHOICES:
            raise FormError(f"Unknown model “{model}”; choose one of {', '.join(MODEL_CHOICES)}.")
        return settings.replace(model=model)
    return settings


def parse_filters(date_from: str | None, date_to: str | None,
                  sources: Iterable[str] | str | None) -> SearchFilters:
    """Check the date range (``qa.parse_date``'s rule: YYYY-MM-DD) and source choice.

    Raises:
        InvalidInputError: a date is malformed, or the range ends before it starts.
    """
    start, end = parse_date_range(date_from, date_to, (f"“{DATE_FROM_LABEL}”", f"“{DATE_TO_LABEL}”"))
    if isinstance(sources, str):
        sources = [sources]
    chosen = tuple(dict.fromkeys(s for s in (sources or ()) if s and s.strip()))
    return SearchFilters(start, end, chosen)


def filter_hint(date_from: str | None, date_to: str | None) -> str:
    """One line under the date boxes: what the range means, or what is wrong with it."""
    try:
        values = parse_filters(date_from, date_to, ())
    except InvalidInputError as exc:
        return f"⚠ {exc}"
    return (describe_filters(values) or "All publish dates") + "."


def describe_filters(values: SearchFilters) -> str:
    """'Articles published on or after 2026-02-01 from Reuters or AP'; ``""`` for no filters."""
    if values.date_from and values.date_to:
        text = f"Articles published {values.date_from} to {values.date_to}"
    elif values.date_from:
        text = f"Articles published on or after {values.date_from}"
    elif values.date_to:
        text = f"Articles published on or before {values.date_to}"
    else:
        text = "Articles" if values.sources else ""
    if values.sources:
        text += " from " + " or ".join(values.sources)
    return text


def clamp_k(value: object, default: int, low: int = 1, high: int = MAX_K) -> int:
    """The number of passages from a slider or an API call, kept within ``low..high``."""
    try:
        k = int(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default
    if k <= 0:
        return default
    return max(low, min(high, k))


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """``"user:password"`` -> ``("user", "password")``; empty -> ``None`` (no login).

    Raises:
        FormError: no colon, or an empty user name or password.
    """
    value = (value or "").strip()
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user.strip() or not password:
        raise FormError("auth must look like user:password (both parts non-empty)")
    return user.strip(), password


def is_loopback(host: str | None) -> bool:
    """Whether binding ``host`` keeps the server on this machine: 127.0.0.0/8, ::1 or localhost.

    Anything else, including names that might resolve to loopback, counts as exposed.
    """
    host = (host or "").strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if host.lower() == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    # Python 3.11 does not count ::ffff:127.0.0.1 as loopback; it is.
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback
