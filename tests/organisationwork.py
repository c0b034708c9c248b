"""Helpers of the organisation life-cycle tests (issue 17): a client organisation with its
own vault, a counsellor, and canary markers in a case, an anonymous message and a pulse
comment. Plain functions, no fixtures."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

from flask import Flask
from sqlalchemy import LargeBinary, select
from sqlalchemy.orm import Session, sessionmaker

from tests.casework import case_input, department
from tests.contactwork import submission
from tests.pulsework import answers, make_round, respond, toolbox
from tests.support.sessions import db_session_for
from vp_registry.app_state import practice_state
from vp_registry.config import Settings
from vp_registry.core import crypto
from vp_registry.db import Base
from vp_registry.db.accounts import User
from vp_registry.services.accounts import users
from vp_registry.services.cases import conversations, lifecycle
from vp_registry.services.cases.records import ContactInput
from vp_registry.services.contact import channel
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.organisations import deletion, registry
from vp_registry.services.organisations.databases import OrganisationDatabases
from vp_registry.services.organisations.registry import Organisation
from vp_registry.services.organisations.settings import settings_for
from vp_registry.services.vault import grants, key_pairs, store, unlocking
from vp_registry.services.vault.keyring import VaultKeys
from vp_registry.services.work import Work

PASSWORD = "correct horse battery staple 7"
TODAY = date(2026, 11, 25)


def databases_of(app: Flask) -> OrganisationDatabases:
    """The installation's organisation databases (one per test application)."""
    return practice_state(app).databases


@contextmanager
def main_work(app: Flask, settings: Settings) -> Iterator[Work]:
    """A unit of work on the main database (the registry), committed at the end."""
    with app.app_context(), db_session_for(app) as session:
        work = Work(session, settings, Actor.system())
        yield work
        session.commit()


@dataclass
class Client:
    """A client organisation as a test holds it: its registry entry, settings, sessions,
    recovery key, counsellor and the markers written into its data."""

    organisation: Organisation
    settings: Settings
    factory: sessionmaker[Session]
    recovery_key: str
    counsellor_id: int = 0
    reference: str = ""
    thread_id: int = 0
    round_id: int = 0
    markers: dict[str, str] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        return self.organisation.slug

    def keys(self, session: Session) -> VaultKeys:
        """The counsellor's vault keys, opened with the password."""
        user = session.get(User, self.counsellor_id)
        assert user is not None
        work = Work(session, self.settings, Actor.system())
        return unlocking.open_keys(session, self.settings,
                                   unlocking.unlock_with_password(work, user, PASSWORD))

    def work(self, session: Session) -> Work:
        return Work(session, self.settings, Actor(self.counsellor_id, "counsellor"),
                    keys=self.keys(session))


def create_client(app: Flask, settings: Settings, slug: str, *, data: bool = True) -> Client:
    """A registered client organisation with a vault and a counsellor who holds a grant;
    with ``data``, a case and a conversation, an anonymous message and a closed pulse round
    with one comment, each carrying a marker unique to this organisation."""
    databases = databases_of(app)
    with main_work(app, settings) as work:
        organisation = registry.create_organisation(work, databases, slug=slug,
                                                    name=f"Client {slug}")
    own = settings_for(settings, organisation)
    factory = databases.session_factory(organisation)
    with factory() as session:
        work = Work(session, own, Actor.system())
        private = store.create_vault(work)
        assert private is not None
        recovery = crypto.format_recovery_key(private)
        user = users.create_user(work, email=f"vp@{slug}.example.org",
                                 display_name=f"VP {slug}", role="counsellor",
                                 password=PASSWORD, must_change_password=False)
        key_pairs.ensure_counsellor_key(work, user, PASSWORD)
        grants.recover_access(work, recovery, user)
        session.commit()
        client = Client(organisation, own, factory, recovery, counsellor_id=user.id)
    if data:
        with factory() as session:
            _fill(session, client)
    return client


def _fill(session: Session, client: Client) -> None:
    tag = secrets.token_hex(5).upper()
    slug = client.slug.upper().replace("-", "")
    client.markers = {kind: f"CANARY{tag}{slug}{kind.upper()}"
                      for kind in ("case", "notes", "message", "comment")}
    work = client.work(session)
    dept = department(session, "Werkplaats", client.settings, headcount=40)
    record = lifecycle.create_case(work, case_input(dept.id, narrative=client.markers["case"]),
                                   today=TODAY)
    conversations.add_contact(work, record.reference, ContactInput(
        held_on=date(2026, 3, 5), minutes=30, channel="video", notes=client.markers["notes"]),
        today=TODAY)
    channel.submit(Work(session, client.settings, Actor.anonymous()),
                   submission(message=client.markers["message"]), today=TODAY)
    org = toolbox(session, client.settings)
    row = make_round(work, org, with_codes=False)
    session.commit()
    respond(session, client.settings, row, "Planning", answers(4),
            free_text=client.markers["comment"])
    session.commit()
    client.reference, client.round_id = record.reference, row.id
    client.thread_id = int(session.execute(select(Base.metadata.tables["contact_threads"].c.id)
                                           ).scalar_one())


def binary_values(factory: sessionmaker[Session], columns: dict[str, tuple[str, ...]]
                  ) -> dict[str, list[bytes]]:
    """Every non-empty value of the given binary columns, by ``table.column``."""
    found: dict[str, list[bytes]] = {}
    with factory() as session:
        for table_name, names in columns.items():
            table = Base.metadata.tables[table_name]
            for name in names:
                column = table.c[name]
                assert isinstance(column.type, LargeBinary), (table_name, name)
                values = [bytes(value) for value in session.execute(
                    select(column).where(column.is_not(None))).scalars() if value]
                if values:
                    found[f"{table_name}.{name}"] = values
    return found


def key_material(client: Client) -> dict[str, list[bytes]]:
    return binary_values(client.factory, deletion.KEY_MATERIAL)


def ciphertexts(client: Client) -> dict[str, list[bytes]]:
    return binary_values(client.factory, deletion.CIPHERTEXT)
