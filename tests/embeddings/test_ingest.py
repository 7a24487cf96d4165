import gzip
import io
import json
from pathlib import Path

import pytest

from embeddings.ingest import (
    Document,
    Skip,
    decode_bytes,
    iter_files,
    normalize_date,
    parse_text_article,
    read_input,
    suffix_of,
)

from .corpus import ARTICLES, article_text, json_record, jsonl

SEEDS = Path(__file__).parents[2] / "seeds"
MB = 1_000_000
# The shortest body an article may have is 8 words (boilerplate.MIN_ARTICLE_WORDS).
HARBOUR = "The harbour reopened on Monday after three weeks of repairs."


def read(path: Path, max_bytes: int = 64 * MB, max_chars: int = 200_000) -> list[Document | Skip]:
    return list(read_input(path, max_bytes, max_chars))


def only_doc(path: Path, **kw) -> Document:
    items = read(path, **kw)
    assert len(items) == 1 and isinstance(items[0], Document), items
    return items[0]


def only_skip(path: Path, **kw) -> Skip:
    items = read(path, **kw)
    assert len(items) == 1 and isinstance(items[0], Skip), items
    assert "\n" not in items[0].reason and items[0].reason
    return items[0]


# --- text and Markdown -------------------------------------------------------------------

def test_seed_file_headline_byline_date():
    doc = only_doc(SEEDS)
    assert doc.title == "Venezuela looks to rebuild diplomatic ties with US"
    assert doc.byline == "Reuters"
    assert doc.publish_date == "2026-01-10"
    assert "Delcy Rodriguez, took over as interim leader" in doc.text
    assert "Venezuela looks to rebuild" not in doc.text  # the headline left the body
    assert doc.key == str(Path(doc.path).resolve()) and doc.path.endswith(".txt")


@pytest.mark.parametrize("suffix", [".txt", ".md", ".markdown", ".text"])
def test_text_article_fields(tmp_path, suffix):
    path = tmp_path / f"a{suffix}"
    path.write_text(article_text("venezuela"))
    doc = only_doc(path)
    assert (doc.title, doc.byline, doc.publish_date) == (
        "Venezuela looks to rebuild diplomatic ties with US", "Reuters", "2026-01-10")
    assert "By Reuters" not in doc.text and "January 10, 2026" not in doc.text
    assert ARTICLES["venezuela"]["body"][0] in doc.text


def test_markdown_heading_is_title(tmp_path):
    path = tmp_path / "a.md"
    path.write_text(f"# Harbour reopens\n\nFrom AFP\n\n2025-01-03\n\n{HARBOUR}\n")
    doc = only_doc(path)
    assert (doc.title, doc.byline, doc.publish_date) == ("Harbour reopens", "AFP", "2025-01-03")
    assert doc.text.strip() == HARBOUR


def test_body_line_that_looks_like_a_date_after_the_header_stays(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text(f"Headline\n\nBy AP\nMay 1, 2025\n\n{HARBOUR}\n\nJune 2, 2025\n")
    doc = only_doc(path)
    assert doc.publish_date == "2025-05-01"
    assert "June 2, 2025" in doc.text


def test_long_first_paragraph_is_not_taken_as_the_headline(tmp_path):
    first = ("The city council voted on Tuesday to close the old bridge for repairs, a decision "
             "that will divert thousands of commuters for at least six months, officials said.")
    path = tmp_path / "no-headline.txt"
    path.write_text(f"{first}\n\nTraffic is expected to rise on the ring road.\n")
    doc = only_doc(path)
    assert first in doc.text
    assert len(doc.title) <= 200


@pytest.mark.parametrize("value, iso", [
    ("January 10, 2026", "2026-01-10"),
    ("2025/01/03", "2025-01-03"),
    ("2025-01-03T10:22:00Z", "2025-01-03"),
    ("10 Jan 2026", "2026-01-10"),
    ("Saturday, 4 March 2023", "2023-03-04"),
    ("March 5", ""),  # no year: too vague to filter on
    ("", ""),
    ("no digits here", ""),
    ("By Reuters 12", ""),
    ("99999999999999999999", ""),
])
def test_normalize_date(value, iso):
    assert normalize_date(value) == iso


def test_parse_text_article_without_byline_or_date():
    fields = parse_text_article("Just a headline\n\nAnd a body sentence.")
    assert {**fields, "text": fields["text"].strip()} == {
        "title": "Just a headline", "text": "And a body sentence.", "byline": "", "publish_date": "", "url": ""}


# --- encodings ---------------------------------------------------------------------------

@pytest.mark.parametrize("data, text", [
    ("Plain ASCII.".encode(), "Plain ASCII."),
    ("Zürich café".encode("utf-8"), "Zürich café"),
    ("\ufeffWith BOM".encode("utf-8"), "With BOM"),
    ("UTF-16 Grüße".encode("utf-16"), "UTF-16 Grüße"),
    ("Nice résumé.".encode("cp1252"), "Nice résumé."),
    ("The café’s owner said “it’s over” — prices rose in Málaga.".encode("cp1252"),
     "The café’s owner said “it’s over” — prices rose in Málaga."),
    ("Les élèves ont mangé des crêpes à la gare, très bon.".encode("latin-1"),
     "Les élèves ont mangé des crêpes à la gare, très bon."),
])
def test_decode_bytes(data, text):
    assert decode_bytes(data) == text


@pytest.mark.parametrize("data", [b"\x00\x01\x02binary", b"PK\x03\x04\x00\x00zip"])
def test_decode_bytes_binary_is_none(data):
    assert decode_bytes(data) is None


# --- HTML --------------------------------------------------------------------------------

PAGE = """<html><head><title>Storm hits coast | Daily News</title>{meta}</head><body>
<nav><a href="/">Home</a> <a href="/world">Navigation world link</a> <a href="/sport">Sport</a></nav>
<article><h1>Storm hits coast</h1><p class="byline">By Jane Doe</p>
<p>A powerful storm hit the northern coast on Tuesday, forcing thousands of residents to leave
their homes as rivers burst their banks.</p>
<p>Officials said emergency shelters had been opened in three towns and that rescue teams were
working through the night.</p>
<p>The weather service expects the rain to ease by Thursday, although strong winds are likely to
continue along the shore.</p>
</article>
<footer>Copyright 2026 Daily News. All rights reserved. Footer privacy policy.</footer>
</body></html>"""


def test_html_body_extracted_without_nav_or_footer(tmp_path):
    path = tmp_path / "storm.html"
    meta = ('<meta property="article:published_time" content="2025-03-04T10:00:00Z">'
            '<link rel="canonical" href="https://news.example/storm">')
    path.write_text(PAGE.format(meta=meta))
    doc = only_doc(path)
    assert doc.title == "Storm hits coast"
    assert "rivers burst their banks" in doc.text and "rescue teams" in doc.text
    assert "Navigation world link" not in doc.text and "Footer privacy policy" not in doc.text
    assert not doc.text.startswith("Storm hits coast")
    assert doc.publish_date == "2025-03-04"
    assert doc.url == "https://news.example/storm" and doc.key == doc.url


def test_html_without_date_is_not_dated_from_the_copyright_line(tmp_path):
    path = tmp_path / "storm.htm"
    path.write_text(PAGE.format(meta=""))
    assert only_doc(path).publish_date == ""


def test_html_without_article_is_skipped(tmp_path):
    path = tmp_path / "empty.html"
    path.write_text("<html><head><title>Empty</title></head><body><script>var a = 1;</script></body></html>")
    assert "no article text" in only_skip(path).reason


# --- JSON / JSONL ------------------------------------------------------------------------

def _check_record_doc(doc: Document, name: str, url: str):
    a = ARTICLES[name]
    assert doc.title == a["title"]
    assert doc.text == "\n\n".join(a["body"])
    assert doc.url == url and doc.key == url
    assert doc.publish_date == a["iso"]
    assert doc.byline == a["byline"]


def test_json_list(tmp_path):
    path = tmp_path / "list.json"
    path.write_text(json.dumps([json_record("storm", "https://x/1"), json_record("markets", "https://x/2")]))
    docs = read(path)
    assert [type(d) for d in docs] == [Document, Document]
    _check_record_doc(docs[0], "storm", "https://x/1")
    _check_record_doc(docs[1], "markets", "https://x/2")
    assert docs[0].path == str(path)


def test_json_single_object_file(tmp_path):
    path = tmp_path / "one.json"
    path.write_text(json.dumps(json_record("storm", "https://x/1"), indent=2))
    _check_record_doc(only_doc(path), "storm", "https://x/1")


@pytest.mark.parametrize("name, opener", [("a.jsonl", open), ("a.ndjson", open), ("a.jsonl.gz", gzip.open)])
def test_jsonl(tmp_path, name, opener):
    path = tmp_path / name
    with opener(path, "wt", encoding="utf-8") as fh:
        fh.write(jsonl(json_record("storm", "https://x/1"), json_record("football", "https://x/2")))
    docs = read(path)
    assert len(docs) == 2
    _check_record_doc(docs[0], "storm", "https://x/1")
    _check_record_doc(docs[1], "football", "https://x/2")


def test_json_authors_list_and_record_without_url(tmp_path):
    path = tmp_path / "a.jsonl"
    other_body = "Other body: the ferry to the island runs again from Friday."
    path.write_text(jsonl({"title": "T", "text": HARBOUR, "authors": ["Ann Lee", "", "Bo Ma"],
                           "publish_date": "2025/01/03"},
                          {"title": "U", "body": other_body, "author": "Cy Ng", "date": "2024-12-31"}))
    doc, other = read(path)
    assert doc.byline == "Ann Lee, Bo Ma" and doc.publish_date == "2025-01-03"
    assert (other.text, other.byline, other.publish_date) == (other_body, "Cy Ng", "2024-12-31")
    assert doc.warnings == other.warnings == ()
    assert doc.key == f"{path}#1" and doc.path == str(path)


def test_jsonl_malformed_line_is_skipped_with_its_line_number(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(jsonl(json_record("storm")) + '{"title": "broken", "text": \n' + jsonl(json_record("markets")))
    items = read(path)
    assert [type(i) for i in items] == [Document, Skip, Document]
    assert items[1].path == f"{path}#2" and "malformed JSON line" in items[1].reason


@pytest.mark.parametrize("record, reason", [
    ({"title": "No body"}, "no 'text'"),
    ({"title": "Blank", "text": "   "}, "no 'text'"),
    ({"title": "Not a string", "text": ["a", "b"]}, "'text' is a list, not a string"),
    ("just a string", "not an object"),
    (42, "not an object"),
])
def test_json_record_problems_are_skips(tmp_path, record, reason):
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps(record) + "\n")
    assert reason in only_skip(path).reason


def test_json_list_of_non_objects_skips_each(tmp_path):
    path = tmp_path / "a.json"
    path.write_text(json.dumps([["a"], json_record("storm"), None]))
    items = read(path)
    assert [type(i) for i in items] == [Skip, Document, Skip]
    assert [i.path for i in items] == [f"{path}#1", str(path), f"{path}#3"]


def test_json_file_with_one_object_per_line(tmp_path):
    path = tmp_path / "a.json"
    path.write_text(jsonl(json_record("storm"), json_record("markets")))
    assert [d.title for d in read(path)] == [ARTICLES["storm"]["title"], ARTICLES["markets"]["title"]]


def test_malformed_json_list_is_skipped(tmp_path):
    path = tmp_path / "a.json"
    path.write_text('[{"title": "a", "text": "b"},')
    assert "malformed JSON" in only_skip(path).reason


def test_non_utf8_jsonl_is_decoded(tmp_path):
    path = tmp_path / "a.jsonl"
    text = "Un café très noir à Málaga, servi chaque matin au marché."
    path.write_bytes(json.dumps({"title": "Café", "text": text}, ensure_ascii=False).encode("cp1252"))
    assert only_doc(path).text == text


def test_truncated_gzip_is_skipped_not_raised(tmp_path):
    path = tmp_path / "a.jsonl.gz"
    records = [json_record(n, f"https://x/{i}") for i, n in enumerate(ARTICLES)] * 20
    data = gzip.compress(jsonl(*records).encode())
    path.write_bytes(data[: len(data) // 2])
    items = read(path)
    assert isinstance(items[-1], Skip) and "cannot read" in items[-1].reason


def test_gzipped_text_article_is_decompressed(tmp_path):
    path = tmp_path / "a.txt.gz"
    path.write_bytes(gzip.compress(article_text("storm").encode()))
    assert only_doc(path).title == ARTICLES["storm"]["title"]


# --- PDF ---------------------------------------------------------------------------------

def make_pdf(lines: list[str], title: str | None = None) -> bytes:
    """A one-page PDF with real text drawn in Helvetica (pypdf cannot lay out text itself)."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(612, 792)
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})})
    ops = ["BT", "/F1 11 Tf", "14 TL", "72 740 Td"]
    ops += [f"({line}) Tj T*" for line in lines]
    stream = DecodedStreamObject()
    stream.set_data("\n".join(ops + ["ET"]).encode("latin-1"))
    page[NameObject("/Contents")] = writer._add_object(stream)
    if title:
        writer.add_metadata({"/Title": title})
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def test_pdf_text_extracted(tmp_path):
    path = tmp_path / "a.pdf"
    path.write_bytes(make_pdf(["Harbour reopens after storm", "By Jane Doe", "March 4, 2025",
                               "The harbour reopened on Monday after repairs.", "Fishing boats returned."]))
    doc = only_doc(path)
    assert (doc.title, doc.byline, doc.publish_date) == ("Harbour reopens after storm", "Jane Doe", "2025-03-04")
    assert "The harbour reopened on Monday after repairs." in doc.text


def test_pdf_metadata_title_wins(tmp_path):
    path = tmp_path / "a.pdf"
    path.write_bytes(make_pdf(["Harbour reopens", HARBOUR], title="Official Title"))
    assert only_doc(path).title == "Official Title"


@pytest.mark.parametrize("data", [b"%PDF-1.4\nthis is not really a pdf", b"not a pdf at all, plain words"])
def test_invalid_pdf_is_skipped_with_reason(tmp_path, data):
    path = tmp_path / "bad.pdf"
    path.write_bytes(data)
    assert "PDF" in only_skip(path).reason


def test_pdf_without_text_is_skipped(tmp_path):
    path = tmp_path / "scan.pdf"
    path.write_bytes(make_pdf([]))
    assert "no extractable text" in only_skip(path).reason


# --- files and caps ----------------------------------------------------------------------

@pytest.mark.parametrize("name, suffix", [
    ("a.TXT", ".txt"), ("a.jsonl.gz", ".jsonl"), ("a.tar.gz", ".tar"), ("a.gz", ".gz"), ("README", ""),
])
def test_suffix_of(name, suffix):
    assert suffix_of(Path(name)) == suffix


def test_iter_files_sorted_and_hidden_left_out(tmp_path):
    for rel in ["b.txt", "a.txt", "sub/c.txt", ".hidden.txt", ".git/d.txt", "sub/.e.txt"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    assert [p.relative_to(tmp_path).as_posix() for p in iter_files(tmp_path)] == ["a.txt", "b.txt", "sub/c.txt"]
    assert list(iter_files(tmp_path / "a.txt")) == [tmp_path / "a.txt"]


@pytest.mark.parametrize("name, data, reason", [
    ("empty.txt", b"", "empty file"),
    ("blank.txt", b"  \n\n \t", "no text"),
    ("headline-only.txt", b"close\n\nJust a headline\n", "no article body"),
    ("bad-utf16.txt", b"\xff\xfe\x41", "binary"),
    ("binary.txt", bytes(range(256)) * 4, "binary"),
    ("photo.jpg", b"\xff\xd8\xff\xe0", "unsupported file type '.jpg'"),
    ("Makefile", b"all:", "unsupported file type 'Makefile'"),
])
def test_unusable_files_are_skipped(tmp_path, name, data, reason):
    path = tmp_path / name
    path.write_bytes(data)
    assert reason in only_skip(path).reason


def test_file_over_size_cap_is_skipped(tmp_path):
    path = tmp_path / "big.txt"
    path.write_text(article_text("storm"))
    skip = only_skip(path, max_bytes=100)
    assert "over the" in skip.reason and "NEWSDESK_MAX_FILE_MB" in skip.reason


def test_long_article_is_cut_with_warning(tmp_path):
    path = tmp_path / "long.txt"
    path.write_text("Headline\n\n" + "\n".join(f"Paragraph number {i} of a long story." for i in range(400)))
    doc = only_doc(path, max_chars=1000)
    assert len(doc.text) <= 1000 and doc.text.endswith("story.")  # cut at a line break
    assert len(doc.warnings) == 1 and "indexed the first" in doc.warnings[0]


def test_read_input_folder_mixes_documents_and_skips(tmp_path):
    (tmp_path / "a.txt").write_text(article_text("storm"))
    (tmp_path / "b.bin").write_bytes(b"\x00")
    (tmp_path / "c.jsonl").write_text(jsonl(json_record("markets"), json_record("football")))
    items = read(tmp_path)
    assert [type(i).__name__ for i in items] == ["Document", "Skip", "Document", "Document"]
