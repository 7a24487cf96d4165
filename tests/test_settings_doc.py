"""Every setting carries its help, and README's settings table lists every NEWSDESK_* variable."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from embeddings import Settings
from feeds import FeedSettings
from webui import WebSettings

README = Path(__file__).resolve().parents[1] / "README.md"
FIELDS = [(cls.__name__, f) for cls in (Settings, FeedSettings, WebSettings) for f in dataclasses.fields(cls)]


@pytest.mark.parametrize("owner, field", FIELDS, ids=[f"{o}.{f.name}" for o, f in FIELDS])
def test_every_setting_says_what_it_does(owner, field):
    assert field.metadata.get("help", "").strip(), f"{owner}.{field.name}: declare it with setting(default, help)"


def test_readme_lists_every_setting_in_its_table():
    text = README.read_text()
    table = text[text.index("| variable | default | meaning |"):]
    table = table[:table.index("\n\n")]
    listed = set(re.findall(r"`NEWSDESK_([A-Z0-9_]+)`", table))
    wanted = {f.name.upper() for _, f in FIELDS}
    assert not wanted - listed, f"README's settings table lacks NEWSDESK_{', NEWSDESK_'.join(sorted(wanted - listed))}"
    assert not listed - wanted, f"README's settings table lists unknown variables: {sorted(listed - wanted)}"


def test_one_variable_has_one_owner():
    names = [f.name for _, f in FIELDS]
    assert len(names) == len(set(names))
