"""The report preview's fast path (issue 15) gives the report of the reference path.

The preview reads every case's facts from the vault's encrypted index (``facts.case_facts``:
plaintext rows, conversations and their signatures in a few statements, one decryption of the
index row) and counts them in one pass (``core.report.tally.count_year``). The reference path
decrypts every case (``facts.decrypted_case_facts``) and counts with the plain per-case count
from before (``tests/report_reference.py``). On random organisations - cases over three years,
conversations in and outside the report year, closings, edits of cases and conversations
after the index was built, an erasure, late registrations, a finalised earlier year and
closings recorded after it - both give the same report (every figure, text and chart) or
the same refusal, with the index cold and warm.
"""

from __future__ import annotations

import contextlib
import random
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from tests import report_reference
from tests.casework import case_input, department
from vp_registry.config import Settings
from vp_registry.core.report import ReportTexts, building
from vp_registry.core.taxonomy import Channel, EmploymentType, Gender, Outcome, Relation
from vp_registry.db.cases import Case
from vp_registry.render.html import render_fragment
from vp_registry.services.cases import codec, conversations, facts, lifecycle
from vp_registry.services.cases.records import Closing, ContactInput
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.reports import drafts, finalising
from vp_registry.services.reports.refusals import NoDraft, ReportBlocked
from vp_registry.services.vault.keyring import VaultKeys
from vp_registry.services.work import Work

TODAY = date(2026, 11, 25)
CATEGORIES = ("pesten", "seksisme", "uitsluiting", "agressie", "werkdruk")


def _random_day(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randrange((last - first).days + 1))


def _cases(rng: random.Random, work: Work, depts: list[int]) -> list[str]:
    """Cases opened 2023-2025 with 0-3 conversations (some outside the report year)."""
    references = []
    for _ in range(rng.randrange(25, 60)):
        opened = _random_day(rng, date(2023, 6, 1), date(2025, 12, 31))
        record = lifecycle.create_case(work, case_input(
            rng.choice(depts), opened_on=opened,
            categories=tuple(dict.fromkeys(rng.choice(CATEGORIES)
                                           for _ in range(rng.choice((1, 1, 2))))),
            relation=rng.choice([r.value for r in Relation]),
            gender=rng.choice([None, *(g.value for g in Gender)]),
            employment_type=rng.choice([None, *(e.value for e in EmploymentType)]),
            minutes_spent=rng.randrange(120),
            involved_person=rng.choice(("Kees de Vries", "Élise Çelik", ""))), today=TODAY)
        for _ in range(rng.randrange(4)):
            conversations.add_contact(work, record.reference, ContactInput(
                held_on=_random_day(rng, opened, min(TODAY, opened + timedelta(days=400))),
                minutes=rng.choice((20, 30, 45)), channel=rng.choice(list(Channel)).value),
                today=TODAY)
        if rng.random() < 0.7:
            outcome = rng.choice([o.value for o in Outcome])
            lifecycle.close_case(work, record.reference, 1, Closing(
                closed_on=_random_day(rng, opened, min(TODAY, opened + timedelta(days=300))),
                outcome=outcome, referral="hr" if outcome == "referral" else None), today=TODAY)
        references.append(record.reference)
    return references


def _changes(rng: random.Random, db: Session, work: Work, references: list[str]) -> None:
    """After the index was built: edits of cases and conversations (in and outside the
    year), new conversations, a reopening, an erasure, a late registration."""
    for reference in rng.sample(references, 6):
        case = lifecycle.read_case(work, reference)
        if rng.random() < 0.5:
            lifecycle.update_case(work, reference, case.version, case_input(
                case.department_id, opened_on=case.opened_on,
                categories=(rng.choice(CATEGORIES),), minutes_spent=rng.randrange(90),
                gender=rng.choice([g.value for g in Gender])), today=TODAY)
        elif case.contacts:
            talk = rng.choice(case.contacts)
            conversations.update_contact(work, reference, talk.id, talk.version, ContactInput(
                held_on=_random_day(rng, case.opened_on, TODAY), minutes=rng.choice((10, 60)),
                channel=rng.choice(list(Channel)).value), today=TODAY)
        else:
            conversations.add_contact(work, reference, ContactInput(
                held_on=_random_day(rng, case.opened_on, TODAY), minutes=15, channel="phone"),
                today=TODAY)
    closed = [r for r in references if lifecycle.read_case(work, r).closed_on is not None]
    if closed:
        case = lifecycle.read_case(work, rng.choice(closed))
        lifecycle.reopen_case(work, case.reference, case.version)
    erased = lifecycle.read_case(work, rng.choice(references))
    lifecycle.erase_case(Work(db, work.settings, work.actor), erased.reference, erased.version)
    late = rng.choice([r for r in references if r != erased.reference])
    db.execute(update(Case).where(Case.reference == late)
               .values(created_at=datetime(2026, 2, rng.randrange(1, 28), 9)))


def _previews(work: Work) -> list[Any]:
    """The 2024 and 2025 previews (or refusals) and their page fragments."""
    found: list[Any] = []
    for year in (2024, 2025):
        try:
            report = finalising.preview(work, year, today=TODAY)
        except ReportBlocked as blocked:
            found.append(("refused", blocked.explanation))
        except NoDraft:
            found.append(("final", year))
        else:
            found.append((report.to_json(), render_fragment(report)))
    return found


def _reference(session: Session, keys: VaultKeys, *, year: int | None = None,
               progress: Any = None) -> list[Any]:
    del progress
    return facts.decrypted_case_facts(session, keys, year=year)


@pytest.mark.parametrize("seed", range(4))
def test_the_preview_gives_the_report_of_decrypting_and_counting_every_case(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys,
    monkeypatch: pytest.MonkeyPatch, seed: int,
) -> None:
    rng = random.Random(seed)
    work = Work(db, settings, actor, keys=keys)
    depts = [department(db, f"Afdeling {number}", settings,
                        headcount=rng.choice((6, 12, 25, 40))).id for number in range(5)]
    references = _cases(rng, work, depts)
    for year in (2024, 2025):
        drafts.save_texts(work, year, 0, ReportTexts("Inleiding.", "Aanbevelingen."), "nl",
                          today=TODAY)
    db.commit()
    fast = _previews(work)  # builds the index
    assert _previews(work) == fast  # reads it
    if seed % 2:  # 2024 final: closings recorded after it count from their recording day
        draft = drafts.get_draft(work, 2024)
        assert draft is not None
        with contextlib.suppress(ReportBlocked):
            finalising.finalise(work, 2024, draft.revision, today=TODAY)
            db.commit()
    _changes(rng, db, work, references)
    db.commit()
    fast_after = _previews(work)  # the changed cases decrypted afresh
    assert _previews(work) == fast_after
    with monkeypatch.context() as patched:
        patched.setattr(facts, "case_facts", _reference)
        patched.setattr(building, "count_year", report_reference.count_year)
        assert _previews(work) == fast_after
    for year in (2024, 2025, None):
        assert facts.case_facts(db, keys, year=year) == \
            facts.decrypted_case_facts(db, keys, year=year)


def test_a_report_year_and_the_signals_read_the_same_entries_without_decrypting(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An entry's signature counts every conversation of the case, also those outside the
    report year: the year's read and the all-years read (signals) accept each other's
    entries, so neither decrypts a case the other has just put in the index."""
    work = Work(db, settings, actor, keys=keys)
    dept = department(db, "Werkplaats", settings).id
    for number in range(4):
        record = lifecycle.create_case(work, case_input(
            dept, opened_on=date(2024, 10, 1 + number)), today=TODAY)
        for held_on in (date(2024, 11, 2), date(2025, 2, 3 + number)):
            conversations.add_contact(work, record.reference, ContactInput(
                held_on=held_on, minutes=30, channel="phone"), today=TODAY)
    db.commit()
    opened: list[int] = []
    real = codec.list_row_crypter

    def counting(keys: VaultKeys, row: Any) -> Any:
        opened.append(row.id)
        return real(keys, row)

    monkeypatch.setattr(codec, "list_row_crypter", counting)
    assert len(facts.case_facts(db, keys, year=2025)) == 4 and len(opened) == 4  # built
    db.commit()
    for year in (None, 2024, 2025, None):
        opened.clear()
        assert len(facts.case_facts(db, keys, year=year)) == 4
        db.commit()
        assert opened == [], year
