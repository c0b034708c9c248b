"""The application's shared state in one typed object, one per organisation.

Flask keeps per-application objects in ``app.extensions``, a dict of strings to anything: a
misspelt key or a wrong type shows up only at run time, in the one request that reads it.
Everything vp-registry keeps per application (the settings, the engine and its sessions, the
short read caches, the in-memory throttles of the anonymous pages, the built menus) is one
:class:`AppState`, made once by the application factory and read through :func:`app_state`.

Organisations (issue 17): every organisation has an AppState of its own - its settings (the
installation's with its overrides), its database's engine and sessions, its caches, throttles
and menus. :func:`app_state` returns the state of the **current** organisation: the request's
(chosen by web/organisation.py's routing middleware from the URL prefix or the host name) or
the CLI command's (``--organisation``), so code written for one organisation is, unchanged,
the code of each. :func:`practice_state` is the installation's: the main database (which is
the home organisation's) with the registry of organisations.
"""

from __future__ import annotations

import json
import threading
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from flask import Flask, current_app
from flask.globals import _cv_request

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from vp_registry.config import Settings
    from vp_registry.services.accounts.organisation import Directory
    from vp_registry.services.infrastructure.readcache import ReadCache
    from vp_registry.services.organisations.databases import OrganisationDatabases
    from vp_registry.services.organisations.registry import Organisation
    from vp_registry.web.contact.privacy import Throttles
    from vp_registry.web.navigation import MenuItem

KEY: Final = "vp_registry"
# Where the routing middleware puts the request's organisation (absent: the home one).
ENVIRON_KEY: Final = "vp_registry.organisation"
# The CLI command's organisation (``vp-registry --organisation SLUG``; None: the home one).
cli_organisation: ContextVar[Organisation | None] = ContextVar("vp_cli_organisation",
                                                               default=None)


@dataclass
class AppState:
    """What one application (one worker process) shares between the requests of one
    organisation."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    directory: ReadCache[Directory]  # departments and categories of the case pages
    case_years: ReadCache[list[int]]  # the case list's year filter
    contact_throttles: Throttles  # anonymous pages: per address, in memory only
    databases: OrganisationDatabases  # every organisation's engine (shared by all states)
    menus: dict[tuple[Any, ...], tuple[MenuItem, ...]] = field(default_factory=dict)
    # the home organisation as the registry names it (practice state only; read once)
    home: Organisation | None = None
    # the client organisations' states, by slug (kept on the practice state only)
    clients: dict[str, tuple[str, AppState]] = field(default_factory=dict, repr=False)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


def init_app(app: Flask, state: AppState) -> None:
    app.extensions[KEY] = state


def practice_state(app: Flask | None = None) -> AppState:
    """The installation's state: the main database (the home organisation's) and the
    registry of organisations in it."""
    state: AppState = (app if app is not None else current_app).extensions[KEY]
    return state


def current_organisation_or_none() -> Organisation | None:
    """The organisation the current request or CLI command acts for; None for the home
    organisation (web/organisation.py's ``current_organisation`` gives it as a value)."""
    context = _cv_request.get(None)
    if context is not None:
        found: Organisation | None = context.request.environ.get(ENVIRON_KEY)
        return found
    return cli_organisation.get()


def cache_namespace() -> str:
    """The current organisation's name for process-wide caches ("" for the home
    organisation): core/disclosure/cache.py keeps each organisation's entries apart."""
    organisation = current_organisation_or_none()
    return "" if organisation is None or organisation.is_home else organisation.slug


def app_state(app: Flask | None = None) -> AppState:
    """The state of the current organisation (of ``app``, by default the current
    application). With ``app`` given outside a request: the practice (home) state."""
    context = _cv_request.get(None)  # read directly: pages call this often (issue 15)
    if context is not None:
        practice: AppState = (app if app is not None else context.app).extensions[KEY]
        organisation: Organisation | None = context.request.environ.get(ENVIRON_KEY)
    else:
        practice = practice_state(app)
        organisation = cli_organisation.get()
    if organisation is None:
        return practice
    return organisation_state(organisation, practice=practice)


def _state_key(organisation: Organisation) -> str:
    return json.dumps([organisation.id, organisation.name, organisation.settings],
                      sort_keys=True)


def organisation_state(organisation: Organisation, app: Flask | None = None, *,
                       practice: AppState | None = None) -> AppState:
    """The state of ``organisation`` (made on first use; made again when its name or
    settings changed in the registry). The home organisation's is the practice state."""
    practice = practice if practice is not None else practice_state(app)
    if organisation.is_home:
        return practice
    key = _state_key(organisation)
    cached = practice.clients.get(organisation.slug)
    if cached is not None and cached[0] == key:
        return cached[1]
    with practice.lock:
        cached = practice.clients.get(organisation.slug)
        if cached is None or cached[0] != key:
            cached = (key, _client_state(practice, organisation))
            practice.clients[organisation.slug] = cached
    return cached[1]


def forget_organisation(organisation: Organisation, app: Flask | None = None) -> None:
    """Drop a (deleted) organisation's state and close its engine's connections."""
    forget_slug(practice_state(app), organisation.slug)


def forget_slug(practice: AppState, slug: str) -> None:
    """This worker's state and engine of ``slug``, if it has them, are dropped: the routing
    found no active organisation of that name (another worker may have deleted it), so no
    idle connection keeps its database - a SQLite file already unlinked - open here."""
    if slug not in practice.clients and not practice.databases.has_engine(slug):
        return
    with practice.lock:
        practice.clients.pop(slug, None)
    practice.databases.dispose_slug(slug)


def _client_state(practice: AppState, organisation: Organisation) -> AppState:
    from vp_registry.db.cases import Case
    from vp_registry.services.accounts import organisation as departments
    from vp_registry.services.cases import listing
    from vp_registry.services.infrastructure.readcache import ReadCache
    from vp_registry.services.organisations.settings import settings_for
    from vp_registry.web.contact import privacy

    settings = settings_for(practice.settings, organisation)
    databases = practice.databases
    return AppState(
        settings=settings,
        engine=databases.engine(organisation),
        session_factory=databases.session_factory(organisation),
        directory=departments.directory_cache(),
        case_years=ReadCache(listing.case_years, (Case,)),
        contact_throttles=privacy.make_throttles(settings),
        databases=databases,
    )
