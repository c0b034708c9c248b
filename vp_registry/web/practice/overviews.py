"""The parts of ``/clients``: one per organisation whose counsellor session this browser holds,
computed side by side (issue 17).

Each part runs in its own organisation's database, with its own session check, keys, audit
entry and commit (web/practice/client_sessions.py ``open_in``; services/practice/overview.py),
so the parts share nothing but this worker's thread pool: on PostgreSQL each organisation has
its own engine and the waits for the server release the GIL, so the parts overlap. On SQLite
they run one after the other (every statement is CPU of this process; threads would only
contend). A part is taken from the session's copy (web/practice/overview_copies.py) when its
open cases, key version and day are those the copy was made for.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import TypeVar

from flask import session

from vp_registry.app_state import AppState, organisation_state
from vp_registry.services.cases.overview import Overview
from vp_registry.services.organisations.registry import Organisation
from vp_registry.services.practice import hours, overview
from vp_registry.services.practice.hours import ClientHours
from vp_registry.services.practice.overview import ClientOverview
from vp_registry.web.organisation import current_organisation
from vp_registry.web.practice.client_sessions import browser_tokens, open_in
from vp_registry.web.practice.overview_copies import COPIES, OverviewCopies

THREADS = 4  # per worker; each part's statements are a few hundred microseconds of waiting
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
T = TypeVar("T")

# (organisation, its part); the part is None for a session that cannot open the case files
Part = tuple[Organisation, ClientOverview | None]


@dataclass(frozen=True)
class SessionCopies:
    """The :class:`overview.Copies` of one browser session in one organisation."""

    slug: str
    token: str
    copies: OverviewCopies

    def get(self, match: bytes) -> Overview | None:
        return self.copies.get(self.slug, self.token, match)

    def put(self, match: bytes, found: Overview) -> None:
        self.copies.put(self.slug, self.token, match, found)


def _part(organisation: Organisation, state: AppState, token: str, today: date,
          copies: OverviewCopies) -> Part | None:
    """One organisation's part, in its own unit of work (committed: the audit entry, the
    listing index); None when this browser holds no live counsellor session there."""
    # the vault's listing index is read with the session's row only when no copy is kept:
    # a part made afresh needs it, a copy (usually still good) does not
    opened = open_in(organisation, state, token,
                     with_index=not copies.has(organisation.slug, token), with_open=True)
    if opened is None or not opened.unlocked:
        copies.drop(organisation.slug, token)
        if opened is None:
            return None
        opened.work.close()
        return organisation, None
    try:
        found = overview.client_overview(opened.client, today=today,
                                         copies=SessionCopies(organisation.slug, token, copies))
        opened.work.commit()
        return organisation, found
    finally:
        opened.work.close()


def _each(tasks: Sequence[Callable[[], T]], *, side_by_side: bool) -> list[T]:
    """Every task's result, in order; an error is raised once every task has ended."""
    if not side_by_side or len(tasks) < 2:
        return [task() for task in tasks]
    global _pool  # one pool per worker process, made at first use
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(THREADS, thread_name_prefix="clients")
        pool = _pool
    futures = [pool.submit(task) for task in tasks]
    errors = [future.exception() for future in futures]
    for error in errors:
        if error is not None:
            raise error
    return [future.result() for future in futures]


def drop_at_logout(sender: object, **extra: object) -> None:
    """Flask-Login's ``user_logged_out``: the session's copy goes with the session."""
    token = getattr(session, "token", None)
    if token:
        COPIES.drop(current_organisation().slug, token)


def _hours_part(organisation: Organisation, state: AppState, token: str, year: int
                ) -> tuple[Organisation, ClientHours | None] | None:
    """One organisation's hours of ``year``, in its own unit of work (committed: the audit
    entry); None without a live counsellor session there, no figures when locked."""
    opened = open_in(organisation, state, token)
    if opened is None:
        return None
    try:
        if not opened.unlocked:
            return organisation, None
        found = hours.client_hours(opened.client, year=year)
        opened.work.commit()
        return organisation, found
    finally:
        opened.work.close()


def browser_hours(year: int) -> tuple[list[ClientHours], list[str]]:
    """``/clients/hours``: every unlocked organisation's row and the names of the locked
    ones, home first; the organisations side by side as the overview's parts (issue 17,
    session 8; each commits its own audit entry)."""
    tasks: list[Callable[[], tuple[Organisation, ClientHours | None] | None]] = []
    side_by_side = False
    for organisation, token in browser_tokens():
        state = organisation_state(organisation)
        side_by_side = side_by_side or state.engine.dialect.name != "sqlite"
        tasks.append(partial(_hours_part, organisation, state, token, year))
    parts = [part for part in _each(tasks, side_by_side=side_by_side) if part is not None]
    return ([found for _organisation, found in parts if found is not None],
            [organisation.name for organisation, found in parts if found is None])


def browser_overviews(today: date, *, copies: OverviewCopies = COPIES) -> list[Part]:
    """The parts of every organisation whose live counsellor session this browser holds,
    home first (the registry's order)."""
    copies.sweep()
    tasks: list[Callable[[], Part | None]] = []
    side_by_side = False
    for organisation, token in browser_tokens():
        state = organisation_state(organisation)
        side_by_side = side_by_side or state.engine.dialect.name != "sqlite"
        tasks.append(partial(_part, organisation, state, token, today, copies))
    return [part for part in _each(tasks, side_by_side=side_by_side) if part is not None]
