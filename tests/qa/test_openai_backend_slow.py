"""End to end through a real OpenAI-compatible server: llama-cpp-python's own
(``python -m llama_cpp.server``, its [server] extra, the same pinned version) serving the
packaged 0.5B GGUF on a loopback port. The answers travel over real HTTP, streamed, through
the real openai client: from ``answer()``, ``stream_answer()`` and the web app's ``/ask``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import app
from benchmarks._common import free_port
from benchmarks.llama_server import LlamaServer
from embeddings import Settings, build_index
from qa import answer, stream_answer
from qa.generators import get_generator
from qa.generators.openai import OpenAIServerGenerator
from webui import WebSettings

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
MODEL = "qwen2.5-0.5b"
QUESTION = "Who became Venezuela's interim leader?"


@pytest.fixture(scope="module")
def llama_server():
    with LlamaServer(MODEL, Settings.from_env().model_cache_dir) as server:
        yield server


@pytest.fixture(scope="module")
def seed_settings(tmp_path_factory) -> Settings:
    root = tmp_path_factory.mktemp("server")
    shutil.copytree(ROOT / "seeds", root / "corpus")
    settings = Settings(data_dir=root / "data", index_dir=root / "data" / "index")
    build_index([root / "corpus"], settings, progress=False)
    return settings


def _cites_the_seed(result) -> None:
    assert not result.abstained and "Rodriguez" in result.text
    seed = [c for c in result.citations if c.title.startswith("Venezuela looks to rebuild")]
    assert seed and "Rodriguez" in seed[0].quote and seed[0].quote in seed[0].passage


def test_a_real_answer_through_the_server_cites_the_passage_that_holds_it(llama_server, seed_settings):
    settings = seed_settings.replace(llm_url=llama_server.url, llm_model=MODEL)
    result = answer(QUESTION, settings=settings)
    generator = get_generator(settings.model, settings)
    assert isinstance(generator, OpenAIServerGenerator)
    assert result.model == MODEL
    _cites_the_seed(result)
    assert generator._server_tokenizer is True  # the prompt budget used the server's tokenizer


def test_the_answer_streams_in_pieces(llama_server, seed_settings):
    settings = seed_settings.replace(llm_url=llama_server.url, llm_model=MODEL)
    pieces = [item for item in stream_answer(QUESTION, settings=settings) if isinstance(item, str)]
    assert len(pieces) > 3 and "Rodriguez" in "".join(pieces)


def test_the_server_counts_tokens_as_the_local_model_does(llama_server, seed_settings):
    remote = OpenAIServerGenerator(llama_server.url, MODEL)
    local = get_generator(MODEL, seed_settings)
    text = "Delcy Rodriguez took over as interim leader of Venezuela."
    assert remote.count_tokens(text) == local.count_tokens(text)


def test_an_unrelated_question_abstains_with_the_server_backend(llama_server, seed_settings):
    settings = seed_settings.replace(llm_url=llama_server.url, llm_model=MODEL)
    result = answer("Who won the 1998 World Cup?", settings=settings)
    assert result.abstained and result.citations == ()


def test_the_web_apps_ask_answers_through_the_server_and_survives_it_stopping(seed_settings):
    """Last: it stops its own server mid-test and starts it again."""
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    server = LlamaServer(MODEL, Settings.from_env().model_cache_dir)
    server.start()
    settings = seed_settings.replace(llm_url=server.url, llm_model=MODEL)
    web = WebSettings(host="127.0.0.1", port=free_port(), auth="")
    demo = app.build_app(settings, web)
    app.launch_app(demo, web, prevent_thread_lock=True, quiet=True)
    try:
        client = Client(f"http://127.0.0.1:{web.port}/", verbose=False)
        first = client.predict(QUESTION, api_name="/ask")
        assert not first["abstained"] and "Rodriguez" in first["text"] and first["citations"]
        assert first["model"] == MODEL
        # The app no longer queues answers one by one with a server: both go to it at once.
        jobs = [client.submit(QUESTION, api_name="/ask") for _ in range(2)]
        assert [job.result(timeout=300)["text"] for job in jobs] == [first["text"]] * 2

        server.stop()
        with pytest.raises(AppError) as down:  # /ask's readable error, as gr.Error sends it
            client.predict(QUESTION, api_name="/ask")
        assert server.url in str(down.value), str(down.value)

        server.start()  # the chat keeps working once the server is back
        again = client.predict(QUESTION, api_name="/ask")
        assert again["text"] == first["text"]
    finally:
        demo.close()
        server.stop()
