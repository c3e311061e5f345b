"""A Redis database of the tests' own for cache tests: the real server at 127.0.0.1:6379,
database 15, emptied before and after each test that uses it. Missing Redis skips locally
and fails under CI=true."""

import os

import pytest
import redis

REDIS_TEST_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def redis_url():
    client = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        message = f"Redis is not reachable at {REDIS_TEST_URL}: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; CI requires it", pytrace=False)
        pytest.skip(message)
    client.flushdb()
    yield REDIS_TEST_URL
    client.flushdb()
    client.close()
