"""The conversation as Markdown, to paste into a story or keep: each question, its answer
with the [n] markers, and under it the numbered references (title, source, date, URL or
file, the quoted sentence).

Everything that came from an article or the model is escaped, so a title such as
``*Breaking* [live]`` or a quote starting with ``# 1.`` stays text in any Markdown viewer;
the answer's own ``[n]`` markers are kept as they are (with no ``[n]: url`` definitions
anywhere they stay plain text).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

from qa import CITATION_MARKER

from .render import format_date, safe_url
from qa import UNTITLED

# Backslash-escaped anywhere: what opens emphasis, code, links, HTML, tables, strikethrough.
_INLINE = re.compile(r"([\\`*_\[\]<>|~])")
# At a line's start: headings, quotes, bullets, thematic breaks, setext underlines; and
# "1." or "1)", an ordered list, whose "." takes the backslash (before a digit it shows).
_LINE_START = re.compile(r"^(\s*)([#>+=-])", re.MULTILINE)
_ORDERED = re.compile(r"^(\s*\d+)([.)])", re.MULTILINE)
_ENTITY = re.compile(r"&(?=#?\w+;)")  # "&amp;" would render as "&"


def md_escape(text: str, *, one_line: bool = True) -> str:
    """``text`` as literal Markdown text; ``one_line`` folds newlines (titles, quotes)."""
    text = "" if text is None else str(text)
    if one_line:
        text = " ".join(text.split())
    text = _ENTITY.sub("\\&", _INLINE.sub(r"\\\1", text))
    text = _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)
    return _ORDERED.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


def answer_text(text: str) -> str:
    """An answer's text escaped for Markdown, its [n] citation markers kept as they are."""
    out, pos = [], 0
    for m in CITATION_MARKER.finditer(text or ""):
        out.append(md_escape(text[pos:m.start()], one_line=False))
        out.append(m.group(0))
        pos = m.end()
    out.append(md_escape((text or "")[pos:], one_line=False))
    # Lines ending in spaces would become hard breaks; blank lines stay paragraph breaks.
    return "\n".join(line.rstrip() for line in "".join(out).strip().splitlines())


def _where(item: dict) -> str:
    url = safe_url(item.get("url", ""))
    if url:
        return f"<{url}>"
    name = " ".join(str(item.get("file") or "").split())
    if name:  # a code span keeps a file name's underscores as they are
        return f"File: `{name}`" if "`" not in name else f"File: {md_escape(name)}"
    return ""


def _reference(label: str, item: dict) -> str:
    title = md_escape(item.get("title")) or UNTITLED
    meta = [md_escape(item["source"]) if item.get("source") else "",
            md_escape(format_date(item["date"])) if item.get("date") else "undated"]
    line = f"- {label}**{title}**. {', '.join(m for m in meta if m)}."
    where = _where(item)
    if where:
        line += f" {where}"
    if item.get("quote"):
        line += f"\n  > {md_escape(item['quote'])}"
    return line


def turn_markdown(number: int, turn: dict) -> str:
    """One question and its answer with references, as a ``##`` section."""
    ans = turn.get("answer") or {}
    parts = [f"## {number}. {md_escape(turn.get('question', '')) or 'Question'}"]
    if ans.get("abstained"):
        parts.append("**No answer from the indexed articles.** " + md_escape(ans.get("text", "")))
        if ans.get("related"):
            parts.append("Related reading:\n\n" + "\n".join(_reference("", r) for r in ans["related"]))
    else:
        parts.append(answer_text(ans.get("text", "")) or "*(empty answer)*")
        if ans.get("unsupported"):
            parts.append("*Some of this answer is not backed by a cited passage; check the sources.*")
        if ans.get("citations"):
            parts.append("References:\n\n" + "\n".join(_reference(f"[{c['n']}] ", c) for c in ans["citations"]))
    settings = turn.get("settings") or {}
    facts = [md_escape(ans.get("model") or settings.get("model", ""))]
    asked = turn.get("asked_at", "")
    if asked:
        facts.append(f"asked {md_escape(asked[:16].replace('T', ' '))} UTC")
    scope = _scope(settings)
    if scope:
        facts.append(scope)
    parts.append(f"*{' · '.join(f for f in facts if f)}*")
    return "\n\n".join(parts)


def _scope(settings: dict) -> str:
    bits = []
    if settings.get("date_from") or settings.get("date_to"):
        bits.append(f"published {settings.get('date_from') or '…'} to {settings.get('date_to') or '…'}")
    if settings.get("sources"):
        bits.append("from " + " or ".join(md_escape(s) for s in settings["sources"]))
    return ("searched articles " + " ".join(bits)) if bits else ""


def conversation_markdown(turns: Sequence[dict], exported_at: datetime | None = None) -> str:
    """The whole conversation (``webui.turns`` records, in order) as one Markdown document;
    ``""`` when there is no finished answer yet. Questions that ended in an error or were
    stopped have no record and are left out."""
    if not turns:
        return ""
    when = (exported_at or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")
    head = (f"# Newsdesk conversation\n\nExported {when}. Answers come only from the indexed articles; "
            "each [n] refers to the numbered reference under its answer.")
    return "\n\n".join([head, *(turn_markdown(i, t) for i, t in enumerate(turns, 1))]) + "\n"
