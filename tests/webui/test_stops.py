import threading

from webui.stops import StopFlags, ticket_key


def test_stop_sets_only_that_questions_flag():
    flags = StopFlags()
    a, b = flags.start(ticket_key("s1", "t1")), flags.start(ticket_key("s2", "t1"))
    assert flags.stop(ticket_key("s1", "t1")) is True
    assert a.is_set() and not a.clear_chat and not b.is_set()
    assert flags.stop(ticket_key("s1", "t1")) is False  # nothing running any more


def test_a_question_stopped_while_queued_starts_stopped():
    flags = StopFlags()
    assert flags.stop(ticket_key("s", "t2"), clear_chat=True) is False
    flag = flags.start(ticket_key("s", "t2"))
    assert flag.is_set() and flag.clear_chat
    assert not flags.start(ticket_key("s", "t3")).is_set()  # the next question is not


def test_new_chat_marks_the_flag_to_clear():
    flags = StopFlags()
    flag = flags.start(ticket_key("s", "t"))
    flags.stop(ticket_key("s", "t"), clear_chat=True)
    assert flag.is_set() and flag.clear_chat


def test_finish_forgets_the_flag_and_no_ticket_stops_nothing_later():
    flags = StopFlags()
    flag = flags.start(ticket_key("s", "t"))
    flags.finish(ticket_key("s", "t"), flag)
    assert flags.running() == 0
    assert flags.stop(ticket_key("s", "")) is False
    assert not flags.start(ticket_key("s", "")).is_set()  # a page without tickets is never pre-stopped


def test_tickets_are_cut_and_early_stops_are_bounded():
    assert ticket_key("s", "x" * 1000) == "s/" + "x" * 64
    flags = StopFlags()
    for i in range(5_000):
        flags.stop(ticket_key("s", f"t{i}"))
    assert len(flags._early) <= 1_000
    assert flags.start(ticket_key("s", "t4999")).is_set()  # the newest are kept


def test_flags_are_events_any_thread_can_wait_on():
    flags = StopFlags()
    flag = flags.start(ticket_key("s", "t"))
    threading.Timer(0.05, flags.stop, args=(ticket_key("s", "t"),)).start()
    assert flag.wait(2)
