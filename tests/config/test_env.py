import pytest

from config.env import ConfigError, env_bool, env_int, env_list


def test_env_readers_parse_and_fail_loudly(monkeypatch):
    monkeypatch.setenv("X_BOOL", "yes")
    monkeypatch.setenv("X_INT", "8000")
    monkeypatch.setenv("X_LIST", "a.example, b.example")
    assert env_bool("X_BOOL", False) is True
    assert env_int("X_INT", 1) == 8000
    assert env_list("X_LIST", []) == ["a.example", "b.example"]
    monkeypatch.setenv("X_BOOL", "maybe")
    with pytest.raises(ConfigError, match="X_BOOL='maybe' is not a boolean"):
        env_bool("X_BOOL", False)
    monkeypatch.setenv("X_INT", "80x")
    with pytest.raises(ConfigError, match="X_INT='80x' is not an integer"):
        env_int("X_INT", 1)
    monkeypatch.setenv("X_INT", "0")
    with pytest.raises(ConfigError, match="below the minimum of 1"):
        env_int("X_INT", 1, minimum=1)
    monkeypatch.delenv("X_BOOL")
    assert env_bool("X_BOOL", True) is True


def test_bad_database_url_stops_start_up_with_its_name(monkeypatch):
    from config import settings

    monkeypatch.setenv("DATABASE_URL", "nosuchdb://somewhere/x")
    with pytest.raises(ConfigError, match="DATABASE_URL='nosuchdb://somewhere/x' cannot be parsed"):
        settings._database()
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.example:5432/coldstart")
    config = settings._database()
    assert (config["ENGINE"], config["HOST"], config["NAME"]) == (
        "django.db.backends.postgresql",
        "db.example",
        "coldstart",
    )
