"""Pure text cleaning: Unicode and whitespace normalisation, scraped-page noise removal."""

from __future__ import annotations

import re
import unicodedata

# Lone UI words that scrapers leave behind as a line of their own ("close" in the seed).
UI_NOISE = frozenset({
    "close", "advertisement", "advertising", "share", "share this", "tweet", "email", "print",
    "comments", "subscribe", "sign in", "log in", "login", "menu", "search", "skip to content",
    "skip to main content", "read more", "continue reading", "show more", "load more",
    "back to top", "copy link", "whatsapp", "facebook", "twitter", "linkedin",
    "story continues below advertisement", "scroll to continue",
})

_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def normalize_text(text: str) -> str:
    """NFC-normalise, drop invisible and control characters, unify newlines."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _INVISIBLE.sub("", text)
    return _CONTROL.sub("", text)


def normalize_line(line: str) -> str:
    """``line`` on one line: runs of whitespace folded to one space, the ends stripped."""
    return _SPACES.sub(" ", line).strip()


def is_noise_line(line: str) -> bool:
    """A line that is only a UI word or punctuation, never article content."""
    if not line.strip():
        return False
    key = line.strip().lower().strip(".:|•·-–— ")
    # No letter or digit at all: a divider such as "—", "* * *" or "• • •".
    return key in UI_NOISE or not any(ch.isalnum() for ch in line)


def clean_text(text: str) -> str:
    """Clean scraped article text and keep its paragraphs.

    Removes UI noise lines and every repeat of a line already seen (scrapers print photo
    captions twice), folds whitespace, and joins paragraphs with one blank line.

    Args:
        text: raw article body.

    Returns:
        The cleaned body: paragraphs separated by ``"\\n\\n"``, no leading/trailing space.
    """
    seen: set[str] = set()
    paragraphs: list[str] = []
    current: list[str] = []
    for raw in normalize_text(text).split("\n"):
        line = normalize_line(raw)
        if not line:
            if current:
                paragraphs.append(" ".join(current))
                current = []
            continue
        if is_noise_line(line):
            continue
        key = line.casefold()
        if key in seen:
            continue
        seen.add(key)
        # Scraped JSON bodies often hard-wrap one paragraph over several lines; a line that
        # ends mid-sentence continues the paragraph, one that ends a sentence closes it.
        current.append(line)
        if not _continues(line):
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return "\n\n".join(paragraphs)


def _continues(line: str) -> bool:
    return bool(line) and line[-1] not in ".!?\"'”’)]:" and len(line) > 60
