import gzip
import json

from datetime import date

from benchmarks.reachability import (NOT_REACHABLE, NOT_STATED, REACHABLE, STATED, UNANSWERABLE, content_words,
                                   dated_articles, group_labels, holds_gold, question_groups, stated)


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


def test_an_answer_is_stated_only_in_a_window_sentence_about_the_question(tmp_path):
    path = corpus(tmp_path,
                  ("2025/03/01", "Hockey", "The Florida Panthers won the Stanley Cup on Tuesday. Fans cheered."),
                  ("2025/03/02", "Weather", "Rain in Florida. The Stanley Cup parade is on Friday."),  # apart
                  ("2024/03/01", "Old", "The Edmonton Oilers won the Stanley Cup final."))  # out of the window
    articles = dated_articles(path)
    assert articles[0][0] == date(2025, 3, 1)
    assert stated(question("a", "2025/03/05", "Which team won the Stanley Cup?", ["Florida Panthers"]), articles)
    assert not stated(question("b", "2025/03/05", "Which state hosts the parade on Friday?", ["Florida"]), articles)
    assert not stated(question("c", "2025/03/05", "Which team won the Stanley Cup?", ["Edmonton Oilers"]), articles)
    # the answer's own words are not the question's: "Florida" in "Florida Panthers" does not count
    assert stated(question("d", "2025/03/05", "Who won the Cup?", ["Florida Panthers"]), articles)
    assert not stated(question("e", "2025/03/05", "Who won in Florida?", ["Florida Panthers"]), articles)


def test_stated_uses_the_reachability_window(tmp_path):
    articles = dated_articles(corpus(tmp_path, ("2025/03/01", "Hockey", "The Florida Panthers won the Stanley Cup.")))
    cup = "Which team won the Stanley Cup?"
    assert stated(question("a", "2025/02/28", cup, ["Florida Panthers"]), articles)  # the day after
    assert not stated(question("b", "2025/02/27", cup, ["Florida Panthers"]), articles)
    assert stated(question("c", "2025/03/31", cup, ["Florida Panthers"]), articles)  # 30 days before
    assert not stated(question("d", "2025/04/01", cup, ["Florida Panthers"]), articles)


def test_group_labels_split_the_reachable_questions_by_stated(tmp_path):
    path = corpus(tmp_path, ("2025/03/01", "Hockey", "The Florida Panthers won the Stanley Cup. Fans in Florida cheered."))
    questions = [question("a", "2025/03/05", "Which team won the Stanley Cup?", ["Florida Panthers"]),
                 question("b", "2025/03/05", "Which state cheered the hockey team?", ["Florida"]),
                 question("c", "2025/05/05", "Which team won the Stanley Cup?", ["Florida Panthers"]),
                 question("d", "2025/03/05", "Who?", ["Nobody"], answerable=False)]
    assert group_labels(questions, path) == {"a": (REACHABLE, STATED), "b": (REACHABLE, NOT_STATED),
                                             "c": (NOT_REACHABLE,), "d": (UNANSWERABLE,)}
