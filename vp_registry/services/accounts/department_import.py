"""Departments imported from CSV (``name,headcount,parent[,active]``): all or nothing."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from vp_registry.core.taxonomy import N_
from vp_registry.db.organisation import Department
from vp_registry.services.accounts.organisation import MAX_HEADCOUNT, list_departments
from vp_registry.services.work import Work

COLUMNS = "name,headcount,parent,active"
ACTIVE_WORDS = {"yes", "no", "ja", "nee", "1", "0", "true", "false"}
YES_WORDS = {"yes", "ja", "1", "true"}

Error = tuple[int, str, dict[str, object]]


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[Error] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class _Row:
    line: int
    name: str
    headcount: int
    parent: str
    active: bool


def import_departments(
    work: Work, text: str
) -> ImportReport:
    """Import ``name,headcount,parent[,active]`` rows; all or nothing.

    Every line is checked first; when any line is bad, nothing is written and the report
    lists each bad line with its reason. Parents may appear later in the file.
    """
    session = work.session
    report = ImportReport()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "name" not in header or "headcount" not in header:
        report.errors.append((1, N_("The first line must name the columns: %(columns)s."),
                              {"columns": COLUMNS}))
        return report
    rows = _read_rows(reader, report.errors)
    existing = {d.name.lower(): d for d in list_departments(session)}
    _check_parents(rows, existing, report.errors)
    if report.errors:
        report.errors.sort(key=lambda error: error[0])
        return report
    _write(session, rows, existing, report)
    work.audit("department.import", created=report.created, updated=report.updated)
    return report


def _read_rows(reader: csv.DictReader[str], errors: list[Error]) -> list[_Row]:
    """The valid lines; each bad one adds its reason to ``errors``."""
    rows: list[_Row] = []
    seen: dict[str, int] = {}
    for line_number, raw in enumerate(reader, start=2):
        values = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        name = " ".join(values.get("name", "").split())
        if not name and not any(values.values()):
            continue
        problem = _line_problem(line_number, name, values, seen)
        if problem is not None:
            errors.append((line_number, *problem))
            continue
        rows.append(_Row(line_number, name, int(values["headcount"]),
                         " ".join(values.get("parent", "").split()),
                         (values.get("active", "").lower() or "yes") in YES_WORDS))
    return rows


def _line_problem(line_number: int, name: str, values: dict[str, str], seen: dict[str, int]
                  ) -> tuple[str, dict[str, object]] | None:
    """Why one line cannot be imported (a message and its values), or None."""
    if not 1 <= len(name) <= 120:
        return N_("The name is empty or longer than 120 characters."), {}
    if name.lower() in seen:
        return (N_("%(name)s already appears on line %(line)s."),
                {"name": name, "line": seen[name.lower()]})
    seen[name.lower()] = line_number  # a later repeat names this line, even when it is bad
    try:
        headcount = int(values.get("headcount", ""))
    except ValueError:
        headcount = -1
    if not 0 <= headcount <= MAX_HEADCOUNT:
        return N_("The headcount must be a whole number of 0 or more."), {}
    if (values.get("active", "").lower() or "yes") not in ACTIVE_WORDS:
        return N_("Active must be yes or no."), {}
    return None


def _check_parents(rows: list[_Row], existing: dict[str, Department],
                   errors: list[Error]) -> None:
    """Every parent is known (in the file or the database) and no department is placed
    under itself, with the file's parents replacing the stored ones."""
    by_id = {d.id: name for name, d in existing.items()}
    parent_name = {name: by_id.get(d.parent_id) if d.parent_id else None
                   for name, d in existing.items()}
    for row in rows:
        parent_name[row.name.lower()] = row.parent.lower() or None
    for row in rows:
        if row.parent and row.parent.lower() not in parent_name:
            errors.append((row.line, N_("Parent department %(parent)s is not known."),
                           {"parent": row.parent}))
        elif _has_cycle(parent_name, row.name.lower()):
            errors.append((row.line, N_("A department cannot be placed under itself."), {}))


def _write(session: Session, rows: list[_Row], existing: dict[str, Department],
           report: ImportReport) -> None:
    for row in rows:
        department = existing.get(row.name.lower())
        if department is None:
            existing[row.name.lower()] = Department(name=row.name, headcount=row.headcount,
                                                    active=row.active)
            session.add(existing[row.name.lower()])
            report.created += 1
        else:
            department.headcount, department.active = row.headcount, row.active
            report.updated += 1
    session.flush()
    for row in rows:
        parent = row.parent.lower()
        existing[row.name.lower()].parent_id = existing[parent].id if parent else None
    session.flush()


def _has_cycle(parent_name: dict[str, str | None], start: str) -> bool:
    seen = {start}
    current = parent_name.get(start)
    while current is not None:
        if current in seen:
            return True
        seen.add(current)
        current = parent_name.get(current)
    return False
