"""End to end through an OpenAI-compatible server running the real packaged 0.5B model.

llama-cpp-python's own server (``llama_cpp.server``) needs its [server] extra's packages,
which this project does not install; so the test serves the same GGUF with a small stdlib
HTTP server that speaks the llama.cpp server's protocol: streamed /v1/chat/completions (the
chunks are llama-cpp-python's own OpenAI-format output), /v1/models and /tokenize. The
answer travels over real HTTP through the real openai client.
"""

from __future__ import annotations

import json
import shutil
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from embeddings import Settings, build_index
from qa import answer
from qa.generate import get_generator
from qa.model_files import model_file
from qa.openai_backend import OpenAIServerGenerator
from tests.fakes import JsonHandler

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
MODEL = "qwen2.5-0.5b"


def _handler(llm, lock: threading.Lock, counted: list[int]):
    class LlamaServer(JsonHandler):
        def do_GET(self):
            self._json(200, {"object": "list", "data": [{"id": MODEL, "object": "model"}]})

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if self.path == "/tokenize":
                counted.append(1)
                tokens = llm.tokenize(body["content"].encode(), add_bos=False, special=False)
                return self._json(200, {"tokens": list(tokens)})
            if body.get("model") != MODEL:
                return self._json(404, {"error": {"message": "model not found"}})
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            with lock:  # one llama.cpp context: one reply at a time
                for chunk in llm.create_chat_completion(
                        body["messages"], stream=True, temperature=body["temperature"],
                        max_tokens=body["max_tokens"], stop=body.get("stop")):
                    self.wfile.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
                    self.wfile.flush()
            self.wfile.write(b"data: [DONE]\n\n")

    return LlamaServer


@pytest.fixture(scope="module")
def llama_server():
    from llama_cpp import Llama

    llm = Llama(model_path=str(model_file(MODEL, Settings().model_cache_dir)), n_ctx=4096, n_threads=2,
                verbose=False)
    counted: list[int] = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(llm, threading.Lock(), counted))
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1", counted
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def seed_settings(tmp_path_factory) -> Settings:
    root = tmp_path_factory.mktemp("server")
    shutil.copytree(ROOT / "seeds", root / "corpus")
    settings = Settings(data_dir=root / "data", index_dir=root / "data" / "index")
    build_index([root / "corpus"], settings, progress=False)
    return settings


def test_a_real_answer_through_the_server_cites_the_passage_that_holds_it(llama_server, seed_settings):
    url, counted = llama_server
    settings = seed_settings.replace(llm_url=url, llm_model=MODEL)
    result = answer("Who became Venezuela's interim leader?", settings=settings)
    assert isinstance(get_generator(settings.model, settings), OpenAIServerGenerator)
    assert result.model == MODEL and not result.abstained
    assert "Rodriguez" in result.text
    seed = [c for c in result.citations if c.title.startswith("Venezuela looks to rebuild")]
    assert seed and "Rodriguez" in seed[0].quote and seed[0].quote in seed[0].passage
    assert counted  # the prompt budget used the server's tokenizer


def test_the_server_counts_tokens_as_the_local_model_does(llama_server, seed_settings):
    url, _ = llama_server
    remote = OpenAIServerGenerator(url, MODEL)
    local = get_generator(MODEL, seed_settings)
    text = "Delcy Rodriguez took over as interim leader of Venezuela."
    assert remote.count_tokens(text) == local.count_tokens(text)


def test_an_unrelated_question_abstains_with_the_server_backend(llama_server, seed_settings):
    url, _ = llama_server
    result = answer("Who won the 1998 World Cup?", settings=seed_settings.replace(llm_url=url, llm_model=MODEL))
    assert result.abstained and result.citations == ()
