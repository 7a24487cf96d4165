from __future__ import annotations

import dataclasses

import pytest

import qa
from webui import WebSettings


def test_defaults_serve_on_loopback_without_a_login():
    web = WebSettings.from_env({})
    assert (web.host, web.port, web.auth, web.upload_max_mb) == ("127.0.0.1", 7860, "", 10.0)
    assert web.upload_max_bytes == 10_000_000


def test_environment_overrides_defaults_and_flags_override_both():
    env = {"NEWSDESK_HOST": "0.0.0.0", "NEWSDESK_PORT": "9999", "NEWSDESK_AUTH": "ann:pw",
           "NEWSDESK_UPLOAD_MAX_MB": "2.5"}
    assert WebSettings.from_env(env) == WebSettings("0.0.0.0", 9999, "ann:pw", 2.5)
    assert WebSettings.from_env(env, port=8123, host=None) == WebSettings("0.0.0.0", 8123, "ann:pw", 2.5)


@pytest.mark.parametrize("name, value", [("NEWSDESK_PORT", "http"), ("NEWSDESK_UPLOAD_MAX_MB", "10MB")])
def test_a_bad_variable_is_named_as_the_pipeline_settings_name_theirs(name, value):
    with pytest.raises(qa.InvalidInputError, match=f"{name}='{value}' is not a valid"):
        WebSettings.from_env({name: value})


def test_the_web_variables_do_not_leak_into_the_pipeline_settings():
    env = {"NEWSDESK_PORT": "9999", "NEWSDESK_MODEL": "qwen2.5-0.5b"}
    assert WebSettings.from_env(env).port == 9999
    assert qa.Settings.from_env(env).model == "qwen2.5-0.5b"
    with pytest.raises(dataclasses.FrozenInstanceError):
        WebSettings().port = 1  # type: ignore[misc]
