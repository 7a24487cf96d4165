"""The web chat's helpers: safe HTML for answers and citations, form checks, upload storage.

``app.py`` wires these to the ``qa`` API; nothing here imports ``qa`` or loads a model.
"""

from . import api_args, forms, render, uploads
from .errors import FormError, UploadError
from .forms import clamp_k, filter_hint, parse_auth, parse_filters
from .render import esc, safe_url
from .settings import WebSettings
from .style import CSS
from .uploads import store_pasted, store_upload, upload_suffix

__all__ = [
    "CSS", "FormError", "UploadError", "WebSettings", "api_args", "clamp_k", "esc", "filter_hint", "forms",
    "parse_auth", "parse_filters", "render", "safe_url", "store_pasted", "store_upload", "upload_suffix",
    "uploads",
]
