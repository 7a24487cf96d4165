import json
import os

import pytest

import embeddings.build
from embeddings.cli import main

from ..fakes import FakeEmbedder
from .corpus import write_corpus


@pytest.fixture(autouse=True)
def fake_model(monkeypatch):
    """The CLI builds with the FakeEmbedder, small chunks, and none of the developer's settings."""
    monkeypatch.setattr(embeddings.build, "get_embedder", lambda *a, **kw: FakeEmbedder())
    for name in [n for n in os.environ if n.startswith("NEWSDESK_")]:
        monkeypatch.delenv(name)
    # Named so that the manifest check expects the fake's model id.
    monkeypatch.setenv("NEWSDESK_EMBEDDER", "fake-embedder")
    monkeypatch.setenv("NEWSDESK_CHUNK_TOKENS", "40")
    monkeypatch.setenv("NEWSDESK_CHUNK_OVERLAP_TOKENS", "10")


@pytest.fixture
def index_dir(tmp_path):
    return tmp_path / "index"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_build_prints_summary(tmp_path, index_dir, capsys):
    corpus = write_corpus(tmp_path / "news")
    (corpus / "notes.docx").write_bytes(b"PK\x03\x04")
    code, out, err = run(capsys, "build", str(corpus), "--index", str(index_dir), "--no-progress")
    assert code == 0
    assert out.startswith("3 added, 0 updated, 0 removed, 0 unchanged, 1 skipped")
    assert "(generation gen-000001)" in out
    assert f"  skipped {corpus / 'notes.docx'}: unsupported file type '.docx'" in out
    assert "Traceback" not in err

    code, out, _ = run(capsys, "build", "--index", str(index_dir), "--no-progress")  # recorded inputs
    assert code == 0 and out.startswith("0 added, 0 updated, 0 removed, 3 unchanged") and "no change written" in out


def test_json_report(tmp_path, index_dir, capsys):
    corpus = write_corpus(tmp_path / "news")
    (corpus / "empty.txt").write_text("")
    code, out, _ = run(capsys, "build", str(corpus), "--index", str(index_dir), "--json", "--no-progress")
    assert code == 0
    report = json.loads(out)
    assert sorted(report["added"]) == sorted(str(p) for p in corpus.glob("*.txt") if p.name != "empty.txt")
    assert report["skipped"] == [{"path": str(corpus / "empty.txt"), "reason": "empty file"}]
    assert (report["articles"], report["generation"], report["updated"], report["removed"]) == (3, "gen-000001", [], [])
    assert report["chunks"] > 3 and report["seconds"] >= 0


@pytest.mark.parametrize("argv, message", [
    (["build", "no/such/folder"], "error: input no/such/folder does not exist"),
    (["build"], "error: nothing to index"),
])
def test_errors_are_one_line_exit_2(index_dir, capsys, argv, message):
    code, out, err = run(capsys, *argv, "--index", str(index_dir))
    assert code == 2 and out == ""
    assert err.startswith(message) and err.count("\n") == 1 and "Traceback" not in err


def test_mismatch_says_rebuild_and_rebuild_works(tmp_path, index_dir, capsys, monkeypatch):
    corpus = write_corpus(tmp_path / "news")
    assert run(capsys, "build", str(corpus), "--index", str(index_dir), "--no-progress")[0] == 0
    monkeypatch.setenv("NEWSDESK_CHUNK_TOKENS", "120")
    code, _, err = run(capsys, "build", str(corpus), "--index", str(index_dir))
    assert code == 2 and err.startswith("error: ") and "--rebuild" in err and err.count("\n") == 1
    code, out, _ = run(capsys, "build", "--index", str(index_dir), "--rebuild", "--no-progress")
    assert code == 0 and out.startswith("3 added")


def test_bad_environment_value_is_an_error_line(tmp_path, index_dir, capsys, monkeypatch):
    monkeypatch.setenv("NEWSDESK_MAX_FILE_MB", "lots")
    code, _, err = run(capsys, "build", str(write_corpus(tmp_path / "news")), "--index", str(index_dir))
    assert code == 2 and "NEWSDESK_MAX_FILE_MB" in err and err.count("\n") == 1


def test_unwritable_index_dir_is_an_error_line(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    code, _, err = run(capsys, "build", str(write_corpus(tmp_path / "news")), "--index", str(blocker / "index"))
    assert code == 1 and err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err


def test_interrupt_exits_130_and_says_index_intact(tmp_path, index_dir, capsys, monkeypatch):
    def interrupted(*a, **kw):
        raise KeyboardInterrupt
    monkeypatch.setattr("embeddings.cli.build_index", interrupted)
    code, _, err = run(capsys, "build", str(tmp_path), "--index", str(index_dir))
    assert code == 130 and "previous index is intact" in err


@pytest.mark.parametrize("argv", [[], ["frobnicate"], ["build", "--no-such-flag"]])
def test_usage_errors_exit_2(capsys, argv):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2 and "usage:" in capsys.readouterr().err
