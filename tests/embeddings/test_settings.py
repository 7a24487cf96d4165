import dataclasses
from pathlib import Path

import pytest

from embeddings import InvalidInputError, Settings


def test_env_overrides_defaults_and_overrides_beat_env():
    env = {"NEWSDESK_CHUNK_TOKENS": "120", "NEWSDESK_MAX_FILE_MB": "1.5", "NEWSDESK_PASSAGES": "6"}
    s = Settings.from_env(env, passages=3)
    assert (s.chunk_tokens, s.max_file_mb, s.passages) == (120, 1.5, 3)


def test_index_dir_follows_data_dir_unless_given():
    assert Settings.from_env({"NEWSDESK_DATA_DIR": "/srv/nd"}).index_dir == Path("/srv/nd/index")
    assert Settings.from_env({}, data_dir="/a", index_dir="/b").index_dir == Path("/b")
    assert isinstance(Settings.from_env({}, data_dir="/a").data_dir, Path)


def test_home_is_expanded_in_paths():
    assert Settings.from_env({"NEWSDESK_INDEX_DIR": "~/nd"}).index_dir == Path.home() / "nd"


@pytest.mark.parametrize("name, value", [("NEWSDESK_CHUNK_TOKENS", "many"), ("NEWSDESK_MAX_FILE_MB", "1,5")])
def test_bad_env_value_names_the_variable(name, value):
    with pytest.raises(InvalidInputError, match=name):
        Settings.from_env({name: value})


def test_replace_coerces_paths_and_ignores_none():
    s = Settings().replace(index_dir="/x", chunk_tokens=None)
    assert s.index_dir == Path("/x") and s.chunk_tokens == Settings().chunk_tokens


def test_index_dir_follows_data_dir_however_it_is_set():
    assert Settings(data_dir=Path("/srv/nd")).index_dir == Path("/srv/nd/index")
    moved = Settings.from_env({}).replace(data_dir="/srv/nd")
    assert moved.index_dir == Path("/srv/nd/index")
    assert Settings(index_dir=Path("/x")).replace(data_dir="/srv/nd").index_dir == Path("/x")  # chosen: stays
    assert Settings().index_dir == Path("data/index")


def test_from_env_reads_any_settings_dataclass_the_same_way():
    from dataclasses import dataclass

    from embeddings import settings_from_env

    @dataclass(frozen=True)
    class Other:
        port: int = 1
        name: str = "x"
        ratio: float = 0.5

    env = {"NEWSDESK_PORT": "8080", "NEWSDESK_NAME": "env", "NEWSDESK_RATIO": "0.25"}
    assert settings_from_env(Other, env, name="flag", ratio=None) == Other(8080, "flag", 0.25)
    assert settings_from_env(Other, {}) == Other()
    with pytest.raises(InvalidInputError, match="NEWSDESK_PORT='http' is not a valid int"):
        settings_from_env(Other, {"NEWSDESK_PORT": "http"})


def test_the_pipeline_settings_hold_no_web_chat_fields():
    # Each package owns its settings: serving the chat is webui.WebSettings' business.
    names = {f.name for f in dataclasses.fields(Settings)}
    assert not names & {"host", "port", "auth", "upload_max_mb"}
    assert Settings.from_env({"NEWSDESK_PORT": "not even a number"}) == Settings()  # not ours to read
