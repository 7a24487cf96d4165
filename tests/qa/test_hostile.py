"""The hostile-input matrix for questions and the `python -m qa` CLI: each row is a failure
a hostile test pass once found; it must stay fixed."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from embeddings import InvalidInputError
from qa import answer
from qa.cli import main
from tests.fakes import CannedGenerator

ROOT = Path(__file__).resolve().parents[2]
NOT_QUESTIONS = ["\x01\x02\x03", "\x00\x00", "\x1b\x7f\u200b", "   \x00  ", "?!", ""]


@pytest.mark.parametrize("question", NOT_QUESTIONS, ids=repr)
def test_answer_refuses_questions_without_words(news_index, qa_settings, question):
    with pytest.raises(InvalidInputError, match="question"):
        answer(question, settings=qa_settings, generator=CannedGenerator(["x"]), index=news_index)


@pytest.mark.parametrize("question", NOT_QUESTIONS, ids=repr)
def test_cli_refuses_questions_without_words_in_one_line(news_index, qa_settings, question, capsys):
    assert main([question, "--index", str(qa_settings.index_dir)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: the question") and "\n" not in err


def test_cli_json_into_a_closed_pipe_prints_no_traceback(tmp_path):
    # `python -m qa ... --json | head -1`: the reader leaves after one line of a long answer.
    script = textwrap.dedent("""
        import sys
        from qa import cli
        from qa.types import Answer, Passage

        passages = tuple(Passage(n, n, "a", "t", "s", "2026-01-01", "", "", "word " * 4000, 0, 1, "", 1.0)
                         for n in range(1, 5))
        def fake_stream(*args, **kwargs):
            yield Answer("q", "text [1]", (), passages, False, "m")
        cli.stream_answer = fake_stream
        sys.exit(cli.main(["q", "--json"]))
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    first = proc.stdout.readline()
    proc.stdout.close()  # what `head -1` does after its line
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert first.strip() == b"{"
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
