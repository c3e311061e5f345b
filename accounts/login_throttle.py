"""Sign-in throttling that holds across processes and machines.

Each sign-in attempt first *reserves* a place in two counters kept in the shared cache: one
per username (limit COLDSTART_LOGIN_FAILURES_PER_USERNAME) and one per client address
(COLDSTART_LOGIN_FAILURES_PER_ADDRESS). Only an attempt whose reservation fits under both
limits reaches the password check; a success gives its places back (the username counter
is cleared, the address's place returned), a failure keeps them. Reserving before the check,
rather than counting after it, is what makes the limit exact: ten processes racing for the
last place each get a distinct counter value, so no more than the limit are let through.

Counters live in fixed windows of COLDSTART_LOGIN_WINDOW_SECONDS: the window number is part
of the key, so every process agrees when it ends and how long is left (the price of fixed
windows: guesses just before and just after a boundary can reach twice the limit).

Atomicity per backend:
- Redis (production): cache.add is SET NX and cache.incr is INCR, atomic on the server.
- Database cache (the embedded default): Django's incr is a read then a write. Both run in
  one transaction, and SQLite transactions here are IMMEDIATE (settings.DATABASES), which
  takes the write lock at BEGIN, so concurrent increments queue up one after the other.
  On PostgreSQL that transaction would not serialise them (READ COMMITTED), which is why
  `check --deploy` asks production for a Redis CACHE_URL (config/checks.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.db import router, transaction
from django.http import HttpRequest

# Keys outlive their window by this much, so an increment near the end of a window never
# finds its key just expired (Redis INCR would then refuse a missing key).
_KEY_SLACK_SECONDS = 60


class SignInThrottled(Exception):
    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        minutes = max(1, math.ceil(retry_after / 60))
        unit = "minute" if minutes == 1 else "minutes"
        super().__init__(f"Too many failed sign-ins; try again in {minutes} {unit}.")


@dataclass(frozen=True)
class Reservation:
    """The counter keys one attempt holds a place in, to give back if it succeeds."""

    username_key: str
    address_key: str | None
    expires_in: int


def _cache():
    return caches["default"]


def _atomic(cache):
    if isinstance(cache, DatabaseCache):
        # The database the cache table lives in, where its read and write share a transaction.
        return transaction.atomic(using=router.db_for_write(cache.cache_model_class))
    return contextlib.nullcontext()


def _key(kind: str, value: str, window: int) -> str:
    # Hashed: usernames and addresses are personal data and may hold characters a cache key
    # may not; case-folded so "Lena" and "lena" share one counter.
    digest = hashlib.sha256(value.casefold().encode()).hexdigest()[:32]
    return f"signin:{kind}:{digest}:{window}"


def _increment(cache, key: str, delta: int, expires_in: int) -> int | None:
    """Add delta to the counter (starting it at 0); None if there was nothing to take from.
    The touch re-applies the window's expiry: Django's database cache resets it to the
    cache default on every incr, Redis keeps it either way."""
    timeout = expires_in + _KEY_SLACK_SECONDS
    with _atomic(cache):
        if delta > 0:
            cache.add(key, 0, timeout=timeout)
        try:
            value = cache.incr(key, delta)
        except ValueError:  # missing: a decrement after the window rolled over
            return None
        cache.touch(key, timeout=timeout)
        return value


def _window(now: float) -> tuple[int, int]:
    size = settings.COLDSTART_LOGIN_WINDOW_SECONDS
    number = int(now // size)
    return number, max(1, math.ceil((number + 1) * size - now))


def reserve_sign_in(*, username: str, address: str | None, now: float | None = None) -> Reservation:
    """Take a place for one sign-in attempt, or raise SignInThrottled (nothing is checked).

    Side effects: increments the username's and the address's counters in the cache (an
    attempt refused on the username does not count against the address, and one refused
    on the address gives its username place back)."""
    cache = _cache()
    number, expires_in = _window(time.time() if now is None else now)
    username_key = _key("user", username, number)
    if (
        _increment(cache, username_key, 1, expires_in)
        > settings.COLDSTART_LOGIN_FAILURES_PER_USERNAME
    ):
        raise SignInThrottled(expires_in)
    address_key = _key("addr", address, number) if address else None
    if address_key:
        count = _increment(cache, address_key, 1, expires_in)
        if count > settings.COLDSTART_LOGIN_FAILURES_PER_ADDRESS:
            _increment(cache, username_key, -1, expires_in)
            raise SignInThrottled(expires_in)
    return Reservation(username_key, address_key, expires_in)


def sign_in_succeeded(reservation: Reservation) -> None:
    """The password was right: clear the username's failures and return the address's place.

    Side effects: deletes the username counter, decrements the address counter."""
    cache = _cache()
    cache.delete(reservation.username_key)
    if reservation.address_key:
        _increment(cache, reservation.address_key, -1, reservation.expires_in)


def client_address(request: HttpRequest) -> str | None:
    """The client's IP address. Behind COLDSTART_TRUSTED_PROXIES proxies that each append the
    address they saw to X-Forwarded-For, it is that many entries from the right; anything
    further left was written by the client and cannot be trusted."""
    proxies = settings.COLDSTART_TRUSTED_PROXIES
    if proxies:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [hop for hop in hops if hop]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR") or None
