"""Checking the ``/ask`` API's arguments before they reach ``qa``.

Gradio only uses an API function's type hints to describe the endpoint: it passes whatever
JSON a client sends straight through (``gr.api`` inputs are ``gr.Api`` components whose
``preprocess`` is the identity). So ``sources=5`` or ``history="x"`` arrive here as they
are, and each is refused with a message that names the argument and what it should be.
"""

from __future__ import annotations

from dataclasses import dataclass

from qa import DATE_RULE, parse_date

from .errors import FormError
from .forms import MAX_K


@dataclass(frozen=True)
class AskArgs:
    """The ``/ask`` arguments, checked: ``k`` 0 means the default, ``model`` "" the server's."""

    question: str
    model: str = ""
    k: int = 0
    date_from: str = ""
    date_to: str = ""
    sources: tuple[str, ...] = ()
    history: tuple[tuple[str, str], ...] = ()


def check_ask_args(question: object, model: object = "", k: object = 0, date_from: object = "",
                   date_to: object = "", sources: object = None, history: object = None,
                   max_k: int = MAX_K) -> AskArgs:
    """Check the types (and the few values that need no index) of one ``/ask`` call.

    ``None`` stands for the default of every argument except ``question``.

    Raises:
        FormError: naming the first wrong argument and what it should be,
            e.g. "sources must be a list of source names, not int".
    """
    if not isinstance(question, str):
        raise FormError(f"question must be text, not {_kind(question)}.")
    return AskArgs(question=question, model=_model(model), k=_k(k, max_k),
                   date_from=_date(date_from, "date_from"), date_to=_date(date_to, "date_to"),
                   sources=_sources(sources), history=_history(history))


def _model(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FormError(f'model must be a model name as text ("" for the default), not {_kind(value)}.')
    return value.strip()


def _k(value: object, max_k: int) -> int:
    if value is None:
        return 0
    # bool is an int subclass, and JSON has only one number type: 4.0 is as good as 4.
    whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if isinstance(value, bool) or not whole:
        raise FormError(f"k must be a whole number of passages, 1 to {max_k} (0 for the default), "
                        f"not {_kind(value)}.")
    if not 0 <= value <= max_k:
        raise FormError(f"k must be 1 to {max_k} passages (0 for the default), not {value:g}.")
    return int(value)


def _date(value: object, name: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FormError(f'{name} must be a date as text, {DATE_RULE} ("" for none), not {_kind(value)}.')
    return parse_date(value, name)


def _sources(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)):
        raise FormError(f"sources must be a list of source names, not {_kind(value)}.")
    for i, name in enumerate(value):
        if not isinstance(name, str):
            raise FormError(f"sources must be a list of source names, but sources[{i}] is {_kind(name)}.")
    return tuple(value)


def _history(value: object) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)):
        raise FormError(f"history must be a list of [question, answer] pairs, not {_kind(value)}.")
    for i, pair in enumerate(value):
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2 and all(isinstance(s, str) for s in pair)):
            raise FormError(f"history must be a list of [question, answer] pairs of text, but history[{i}] "
                            f"is {_describe(pair)}.")
    return tuple((q, a) for q, a in value)


def _kind(value: object) -> str:
    return "None" if value is None else type(value).__name__


def _describe(pair: object) -> str:
    if isinstance(pair, (list, tuple)):
        if len(pair) != 2:
            return f"a {type(pair).__name__} of {len(pair)}"
        return f"[{', '.join(_kind(s) for s in pair)}]"
    return _kind(pair)


def answer_json(answer) -> dict:
    """``Answer.to_dict()`` for API clients, without the passages' server-side file paths.

    Besides not telling clients where files live on the server, this avoids a gradio_client
    quirk: with Gradio 6's protocol it treats any ``{"path": str}`` object in a result as a
    file to download, and fails with 403 on the article's path.
    """
    data = answer.to_dict()
    data["passages"] = [{k: v for k, v in p.items() if k != "path"} for p in data["passages"]]
    return data
