"""No id of one organisation opens a row of another (issue 17): an IDOR test for every route
with an id.

Each organisation has its own database, so ids and references collide by design: A's case 7
and B's case 7 are different rows in different databases, and under B's prefix an id can
only ever name a row of B. For every route of the URL map with an id, the ids of A's real rows
are requested under ``/o/klant-b/`` with a session of B that may use the route: where B has
no such row the answer is 404 (or 403); where B happens to have one, B's own row is shown.
Never does any answer hold anything of A.
"""

from __future__ import annotations

import hashlib
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.organisationwork import Client, create_client
from tests.web.organisation_visits import (
    ROW_IDS,
    OrganisationA,
    client_account,
    exists,
    fill,
    log_in,
    organisation_a,
)
from vp_registry.config import Settings
from vp_registry.db import Base
from vp_registry.web.access import PUBLIC, allowed_roles_of

PLACEHOLDER = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")
NOT_IDS = {"year", "version", "fmt", "locale", "filename"}
# what a form of a row would carry (revision, version, a confirmation): a POST that passes
# the form's checks reaches the row's look-up, where an id of A must find nothing
PLAUSIBLE = {"revision": "1", "version": "1", "confirmed": "1", "active": "0",
             "password": "Een-lang-en-sterk-wachtwoord-99", "text": "Gezien."}
VOLATILE = {"audit_entries", "audit_head", "audit_pending", "web_sessions", "login_throttles",
            "case_listing_caches", "case_listing_index", "case_search_index"}


def digest(factory: sessionmaker[Session]) -> dict[str, str]:
    """Every table of an organisation's database but logs, sessions and caches, hashed."""
    found = {}
    with factory() as session:
        for table in Base.metadata.sorted_tables:
            if table.name not in VOLATILE:
                rows = session.execute(select(table).order_by(*table.primary_key.columns))
                found[table.name] = hashlib.sha256(repr(rows.all()).encode()).hexdigest()
    return found


@pytest.fixture
def organisations(app: Flask, settings: Settings) -> tuple[OrganisationA, Client]:
    return organisation_a(app, settings), create_client(app, settings, "klant-b")


def _routes_with_ids(app: Flask) -> list[tuple[str, str, set[str], list[str]]]:
    """(endpoint, rule, the ids it names, its methods) for every route with an id."""
    found = []
    for rule in app.url_map.iter_rules():
        names = set(PLACEHOLDER.findall(rule.rule)) - NOT_IDS
        if names and rule.endpoint != "static":
            methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
            found.append((rule.endpoint, rule.rule, names, methods))
    return sorted(found)


def test_every_route_with_an_id_is_covered(app: Flask) -> None:
    """A route with a new kind of id fails here until ROW_IDS says which rows it names."""
    for endpoint, rule, names, _methods in _routes_with_ids(app):
        assert names <= set(ROW_IDS), (endpoint, rule, names - set(ROW_IDS))


def _browsers(app: Flask, b: Client) -> dict[str, FlaskClient]:
    """An anonymous browser and one logged in to B per role."""
    browsers: dict[str, FlaskClient] = {"anonymous": app.test_client()}
    for role in ("counsellor", "manager", "admin"):
        browsers[role] = app.test_client()
        log_in(browsers[role], client_account(b, role, f"{role}@klant-b.example.org"))
    return browsers


def test_ids_of_a_under_bs_prefix_never_show_a(
        app: Flask, organisations: tuple[OrganisationA, Client]) -> None:
    a, b = organisations
    before = digest(a.factory)
    browsers = _browsers(app, b)
    app.config["WTF_CSRF_ENABLED"] = False  # reach the view, not the CSRF check
    checked = 0
    for endpoint, rule, names, methods in _routes_with_ids(app):
        allowed = allowed_roles_of(app, endpoint) or frozenset()
        role = "anonymous" if PUBLIC in allowed else next(
            r for r in ("counsellor", "manager", "admin") if r in allowed)
        in_b = any(exists(b.factory, name, a.ids[name]) for name in names)
        own = fill(rule, a.ids)
        path = f"/o/{b.slug}{own}"
        for method in methods:
            if in_b and method != "GET":
                continue  # B's own row: a change to it is B's business (and would log out)
            response = browsers[role].open(path, method=method, data=PLAUSIBLE)
            # the requested path itself comes back (the language form's or login's "next")
            body = response.get_data().decode("utf-8", "replace").replace(own, "")
            # the reference asked for may come back (a redirect to its page): nothing else
            assert not [m for m in a.markers if m in body and m != a.ids["reference"]], (
                role, method, path)
            assert response.status_code < 500, (role, method, path)
            if not in_b and method == "GET" and response.status_code == 302:
                # a page that sends an unknown id back to its list (a candidate signal's
                # token): to B's own page, and still logged in
                location = response.headers["Location"]
                assert location.startswith(f"/o/{b.slug}/") and "/login" not in location
            elif not in_b and method == "GET":
                assert response.status_code in {403, 404}, (role, method, path,
                                                            response.status_code)
            checked += 1
    assert checked >= 40
    assert digest(a.factory) == before, "a request under B's prefix changed A's database"
