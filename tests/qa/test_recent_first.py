from datetime import date

from embeddings import ChunkRecord
from qa.retrieve import Hit, recent_first

AS_OF = date(2025, 3, 20)


def hit(cid, score, published):
    chunk = ChunkRecord(cid, f"a{cid}", 0, 0, 1, "x", 1, "", "", published, "", "")
    return Hit(chunk, score, 0.5, 0.5)


def test_recent_hits_scoring_half_the_best_go_first_in_their_order():
    hits = [hit(1, 0.9, "2024-11-01"), hit(2, 0.6, "2025-03-18"), hit(3, 0.5, "2024-12-01"),
            hit(4, 0.46, "2025-03-01"), hit(5, 0.2, "2025-03-19")]
    assert [h.chunk.id for h in recent_first(hits, AS_OF, 30)] == [2, 4, 1, 3, 5]  # 5 scores too low


def test_nothing_recent_keeps_the_order():
    hits = [hit(1, 0.9, "2024-11-01"), hit(2, 0.6, ""), hit(3, 0.5, "2025-04-01")]  # undated, in the future
    assert [h.chunk.id for h in recent_first(hits, AS_OF, 30)] == [1, 2, 3]
    assert recent_first([], AS_OF, 30) == []
