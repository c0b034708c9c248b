"""The practice's annual overview: hours and contacts per client (issue 17).

For invoicing and the practice's own jaarverslag: per client organisation, in one calendar
year, the cases opened, the conversations held and their time, and the activities (the
preventive work of the annual report) and their time. Each row is computed in that client's
own database: activity times and the dates of cases and conversations are plaintext there;
a conversation's duration is encrypted and comes from that client's case facts (its vault's
search index, decrypted with that client's keys). Audited in that client's log as one
``case.list`` read (view ``hours``), like its case list: no count in the entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from vp_registry.db.cases import Case
from vp_registry.db.reports import Activity
from vp_registry.services.cases import facts
from vp_registry.services.practice import ClientWork

if TYPE_CHECKING:
    from vp_registry.services.organisations.registry import Organisation


@dataclass(frozen=True)
class ClientHours:
    organisation: Organisation
    year: int
    new_cases: int  # cases opened in the year
    conversations: int  # conversations held in the year (any case)
    conversation_minutes: int
    activities: int
    activity_minutes: int

    @property
    def total_minutes(self) -> int:
        return self.conversation_minutes + self.activity_minutes


def hours_text(minutes: int) -> str:
    """Hours with two decimals ("12.50"): what an invoice line takes."""
    hours = (Decimal(minutes) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{hours:f}"


def client_hours(client: ClientWork, *, year: int) -> ClientHours:
    """One client's year, from its own database and keys."""
    work = client.work
    start, end = date(year, 1, 1), date(year, 12, 31)
    new_cases = work.session.execute(select(func.count()).select_from(Case).where(
        Case.opened_on >= start, Case.opened_on <= end)).scalar_one()
    activities, activity_minutes = work.session.execute(
        select(func.count(), func.coalesce(func.sum(Activity.minutes), 0))
        .where(Activity.held_on >= start, Activity.held_on <= end)).one()
    talks = [contact for case in facts.case_facts(work.session, work.keys, year=year)
             for contact in case.contacts if start <= contact.held_on <= end]
    work.audit("case.list", view="hours")
    return ClientHours(client.organisation, year, int(new_cases), len(talks),
                       sum(contact.minutes for contact in talks), int(activities),
                       int(activity_minutes))


def clients_hours(clients: Sequence[ClientWork], *, year: int) -> list[ClientHours]:
    """Every client's row, in the order given; nothing is combined across clients except by
    the caller, who may add the rows up (their own figures, not a client's)."""
    return [client_hours(client, year=year) for client in clients]
