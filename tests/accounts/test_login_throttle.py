"""Sign-in throttling through the login page, on the embedded default's database cache and
on the real Redis production uses (exact counts; the race between processes is in
test_login_throttle_processes.py)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import caches
from django.db import connection
from django.test import RequestFactory

from accounts import login_throttle
from config import settings as config_settings

# 2030-01-01 00:00 UTC starts a 900-second window; T0 is 100 s into it (800 s left).
WINDOW_START = datetime(2030, 1, 1, tzinfo=UTC)
T0 = WINDOW_START + timedelta(seconds=100)
WRONG = "Please enter a correct username and password"
THROTTLED = "Too many failed sign-ins; try again in 14 minutes."


@pytest.fixture
def limits(settings):
    settings.COLDSTART_LOGIN_FAILURES_PER_USERNAME = 3
    settings.COLDSTART_LOGIN_FAILURES_PER_ADDRESS = 5
    settings.COLDSTART_LOGIN_WINDOW_SECONDS = 900
    settings.COLDSTART_TRUSTED_PROXIES = 0


@pytest.fixture(params=["database", "redis"])
def cache_backend(request, settings, monkeypatch):
    """Each test runs on the database cache (embedded default) and on Redis (production),
    with CACHES built by settings.py itself from CACHE_URL."""
    if request.param == "redis":
        monkeypatch.setenv("CACHE_URL", request.getfixturevalue("redis_url"))
        settings.CACHES = config_settings._caches()
        assert caches["default"].__class__.__name__ == "RedisCache"
    else:
        assert caches["default"].__class__.__name__ == "DatabaseCache"
    return request.param


@pytest.fixture
def auth_signals():
    """Counts of Django's own sign-in signals: authenticate() sends one of them whenever it
    checks a password, so none means no password was checked."""
    seen = {"failed": 0, "logged_in": 0}

    def failed(**kwargs):
        seen["failed"] += 1

    def logged_in(**kwargs):
        seen["logged_in"] += 1

    user_login_failed.connect(failed)
    user_logged_in.connect(logged_in)
    yield seen
    user_login_failed.disconnect(failed)
    user_logged_in.disconnect(logged_in)


def _sign_in(client, username, password, address="192.0.2.10"):
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_after_the_limit_even_the_right_password_gets_429_without_a_check(
    client, learner, limits, cache_backend, auth_signals
):
    with time_machine.travel(T0, tick=False):
        for username in ("lena", "LENA", "Lena"):  # one counter, whatever the case
            response = _sign_in(client, username, "wrong-password")
            assert (response.status_code, WRONG in response.content.decode()) == (200, True)
        response = _sign_in(client, "lena", "learner-pass-123")
    page = response.content.decode()
    assert response.status_code == 429
    assert response["Retry-After"] == "800"
    assert THROTTLED in page
    assert 'value="lena"' in page and WRONG not in page
    assert auth_signals == {"failed": 3, "logged_in": 0}
    assert "_auth_user_id" not in client.session


def test_a_success_resets_the_username_counter(client, learner, limits, cache_backend):
    with time_machine.travel(T0, tick=False):
        for _ in range(2):
            assert _sign_in(client, "lena", "wrong-password").status_code == 200
        assert _sign_in(client, "lena", "learner-pass-123").url == "/"
        client.post("/accounts/logout/")
        statuses = [_sign_in(client, "lena", "wrong-password").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_the_next_window_lets_attempts_through_again(client, learner, limits, cache_backend):
    with time_machine.travel(T0, tick=False):
        statuses = [_sign_in(client, "lena", "wrong-password").status_code for _ in range(4)]
    with time_machine.travel(WINDOW_START + timedelta(seconds=900), tick=False):
        statuses.append(_sign_in(client, "lena", "learner-pass-123").status_code)
    assert statuses == [200, 200, 200, 429, 302]


def test_the_address_limit_spans_usernames_and_gives_back_the_username_place(
    client, learner, limits, cache_backend, auth_signals
):
    with time_machine.travel(T0, tick=False):
        statuses = [
            _sign_in(client, username, "wrong-password").status_code
            for username in ("ann", "ann", "bob", "bob", "cid", "cid")
        ]
        # The sixth attempt from 192.0.2.10 was refused on the address; "cid" used only one
        # of its three places, so another address still has two.
        elsewhere = [
            _sign_in(client, "cid", "wrong-password", address="198.51.100.7").status_code
            for _ in range(3)
        ]
    assert statuses == [200, 200, 200, 200, 200, 429]
    assert elsewhere == [200, 200, 429]
    assert auth_signals["failed"] == 7


def test_a_success_gives_its_address_place_back(client, learner, limits, cache_backend):
    """Shared addresses (a campus NAT) count failures only, not every sign-in."""
    with time_machine.travel(T0, tick=False):
        for _ in range(6):
            assert _sign_in(client, "lena", "learner-pass-123").url == "/"
            client.post("/accounts/logout/")
        statuses = [_sign_in(client, "ann", "wrong-password").status_code for _ in range(3)]
        statuses += [_sign_in(client, "bob", "wrong-password").status_code for _ in range(3)]
    assert statuses == [200, 200, 200, 200, 200, 429]


def test_blank_fields_are_form_errors_and_take_no_place(
    client, learner, limits, cache_backend, auth_signals
):
    with time_machine.travel(T0, tick=False):
        statuses = [_sign_in(client, "lena", "").status_code for _ in range(5)]
        assert _sign_in(client, "lena", "learner-pass-123").url == "/"
    assert statuses == [200] * 5
    assert auth_signals == {"failed": 0, "logged_in": 1}


def test_database_cache_counters_expire_when_their_window_ends(db, limits):
    """Django's database cache resets an entry's expiry to the cache default on every incr;
    the throttle puts the window's end (plus a minute's slack) back."""
    with time_machine.travel(T0, tick=False):
        for _ in range(2):
            login_throttle.reserve_sign_in(username="lena", address=None)
    with connection.cursor() as cursor:
        cursor.execute("SELECT expires FROM coldstart_cache")
        expiries = [row[0] for row in cursor.fetchall()]
    expected = WINDOW_START + timedelta(seconds=900 + 60)
    assert [e.replace(tzinfo=UTC) if e.tzinfo is None else e for e in expiries] == [expected]


def test_client_address_trusts_only_the_configured_proxies(settings):
    factory = RequestFactory()
    request = factory.get(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.66, 198.51.100.7"
    )
    settings.COLDSTART_TRUSTED_PROXIES = 0
    assert login_throttle.client_address(request) == "10.0.0.1"
    settings.COLDSTART_TRUSTED_PROXIES = 1
    assert login_throttle.client_address(request) == "198.51.100.7"
    settings.COLDSTART_TRUSTED_PROXIES = 2
    assert login_throttle.client_address(request) == "203.0.113.66"
    settings.COLDSTART_TRUSTED_PROXIES = 3  # fewer hops than proxies: the header is not ours
    assert login_throttle.client_address(request) == "10.0.0.1"
