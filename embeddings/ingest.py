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
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Iterator

from .clean import clean_text, is_noise_line, normalize_line, normalize_text

TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}
PDF_SUFFIXES = {".pdf"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSON_SUFFIXES | PDF_SUFFIXES


@dataclass(frozen=True)
class Document:
    """One article as read from a source, before cleaning."""

    key: str  # what makes two records the same article: the URL, else the file (and line)
    title: str
    text: str
    byline: str
    publish_date: str  # ISO 8601 (YYYY-MM-DD) or ""
    url: str
    path: str
    raw_hash: str  # hash of the raw record: an unchanged record is never re-processed
    warnings: tuple[str, ...] = field(default=())

    @property
    def article_id(self) -> str:
        return article_id_for(self.key)


@dataclass(frozen=True)
class Skip:
    """An input that was not indexed, and why."""

    path: str
    reason: str


def article_id_for(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def suffix_of(path: Path) -> str:
    """The format suffix, looking through a trailing ``.gz``."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz" and len(suffixes) > 1:
        return suffixes[-2]
    return path.suffix.lower()


def iter_files(root: Path) -> Iterator[Path]:
    """Files under ``root`` (or ``root`` itself), sorted, hidden ones left out."""
    if root.is_file():
        yield root
        return
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).parts
        if path.is_file() and not any(part.startswith(".") for part in rel):
            yield path


def read_source(root: Path, max_file_bytes: int, max_article_chars: int) -> Iterator[Document | Skip]:
    """Yield every article (or skip) found under one source path.

    Args:
        root: a file or a folder (read recursively).
        max_file_bytes: files larger than this are skipped.
        max_article_chars: article bodies are cut to this length, with a warning.
    """
    for path in iter_files(root):
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
            yield Skip(shown, f"file is {_megabytes(size)}, over the {_megabytes(max_file_bytes)} "
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
                yield _cap(doc, max_article_chars) if isinstance(doc, Document) else doc
        except (OSError, EOFError, zlib.error) as exc:  # unreadable, or a truncated/corrupt .gz
            yield Skip(shown, _one_line(f"cannot read: {exc}"))
        except Exception as exc:  # a parser library choking on odd input must not end the build
            yield Skip(shown, _one_line(f"could not parse ({exc.__class__.__name__}: {exc})"))


def _megabytes(n: float) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n / 1e6:.2g} MB"


def _one_line(reason: str) -> str:
    return " ".join(reason.split())[:300]


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, decompressed when it ends in ``.gz`` (``a.txt.gz``, ``a.jsonl.gz``)."""
    if path.suffix.lower() == ".gz":
        with gzip.open(path, "rb") as fh:
            return fh.read()
    return path.read_bytes()


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path.resolve())


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


def _extract_html(html: str) -> dict | None:
    import trafilatura

    # Without extensive_search, htmldate dates a page from its copyright line ("© 2026" ->
    # 2026-01-01), which would put undated articles into date-filtered results.
    doc = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False,
                                      date_extraction_params={"extensive_search": False,
                                                              "original_date": True})
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
    text = decode_bytes(_read_bytes(path))
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
        except json.JSONDecodeError as exc:
            if body.startswith("["):
                yield Skip(shown, f"malformed JSON ({exc.msg} at line {exc.lineno}); fix the file")
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
    for n, line in enumerate(body.split("\n"), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Skip(f"{shown}#{n}", f"malformed JSON line ({exc.msg}); line skipped")
            continue
        yield _record_to_doc(record, f"{shown}#{n}", line.encode("utf-8"))


def _record_to_doc(record, where: str, raw: bytes) -> Document | Skip:
    if not isinstance(record, dict):
        return Skip(where, "JSON record is not an object with 'title' and 'text'")
    text = record.get("text") or record.get("body") or record.get("content") or ""
    if not isinstance(text, str) or not text.strip():
        return Skip(where, "record has no 'text'")
    authors = record.get("authors") or record.get("author") or record.get("source") or ""
    if isinstance(authors, list):
        authors = ", ".join(str(a) for a in authors if a)
    url = str(record.get("url") or "").strip()
    return Document(
        key=url or where,
        title=normalize_line(str(record.get("title") or "")),
        text=text,
        byline=normalize_line(str(authors)),
        publish_date=normalize_date(str(record.get("publish_date") or record.get("date") or "")),
        url=url,
        path=where.rsplit("#", 1)[0],
        raw_hash=_hash_bytes(raw),
    )


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

