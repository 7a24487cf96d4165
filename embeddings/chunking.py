"""Sentence-aware chunking bounded in the embedder's own tokens, with exact char offsets."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

CountTokens = Callable[[Sequence[str]], list[int]]

# Words after which a period does not end a sentence.
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st mt ft gen col lt sgt capt cmdr adm gov sen rep rev hon pres
    supt insp no nos vol fig inc co corp ltd llc bros dept univ assn ave blvd rd jan feb mar apr
    jun jul aug sep sept oct nov dec mon tue wed thu fri sat sun vs etc approx est u.s u.k u.n
    e.g i.e a.m p.m""".split()
)
# Abbreviations that are written in lower case; the others are capitalised ("Gen.", "Sun.",
# "No."), which tells them from the plain words "gen", "sun" and "no" ending a sentence.
_LOWERCASE_ABBREVIATIONS = frozenset("vs etc approx e.g i.e a.m p.m".split())
# A boundary is followed by an opening quote/bracket and a capital or digit (checked in code,
# so that non-ASCII capitals such as "É" count too).
_BOUNDARY = re.compile(r"""[.!?]+["'”’)\]]*\s+(?=["'“‘(\[]?\w)|\n\s*\n""")


@dataclass(frozen=True)
class Chunk:
    """A window of one article: ``text == article_text[start:end]``."""

    ordinal: int
    start: int
    end: int
    text: str
    tokens: int


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` of ``text``, whitespace trimmed; paragraphs also split."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        is_paragraph = "\n" in match.group()
        if not is_paragraph and not _ends_sentence(text, start, match):
            continue
        end = match.end()
        spans.append((start, end))
        start = end
    if start < len(text):
        spans.append((start, len(text)))
    return [s for s in (_trim(text, a, b) for a, b in spans) if s[1] > s[0]]


def _ends_sentence(text: str, start: int, match: re.Match) -> bool:
    following = text[match.end():match.end() + 2].lstrip("\"'“‘([")[:1]
    if not (following.isupper() or following.isdigit()):
        return False
    before = text[start:match.start()].rsplit(None, 1)
    word = before[-1].lstrip("\"'“‘([").rstrip(".") if before else ""
    key = word.lower()
    if len(key) == 1:  # an initial: "J. K. Rowling"
        return False
    return not (key in _ABBREVIATIONS and (word[:1].isupper() or key in _LOWERCASE_ABBREVIATIONS))


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def chunk_text(text: str, count_tokens: CountTokens, max_tokens: int, overlap_tokens: int) -> list[Chunk]:
    """Pack whole sentences into windows of at most ``max_tokens`` tokens.

    Consecutive chunks share trailing sentences worth up to ``overlap_tokens`` so an answer
    that straddles a boundary is still whole in one chunk. A sentence longer than
    ``max_tokens`` is cut at word boundaries.

    Args:
        text: the cleaned article.
        count_tokens: token counts for a batch of strings, in the embedder's tokenizer.
        max_tokens: upper bound per chunk (keep under the embedder's truncation length).
        overlap_tokens: how much trailing context the next chunk repeats.

    Returns:
        Chunks in order, each with its exact character span in ``text``.
    """
    units = _units(text, count_tokens, max_tokens)
    chunks: list[Chunk] = []
    i = 0
    while i < len(units):
        j, total = i, 0
        while j < len(units) and (j == i or total + units[j][2] <= max_tokens):
            total += units[j][2]
            j += 1
        start, end = units[i][0], units[j - 1][1]
        chunks.append(Chunk(len(chunks), start, end, text[start:end], total))
        if j >= len(units):
            break
        # Step back over trailing sentences that fit the overlap, but always move forward,
        # and only so far that the next chunk still has room for the next new sentence:
        # otherwise it would be a mere slice of this one.
        back, carried = j, 0
        while (back - 1 > i and carried + units[back - 1][2] <= overlap_tokens
               and carried + units[back - 1][2] + units[j][2] <= max_tokens):
            back -= 1
            carried += units[back][2]
        i = back
    return chunks


def _units(text: str, count_tokens: CountTokens, max_tokens: int) -> list[tuple[int, int, int]]:
    spans = split_sentences(text)
    counts = count_tokens([text[a:b] for a, b in spans]) if spans else []
    units: list[tuple[int, int, int]] = []
    for (start, end), n in zip(spans, counts):
        if n <= max_tokens:
            units.append((start, end, n))
        else:
            units.extend(_split_long(text, start, end, count_tokens, max_tokens))
    return units


def _split_long(text: str, start: int, end: int, count_tokens: CountTokens, max_tokens: int):
    words = [(m.start() + start, m.end() + start) for m in re.finditer(r"\S+", text[start:end])]
    counts = count_tokens([text[a:b] for a, b in words])
    pieces: list[tuple[int, int, int]] = []
    for (a, b), n in zip(words, counts):
        pieces.extend(_cut_word(text, a, b, n, count_tokens, max_tokens) if n > max_tokens else [(a, b, n)])
    piece_start, total = pieces[0][0], 0
    last_end = pieces[0][1]
    for a, b, n in pieces:
        if total and total + n > max_tokens:
            yield (piece_start, last_end, total)
            piece_start, total = a, 0
        total += n
        last_end = b
    yield (piece_start, last_end, total)


def _cut_word(text: str, start: int, end: int, n: int, count_tokens: CountTokens, max_tokens: int):
    """Cut one word over ``max_tokens`` (a long URL, base64 junk) into pieces that fit."""
    pieces = []
    while start < end:
        size = min(end - start, max(1, (end - start) * max_tokens // max(n, 1)))
        while True:
            piece_n = count_tokens([text[start:start + size]])[0]
            if piece_n <= max_tokens or size == 1:
                break
            size = max(1, size * 3 // 4)
        pieces.append((start, start + size, piece_n))
        start += size
        n = count_tokens([text[start:end]])[0] if start < end else 0
    return pieces
