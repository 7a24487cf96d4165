"""One rule for typed dates (``qa.dates``): YYYY-MM-DD, the same on the command line and in the web form."""

from __future__ import annotations

import re
from datetime import date

import pytest

import qa
from qa.cli import main as qa_main, make_filters, parse_as_of
from webui import api_args, forms

ACCEPTED = [("", ""), (None, ""), ("   ", ""), ("2026-01-10", "2026-01-10"), (" 2026-01-10 ", "2026-01-10"),
            ("2024-02-29", "2024-02-29")]
# Each of these once passed on the command line (any spelling dateutil reads) but not in the
# form: "01/02/2026" became 2 January there, 1 February to most readers.
REFUSED = ["01/02/2026", "2026/01/10", "10-01-2026", "Jan 10 2026", "10 Jan 2026", "2026-1-10",
           "2026-01-10T00:00", "2026-01-10T10:22:00Z", "yesterday", "２０２６-０１-１０", "2026-01-10\n2026"]
IMPOSSIBLE = ["2026-02-30", "2025-02-29", "2026-13-01", "2026-00-10"]


@pytest.mark.parametrize("value, expected", ACCEPTED)
def test_iso_dates_and_empty_pass(value, expected):
    assert qa.parse_date(value, "--from") == expected


@pytest.mark.parametrize("value", REFUSED)
def test_other_spellings_are_refused_naming_the_rule(value):
    with pytest.raises(qa.InvalidInputError, match=re.escape(f"--from {value!r} is not a date; use {qa.DATE_RULE}")):
        qa.parse_date(value, "--from")


@pytest.mark.parametrize("value", IMPOSSIBLE)
def test_days_that_do_not_exist_are_refused(value):
    with pytest.raises(qa.InvalidInputError, match=re.escape(f"--to {value!r} is not a real date")):
        qa.parse_date(value, "--to")


def test_a_range_that_ends_before_it_starts_is_refused():
    assert qa.parse_date_range("2026-01-01", "2026-01-01") == ("2026-01-01", "2026-01-01")
    assert qa.parse_date_range("", "2026-01-01") == ("", "2026-01-01")
    with pytest.raises(qa.InvalidInputError, match="The date range is empty: --from 2026-02-01 is after --to"):
        qa.parse_date_range("2026-02-01", "2026-01-01")


@pytest.mark.parametrize("value", [v for v, _ in ACCEPTED] + REFUSED + IMPOSSIBLE)
def test_the_command_line_the_form_and_the_api_agree(value):
    def outcome(parse):
        try:
            return parse()
        except qa.InvalidInputError:
            return "refused"

    cli = outcome(lambda: make_filters(value, None, []))
    form = outcome(lambda: forms.parse_filters(value, "", []))
    api = outcome(lambda: api_args.check_ask_args("q", date_from=value).date_from)
    cli = cli if cli == "refused" else (cli.date_from if cli else "")
    form = form if form == "refused" else form.date_from
    assert cli == form == api


def test_as_of_follows_the_same_rule():
    assert parse_as_of("2026-01-15") == date(2026, 1, 15) and parse_as_of("") is None
    with pytest.raises(qa.InvalidInputError, match="--as-of '15 Jan 2026' is not a date; use YYYY-MM-DD"):
        parse_as_of("15 Jan 2026")


def test_the_cli_refuses_a_bad_date_in_one_line(capsys, tmp_path):
    assert qa_main(["Who leads Venezuela?", "--index", str(tmp_path), "--from", "01/02/2026"]) == 2
    err = capsys.readouterr().err
    assert err == "error: --from '01/02/2026' is not a date; use YYYY-MM-DD, e.g. 2026-01-31\n"


def test_the_cli_help_states_the_rule(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # argparse would wrap "YYYY-MM-DD" at its hyphens
    with pytest.raises(SystemExit):
        qa_main(["--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert f"on or after this date ({qa.DATE_RULE})" in help_text
    assert f"on or before this date ({qa.DATE_RULE})" in help_text
