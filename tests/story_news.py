"""A small made-up news collection with known stories, for the stories, briefing and
watchlist tests: three events, each reported by several outlets over a few days, and two
articles that belong to no other story."""

from __future__ import annotations

import json
from pathlib import Path

# (story, title, outlet, date, text); the texts share the words their story is about.
ARTICLES = [
    ("flood", "River Elbe floods Dresden old town", "Reuters", "2026-03-02",
     "The river Elbe burst its banks in Dresden on Monday, flooding the old town. Firefighters evacuated "
     "two hundred residents as the water rose above seven metres, the city said."),
    ("flood", "Dresden evacuates residents as Elbe flood peaks", "AP", "2026-03-03",
     "Dresden firefighters evacuated residents of the old town as the Elbe flood peaked at seven metres "
     "on Tuesday. The river is expected to fall by Thursday, the city said."),
    ("flood", "Elbe flood in Dresden recedes, damage counted", "BBC", "2026-03-04",
     "The Elbe flood in Dresden began to recede on Wednesday and residents of the old town returned "
     "to count the damage, which the city put at forty million euros."),
    ("mission", "Lunar lander Artemis Kestrel touches down near south pole", "Reuters", "2026-03-03",
     "The Kestrel lunar lander touched down near the moon's south pole on Tuesday, the space agency "
     "said, carrying a drill to look for ice in the crater's shadow."),
    ("mission", "Kestrel lander drill finds ice at lunar south pole", "AP", "2026-03-04",
     "The Kestrel lunar lander's drill found ice near the moon's south pole, the space agency said on "
     "Wednesday, a day after the lander touched down in the crater's shadow."),
    ("strike", "Rail workers strike halts trains across Portugal", "Reuters", "2026-03-04",
     "A rail workers strike halted trains across Portugal on Wednesday as unions demanded higher pay; "
     "the rail operator cancelled nine in ten trains."),
    ("strike", "Portugal rail strike enters second day as unions talk pay", "BBC", "2026-03-05",
     "The rail workers strike in Portugal entered a second day on Thursday, trains stayed in depots and "
     "unions met the rail operator to talk about pay."),
    ("other", "Bakery wins national sourdough prize", "Local Times", "2026-03-05",
     "A family bakery in Leeds won the national sourdough prize for a rye loaf baked in a wood oven, "
     "the judges announced."),
    ("other", "Chess prodigy, 11, beats grandmaster", "Chess News", "2026-02-10",
     "An eleven year old chess prodigy beat a grandmaster in a rapid game at the Hastings congress, "
     "the youngest player ever to do so there."),
]


def write_corpus(folder: Path, articles=ARTICLES, name: str = "news.jsonl") -> Path:
    """Write ``articles`` as one JSONL input file in ``folder``; returns the file."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    with path.open("w", encoding="utf-8") as fh:
        for n, (_, title, outlet, day, text) in enumerate(articles):
            fh.write(json.dumps({"title": title, "text": text, "publish_date": day, "source": outlet,
                                 "url": f"https://news.example/{day}/{n}"}) + "\n")
    return path


def story_of(title: str) -> str:
    return next(story for story, t, *_ in ARTICLES if t == title)
