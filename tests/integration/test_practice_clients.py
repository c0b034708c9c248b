"""The practice's view across clients (issue 17, orgs-web): services/practice/.

Two client organisations A and B, each with its own database, vault and counsellor
(tests/organisationwork.py). The overview and the hours of each client are computed in that
client's own unit of work with its own keys, and audited in that client's own log - never in
the main database's, never in the other client's.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.organisationwork import TODAY, Client, create_client, main_work
from vp_registry.config import Settings
from vp_registry.core.crypto import DecryptionError
from vp_registry.db.audit import AuditEntry
from vp_registry.services.practice import ClientWork, hours, overview
from vp_registry.services.reports import activities
from vp_registry.services.reports.activities import ActivityInput


@pytest.fixture
def clients(app: Flask, settings: Settings) -> tuple[Client, Client]:
    return create_client(app, settings, "alfa-techniek"), create_client(app, settings,
                                                                         "beta-metaal")


def _actions(session: Session) -> list[str]:
    return list(session.execute(select(AuditEntry.action).order_by(AuditEntry.seq)).scalars())


def test_each_overview_comes_from_its_own_organisation(clients: tuple[Client, Client],
                                                       app: Flask, settings: Settings) -> None:
    a, b = clients
    with a.factory() as session_a, b.factory() as session_b:
        before_a, before_b = len(_actions(session_a)), len(_actions(session_b))
        found = overview.client_overviews(
            [ClientWork(a.organisation, a.work(session_a)),
             ClientWork(b.organisation, b.work(session_b))], today=TODAY)
        session_a.commit()
        session_b.commit()
        assert [item.organisation.slug for item in found] == [a.slug, b.slug]
        assert [[case.reference for case in item.recent] for item in found] == [
            [a.reference], [b.reference]]
        assert [item.open_count for item in found] == [1, 1]
        # one case.list read in each client's own log
        assert _actions(session_a)[before_a:][-1:] == ["case.list"]
        assert _actions(session_b)[before_b:][-1:] == ["case.list"]
    with main_work(app, settings) as work:
        assert "case.list" not in _actions(work.session)


def test_a_client_is_never_read_with_another_clients_keys(clients: tuple[Client, Client]
                                                           ) -> None:
    """The unit of work of A holding B's keys opens nothing of A (the references collide
    by design: each organisation numbers its own rows)."""
    a, b = clients
    with a.factory() as session_a, b.factory() as session_b:
        foreign = a.work(session_a).with_keys(b.keys(session_b))
        with pytest.raises(DecryptionError):
            overview.client_overview(ClientWork(a.organisation, foreign), today=TODAY)


def test_hours_per_client_count_conversations_and_activities_of_the_year(
        clients: tuple[Client, Client]) -> None:
    a, b = clients
    with a.factory() as session:
        work = a.work(session)
        for held_on, text in ((date(2026, 4, 1), "1.5"), (date(2025, 12, 31), "2")):
            activities.create_activity(work, ActivityInput(
                held_on=held_on, activity_type="presentation", hours=Decimal(text)),
                today=TODAY)
        session.commit()
    with a.factory() as session_a, b.factory() as session_b:
        rows = hours.clients_hours([ClientWork(a.organisation, a.work(session_a)),
                                    ClientWork(b.organisation, b.work(session_b))], year=2026)
        last_year = hours.client_hours(ClientWork(a.organisation, a.work(session_a)),
                                       year=2025)
    first, second = rows
    # each client: one case opened 2026-03-02 with one 30-minute conversation on 2026-03-05
    assert (first.new_cases, first.conversations, first.conversation_minutes) == (1, 1, 30)
    assert (first.activities, first.activity_minutes, first.total_minutes) == (1, 90, 120)
    assert (second.activities, second.total_minutes) == (0, 30)
    assert (last_year.new_cases, last_year.conversations, last_year.activities,
            last_year.activity_minutes) == (0, 0, 1, 120)
    assert hours.hours_text(first.total_minutes) == "2.00"
    assert hours.hours_text(20) == "0.33"
