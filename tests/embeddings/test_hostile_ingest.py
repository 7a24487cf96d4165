"""The hostile-input matrix for reading inputs: each row is an input that once cost good
articles, indexed chrome as news, looped or vanished silently, or stored a Python repr.
A row that fails is a regression of one of those bugs."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

from embeddings.boilerplate import MIN_ARTICLE_WORDS, not_an_article, paragraph_kind
from embeddings.clean import clean_text
from embeddings.ingest import Document, Skip, iter_files, read_input

from .corpus import ARTICLES, article_text, json_record, jsonl

MB = 1_000_000


def read(path: Path) -> list[Document | Skip]:
    return list(read_input(path, 64 * MB, 200_000))


def shape(items) -> list[str]:
    return [type(i).__name__ for i in items]


def records(n: int) -> list[dict]:
    names = list(ARTICLES)
    return [json_record(names[i % len(names)], f"https://news.example/{i}") for i in range(n)]


# --- 5. a NUL byte costs its line only ---------------------------------------------------

NUL_LINE = b'{"title": "cut", "text": "half a rec\x00\x00\x00ord'


def _write(path: Path, data: bytes) -> None:
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)


@pytest.mark.parametrize("name", ["a.jsonl", "a.ndjson", "a.json", "a.jsonl.gz"])
@pytest.mark.parametrize("bad_line, total", [
    (1, 3),    # the first line: inside the 8 KB that used to mark the whole file binary
    (2, 3),
    (3, 3),    # the last line, with no newline after it
    (60, 80),  # well past 8 KB, where the line was always skipped alone
])
def test_nul_byte_in_one_jsonl_line_skips_that_line_only(tmp_path, name, bad_line, total):
    lines = [json.dumps(r).encode() for r in records(total)]
    lines[bad_line - 1] = NUL_LINE
    path = tmp_path / name
    _write(path, b"\n".join(lines))
    items = read(path)
    skips = [i for i in items if isinstance(i, Skip)]
    assert len(items) == total and len(skips) == 1
    assert skips[0].path == f"{path}#{bad_line}"
    assert "NUL byte" in skips[0].reason and skips[0].reason.endswith("line skipped")
    assert items[bad_line - 1] is skips[0]  # reported in file order
    assert [d.url for d in items if isinstance(d, Document)] == [
        f"https://news.example/{i}" for i in range(total) if i != bad_line - 1]


def test_undecodable_line_next_to_a_nul_line_is_skipped_and_foreign_lines_are_decoded(tmp_path):
    cp1252 = json.dumps({"title": "Café", "text": "Un café très noir à Málaga, servi chaque matin au marché."},
                        ensure_ascii=False).encode("cp1252")
    good = json.dumps(json_record("storm", "https://x/1")).encode()
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join([NUL_LINE, cp1252, good]))
    items = read(path)
    assert shape(items) == ["Skip", "Document", "Document"]
    assert items[1].text.startswith("Un café très noir")  # decoded as cp1252, not skipped


@pytest.mark.parametrize("data", [
    bytes(range(256)) * 400,                                   # every byte value, many "lines"
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00\x10\n" * 5000,  # an image renamed .jsonl
    b"\x00\n" * 10_000,                                        # thousands of NUL lines
    b'PK\x03\x04\x14\x00\x00\x00\n{"not": "a record"\n\x00\x00',  # no line parses as a record
])
def test_binary_file_named_jsonl_is_one_skip(tmp_path, data):
    path = tmp_path / "blob.jsonl"
    path.write_bytes(data)
    items = read(path)
    assert items == [Skip(str(path), "binary or undecodable file, not JSON")]


def test_utf16_jsonl_with_its_nul_bytes_is_read(tmp_path):
    path = tmp_path / "wide.jsonl"
    path.write_bytes(jsonl(*records(2)).encode("utf-16"))
    assert shape(read(path)) == ["Document", "Document"]


def test_json_array_with_a_nul_byte_is_still_one_skip(tmp_path):
    path = tmp_path / "list.json"
    path.write_bytes(b'[{"title": "a", "text": "b\x00"}]')
    assert shape(read(path)) == ["Skip"] and "binary" in read(path)[0].reason


# --- 6. too short, or only site chrome -----------------------------------------------------

# Written for these tests in the shape of the chrome that scrapers save instead of a story.
AD_FORM = ("1. How relevant is this ad to you?\n\n"
           "Video player was slow to load content Video content never loaded Ad froze or did not "
           "finish loading Audio on ad was too loud Other issues")
DISCLAIMER = ("Gambling involves risk. Please only gamble with funds that you can comfortably afford "
              "to lose, and check any odds before you bet.\n\n"
              "If you or someone you know has a gambling problem, help is available: call 1-800-GAMBLER. "
              "Must be 21 or older to gamble. Sports betting is not legal in all locations.")
COOKIES = "We use cookies to personalise content and ads. By clicking Accept all cookies you agree."
JAVASCRIPT = "Please enable JavaScript in your browser to view this page, then reload the page."
BOT_CHECK = "Access denied. We saw unusual traffic from your network: please verify you are a human."
PAYWALL = ("Already a subscriber? Log in.\n\nSubscribe now to continue reading: unlimited digital "
           "access for one dollar a week.")
NAV_ONLY_PAGE = ('<html><head><title>Home</title><script>var x=1;</script></head><body><nav><a href="/">Home'
                 '</a> <a href="/about">About</a></nav><p>Nothing here</p></body></html>')
BETTING_STORY = "\n\n".join(ARTICLES["football"]["body"] + [
    "Bookmakers had made United the underdogs, and punters who backed them at long odds were "
    "paid out before the trophy was lifted, the betting firms said.",
    DISCLAIMER])


def _as_file(folder: Path, fmt: str, body: str) -> Path:
    """``body`` saved as one article in format ``fmt``, under a headline."""
    if fmt in ("txt", "md"):
        path = folder / f"page.{fmt}"
        path.write_text(f"Scraped page\n\n{body}\n")
    elif fmt == "html":
        paragraphs = "".join(f"<p>{p}</p>" for p in body.split("\n\n"))
        path = folder / "page.html"
        path.write_text(f"<html><head><title>Scraped page</title></head><body><article><h1>Scraped page</h1>"
                        f"{paragraphs}</article></body></html>")
    elif fmt == "jsonl":
        path = folder / "page.jsonl"
        path.write_text(jsonl({"title": "Scraped page", "text": body, "url": "https://news.example/p"}))
    else:
        path = folder / "page.json"
        path.write_text(json.dumps([{"title": "Scraped page", "text": body}]))
    return path


FORMATS = ["txt", "md", "html", "json", "jsonl"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("body, label", [
    (AD_FORM, "ad feedback form"),
    (DISCLAIMER, "gambling disclaimer"),
    (COOKIES, "cookie notice"),
    (JAVASCRIPT, "enable-JavaScript notice"),
    (BOT_CHECK, "ad-blocker or bot check"),
    (PAYWALL, "subscribe prompt"),
    (f"{PAYWALL}\n\n{COOKIES}", "subscribe prompt, cookie notice"),
    (f"{AD_FORM}\n\nWatch the video.", "ad feedback form"),  # chrome plus a caption is no article
])
def test_chrome_only_text_is_skipped_in_every_format(tmp_path, fmt, body, label):
    items = read(_as_file(tmp_path, fmt, body))
    assert shape(items) == ["Skip"], items
    assert items[0].reason == f"only site boilerplate ({label}), not an article"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("body", [
    BETTING_STORY,                                   # a real story that ends with the disclaimer
    f"{AD_FORM}\n\n" + "\n\n".join(ARTICLES["markets"]["body"]),  # chrome above a real story
    "\n\n".join(ARTICLES["storm"]["body"]),
])
def test_article_with_some_chrome_is_still_indexed(tmp_path, fmt, body):
    (doc,) = read(_as_file(tmp_path, fmt, body))
    assert isinstance(doc, Document), doc
    assert clean_text(doc.text).split("\n\n")[-1] in clean_text(body)


def test_html_page_with_only_navigation_is_skipped(tmp_path):
    path = tmp_path / "home.html"
    path.write_text(NAV_ONLY_PAGE)
    assert read(path) == [Skip(str(path), "too short to be an article (3 words)", keeps_indexed=False)]  # "About Nothing here"


@pytest.mark.parametrize("words, indexed", [(1, False), (MIN_ARTICLE_WORDS - 1, False), (MIN_ARTICLE_WORDS, True)])
@pytest.mark.parametrize("fmt", FORMATS)
def test_too_short_text_is_skipped_in_every_format(tmp_path, fmt, words, indexed):
    body = " ".join(["harbour"] * (words - 1) + ["reopened."])
    (item,) = read(_as_file(tmp_path, fmt, body))
    if indexed:
        assert isinstance(item, Document)
    else:
        plural = "word" if words == 1 else "words"
        assert item.reason == f"too short to be an article ({words} {plural})"


def test_short_pdf_is_skipped(tmp_path):
    from .test_ingest import make_pdf

    path = tmp_path / "stub.pdf"
    path.write_bytes(make_pdf(["Harbour", "Nothing here yet."]))
    assert read(path) == [Skip(str(path), "too short to be an article (3 words)", keeps_indexed=False)]


def test_skip_of_a_json_record_names_its_line(tmp_path):
    path = tmp_path / "feed.jsonl"
    path.write_text(jsonl(json_record("storm", "https://x/1"), {"title": "Ad", "text": AD_FORM, "url": "https://x/2"}))
    items = read(path)
    assert shape(items) == ["Document", "Skip"] and items[1].path == f"{path}#2"


def test_chrome_records_are_skipped_not_called_duplicates_of_the_first(build, tmp_path):
    feed = tmp_path / "corpus" / "feed.jsonl"
    feed.parent.mkdir()
    feed.write_text(jsonl(*[{"title": f"Story {i}", "text": AD_FORM, "url": f"https://x/{i}"} for i in range(3)],
                          json_record("storm", "https://x/storm")))
    report = build([feed.parent])
    assert len(report.added) == 1
    assert [s.reason for s in report.skipped] == ["only site boilerplate (ad feedback form), not an article"] * 3


@pytest.mark.parametrize("paragraph, kind", [
    ("How relevant is this ad to you?", "ad feedback form"),          # one strong phrase is enough
    ("Must be 21 or older to gamble.", "gambling disclaimer"),
    ("Call 1-800-GAMBLER if gambling hurts you.", None),               # one weak marker is not
    ("Call 1-800-GAMBLER. Terms apply.", "gambling disclaimer"),       # two are
    ("Sign up for our newsletter.", "subscribe prompt"),
    ("Sign up today.", None),
    ("The law requires parental consent to sign up for social media.", None),  # weak markers of two kinds
    ("Oracle sold personal data to third parties without consent, the lawsuit says.", None),
    ("The bank said it would stop lending to betting firms.", None),
])
def test_paragraph_kind(paragraph, kind):
    assert paragraph_kind(paragraph) == kind


@pytest.mark.parametrize("name", list(ARTICLES))
def test_fixture_articles_are_articles(name):
    assert not_an_article(clean_text("\n\n".join(ARTICLES[name]["body"]))) is None


def test_seed_is_an_article():
    seed = next((Path(__file__).parents[2] / "seeds").glob("*.txt"))
    assert not_an_article(clean_text(seed.read_text(encoding="utf-8"))) is None


# --- 7. symlinks: followed once, loops and broken links reported -----------------------------

def rel(items, root: Path) -> list[str]:
    return [f"skip {Path(i.path).relative_to(root).as_posix()}: {i.reason}" if isinstance(i, Skip)
            else Path(i).relative_to(root).as_posix() for i in items]


@pytest.fixture
def tree(tmp_path) -> Path:
    root = tmp_path / "src"
    (root / "sub").mkdir(parents=True)
    (root / "m.txt").write_text(article_text("storm"))
    (root / "sub" / "s.txt").write_text(article_text("markets"))
    return root


def test_symlink_loops_and_broken_links_are_reported_in_order(tree):
    os.symlink("b.txt", tree / "a.txt")
    os.symlink("a.txt", tree / "b.txt")
    os.symlink("..", tree / "sub" / "up")
    os.symlink("gone.txt", tree / "z.txt")
    assert rel(iter_files(tree), tree) == [
        "skip a.txt: symlink loop; not followed",
        "skip b.txt: symlink loop; not followed",
        "m.txt",
        "sub/s.txt",
        "skip sub/up: symlink loop (links to a folder above it); not followed",
        "skip z.txt: broken symlink: target 'gone.txt' missing",
    ]


@pytest.mark.parametrize("link", ["a-link", "z-link"])  # before and after the real folder
def test_link_to_a_folder_in_the_tree_is_not_read_twice(tree, link):
    os.symlink("sub", tree / link)
    got = rel(iter_files(tree), tree)
    assert got.count("sub/s.txt") == 1 and len(got) == 3
    assert f"skip {link}: links to {tree / 'sub'}, which is read already; not read twice" in got


@pytest.mark.parametrize("link", ["a-copy.txt", "z-copy.txt"])
def test_link_to_a_file_in_the_tree_is_not_read_twice(tree, link):
    os.symlink("m.txt", tree / link)
    got = rel(iter_files(tree), tree)
    assert got.count("m.txt") == 1 and len(got) == 3
    assert f"skip {link}: links to {tree / 'm.txt'}, which is read already; not read twice" in got


def test_folder_reached_through_two_links_is_read_once(tree, tmp_path):
    outside = tmp_path / "elsewhere"
    (outside / "inner").mkdir(parents=True)
    (outside / "inner" / "i.txt").write_text(article_text("football"))
    os.symlink(outside / "inner", tree / "a-inner")  # read here first...
    os.symlink(outside, tree / "b-outer")            # ...so its copy inside this one is reported
    first, copy, *rest = iter_files(tree)
    assert rel([first, *rest], tree) == ["a-inner/i.txt", "m.txt", "sub/s.txt"]
    assert copy == Skip(str(outside / "inner"), f"same folder as {tree / 'a-inner'}, read there; not read twice")


def test_link_to_an_outside_folder_is_followed_once(tree, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "o.txt").write_text(article_text("football"))
    os.symlink(outside, tree / "ext")
    os.symlink(outside, tree / "ext2")
    os.symlink(tree, outside / "back")  # a loop through the followed folder
    items = list(iter_files(tree))
    # Paths inside a followed folder are shown where they really are, as files are.
    assert items[0] == Skip(str(outside / "back"), "symlink loop (links to a folder above it); not followed")
    assert rel(items[1:], tree) == [
        "ext/o.txt",
        f"skip ext2: links to {tree / 'ext'}, which is read already; not read twice",
        "m.txt",
        "sub/s.txt",
    ]
    docs = [d for d in read(tree) if isinstance(d, Document)]
    assert sorted(d.title for d in docs) == sorted(ARTICLES[n]["title"] for n in ("football", "storm", "markets"))


def test_link_to_a_file_is_read_and_hidden_links_are_left_out(tree, tmp_path):
    (tmp_path / "one.txt").write_text(article_text("venezuela"))
    os.symlink(tmp_path / "one.txt", tree / "linked.txt")
    os.symlink("..", tree / ".hidden-loop")
    os.symlink("gone", tree / "sub" / ".hidden-broken")
    assert rel(iter_files(tree), tree) == ["linked.txt", "m.txt", "sub/s.txt"]


def test_root_given_as_a_link_is_followed(tree, tmp_path):
    os.symlink(tree, tmp_path / "alias")
    assert rel(iter_files(tmp_path / "alias"), tmp_path / "alias") == ["m.txt", "sub/s.txt"]


def test_looping_root_is_one_skip(tmp_path):
    os.symlink("loop", tmp_path / "loop")
    assert [i.reason for i in read(tmp_path / "loop")] == ["symlink loop; not followed"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_named_pipe_is_reported_not_read(tree):
    os.mkfifo(tree / "pipe.txt")  # reading it would block the build forever
    assert "skip pipe.txt: not a regular file (a pipe, socket or device); not read" in rel(iter_files(tree), tree)


def test_read_input_reports_link_skips_among_documents(tree):
    os.symlink("..", tree / "sub" / "up")
    assert shape(read(tree)) == ["Document", "Document", "Skip"]


# --- 8. JSON fields of the wrong type --------------------------------------------------------

@pytest.mark.parametrize("field, value, attr, expected, warning", [
    ("title", ["list", "title"], "title", "list title", "'title' is a list; joined its items"),
    ("title", 1984, "title", "1984", "'title' is a number; used as text"),
    ("title", {"en": "Hi"}, "title", "", "'title' is an object ({\"en\": \"Hi\"}), not text; left out"),
    ("url", 42, "url", "", "'url' is a number (42), not a link; left out"),
    ("url", ["https://x/1"], "url", "", "'url' is a list ([\"https://x/1\"]), not a link; left out"),
    ("authors", {"name": "Ann Lee"}, "byline", "Ann Lee", None),
    ("authors", [{"name": "Ann Lee"}, "Bo Ma"], "byline", "Ann Lee, Bo Ma", None),
    ("authors", ["Ann Lee", None, 3, "", {"id": 1}], "byline", "Ann Lee",
     "'authors' has items that are not names (3); left them out"),
    ("authors", {"id": 7}, "byline", "", "'authors' is an object ({\"id\": 7}), not a name; left out"),
    ("authors", 7, "byline", "", "'authors' is a number (7), not a name; left out"),
    ("source", {"id": "bbc", "name": "BBC News"}, "byline", "BBC News", None),
    ("publish_date", 1736899200, "publish_date", "2025-01-15",
     "'publish_date' is a number; read it as a Unix timestamp (2025-01-15)"),
    ("publish_date", 1736899200123, "publish_date", "2025-01-15",
     "'publish_date' is a number; read it as a Unix timestamp (2025-01-15)"),
    ("publish_date", 2025, "publish_date", "", "'publish_date' is a number (2025), not a date; left out"),
    ("publish_date", True, "publish_date", "", "'publish_date' is true/false (true), not a date; left out"),
    ("date", ["2025-01-03"], "publish_date", "", "'date' is a list ([\"2025-01-03\"]), not a date; left out"),
])
@pytest.mark.parametrize("container", ["jsonl", "json"])
def test_wrong_field_types_are_coerced_with_a_warning(tmp_path, container, field, value, attr, expected, warning):
    record = {"title": "Harbour reopens", "text": "\n\n".join(ARTICLES["storm"]["body"]), field: value}
    path = tmp_path / f"feed.{container}"
    path.write_text(jsonl(record) if container == "jsonl" else json.dumps([record]))
    (doc,) = read(path)
    assert getattr(doc, attr) == expected
    assert doc.warnings == ((f"record #1: {warning}",) if warning else ())
    for text in (doc.title, doc.byline, doc.url, doc.publish_date):
        assert not text.startswith(("[", "{"))  # never a Python repr


@pytest.mark.parametrize("record, reason", [
    ({"text": ["para one", "para two"]}, "record's 'text' is a list, not a string; fix the record"),
    ({"text": {"body": "x"}}, "record's 'text' is an object, not a string; fix the record"),
    ({"text": 42}, "record's 'text' is a number, not a string; fix the record"),
    ({"text": True}, "record's 'text' is true/false, not a string; fix the record"),
    ({"body": ["a"]}, "record's 'body' is a list, not a string; fix the record"),
    ({"text": "", "content": 1.5}, "record's 'content' is a number, not a string; fix the record"),
])
def test_record_whose_text_is_not_a_string_is_skipped(tmp_path, record, reason):
    path = tmp_path / "feed.jsonl"
    path.write_text(jsonl({"title": "T", **record}))
    assert read(path) == [Skip(f"{path}#1", reason)]


def test_coercion_warnings_reach_the_build_report(build, tmp_path):
    feed = tmp_path / "corpus" / "feed.jsonl"
    feed.parent.mkdir()
    feed.write_text(jsonl({**json_record("storm"), "url": 42, "title": ["Storm", "floods"]}))
    report = build([feed.parent])
    assert len(report.added) == 1
    assert any("record #1: 'url' is a number (42)" in w for w in report.warnings)
    assert any("record #1: 'title' is a list" in w for w in report.warnings)


# --- input the parsers choke on costs its line, our own bugs surface -----------------------

@pytest.mark.parametrize("bad_line, problem", [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),  # json raises RecursionError
    ('{"title": "x", "text": ' + "9" * 5000 + "}", "digits"),  # integers past Python's limit
])
def test_jsonl_line_the_json_parser_chokes_on_is_skipped_alone(tmp_path, bad_line, problem):
    path = tmp_path / "feed.jsonl"
    path.write_text(jsonl(json_record("storm", "https://x/1")) + bad_line + "\n"
                    + jsonl(json_record("markets", "https://x/2")))
    items = read(path)
    assert shape(items) == ["Document", "Skip", "Document"]
    assert items[1].path == f"{path}#2" and problem in items[1].reason


def test_a_bug_in_our_own_reading_code_is_not_hidden_as_unparsable_input(tmp_path, monkeypatch):
    import embeddings.ingest as ingest

    def broken(*args, **kwargs):
        raise TypeError("a bug")

    monkeypatch.setattr(ingest, "_record_to_doc", broken)
    path = tmp_path / "feed.jsonl"
    path.write_text(jsonl(json_record("storm", "https://x/1")))
    with pytest.raises(TypeError, match="a bug"):
        read(path)


def test_half_a_surrogate_pair_becomes_a_replacement_character_and_builds(build, tmp_path):
    record = json_record("storm", "https://x/\ud800")
    record["title"] = "Storm \ud800 floods"
    feed = tmp_path / "corpus" / "feed.jsonl"
    feed.parent.mkdir()
    feed.write_text(json.dumps(record) + "\n")  # ensure_ascii: the file holds "\\ud800" escapes
    (doc,) = read(feed)
    assert doc.title == "Storm \ufffd floods" and doc.url == "https://x/\ufffd"
    assert len(build([feed.parent]).added) == 1


def test_a_file_edited_into_a_stub_leaves_the_index(build, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    story = corpus / "story.txt"
    story.write_text(article_text("storm"))
    assert len(build([corpus]).added) == 1
    story.write_text("Storm\n\nNothing here.\n")
    report = build([corpus])
    assert [s.reason for s in report.skipped] == ["too short to be an article (2 words)"]
    assert len(report.removed) == 1 and report.articles == 0


# --- code inside an HTML page is not article text ------------------------------------------

SCRIPTED_PAGE = """<html><head><title>Quillmoor <script>alert('t')</script>lighthouse</title>
<style>h1 { color: red }</style>
<script type="application/ld+json">{"@type": "NewsArticle", "author": {"name": "Ada Reyes"},
 "datePublished": "2026-03-02"}</script></head>
<body><article><h1>Quillmoor <script>alert('h1')</script>lighthouse reopens</h1>
<p>The Quillmoor lighthouse reopened on Monday after a two-year restoration <script>alert('p')</script>that
cost the county 3.1 million pounds, the harbour master said.</p><noscript>Enable JavaScript to read on.</noscript>
<p>Visitors can climb its 142 steps from April, and the keeper's cottage now holds a small museum about the
wrecks along this stretch of coast. <template><b>template text</b></template>Tickets go on sale next week.</p>
</article></body></html>"""


def test_script_style_noscript_and_template_text_never_reach_title_or_body():
    from embeddings.ingest import extract_html

    doc = extract_html(SCRIPTED_PAGE)
    shown = doc["title"] + "\n" + doc["text"]
    for code in ("alert(", "color: red", "Enable JavaScript", "template text"):
        assert code not in shown, (code, shown)
    assert doc["title"].startswith("Quillmoor") and "lighthouse" in doc["title"]
    assert "3.1 million pounds" in doc["text"] and "Tickets go on sale" in doc["text"]
    assert doc["publish_date"] == "2026-03-02"  # the JSON-LD metadata is still read
