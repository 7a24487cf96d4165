from datetime import date

from embeddings import ChunkRecord, Settings
from qa.retrieve import Hit, prompt_hits, recent_first, without_stale

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


NOW = "Who leads the port strike this week?"


def test_a_question_about_now_is_shown_no_older_passage_when_a_recent_one_ranks():
    hits = [hit(1, 0.9, "2024-11-01"), hit(2, 0.6, ""), hit(3, 0.5, "2025-03-18"), hit(4, 0.4, "2025-03-21")]
    # The undated one and the one dated the day after stay: neither is known to be old.
    assert [h.chunk.id for h in without_stale(hits, NOW, AS_OF, 30, 0.45)] == [2, 3, 4]


def test_older_passages_stay_when_nothing_is_recent_or_the_question_names_the_past():
    hits = [hit(1, 0.9, "2024-11-01"), hit(2, 0.6, "2024-12-01"), hit(3, 0.5, "2025-03-18")]
    assert [h.chunk.id for h in without_stale(hits[:2], NOW, AS_OF, 30, 0.45)] == [1, 2]
    assert [h.chunk.id for h in without_stale(hits, "Who led the 2024 port strike?", AS_OF, 30, 0.45)] == [1, 2, 3]
    assert without_stale([], NOW, AS_OF, 30, 0.45) == []


def test_the_prompt_looks_for_recent_passages_as_deep_as_the_setting_says():
    ranked = [hit(i, 1 - i / 10, "2024-11-01") for i in range(1, 7)] + [hit(7, 0.2, "2025-03-18")]
    hits = ranked[:4]
    deep, off = Settings(recent_prompt_depth=8), Settings(recent_prompt_depth=0)
    assert [h.chunk.id for h in prompt_hits(hits, ranked, NOW, AS_OF, deep)] == [7]
    assert [h.chunk.id for h in prompt_hits(hits, ranked, NOW, AS_OF, off)] == [1, 2, 3, 4]
    assert [h.chunk.id for h in prompt_hits(hits, ranked, NOW, AS_OF, Settings(recent_prompt_depth=6))] == [1, 2, 3, 4]


def test_with_nothing_left_out_the_model_is_shown_retrieves_own_passages():
    # rank keeps the most probable passage among the k it returns (last, after recent ones):
    # the ranking's first k need not hold it, and the abstention gate read those k.
    ranked = [hit(2, 0.6, "2025-03-18"), hit(3, 0.5, "2025-03-17"), hit(4, 0.4, "2025-03-16"),
              hit(5, 0.3, "2025-03-15"), hit(1, 0.9, "")]
    hits = [*ranked[:3], ranked[4]]
    assert prompt_hits(hits, ranked, NOW, AS_OF, Settings(recent_prompt_depth=8)) == hits


def test_a_recent_passage_about_something_else_does_not_push_an_older_answer_out():
    off_topic = Hit(hit(3, 0.5, "2025-03-18").chunk, 0.5, dense=0.2, coverage=0.3)  # relevance 0.25
    hits = [hit(1, 0.9, "2024-11-01"), off_topic]
    assert [h.chunk.id for h in without_stale(hits, NOW, AS_OF, 30, 0.45)] == [1, 3]
    # Above the floor, but a shared word ("Washington") against an old passage that answers.
    answers = Hit(hit(1, 0.9, "2024-11-01").chunk, 0.9, dense=0.8, coverage=1.0)  # relevance 0.9
    shares_a_word = Hit(off_topic.chunk, 0.5, dense=0.42, coverage=0.5)  # 0.46: under 0.7 of 0.9
    assert [h.chunk.id for h in without_stale([answers, shares_a_word], NOW, AS_OF, 30, 0.45)] == [1, 3]
    nearly = Hit(off_topic.chunk, 0.5, dense=0.6, coverage=0.8)  # 0.7: enough
    assert [h.chunk.id for h in without_stale([answers, nearly], NOW, AS_OF, 30, 0.45)] == [3]


class _Scores:
    """A ranker whose probabilities are the first feature column."""

    def probabilities(self, matrix):
        return matrix[:, 0]


def test_a_deeper_ranking_can_push_the_best_passage_past_the_first_k():
    # Why retrieve_deeper ranks twice: rank keeps the most probable passage among the k it
    # returns, after the recent ones; asked for 8, it may be 8th.
    import numpy as np

    from qa.features import Candidate
    from qa.retrieve import Pool, rank

    days = ["2024-11-01"] + [f"2025-03-{d:02d}" for d in range(10, 19)]
    chunks = [ChunkRecord(i, f"a{i}", 0, 0, 10, f"story{i} word{i} thing{i}", 3, "", "", day, "", "")
              for i, day in enumerate(days)]
    scores = np.asarray([[0.9]] + [[0.6 - i / 100] for i in range(1, len(days))])
    pool = Pool(tuple(Candidate(c, 0.5, 1.0, i, i) for i, c in enumerate(chunks)), scores,
                tuple(0.5 for _ in chunks), recent_days=30, as_of=AS_OF)
    assert 0 in [h.chunk.id for h in rank(pool, 4, _Scores())]
    assert 0 not in [h.chunk.id for h in rank(pool, 8, _Scores())[:4]]
