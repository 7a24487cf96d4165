"""One spelling of a citation marker (``qa.CITATION_MARKER``), and every reader of answers agrees on it:
citation checking, the question rewriter, the web chat's chips and the benchmarks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import qa
from qa.cite import parse_claims
from qa.rewrite import rewrite_messages
from webui import render

REPO = Path(__file__).resolve().parents[2]

MARKERS = [
    ("[2]", [2]),
    ("[1, 3]", [1, 3]),
    ("[1,3]", [1, 3]),
    ("[1; 3]", [1, 3]),
    ("[1 ;3 , 4]", [1, 3, 4]),
    ("[1234]", [1234]),
]
NOT_MARKERS = ["[]", "[a]", "[ 1]", "[1,]", "[1-2]", "[1 2]", "(1)"]


@pytest.mark.parametrize("marker, numbers", MARKERS)
def test_the_pattern_reads_each_marker_and_its_numbers(marker, numbers):
    (found,) = qa.CITATION_MARKER.finditer(f"Prices fell {marker}.")
    assert found.group(0) == marker and qa.marker_numbers(found.group(1)) == numbers


@pytest.mark.parametrize("text", NOT_MARKERS)
def test_other_brackets_are_not_markers(text):
    assert not qa.CITATION_MARKER.search(text)
    assert qa.strip_markers(f"Prices fell {text}.") == f"Prices fell {text}."


def test_adjacent_markers_are_two_markers():
    assert [m.group(1) for m in qa.CITATION_MARKER.finditer("[1][2]")] == ["1", "2"]


@pytest.mark.parametrize("marker, numbers", MARKERS)
def test_every_reader_of_answers_agrees(marker, numbers):
    sentence = f"Orchard prices fell by a tenth {marker}."
    # citation checking
    assert parse_claims(sentence) == [("Orchard prices fell by a tenth.", numbers)]
    # removal (the question rewriter and the benchmarks)
    assert qa.strip_markers(sentence) == "Orchard prices fell by a tenth."
    user = rewrite_messages("And why?", [("What happened to prices?", sentence)])[1]["content"]
    assert "Assistant: Orchard prices fell by a tenth." in user
    # the web chat links each number to its passage
    chips = {n: f"<C{n}>" for n in numbers}
    assert render.text_with_markers(sentence, chips) == \
        "Orchard prices fell by a tenth " + "".join(chips[n] for n in numbers) + "."


def test_no_module_spells_its_own_marker_pattern():
    # A second copy is how the four readers came to disagree: only qa/cite.py may hold one.
    spelled = re.compile(r"""\\\[\s*\(?\??:?\\d""")  # a regex literal starting "\[\d" or "\[(\d"
    copies = [str(path.relative_to(REPO)) for folder in ("qa", "webui", "benchmarks", "embeddings")
              for path in sorted((REPO / folder).rglob("*.py")) if spelled.search(path.read_text())]
    copies += ["app.py"] if spelled.search((REPO / "app.py").read_text()) else []
    assert copies == [], copies
