"""Helpers of the organisation page tests (issue 17, orgs-web): accounts in a client
organisation's own database, logging a test client in under an organisation's prefix, and
the concrete URLs of the URL map. Plain functions, no fixtures.

Each organisation has its own database, so its users, cases and ids are its own: the same
user id or case id exists in A and in B and names different rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from tests.casework import case_input
from tests.organisationwork import Client, databases_of, main_work
from tests.support.forms import post_form
from vp_registry.config import Settings
from vp_registry.db import Base
from vp_registry.db.accounts import User
from vp_registry.db.cases import Case
from vp_registry.db.organisation import Department
from vp_registry.db.signals import ReleasedSignal
from vp_registry.services.accounts import authentication, organisation, users
from vp_registry.services.cases import lifecycle
from vp_registry.services.demo import acting
from vp_registry.services.demo.reports import RECOMMENDATIONS
from vp_registry.services.demo.seed import DEMO_USERS, create_demo
from vp_registry.services.demo.signals import DEMO_DEPARTMENT, DEMO_DRAFT, DEMO_FOLLOW_UP
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.organisations import registry
from vp_registry.services.organisations.settings import settings_for
from vp_registry.services.vault import grants, key_pairs, store
from vp_registry.services.work import Work

PASSWORD = "Een-lang-en-sterk-wachtwoord-17"


@dataclass(frozen=True)
class Account:
    """A user of one organisation, enrolled in two-step verification."""

    prefix: str  # "" for the home organisation, "/o/<slug>" for a client
    id: int
    email: str
    role: str
    password: str
    totp_secret: str


def enrol(session: Session, settings: Settings, user: User) -> str:
    secret = pyotp.random_base32(32)
    authentication.complete_enrolment(Work(session, settings, Actor.system()), user, secret,
                                      pyotp.TOTP(secret).now(), None)
    user.totp_last_step = 0  # the test logs in with the current code
    return secret


def account(factory: sessionmaker[Session], settings: Settings, prefix: str, role: str,
            email: str, *, name: str | None = None, recovery_key: str | None = None) -> Account:
    """A new enrolled account; a counsellor with ``recovery_key`` also gets a grant."""
    with factory() as session:
        work = Work(session, settings, Actor.system())
        user = users.create_user(work, email=email, display_name=name or email.split("@")[0],
                                 role=role, password=PASSWORD, must_change_password=False)
        if role == "counsellor":
            key_pairs.ensure_counsellor_key(work, user, PASSWORD)
            if recovery_key is not None:
                grants.recover_access(work, recovery_key, user)
        secret = enrol(session, settings, user)
        session.commit()
        return Account(prefix, user.id, user.email, role, PASSWORD, secret)


def client_account(client: Client, role: str, email: str, *, name: str | None = None,
                   granted: bool = True) -> Account:
    return account(client.factory, client.settings, f"/o/{client.slug}", role, email,
                   name=name, recovery_key=client.recovery_key if granted else None)


def enrolled(client: Client, user_id: int, password: str) -> Account:
    """An existing user of the client (e.g. its counsellor) enrolled for a test login."""
    with client.factory() as session:
        user = session.get(User, user_id)
        assert user is not None
        secret = enrol(session, client.settings, user)
        session.commit()
        return Account(f"/o/{client.slug}", user.id, user.email, user.role, password, secret)


def log_in(browser: FlaskClient, who: Account) -> None:
    """Log in at the account's organisation, as a browser does (two steps)."""
    first = post_form(browser, f"{who.prefix}/login", {"email": who.email,
                                                       "password": who.password})
    assert first.status_code == 302, first.get_data(as_text=True)[:300]
    if first.headers["Location"].endswith("/login/code"):
        second = post_form(browser, f"{who.prefix}/login/code",
                           {"code": pyotp.TOTP(who.totp_secret).now()})
        assert second.status_code == 302, second.get_data(as_text=True)[:300]


def fill(rule: str, ids: dict[str, str] | None = None) -> str:
    """A rule's path, each placeholder taking ``ids[name]`` or "1" (a converter's other
    than int: "x")."""
    values = ids or {}

    def value(match: re.Match[str]) -> str:
        converter, name = match.group(1), match.group(2)
        return values.get(name, "1" if converter in (None, "int") else "x")

    return re.sub(r"<(?:([a-z]+):)?([a-z_]+)>", value, rule)


def concrete_urls(app: Flask, ids: dict[str, str] | None = None) -> list[tuple[str, str, str]]:
    """(endpoint, method, path) for every rule of the URL map but static files."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, fill(rule.rule, ids)))
    return found


# ------------------------------------------------------------------ organisation A

MARK = "ZQXA7"  # in A's department name, A's people's names and a case of A


@dataclass
class OrganisationA:
    slug: str
    factory: sessionmaker[Session]
    counsellor: Account
    manager: Account
    markers: list[str]
    ids: dict[str, str]


def _quiet(*_args: object, **_values: object) -> None:
    """The demo's progress lines: not needed here."""


def _enrolled(factory: sessionmaker[Session], settings: Settings, email: str, password: str
              ) -> Account:
    with factory() as session:
        user = session.execute(select(User).where(User.email == email)).scalar_one()
        secret = enrol(session, settings, user)
        session.commit()
        return Account("/o/klant-a", user.id, email, user.role, password, secret)


ROW_IDS: dict[str, tuple[str, str]] = {  # placeholder -> the table and column it names
    "reference": ("cases", "reference"), "contact_id": ("case_contacts", "id"),
    "category_id": ("categories", "id"), "department_id": ("departments", "id"),
    "user_id": ("users", "id"), "signal_id": ("released_signals", "id"),
    "thread_id": ("contact_threads", "id"), "activity_id": ("activities", "id"),
    "round_id": ("pulse_rounds", "id"), "token": ("pulse_rounds", "public_token"),
}


def _largest_ids(session: Session) -> dict[str, str]:
    """Of every kind of row with a URL, the one with the largest id (the least likely to
    exist in a smaller organisation too)."""
    found = {}
    for name, (table_name, column) in ROW_IDS.items():
        if name in {"reference", "signal_id"}:
            continue
        table = Base.metadata.tables[table_name]
        value = session.execute(select(table.c[column]).order_by(table.c.id.desc())).first()
        assert value is not None, table_name
        found[name] = str(value[0])
    return found


def exists(factory: sessionmaker[Session], name: str, value: str) -> bool:
    """Whether the row a placeholder's value names exists in that organisation."""
    table_name, column = ROW_IDS[name]
    table = Base.metadata.tables[table_name]
    wanted: object = value if column in {"reference", "public_token"} else int(value)
    with factory() as session:
        return session.execute(select(table.c.id).where(table.c[column] == wanted)).first() \
            is not None


def organisation_a(app: Flask, settings: Settings) -> OrganisationA:
    """Client "klant-a" with the whole demo in it (cases, a released signal with
    follow-up, a finalised report, messages, pulse rounds) and ``MARK`` in a department's
    name, its people's names and one more case; its counsellor and manager enrolled."""
    databases = databases_of(app)
    with main_work(app, settings) as work:
        registered = registry.create_organisation(work, databases, slug="klant-a",
                                                    name=f"Klant A {MARK} B.V.")
    own = settings_for(settings, registered)
    factory = databases.session_factory(registered)
    counsellor_login, manager_login = DEMO_USERS[0], DEMO_USERS[1]
    with factory() as session:
        work = Work(session, own, Actor.system())
        store.create_vault(work)
        create_demo(work, progress=_quiet)
        session.execute(update(Department).where(Department.name == DEMO_DEPARTMENT)
                        .values(name=f"Magazijn {MARK}"))
        session.execute(update(User).values(display_name=User.display_name + f" {MARK}"))
        organisation.create_category(work, code="eigen", label_nl=f"Eigen {MARK}",
                                     label_en=f"Own {MARK}")
        counsellor = session.execute(select(User).where(
            User.email == counsellor_login.email)).scalar_one()
        keyed = acting.as_counsellor(work, counsellor, counsellor_login.password)
        department_id = session.execute(select(Department.id)).scalars().first()
        lifecycle.create_case(keyed, case_input(department_id, narrative=f"Verhaal {MARK}",
                                                reporter_name=f"Melder {MARK}"),
                              today=date.today())
        session.commit()
        references = list(session.execute(select(Case.reference)).scalars())
        signal_id = session.execute(select(ReleasedSignal.id)).scalars().first()
        ids = {"reference": references[0], "signal_id": str(signal_id),
               "year": str(date.today().year - 1), "fmt": "csv", "version": "1",
               **_largest_ids(session)}
    markers = [MARK, *references, DEMO_DRAFT.context[-60:], DEMO_FOLLOW_UP[:50],
               DEMO_DRAFT.other_action or "", RECOMMENDATIONS[:60]]
    return OrganisationA(
        "klant-a", factory,
        _enrolled(factory, own, counsellor_login.email, counsellor_login.password),
        _enrolled(factory, own, manager_login.email, manager_login.password), markers, ids)
