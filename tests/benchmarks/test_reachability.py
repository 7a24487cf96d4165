import gzip
import json

from benchmarks.reachability import NOT_REACHABLE, REACHABLE, UNANSWERABLE, content_words, holds_gold, question_groups


def corpus(tmp_path, *articles):
    path = tmp_path / "corpus.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for i, (day, title, text) in enumerate(articles):
            fh.write(json.dumps({"id": str(i), "publish_date": day, "title": title, "text": text}) + "\n")
    return path


def question(qid, day, text, answers, answerable=True):
    return {"id": qid, "date": day, "question": text, "answers": answers, "answerable": answerable}


def test_gold_must_be_whole_words_in_any_case():
    assert holds_gold("Delcy RODRIGUEZ took over.", ["Delcy Rodriguez"])
    assert not holds_gold("Rodriguezes gathered.", ["Rodriguez"])
    assert not holds_gold("anything", ["  "])


def test_content_words_leave_out_stop_words_and_short_words():
    assert content_words("Who is the new leader of Venezuela this week?") == {"leader", "venezuela"}


def test_groups_by_date_window_gold_and_shared_word(tmp_path):
    path = corpus(tmp_path,
                  ("2025/03/01", "Venezuela leader", "Delcy Rodriguez became interim leader."),
                  ("2024/01/01", "Old news", "Maria Lopez won the football final."),
                  ("2025/03/20", "Weather", "Maria Lopez said it will rain."))  # recent, but unrelated words
    questions = [
        question("a", "2025/03/10", "Who is Venezuela's interim leader?", ["Delcy Rodriguez"]),
        question("b", "2025/03/21", "Who won the football final?", ["Maria Lopez"]),
        question("c", "2025/04/02", "Who leads Venezuela?", ["Delcy Rodriguez"]),  # article 32 days old
        question("d", "2025/03/10", "Who?", ["Nobody"], answerable=False),
        question("e", "2025/02/28", "Who is Venezuela's interim leader?", ["Delcy Rodriguez"]),  # asked the day before
    ]
    groups = question_groups(questions, path)
    assert groups == {"a": REACHABLE, "b": NOT_REACHABLE, "c": NOT_REACHABLE, "d": UNANSWERABLE, "e": REACHABLE}
