from __future__ import annotations

import pytest

from qa import SearchFilters

from webui import forms
from webui.forms import FormError


@pytest.mark.parametrize("value, expected", [
    ("", ""), (None, ""), ("   ", ""),
    ("2026-01-10", "2026-01-10"),
    (" 2026-01-10 ", "2026-01-10"),
    ("2024-02-29", "2024-02-29"),
])
def test_parse_date_accepts_iso_dates_and_empty(value, expected):
    assert forms.parse_date(value, "From") == expected


@pytest.mark.parametrize("value", ["2026/01/10", "10-01-2026", "Jan 10 2026", "2026-1-10", "2026-02-30",
                                   "2025-02-29", "2026-13-01", "yesterday", "2026-01-10T00:00"])
def test_parse_date_rejects_anything_else_with_a_readable_message(value):
    with pytest.raises(FormError, match="From"):
        forms.parse_date(value, "From")


def test_parse_filters_checks_the_range_and_cleans_sources():
    values = forms.parse_filters("2026-01-01", "2026-01-31", ["Reuters", "", "AP", "Reuters"])
    assert values == SearchFilters("2026-01-01", "2026-01-31", ("Reuters", "AP"))
    assert not values.is_empty()
    assert forms.parse_filters("", "", None).is_empty()
    assert forms.parse_filters("", "", "Reuters").sources == ("Reuters",)
    with pytest.raises(FormError, match="after"):
        forms.parse_filters("2026-02-01", "2026-01-01", [])


@pytest.mark.parametrize("start, end, hint", [
    ("", "", "All publish dates."),
    ("2026-01-01", "", "on or after 2026-01-01"),
    ("", "2026-01-31", "on or before 2026-01-31"),
    ("2026-01-01", "2026-01-31", "2026-01-01 to 2026-01-31"),
    ("2026-01-32", "", "⚠"),
    ("2026-02-01", "2026-01-01", "⚠"),
])
def test_filter_hint(start, end, hint):
    assert hint in forms.filter_hint(start, end)


@pytest.mark.parametrize("value, expected", [
    (4, 4), ("6", 6), (3.0, 3), (0, 5), (-2, 5), (None, 5), ("x", 5), (99, 12), (1, 1),
])
def test_clamp_k(value, expected):
    assert forms.clamp_k(value, default=5) == expected


@pytest.mark.parametrize("value, expected", [
    ("", None), (None, None), ("ann:secret", ("ann", "secret")), ("ann:pa:ss", ("ann", "pa:ss")),
])
def test_parse_auth(value, expected):
    assert forms.parse_auth(value) == expected


@pytest.mark.parametrize("value", ["ann", ":secret", "ann:", "  :x"])
def test_parse_auth_rejects_incomplete_logins(value):
    with pytest.raises(FormError, match="user:password"):
        forms.parse_auth(value)


@pytest.mark.parametrize("values, text", [
    (SearchFilters(), ""),
    (SearchFilters(sources=("Reuters", "AP")), "Articles from Reuters or AP"),
    (SearchFilters("2026-02-01", "", ("Reuters",)), "Articles published on or after 2026-02-01 from Reuters"),
    (SearchFilters("", "2026-01-31"), "Articles published on or before 2026-01-31"),
])
def test_describe_filters(values, text):
    assert forms.describe_filters(values) == text
