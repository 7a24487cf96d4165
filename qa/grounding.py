"""Whether a passage holds an answer's new facts: the names and numbers the answer adds to
the question.

Word overlap alone let an answer through when it mostly restated the question: "The country
that hosted this week's summit was France [3]" shares four of its five terms with any
passage about the summit, so a passage that never names France "supported" it, and a place
the model knew from training was cited to a paragraph about something else (issue 18: 17%
of the citations on correct answers pointed at a passage without the answer). The facts
that matter are the ones the question does not already contain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .text import STOPWORDS, content_terms

__all__ = ["KeyFacts", "key_facts", "holds_facts"]

# A capitalised word ("Lesotho", "O'Brien", "U.S.", "NATO") or a number ("1,200", "3.5").
_NAME = re.compile(r"\b[A-Z][\w’'-]*")
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_NUMBER_WORDS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve".split())}
_NUMBER_WORD = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)
# Words that are capitalised only because a sentence starts with them.
_OPENERS = frozenset("yes however although though while instead meanwhile".split())
_DOTTED = re.compile(r"\b(?:[A-Z]\.){2,}")  # "U.S." is "US" to the word splitter


@dataclass(frozen=True)
class KeyFacts:
    """The stems of the names and the numbers an answer sentence adds to its question."""

    names: frozenset[str]
    numbers: frozenset[str]

    def __bool__(self) -> bool:
        return bool(self.names or self.numbers)


def key_facts(sentence: str, question: str = "") -> KeyFacts:
    """The names and numbers of ``sentence`` that ``question`` does not already hold."""
    sentence, question = _undot(sentence), _undot(question)
    asked_terms = set(content_terms(question))
    names = set()
    for match in _NAME.finditer(sentence):
        word = match.group()
        if word.lower() in STOPWORDS | _OPENERS | _NUMBER_WORDS.keys():
            continue
        names.update(t for t in content_terms(word) if t not in asked_terms)
    numbers = _numbers(sentence) - _numbers(question)
    return KeyFacts(frozenset(names), frozenset(numbers))


def holds_facts(facts: KeyFacts, text: str) -> bool:
    """Whether ``text`` names every one of ``facts`` (an acronym also matches the initials
    of the capitalised words it stands for: "WHO" in "World Health Organization")."""
    if not facts:
        return True
    text = _undot(text)
    terms = set(content_terms(text))
    missing = {n for n in facts.names if n not in terms}
    if missing - _acronyms(text):
        return False
    return facts.numbers <= _numbers(text)


def _undot(text: str) -> str:
    return _DOTTED.sub(lambda m: m.group().replace(".", ""), text)


def _numbers(text: str) -> set[str]:
    text = _NUMBER_WORD.sub(lambda m: _NUMBER_WORDS[m.group().lower()], text)
    return {m.group().replace(",", "").rstrip(".") for m in _NUMBER.finditer(text)}


def _acronyms(text: str) -> set[str]:
    """Lower-cased initials of each run of two or more capitalised words (stopwords such as
    "of" may sit inside a run: "Bank of England" -> "boe")."""
    found = set()
    for run in re.finditer(r"\b[A-Z][\w’'-]*(?:\s+(?:(?:of|and|for|the)\s+)?[A-Z][\w’'-]*)+", text):
        words = run.group().split()
        while words and words[0].lower() in STOPWORDS:  # "The World Trade Organization"
            words.pop(0)
        found.add("".join(w[0] for w in words).lower())
        found.add("".join(w[0] for w in words if w[0].isupper()).lower())
    return found
