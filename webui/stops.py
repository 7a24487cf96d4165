"""The page's Stop and New chat, as a flag the answering event checks between steps.

Gradio's own cancel (``cancels=``) raced the answer it cancelled: its in-flight repaints could
land after Stop's (a chat left "pending" for good), its /cancel waited for the running step
(seconds in a prefill) while the page silently dropped the next question, and a question
cancelled as it left the queue vanished (issue 19). So the answer is never cancelled from
outside: Stop sets its flag, the model stops at its next token (``qa.stream_answer``'s
``cancel``), and the answer's own last repaint shows it stopped: one writer for the chat.

A flag is keyed by the page's session and a ticket the page makes for each question it sends
(``ASK_JS``), so Stop ends exactly the question the page last sent, whether it is running or
still waiting in the queue (then it never starts), and never another page's.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

__all__ = ["ASK_JS", "STOP_JS", "StopFlag", "StopFlags", "ticket_key"]

# The question's ticket, made in the browser as the question is sent (the last input).
ASK_JS = """(...args) => {
    const ticket = Date.now().toString(36) + Math.random().toString(36).slice(2);
    window.ndTicket = ticket;
    args[args.length - 1] = ticket;
    return args;
}"""
# Stop and New chat send the ticket of the question the page last sent.
STOP_JS = """(...args) => { args[args.length - 1] = window.ndTicket || ""; return args; }"""

_MAX_TICKET_CHARS = 64
_MAX_EARLY = 1_000  # stops for questions not (or no longer) running, kept for a late start


def ticket_key(session: str | None, ticket: object) -> str:
    """The flag's key: the page's session, then its ticket (anything a client sends, cut)."""
    return f"{session or ''}/{str(ticket or '')[:_MAX_TICKET_CHARS]}"


class StopFlag(threading.Event):
    """Set when the page stops its question; ``clear_chat`` when it was New chat."""

    def __init__(self) -> None:
        super().__init__()
        self.clear_chat = False


class StopFlags:
    """The flag of each running question, by ``ticket_key``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[str, StopFlag] = {}
        self._early: OrderedDict[str, bool] = OrderedDict()  # key -> clear_chat

    def start(self, key: str) -> StopFlag:
        """The flag for a question that starts now: already set when Stop (or New chat) came
        while it waited in the queue."""
        flag = StopFlag()
        with self._lock:
            early = self._early.pop(key, None)
            self._running[key] = flag
        if early is not None:
            flag.clear_chat = early
            flag.set()
        return flag

    def finish(self, key: str, flag: StopFlag) -> None:
        """The question ended; forget its flag."""
        with self._lock:
            if self._running.get(key) is flag:
                del self._running[key]

    def stop(self, key: str, clear_chat: bool = False) -> bool:
        """Stop the question ``key``: True when it is running (it now ends itself), False
        when it is not (yet): then it is stopped when it starts, if it ever does."""
        with self._lock:
            flag = self._running.pop(key, None)
            if flag is None:
                if not key.endswith("/"):  # a page that sent no ticket cannot stop a later one
                    self._early[key] = clear_chat
                    while len(self._early) > _MAX_EARLY:
                        self._early.popitem(last=False)
                return False
        flag.clear_chat = clear_chat
        flag.set()
        return True

    def running(self) -> int:
        with self._lock:
            return len(self._running)
