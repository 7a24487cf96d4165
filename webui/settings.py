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
