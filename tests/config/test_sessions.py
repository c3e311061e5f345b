"""Production sessions (config.sessions) survive a Redis outage by reading the database."""

import pytest
import redis
from django.contrib.sessions.models import Session

from config.sessions import SessionStore

# Nothing listens on port 1: every cache call fails with a connection error at once.
DEAD_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
}


@pytest.fixture
def stored_session(db) -> str:
    # Written while the cache was fine (the database cache of the test settings).
    store = SessionStore()
    store["_auth_user_id"] = "42"
    store.save(must_create=True)
    return store.session_key


def test_a_session_is_read_from_the_database_while_redis_is_down(stored_session, settings):
    settings.CACHES = DEAD_REDIS
    store = SessionStore(session_key=stored_session)
    assert store.load() == {"_auth_user_id": "42"}
    assert store.exists(stored_session) is True
    assert store.exists("no-such-session-key-0000000000000") is False


def test_saving_while_redis_is_down_still_reaches_the_database(stored_session, settings):
    settings.CACHES = DEAD_REDIS
    store = SessionStore(session_key=stored_session)
    store["answer"] = "b"
    store.save()
    decoded = Session.objects.get(session_key=stored_session).get_decoded()
    assert decoded == {"_auth_user_id": "42", "answer": "b"}


def test_signing_out_while_redis_is_down_fails_rather_than_leave_a_cached_session(
    stored_session, settings
):
    settings.CACHES = DEAD_REDIS
    store = SessionStore(session_key=stored_session)
    with pytest.raises(redis.exceptions.ConnectionError):
        store.delete()
