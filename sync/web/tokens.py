"""Verified API tokens, kept per process so argon2 runs once per token, not once per
request (sync.web.auth reads the ``Authorization: Bearer`` header and asks this cache)."""

from __future__ import annotations

import hashlib
import hmac
import threading

from sqlalchemy.orm import Session

from sync.db.models import User
from sync.people import user_for_token


class TokenCache:
    """Verified tokens, so argon2 runs once per token and process, not once per request.

    Keyed by an HMAC of the token (the token itself is never kept); each hit is re-checked
    against the user's current token hash and active flag, so a new token or a deactivated
    user takes effect at once.
    """

    def __init__(self, secret: str, size: int = 4096) -> None:
        self._key = hashlib.sha256(("tokens:" + secret).encode()).digest()
        self._size = size
        self._seen: dict[str, tuple[int, str]] = {}
        self._verifying: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def _digest(self, token: str) -> str:
        return hmac.new(self._key, token.encode(), hashlib.sha256).hexdigest()

    def lookup(self, session: Session, token: str) -> User | None:
        digest = self._digest(token)
        user = self._hit(session, digest)
        if user is not None:
            return user
        # one thread verifies a token while the others with the same token wait for it:
        # twenty requests arriving at once with a token this process has not seen would
        # otherwise run twenty argon2 verifications (seconds of CPU) side by side
        with self._lock:
            verifying = self._verifying.setdefault(digest, threading.Lock())
        with verifying:
            user = self._hit(session, digest)
            if user is None:
                user = self._verify(session, token, digest)
        with self._lock:
            self._verifying.pop(digest, None)
        return user

    def _hit(self, session: Session, digest: str) -> User | None:
        hit = self._seen.get(digest)
        if hit is None:
            return None
        user = session.get(User, hit[0])
        if user is not None and user.active and user.token_hash == hit[1]:
            return user
        with self._lock:
            self._seen.pop(digest, None)
        return None

    def _verify(self, session: Session, token: str, digest: str) -> User | None:
        user = user_for_token(session, token)
        if user is not None and user.token_hash:
            with self._lock:
                if len(self._seen) >= self._size:
                    self._seen.clear()
                self._seen[digest] = (user.id, user.token_hash)
        return user
