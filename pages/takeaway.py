"""Taking the answers away, under the chat: the conversation as Markdown (shown, copied,
downloaded) and thumbs up / down on an answer, stored with its record (``webui.export``,
``webui.feedback``). Its buttons are the Chat tab's (``ChatTab``)."""

from __future__ import annotations

import gradio as gr

import qa
from webui import export, feedback

from .chat import ChatTab

DOWNLOAD_JS = """(text) => {
    if (!text) return;
    const day = new Date().toISOString().slice(0, 10);
    const url = URL.createObjectURL(new Blob([text], {type: "text/markdown;charset=utf-8"}));
    const link = Object.assign(document.createElement("a"), {href: url, download: `newsdesk-conversation-${day}.md`});
    document.body.appendChild(link); link.click(); link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
}"""
COPY_JS = """async (text) => {
    if (!text) return;
    try { await navigator.clipboard.writeText(text); return; } catch (e) { /* not a secure context */ }
    const area = Object.assign(document.createElement("textarea"), {value: text});
    area.style.position = "fixed"; area.style.opacity = "0";
    document.body.appendChild(area); area.select(); document.execCommand("copy"); area.remove();
}"""


def wire_takeaway(c: ChatTab, turns: gr.State, settings: qa.Settings) -> None:
    """The Markdown follows the session's records; Copy and Download work in the browser; a
    thumb on an answer is stored (``webui.feedback.save_feedback``)."""

    def on_turns(records):
        text = export.conversation_markdown(records or [])
        ready = bool(text)
        return text, gr.Button(interactive=ready), gr.Button(interactive=ready)

    turns.change(on_turns, turns, [c.export_md, c.download_btn, c.copy_btn], api_visibility="private",
                 show_progress="hidden")
    # In the browser: the clipboard API where the page is a secure context (https, localhost),
    # else the older execCommand("copy") on a hidden text area.
    c.copy_btn.click(None, c.export_md, None, js=COPY_JS, api_visibility="private")
    # The download is made in the browser from the Markdown already on the page. A
    # DownloadButton whose file an event replaces after each answer broke Stop in later
    # sessions (tests/app/test_browser.py's stop test), with Gradio 6.31.
    c.download_btn.click(None, c.export_md, None, js=DOWNLOAD_JS, api_visibility="private")

    def on_like(records, data: gr.LikeData):
        try:
            problem = feedback.save_feedback(records, data.index, data.liked, settings)
        except qa.NewsdeskError as exc:
            raise gr.Error(str(exc), print_exception=False) from None
        if problem:
            gr.Warning(problem)

    c.chatbot.like(on_like, turns, None, api_visibility="private", show_progress="hidden")
