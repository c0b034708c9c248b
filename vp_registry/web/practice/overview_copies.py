"""This worker's copies of the overviews ``/clients`` showed, one per browser session and
organisation (issue 17: the overview across 50 clients within a single page's time).

A client's part of the overview needs its vault's listing index and a few cases decrypted;
unchanged, it is the same page again. So each part shown is kept here, for the browser session
(that organisation's cookie) that saw it, together with the :func:`overview.fingerprint` of
the open cases it was made from, the vault's key version and the day. The next ``/clients``
of that session first checks the session (live, its user, its grant: the keys are opened as
always), reads the open cases' ids and versions, and uses the copy only when all of that
matches - a case written, opened, closed or erased since, a key rotation or a new day makes a
fresh part, so a copy is never staler than a fresh read. Every part shown is audited in its
organisation's own chain, copy or not.

What is kept is encrypted with AES-256-GCM under a key derived from that session's cookie
token (which the server does not store) and bound to the organisation, the session and the
fingerprint: a copy is never shared between sessions or organisations, and without the cookie
this worker's memory holds only ciphertext. It dies with the session: logout drops it
(Flask-Login's ``user_logged_out``), a ``/clients`` that finds the session ended, locked or
without a grant drops it, and an unused copy goes after ``MAX_IDLE`` (a session's idle
timeout) or when more than ``MAX_COPIES`` are kept (least recently used first).
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, fields
from datetime import date
from typing import Any, Final

from vp_registry.core import crypto
from vp_registry.services.cases.overview import Overview
from vp_registry.services.cases.records import CaseSummary

PURPOSE: Final = "clients-overview-copy"
MAX_COPIES: Final = 4096  # per worker; a copy is ~1-3 KB
MAX_IDLE: Final = 30 * 60.0  # seconds: the default session idle timeout
_DATES: Final = ("opened_on", "closed_on", "acknowledged_on", "feedback_on")
_FIELDS: Final = tuple(f.name for f in fields(CaseSummary))
_DATE_PLACES: Final = tuple(_FIELDS.index(name) for name in _DATES)
_CATEGORIES: Final = _FIELDS.index("categories")


@dataclass(frozen=True)
class _Copy:
    sealed: bytes
    used_at: float


def _encode(found: Overview) -> bytes:
    """A part as JSON: each summary a list of its fields in :data:`_FIELDS`' order, dates
    as ISO text (lists, not objects: ~2.5x cheaper to write and read, issue 17 session 9)."""
    def summary(case: CaseSummary) -> list[Any]:
        values = [getattr(case, name) for name in _FIELDS]
        for place in _DATE_PLACES:
            if values[place] is not None:
                values[place] = values[place].isoformat()
        values[_CATEGORIES] = list(values[_CATEGORIES])
        return values

    return json.dumps([found.open_count, [summary(c) for c in found.recent],
                       [summary(c) for c in found.deadlines]]).encode("utf-8")


def _decode(data: bytes) -> Overview:
    def summary(values: list[Any]) -> CaseSummary:
        if len(values) != len(_FIELDS):
            raise ValueError("a copy of another shape")
        for place in _DATE_PLACES:
            if values[place]:
                values[place] = date.fromisoformat(values[place])
        values[_CATEGORIES] = tuple(values[_CATEGORIES])
        return CaseSummary(**dict(zip(_FIELDS, values, strict=True)))

    open_count, recent, deadlines = json.loads(data)
    return Overview(int(open_count), [summary(c) for c in recent],
                    [summary(c) for c in deadlines])


class OverviewCopies:
    """The copies of one worker (thread-safe: ``/clients`` computes its parts in threads)."""

    def __init__(self, max_copies: int = MAX_COPIES, max_idle: float = MAX_IDLE) -> None:
        self._copies: OrderedDict[tuple[str, str], _Copy] = OrderedDict()
        self._lock = threading.Lock()
        self.max_copies, self.max_idle = max_copies, max_idle

    def __len__(self) -> int:
        return len(self._copies)

    @staticmethod
    def _aad(slug: str, token_hash: str, match: bytes) -> bytes:
        return b"\x00".join([PURPOSE.encode(), slug.encode(), token_hash.encode(), match])

    def get(self, slug: str, token: str, match: bytes) -> Overview | None:
        """The copy of this session's part if it was made for ``match`` (else None)."""
        token_hash = crypto.hash_token(token)
        with self._lock:
            kept = self._copies.get((slug, token_hash))
            if kept is None or time.monotonic() - kept.used_at > self.max_idle:
                return None
            self._copies[(slug, token_hash)] = _Copy(kept.sealed, time.monotonic())
            self._copies.move_to_end((slug, token_hash))
        try:
            return _decode(crypto.DEFAULT_CIPHER.decrypt(
                crypto.key_from_token(token, PURPOSE), kept.sealed,
                self._aad(slug, token_hash, match)))
        except (crypto.DecryptionError, ValueError, KeyError, TypeError):
            return None  # made for other cases, keys or another day: a fresh part replaces it

    def has(self, slug: str, token: str) -> bool:
        """Whether a copy is kept for this session (made for whatever it was made for)."""
        token_hash = crypto.hash_token(token)
        with self._lock:
            kept = self._copies.get((slug, token_hash))
            return kept is not None and time.monotonic() - kept.used_at <= self.max_idle

    def put(self, slug: str, token: str, match: bytes, found: Overview) -> None:
        token_hash = crypto.hash_token(token)
        sealed = crypto.DEFAULT_CIPHER.encrypt(crypto.key_from_token(token, PURPOSE),
                                               _encode(found),
                                               self._aad(slug, token_hash, match))
        with self._lock:
            self._copies[(slug, token_hash)] = _Copy(sealed, time.monotonic())
            self._copies.move_to_end((slug, token_hash))
            while len(self._copies) > self.max_copies:
                self._copies.popitem(last=False)

    def drop(self, slug: str, token: str) -> None:
        """Forget this session's copy (logout, lock, ended session)."""
        with self._lock:
            self._copies.pop((slug, crypto.hash_token(token)), None)

    def sweep(self) -> None:
        """Forget the copies unused for longer than a session may be idle."""
        oldest = time.monotonic() - self.max_idle
        with self._lock:
            while self._copies:
                key, kept = next(iter(self._copies.items()))
                if kept.used_at >= oldest:
                    break
                del self._copies[key]


COPIES: Final = OverviewCopies()
