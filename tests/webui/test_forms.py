from __future__ import annotations

import pytest

import qa
from qa import InvalidInputError, SearchFilters

from webui import forms
from webui.forms import FormError


def test_parse_filters_checks_the_range_and_cleans_sources():
    values = forms.parse_filters("2026-01-01", "2026-01-31", ["Reuters", "", "AP", "Reuters"])
    assert values == SearchFilters("2026-01-01", "2026-01-31", ("Reuters", "AP"))
    assert not values.is_empty()
    assert forms.parse_filters("", "", None).is_empty()
    assert forms.parse_filters("", "", "Reuters").sources == ("Reuters",)
    with pytest.raises(InvalidInputError, match="The date range is empty: “Published from” 2026-02-01 is after"):
        forms.parse_filters("2026-02-01", "2026-01-01", [])
    with pytest.raises(InvalidInputError, match="“Published to” '01/31/2026' is not a date; use YYYY-MM-DD"):
        forms.parse_filters("", "01/31/2026", [])


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


def test_read_search_form_checks_every_setting(settings):
    choice = forms.read_search_form(settings, "", "7", "2026-01-01", "", ["Reuters", ""])
    assert choice.settings == settings and choice.k == 7
    assert choice.filters == SearchFilters("2026-01-01", "", ("Reuters",))
    assert choice.scope == "Articles published on or after 2026-01-01 from Reuters"
    plain = forms.read_search_form(settings, None, 0, "", None, None)
    assert (plain.k, plain.filters, plain.scope) == (settings.passages, None, "")
    assert forms.read_search_form(settings, "", forms.MAX_K + 5, "", "", ()).k == forms.MAX_K


def test_read_search_form_takes_known_models_only(settings):
    other = next(m for m in qa.MODEL_CHOICES if m != settings.model)
    assert forms.read_search_form(settings, other, 0, "", "", ()).settings == settings.replace(model=other)
    with pytest.raises(FormError, match="Unknown model “gpt-9”; choose one of"):
        forms.read_search_form(settings, "gpt-9", 0, "", "", ())


def test_model_menu_offers_the_packaged_models_locally():
    settings = qa.Settings()
    menu = forms.model_menu(settings)
    assert menu.interactive and menu.value == settings.model
    assert set(qa.MODEL_CHOICES) <= set(menu.choices)


def test_with_a_generation_server_the_menu_names_only_its_model_and_never_the_login():
    settings = qa.Settings(llm_url="http://user:secret@127.0.0.1:8080/v1", llm_model="qwen-7b")
    menu = forms.model_menu(settings)
    assert (menu.choices, menu.value, menu.interactive) == (["qwen-7b"], "qwen-7b", False)
    assert "127.0.0.1:8080" in menu.info and "secret" not in menu.info and "user" not in menu.info
    # What the read-only dropdown sends back is accepted, and the server still answers.
    assert forms.choose_model(settings, "qwen-7b") is settings
    assert forms.choose_model(settings, qa.MODEL_CHOICES[0]) is settings  # an /ask caller's local name
    with pytest.raises(FormError, match="this server answers with “qwen-7b”"):
        forms.choose_model(settings, "gpt-9")
    assert forms.model_menu(qa.Settings(llm_url="http://127.0.0.1:8080/v1")).value == "server default"
