"""The web app with a model server: how many answers run at once, and server errors in the chat."""

from __future__ import annotations

import html
import sys
from types import SimpleNamespace

import pytest

import app
import webui.settings
from pages import chat
import qa
from tests.qa.test_openai_backend import KEY, FakeServer, server  # noqa: F401 - the fixture

QUESTION = "How was the apple harvest in Washington state?"


@pytest.mark.parametrize("env,expected", [
    ({}, 1),
    ({"NEWSDESK_LLM_URL": "http://127.0.0.1:8080/v1"}, webui.settings.REMOTE_ANSWER_CONCURRENCY),
    ({"NEWSDESK_LLM_URL": "http://127.0.0.1:8080/v1", "NEWSDESK_ANSWER_CONCURRENCY": "2"}, 2),
    ({"NEWSDESK_ANSWER_CONCURRENCY": "3"}, 3),
])
def test_answer_events_and_ask_share_the_configured_concurrency(tmp_path, env, expected):
    settings = qa.Settings.from_env(env, data_dir=tmp_path / "data")
    demo = app.build_app(settings, webui.WebSettings.from_env(env))
    answering = [d for d in demo.fns.values() if d.concurrency_id == "answer"]
    assert "ask" in [d.api_name for d in answering] and len(answering) >= 3
    assert {d.concurrency_limit for d in answering} == {expected}


def test_a_server_error_shows_in_the_chat_and_the_next_question_is_answered(
        server, news_index, qa_settings, monkeypatch):  # noqa: F811
    monkeypatch.setattr(sys.modules["qa._answer"], "INDEXES", SimpleNamespace(get=lambda settings: news_index))
    monkeypatch.setattr(chat, "STREAM_EVERY_S", 0.0)
    settings = qa_settings.replace(llm_url=server, llm_model="tiny", llm_api_key=KEY)
    FakeServer.mode = "404"
    *_, (box, shown, history, panel) = chat.chat_turn(QUESTION, [], [], "", 4, "", "", [], settings=settings)
    text = html.unescape(shown[-1]["content"])
    assert f"the model server at {server} does not know model 'tiny'" in text and KEY not in text

    FakeServer.mode = "ok"
    FakeServer.reply = ("Washington orchards picked a record apple harvest", " [1].")
    *_, (box, shown, history, panel) = chat.chat_turn(QUESTION, shown, history, "", 4, "", "", [],
                                                     settings=settings)
    assert "record apple harvest" in shown[-1]["content"]
