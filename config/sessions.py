"""Sessions for production: Django's cached_db store, with the cache as an optimisation only.

Django's cached_db reads a session from the cache, falls back to the database, and then
writes it back to the cache, and that write is not guarded. With Redis down, every
signed-in request would fail although the session is safe in the database, and a learner
could not even submit a lab while the broker (same Redis) recovers. Here a failing cache is
logged and skipped when reading; deleting (sign-out) still fails loudly, because a session
left behind in the cache would stay valid once Redis is back.
"""

import logging

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDbStore

logger = logging.getLogger(__name__)


class SessionStore(CachedDbStore):
    def load(self):
        try:
            data = self._cache.get(self.cache_key)
        except Exception:  # any cache failure: the database has the session
            logger.warning("session cache unavailable; reading the session from the database")
            data = None
        if data is not None:
            return data
        stored = self._get_session_from_db()
        if not stored:
            return {}
        data = self.decode(stored.session_data)
        try:
            self._cache.set(self.cache_key, data, self.get_expiry_age(expiry=stored.expire_date))
        except Exception:
            logger.warning("session cache unavailable; session not cached")
        return data

    def exists(self, session_key):
        # Every session is written to the database before the cache, so the database alone
        # answers when the cache cannot.
        try:
            return super().exists(session_key)
        except Exception:
            logger.warning("session cache unavailable; checking the database only")
            return bool(session_key) and self.model.objects.filter(session_key=session_key).exists()
