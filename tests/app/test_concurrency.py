"""Concurrent ``/ask`` calls get the same answers as a fresh process: real server, real 0.5B model.

Earlier, a generator reused its KV cache across questions, and answers that came right
after another question abstained although the right passage ranked first. The server's
queue runs one answer at a time, so 8 concurrent calls are 8 questions in a row on one
cached model: each must match ``python -m qa`` run in a process of its own.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import app
import qa
from tests.page_protocol import free_port
from webui import WebSettings

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
MODEL = "qwen2.5-0.5b"

MORE_ARTICLES = {
    "bridge.txt": """Glass footbridge opens over the Vistula in Torun

By Baltic Courier
2026-02-14

Torun opened a glass footbridge over the Vistula river on Saturday. The 310-metre bridge cost 48 million zloty and took three years to build, the city's mayor, Anna Kowalczyk, said.
""",
    "tram.txt": """City council approves new tram line

By Metro Desk
March 3, 2026

The city council voted 9 to 2 on Tuesday to approve a new tram line linking the harbour to the airport.
Construction of the tram line is expected to start in 2027 and cost 400 million euros.
""",
    "harvest.txt": """Farmers report record apple harvest in Washington state

By Associated Press
October 3, 2025

Orchards across central Washington picked more apples this autumn than in any year on record, growers said.
""",
}

QUESTIONS = ["Who became Venezuela's interim leader?", "How much did the Torun footbridge cost?",
             "When will the tram line construction start?"]


@pytest.fixture(scope="module")
def index_settings(tmp_path_factory) -> qa.Settings:
    root = tmp_path_factory.mktemp("concurrent")
    corpus = root / "corpus"
    shutil.copytree(REPO / "seeds", corpus)
    for name, text in MORE_ARTICLES.items():
        (corpus / name).write_text(text)
    # The environment as the CLI sees it (model cache, threads ...), but this test's index and server.
    settings = qa.Settings.from_env(data_dir=root / "data", model=MODEL)
    qa.add_articles([corpus], settings)
    return settings


def fresh_answers(settings: qa.Settings) -> dict[str, dict]:
    """Each question answered by ``python -m qa`` in a process of its own (run side by side)."""
    runs = {q: subprocess.Popen([sys.executable, "-m", "qa", q, "--json", "--index", str(settings.index_dir),
                                 "--model", MODEL], cwd=REPO, env=os.environ.copy(), text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for q in QUESTIONS}
    answers = {}
    for q, run in runs.items():
        out, err = run.communicate(timeout=600)
        assert run.returncode == 0, err
        answers[q] = json.loads(out)
    return answers


def essence(answer: dict) -> dict:
    """What must not depend on what the process answered before (not timings, not file paths)."""
    return {"text": answer["text"], "abstained": answer["abstained"],
            "citations": [(c["article_id"], c["quote"]) for c in answer["citations"]]}


def test_eight_concurrent_asks_answer_as_a_fresh_process_does(index_settings):
    from gradio_client import Client

    expected = fresh_answers(index_settings)
    for q, answer in expected.items():
        assert not answer["abstained"] and answer["citations"], (q, answer["text"])

    web = WebSettings(host="127.0.0.1", port=free_port(), auth="")
    demo = app.build_app(index_settings, web)
    app.launch_app(demo, web, prevent_thread_lock=True, quiet=True)
    try:
        client = Client(f"http://127.0.0.1:{web.port}/", verbose=False)
        # The queue runs them in this order: each question right after itself and after others.
        asked = [QUESTIONS[i] for i in (0, 0, 1, 2, 2, 0, 1, 1)]
        jobs = [client.submit(q, api_name="/ask") for q in asked]
        results = [job.result(timeout=600) for job in jobs]
    finally:
        demo.close()
    for q, result in zip(asked, results, strict=True):
        assert essence(result) == essence(expected[q]), q
