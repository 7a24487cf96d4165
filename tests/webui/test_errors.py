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
