"""Short-lived per-application caches of reference data that every page reads.

A :class:`ReadCache` keeps what its ``read`` function returned for ``ttl`` seconds. A commit
in this process that changed a row of one of its ``watched`` classes (through the ORM) ends
that at once; a change made by another worker or by plain SQL is seen within ``ttl``. The
cached value must be plain data, never ORM rows: those belong to the session that read them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session

T = TypeVar("T")

_generations: dict[type, int] = {}  # per mapped class: commits in this process that changed it
_generations_lock = threading.Lock()
_CHANGED = "vp_readcache_changed"


class ReadCache(Generic[T]):
    def __init__(self, read: Callable[[Session], T], watched: tuple[type, ...], *,
                 ttl: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.read = read
        self.watched = watched
        self.ttl = ttl
        self.clock = clock
        self._lock = threading.Lock()
        self._cached: tuple[float, tuple[int, ...], T] | None = None

    def _generation(self) -> tuple[int, ...]:
        return tuple(_generations.get(kind, 0) for kind in self.watched)

    def get(self, session: Session) -> T:
        cached, now, generation = self._cached, self.clock(), self._generation()
        if cached is not None and now - cached[0] < self.ttl and cached[1] == generation:
            return cached[2]
        value = self.read(session)
        with self._lock:
            self._cached = (now, generation, value)
        return value


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _context: Any) -> None:
    changed: set[type] = session.info.setdefault(_CHANGED, set())
    changed.update(type(row) for row in (*session.new, *session.dirty, *session.deleted))


@event.listens_for(Session, "after_commit")
def _bump_generations(session: Session) -> None:
    changed = session.info.pop(_CHANGED, ())
    if changed:
        with _generations_lock:  # threaded servers: no bump may be lost
            for kind in changed:
                _generations[kind] = _generations.get(kind, 0) + 1
