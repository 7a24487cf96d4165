"""Checks on the question itself, before any model runs."""

from __future__ import annotations

import html
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

# HTML tags around words, as text copied from a page's source carries them: '<a
# href="https://…/tag/canada">Canada</a>'. Removed only when the text shows it was pasted
# markup (a closing tag, or a tag with attributes), and only for elements a page wraps
# words in: "what does the <b> tag do" and "x < y > z" stay as typed.
_ELEMENTS = r"(?:a|abbr|b|br|cite|code|div|em|font|h[1-6]|i|li|mark|p|q|s|small|span|strong|sub|sup|time|u)"
_MARKUP = re.compile(rf"</?{_ELEMENTS}(?:\s[^<>]*)?/?>", re.IGNORECASE)
_BLOCK = re.compile(r"</?(?:br|div|h[1-6]|li|p)\b", re.IGNORECASE)
_PASTED = re.compile(rf"</{_ELEMENTS}\s*>|<{_ELEMENTS}\s[^<>]*=", re.IGNORECASE)


def without_markup(text: str) -> str:
    """``text`` without the HTML tags pasted around its words, entities decoded ("&amp;" is
    "&"): a question pasted with its links keeps the words, while the links' addresses
    would be searched as words and outweigh them."""
    if not _PASTED.search(text):
        return text
    # A block tag ends a line ("Canada<br>Mexico"); an inline one sits inside a word's
    # punctuation ("Canada</a>'s").
    return html.unescape(_MARKUP.sub(lambda m: " " if _BLOCK.match(m.group()) else "", text))


def validate_question(question: str, max_chars: int) -> str:
    """The question, stripped, or an ``InvalidInputError`` that says how to fix it."""
    return _validate(question, max_chars, "question", "type a question about the articles",
                     "ask it in under {max_chars:,} characters (the articles are searched for you, so there is "
                     "no need to paste them)",
                     "Newsdesk answers questions in English (its articles and model are English): please ask "
                     "the question in English")


def validate_query(query: str, max_chars: int) -> str:
    """Search terms, checked by the same rules as a question (``validate_question``), with
    messages about searching."""
    return _validate(query, max_chars, "search", "type words to look for in the articles",
                     "search with under {max_chars:,} characters: a few words or a phrase",
                     "Newsdesk searches English articles: please type the search terms in English")


def _validate(text: str, max_chars: int, noun: str, what_to_type: str, shorten: str, english: str) -> str:
    if not isinstance(text, str):
        raise InvalidInputError(f"the {noun} must be text")
    # Control and format characters (NUL, escape codes, zero-width marks) carry no meaning
    # in a question; pasted from a terminal they would otherwise reach the model.
    text = without_markup(text)  # first: a decoded "&#8203;" is a control character too
    text = "".join(ch for ch in text if ch.isspace() or not unicodedata.category(ch).startswith("C"))
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise InvalidInputError(f"the {noun} is empty: {what_to_type}")
    if not any(ch.isalnum() for ch in text):
        raise InvalidInputError(f"the {noun} has no letters or digits: {what_to_type}")
    if len(text) > max_chars:
        raise InvalidInputError(f"the {noun} is {len(text):,} characters long; " + shorten.format(max_chars=max_chars))
    if not _looks_english(text):
        raise InvalidInputError(english)
    return text


def _looks_english(question: str) -> bool:
    letters = [ch for ch in question if ch.isalpha()]
    if letters and sum(ch.isascii() or ch in "áéíóúñüöäçèàâêôûëïœ’" for ch in letters) / len(letters) < 0.6:
        return False  # mostly non-Latin script
    tokens = words(question)
    english = sum(t in STOPWORDS for t in tokens)
    foreign = sum(t in _FOREIGN for t in tokens)
    return not (foreign >= 2 and foreign > english)
