"""Follow-up questions: rewrite "What did he say after that?" into a standalone question."""

from __future__ import annotations

import re
from typing import Sequence

from .cite import strip_markers
from .text import content_terms

_REFERRING = re.compile(
    r"\b(he|she|they|it|its|his|her|hers|him|their|them|this|that|these|those|there|then|"
    r"the same|the former|the latter|the company|the country|the president)\b",
    re.IGNORECASE,
)
_CONTINUATION = re.compile(r"^\s*(and|also|what about|how about|why|so|but)\b", re.IGNORECASE)

REWRITE_PROMPT = """Rewrite the user's follow-up question so that it can be understood without the conversation.
Replace pronouns and vague references with the names they refer to. Keep it a question.
Output only the rewritten question, nothing else."""

History = Sequence[tuple[str, str]]


def needs_rewrite(question: str, history: History | None) -> bool:
    """A follow-up refers back (pronouns, "what about ...") or is too short to stand alone."""
    if not history:
        return False
    return bool(_REFERRING.search(question) or _CONTINUATION.match(question)) or len(content_terms(question)) < 2


def rewrite_messages(question: str, history: History) -> list[dict[str, str]]:
    turns = []
    for user, assistant in list(history)[-2:]:
        turns.append(f"User: {user.strip()}")
        turns.append(f"Assistant: {strip_markers(assistant).strip()[:600]}")
    user = "Conversation:\n" + "\n".join(turns) + f"\n\nFollow-up question: {question}\nStandalone question:"
    return [{"role": "system", "content": REWRITE_PROMPT}, {"role": "user", "content": user}]


def accept_rewrite(question: str, rewritten: str, history: History) -> str:
    """The model's rewrite if it is a plausible question, else a safe fallback."""
    rewritten = rewritten.strip().strip('"').splitlines()[0].strip() if rewritten.strip() else ""
    rewritten = re.sub(r"^(standalone question|question)\s*:\s*", "", rewritten, flags=re.IGNORECASE)
    if 3 <= len(rewritten) <= 3 * len(question) + 200 and content_terms(rewritten):
        return rewritten
    # Fallback: carry the previous question's words so retrieval still finds the topic.
    return f"{question} ({history[-1][0].strip()})"


def rewrite_question(question: str, history: History | None, generator, cancel=None) -> str:
    """The standalone form of ``question``; unchanged when it needs no rewrite.

    Args:
        question: the user's latest question.
        history: earlier (question, answer) pairs, oldest first.
        generator: a ``qa.generators.Generator`` used for the rewrite.
        cancel: a ``threading.Event``: set, it ends the rewrite (and its wait for the model).
    """
    if not needs_rewrite(question, history):
        return question
    text = "".join(generator.stream(rewrite_messages(question, history), max_tokens=60, stop=["\n"], cancel=cancel))
    return accept_rewrite(question, text, history)
