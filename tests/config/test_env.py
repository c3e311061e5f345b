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
