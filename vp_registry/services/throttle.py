"""Login throttling with exponential back-off, per account and per client address.

Keys are hashed, so the table stores neither e-mail addresses nor client addresses. Unknown
accounts are throttled exactly like known ones.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from vp_registry.config import Settings
from vp_registry.db import utcnow
from vp_registry.db.accounts import LoginThrottle
from vp_registry.services.errors import Throttled


def throttle_keys(email: str, client_address: str | None) -> list[str]:
    keys = ["acct:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()[:48]]
    if client_address:
        keys.append("addr:" + hashlib.sha256(client_address.encode()).hexdigest()[:48])
    return keys


def ensure_not_locked(session: Session, keys: list[str], now: datetime | None = None) -> None:
    now = now or utcnow()
    for key in keys:
        row = session.get(LoginThrottle, key)
        if row is not None and row.locked_until is not None and row.locked_until > now:
            minutes = max(1, math.ceil((row.locked_until - now).total_seconds() / 60))
            raise Throttled(minutes=minutes)


def register_failure(
    session: Session, settings: Settings, keys: list[str], now: datetime | None = None
) -> bool:
    """Count a failure; returns True when this failure started a lock-out."""
    now = now or utcnow()
    locked = False
    for key in keys:
        row = session.get(LoginThrottle, key)
        if row is None:
            row = LoginThrottle(key=key, failures=0)
            session.add(row)
        row.failures += 1
        row.last_failure_at = now
        excess = row.failures - settings.throttle_free_attempts
        if excess >= 0:
            seconds = min(settings.throttle_max_seconds, settings.throttle_base_seconds * 2**excess)
            row.locked_until = now + timedelta(seconds=seconds)
            locked = True
    session.flush()
    return locked


def clear(session: Session, keys: list[str]) -> None:
    """A successful login resets the account's counter (not the address's)."""
    account_keys = [key for key in keys if key.startswith("acct:")]
    session.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(account_keys)))
