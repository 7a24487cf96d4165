"""Small builders for qa's answer types, shared by the web UI tests."""

from __future__ import annotations

from qa import ABSTENTION
from qa.types import Answer, Citation, Passage, RelatedArticle, Retrieved, Timings

SEED_TITLE = "Venezuela looks to rebuild diplomatic ties with US"
SEED_PASSAGE = ("Washington and Caracas have signalled they are seeking cooperation. "
                "His vice president, Delcy Rodriguez, took over as interim leader. "
                "The State Department said officials were assessing embassy operations.")
SEED_QUOTE = "His vice president, Delcy Rodriguez, took over as interim leader."


def passage(n: int = 1, *, article_id: str = "a1", title: str = SEED_TITLE, source: str = "Reuters",
            date: str = "2026-01-10", url: str = "https://example.com/venezuela", text: str = SEED_PASSAGE) -> Passage:
    return Passage(n=n, chunk_id=n, article_id=article_id, title=title, source=source, date=date, url=url,
                   path="seeds/a.txt", text=text, start=0, end=len(text), shown=text, score=0.9)


def citation(n: int = 1, *, article_id: str = "a1", title: str = SEED_TITLE, source: str = "Reuters",
             date: str = "2026-01-10", url: str = "https://example.com/venezuela", passage_text: str = SEED_PASSAGE,
             quote: str = SEED_QUOTE) -> Citation:
    return Citation(n=n, article_id=article_id, title=title, source=source, date=date, url=url,
                    passage=passage_text, quote=quote, start=0, end=len(quote), score=0.8)


def answer(text: str = "Delcy Rodriguez became interim leader [1].", citations=None, *, question: str = "Who leads?",
           abstained: bool = False, related=(), passages=None, unsupported=()) -> Answer:
    citations = (citation(),) if citations is None else tuple(citations)
    passages = (passage(),) if passages is None else tuple(passages)
    return Answer(question=question, text=text, citations=citations, passages=passages, abstained=abstained,
                  model="fake-model", timings=Timings(0.1, 0.5, 1.2), standalone_question=question,
                  related=tuple(related), unsupported=tuple(unsupported))


def abstention(related=None) -> Answer:
    related = (RelatedArticle("a1", SEED_TITLE, "Reuters", "2026-01-10", ""),) if related is None else related
    return answer(ABSTENTION, (),
                  abstained=True, related=related, passages=())


def retrieved(*passages: Passage) -> Retrieved:
    return Retrieved(tuple(passages) or (passage(),), "Who leads?")
