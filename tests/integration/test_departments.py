"""Departments and categories: validation, all-or-nothing CSV import, category rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import update
from sqlalchemy.orm import Session

from vp_registry.config import Settings
from vp_registry.db.organisation import Department
from vp_registry.services.accounts import department_import, organisation
from vp_registry.services.errors import ValidationFailed
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.work import Work


@pytest.fixture
def system(db: Session, settings: Settings) -> Work:
    """A unit of work in which the system acts (as a CLI command does) on the test's session."""
    return Work(db, settings, Actor.system())


GOOD_CSV = """name,headcount,parent,active
Productie,140,,yes
Productie ploeg A,45,Productie,yes
Magazijn,27,,ja
Oud archief,3,,nee
"""


def test_import_creates_departments_with_parents(system: Work, db: Session) -> None:
    report = department_import.import_departments(system, GOOD_CSV)
    assert report.ok and report.created == 4
    by_name = {d.name: d for d in organisation.list_departments(db)}
    assert by_name["Productie ploeg A"].parent_id == by_name["Productie"].id
    assert by_name["Oud archief"].active is False


def test_import_is_idempotent_and_updates(system: Work, db: Session) -> None:
    department_import.import_departments(system, GOOD_CSV)
    report = department_import.import_departments(
        system, GOOD_CSV.replace("Magazijn,27", "Magazijn,30"))
    assert report.ok and report.created == 0 and report.updated == 4
    assert {d.name: d.headcount for d in organisation.list_departments(db)}["Magazijn"] == 30


def test_any_bad_line_imports_nothing_and_lists_every_bad_line(system: Work, db: Session) -> None:
    bad = GOOD_CSV + "Kantoor,veel,,yes\nTeam X,5,Bestaat niet,yes\nProductie,1,,yes\n,4,,\n"
    report = department_import.import_departments(system, bad)
    assert [line for line, _, _ in report.errors] == [6, 7, 8, 9]
    assert organisation.list_departments(db) == []


def test_import_refuses_a_cycle(system: Work, db: Session) -> None:
    report = department_import.import_departments(
        system, "name,headcount,parent\nA,10,B\nB,10,A\n")
    assert not report.ok and organisation.list_departments(db) == []


def test_import_refuses_a_file_without_header(system: Work) -> None:
    report = department_import.import_departments(system, "Productie,140\n")
    assert not report.ok and report.errors[0][0] == 1


def test_cli_import_reports_lines_and_exits_non_zero(
    runner: FlaskCliRunner, db: Session, tmp_path: Path
) -> None:
    path = tmp_path / "afdelingen.csv"
    path.write_text("name,headcount,parent\nProductie,-3,\n", encoding="utf-8")
    result = runner.invoke(args=["departments", "import", str(path)])
    assert result.exit_code == 1
    assert "2" in result.output and organisation.list_departments(db) == []
    path.write_text(GOOD_CSV, encoding="utf-8")
    result = runner.invoke(args=["departments", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert len(organisation.list_departments(db)) == 4


def test_department_cannot_be_its_own_ancestor(system: Work) -> None:
    parent = organisation.create_department(system, name="A", headcount=20)
    child = organisation.create_department(system, name="B", headcount=20, parent_id=parent.id)
    with pytest.raises(ValidationFailed):
        organisation.update_department(system, parent, name="A",
                                       headcount=20, parent_id=child.id, active=True)


def test_default_categories_exist_and_cannot_be_deleted(system: Work, db: Session) -> None:
    codes = [c.code for c in organisation.list_categories(db)]
    assert codes[:3] == ["pesten", "seksisme", "uitsluiting"] and len(codes) == 7
    pesten = organisation.list_categories(db)[0]
    with pytest.raises(ValidationFailed):
        organisation.delete_category(system, pesten)


def test_new_category_can_be_renamed_retired_and_deleted(system: Work, db: Session) -> None:
    category = organisation.create_category(system, code="discriminatie", label_nl="Discriminatie",
                                            label_en="Discrimination")
    organisation.update_category(system, category,
                                 label_nl="Discriminatie op het werk",
                                 label_en="Discrimination at work", active=False)
    assert category.code == "discriminatie" and not category.active
    organisation.delete_category(system, category)
    assert "discriminatie" not in [c.code for c in organisation.list_categories(db)]


def test_directory_cache_sees_its_own_process_at_once_and_other_writers_after_its_ttl(
    system: Work, db: Session
) -> None:
    now = [0.0]
    cache = organisation.directory_cache(ttl=5.0, clock=lambda: now[0])

    def names() -> set[str]:
        return {entry.name for entry in cache.get(db).departments}

    assert "Nieuwbouw" not in names()
    organisation.create_department(system, name="Nieuwbouw", headcount=8)
    db.commit()
    assert "Nieuwbouw" in names()  # committed through the ORM in this process: seen at once
    # A writer the ORM events do not see (another worker, plain SQL): seen after the ttl.
    db.execute(update(Department).where(Department.name == "Nieuwbouw")
               .values(name="Renovatie"))
    db.commit()
    now[0] = 4.9
    assert "Nieuwbouw" in names()
    now[0] = 5.1
    assert "Renovatie" in names() and "Nieuwbouw" not in names()
