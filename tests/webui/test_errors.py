"""webui's errors are in the project's one hierarchy: one ``except qa.NewsdeskError`` catches them."""

from __future__ import annotations

import pytest

import qa
from webui import FormError, UploadError, api_args, forms, uploads


@pytest.mark.parametrize("error", [FormError, UploadError])
def test_webui_errors_are_invalid_input(error):
    assert issubclass(error, qa.InvalidInputError) and issubclass(error, qa.NewsdeskError)


@pytest.mark.parametrize("fails, error", [
    (lambda tmp: forms.parse_auth("nopassword"), FormError),
    (lambda tmp: api_args.check_ask_args("q", sources=5), FormError),
    (lambda tmp: uploads.store_pasted("", "Body.", tmp, 1000), UploadError),
    (lambda tmp: uploads.upload_suffix("virus.exe", {".txt"}), UploadError),
    (lambda tmp: forms.parse_filters("yesterday", "", ()), qa.InvalidInputError),
])
def test_one_except_clause_catches_every_expected_failure(tmp_path, fails, error):
    with pytest.raises(qa.NewsdeskError) as info:
        fails(tmp_path)
    assert isinstance(info.value, error) and str(info.value)


# --- the page's one boundary: show the message, log the rest --------------------------------

def test_the_boundary_shows_an_expected_failures_message_and_logs_nothing(caplog):
    from webui import user_message

    with caplog.at_level("DEBUG"):
        shown = user_message(qa.IndexNotFoundError("no index yet"), "reading %r", "x", known="Failed: {}")
    assert shown == "Failed: no index yet" and caplog.records == []


def test_the_boundary_logs_a_bugs_traceback_and_shows_the_generic_text(caplog):
    import logging

    from webui import GENERIC_ERROR, user_message

    try:
        {}["missing"]
    except Exception as exc:  # noqa: BLE001 - as a handler catches it
        with caplog.at_level(logging.ERROR, logger="newsdesk.app"):
            shown = user_message(exc, "answering %r", "Who?")
    assert shown == GENERIC_ERROR and "KeyError" not in shown
    (record,) = caplog.records
    assert record.getMessage() == "answering 'Who?' failed" and record.exc_info[0] is KeyError
