"""A web session's decrypted case-list rows, kept in the worker's memory for its next pages
(issue 15): a list page shows 25 rows, and decrypting them (a data-key unwrap and a
decryption each) was a sixth of its CPU - for the same rows, page after page.

What is kept, and for how long (docs/decisions.md, "The per-request cost of a page, session
7"):

- per organisation (its application state) and per web session (the hash of its cookie's
  token, as the session row is keyed): never shared between sessions or organisations;
- only the summaries of rows the session was shown (services/cases/listing.DecodedRows),
  each reused only while its row is unchanged in every column the list reads;
- (session 8) the session's page headers (web/speedups/header.py: the user's name and role,
  the menu) and its unfiltered case-list filter panel (web/cases/filter_panel.py: the
  organisation's choices), as rendered markup without the CSRF token;
- (session 10) the case list's rows as written for the session (web/cases/listing.py: the
  same summaries, translated and escaped), reused while written with the same language,
  script root, day, column labels and department and category names;
- (session 10) the session's signed CSRF token (web/speedups/csrf.py), which Flask-WTF
  accepts for the session's whole life (no time limit is configured): signed once, not on
  every page;
- looked up only by a request whose session row was found, unexpired, and whose vault keys
  opened with the grant checked (the list's view runs behind ``needs_vault``);
- dropped at logout (Flask-Login's ``user_logged_out``), when the session's vault key is
  dropped or cannot be opened (a lock, a revoked grant, a key rotation), and after the idle
  timeout without a request. A session ended in another worker (logout there, expiry,
  password change, an account disabled) can no longer reach its memory here - its cookie
  no longer finds a row - and the memory goes at that worker's next sweep, at the latest
  one idle timeout later.
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import Any

from flask import g
from flask_login import user_logged_out

from vp_registry.app_state import AppState, app_state
from vp_registry.services.cases.listing import DecodedRows

_SWEEP_SECONDS = 60.0


_MAX_HEADERS = 32  # a session's kept headers (web/speedups/header.py): pages x languages


@dataclass
class KeptRows:
    """The case list's rows as written for this session (web/cases/listing.RowsMarkup, issue
    15, session 10): ``written`` is what they were all written with (language, script root,
    day, labels, the organisation's names) and each row's markup by its summary's id (with
    the summary, whose identity is checked) - one tuple, replaced as a whole, so a request
    never finds rows written with another's."""

    LIMIT = 2000  # rows kept at most, as the decrypted summaries (DecodedRows.LIMIT)

    written: tuple[tuple[Any, ...] | None, dict[int, tuple[Any, str]]] = field(
        default_factory=lambda: (None, {}))

    def rows_for(self, made_with: tuple[Any, ...]) -> dict[int, tuple[Any, str]]:
        """The rows written with ``made_with`` (all others forgotten)."""
        found, rows = self.written
        if found != made_with:
            rows = {}
            self.written = (made_with, rows)
        return rows

    def forget(self) -> None:
        self.written = (None, {})


@dataclass
class _Memory:
    rows: DecodedRows = field(default_factory=DecodedRows)
    used: float = 0.0
    headers: dict[tuple[Any, ...], tuple[str, ...]] = field(default_factory=dict)
    panels: dict[tuple[Any, ...], tuple[Any, ...]] = field(default_factory=dict)
    csrf: tuple[Any, ...] | None = None  # web/speedups/csrf.py: (raw token, secret, signed)
    list_rows: KeptRows = field(default_factory=KeptRows)


@dataclass
class _Store:
    state: weakref.ref[AppState]  # the organisation's application state
    sessions: dict[str, _Memory] = field(default_factory=dict)
    swept: float = 0.0


_LOCK = threading.Lock()
# id of an organisation's application state -> its store; the store goes with the state (an
# organisation deleted, an application torn down), and a reused id never finds it
_STORES: dict[int, _Store] = {}


def _store_of(state: AppState, now: float | None = None) -> _Store | None:
    """The organisation's store (made when ``now`` is given). Call with the lock held."""
    store = _STORES.get(id(state))
    if store is not None and store.state() is not state:
        store = None
    if store is None and now is not None:
        key = id(state)
        store = _STORES[key] = _Store(weakref.ref(state, lambda _: _drop_store(key)), swept=now)
    return store


def _drop_store(key: int) -> None:
    """The state is gone: its store goes. Without the lock (a collection may run this while
    the lock is held); a dict's get and pop are atomic, and at worst a newer store of the same
    id goes too - its next request starts it afresh."""
    store = _STORES.get(key)
    if store is not None and store.state() is None:
        _STORES.pop(key, None)


def _token_hash() -> str | None:
    """The hash of this request's session token, when its session row was found."""
    loaded = g.get("web_session_row")
    token_hash = getattr(loaded, "token_hash", None)
    return token_hash if isinstance(token_hash, str) else None


def decoded_rows() -> DecodedRows | None:
    """This session's memory of decrypted list rows (None: no session row in this request).
    Call only once the vault keys are open (behind ``needs_vault``)."""
    memory = _memory()
    return memory.rows if memory is not None else None


def list_rows() -> KeptRows | None:
    """This session's written case-list rows (None: no session row). Call only once the
    vault keys are open (behind ``needs_vault``)."""
    memory = _memory()
    return memory.list_rows if memory is not None else None


def headers() -> dict[tuple[Any, ...], tuple[str, ...]] | None:
    """This session's kept page headers (web/speedups/header.py; None: no session row).
    Read them as they are; add through :func:`keep_header`."""
    memory = _memory()
    return memory.headers if memory is not None else None


def keep_header(kept: dict[tuple[Any, ...], tuple[str, ...]], key: tuple[Any, ...],
                pieces: tuple[str, ...]) -> None:
    with _LOCK:
        if len(kept) >= _MAX_HEADERS:
            kept.clear()
        kept[key] = pieces


def panels() -> dict[tuple[Any, ...], tuple[Any, ...]] | None:
    """This session's kept filter panels (web/cases/filter_panel.py; None: no session row).
    Read them as they are; add through :func:`keep_panel`."""
    memory = _memory()
    return memory.panels if memory is not None else None


def keep_panel(kept: dict[tuple[Any, ...], tuple[Any, ...]], key: tuple[Any, ...],
               value: tuple[Any, ...]) -> None:
    with _LOCK:
        if len(kept) >= _MAX_HEADERS:
            kept.clear()
        kept[key] = value


def csrf() -> tuple[Any, ...] | None:
    """This session's kept CSRF token (web/speedups/csrf.py; None: none kept, or no session
    row)."""
    memory = _memory()
    return memory.csrf if memory is not None else None


def keep_csrf(kept: tuple[Any, ...]) -> None:
    memory = _memory()
    if memory is not None:
        memory.csrf = kept


def _memory() -> _Memory | None:
    """This request's session memory, made when missing (None: no session row)."""
    token_hash = _token_hash()
    if token_hash is None:
        return None
    state = app_state()
    now = time.monotonic()
    with _LOCK:
        store = _store_of(state, now)
        if store is None:
            raise RuntimeError("a store is made when missing")
        if now - store.swept >= _SWEEP_SECONDS:
            _sweep(store, now - 60 * state.settings.session_idle_minutes)
            store.swept = now
        memory = store.sessions.get(token_hash)
        if memory is None:
            memory = store.sessions[token_hash] = _Memory()
        memory.used = now
        return memory


def _sweep(store: _Store, idle_before: float) -> None:
    for token_hash in [key for key, memory in store.sessions.items()
                       if memory.used < idle_before]:
        forgotten = store.sessions.pop(token_hash)
        forgotten.rows.forget()
        forgotten.headers.clear()
        forgotten.panels.clear()
        forgotten.csrf = None
        forgotten.list_rows.forget()


def forget_session() -> None:
    """Drop this request's session memory (logout, a vault key dropped or not opened)."""
    token_hash = _token_hash()
    if token_hash is None:
        return
    with _LOCK:
        store = _store_of(app_state())
        memory = store.sessions.pop(token_hash, None) if store is not None else None
    if memory is not None:
        memory.rows.forget()
        memory.headers.clear()
        memory.panels.clear()
        memory.csrf = None
        memory.list_rows.forget()


def remembered_sessions() -> int:
    """How many sessions of this organisation have memory in this worker (for tests)."""
    with _LOCK:
        store = _store_of(app_state())
        return len(store.sessions) if store is not None else 0


def _on_logout(_app: Any, **_extra: Any) -> None:
    forget_session()


user_logged_out.connect(_on_logout, weak=False)  # every application's logout
