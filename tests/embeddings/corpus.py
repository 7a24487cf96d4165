"""Small hand-written articles for build and search tests, and helpers that write them.

Each article has its own vocabulary (storm, Venezuela, football, markets), so with the
bag-of-words FakeEmbedder and with BM25 a question about one topic finds that article.
"""

from __future__ import annotations

import json
from pathlib import Path

from embeddings import SearchFilters

ARTICLES = {
    "storm": {
        "title": "Storm floods northern coast",
        "byline": "Daily News",
        "date": "March 4, 2025",
        "iso": "2025-03-04",
        "body": [
            "A powerful storm flooded the northern coast on Tuesday, forcing thousands of residents "
            "to leave their homes as rivers burst their banks near the harbour.",
            "Officials said emergency shelters had opened in three towns. Rescue teams in boats "
            "worked through the night to reach families stranded on rooftops.",
            "The weather service expects the rain to ease by Thursday, although gales will keep "
            "battering the shore and ferries remain cancelled until the weekend.",
        ],
    },
    "venezuela": {
        "title": "Venezuela looks to rebuild diplomatic ties with US",
        "byline": "Reuters",
        "date": "January 10, 2026",
        "iso": "2026-01-10",
        "body": [
            "Venezuela's government has begun exploring the potential to expand diplomatic ties "
            "with the United States, with State Department officials travelling to Caracas.",
            "Washington and Caracas have signalled they are seeking cooperation since the capture "
            "of President Nicolas Maduro. His vice president, Delcy Rodriguez, took over as "
            "interim leader.",
            "A Venezuelan delegation will also be sent to the US to carry out assessments of "
            "embassy buildings, the government said in a statement.",
        ],
    },
    "football": {
        "title": "United win the cup final on penalties",
        "byline": "Associated Press",
        "date": "May 20, 2025",
        "iso": "2025-05-20",
        "body": [
            "United won the cup final on penalties after a goalless draw at a packed stadium, "
            "their goalkeeper saving two spot kicks in the shootout.",
            "The manager praised his defenders for a disciplined display. Supporters celebrated "
            "in the streets around the ground until late in the evening.",
            "It is the club's first trophy in nine seasons and secures a place in next year's "
            "European competition.",
        ],
    },
    "markets": {
        "title": "Asian markets fall on interest rate fears",
        "byline": "Bloomberg",
        "date": "November 2, 2025",
        "iso": "2025-11-02",
        "body": [
            "Asian shares fell sharply on Monday as investors worried that central banks would "
            "keep interest rates high for longer, with the Nikkei index down three percent.",
            "Bond yields rose and the yen weakened against the dollar. Traders said technology "
            "stocks led the losses in Tokyo, Seoul and Hong Kong.",
            "Analysts expect volatility to continue until inflation figures are published later "
            "this month.",
        ],
    },
}


def article_text(name: str, extra: str = "") -> str:
    """The article as a seed-style text file: headline, byline, date line, paragraphs."""
    a = ARTICLES[name]
    body = "\n\n".join(a["body"] + ([extra] if extra else []))
    return f"{a['title']}\n\nBy {a['byline']}\n{a['date']}\n\n{body}\n"


def write_article(folder: Path, name: str, filename: str | None = None, extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (filename or f"{name}.txt")
    path.write_text(article_text(name, extra), encoding="utf-8")
    return path


def write_corpus(folder: Path, names=("storm", "venezuela", "football")) -> Path:
    for name in names:
        write_article(folder, name)
    return folder


def json_record(name: str, url: str | None = None) -> dict:
    a = ARTICLES[name]
    record = {"title": a["title"], "text": "\n\n".join(a["body"]), "authors": [a["byline"]],
              "publish_date": a["iso"].replace("-", "/")}
    if url:
        record["url"] = url
    return record


def jsonl(*records: dict) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


# Search filters over the four dated ARTICLES and the names of the articles each lets through;
# every backend's tests add their own cases (an undated article, quoting in a filter expression).
DATED_FILTERS = [
    (SearchFilters(date_from="2025-06-01"), {"venezuela", "markets"}),
    (SearchFilters(date_to="2025-04-01"), {"storm"}),
    (SearchFilters(date_from="2025-05-20", date_to="2025-05-20"), {"football"}),  # inclusive
    (SearchFilters(date_from="2025-03-05", date_to="2025-05-19"), set()),
    (SearchFilters(sources=("reuters",)), {"venezuela"}),  # case-insensitive
    (SearchFilters(sources=("Bloomberg", "Associated Press")), {"markets", "football"}),
    (SearchFilters(sources=("Reuters",), date_to="2025-12-31"), set()),
]
