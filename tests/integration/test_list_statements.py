"""The case list's page statement as the database server sees it (issue 15, session 10): its
bounds written into the SQL so PostgreSQL keeps one plan for it. No test here measures time
(the figures are in docs/decisions.md, "the server's side of the list and the case page")."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session

from tests.casework import case_input, department, unlock
from tests.support.database import POSTGRES_URL
from tests.support.statements import sent_statements
from vp_registry.config import Settings
from vp_registry.db.accounts import User
from vp_registry.services.cases import lifecycle
from vp_registry.services.cases import listing as case_listing
from vp_registry.services.cases.listing import TOTAL_COLUMN
from vp_registry.services.cases.queries import CaseFilter
from vp_registry.services.cases.records import Closing
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.vault.keyring import VaultKeys
from vp_registry.services.work import Work

TODAY = date(2026, 6, 1)


@pytest.fixture
def cases(db: Session, settings: Settings, counsellor_with_vault: Callable[..., User]
          ) -> tuple[VaultKeys, Actor, list[str]]:
    """27 cases opened on different days: a full first page and a second of two."""
    user = counsellor_with_vault()
    keys = unlock(db, settings, user)
    actor = Actor(user.id, "counsellor")
    dept = department(db, "Werkplaats", settings).id
    references = [lifecycle.create_case(Work(db, settings, actor, keys=keys), case_input(
        dept, opened_on=date(2026, 1, 1 + number)), today=TODAY).reference
        for number in range(27)]
    db.commit()
    return keys, actor, references


def list_statements(engine: Engine) -> AbstractContextManager[list[tuple[str, Any]]]:
    """The list page statements (the ones carrying the count) sent inside the block, with
    their parameters."""
    return sent_statements(engine, lambda statement, parameters: (
        (" ".join(statement.split()), parameters) if TOTAL_COLUMN in statement else None))


def test_a_list_page_writes_its_bounds_into_its_sql(
    db: Session, settings: Settings, cases: tuple[VaultKeys, Actor, list[str]]
) -> None:
    """Each page of the plain list is one statement with its LIMIT and OFFSET written in - the
    unfiltered list then has no bind parameter at all (before: ``LIMIT :page_size OFFSET
    :skipped``, which PostgreSQL planned afresh at every execution); the pages show what
    they showed before, newest first, with the count."""
    keys, actor, references = cases
    newest_first = list(reversed(references))
    for criteria in (CaseFilter(), CaseFilter(status="open"), CaseFilter(year=2026)):
        for page, bounds, shown in ((1, "LIMIT 25 OFFSET 0", newest_first[:25]),
                                    (2, "LIMIT 25 OFFSET 25", newest_first[25:])):
            with list_statements(db.get_bind()) as statements:  # type: ignore[arg-type]
                found = case_listing.list_cases(Work(db, settings, actor, keys=keys), criteria,
                                                page=page)
            assert [item.reference for item in found.items] == shown
            assert found.total == 27
            assert len(statements) == 1
            sql, parameters = statements[0]
            assert sql.endswith(bounds), sql
            # the filter's own values stay bound; the unfiltered list has none at all
            assert "page_size" not in parameters and "skipped" not in parameters
            assert bool(parameters) is (criteria != CaseFilter()), parameters
    db.rollback()


@pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL: set VP_TEST_POSTGRES_URL")
def test_postgresql_keeps_one_plan_for_the_list_page(
    db: Session, settings: Settings, cases: tuple[VaultKeys, Actor, list[str]]
) -> None:
    """psycopg prepares a statement at its sixth execution on a connection; PostgreSQL then
    keeps a generic plan only when it is not costed above the custom ones - never for
    ``LIMIT $1 OFFSET $2`` (before: every execution planned, 0 generic plans). Without
    parameters the one plan is kept and used."""
    keys, actor, _ = cases
    for _ in range(8):
        case_listing.list_cases(Work(db, settings, actor, keys=keys), CaseFilter())
    generic, custom = db.execute(text(
        "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
        "WHERE strpos(statement, :marker) > 0"), {"marker": TOTAL_COLUMN}).one()
    assert custom == 0
    assert generic >= 2
    db.rollback()


def test_on_postgresql_the_list_page_runs_on_the_driver_and_reads_what_sqlalchemy_reads(
    db: Session, settings: Settings, cases: tuple[VaultKeys, Actor, list[str]]
) -> None:
    """PostgreSQL: the page's statement goes to psycopg's cursor (db/raw.py), not through
    SQLAlchemy's execution (fails before); SQLite keeps SQLAlchemy's. Either way its rows
    are SQLAlchemy's rows: same columns, values, types and order, filtered or not."""
    keys, actor, _ = cases
    through_sqlalchemy: list[str] = []

    def record(_conn: Any, clause: Any, *_rest: Any) -> None:
        through_sqlalchemy.append(str(clause))

    engine = db.get_bind()
    event.listen(engine, "before_execute", record)
    try:
        case_listing.list_cases(Work(db, settings, actor, keys=keys), CaseFilter())
    finally:
        event.remove(engine, "before_execute", record)
    on_driver = db.connection().dialect.name == "postgresql"
    assert any(TOTAL_COLUMN in s for s in through_sqlalchemy) is not on_driver
    for criteria, page in ((CaseFilter(), 1), (CaseFilter(), 2),
                           (CaseFilter(status="open", sort="oldest"), 1),
                           (CaseFilter(year=2026, sort="status"), 2)):
        bounds = (criteria.status, criteria.year, criteria.sort, 25, (page - 1) * 25)
        expected = db.connection().execute(case_listing._page_statement(*bounds)).all()
        found = case_listing._raw_page_statement(*bounds).rows(db.connection())
        assert len(found) == (25 if page == 1 else 2)
        assert [row._fields for row in found] == [  # type: ignore[attr-defined]
            tuple(row._fields) for row in expected]
        assert [[(type(value), value) for value in row] for row in found] == [
            [(type(value), value) for value in row] for row in expected]
    db.rollback()


def test_a_filtered_list_counts_its_cases_without_the_keys(
    db: Session, settings: Settings, cases: tuple[VaultKeys, Actor, list[str]]
) -> None:
    """Filtered on status or year, the count reads the cases alone (an index range) instead
    of joining every case key (before: a join, a scan of the whole case_keys table at every
    list page); it is the number of cases the pages show, with a page past the end too."""
    keys, actor, references = cases
    work = Work(db, settings, actor, keys=keys)
    closed = lifecycle.close_case(work, references[0], 1, Closing(
        closed_on=date(2026, 2, 1), outcome="advice"))
    assert closed.status == "closed"
    for criteria, total in ((CaseFilter(status="open"), 26), (CaseFilter(status="closed"), 1),
                            (CaseFilter(year=2026), 27), (CaseFilter(year=2025), 0),
                            (CaseFilter(status="open", year=2026, sort="oldest"), 26)):
        _, count = case_listing._plain_statements(criteria.status, criteria.year,
                                                  criteria.sort)
        sql = " ".join(str(count).split())
        assert "case_keys" not in sql, sql
        assert sql.startswith("SELECT count(*) AS count_1 FROM cases WHERE"), sql
        shown = []
        for page in (1, 2, 3):
            found = case_listing.list_cases(work, criteria, page=page)
            assert found.total == total
            shown += [item.reference for item in found.items]
        assert len(shown) == total
    db.rollback()


@pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL: set VP_TEST_POSTGRES_URL")
def test_on_postgresql_the_list_page_is_read_in_the_binary_result_format(
    db: Session, settings: Settings, cases: tuple[VaultKeys, Actor, list[str]]
) -> None:
    """The 25 rows' ciphertexts come as their bytes, not as hex text twice their size
    (before: psycopg's text format)."""
    from psycopg import pq

    keys, actor, _ = cases
    formats: list[Any] = []

    def record(_conn: Any, cursor: Any, statement: str, *_rest: Any) -> None:
        if TOTAL_COLUMN in statement:
            formats.append(cursor.format)

    engine = db.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        found = case_listing.list_cases(Work(db, settings, actor, keys=keys), CaseFilter())
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert formats == [pq.Format.BINARY]
    assert len(found.items) == 25 and found.total == 27
    db.rollback()
