"""Fixtures for index tests: short-hands for building and loading (with ``embedder``, the
FakeEmbedder of tests/conftest.py)."""

from __future__ import annotations

import pytest

from embeddings import build_index, load_index


@pytest.fixture
def build(settings, embedder):
    """``build(inputs, **kw)``: ``build_index`` with the test settings and FakeEmbedder."""
    def run(inputs=(), **kw):
        kw.setdefault("settings", settings)
        kw.setdefault("embedder", embedder)
        return build_index(list(inputs), progress=False, **kw)
    return run


@pytest.fixture
def open_index(settings, embedder):
    """``open_index()``: the live index (closed at teardown)."""
    opened = []

    def run(**kw):
        kw.setdefault("embedder", embedder)
        index = load_index(kw.pop("settings", settings), **kw)
        opened.append(index)
        return index
    yield run
    for index in opened:
        index.close()


MILVUS_TOKEN = "root:Milvus"  # what the test server asks for, as a Milvus with auth on does


class MilvusServer:
    """``python -m tests.milvus_server`` (milvus-lite's gRPC server, with Milvus's token check)
    in a process of its own on a free loopback port."""

    def __init__(self, data_dir, token: str = MILVUS_TOKEN) -> None:
        import socket
        import subprocess
        import sys
        import time
        from pathlib import Path

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.uri = f"http://127.0.0.1:{self.port}"
        root = Path(__file__).resolve().parents[2]
        # Its output goes to a file: a pipe nobody reads stalls the server once it fills.
        Path(data_dir).mkdir(parents=True, exist_ok=True)
        self.log = Path(data_dir) / "server.log"
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.milvus_server", "--data-dir", str(data_dir), "--port", str(self.port),
                 "--token", token], cwd=root, stdout=log, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the milvus-lite test server exited with {self.process.returncode}: "
                            f"{self.log.read_text()[-2000:]} (is milvus-lite installed? run `make setup`)")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.1)
        self.stop()
        pytest.fail(f"the milvus-lite test server did not listen on {self.uri} within 60 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except Exception:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="session")
def milvus_server(tmp_path_factory):
    """One Milvus-compatible server for the session (each test uses collections of its own)."""
    server = MilvusServer(tmp_path_factory.mktemp("milvus"))
    yield server
    server.stop()


@pytest.fixture
def milvus_settings(settings, milvus_server, request):
    """The test settings on the Milvus backend: the session's server, a collection prefix of this test's own."""
    import hashlib

    from embeddings.milvus_index import forget_client

    prefix = "t" + hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:12]
    on_milvus = settings.replace(index_backend="milvus", milvus_uri=milvus_server.uri, milvus_token=MILVUS_TOKEN,
                                 milvus_collection=prefix)
    yield on_milvus
    forget_client(on_milvus)
