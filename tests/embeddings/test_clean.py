import hashlib
from pathlib import Path

import pytest

from embeddings.clean import clean_text, is_noise_line, normalize_line, normalize_text

from .corpus import article_text

SEED = next((Path(__file__).parents[2] / "seeds").glob("*.txt"))


@pytest.fixture(scope="module")
def seed_raw() -> str:
    return SEED.read_text(encoding="utf-8")


def test_seed_lone_close_line_is_removed(seed_raw):
    assert "close" in seed_raw.splitlines()  # the noise really is in the seed
    cleaned = clean_text(seed_raw)
    assert "close" not in cleaned.split("\n\n")
    assert not cleaned.startswith("close")


@pytest.mark.parametrize("caption_start", ["The Venezuelan flag flies atop", "A demonstrator holds"])
def test_seed_photo_caption_kept_once(seed_raw, caption_start):
    assert seed_raw.count(caption_start) == 2
    assert clean_text(seed_raw).count(caption_start) == 1


def test_seed_paragraphs_kept_one_per_line(seed_raw):
    distinct_lines = list(dict.fromkeys(normalize_line(l) for l in seed_raw.splitlines() if l.strip()))
    expected = [l for l in distinct_lines if l != "close"]
    assert clean_text(seed_raw).split("\n\n") == expected


@pytest.mark.parametrize("raw, expected", [
    ("Cafe\u0301 society", "Café society"),  # decomposed accent -> NFC
    ("zero\u200bwidth joiner\u200d", "zerowidth joiner"),
    ("non\u00a0breaking\u202fspaces", "non breaking spaces"),
    ("soft\u00adhyphen", "softhyphen"),
    ("\ufeffByte order mark", "Byte order mark"),
    ("bell\x07 and\x00 nul", "bell and nul"),
    ("tabs\t\tand   runs   of spaces", "tabs and runs of spaces"),
    ("Windows line.\r\nNext line.", "Windows line.\n\nNext line."),
    ("Old Mac line.\rNext line.", "Old Mac line.\n\nNext line."),
])
def test_unicode_and_whitespace_normalised(raw, expected):
    assert clean_text(raw) == expected


def test_normalize_text_keeps_newlines_and_tabs():
    assert normalize_text("a\tb\nc\x0bd") == "a\tb\ncd"


def test_normalize_line_folds_unicode_spaces():
    assert normalize_line("  a\u2003b\u3000c  ") == "a b c"


@pytest.mark.parametrize("line", ["close", "Close", "ADVERTISEMENT", "Share this", "Read more.",
                                  "Skip to main content", "—", "• • •", "|", "Print:"])
def test_noise_lines(line):
    assert is_noise_line(line)


@pytest.mark.parametrize("line", ["Closed roads", "Share prices rose.", "The menu changed.", "A",
                                  "2026", "close to the border"])
def test_content_lines_are_not_noise(line):
    assert not is_noise_line(line)


def test_noise_lines_dropped_inside_body():
    raw = "First paragraph here.\n\nAdvertisement\n\nSecond paragraph here.\nShare\n"
    assert clean_text(raw) == "First paragraph here.\n\nSecond paragraph here."


def test_repeated_lines_dropped_case_insensitively():
    raw = "A caption of a photo — Reuters\nA CAPTION OF A PHOTO — REUTERS\n\nBody."
    assert clean_text(raw) == "A caption of a photo — Reuters\n\nBody."


def test_hard_wrapped_paragraph_is_joined():
    raw = ("The minister said on Tuesday that the new budget would include funding for\n"
           "schools and hospitals across the country.\n"
           "A second paragraph starts here.")
    assert clean_text(raw) == (
        "The minister said on Tuesday that the new budget would include funding for "
        "schools and hospitals across the country.\n\nA second paragraph starts here.")


@pytest.mark.parametrize("raw", ["", "   ", "\n\n\n", "close\n\nadvertisement", "\u200b\u00a0"])
def test_nothing_left(raw):
    assert clean_text(raw) == ""


@pytest.mark.parametrize("name, digest", [
    ("seed", "4030a80ff1489668"),
    ("storm", "b6620ab955441387"),
    ("venezuela", "1f0fc8d71a0d5e31"),
    ("football", "011a01190d8dc78c"),
    ("markets", "77fc17ce19782e87"),
])
def test_clean_text_of_normal_articles_is_pinned(seed_raw, name, digest):
    # An index stores sha256(title + cleaned text) per article: a change to cleaning output
    # re-embeds every article of every existing index. Change these digests only on purpose.
    raw = seed_raw if name == "seed" else article_text(name)
    assert hashlib.sha256(clean_text(raw).encode()).hexdigest()[:16] == digest
