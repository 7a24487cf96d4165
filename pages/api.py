"""The ``/ask`` API: ``Client(url).predict("question", api_name="/ask")`` -> ``Answer.to_dict()``
(without server paths: ``webui.api_args.answer_json``)."""

from __future__ import annotations

import gradio as gr

import qa
from webui import WebSettings, answer_concurrency, api_args, forms, turns, user_message


def api_answer(question: str, settings: qa.Settings, model: str = "", k: int = 0, date_from: str = "",
               date_to: str = "", sources: list[str] | None = None,
               history: list[list[str]] | None = None) -> dict:
    """The ``/ask`` endpoint's work: one whole answer as a JSON-ready dict.

    The arguments come from any API client as they were sent (Gradio does not check them
    against the type hints), so their types are checked here first.

    Raises:
        gr.Error: with the readable message of any expected failure, naming a wrong argument.
    """
    try:
        args = api_args.check_ask_args(question, model, k, date_from, date_to, sources, history)
        choice = forms.read_search_form(settings, args.model, args.k, args.date_from, args.date_to, args.sources)
        result = qa.answer(args.question, history=list(args.history[-turns.HISTORY_TURNS:]) or None, k=choice.k,
                           filters=choice.filters, settings=choice.settings)
    except Exception as exc:  # the client reads the message; a bug's traceback is in the server log
        raise gr.Error(user_message(exc, "API answer to %r", question), print_exception=False) from None
    return api_args.answer_json(result)


def wire_api(settings: qa.Settings, web: WebSettings) -> None:
    """Register ``/ask``, sharing the page's answer slots (``concurrency_id="answer"``)."""

    def ask(question: str, model: str = "", k: int = 0, date_from: str = "", date_to: str = "",
            sources: list[str] | None = None, history: list[list[str]] | None = None) -> dict:
        """Answer a question from the indexed articles; returns the Answer as JSON.

        Args:
            question: the question.
            model: one of the model names, or "" for the server's default.
            k: passages to read, 1 to {max_k}, or 0 for the default.
            date_from: earliest publish date, {date_rule}, or "".
            date_to: latest publish date, {date_rule}, or "".
            sources: sources (bylines) to search within; empty for all.
            history: earlier [question, answer text] pairs, for follow-up questions.
        """
        return api_answer(question, settings, model, k, date_from, date_to, sources, history)

    ask.__doc__ = ask.__doc__.format(max_k=forms.MAX_K, date_rule=qa.DATE_RULE)  # the API page shows it
    gr.api(ask, api_name="ask", concurrency_limit=answer_concurrency(settings, web), concurrency_id="answer")
