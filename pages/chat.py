"""The Chat tab: ask, Stop, New chat, the example questions and the answer's Sources box.

``chat_turn`` streams one question's turn into the chat; ``wire_chat`` runs it for Ask (at
most ``webui.answer_concurrency`` at once) and sets a question's stop flag for Stop
and New chat (``webui/stops.py``). The HTML is ``webui.render``'s; export and thumbs are
``pages/takeaway.py``'s.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator, NamedTuple

import gradio as gr

import qa
from webui import WebSettings, answer_concurrency, forms, indexing, render, stops, turns, user_message

from .filters import Filters

STREAM_EVERY_S = 0.05  # at most ~20 chat repaints a second while tokens stream in


@dataclass
class ChatTab:
    chatbot: gr.Chatbot
    question: gr.Textbox
    ask_btn: gr.Button
    stop_btn: gr.Button
    new_btn: gr.Button
    example_btns: list[gr.Button]
    copy_btn: gr.Button
    download_btn: gr.Button
    export_md: gr.Code


@dataclass
class Conversation:
    """One page session's conversation, kept on the server."""

    messages: gr.State  # the conversation, as the chat shows it
    history: gr.State  # [question, answer text] pairs, for follow-ups
    turns: gr.State  # finished answers (webui.turns records), for export and marks
    ticket: gr.Textbox  # hidden; the page's ticket for the question it sent (webui.stops.ASK_JS)


def chat_tab() -> ChatTab:
    """Place the Chat tab; call inside the page's ``gr.Tabs``."""
    with gr.Tab("Chat", id="chat", elem_id="nd-tab-chat", render_children=True):
        # Messages are HTML built (and escaped) by webui.render, so no Markdown pass; no
        # copy buttons either: they would copy that HTML rather than the answer's text.
        chatbot = gr.Chatbot(
            elem_id="nd-chat", label="Conversation", height=560, render_markdown=False,
            sanitize_html=True, feedback_options=("Like", "Dislike"), group_consecutive_messages=False,
            buttons=[],
            placeholder="Ask about the news in the index. Every answer cites the passages it rests on.")
        with gr.Row(equal_height=True, elem_id="nd-ask-row"):
            question = gr.Textbox(show_label=False, placeholder="Ask a question about the news…",
                                  scale=8, lines=1, max_lines=4, autofocus=True, container=False,
                                  elem_id="nd-question")
            ask_btn = gr.Button("Ask", variant="primary", scale=0, min_width=80, elem_id="nd-ask")
            stop_btn = gr.Button("Stop", size="md", scale=0, min_width=70, elem_id="nd-stop")
            new_btn = gr.Button("New chat", size="md", scale=0, min_width=100, elem_id="nd-new")
        with gr.Row(elem_id="nd-examples"):
            example_btns = [gr.Button("", visible=False, size="sm", variant="secondary",
                                      elem_classes="nd-example") for _ in range(indexing.N_EXAMPLES)]
        # Take the answers away: the conversation as Markdown with numbered references.
        with gr.Row(elem_id="nd-takeaway"):
            copy_btn = gr.Button("Copy with sources", size="sm", interactive=False, elem_id="nd-copy",
                                 scale=0, min_width=150)
            download_btn = gr.Button("Download .md", size="sm", interactive=False,
                                     elem_id="nd-download", scale=0, min_width=130)
        with gr.Accordion("Conversation as Markdown", open=False, elem_id="nd-export"):
            export_md = gr.Code("", language="markdown", interactive=False, show_label=False,
                                buttons=["copy"], elem_id="nd-export-md", max_lines=30)
    return ChatTab(chatbot, question, ask_btn, stop_btn, new_btn, example_btns, copy_btn, download_btn, export_md)


def sources_box() -> gr.HTML:
    """Place the answer's Sources box; call in the page's side column."""
    with gr.Accordion("Sources", open=True):
        return gr.HTML(render.SOURCES_EMPTY, elem_id="nd-sources")


def conversation() -> Conversation:
    """The session's conversation state and the hidden ticket box (placed where it is called)."""
    return Conversation(gr.State([]), gr.State([]), gr.State([]), gr.Textbox(visible=False, elem_id="nd-ticket"))


# --- answering ---------------------------------------------------------------------------

class TurnUpdate(NamedTuple):
    """One repaint of a turn: the question box, the chat's messages, the follow-up history and
    the Sources box (each a value, or ``gr.skip()`` to leave it as it is)."""

    question: Any
    messages: Any
    history: Any
    sources: Any


def chat_turn(question: str, messages: list[dict], history: list, model: str, k, date_from: str,
              date_to: str, sources, *, settings: qa.Settings,
              on_answer: Callable[[qa.Answer, forms.SearchChoice], None] | None = None,
              cancel: threading.Event | None = None) -> Iterator[TurnUpdate]:
    """Stream one question's turn into the chat.

    Yields a ``TurnUpdate`` each time the page should repaint: the question at once,
    "reading N passages" after retrieval, the answer as it streams, then the checked answer
    with its citations. Errors end the turn with a readable message in the chat; the
    conversation carries on. ``on_answer`` gets the
    checked answer and the settings it was asked with, just before the last repaint.
    Setting ``cancel`` (the page's Stop) ends the turn at the model's next token, without a
    last repaint: the caller shows it stopped (``stopped_outputs``).
    """
    question = (question or "").strip()
    if not question:
        yield TurnUpdate("", messages, history, gr.skip())
        return
    messages = [*messages, {"role": "user", "content": render.user_message(question, settings.max_question_chars)},
                {"role": "assistant", "content": render.searching_message()}]
    yield TurnUpdate("", list(messages), history, render.sources_reading(()))

    def show(content: str) -> list[dict]:
        messages[-1] = {"role": "assistant", "content": content}
        return list(messages)

    try:
        choice = forms.read_search_form(settings, model, k, date_from, date_to, sources)
        pairs = [(str(q), str(a)) for q, a in (history or [])][-turns.HISTORY_TURNS:]
        passages: tuple = ()
        text, last = "", 0.0
        final = None
        for event in qa.stream_answer(question, history=pairs or None, k=choice.k, filters=choice.filters,
                                      settings=choice.settings, cancel=cancel):
            if isinstance(event, qa.Retrieved):
                passages = event.passages
                yield TurnUpdate("", show(render.reading_message(passages)), history,
                                 render.sources_reading(passages))
            elif isinstance(event, qa.Answer):
                final = event
            elif isinstance(event, str):
                text += event
                now = time.monotonic()
                if now - last >= STREAM_EVERY_S and text.strip():
                    last = now
                    yield TurnUpdate("", show(render.streaming_message(text, passages)), history, gr.skip())
        if final is None:
            if cancel is not None and cancel.is_set():
                return
            raise RuntimeError("qa.stream_answer ended without an Answer")
    except Exception as exc:  # bad input (webui's FormError included), a qa failure, or a bug (logged)
        message = render.error_message(user_message(exc, "answering %r", question))
        yield TurnUpdate("", show(message), history, render.SOURCES_EMPTY)
        return
    history = [*(history or []), [question, final.text]]
    if on_answer is not None:
        on_answer(final, choice)
    yield TurnUpdate("", show(render.answer_message(final, choice.scope)), history, render.sources_panel(final))


def stopped_outputs(stop: stops.StopFlag, messages: list[dict]) -> tuple:
    """A stopped answer's last repaint (``on_ask``'s outputs): its chat frozen where it was,
    marked stopped, or emptied after New chat; the question box and records left alone."""
    if stop.clear_chat:
        return gr.skip(), [], [], [], render.SOURCES_EMPTY, []
    frozen = render.stop_turn(messages)
    return gr.skip(), frozen, frozen, gr.skip(), render.SOURCES_EMPTY, gr.skip()


# --- wiring --------------------------------------------------------------------------------

def _on_ask(settings: qa.Settings, running: stops.StopFlags):
    """Ask's handler: the turn, with each checked answer's record added to the session's."""

    def on_ask(q, msgs, hist, m, kk, d1, d2, srcs, records, ticket, request: gr.Request):
        key = stops.ticket_key(request.session_hash, ticket)
        stop = running.start(key)
        try:
            if stop.is_set():
                return  # stopped while it waited in the queue: it never started, nothing to show
            finished = []  # (answer, choice) once the turn has a checked answer
            shown = msgs
            for box, shown, hist2, panel in chat_turn(q, msgs, hist, m, kk, d1, d2, srcs, settings=settings,
                                                      on_answer=lambda a, c: finished.append((a, c)), cancel=stop):
                if stop.is_set():
                    break
                done = [turns.answered_turn(*finished.pop(), len(shown) - 1, settings)] if finished else []
                yield box, shown, shown, hist2, panel, ([*(records or []), *done] if done else gr.skip())
            if stop.is_set():
                yield stopped_outputs(stop, shown)  # this answer's own last repaint: nothing lands after it
        finally:
            running.finish(key, stop)

    return on_ask


def wire_chat(c: ChatTab, conv: Conversation, sources_html: gr.HTML, f: Filters, settings: qa.Settings,
              web: WebSettings) -> None:
    """Ask (the box, the button, an example), Stop and New chat."""
    # One model run at a time across all sessions (2 CPU cores), unless answer_concurrency says
    # otherwise. The chatbot only displays; `messages` (per-session state) is the conversation
    # itself, so nothing depends on how the Chatbot hands its value back.
    running = stops.StopFlags()  # Stop and New chat set the question's flag (webui/stops.py)
    on_ask = _on_ask(settings, running)
    answer_inputs = [c.question, conv.messages, conv.history, f.model, f.k, f.date_from, f.date_to, f.sources,
                     conv.turns, conv.ticket]
    answer_outputs = [c.question, c.chatbot, conv.messages, conv.history, sources_html, conv.turns]
    # trigger_mode: Gradio's default ("once") drops a click while the page's last question is
    # still running or ending; "always_last" sends it as soon as that one ends. A double click
    # then sends an empty box, which chat_turn ignores.
    common = dict(concurrency_limit=answer_concurrency(settings, web), concurrency_id="answer",
                  api_visibility="private", show_progress="minimal", trigger_mode="always_last", js=stops.ASK_JS)
    for trigger in (c.question.submit, c.ask_btn.click):
        trigger(on_ask, answer_inputs, answer_outputs, **common)
    for btn in c.example_btns:  # a button passes its label: the question
        btn.click(on_ask, [btn, *answer_inputs[1:]], answer_outputs, **common)

    # Stop and New chat never cancel the answer through Gradio (webui/stops.py says why): they
    # set its flag, and it ends itself within a token.
    def on_stop(msgs, ticket, request: gr.Request):
        if running.stop(stops.ticket_key(request.session_hash, ticket)):
            return gr.skip(), gr.skip(), gr.skip()  # the answer freezes itself, with its latest words
        was_pending = bool(msgs) and render.is_pending(msgs[-1].get("content"))
        msgs = render.stop_turn(msgs)  # nothing running: a turn left pending (a lost connection) is frozen
        return msgs, msgs, render.SOURCES_EMPTY if was_pending else gr.skip()

    c.stop_btn.click(on_stop, [conv.messages, conv.ticket], [c.chatbot, conv.messages, sources_html], queue=False,
                     js=stops.STOP_JS, api_visibility="private")

    def on_new(ticket, request: gr.Request):
        running.stop(stops.ticket_key(request.session_hash, ticket), clear_chat=True)
        return [], [], [], render.SOURCES_EMPTY, "", []

    new_outputs = [c.chatbot, conv.messages, conv.history, sources_html, c.question, conv.turns]
    for trigger in (c.new_btn.click, c.chatbot.clear):
        trigger(on_new, conv.ticket, new_outputs, queue=False, js=stops.STOP_JS, api_visibility="private")
