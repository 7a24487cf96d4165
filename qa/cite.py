"""Citation checking: parse [n] markers, verify each answer sentence against the passage it
cites, repair or flag what is unsupported, and renumber to the sources actually cited."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from embeddings import split_sentences

from .grounding import KeyFacts, holds_facts, key_facts
from .text import content_terms, term_overlap
from .types import Citation, Passage

SUPPORT_MIN = 0.5  # share of a sentence's content terms that its passage must contain

# The one spelling of a citation marker, for everything that reads answers (this module, the
# question rewriter, the web chat, the benchmarks): "[2]", "[1, 3]", "[1; 3]", "[1234]";
# "[1][2]" is two markers. Group 1 holds the numbers (see ``marker_numbers``). A marker inside
# a word such as "array[1]" is still a marker: the model never writes code here.
_NUMBERS = r"\d+(?:\s*[,;]\s*\d+)*"
CITATION_MARKER = re.compile(rf"\[({_NUMBERS})\]")
_MARKERS = re.compile(rf"\s*\[({_NUMBERS})\]")  # with the space before it, for removal
_MARKERS_AFTER_STOP = re.compile(rf"([.!?])\s*((?:\[{_NUMBERS}\]\s*)+)")
_ABSTAIN = re.compile(
    r"\b(articles?|passages?|text|context) (do|does|did)( not|n't) (say|mention|contain|provide|specify|state|include)"
    r"|\bnot (mentioned|stated|specified|provided|given|available) in\b"
    r"|\bno (information|mention)\b|\bI (do not|don't|cannot|can't) (know|tell|answer|determine)\b"
    r"|\bcannot be determined\b|\bis not (clear|known) from\b",
    re.IGNORECASE,
)
# Sentences that only point at a source ("This is stated in [2].") carry no claim of their own.
_POINTER_TERMS = {"state", "mention", "report", "passag", "articl", "accord", "inform", "provid", "given", "source"}


@dataclass(frozen=True)
class CheckedAnswer:
    text: str
    citations: tuple[Citation, ...]
    unsupported: tuple[str, ...]


def marker_numbers(numbers: str) -> list[int]:
    """The numbers of one marker's group 1: ``"1; 3"`` -> ``[1, 3]``."""
    return [int(n) for n in re.split(r"[,;]", numbers)]


def strip_markers(text: str) -> str:
    """``text`` without its citation markers (and the space before each)."""
    return _MARKERS.sub("", text)


def is_abstention(text: str) -> bool:
    """Whether the model said the passages don't hold the answer."""
    stripped = strip_markers(text).strip()
    return not stripped or bool(_ABSTAIN.search(stripped))


def parse_claims(text: str) -> list[tuple[str, list[int]]]:
    """Split an answer into (sentence without markers, cited numbers) pairs."""
    text = _MARKERS_AFTER_STOP.sub(lambda m: " " + m.group(2).strip() + m.group(1) + " ", text.strip()).strip()
    claims: list[tuple[str, list[int]]] = []
    for start, end in split_sentences(text):
        sentence = text[start:end]
        numbers = [n for group in _MARKERS.findall(sentence) for n in marker_numbers(group)]
        plain = re.sub(r"\s+([.!?,;:])", r"\1", strip_markers(sentence)).strip()
        if not plain or set(content_terms(plain)) <= _POINTER_TERMS:
            if claims:
                claims[-1][1].extend(numbers)
            continue
        claims.append((plain, numbers))
    return claims


def support(sentence: str, passage_text: str) -> float:
    return term_overlap(set(content_terms(sentence)), set(content_terms(passage_text)))


def check_citations(text: str, passages: Sequence[Passage], question: str = "") -> CheckedAnswer:
    """Verify and repair the citations of a generated answer.

    A passage supports a sentence when it holds half of the sentence's terms and every name
    and number the sentence adds to ``question`` (``grounding.key_facts``). A marker that
    points at no passage is dropped; a cited passage that does not support its sentence is
    replaced by the passage that does, if any; a sentence without a marker gets the
    best-supporting passage, or is flagged as unsupported. Citations are renumbered 1..m in
    order of first use, and only cited passages become citations.

    Args:
        text: the model's answer with [n] markers referring to ``passages`` by ``Passage.n``.
        passages: what the model was shown.
        question: the (standalone) question: its own words need no support.

    Returns:
        The answer text with checked markers, its citations and unsupported sentences.
    """
    by_n = {p.n: p for p in passages}
    numbering: dict[int, int] = {}
    citations: list[Citation] = []
    sentences: list[str] = []
    unsupported: list[str] = []
    for sentence, cited in parse_claims(text):
        facts = key_facts(sentence, question)
        scores = {p.n: support(sentence, p.text) if holds_facts(facts, p.text) else 0.0 for p in passages}
        keep = [n for n in dict.fromkeys(cited) if n in by_n and scores[n] >= SUPPORT_MIN]
        if not keep and scores:
            best = max(scores, key=lambda n: (scores[n], -n))
            if scores[best] >= SUPPORT_MIN:
                keep = [best]
        if not keep:
            unsupported.append(sentence)
            sentences.append(sentence)
            continue
        marks = []
        for n in keep:
            if n not in numbering:
                numbering[n] = len(numbering) + 1
                citations.append(_citation(numbering[n], by_n[n], sentence, scores[n], facts))
            marks.append(f"[{numbering[n]}]")
        sentences.append(_with_markers(sentence, "".join(marks)))
    return CheckedAnswer(" ".join(sentences), tuple(citations), tuple(unsupported))


def _with_markers(sentence: str, marks: str) -> str:
    if sentence and sentence[-1] in ".!?":
        return f"{sentence[:-1]} {marks}{sentence[-1]}"
    return f"{sentence} {marks}"


def _citation(m: int, passage: Passage, sentence: str, score: float, facts: KeyFacts) -> Citation:
    terms = set(content_terms(sentence))
    spans = split_sentences(passage.text) or [(0, len(passage.text))]

    def rating(span: tuple[int, int]) -> tuple:
        quote = passage.text[span[0]:span[1]]
        # The quote a reader checks must hold the answer's names and numbers, then be one
        # the model was shown, then share the most words with the answer.
        return (holds_facts(facts, quote), quote in passage.shown,
                term_overlap(terms, set(content_terms(quote))), -span[0])

    start, end = max(spans, key=rating)
    return Citation(
        n=m, article_id=passage.article_id, title=passage.title, source=passage.source, date=passage.date,
        url=passage.url, passage=passage.text, quote=passage.text[start:end],
        start=passage.start + start, end=passage.start + end, score=round(score, 3),
    )
