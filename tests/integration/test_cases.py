"""Cases and conversations through the services: round trips, consent, versions, list."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.casework import case_input, department
from tests.support.sessions import db_session_for
from vp_registry.app_state import app_state
from vp_registry.config import Settings
from vp_registry.core.casework import REFERENCE_PATTERN
from vp_registry.db.audit import AuditEntry
from vp_registry.db.cases import Case, CaseContact, CaseKey
from vp_registry.services.accounts import organisation
from vp_registry.services.cases import conversations as case_conversations
from vp_registry.services.cases import facts as case_facts
from vp_registry.services.cases import lifecycle
from vp_registry.services.cases import listing as case_listing
from vp_registry.services.cases.queries import CaseFilter
from vp_registry.services.cases.records import (
    CaseConflict,
    CaseInput,
    Closing,
    ContactConflict,
    ContactInput,
)
from vp_registry.services.errors import Conflict, NotFound, ValidationFailed
from vp_registry.services.infrastructure import usage
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.vault.keyring import VaultKeys
from vp_registry.services.work import Work, begin

TODAY = date(2026, 11, 25)


@pytest.fixture
def dept(db: Session, settings: Settings) -> int:
    return department(db, "Magazijn en logistiek", settings).id


def _audit_entries(session: Session, action: str) -> list[AuditEntry]:
    return list(session.execute(select(AuditEntry).where(AuditEntry.action == action)).scalars())


def test_create_and_read_round_trip(db: Session, settings: Settings, actor: Actor,
                                    keys: VaultKeys, dept: int) -> None:
    data = case_input(dept, categories=("pesten", "uitsluiting"))
    created = lifecycle.create_case(Work(db, settings, actor, keys=keys), data, today=TODAY)
    db.commit()
    assert REFERENCE_PATTERN.match(created.reference) and created.reference[3:7] == "2026"
    record = lifecycle.read_case(Work(db, settings, actor, keys=keys), created.reference)
    assert record.as_input() == data
    assert record.status == "open" and record.version == 1 and record.closed_on is None
    row = db.get(Case, record.id)
    assert row is not None and isinstance(row.listing, bytes) and b"Anna" not in row.details
    for action in ("case.create", "case.read"):
        (entry,) = _audit_entries(db, action)
        assert entry.target_type == "case" and entry.target_id == created.reference
        assert "Anna" not in entry.details and "pesten" not in entry.details


def test_update_bumps_the_version_and_a_stale_version_conflicts(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys, dept: int
) -> None:
    created = lifecycle.create_case(Work(db, settings, actor, keys=keys),
                                    case_input(dept), today=TODAY)
    changed = case_input(dept, narrative="Nieuwe samenvatting", categories=("agressie",))
    updated = lifecycle.update_case(Work(db, settings, actor, keys=keys),
                                    created.reference, 1, changed,
                                today=TODAY)
    assert updated.version == 2 and updated.narrative == "Nieuwe samenvatting"
    assert updated.categories == ("agressie",)
    with pytest.raises(CaseConflict) as caught:
        lifecycle.update_case(Work(db, settings, actor, keys=keys), created.reference, 1,
                              case_input(dept, narrative="Mijn versie"), today=TODAY)
    assert caught.value.current.narrative == "Nieuwe samenvatting"
    assert caught.value.current.version == 2


def test_a_concurrent_write_between_check_and_update_conflicts(
    app: Flask, db: Session, settings: Settings, actor: Actor, keys: VaultKeys, dept: int
) -> None:
    created = lifecycle.create_case(Work(db, settings, actor, keys=keys),
                                    case_input(dept), today=TODAY)
    db.commit()
    # both sessions have read version 1 before either writes
    with db_session_for(app) as other:
        other.execute(select(Case).where(Case.reference == created.reference)).scalar_one()
        lifecycle.update_case(Work(db, settings, actor, keys=keys), created.reference, 1,
                              case_input(dept, narrative="eerst"), today=TODAY)
        db.commit()
        with pytest.raises(CaseConflict) as caught:
            lifecycle.update_case(Work(other, settings, actor, keys=keys), created.reference, 1,
                                  case_input(dept, narrative="tweede"), today=TODAY)
        assert caught.value.current.narrative == "eerst"


def test_a_conflict_keeps_the_callers_transaction_and_its_audit_entries(
    app: Flask, db: Session, settings: Settings, actor: Actor, keys: VaultKeys, dept: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The edit page reads the case (``case.read``, queued until the commit, as in a request);
    a colleague saves between our version check and our UPDATE, so the flush finds a stale
    version. The conflict page shows the content, so the read must still be recorded: the
    conflict is a savepoint of the unit of work, not a rollback of the caller's transaction
    (issue 13)."""
    created = lifecycle.create_case(Work(db, settings, actor, keys=keys), case_input(dept),
                                    today=TODAY)
    db.commit()
    validate = lifecycle.validate_case

    def colleague_saves_meanwhile(*args: Any, **kwargs: Any) -> CaseInput:
        with db_session_for(app) as colleague:
            colleague_work = Work(colleague, settings, actor, keys=keys)
            monkeypatch.setattr(lifecycle, "validate_case", validate)
            lifecycle.update_case(colleague_work, created.reference, 1,
                                  case_input(dept, narrative="eerst"), today=TODAY)
            colleague.commit()
        return validate(*args, **kwargs)

    work = begin(app_state(app).session_factory, settings, actor, keys=keys)
    try:
        shown = lifecycle.read_case(work, created.reference)  # the edit form
        monkeypatch.setattr(lifecycle, "validate_case", colleague_saves_meanwhile)
        with pytest.raises(CaseConflict) as caught:
            lifecycle.update_case(work, created.reference, shown.version,
                                  case_input(dept, narrative="tweede"), today=TODAY)
        assert caught.value.current.narrative == "eerst"  # what the conflict page shows
        work.commit()
    finally:
        work.close()
    db.expire_all()
    (read,) = _audit_entries(db, "case.read")
    assert read.target_id == created.reference
    assert len(_audit_entries(db, "case.update")) == 1  # the colleague's only


def test_without_consent_identifying_fields_stay_empty(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys, dept: int
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        lifecycle.create_case(Work(db, settings, actor, keys=keys), case_input(dept, consent=False),
                              today=TODAY)
    assert caught.value.field == "reporter_name"
    with pytest.raises(ValidationFailed) as caught:
        lifecycle.create_case(Work(db, settings, actor, keys=keys), case_input(
            dept, consent=False, reporter_name=" ", reporter_contact="anna@example.org"),
            today=TODAY)
    assert caught.value.field == "reporter_contact"
    record = lifecycle.create_case(Work(db, settings, actor, keys=keys), case_input(
        dept, consent=False, reporter_name="  ", reporter_contact=None), today=TODAY)
    assert record.reporter_name is None and record.reporter_contact is None
    # withdrawing consent later requires the details to be removed as well
    with_consent = lifecycle.create_case(Work(db, settings, actor, keys=keys),
                                         case_input(dept), today=TODAY)
    with pytest.raises(ValidationFailed):
        lifecycle.update_case(Work(db, settings, actor, keys=keys), with_consent.reference, 1,
                              case_input(dept, consent=False), today=TODAY)


@pytest.mark.parametrize(("overrides", "field"), [
    ({"categories": ()}, "categories"),
    ({"categories": ("bestaat-niet",)}, "categories"),
    ({"department_id": 987654}, "department_id"),
    ({"opened_on": date(2026, 12, 1)}, "opened_on"),
    ({"relation": "neighbour"}, "relation"),
    ({"minutes_spent": -5}, "minutes_spent"),
    ({"narrative": "x" * 20_001}, "narrative"),
    ({"acknowledged_on": date(2026, 3, 5)}, "acknowledged_on"),
    ({"integrity_report": True, "acknowledged_on": date(2026, 3, 1)}, "acknowledged_on"),
])
def test_invalid_input_names_the_field(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys, dept: int,
    overrides: dict[str, object], field: str,
) -> None:
    values = {"department_id": dept, **overrides}
    with pytest.raises(ValidationFailed) as caught:
        lifecycle.create_case(Work(db, settings, actor, keys=keys),
                              case_input(**values), today=TODAY)
    assert caught.value.field == field
    assert db.execute(select(func.count()).select_from(Case)).scalar_one() == 0


def test_retired_department_and_category_stay_on_existing_cases(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys, dept: int
) -> None:
    record = lifecycle.create_case(Work(db, settings, actor, keys=keys),
                                   case_input(dept), today=TODAY)
    retired = organisation.get_department(db, dept)
    organisation.update_department(Work(db, settings, Actor.system()), retired, name=retired.name,
                                   headcount=retired.headcount, parent_id=None, active=False)
    pesten = next(c for c in organisation.list_categories(db) if c.code == "pesten")
    organisation.update_category(Work(db, settings, Actor.system()),
                                 pesten, label_nl=pesten.label_nl,
                                 label_en=pesten.label_en, active=False)
    updated = lifecycle.update_case(Work(db, settings, actor, keys=keys), record.reference, 1,
                                    case_input(dept, narrative="bijgewerkt"), today=TODAY)
    assert updated.department_id == dept and updated.categories == ("pesten",)
    with pytest.raises(ValidationFailed):
        lifecycle.create_case(Work(db, settings, actor, keys=keys), case_input(dept), today=TODAY)


def test_close_and_reopen(db: Session, settings: Settings, actor: Actor, keys: VaultKeys,
                          dept: int) -> None:
    record = lifecycle.create_case(Work(db, settings, actor, keys=keys),
                                   case_input(dept), today=TODAY)
    with pytest.raises(ValidationFailed) as caught:
        lifecycle.close_case(Work(db, settings, actor, keys=keys), record.reference, 1,
                             Closing(closed_on=TODAY, outcome="referral"), today=TODAY)
    assert caught.value.field == "referral"
    with pytest.raises(ValidationFailed) as caught:
        lifecycle.close_case(Work(db, settings, actor, keys=keys), record.reference, 1,
                             Closing(closed_on=date(2026, 3, 1), outcome="advice"), today=TODAY)
    assert caught.value.field == "closed_on"
    closed = lifecycle.close_case(Work(db, settings, actor, keys=keys),
                                  record.reference, 1, Closing(
        closed_on=date(2026, 6, 1), outcome="referral", referral="company_doctor",
        referral_target="Arbodienst Oost"), today=TODAY)
    assert closed.status == "closed" and closed.closed_on == date(2026, 6, 1)
    assert closed.outcome == "referral" and closed.referral == "company_doctor"
    assert closed.referral_target == "Arbodienst Oost" and closed.version == 2
    with pytest.raises(ValidationFailed):
        lifecycle.close_case(Work(db, settings, actor, keys=keys), record.reference, 2,
                             Closing(closed_on=TODAY, outcome="advice"), today=TODAY)
    reopened = lifecycle.reopen_case(Work(db, settings, actor, keys=keys), record.reference, 2)
    assert reopened.status == "open" and reopened.closed_on is None and reopened.version == 3
    assert reopened.outcome == "referral"  # kept, offered again at the next closing
    closed_again = lifecycle.close_case(Work(db, settings, actor, keys=keys), record.reference, 3,
                                        Closing(closed_on=TODAY, outcome="advice",
                                                referral="hr"), today=TODAY)
    assert closed_again.referral is None  # only a referral has a referral target
    assert [e.target_id for e in _audit_entries(db, "case.close")] == [record.reference] * 2
    assert len(_audit_entries(db, "case.reopen")) == 1


def test_erase_removes_key_rows_and_contacts(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys, dept: int
) -> None:
    record = lifecycle.create_case(Work(db, settings, actor, keys=keys),
                                   case_input(dept), today=TODAY)
    case_conversations.add_contact(Work(db, settings, actor, keys=keys),
                                   record.reference, ContactInput(
        held_on=date(2026, 3, 3), minutes=45, channel="in_person", notes="Eerste gesprek"),
        today=TODAY)
    with pytest.raises(Conflict):
        lifecycle.erase_case(Work(db, settings, actor), record.reference, 7)
    lifecycle.erase_case(Work(db, settings, actor), record.reference, 1)
    db.commit()
    for model in (Case, CaseKey, CaseContact):
        assert db.execute(select(func.count()).select_from(model)).scalar_one() == 0
    with pytest.raises(NotFound):
        lifecycle.read_case(Work(db, settings, actor, keys=keys), record.reference)
    (entry,) = _audit_entries(db, "case.erase")
    assert entry.target_id == record.reference


def test_conversations(db: Session, settings: Settings, actor: Actor, keys: VaultKeys,
                       dept: int) -> None:
    record = lifecycle.create_case(Work(db, settings, actor, keys=keys),
                                   case_input(dept), today=TODAY)
    first = case_conversations.add_contact(Work(db, settings, actor, keys=keys),
                                           record.reference, ContactInput(
        held_on=date(2026, 3, 2), minutes=60, channel="in_person", notes="Intake"), today=TODAY)
    case_conversations.add_contact(Work(db, settings, actor, keys=keys),
                                   record.reference, ContactInput(
        held_on=date(2026, 3, 9), minutes=20, channel="phone"), today=TODAY)
    with pytest.raises(ValidationFailed) as caught:
        case_conversations.add_contact(Work(db, settings, actor, keys=keys),
                                       record.reference, ContactInput(
            held_on=date(2026, 3, 1), minutes=20, channel="phone"), today=TODAY)
    assert caught.value.field == "held_on"
    with pytest.raises(ValidationFailed) as caught:
        case_conversations.add_contact(Work(db, settings, actor, keys=keys),
                                       record.reference, ContactInput(
            held_on=date(2026, 3, 3), minutes=0, channel="phone"), today=TODAY)
    assert caught.value.field == "minutes"
    edited = case_conversations.update_contact(Work(db, settings, actor, keys=keys),
                                               record.reference, first.id, 1,
                                  ContactInput(held_on=date(2026, 3, 2), minutes=75,
                                               channel="video", notes="Intake, uitgebreid"),
                                  today=TODAY)
    assert edited.version == 2 and edited.minutes == 75 and edited.channel == "video"
    with pytest.raises(ContactConflict) as caught_conflict:
        case_conversations.update_contact(Work(db, settings, actor, keys=keys),
                                          record.reference, first.id, 1,
                             ContactInput(held_on=date(2026, 3, 2), minutes=5, channel="email"),
                             today=TODAY)
    assert caught_conflict.value.current.minutes == 75
    full = lifecycle.read_case(Work(db, settings, actor, keys=keys), record.reference)
    assert [c.minutes for c in full.contacts] == [75, 20]
    assert full.total_minutes == 30 + 95
    assert full.version == 1  # conversations do not change the case's version
    other = lifecycle.create_case(Work(db, settings, actor, keys=keys),
                                  case_input(dept), today=TODAY)
    with pytest.raises(NotFound):
        case_conversations.get_contact(Work(db, settings, actor, keys=keys), other.reference,
                                       first.id)
    assert len(_audit_entries(db, "contact.create")) == 2
    assert len(_audit_entries(db, "contact.update")) == 1
    assert usage.last_case_write(db) is not None


def test_integrity_report_deadlines(db: Session, settings: Settings, actor: Actor,
                                    keys: VaultKeys, dept: int) -> None:
    record = lifecycle.create_case(Work(db, settings, actor, keys=keys), case_input(
        dept, integrity_report=True, opened_on=date(2026, 11, 10)), today=TODAY)
    deadlines = record.deadlines
    assert deadlines is not None and deadlines.acknowledge.due_on == date(2026, 11, 17)
    assert record.overdue(TODAY)
    acknowledged = lifecycle.update_case(Work(db, settings, actor, keys=keys),
                                         record.reference, 1, case_input(
        dept, integrity_report=True, opened_on=date(2026, 11, 10),
        acknowledged_on=date(2026, 11, 12)), today=TODAY)
    assert not acknowledged.overdue(TODAY)
    plain = lifecycle.create_case(Work(db, settings, actor, keys=keys),
                                  case_input(dept), today=TODAY)
    assert plain.deadlines is None and not plain.overdue(TODAY)


def _seed_list(db: Session, settings: Settings, actor: Actor, keys: VaultKeys) -> dict[str, int]:
    depts = {
        "Productie": department(db, "Productie", settings).id,
        "Productie ploeg A": department(db, "Productie ploeg A", settings,
                                        parent="Productie").id,
        "Engineering": department(db, "Engineering", settings).id,
    }
    for number in range(30):
        dept = depts["Productie ploeg A"] if number % 3 == 0 else depts["Engineering"]
        opened = date(2025 + number % 2, 1 + number % 10, 1 + number % 28)
        lifecycle.create_case(Work(db, settings, actor, keys=keys), case_input(
            dept, opened_on=opened,
            categories=("seksisme",) if number % 5 == 0 else ("werkdruk", "overig"),
            narrative=f"Samenvatting nummer {number}",
            reporter_name="Élise Çelik" if number == 7 else f"Persoon {number}",
        ), today=TODAY)
    return depts


def test_list_filters_sorts_and_pages(db: Session, settings: Settings, actor: Actor,
                                      keys: VaultKeys) -> None:
    depts = _seed_list(db, settings, actor, keys)
    everything = case_listing.list_cases(Work(db, settings, actor, keys=keys), CaseFilter())
    assert everything.total == 30 and len(everything.items) == 25 and everything.pages == 2
    opened = [c.opened_on for c in everything.items]
    assert opened == sorted(opened, reverse=True)
    second = case_listing.list_cases(Work(db, settings, actor, keys=keys), CaseFilter(), page=2)
    assert len(second.items) == 5 and second.total == 30  # a short page knows the total
    assert not {c.id for c in second.items} & {c.id for c in everything.items}
    past_the_end = case_listing.list_cases(Work(db, settings, actor, keys=keys),
                                           CaseFilter(), page=3)
    assert past_the_end.items == [] and past_the_end.total == 30  # no row carries the total

    by_year = case_listing.list_cases(Work(db, settings, actor, keys=keys), CaseFilter(year=2025))
    assert by_year.total == 15 and all(c.opened_on.year == 2025 for c in by_year.items)
    by_category = case_listing.list_cases(Work(db, settings, actor, keys=keys),
                                          CaseFilter(category="seksisme"))
    assert by_category.total == 6 and all("seksisme" in c.categories for c in by_category.items)
    # a parent department finds the cases of its sub-departments
    by_dept = case_listing.list_cases(Work(db, settings, actor, keys=keys),
                                      CaseFilter(department_id=depts["Productie"]))
    assert by_dept.total == 10
    assert {c.department_id for c in by_dept.items} == {depts["Productie ploeg A"]}
    combined = case_listing.list_cases(Work(db, settings, actor, keys=keys), CaseFilter(
        department_id=depts["Engineering"], category="werkdruk", year=2026, status="open"))
    assert combined.total == len([n for n in range(30) if n % 3 and n % 5 and n % 2])
    oldest = case_listing.list_cases(Work(db, settings, actor, keys=keys),
                                     CaseFilter(sort="oldest"))
    assert [c.opened_on for c in oldest.items] == sorted(c.opened_on for c in oldest.items)
    by_reference = case_listing.list_cases(Work(db, settings, actor, keys=keys),
                                           CaseFilter(sort="reference"))
    refs = [c.reference for c in by_reference.items]
    assert refs == sorted(refs)
    by_dept_name = case_listing.list_cases(Work(db, settings, actor, keys=keys),
                                           CaseFilter(sort="department"))
    assert by_dept_name.items[0].department_id == depts["Engineering"]
    assert by_dept_name.total == 30


def test_free_text_search_in_fields_and_notes(db: Session, settings: Settings, actor: Actor,
                                              keys: VaultKeys) -> None:
    _seed_list(db, settings, actor, keys)
    found = case_listing.list_cases(Work(db, settings, actor, keys=keys),
                                    CaseFilter(text="elise celik"))
    assert found.total == 1
    assert case_listing.list_cases(Work(db, settings, actor, keys=keys),
                                   CaseFilter(text="nummer 1")).total == 11  # 1, 10-19
    target = found.items[0]
    case_conversations.add_contact(Work(db, settings, actor, keys=keys),
                                   target.reference, ContactInput(
        held_on=target.opened_on, minutes=30, channel="video",
        notes="Besproken: de heftruckchauffeur"), today=TODAY)
    found = case_listing.list_cases(Work(db, settings, actor, keys=keys),
                                    CaseFilter(text="HEFTRUCK"))
    assert [c.reference for c in found.items] == [target.reference]
    assert case_listing.list_cases(Work(db, settings, actor, keys=keys),
                                   CaseFilter(text=target.reference.lower())).total == 1
    entries = _audit_entries(db, "case.list")
    assert entries and all("heftruck" not in e.details.lower() for e in entries)
    assert json.loads(entries[-1].details) == {}  # no count, nothing of the filter (issue 11)


def test_case_facts_with_blind_index(db: Session, settings: Settings, actor: Actor,
                                     keys: VaultKeys, dept: int) -> None:
    a = lifecycle.create_case(Work(db, settings, actor, keys=keys),
                              case_input(dept, involved_person="Kees de Vries"), today=TODAY)
    b = lifecycle.create_case(Work(db, settings, actor, keys=keys),
                              case_input(dept, involved_person=" kees  DE vries "), today=TODAY)
    c = lifecycle.create_case(Work(db, settings, actor, keys=keys),
                              case_input(dept, involved_person=None), today=TODAY)
    lifecycle.close_case(Work(db, settings, actor, keys=keys), a.reference, 1,
                         Closing(closed_on=TODAY, outcome="mediation"), today=TODAY)
    case_conversations.add_contact(Work(db, settings, actor, keys=keys), b.reference, ContactInput(
        held_on=TODAY, minutes=40, channel="phone"), today=TODAY)
    facts = {f.case_id: f for f in case_facts.case_facts(db, keys)}
    assert facts[a.id].involved_person_index == facts[b.id].involved_person_index
    assert facts[a.id].involved_person_index is not None
    assert facts[c.id].involved_person_index is None
    assert facts[a.id].outcome == "mediation" and facts[b.id].outcome is None
    assert facts[b.id].contacts[0].minutes == 40 and facts[b.id].department_id == dept
    # the index is never stored: no column of any case table holds it
    index = facts[a.id].involved_person_index
    for model in (Case, CaseKey, CaseContact):
        for row in db.execute(select(model)).scalars():
            assert all(index not in str(getattr(row, col.key))
                       for col in model.__table__.columns)
