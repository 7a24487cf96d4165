"""Gradio's start-up check, made patient: a page slower than 3 s to answer still starts."""

import http.server
import threading
import time

import pytest
from gradio import networking

from tests.page_protocol import free_port
from pages import startup_probe


class _SlowFirstAnswer(http.server.BaseHTTPRequestHandler):
    delays = [3.5]  # the first HEAD waits past Gradio's 3 s timeout, later ones do not

    def do_HEAD(self):
        if self.delays:
            time.sleep(self.delays.pop(0))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def serve():
    servers = []

    def start(port, after_s=0.0):
        def run():
            time.sleep(after_s)
            server = http.server.ThreadingHTTPServer(("127.0.0.1", port), _SlowFirstAnswer)
            servers.append(server)
            server.serve_forever()
        threading.Thread(target=run, daemon=True).start()
        return f"http://127.0.0.1:{port}/"

    yield start
    for server in servers:
        server.shutdown()


def test_a_page_slower_than_gradios_timeout_still_counts_as_up(serve, monkeypatch):
    monkeypatch.setattr(_SlowFirstAnswer, "delays", [3.5])
    url = serve(free_port())
    time.sleep(0.2)
    assert startup_probe.page_answers(url, patience_s=30)


def test_gradios_own_check_gives_up_on_the_same_page(serve, monkeypatch):
    monkeypatch.setattr(_SlowFirstAnswer, "delays", [3.5])
    url = serve(free_port())
    time.sleep(0.2)
    assert not startup_probe.GRADIO_CHECK(url)  # why the patient check exists


def test_a_server_not_yet_listening_is_waited_for(serve, monkeypatch):
    monkeypatch.setattr(_SlowFirstAnswer, "delays", [])
    url = serve(free_port(), after_s=1.0)
    assert startup_probe.page_answers(url, patience_s=30)


def test_a_page_that_never_answers_is_reported_once_patience_runs_out():
    started = time.monotonic()
    assert not startup_probe.page_answers(f"http://127.0.0.1:{free_port()}/", patience_s=1.0)
    assert time.monotonic() - started < 20  # not the default minute


def test_install_replaces_gradios_check(monkeypatch):
    monkeypatch.setattr(networking, "url_ok", networking.url_ok)  # restored after the test
    startup_probe.install()
    assert networking.url_ok is startup_probe.page_answers
