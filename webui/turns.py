"""One finished answer of a conversation, kept as a plain JSON-ready dict: what the page
holds per session (a ``gr.State`` list) so an answer can be exported with its references
(``webui.export``) or marked up or down (``webui.feedback``) after the chat shows it.

A record::

    {"id": "3f2a…", "message_index": 1, "asked_at": "2026-11-29T14:03:12+00:00",
     "question": "...", "answer": {"text", "abstained", "model", "standalone_question", "dated",
       "unsupported", "citations": [{"n", "title", "source", "date", "url", "file", "quote", "passage"}],
     "related": [{"title", "source", "date", "url", "file"}]},
     "settings": {"model", "k", "date_from", "date_to", "sources", "index_generation",
                  "index_built_at"}}

``file`` is the article file's name only, for an article without a URL: the server's
folders are none of a reader's business (``api_args.answer_json`` leaves paths out too).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from pathlib import PurePath
from typing import Sequence

from qa import first_per_article, index_info

from .errors import user_message
HISTORY_TURNS = 4  # earlier turns passed to qa for follow-ups: each one costs prompt tokens


def answered_turn(answer, choice, message_index: int, settings) -> dict:
    """The ``turn_record`` of a finished answer, naming the index generation that gave it."""
    try:
        info = index_info(settings)
    except Exception as exc:  # a record without the generation beats no record
        user_message(exc, "reading the index for the answer's record")
        info = None
    return turn_record(answer, choice, message_index, info)


def turn_record(answer, choice, message_index: int, index_info=None, now: datetime | None = None) -> dict:
    """The record of one finished answer.

    Args:
        answer: the ``qa.Answer``.
        choice: the ``forms.SearchChoice`` it was asked with (model, k, filters).
        message_index: where its message sits in the chat's message list (what Gradio's
            like event reports).
        index_info: ``qa.IndexInfo`` of the index that answered, or ``None`` if unknown.
        now: when it was asked (default: now, UTC).
    """
    files = {p.article_id: PurePath(p.path).name for p in answer.passages if p.path}
    filters = choice.filters
    cited = {c.article_id for c in answer.citations}
    related = [{"title": item.title, "source": item.source, "date": item.date, "url": item.url,
                "file": files.get(item.article_id, "")}
               for item in first_per_article((*answer.passages, *answer.related), skip=cited)]
    return {
        "id": uuid.uuid4().hex,
        "message_index": int(message_index),
        "asked_at": (now or datetime.now(timezone.utc)).isoformat(timespec="seconds"),
        "question": answer.question,
        "answer": {
            "text": answer.text, "abstained": bool(answer.abstained), "model": answer.model,
            "standalone_question": answer.standalone_question,
            "dated": answer.dated, "unsupported": list(answer.unsupported),
            "citations": [{"n": c.n, "title": c.title, "source": c.source, "date": c.date, "url": c.url,
                           "file": files.get(c.article_id, ""), "quote": c.quote, "passage": c.passage}
                          for c in answer.citations],
            "related": related,
        },
        "settings": {
            "model": choice.settings.model, "k": choice.k,
            "date_from": filters.date_from if filters else "", "date_to": filters.date_to if filters else "",
            "sources": list(filters.sources) if filters else [],
            "index_generation": getattr(index_info, "generation", "") or "",
            "index_built_at": getattr(index_info, "built_at", "") or "",
        },
    }


def turn_at(turns: Sequence[dict] | None, message_index) -> dict | None:
    """The record whose answer is the chat message at ``message_index`` (an int, or Gradio's
    ``[row, column]``), or ``None`` (a question, an error, a stopped answer)."""
    if isinstance(message_index, (list, tuple)):
        message_index = message_index[0] if message_index else None
    for turn in turns or ():
        if turn.get("message_index") == message_index:
            return turn
    return None
