"""The side column's Search settings: the model, passages to read, dates and sources. The
Chat tab asks with them, the Search tab and saved searches search with them, and the
briefing's "Ask about this story" fills them in."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

import qa
from webui import forms


@dataclass
class Filters:
    model: gr.Dropdown
    k: gr.Slider
    date_from: gr.Textbox
    date_to: gr.Textbox
    date_hint: gr.Markdown
    sources: gr.Dropdown  # bylines to search within; the Index panel fills the choices


def filters_panel(settings: qa.Settings) -> Filters:
    """Place the Search settings accordion; call in the page's side column."""
    models = forms.model_menu(settings)
    with gr.Accordion("Search settings", open=False):
        model = gr.Dropdown(models.choices, value=models.value, label="Model", info=models.info,
                            interactive=models.interactive)
        k = gr.Slider(1, forms.MAX_K, value=settings.passages, step=1, label="Passages to read",
                      info="More passages: more context, slower answers.")
        with gr.Row():
            date_from = gr.Textbox(label=forms.DATE_FROM_LABEL, placeholder="YYYY-MM-DD",
                                   info=f"On or after: {qa.DATE_RULE}", elem_id="nd-date-from")
            date_to = gr.Textbox(label=forms.DATE_TO_LABEL, placeholder="YYYY-MM-DD",
                                 info=f"On or before: {qa.DATE_RULE}", elem_id="nd-date-to")
        date_hint = gr.Markdown(forms.filter_hint("", ""), elem_classes="nd-hint")
        sources = gr.Dropdown([], value=[], multiselect=True, label="Sources",
                              info="Leave empty to search every source.")
    return Filters(model, k, date_from, date_to, date_hint, sources)


def wire_filters(f: Filters) -> None:
    """The hint under the dates says what they select, as they are typed."""
    for box in (f.date_from, f.date_to):
        box.change(forms.filter_hint, [f.date_from, f.date_to], f.date_hint, queue=False, show_progress="hidden",
                   api_visibility="private")
