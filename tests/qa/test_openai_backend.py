"""OpenAIServerGenerator against a tiny stdlib OpenAI-compatible server on a loopback port.

Real HTTP through the real openai client; the server speaks just enough of
/v1/chat/completions (SSE), /v1/models and /tokenize to produce each failure a user meets.
"""

from __future__ import annotations

import json
import logging
import socket
import sys
import threading
import time
from http.server import ThreadingHTTPServer
from types import SimpleNamespace

import pytest

from embeddings import ModelUnavailableError, Settings
from qa import answer
from qa.cli import main as cli_main
from qa.generators import get_generator
from qa.generators.openai import OpenAIServerGenerator, estimate_tokens, redact_url
from tests.fakes import JsonHandler
from tests.page_protocol import free_port

KEY = "sk-test-SECRET-4f1c9e"
MESSAGES = [{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": "Hi?"}]


def _chunk(content: str | None = None, finish: str | None = None, role: str | None = None) -> bytes:
    delta = {k: v for k, v in (("role", role), ("content", content)) if v is not None}
    body = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "tiny",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return b"data: " + json.dumps(body).encode() + b"\n\n"


class FakeServer(JsonHandler):
    mode = "ok"  # set per test on the class
    reply = ("Hello", " world")
    tokenize = True
    requests: list[dict] = []

    def do_GET(self):
        if self.path.endswith("/models"):
            self._json(200, {"object": "list", "data": [{"id": "tiny", "object": "model"}]})
        else:
            self._json(404, {"error": "no such path"})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        auth = self.headers.get("Authorization", "")
        type(self).requests.append({"path": self.path, "body": body, "auth": auth})
        mode = type(self).mode
        if self.path == "/tokenize":
            if type(self).tokenize:
                self._json(200, {"tokens": list(range(len(body["content"].split())))})
            else:
                self._json(404, {"error": "not found"})
            return
        if mode == "401":  # a careless server echoes the header it refused
            return self._json(401, {"error": {"message": f"invalid key {auth}", "type": "auth"}})
        if mode == "403":
            return self._json(403, {"error": {"message": f"forbidden for {auth}"}})
        if mode == "404":
            return self._json(404, {"error": {"message": f"model {body['model']} not found ({auth})"}})
        if mode == "500":
            return self._json(500, {"error": {"message": f"boom {auth}"}})
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        if mode == "cut":  # promise more than is sent, then hang up
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(_chunk("Hello", role="assistant"))
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_header("Connection", "close")
        self.end_headers()
        if mode == "malformed":
            self.wfile.write(_chunk("Hel") + b"data: {\"choices\": [{\"delta\": \n\n")
        elif mode == "empty":
            self.wfile.write(_chunk(role="assistant") + _chunk(finish="stop") + b"data: [DONE]\n\n")
        elif mode == "no_finish":  # a clean close before the reply ended
            self.wfile.write(_chunk("Hello", role="assistant"))
        elif mode == "slow":
            self.wfile.write(_chunk("Hello", role="assistant"))
            self.wfile.flush()
            time.sleep(1.5)
            self.wfile.write(_chunk(" late", finish="stop") + b"data: [DONE]\n\n")
        else:
            pieces = type(self).reply
            for i, piece in enumerate(pieces):
                self.wfile.write(_chunk(piece, role="assistant" if i == 0 else None))
            self.wfile.write(_chunk(finish="stop") + b"data: [DONE]\n\n")


@pytest.fixture
def server():
    FakeServer.mode, FakeServer.tokenize, FakeServer.requests = "ok", True, []
    FakeServer.reply = ("Hello", " world")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeServer)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()
    httpd.server_close()


def _closed_port_url() -> str:
    return f"http://127.0.0.1:{free_port()}/v1"  # free: nothing listens there


def test_streams_a_greedy_reply_with_the_key_model_and_stop(server):
    gen = OpenAIServerGenerator(server, "tiny", KEY)
    assert "".join(gen.stream(MESSAGES, max_tokens=7, stop=["\n\n"])) == "Hello world"
    sent = [r for r in FakeServer.requests if r["path"] == "/v1/chat/completions"][0]
    assert sent["auth"] == f"Bearer {KEY}"
    body = sent["body"]
    assert (body["model"], body["temperature"], body["max_tokens"], body["stream"], body["stop"]) == \
        ("tiny", 0.0, 7, True, ["\n\n"])
    assert body["messages"] == MESSAGES


def test_without_a_model_name_the_servers_first_model_is_used(server):
    gen = OpenAIServerGenerator(server, "", "")
    assert "".join(gen.stream(MESSAGES, max_tokens=5)) == "Hello world"
    assert gen.model_id == "tiny"
    assert FakeServer.requests[-1]["body"]["model"] == "tiny"
    assert FakeServer.requests[-1]["auth"] == "Bearer no-key"


def test_count_tokens_uses_the_servers_tokenizer_where_it_has_one(server):
    gen = OpenAIServerGenerator(server, "tiny")
    assert gen.count_tokens("one two three four five") == 5  # the fake counts words
    assert gen.count_tokens("one two three four five") == 5
    assert sum(r["path"] == "/tokenize" for r in FakeServer.requests) == 1  # cached


def test_count_tokens_falls_back_to_the_documented_estimate(server):
    FakeServer.tokenize = False
    gen = OpenAIServerGenerator(server, "tiny")
    text = "x" * 41
    assert gen.count_tokens(text) == estimate_tokens(text) == 11
    gen.count_tokens("another sentence")
    assert sum(r["path"] == "/tokenize" for r in FakeServer.requests) == 1  # asked once only


def test_a_server_down_at_start_still_counts_with_its_tokenizer_later(server):
    gen = OpenAIServerGenerator(_closed_port_url(), "tiny")
    assert gen.count_tokens("one two three") == estimate_tokens("one two three")
    gen._tokenize_urls = (server.removesuffix("/v1") + "/tokenize",)  # the server is up now
    assert gen.count_tokens("one two three four") == 4


def test_warm_up_reports_an_unreachable_server_or_a_refused_key(server, monkeypatch):
    with pytest.raises(ModelUnavailableError, match="could not reach"):
        OpenAIServerGenerator(_closed_port_url(), "tiny").warm_up("system")
    gen = OpenAIServerGenerator(server, "tiny", KEY)
    gen.warm_up("system prompt")  # fine
    monkeypatch.setattr(FakeServer, "do_GET", lambda self: self._json(401, {"error": "bad key"}))
    with pytest.raises(ModelUnavailableError, match="refused the API key"):
        gen.warm_up("system prompt")


@pytest.mark.parametrize("text,expected", [("", 0), ("abcd", 1), ("abcde", 2), ("é" * 8, 2)])
def test_estimate_rounds_up(text, expected):
    assert estimate_tokens(text) == expected


def _failure(server: str, mode: str, url: str | None = None, **kw) -> str:
    FakeServer.mode = mode
    gen = OpenAIServerGenerator(url or server, "tiny", KEY, **kw)
    with pytest.raises(ModelUnavailableError) as caught:
        "".join(gen.stream(MESSAGES, max_tokens=5))
    # Nothing chained either: a traceback would print the client's error, which may quote the key.
    assert caught.value.__context__ is None and caught.value.__cause__ is None
    return str(caught.value)


@pytest.mark.parametrize("mode,expected", [
    ("401", ["refused the API key", "401", "NEWSDESK_LLM_API_KEY"]),
    ("403", ["refused the API key", "403", "NEWSDESK_LLM_API_KEY"]),
    ("404", ["does not know model 'tiny'", "404", "NEWSDESK_LLM_MODEL", "--llm-model"]),
    ("500", ["HTTP 500"]),
    ("cut", ["cut the reply off"]),
    ("no_finish", ["cut the reply off"]),
    ("malformed", ["malformed reply", "NEWSDESK_LLM_URL"]),
    ("empty", ["empty reply"]),
])
def test_each_server_failure_is_one_readable_error_naming_the_url(server, mode, expected, caplog):
    caplog.set_level(logging.DEBUG)
    message = _failure(server, mode)
    assert server in message
    for words in expected:
        assert words in message
    _assert_no_key(message, caplog)


def test_unreachable_server_names_the_url_and_the_fix(server, caplog):
    caplog.set_level(logging.DEBUG)
    url = _closed_port_url()
    message = _failure(server, "ok", url=url)
    assert f"could not reach the model server at {url}" in message and "--llm-url" in message
    _assert_no_key(message, caplog)


def test_a_server_that_stalls_mid_stream_times_out(server, caplog):
    caplog.set_level(logging.DEBUG)
    started = time.monotonic()
    message = _failure(server, "slow", timeout_s=0.4)
    assert "did not finish the reply within 0.4 s" in message
    assert time.monotonic() - started < 1.4
    _assert_no_key(message, caplog)


def test_the_next_question_works_after_a_failure(server):
    gen = OpenAIServerGenerator(server, "tiny", KEY)
    for mode in ("401", "cut", "malformed", "empty"):
        FakeServer.mode = mode
        with pytest.raises(ModelUnavailableError):
            "".join(gen.stream(MESSAGES, max_tokens=5))
        FakeServer.mode = "ok"
        assert "".join(gen.stream(MESSAGES, max_tokens=5)) == "Hello world"


def _assert_no_key(message: str, caplog) -> None:
    assert KEY not in message
    for record in caplog.records:
        assert KEY not in record.getMessage()
        assert KEY not in str(record.args)
        assert not record.exc_info or KEY not in str(record.exc_info[1])


def test_a_url_with_a_password_is_never_shown(server):
    url = _closed_port_url().replace("http://", "http://user:hunter2@")
    message = _failure(server, "ok", url=url)
    assert "hunter2" not in message and "127.0.0.1" in message
    assert redact_url("https://u:p@example.com:8443/v1") == "https://example.com:8443/v1"


def test_a_url_that_is_not_http_is_refused():
    with pytest.raises(ModelUnavailableError, match="not an http"):
        OpenAIServerGenerator("127.0.0.1:8080/v1", "tiny")


def test_the_key_never_shows_in_settings_repr():
    settings = Settings.from_env({"NEWSDESK_LLM_API_KEY": KEY, "NEWSDESK_LLM_URL": "http://h/v1"})
    assert settings.llm_api_key == KEY and KEY not in repr(settings)


def test_get_generator_chooses_the_server_when_llm_url_is_set(server):
    settings = Settings(llm_url=server, llm_model="tiny", llm_api_key=KEY)
    gen = get_generator("qwen2.5-1.5b", settings)
    assert isinstance(gen, OpenAIServerGenerator) and gen.model_id == "tiny"
    assert get_generator("qwen2.5-0.5b", settings) is gen  # one client per server


def test_qa_answer_abstains_or_cites_through_the_server(server, news_index, qa_settings):
    FakeServer.reply = ("Washington orchards picked a record apple harvest", " [1].")
    settings = qa_settings.replace(llm_url=server, llm_model="tiny")
    result = answer("How was the apple harvest in Washington state?", settings=settings, index=news_index)
    assert result.model == "tiny"
    assert [c.n for c in result.citations] == [1]
    assert "apple" in result.citations[0].quote.lower()


def test_the_cli_prints_a_server_error_on_one_line(server, capsys, news_index, qa_settings, monkeypatch):
    FakeServer.mode = "401"
    monkeypatch.setenv("NEWSDESK_LLM_API_KEY", KEY)
    monkeypatch.setenv("NEWSDESK_MIN_RELEVANCE", "0.3")
    # The fixture's index is embedded by the fake embedder, which the CLI cannot load by name.
    monkeypatch.setattr(sys.modules["qa._answer"], "INDEXES", SimpleNamespace(get=lambda settings: news_index))
    code = cli_main(["How was the apple harvest in Washington state?", "--index", str(qa_settings.index_dir),
                     "--llm-url", server, "--llm-model", "tiny"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: the model server at") and "401" in err and KEY not in err
    assert err.count("\n") == 1
