"""The A/B separation matrix (issue 17): nothing of organisation A reaches B's people.

A is a full organisation (the demo: cases, a released signal with follow-up, a finalised
annual report, anonymous messages, a pulse round) with unique markers in a case, a
department's name, its people's names; B is another client. The people: a counsellor with
an account in A and one in B, logged in to both in one browser; a manager of A who is also
B's admin, logged in to both in another. Each of B's people walks every page of B that
links can reach under ``/o/b/``, every route of the URL map with A's real ids, the
downloads, a search for A's words, the audit log and the error pages: no marker of A, no
reference of A's cases, no word of A's released signal or report appears in any answer.
"""

from __future__ import annotations

import re
from collections import deque

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.organisationwork import Client, create_client
from tests.support.forms import post_form
from tests.web.organisation_visits import (
    MARK,
    OrganisationA,
    client_account,
    concrete_urls,
    log_in,
    organisation_a,
)
from vp_registry.config import Settings
from vp_registry.services.demo.signals import DEMO_FOLLOW_UP

LINK = re.compile(r'(?:href|action)="(/o/klant-b/[^"#]*)"')
MAX_PAGES = 400


@pytest.fixture
def world(app: Flask, settings: Settings) -> tuple[OrganisationA, Client]:
    return organisation_a(app, settings), create_client(app, settings, "klant-b")


def _leaks(body: str, markers: list[str]) -> list[str]:
    return [marker for marker in markers if marker and marker in body]


def _walk(browser: FlaskClient, start: list[str], markers: list[str]) -> int:
    """Every page of B that links and forms lead to (GET), from ``start``; returns how many
    answered 200. Fails at the first answer that holds a marker of A."""
    seen, queue, shown = set(start), deque(start), 0
    while queue and len(seen) < MAX_PAGES:
        path = queue.popleft()
        response = browser.get(path)
        body = response.get_data().decode("utf-8", "replace") + response.headers.get(
            "Location", "")
        assert not _leaks(body, markers), (path, _leaks(body, markers))
        shown += response.status_code == 200
        for found in LINK.findall(body):
            target = found.replace("&amp;", "&")
            if "logout" not in target and "/static/" not in target and target not in seen:
                seen.add(target)
                queue.append(target)
    return shown


def _routes_with_ids_of_a(browser: FlaskClient, app: Flask, a: OrganisationA) -> None:
    """Every GET route of B, its placeholders filled with A's real ids and references."""
    for endpoint, method, path in concrete_urls(app, a.ids):
        if method != "GET" or endpoint == "auth.set_language":
            continue
        response = browser.get("/o/klant-b" + path)
        # the requested path itself comes back (the language form's or login's "next")
        body = response.get_data().decode("utf-8", "replace").replace(path, "")
        assert not _leaks(body, a.markers), (path, _leaks(body, a.markers))


def test_nothing_of_a_reaches_the_counsellor_in_b(app: Flask, client: FlaskClient,
                                                  world: tuple[OrganisationA, Client]) -> None:
    a, b = world
    log_in(client, a.counsellor)
    # the same person's account in B (another account: B's own database)
    log_in(client, client_account(b, "counsellor", a.counsellor.email, name="Ingrid Extern"))
    # a message of A waits in A's session (a flash after a change): never shown in B
    post_form(client, f"/o/{a.slug}/cases/{a.ids['reference']}/close", {},
              form_page=f"/o/{a.slug}/cases/{a.ids['reference']}")
    assert _walk(client, ["/o/klant-b/start", "/o/klant-b/cases/", "/o/klant-b/signals",
                          "/o/klant-b/reports", "/o/klant-b/messages"], a.markers) > 10
    _routes_with_ids_of_a(client, app, a)
    for words in (f"Melder {MARK}", f"Verhaal {MARK}", MARK):  # a search for A's words
        response = post_form(client, "/o/klant-b/cases/filter", {"q": words},
                             form_page="/o/klant-b/cases/", follow_redirects=True)
        body = response.get_data(as_text=True).replace(words, "")
        assert not _leaks(body, [m for m in a.markers if m != MARK]), words
    assert client.get("/o/klant-b/cases/VP-0000-XXXX").status_code == 404


def test_nothing_of_a_reaches_the_admin_of_b_who_manages_a(
        app: Flask, client: FlaskClient, world: tuple[OrganisationA, Client]) -> None:
    a, b = world
    log_in(client, a.manager)  # A's manager reads A's released signal and report ...
    page = client.get(f"/o/{a.slug}/management/signals/{a.ids['signal_id']}")
    assert DEMO_FOLLOW_UP[:50] in page.get_data(as_text=True)  # (the markers are real)
    log_in(client, client_account(b, "admin", "beheer@klant-b.example.org"))
    assert _walk(client, ["/o/klant-b/start", "/o/klant-b/admin/audit",
                          "/o/klant-b/admin/users", "/o/klant-b/admin/departments"],
                 a.markers) > 5
    _routes_with_ids_of_a(client, app, a)
    for kind in ("login", "cases", "signals", "reports", "accounts"):  # B's own audit log
        body = client.get(f"/o/klant-b/admin/audit?kind={kind}").get_data(as_text=True)
        assert not _leaks(body, a.markers), kind
