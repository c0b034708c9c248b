"""Every case as decrypted facts for signals and the annual report."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from vp_registry.core.facts import CaseFacts, ContactFacts
from vp_registry.core.taxonomy import CaseStatus
from vp_registry.db.cases import Case, CaseContact, CaseKey
from vp_registry.services.cases import codec, fact_entries, queries, search_index
from vp_registry.services.cases.queries import CaseFilter
from vp_registry.services.collector import paused_gc
from vp_registry.services.vault.keyring import VaultKeys


def case_facts(session: Session, keys: VaultKeys, *, year: int | None = None,
               progress: Callable[[int, int], object] | None = None) -> list[CaseFacts]:
    """Every case as decrypted :class:`CaseFacts` for signals and the annual report.

    The blind index of the involved person's name is computed with a key derived from the
    vault key; it is never stored in plaintext (only inside the encrypted index below), so
    the database does not reveal which cases concern the same person.

    With ``year`` (the annual report): only the cases open at some time in that year, with
    a conversation in it or registered in it (a late case may count from its registration,
    ``core.facts.as_counted``), and only the conversations held in it - chosen on the
    plaintext dates, before anything is decrypted. ``progress(done, total)`` is called every
    few hundred decrypted cases (the CLI's progress bar).

    The facts come from the vault's encrypted search index (``search_index``, issue 15): one
    row decrypted instead of every case; only cases whose entry is missing or stale (a new
    version, a changed conversation) are decrypted, and the index is rewritten with them.
    """
    with paused_gc():  # every case's facts at once (services/collector.py)
        return _case_facts(session, keys, year, progress)


def _case_facts(session: Session, keys: VaultKeys, year: int | None,
                progress: Callable[[int, int], object] | None) -> list[CaseFacts]:
    connection = session.connection()
    contacts, talks = _conversations(connection, year)
    rows = connection.execute(_plain_query(year)).all()
    index = search_index.SearchIndex()
    index.load(session, keys)
    facts = _from_index(index, rows, contacts, talks)
    stale = [row[0] for row in rows if row[0] not in facts]
    for start in range(0, len(stale), queries.CHUNK):
        if progress is not None:
            progress(len(facts) + start, len(rows))
        search_index.decrypt_entries(session, keys, stale[start:start + queries.CHUNK],
                                     talks, index)
    if stale:
        facts.update(_from_index(index, [row for row in rows if row[0] not in facts],
                                 contacts, talks))
    missing = [row[0] for row in rows if row[0] not in facts]
    if missing:  # changed while we read (a conversation added, the case erased): as before
        facts.update({fact.case_id: fact for fact in
                      decrypted_case_facts(session, keys, year=year, only=missing)})
    index.save(session, keys, present=lambda: set(
        connection.execute(select(Case.id)).scalars()))
    if progress is not None:
        progress(len(rows), len(rows))
    return [facts[row[0]] for row in rows if row[0] in facts]


def _from_index(index: search_index.SearchIndex, rows: Sequence[Any],
                contacts: dict[int, list[tuple[int, date]]],
                talks: dict[int, search_index.Conversations]) -> dict[int, CaseFacts]:
    """The facts of the ``rows`` (``_plain_query``'s columns) whose index entry is current."""
    return fact_entries.decode_all(index.current_facts(rows, talks), contacts)


def _conversations(connection: Connection, year: int | None
                   ) -> tuple[dict[int, list[tuple[int, date]]],
                              dict[int, search_index.Conversations]]:
    """The conversations the facts count - (row id, held on) per case id in date order, in
    the year if ``year`` -, and every case's conversations' signature (their count and
    version sum, which an index entry must match), from the same rows plus, for a year, the
    conversations outside it (issue 15: no join of a grouped subquery onto the year's cases;
    both read as ranges of ``ix_case_contacts_held``)."""
    contacts: dict[int, list[tuple[int, date]]] = {}
    counts: dict[int, list[int]] = {}
    for contact_id, case_id, held_on, version in connection.execute(_held_query(year)).all():
        found = contacts.get(case_id)
        if found is None:
            contacts[case_id] = [(contact_id, held_on)]
            counts[case_id] = [1, version]
        else:
            found.append((contact_id, held_on))
            signature = counts[case_id]
            signature[0] += 1
            signature[1] += version
    if year is not None:
        for case_id, count, versions in _outside(connection, year):
            signature = counts.setdefault(case_id, [0, 0])
            signature[0] += count
            signature[1] += int(versions)
    return contacts, {case_id: (count, versions) for case_id, (count, versions)
                      in counts.items()}


def _held_query(year: int | None) -> Select[*tuple[Any, ...]]:
    """Id, case id, date and version of the conversations (held in ``year``), by date."""
    query = select(CaseContact.id, CaseContact.case_id, CaseContact.held_on,
                   CaseContact.version).order_by(CaseContact.held_on, CaseContact.case_id,
                                                 CaseContact.id)
    return query if year is None else query.where(*_held_in(year))


def _outside(connection: Connection, year: int) -> list[tuple[int, int, int]]:
    """(case id, count, version sum) of the conversations held outside ``year``, per case.

    Measured (issue 15): PostgreSQL groups them for the year's cases itself (at 100,000
    cases over ten years nine in ten conversations are outside the year: sending each to
    Python cost more than the grouping); SQLite, whose planner walks
    ``ix_case_contacts_case_id`` and reads every conversation row for any GROUP BY here
    (21-27 ms at 10,000 cases), sends the two index ranges and Python sums them (0-4 ms)."""
    if connection.dialect.name != "sqlite":
        return [(case_id, count, int(versions)) for case_id, count, versions
                in connection.execute(_outside_query(year))]
    summed: dict[int, tuple[int, int, int]] = {}
    for case_id, version in connection.execute(_outside_rows(year)):
        _, count, versions = summed.get(case_id, (case_id, 0, 0))
        summed[case_id] = (case_id, count + 1, versions + version)
    return list(summed.values())


def _outside_query(year: int) -> Select[*tuple[Any, ...]]:
    """Per case of the year (``_in_year``) with conversations held outside it: their count
    and version sum."""
    return (select(CaseContact.case_id, func.count(), func.sum(CaseContact.version))
            .join(Case, Case.id == CaseContact.case_id)
            .where(_held_outside(year), _in_year(year))
            .group_by(CaseContact.case_id))


def _outside_rows(year: int) -> Select[*tuple[Any, ...]]:
    """Case id and version of every conversation held outside ``year`` (two index ranges)."""
    return select(CaseContact.case_id, CaseContact.version).where(_held_outside(year))


def _plain_query(year: int | None) -> Select[*tuple[Any, ...]]:
    """The cases (with a key) whose facts count, oldest first: id, version, status, opened on,
    closed on, registered at (``_in_year`` for a report year)."""
    query = queries.filtered(
        select(Case.id, Case.version, Case.status, Case.opened_on, Case.closed_on,
               Case.created_at).join(CaseKey, CaseKey.case_id == Case.id),
        CaseFilter(sort="oldest"))
    return query if year is None else query.where(_in_year(year))


def decrypted_case_facts(session: Session, keys: VaultKeys, *, year: int | None = None,
                         only: list[int] | None = None) -> list[CaseFacts]:
    """:func:`case_facts` by decrypting every case (or the cases ``only``), without the
    index: what the index path must equal (tests), and its way out for a case changed while
    it read."""
    case_query, contact_query = _queries(year)
    if only is not None:
        case_query = case_query.where(Case.id.in_(only))
        contact_query = contact_query.where(CaseContact.case_id.in_(only))
    contacts: dict[int, list[tuple[int, date, bytes]]] = {}
    for contact_id, case_id, held_on, blob in session.execute(contact_query):
        contacts.setdefault(case_id, []).append((contact_id, held_on, blob))
    return [_facts_of(keys, row, contacts.get(row.id, []))
            for row in session.execute(case_query).all()]


def _queries(year: int | None) -> tuple[Select[*tuple[Any, ...]], Select[*tuple[Any, ...]]]:
    """The cases and conversations to decrypt; for a report year chosen on plaintext dates
    (``_in_year``), and the conversations held in it."""
    case_query = queries.list_query(CaseFilter(sort="oldest")).add_columns(
        Case.details, Case.created_at)
    contact_query = select(CaseContact.id, CaseContact.case_id, CaseContact.held_on,
                           CaseContact.content)
    if year is None:
        return case_query, contact_query
    return case_query.where(_in_year(year)), contact_query.where(*_held_in(year))


def _in_year(year: int) -> ColumnElement[bool]:
    """The cases open at some time in ``year``, with a conversation in it or registered in
    it."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    return or_(
        and_(Case.opened_on <= end, or_(Case.closed_on.is_(None), Case.closed_on >= start)),
        Case.id.in_(select(CaseContact.case_id).where(*_held_in(year))),
        and_(Case.created_at >= datetime(year, 1, 1), Case.created_at < datetime(year + 1, 1, 1)),
    )


def _held_outside(year: int) -> ColumnElement[bool]:
    return or_(CaseContact.held_on < date(year, 1, 1), CaseContact.held_on > date(year, 12, 31))


def _held_in(year: int) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return CaseContact.held_on >= date(year, 1, 1), CaseContact.held_on <= date(year, 12, 31)


def _facts_of(keys: VaultKeys, row: Any, contacts: list[tuple[int, date, bytes]]
              ) -> CaseFacts:
    """One case row (with its key) and its conversations, decrypted to facts."""
    crypter = codec.list_row_crypter(keys, row)
    listing = codec.decode_listing(crypter, row.id, row.listing)
    details = codec.decode_details(crypter, row.id, row.details)
    contact_facts = []
    for contact_id, held_on, blob in sorted(contacts, key=lambda c: (c[1], c[0])):
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
        involved_person_index=fact_entries.person_index(keys, details.get("involved_person")),
        registered_at=row.created_at, counted_grouping=codec.counted_grouping(listing),
    )
