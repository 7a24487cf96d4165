from __future__ import annotations

import gzip
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from embeddings.ingest import parse_text_article
from webui import uploads
from webui.uploads import UploadError

ALLOWED = {".txt", ".md", ".html", ".json", ".jsonl", ".pdf"}
MB = 1_000_000


@pytest.mark.parametrize("name, suffix", [
    ("story.txt", ".txt"),
    ("STORY.TXT", ".txt"),
    ("feed.jsonl.gz", ".jsonl.gz"),
    ("page.HTML", ".html"),
    ("../../etc/cron.d/evil.txt", ".txt"),
    ("C:\\fakepath\\notes.md", ".md"),
    ("a.tar.txt", ".txt"),
])
def test_upload_suffix_keeps_only_allowed_suffixes(name, suffix):
    assert uploads.upload_suffix(name, ALLOWED) == suffix


@pytest.mark.parametrize("name", ["archive.gz", "run.exe", "story.txt.exe", "noext", "x.tar.gz", "", "evil.php"])
def test_upload_suffix_rejects_everything_else(name):
    with pytest.raises(UploadError, match="not a supported file type"):
        uploads.upload_suffix(name, ALLOWED)


@pytest.mark.parametrize("name, expected", [
    ("Breaking News!.txt", "breaking-news"),
    ("../../etc/passwd.txt", "passwd"),
    ("Café über.md", "cafe-uber"),
    ("..txt", "article"),
    ("日本語.txt", "article"),
    ("a" * 100 + ".txt", "a" * 40),
])
def test_slug_is_letters_digits_and_dashes(name, expected):
    assert uploads.slug(name) == expected


def test_generated_name_is_unique_and_sortable():
    when = datetime(2026, 1, 10, 14, 30, tzinfo=timezone.utc)
    assert uploads.generated_name("My Story.txt", ".txt", when, "abcd1234") == "20260110-143000-abcd1234-my-story.txt"
    assert uploads.generated_name("x.txt", ".txt") != uploads.generated_name("x.txt", ".txt")


@pytest.mark.parametrize("original", [
    "../../../../tmp/escape.txt", "/etc/passwd.txt", "..\\..\\win.txt", "sub/dir/name.txt", ".hidden.txt",
    "nul\x00byte.txt",
])
def test_store_upload_writes_inside_the_uploads_folder_only(tmp_path, original):
    src = tmp_path / "incoming"
    src.write_text("Headline\n\nBody text.")
    dest = tmp_path / "data" / "uploads"
    stored = uploads.store_upload(src, original, dest, MB, ALLOWED)
    assert stored.parent == dest
    assert stored.resolve().is_relative_to(dest.resolve())
    assert stored.suffix == ".txt" and not stored.name.startswith(".")
    assert stored.read_text() == "Headline\n\nBody text."
    assert [p.name for p in dest.iterdir()] == [stored.name]  # no temporary file left behind


def test_store_upload_enforces_the_size_cap(tmp_path):
    src = tmp_path / "big.txt"
    src.write_bytes(b"x" * (MB + 1))
    with pytest.raises(UploadError, match="upload limit is 1.0 MB"):
        uploads.store_upload(src, "big.txt", tmp_path / "up", MB, ALLOWED)
    assert not (tmp_path / "up").exists() or not any((tmp_path / "up").iterdir())


def test_store_upload_refuses_empty_and_mislabelled_files(tmp_path):
    empty = tmp_path / "e.txt"
    empty.write_bytes(b"")
    with pytest.raises(UploadError, match="empty"):
        uploads.store_upload(empty, "e.txt", tmp_path / "up", MB, ALLOWED)
    fake = tmp_path / "f.pdf"
    fake.write_text("<html>not a pdf</html>")
    with pytest.raises(UploadError, match="not a valid PDF"):
        uploads.store_upload(fake, "f.pdf", tmp_path / "up", MB, ALLOWED)
    fake_gz = tmp_path / "f.jsonl.gz"
    fake_gz.write_text('{"title": "x"}')
    with pytest.raises(UploadError, match="not a valid GZ"):
        uploads.store_upload(fake_gz, "f.jsonl.gz", tmp_path / "up", MB, ALLOWED)


def test_store_upload_keeps_real_gzip(tmp_path):
    src = tmp_path / "feed"
    src.write_bytes(gzip.compress(b'{"title": "T", "text": "Body"}\n'))
    stored = uploads.store_upload(src, "feed.jsonl.gz", tmp_path / "up", MB, ALLOWED)
    assert stored.name.endswith("-feed.jsonl.gz")


def test_store_upload_of_a_vanished_file_is_a_readable_error(tmp_path):
    with pytest.raises(UploadError, match="could not be read"):
        uploads.store_upload(tmp_path / "gone.txt", "gone.txt", tmp_path / "up", MB, ALLOWED)


def test_store_pasted_writes_a_text_article_the_indexer_parses(tmp_path):
    stored = uploads.store_pasted("  Harbour   festival opens\n", "The festival opens on 3 March.\r\nIt runs a week.",
                                  tmp_path / "up", MB, source="Port Gazette", published="2026-03-01")
    assert stored.suffix == ".txt" and stored.parent == tmp_path / "up"
    fields = parse_text_article(stored.read_text())
    assert fields["title"] == "Harbour festival opens"
    assert fields["byline"] == "Port Gazette"
    assert fields["publish_date"] == "2026-03-01"
    assert "The festival opens on 3 March." in fields["text"] and "It runs a week." in fields["text"]


def test_store_pasted_keeps_markup_as_text(tmp_path):
    payload = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'
    stored = uploads.store_pasted(f"Title {payload}", f"Body {payload}", tmp_path, MB)
    assert stored.read_text().count(payload) == 2


@pytest.mark.parametrize("title, body, message", [
    ("", "Body", "headline"),
    ("   ", "Body", "headline"),
    ("Title", "  \n ", "body"),
    ("T" * 301, "Body", "300 characters"),
])
def test_store_pasted_requires_headline_and_body(tmp_path, title, body, message):
    with pytest.raises(UploadError, match=message):
        uploads.store_pasted(title, body, tmp_path, MB)


def test_store_pasted_enforces_the_size_cap(tmp_path):
    with pytest.raises(UploadError, match="limit"):
        uploads.store_pasted("Title", "x" * 2000, tmp_path, 1000)
    assert list(Path(tmp_path).iterdir()) == []


# --- uploads left in Gradio's cache -------------------------------------------------------

def cached(cache: Path, name: str, text: str = "Headline\n\nBody.") -> Path:
    """A file where Gradio keeps an upload: in a folder named by its hash."""
    path = cache / f"{abs(hash(name)):x}" / name
    path.parent.mkdir()
    path.write_text(text)
    return path


def test_a_shared_upload_folder_is_kept_until_empty(tmp_path):
    one = cached(tmp_path, "a.txt")
    other = one.parent / "b.txt"
    other.write_text("x")
    assert uploads.discard_upload(one, tmp_path) is True
    assert other.exists()
    assert uploads.discard_upload(tmp_path / "gone.txt", tmp_path) is False
    assert uploads.discard_upload(tmp_path, tmp_path) is False


# --- pasted headlines that look like paths ------------------------------------------------

@pytest.mark.parametrize("title, slug", [
    ("AC/DC tour", "ac-dc-tour"),
    ("</script>", "script"),
    ("U.S. economy grows 3.1%", "u-s-economy-grows-3-1"),
    ("../../etc/passwd", "etc-passwd"),
    ("C:\\Windows\\System32", "c-windows-system32"),
    ("..", "article"),
    (".hidden", "hidden"),
    ("a/", "a"),
    ("nul\x00byte", "nul-byte"),
    ("Ça va? Über-Öl", "ca-va-uber-ol"),
    ("日本語のニュース", "article"),
    ("x" * 300, "x" * 40),
])
def test_a_pasted_headline_is_slugged_as_text_and_kept_whole(tmp_path, title, slug):
    stored = uploads.store_pasted(title, "Body.", tmp_path / "up", MB)
    assert stored.parent == tmp_path / "up"
    assert re.fullmatch(rf"\d{{8}}-\d{{6}}-[0-9a-f]{{8}}-{re.escape(slug)}\.txt", stored.name), stored.name
    assert len(stored.name) <= len("20260110-143000-abcd1234-") + 40 + len(".txt")
    assert stored.read_text().splitlines()[0] == " ".join(title.split())


@pytest.mark.parametrize("name, slug", [
    ("U.S. economy grows 3.1%.txt", "u-s-economy-grows-3-1"),
    ("AC-DC tour.md", "ac-dc-tour"),
    ("feed.jsonl.gz", "feed"),
    ("a.tar.txt", "a-tar"),
    ("../../etc/passwd.txt", "passwd"),
    ("C:\\fakepath\\Torun bridge (final).txt", "torun-bridge-final"),
])
def test_an_uploaded_file_name_keeps_its_whole_stem(name, slug):
    when = datetime(2026, 1, 10, 14, 30, tzinfo=timezone.utc)
    suffix = uploads.upload_suffix(name, {".txt", ".md", ".jsonl"})
    assert uploads.generated_name(name, suffix, when, "abcd1234") == f"20260110-143000-abcd1234-{slug}{suffix}"
