"""A case registered after its year's final report (issue 12, docs/decisions.md).

Such a case was not counted by that report; counting it there later would make the next
report's "carried over" differ from the published "open on 31 December" and so give it away.
The services count it - for the annual report and for signals - as opened (and closed no
earlier) on its registration day (``services.reports.counting``, ``core.facts.as_counted``).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.casework import case_input
from tests.integration.test_reports import TEXTS, TODAY, YEAR, _draft, _finalise
from tests.reportwork import PRODUCTIE, seed_year
from vp_registry.config import Settings
from vp_registry.db.cases import Case
from vp_registry.db.organisation import Department
from vp_registry.services.cases import lifecycle
from vp_registry.services.cases.records import Closing
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.reports import counting
from vp_registry.services.signals import reviewing
from vp_registry.services.vault.keyring import VaultKeys
from vp_registry.services.work import Work


def test_a_case_registered_after_its_years_report_counts_from_its_registration(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys,
) -> None:
    seed_year(db, settings, actor, keys, YEAR, today=TODAY)
    _draft(db, settings, actor, keys, TEXTS)
    _finalise(db, settings, actor, keys)
    before = {f.case_id: f for f in counting.counted_case_facts(db, keys)}
    productie = departments_by_name(db)[PRODUCTIE]
    work = Work(db, settings, actor, keys=keys)
    late = lifecycle.create_case(work, case_input(
        productie, opened_on=date(YEAR, 11, 10), categories=("pesten",)), today=TODAY)
    lifecycle.close_case(work, late.reference, 1,
                         Closing(closed_on=date(YEAR, 12, 1), outcome="advice"), today=TODAY)
    db.commit()
    row = db.execute(select(Case).where(Case.reference == late.reference)).scalar_one()
    registered = row.created_at.date()
    assert registered.year > YEAR  # the report of YEAR was finalised before

    counted = {f.case_id: f for f in counting.counted_case_facts(db, keys)}
    assert (counted[row.id].opened_on, counted[row.id].closed_on) == (registered, registered)
    assert {i: counted[i] for i in before} == before  # the others are counted as before
    # the annual report of the registration year gets it (it was closed before that year)
    assert row.id in {f.case_id for f in counting.counted_case_facts(
        db, keys, year=registered.year)}
    assert row.id not in {f.case_id for f in counting.counted_case_facts(db, keys, year=YEAR)
                          if f.opened_on.year == YEAR}
    # signals count it in the quarter it was registered, never in a released quarter of YEAR
    basis = reviewing.current_basis(work, registered)
    assert [f.opened_on for f in basis.facts if f.case_id == row.id] == [registered]


def departments_by_name(db: Session) -> dict[str, int]:
    return {d.name: d.id for d in db.execute(select(Department)).scalars()}
