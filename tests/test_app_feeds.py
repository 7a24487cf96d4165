"""`app.py --watch`: the flag, and a bad interval refused before the app starts."""

from __future__ import annotations

import os

import pytest

import app


def test_watch_takes_an_optional_interval():
    assert app.parse_args([]).watch is None
    assert app.parse_args(["--watch"]).watch == ""
    assert app.parse_args(["--watch", "30m"]).watch == "30m"


def test_a_bad_interval_is_one_line_and_nothing_is_served(capsys, monkeypatch, tmp_path):
    for name in [n for n in os.environ if n.startswith("NEWSDESK_")]:
        monkeypatch.delenv(name)
    monkeypatch.setattr(app, "launch_app", lambda *a, **kw: pytest.fail("the app was served"))
    assert app.main(["--watch", "often", "--no-warm-up", "--data-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "error: 'often' is not an interval: write e.g. 15m, 90s, 1h or 900 (seconds)" in err
