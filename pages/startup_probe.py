"""A patient version of Gradio's start-up check that the page answers on localhost.

``Blocks.launch`` asks ``gradio.networking.url_ok`` whether the page it just started answers:
one HEAD request with a 3-second timeout, and on a timeout or a refused connection it gives
up at once and raises "When localhost is not accessible, a shareable link must be created".
The page answers in about 70 ms on an idle machine, but a busy 2-core one (a model loading,
a test suite beside it) once took longer, and the app refused to start (a full test run on
a fresh clone, tests/app/test_page.py). The check stays; it only waits longer.
"""

from __future__ import annotations

import time
import warnings

import httpx
from gradio import networking

PATIENCE_S = 60.0
GRADIO_CHECK = networking.url_ok  # what ``install`` replaces
_ANSWERED = frozenset({200, 301, 302, 303, 307, 308, 401})  # Gradio's own list: 401 with a login


def page_answers(url: str, patience_s: float = PATIENCE_S) -> bool:
    """Whether ``url`` answers a HEAD request within ``patience_s``, retrying refused
    connections, timeouts and error statuses until then."""
    deadline = time.monotonic() + patience_s
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # verify=False on a loopback address
                if httpx.head(url, timeout=min(10.0, left), verify=False).status_code in _ANSWERED:
                    return True
        except httpx.TransportError:
            pass
        time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))


def install() -> None:
    """Make Gradio's start-up check (``gradio.networking.url_ok``) wait up to ``PATIENCE_S``.

    For the whole process, and idempotent: a launch without ``prevent_thread_lock`` never
    returns, so a swap undone after it would never be undone anyway. ``Blocks.launch`` also
    polls ``url_ok`` for a share link, which Newsdesk never makes.
    """
    networking.url_ok = page_answers
