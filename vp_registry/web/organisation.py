"""Which organisation a request is for (issue 17): the routing middleware, the organisation
of the current request and its session cookie's name.

:class:`OrganisationRouting` is the outermost WSGI middleware (outside the static files'
one). A request for ``/o/<slug>/rest`` of an active client organisation becomes
``SCRIPT_NAME=/o/<slug>``, ``PATH_INFO=/rest``, so that Flask routes ``/rest`` and ``url_for``
writes the prefix by itself; a host name registered for an organisation selects it without a
prefix (and on that host no other organisation is served) when ORGANISATION_HOSTS is on. The
chosen organisation goes into
the WSGI environment, where :func:`vp_registry.app_state.app_state` finds it: from there on
the request has that organisation's settings, database and caches only.

An unknown, deleted or home slug is not rewritten: Flask answers ``/o/...`` with its ordinary
404 page, in the home organisation's context - the same answer as for any unknown address,
naming nothing. The registry is read per request that names an organisation (one indexed row
of the main database; with ORGANISATION_HOSTS on, every request is looked up by its host): a
deleted organisation is gone for every worker at once, never served from a cache. A request
of the home organisation (or a static file) without a prefix costs no statement.

Each organisation has its own session cookie (``vp_session`` for the home organisation,
``vp_session__<slug>`` for the others, all with path ``/``) kept in its own ``web_sessions``:
a browser may be logged in to several organisations at once, and a cookie of one is not a
session anywhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, Final

from flask import Flask
from sqlalchemy import Engine, bindparam, select

from vp_registry.app_state import (
    ENVIRON_KEY,
    current_organisation_or_none,
    forget_slug,
    practice_state,
)
from vp_registry.db.practice import Organisation as OrganisationRow
from vp_registry.services.organisations import registry
from vp_registry.services.organisations.registry import Organisation

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

PREFIX: Final = "/o/"
HOME_COOKIE: Final = "vp_session"
COOKIE_PREFIX: Final = HOME_COOKIE + "__"

_COLUMNS = (OrganisationRow.id, OrganisationRow.slug, OrganisationRow.name,
            OrganisationRow.host, OrganisationRow.is_home, OrganisationRow.settings)
_BY_SLUG = select(*_COLUMNS).where(OrganisationRow.slug == bindparam("slug"),
                                   OrganisationRow.deleted_at.is_(None))
_BY_HOST = select(*_COLUMNS).where(OrganisationRow.host == bindparam("host"),
                                   OrganisationRow.deleted_at.is_(None))


def cookie_name(organisation: Organisation | None = None) -> str:
    """The session cookie of ``organisation`` (by default the current one)."""
    if organisation is None:
        organisation = current_organisation_or_none()
    if organisation is None or organisation.is_home:
        return HOME_COOKIE
    return COOKIE_PREFIX + organisation.slug


def is_session_cookie(name: str) -> bool:
    """Whether a cookie name is one of our session cookies (any organisation's)."""
    return name == HOME_COOKIE or name.startswith(COOKIE_PREFIX)


def has_session_cookie(cookies: Mapping[str, str]) -> bool:
    """Whether the request carries a (non-empty) session cookie of any organisation."""
    return any(value and is_session_cookie(name) for name, value in cookies.items())


def current_organisation() -> Organisation:
    """The organisation of the current request (or CLI command): a client organisation as
    the routing chose it, else the home organisation (read once per request)."""
    found = current_organisation_or_none()
    if found is not None:
        return found
    state = practice_state()
    home = state.home
    if home is None:
        with state.session_factory() as session:
            home = registry.home_organisation(session)
        if not home.name:
            home = Organisation(home.id, home.slug, state.settings.organisation_name,
                                home.host, True, home.settings)
        state.home = home
    return home


def _frozen(row: Any) -> Organisation:
    return registry.frozen(row.id, row.slug, row.name, row.host, row.is_home, row.settings)


class OrganisationRouting:
    """WSGI middleware: the request's organisation from its URL prefix or host name."""

    def __init__(self, wsgi_app: WSGIApplication, engine: Engine, *, by_host: bool,
                 forget: Callable[[str], None] = lambda _slug: None) -> None:
        self.app = wsgi_app
        self.engine = engine
        self.by_host = by_host
        self.forget = forget  # a slug no longer active: drop this worker's state and engine

    def _lookup(self, statement: Any, **value: str) -> Organisation | None:
        with self.engine.connect() as connection:
            row = connection.execute(statement, value).first()
        return _frozen(row) if row is not None and not row.is_home else None

    def _by_host(self, environ: WSGIEnvironment) -> Organisation | None:
        host = registry.normal_host(environ.get("HTTP_HOST") or "")
        return self._lookup(_BY_HOST, host=host) if host else None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse
                 ) -> Iterable[bytes]:
        organisation = self._by_host(environ) if self.by_host else None
        if organisation is None:
            path: str = environ.get("PATH_INFO", "")
            if path.startswith(PREFIX):
                slug, slash, rest = path[len(PREFIX):].partition("/")
                if registry.SLUG_PATTERN.match(slug):
                    organisation = self._lookup(_BY_SLUG, slug=slug)
                    if organisation is None:  # deleted by another worker, perhaps
                        self.forget(slug)
                if organisation is not None:
                    environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + PREFIX + slug
                    environ["PATH_INFO"] = slash + rest
        if organisation is not None:
            environ[ENVIRON_KEY] = organisation
        return self.app(environ, start_response)


def init_app(app: Flask) -> None:
    """Put :class:`OrganisationRouting` outside everything else (call it last)."""
    state = practice_state(app)
    wrapped: Any = OrganisationRouting(app.wsgi_app, state.engine,
                                       by_host=state.settings.organisation_hosts,
                                       forget=partial(forget_slug, state))
    app.wsgi_app = wrapped  # type: ignore[method-assign]
