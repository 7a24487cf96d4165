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

from embeddings import setting, settings_from_env


@dataclass(frozen=True)
class WebSettings:
    host: str = setting("127.0.0.1", "the address the web chat binds; any other than loopback needs a login")
    port: int = setting(7860, "the web chat's port")
    auth: str = setting("", "`user:password` turns on a login (required beyond loopback)")
    upload_max_mb: float = setting(10.0, "largest uploaded file or pasted article")
    # 0: 1 for the local model (2 CPU cores serve one answer at a time), REMOTE_ANSWER_CONCURRENCY
    # when llm_url is set (the server batches).
    answer_concurrency: int = setting(
        0, "answers generated at once by the web chat (its events and `/ask`); 0: 1 for the local model, 4 with "
           "NEWSDESK_LLM_URL")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> "WebSettings":
        """Defaults, then ``NEWSDESK_HOST`` / ``_PORT`` / ``_AUTH`` / ``_UPLOAD_MAX_MB`` /
        ``_ANSWER_CONCURRENCY``, then
        ``overrides`` (the app's flags; ``None`` means "not given").

        Raises:
            InvalidInputError: a variable does not parse (``NEWSDESK_PORT=http``), naming it.
        """
        return settings_from_env(cls, environ, **overrides)

    @property
    def upload_max_bytes(self) -> int:
        return int(self.upload_max_mb * 1e6)


REMOTE_ANSWER_CONCURRENCY = 4  # answers at once by default when an llm_url server generates them


def answer_concurrency(settings, web: WebSettings) -> int:
    """How many answers the page and /ask generate at once: ``web.answer_concurrency`` if
    given, else 1 for the local model (it serves one caller at a time) and
    ``REMOTE_ANSWER_CONCURRENCY`` for a server (``settings.llm_url``), which batches requests."""
    if web.answer_concurrency > 0:
        return web.answer_concurrency
    return REMOTE_ANSWER_CONCURRENCY if settings.llm_url.strip() else 1
