"""Login throttling with exponential back-off, per account and per client address.

Keys are hashed, so the table stores neither e-mail addresses nor client addresses. Unknown
accounts are throttled exactly like known ones.

* **Per account** (``acct:``): the failures add up until the account logs in, however slowly
  they come, so guessing one password slowly gains nothing.
* **Per client address** (``addr:``): only the failures of the last ``THROTTLE_WINDOW_SECONDS``
  count (a sliding window), so behind a company NAT - everybody one address - a typo now and
  then never locks everyone out, while a burst still does (issue 11, item 6a). The window is
  kept as one row per address and minute (key ``addr:<hash>@<minute>``); rows older than the
  window are deleted at the next failure of any address. The address's own row holds its
  lock-out.

In both, the failure that reaches ``THROTTLE_FREE_ATTEMPTS`` locks the key out for
``THROTTLE_BASE_SECONDS`` and each further one doubles it, up to ``THROTTLE_MAX_SECONDS``.

**One address budget per installation** (issue 17): an installation serving 50 client
organisations has 50 databases, and an address counted in each would get 50 budgets - one
per organisation it tries. So the address rows of every organisation are kept in the main
database: a client organisation's engine is registered with the main database's session
factory (:func:`share_address_budget`, by services/organisations/databases.py), and the
address keys of a session bound to it are read and written there, in a short transaction of
their own (a failure counts even if the login's unit of work is rolled back). Account rows
stay in the organisation's database: an account belongs to one organisation.
"""

from __future__ import annotations

import hashlib
import math
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import Engine, delete, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from vp_registry.config import Settings
from vp_registry.db import utcnow
from vp_registry.db.accounts import LoginThrottle
from vp_registry.services.errors import Throttled

ACCOUNT: Final = "acct:"
ADDRESS: Final = "addr:"
_SLOT: Final = "@"  # addr:<hash>@<minute>: an address's failures in one minute
_SLOT_SECONDS: Final = 60
_EPOCH: Final = datetime(2000, 1, 1)


# client organisation's engine -> the main database's session factory (the address budget)
_SHARED: weakref.WeakKeyDictionary[Engine, sessionmaker[Session]] = \
    weakref.WeakKeyDictionary()


def share_address_budget(engine: Engine, main_sessions: sessionmaker[Session]) -> None:
    """Count the address keys of sessions bound to ``engine`` in the main database."""
    _SHARED[engine] = main_sessions


@contextmanager
def _addresses(session: Session) -> Iterator[Session]:
    """The session that holds the address rows for ``session``: itself, or a short one on
    the main database (committed at the end of the block)."""
    bind = session.get_bind()
    main = _SHARED.get(bind if isinstance(bind, Engine) else bind.engine)
    if main is None:
        yield session
        return
    with main() as shared:
        yield shared
        shared.commit()


def throttle_keys(email: str, client_address: str | None) -> list[str]:
    keys = [ACCOUNT + hashlib.sha256(email.strip().lower().encode()).hexdigest()[:48]]
    if client_address:
        keys.append(ADDRESS + hashlib.sha256(client_address.encode()).hexdigest()[:48])
    return keys


def ensure_not_locked(session: Session, keys: list[str], now: datetime | None = None) -> None:
    now = now or utcnow()
    _check(session, [key for key in keys if not key.startswith(ADDRESS)], now)
    addresses = [key for key in keys if key.startswith(ADDRESS)]
    if addresses:
        with _addresses(session) as shared:
            _check(shared, addresses, now)


def _check(session: Session, keys: list[str], now: datetime) -> None:
    for key in keys:
        row = session.get(LoginThrottle, key)
        if row is not None and row.locked_until is not None and row.locked_until > now:
            minutes = max(1, math.ceil((row.locked_until - now).total_seconds() / 60))
            raise Throttled(minutes=minutes)


def _row(session: Session, key: str) -> LoginThrottle:
    row = session.get(LoginThrottle, key)
    if row is None:
        row = LoginThrottle(key=key, failures=0)
        session.add(row)
    return row


def _failures_in_window(session: Session, key: str, now: datetime, window: timedelta) -> int:
    """Record one failure of an address in its minute's row; the failures of the window."""
    minute = int((now - _EPOCH).total_seconds() // _SLOT_SECONDS)
    slot = _row(session, f"{key}{_SLOT}{minute}")
    slot.failures += 1
    slot.last_failure_at = now
    session.flush()
    return int(session.execute(
        select(func.coalesce(func.sum(LoginThrottle.failures), 0)).where(
            LoginThrottle.key.startswith(key + _SLOT, autoescape=True),
            LoginThrottle.last_failure_at > now - window)
    ).scalar_one())


def _forget(session: Session, now: datetime, window: timedelta) -> None:
    """Addresses forget: minute rows older than the window, and address rows neither locked
    nor failed within it, are deleted (account rows stay until the account logs in)."""
    cutoff = now - window
    session.execute(delete(LoginThrottle).where(
        LoginThrottle.key.startswith(ADDRESS, autoescape=True),
        LoginThrottle.last_failure_at <= cutoff,
        or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= now),
    ).execution_options(synchronize_session=False))


def register_failure(
    session: Session, settings: Settings, keys: list[str], now: datetime | None = None
) -> bool:
    """Count a failure; returns True when this failure started a lock-out."""
    now = now or utcnow()
    window = timedelta(seconds=settings.throttle_window_seconds)
    _forget(session, now, window)
    locked = _count(session, settings, [k for k in keys if not k.startswith(ADDRESS)], now,
                    window)
    addresses = [key for key in keys if key.startswith(ADDRESS)]
    if addresses:
        with _addresses(session) as shared:
            if shared is not session:
                _forget(shared, now, window)
            locked = _count(shared, settings, addresses, now, window) or locked
    return locked


def _count(session: Session, settings: Settings, keys: list[str], now: datetime,
           window: timedelta) -> bool:
    locked = False
    for key in keys:
        row = _row(session, key)
        if key.startswith(ADDRESS):
            row.failures = _failures_in_window(session, key, now, window)
        else:
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
    account_keys = [key for key in keys if key.startswith(ACCOUNT)]
    session.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(account_keys)))
