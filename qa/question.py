"""Checks on the question itself, before any model runs."""

from __future__ import annotations

import re
import unicodedata

from embeddings import InvalidInputError

from .text import STOPWORDS, words

# Function words of the languages a news reader is most likely to try instead of English.
_FOREIGN = frozenset("""
el la los las del que qué quién quien cómo como cuál cuando dónde por para una es en con se
le les des du est qui quoi où comment pourquoi une et dans sur avec pas
der die das und ist wer wie warum wann nicht ein eine mit von zu auf für
il lo gli chi che cosa perché di della è con non
""".split())


def validate_question(question: str, max_chars: int) -> str:
    """The question, stripped, or an ``InvalidInputError`` that says how to fix it."""
    if not isinstance(question, str):
        raise InvalidInputError("the question must be text")
    # Control and format characters (NUL, escape codes, zero-width marks) carry no meaning
    # in a question; pasted from a terminal they would otherwise reach the model.
    question = "".join(ch for ch in question if ch.isspace() or not unicodedata.category(ch).startswith("C"))
    question = re.sub(r"\s+", " ", question).strip()
    if not question:
        raise InvalidInputError("the question is empty: type a question about the articles")
    if not any(ch.isalnum() for ch in question):
        raise InvalidInputError("the question has no letters or digits: type a question about the articles")
    if len(question) > max_chars:
        raise InvalidInputError(
            f"the question is {len(question):,} characters long; ask it in under {max_chars:,} "
            "characters (the articles are searched for you, so there is no need to paste them)")
    if not _looks_english(question):
        raise InvalidInputError("Newsdesk answers questions in English (its articles and model are "
                                "English): please ask the question in English")
    return question


def _looks_english(question: str) -> bool:
    letters = [ch for ch in question if ch.isalpha()]
    if letters and sum(ch.isascii() or ch in "áéíóúñüöäçèàâêôûëïœ’" for ch in letters) / len(letters) < 0.6:
        return False  # mostly non-Latin script
    tokens = words(question)
    english = sum(t in STOPWORDS for t in tokens)
    foreign = sum(t in _FOREIGN for t in tokens)
    return not (foreign >= 2 and foreign > english)
