"""Read articles from files and folders: text/Markdown, HTML, JSON/JSONL and PDF, each
optionally gzipped (``.jsonl.gz``, ``.txt.gz``).

Every problem with one input becomes a ``Skip`` with a one-line reason; reading never
raises for bad content, so one broken file cannot abort a build.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import zlib
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from .boilerplate import not_an_article
from .clean import clean_text, is_noise_line, normalize_line, normalize_text
from .files import format_size
from .walk import Skip, display_path, iter_files

TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}
PDF_SUFFIXES = {".pdf"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSON_SUFFIXES | PDF_SUFFIXES


@dataclass(frozen=True)
class Document:
    """One article as read from an input (a file or folder to index), before cleaning."""

    key: str  # what makes two records the same article: the URL, else the file (and line)
    title: str
    text: str
    byline: str
    publish_date: str  # ISO 8601 (YYYY-MM-DD) or ""
    url: str
    path: str
    raw_hash: str  # hash of the raw record: an unchanged record is never re-processed
    warnings: tuple[str, ...] = field(default=())
    origin: str = ""  # where a skip of it points: the file, or "file#n" for one JSON record

    @property
    def article_id(self) -> str:
        return article_id_for(self.key)


def article_id_for(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def suffix_of(path: Path) -> str:
    """The format suffix, looking through a trailing ``.gz``."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz" and len(suffixes) > 1:
        return suffixes[-2]
    return path.suffix.lower()


def read_input(root: Path, max_file_bytes: int, max_article_chars: int) -> Iterator[Document | Skip]:
    """Yield every article (or skip) found under one input path.

    Args:
        root: a file or a folder (read recursively; see ``iter_files``).
        max_file_bytes: files larger than this are skipped.
        max_article_chars: article bodies are cut to this length, with a warning.

    Returns:
        An iterator of ``Document`` and ``Skip`` items, in file order; a text that is too
        short or only site chrome (see ``boilerplate.not_an_article``) comes as a ``Skip``.
    """
    for path in iter_files(root):
        if isinstance(path, Skip):
            yield path
            continue
        shown = display_path(path)
        kind = suffix_of(path)
        if kind not in SUPPORTED_SUFFIXES:
            yield Skip(shown, f"unsupported file type '{path.suffix or path.name}' "
                              f"(supported: {', '.join(sorted(SUPPORTED_SUFFIXES))})")
            continue
        try:
            size = path.stat().st_size
        except OSError as exc:
            yield Skip(shown, f"cannot read: {exc.strerror}")
            continue
        if size == 0:
            yield Skip(shown, "empty file")
            continue
        if size > max_file_bytes:
            yield Skip(shown, f"file is {format_size(size)}, over the {format_size(max_file_bytes)} "
                              "cap (raise NEWSDESK_MAX_FILE_MB to index it)")
            continue
        try:
            if kind in JSON_SUFFIXES:
                docs = _read_json(path, shown)
            elif kind in PDF_SUFFIXES:
                docs = _read_pdf(path, shown)
            else:
                docs = _read_textual(path, shown, html=kind in HTML_SUFFIXES)
            for doc in docs:
                yield _vetted(doc, max_article_chars) if isinstance(doc, Document) else doc
        except (OSError, EOFError, zlib.error) as exc:  # unreadable, or a truncated/corrupt .gz
            yield Skip(shown, _one_line(f"cannot read: {exc}"))
        except (ValueError, RecursionError, LookupError) as exc:  # what odd input makes the parsers raise
            yield Skip(shown, _one_line(f"could not parse ({exc.__class__.__name__}: {exc})"))


def _vetted(doc: Document, max_article_chars: int) -> Document | Skip:
    # Judged on the whole cleaned body, before the cap: a long article stays one.
    reason = not_an_article(clean_text(doc.text))
    if reason:
        return Skip(doc.origin or doc.path, reason, keeps_indexed=False)
    return _cap(_without_surrogates(doc), max_article_chars)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_surrogates(doc: Document) -> Document:
    # JSON may escape half a UTF-16 pair ("\ud800"): such a string cannot be written as
    # UTF-8 (the content hash, SQLite), so the half becomes U+FFFD.
    fields = {k: _SURROGATE.sub("\ufffd", v) for k, v in doc.__dict__.items()
              if isinstance(v, str) and _SURROGATE.search(v)}
    return replace(doc, **fields) if fields else doc


def _one_line(reason: str) -> str:
    return " ".join(reason.split())[:300]


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, decompressed when it ends in ``.gz`` (``a.txt.gz``, ``a.jsonl.gz``)."""
    if path.suffix.lower() == ".gz":
        with gzip.open(path, "rb") as fh:
            return fh.read()
    return path.read_bytes()


def _cap(doc: Document, limit: int) -> Document:
    if len(doc.text) <= limit:
        return doc
    cut = doc.text.rfind("\n", 0, limit)
    cut = cut if cut > limit // 2 else limit
    warning = f"article is {len(doc.text):,} characters; indexed the first {cut:,}"
    return Document(**{**doc.__dict__, "text": doc.text[:cut], "warnings": doc.warnings + (warning,)})


# --- text, Markdown and HTML -------------------------------------------------------------

def decode_bytes(data: bytes) -> str | None:
    """Decode text of unknown encoding; ``None`` when it is binary."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    if b"\x00" in data[:8192]:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Non-UTF-8 news text is nearly always Windows-1252 (a superset of Latin-1 in practice),
    # and charset detection mislabels short Western texts (as cp1250, even cp1006: "résumé"
    # came back as "rﻠsumﻠ"). Latin-script text decoded right is mostly ASCII letters; a
    # Cyrillic or Greek code page read as cp1252 is not, and goes on to detection.
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = None
    if text is not None and _mostly_ascii_letters(text):
        return text
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    return str(best) if best is not None else None


def _mostly_ascii_letters(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return sum(ord(ch) > 127 for ch in letters) <= 0.3 * len(letters)


def _read_textual(path: Path, shown: str, html: bool) -> Iterator[Document | Skip]:
    data = _read_bytes(path)
    text = decode_bytes(data)
    if text is None:
        yield Skip(shown, "binary or undecodable file, not text")
        return
    if not text.strip():
        yield Skip(shown, "no text in file")
        return
    if html:
        fields = _extract_html(text)
        if fields is None:
            yield Skip(shown, "no article text found in the HTML page")
            return
    else:
        fields = parse_text_article(text)
    if not clean_text(fields["text"]):  # e.g. only a headline and a stray "close"
        yield Skip(shown, "no article body after the headline")
        return
    # Identity by absolute path, so a build run from another folder finds the same articles.
    key = fields.get("url") or str(path.resolve())
    yield Document(key=key, path=shown, raw_hash=_hash_bytes(data), **fields)


def extract_html(html: str) -> dict | None:
    """The article in an HTML page, as a build reads an ``.html`` file (trafilatura).

    Returns:
        ``title``, ``text``, ``byline``, ``publish_date`` (ISO or ``""``) and ``url``; ``None``
        when the page holds no article text.

    Raises:
        ValueError: the markup made the extractor fail.
    """
    return _extract_html(html)


def _extract_html(html: str) -> dict | None:
    import trafilatura

    # Without extensive_search, htmldate dates a page from its copyright line ("© 2026" ->
    # 2026-01-01), which would put undated articles into date-filtered results.
    try:
        doc = trafilatura.bare_extraction(_without_code(html), with_metadata=True, include_comments=False,
                                          date_extraction_params={"extensive_search": False,
                                                                  "original_date": True})
    except Exception as exc:  # lxml and htmldate raise many kinds on odd markup: the page's fault
        raise ValueError(f"HTML extraction failed: {exc.__class__.__name__}: {exc}") from exc
    if doc is None or not (doc.text or "").strip():
        return None
    text = doc.text
    title = normalize_line(doc.title or "")
    if title and text.startswith(title):  # trafilatura repeats the <h1> as the first line
        text = text[len(title):].lstrip()
    return {
        "title": title,
        "text": text,
        "byline": normalize_line(doc.author or doc.sitename or ""),
        "publish_date": normalize_date(doc.date or ""),
        "url": doc.url or "",
    }


# Elements whose text is never article text. trafilatura drops them from the body but not
# from a title: "<h1>Quillmoor <script>alert('h1')</script> lighthouse</h1>" was titled
# "Quillmoor alert('h1') lighthouse". JSON-LD stays: it is where many pages keep the author
# and date, and it is read as metadata, never as text.
_CODE_TAGS = ("script", "style", "noscript", "template")


def _without_code(html: str) -> str:
    import lxml.etree
    import lxml.html

    try:
        tree = lxml.html.fromstring(html)
    except (lxml.etree.ParserError, ValueError):  # empty or not markup: trafilatura says so
        return html
    code = [el for el in tree.iter(*_CODE_TAGS)
            if not (el.tag == "script" and "ld+json" in (el.get("type") or "").lower())]
    if not code:
        return html
    for el in code:
        el.drop_tree()  # keeps the tail text after the element
    return lxml.html.tostring(tree, encoding="unicode")


_BYLINE = re.compile(r"^(by|from)\s+\S", re.IGNORECASE)
_MAX_HEADLINE_CHARS = 200


def _looks_like_headline(line: str) -> bool:
    # A first line that reads as a full sentence of some length is the opening paragraph of
    # an article without a headline; taking it as the title would drop it from the body.
    return len(line) <= _MAX_HEADLINE_CHARS and (len(line) <= 80 or not line.endswith("."))


def parse_text_article(text: str) -> dict:
    """Split a plain-text/Markdown article into headline, byline, date and body.

    The shape is the seed's: an optional noise line, the headline, a standfirst, a byline
    such as "By Reuters", a date line, then the body. The headline, byline and date lines
    leave the body; everything else stays in it.
    """
    lines = normalize_text(text).split("\n")
    title, byline, published = "", "", ""
    header_used: set[int] = set()
    seen_content = 0
    for i, raw in enumerate(lines):
        line = normalize_line(raw)
        if not line or is_noise_line(line):
            continue
        seen_content += 1
        if seen_content > 8:
            break
        if seen_content == 1:
            candidate = line.lstrip("#").strip()
            if _looks_like_headline(candidate):
                title = candidate
                header_used.add(i)
        elif not byline and len(line) < 100 and _BYLINE.match(line):
            byline = re.sub(r"^(by|from)\s+", "", line, flags=re.IGNORECASE).strip()
            header_used.add(i)
        elif not published and len(line) < 40 and (iso := normalize_date(line)):
            published = iso
            header_used.add(i)
    body = "\n".join(l for i, l in enumerate(lines) if i not in header_used)
    return {"title": title, "text": body, "byline": byline, "publish_date": published, "url": ""}


def normalize_date(value: str) -> str:
    """An ISO 8601 date (YYYY-MM-DD) from any common date spelling, or ``""``."""
    value = (value or "").strip()
    if not value or not any(ch.isdigit() for ch in value):
        return ""
    from dateutil import parser

    try:
        parsed: datetime = parser.parse(value, default=datetime(1900, 1, 1))
    except (ValueError, OverflowError, TypeError):
        return ""
    if parsed.year == 1900:  # no year in the string: too vague to filter on
        return ""
    return parsed.date().isoformat()


# --- JSON / JSONL ------------------------------------------------------------------------

def _read_json(path: Path, shown: str) -> Iterator[Document | Skip]:
    data = _read_bytes(path)
    text = decode_bytes(data)
    if text is None and not data.lstrip().startswith(b"["):
        # A NUL byte or a bad byte sequence in one line must not cost the other lines their
        # records: decide line by line, as for a malformed line.
        yield from _read_jsonl(_decode_lines(data), shown)
        return
    if text is None:
        yield Skip(shown, "binary or undecodable file, not JSON")
        return
    body = text.strip()
    if not body:
        yield Skip(shown, "no records in file")
        return
    whole = None
    if body.startswith("[") or (suffix_of(path) == ".json" and body.startswith("{")):
        try:
            whole = json.loads(body)
        except (ValueError, RecursionError) as exc:  # RecursionError: nesting thousands deep
            if body.startswith("["):
                yield Skip(shown, f"malformed JSON ({_json_problem(exc)}); fix the file")
                return
            # A .json file holding one object per line: read it as JSONL below.
    if isinstance(whole, dict):
        whole = [whole]
    if isinstance(whole, list):
        for n, record in enumerate(whole, 1):
            raw = json.dumps(record, sort_keys=True).encode()
            yield _record_to_doc(record, f"{shown}#{n}", raw)
        return
    # Split on "\n" only: JSON strings may hold U+2028, which splitlines() would break on.
    yield from _read_jsonl([(line, "") for line in body.split("\n")], shown)


def _decode_lines(data: bytes) -> list[tuple[str, str]]:
    """Each line of a JSONL file decoded on its own: (text, "") or ("", what is wrong)."""
    raw_lines = data.split(b"\n")
    while raw_lines and not raw_lines[0].strip():  # numbered as the whole-file path numbers them
        raw_lines.pop(0)
    lines = []
    foreign: list[int] = []  # lines that are not UTF-8
    for i, raw in enumerate(raw_lines):
        if b"\x00" in raw:
            lines.append(("", "NUL byte in line (binary data)"))
            continue
        try:
            lines.append((raw.decode("utf-8-sig" if i == 0 else "utf-8"), ""))
        except UnicodeDecodeError:
            lines.append(("", "undecodable bytes in line"))
            foreign.append(i)
    if foreign:
        # One guess for all non-UTF-8 lines, as for a whole file: a line alone is too short
        # to tell its code page.
        guessed = decode_bytes(b"\n".join(raw_lines[i] for i in foreign))
        parts = guessed.split("\n") if guessed is not None else []
        if len(parts) == len(foreign):
            for i, part in zip(foreign, parts):
                lines[i] = (part, "")
    return lines


def _read_jsonl(lines: list[tuple[str, str]], shown: str) -> Iterator[Document | Skip]:
    """Records of a JSONL file, one Skip per bad line; one Skip when it is not JSONL at all."""
    items: list[Document | Skip] = []
    binary = found_record = False
    for n, (line, problem) in enumerate(lines, 1):
        if not problem and "\x00" in line:
            problem = "NUL byte in line (binary data)"
        if problem:
            binary = True
            items.append(Skip(f"{shown}#{n}", f"{problem}; line skipped"))
            continue
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError) as exc:
            items.append(Skip(f"{shown}#{n}", f"malformed JSON line ({_json_problem(exc, at_line=False)}); "
                                              "line skipped"))
            continue
        found_record = found_record or isinstance(record, dict)
        items.append(_record_to_doc(record, f"{shown}#{n}", line.encode("utf-8")))
    if binary and not found_record:
        # An image or archive named .jsonl is one problem, not thousands of "line skipped".
        yield Skip(shown, "binary or undecodable file, not JSON")
    else:
        yield from items


def _json_problem(exc: Exception, at_line: bool = True) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno}" if at_line else exc.msg
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return _one_line(str(exc))[:120]  # e.g. an integer of thousands of digits


_TYPE_NAMES = {bool: "true/false", int: "a number", float: "a number", list: "a list", dict: "an object"}


def _type_name(value) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _short(value) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."


def _first(record: dict, names: tuple[str, ...]) -> tuple[str, object]:
    """The first of ``names`` with a value (``""``, ``[]``, ``{}`` and ``null`` do not count)."""
    for name in names:
        if record.get(name) not in (None, "", [], {}):
            return name, record[name]
    return names[0], None


def _record_to_doc(record, where: str, raw: bytes) -> Document | Skip:
    if not isinstance(record, dict):
        return Skip(where, "JSON record is not an object with 'title' and 'text'")
    name, text = _first(record, ("text", "body", "content"))
    if text is None or (isinstance(text, str) and not text.strip()):
        return Skip(where, "record has no 'text'")
    if not isinstance(text, str):
        return Skip(where, f"record's '{name}' is {_type_name(text)}, not a string; fix the record")
    # Scrapers write the other fields in many shapes; a wrong one is coerced or left out with
    # a warning, never stored as its Python repr ("['a', 'b']").
    warnings: list[str] = []
    fields = {}
    for field_name, names, coerce in (("title", ("title",), _as_title),
                                      ("byline", ("authors", "author", "source"), _as_byline),
                                      ("publish_date", ("publish_date", "date"), _as_date),
                                      ("url", ("url",), _as_url)):
        name, value = _first(record, names)
        fields[field_name], problem = coerce(value)
        if problem:
            warnings.append(f"record #{where.rsplit('#', 1)[1]}: '{name}' {problem}")
    return Document(
        key=fields["url"] or where,
        text=text,
        path=where.rsplit("#", 1)[0],
        raw_hash=_hash_bytes(raw),
        warnings=tuple(warnings),
        origin=where,
        **fields,
    )


# Each coercion returns (value, problem): the problem, when there is one, completes
# "record #3: 'title' ..." in the build report.

def _as_title(value) -> tuple[str, str]:
    if value is None or isinstance(value, str):
        return normalize_line(value or ""), ""
    if isinstance(value, list) and all(isinstance(v, str) or _is_number(v) for v in value):
        return normalize_line(" ".join(str(v) for v in value)), "is a list; joined its items"
    if _is_number(value):
        return str(value), "is a number; used as text"
    return "", f"is {_type_name(value)} ({_short(value)}), not text; left out"


def _as_byline(value) -> tuple[str, str]:
    # A list of names, or of {"name": ...} objects, is a normal shape (NewsAPI's "source" is one).
    items = value if isinstance(value, list) else [] if value is None else [value]
    names, others = [], []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            item = item["name"]
        if isinstance(item, str):
            names.append(normalize_line(item))
        elif item is not None:
            others.append(item)
    problem = ""
    if others and isinstance(value, list):
        problem = f"has items that are not names ({_short(others[0])}); left them out"
    elif others:
        problem = f"is {_type_name(value)} ({_short(value)}), not a name; left out"
    return ", ".join(n for n in names if n), problem


def _as_date(value) -> tuple[str, str]:
    if value is None or isinstance(value, str):
        return normalize_date(value or ""), ""
    if _is_number(value):
        # Feeds that write a date as a number write a Unix timestamp, in seconds or milliseconds.
        for scale, low, high in ((1, 1e8, 1e11), (1000, 1e11, 1e14)):
            if low <= value < high:
                day = datetime.fromtimestamp(value / scale, timezone.utc).date().isoformat()
                return day, f"is a number; read it as a Unix timestamp ({day})"
    return "", f"is {_type_name(value)} ({_short(value)}), not a date; left out"


def _as_url(value) -> tuple[str, str]:
    if value is None or isinstance(value, str):
        return (value or "").strip(), ""
    return "", f"is {_type_name(value)} ({_short(value)}), not a link; left out"


# --- PDF ---------------------------------------------------------------------------------

def _read_pdf(path: Path, shown: str) -> Iterator[Document | Skip]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    data = _read_bytes(path)
    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
        meta = reader.metadata or {}
    # pypdf raises many kinds of error on broken files, not only its own.
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            RecursionError, AssertionError) as exc:
        yield Skip(shown, f"unreadable PDF ({exc.__class__.__name__}); re-export it or convert to text")
        return
    fields = parse_text_article("\n\n".join(pages))
    if meta.get("/Title"):
        fields["title"] = normalize_line(str(meta["/Title"]))
    if not fields["text"].strip():
        yield Skip(shown, "PDF has no extractable text (scanned image?)")
        return
    yield Document(key=str(path.resolve()), path=shown, raw_hash=_hash_bytes(data), **fields)


def _hash_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()

