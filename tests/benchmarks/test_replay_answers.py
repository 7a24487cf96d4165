import dataclasses

from benchmarks.replay_answers import replay
from embeddings import Settings
from tests.webui import factories as f


def _row(raw: str, passage_date: str) -> dict:
    passage = dataclasses.replace(f.passage(), date=passage_date)
    return {"id": "q1", "date": "2026/01/12", "question": "Who became the interim leader?", "gold": ["Rodriguez"],
            "raw": raw, "passages": [dataclasses.asdict(passage)], "answer": "", "abstained": False,
            "citations": [], "dated": ""}


def test_replay_checks_the_stored_answer_again():
    row = replay(_row("Delcy Rodriguez became interim leader [1].", "2026-01-10"), Settings())
    assert not row["abstained"] and row["answer"] == "Delcy Rodriguez became interim leader [1]."
    assert len(row["citations"]) == 1 and row["dated"] == ""


def test_replay_applies_the_stale_answer_policy():
    old = _row("Delcy Rodriguez became interim leader [1].", "2025-06-01")
    assert replay(old, Settings()).get("dated", "").startswith("No article from the last 30 days")
    assert replay(old, Settings(stale_answers="abstain"))["abstained"]


def test_replay_drops_an_answer_whose_name_no_passage_holds():
    row = replay(_row("Maria Lopez became interim leader [1].", "2026-01-10"), Settings())
    assert row["abstained"]
