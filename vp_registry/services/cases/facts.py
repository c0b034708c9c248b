"""Every case as decrypted facts for signals and the annual report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from vp_registry.core import crypto
from vp_registry.core.facts import CaseFacts, ContactFacts
from vp_registry.core.taxonomy import CaseStatus
from vp_registry.db.cases import Case, CaseContact
from vp_registry.services.cases import codec, queries
from vp_registry.services.cases.queries import CaseFilter
from vp_registry.services.vault.keyring import VaultKeys


def case_facts(session: Session, keys: VaultKeys, *, year: int | None = None,
               progress: Callable[[int, int], object] | None = None) -> list[CaseFacts]:
    """Every case as decrypted :class:`CaseFacts` for signals and the annual report.

    The blind index of the involved person's name is computed here, in memory, with a key
    derived from the vault key - it is never stored, so the database does not even reveal
    which cases concern the same person.

    With ``year`` (the annual report): only the cases open at some time in that year, with
    a conversation in it or registered in it (a late case may count from its registration,
    ``core.facts.as_counted``), and only the conversations held in it - chosen on the
    plaintext dates, before anything is decrypted. ``progress(done, total)`` is called every
    few hundred cases (the CLI's progress bar).
    """
    case_query, contact_query = _queries(year)
    contacts: dict[int, list[tuple[int, date, bytes]]] = {}
    for contact_id, case_id, held_on, blob in session.execute(contact_query):
        contacts.setdefault(case_id, []).append((contact_id, held_on, blob))
    facts: list[CaseFacts] = []
    rows = session.execute(case_query).all()
    for done, row in enumerate(rows):
        if progress is not None and done % queries.CHUNK == 0:
            progress(done, len(rows))
        facts.append(_facts_of(keys, row, contacts.get(row.id, [])))
    if progress is not None:
        progress(len(rows), len(rows))
    return facts


def _queries(year: int | None
             ) -> tuple[Select[*tuple[Any, ...]], Select[int, int, date, bytes]]:
    """The cases and conversations to decrypt; for a report year chosen on plaintext dates:
    the cases open at some time in it, with a conversation in it or registered in it, and
    the conversations held in it."""
    case_query = queries.list_query(CaseFilter(sort="oldest")).add_columns(Case.details,
                                                                           Case.created_at)
    contact_query = select(CaseContact.id, CaseContact.case_id, CaseContact.held_on,
                           CaseContact.content)
    if year is None:
        return case_query, contact_query
    start, end = date(year, 1, 1), date(year, 12, 31)
    held_in_year = (CaseContact.held_on >= start, CaseContact.held_on <= end)
    return case_query.where(or_(
        and_(Case.opened_on <= end, or_(Case.closed_on.is_(None), Case.closed_on >= start)),
        Case.id.in_(select(CaseContact.case_id).where(*held_in_year)),
        and_(Case.created_at >= datetime(year, 1, 1), Case.created_at < datetime(year + 1, 1, 1)),
    )), contact_query.where(*held_in_year)


def _facts_of(keys: VaultKeys, row: Any, contacts: list[tuple[int, date, bytes]]
              ) -> CaseFacts:
    """One case row (with its key) and its conversations, decrypted to facts."""
    crypter = codec.list_row_crypter(keys, row)
    listing = codec.decode_listing(crypter, row.id, row.listing)
    details = codec.decode_details(crypter, row.id, row.details)
    contact_facts = []
    for contact_id, held_on, blob in sorted(contacts, key=lambda c: c[1]):
        value = codec.decode_contact(crypter, contact_id, row.id, 0, held_on, blob)
        contact_facts.append(ContactFacts(held_on, value.minutes, value.channel))
    closed = row.status == CaseStatus.CLOSED.value
    return CaseFacts(
        case_id=row.id, opened_on=row.opened_on, closed_on=row.closed_on,
        department_id=int(listing["department"]),
        categories=tuple(listing.get("categories") or ()),
        relation=details.get("relation"),
        outcome=listing.get("outcome") if closed else None,
        referral=details.get("referral") if closed else None,
        gender=details.get("gender"), employment_type=details.get("employment_type"),
        minutes_spent=int(details.get("minutes_spent") or 0),
        contacts=tuple(contact_facts),
        involved_person_index=_person_index(keys, details.get("involved_person")),
        registered_at=row.created_at,
    )


def _person_index(keys: VaultKeys, name: Any) -> str | None:
    if not isinstance(name, str) or not crypto.normalise_name(name):
        return None
    return crypto.blind_index(keys.blind_index_key, name)
