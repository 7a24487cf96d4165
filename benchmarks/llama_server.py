"""llama-cpp-python's own OpenAI-compatible server (``python -m llama_cpp.server``, its
[server] extra) serving a packaged GGUF on a loopback port, in a process of its own.

Used by ``concurrent_backends.py --serve-gguf`` and the server-backend tests. The server runs
one completion at a time (one llama.cpp context); it has no parallel slots, and is started
with ``--interrupt_requests False`` so that concurrent requests wait for each other instead
of the newest cutting off the one being streamed (its default).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

from benchmarks._common import free_port


class LlamaServer:
    """The server for ``model`` (a ``qa.MODEL_CHOICES`` name), stopped and started at will.

    ``url`` is its API root (``http://127.0.0.1:PORT/v1``); the model is served under its own
    name. The port stays the same across restarts.
    """

    def __init__(self, model: str, cache_dir, threads: int = 2, n_ctx: int = 4096) -> None:
        from qa.model_files import model_file

        self.model = model
        self.gguf = model_file(model, cache_dir)
        self.threads, self.n_ctx = threads, n_ctx
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.proc: subprocess.Popen | None = None
        self.log = tempfile.TemporaryFile()  # llama.cpp logs a lot: a pipe nobody reads would block it

    def start(self, timeout_s: float = 120) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(self.gguf), "--model_alias", self.model,
             "--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", str(self.n_ctx),
             "--n_threads", str(self.threads),
             # Its default lets a new request cut off the one being answered; queue them instead.
             "--interrupt_requests", "False"],
            stdout=subprocess.DEVNULL, stderr=self.log, start_new_session=True)
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/models", timeout=2):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"llama_cpp.server exited:\n{self.log_tail()}") from None
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"llama_cpp.server did not answer within {timeout_s:g} s") from None
                time.sleep(0.3)

    def log_tail(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-2000:]

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(30)

    def __enter__(self) -> "LlamaServer":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
