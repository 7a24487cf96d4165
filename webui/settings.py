"""How the web chat is served: the web package's own settings.

The pipeline's settings (index, models, retrieval) are ``qa.Settings``; these are the ones
only the web chat reads. Both come from the same ``NEWSDESK_<FIELD>`` environment variables
with the same precedence, defaults < environment < command-line flags, through the one
reader, ``embeddings.settings_from_env`` (``embeddings/settings.py`` explains the "one
settings object per package" layout).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from embeddings import settings_from_env


@dataclass(frozen=True)
class WebSettings:
    host: str = "127.0.0.1"  # NEWSDESK_HOST; anything beyond loopback needs a login
    port: int = 7860  # NEWSDESK_PORT
    auth: str = ""  # NEWSDESK_AUTH: "user:password" turns on a login
    upload_max_mb: float = 10.0  # NEWSDESK_UPLOAD_MAX_MB: per uploaded file or pasted article

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> "WebSettings":
        """Defaults, then ``NEWSDESK_HOST`` / ``_PORT`` / ``_AUTH`` / ``_UPLOAD_MAX_MB``, then
        ``overrides`` (the app's flags; ``None`` means "not given").

        Raises:
            InvalidInputError: a variable does not parse (``NEWSDESK_PORT=http``), naming it.
        """
        return settings_from_env(cls, environ, **overrides)

    @property
    def upload_max_bytes(self) -> int:
        return int(self.upload_max_mb * 1e6)


REMOTE_ANSWER_CONCURRENCY = 4  # answers at once by default when an llm_url server generates them


def answer_concurrency(settings) -> int:
    """How many answers the page and /ask generate at once: ``settings.answer_concurrency``
    if given, else 1 for the local model (it serves one caller at a time) and
    ``REMOTE_ANSWER_CONCURRENCY`` for a server (``llm_url``), which batches requests."""
    if settings.answer_concurrency > 0:
        return settings.answer_concurrency
    return REMOTE_ANSWER_CONCURRENCY if settings.llm_url.strip() else 1
