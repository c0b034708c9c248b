"""The covering indexes of migration 0016 (issue 15) serve what they were made for: the case
list still scans ``ix_cases_list`` alone, and the report year's plaintext queries read
``ix_cases_list`` (no case row) and ``ix_case_contacts_held`` (a range, no full scan).
SQLite's plan (PostgreSQL chooses by its statistics)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import Select, text
from sqlalchemy.orm import Session

from tests.casework import case_input, department
from vp_registry.services.cases import conversations, facts, lifecycle, listing_cache
from vp_registry.services.cases.queries import CaseFilter
from vp_registry.services.cases.records import ContactInput
from vp_registry.services.work import Work


def _plan(db: Session, query: Select[Any]) -> str:
    compiled = query.compile(db.get_bind(), compile_kwargs={"literal_binds": True})
    return " | ".join(str(row[-1]) for row in db.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))


@pytest.fixture
def sqlite(db: Session, work: Work) -> Session:
    if db.get_bind().dialect.name != "sqlite":
        pytest.skip("the plans are SQLite's")
    dept = department(db, "Werkplaats", work.settings).id
    for day in range(1, 6):
        record = lifecycle.create_case(work, case_input(dept, opened_on=date(2025, 3, day)),
                                       today=date(2026, 1, 5))
        conversations.add_contact(work, record.reference, ContactInput(
            held_on=date(2025, 3, day), minutes=30, channel="phone"), today=date(2026, 1, 5))
    db.commit()
    db.execute(text("ANALYZE"))
    return db


@pytest.mark.parametrize("sort", ["newest", "oldest", "status"])
def test_the_case_list_still_reads_its_covering_index(sqlite: Session, sort: str) -> None:
    plan = _plan(sqlite, listing_cache._light_query(CaseFilter(sort=sort)))
    assert "COVERING INDEX ix_cases_list" in plan, plan


def test_the_report_years_queries_read_the_indexes_alone(sqlite: Session) -> None:
    cases = _plan(sqlite, facts._plain_query(2025))
    assert "COVERING INDEX ix_cases_list" in cases, cases
    year = _plan(sqlite, facts._held_query(2025))
    assert "COVERING INDEX ix_case_contacts_held (held_on>? AND held_on<?)" in year, year
    assert "TEMP B-TREE" not in year, year  # in index order: no sort
    outside = _plan(sqlite, facts._outside_rows(2025))
    assert "COVERING INDEX ix_case_contacts_held" in outside, outside
