"""Departments and categories, managed by the functional administrator."""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vp_registry.config import Settings
from vp_registry.core.facts import DepartmentFacts
from vp_registry.core.taxonomy import DEFAULT_CATEGORIES, N_
from vp_registry.db.organisation import Category, Department
from vp_registry.services import audit
from vp_registry.services.audit import Actor
from vp_registry.services.errors import NotFound, ValidationFailed
from vp_registry.services.readcache import ReadCache
from vp_registry.services.usage import last_case_write

# Dutch labels for the default categories; English labels come from the taxonomy.
DEFAULT_CATEGORY_LABELS_NL = {
    "pesten": "Pesten",
    "seksisme": "Seksisme en seksuele intimidatie",
    "uitsluiting": "Uitsluiting en discriminatie",
    "agressie": "Agressie en geweld",
    "integriteit": "Integriteit",
    "werkdruk": "Werkdruk",
    "overig": "Overig",
}
CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{1,39}$")
MAX_HEADCOUNT = 1_000_000


# ---------------------------------------------------------------- departments


def list_departments(session: Session, *, active_only: bool = False) -> list[Department]:
    query = select(Department).order_by(Department.name)
    if active_only:
        query = query.where(Department.active.is_(True))
    return list(session.execute(query).scalars())


def get_department(session: Session, department_id: int) -> Department:
    department = session.get(Department, department_id)
    if department is None:
        raise NotFound()
    return department


def department_facts(session: Session) -> list[DepartmentFacts]:
    return [
        DepartmentFacts(d.id, d.name, d.headcount, d.parent_id, d.active)
        for d in list_departments(session)
    ]


def _validate_department(
    session: Session, name: str, headcount: int, parent_id: int | None, own_id: int | None
) -> str:
    name = " ".join(name.split())
    if not 1 <= len(name) <= 120:
        raise ValidationFailed(N_("Enter a department name of at most 120 characters."))
    if not 0 <= headcount <= MAX_HEADCOUNT:
        raise ValidationFailed(N_("The headcount must be a whole number of 0 or more."))
    clash = session.execute(
        select(Department).where(func.lower(Department.name) == name.lower())
    ).scalar_one_or_none()
    if clash is not None and clash.id != own_id:
        raise ValidationFailed(N_("A department named %(name)s already exists."), name=name)
    ancestor = parent_id
    seen: set[int] = set()
    while ancestor is not None:
        if ancestor == own_id or ancestor in seen:
            raise ValidationFailed(N_("A department cannot be placed under itself."))
        seen.add(ancestor)
        parent = session.get(Department, ancestor)
        if parent is None:
            raise ValidationFailed(N_("The chosen parent department does not exist."))
        ancestor = parent.parent_id
    return name


def create_department(
    session: Session, settings: Settings, actor: Actor, *, name: str, headcount: int,
    parent_id: int | None = None, active: bool = True,
) -> Department:
    name = _validate_department(session, name, headcount, parent_id, None)
    department = Department(name=name, headcount=headcount, parent_id=parent_id, active=active)
    session.add(department)
    session.flush()
    audit.record(session, settings.audit_key, actor, "department.create",
                 target_type="department", target_id=department.id)
    return department


def update_department(
    session: Session, settings: Settings, actor: Actor, department: Department, *, name: str,
    headcount: int, parent_id: int | None, active: bool,
) -> None:
    department.name = _validate_department(session, name, headcount, parent_id, department.id)
    department.headcount = headcount
    department.parent_id = parent_id
    department.active = active
    session.flush()
    audit.record(session, settings.audit_key, actor, "department.update",
                 target_type="department", target_id=department.id)


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str, dict[str, object]]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def import_departments(
    session: Session, settings: Settings, actor: Actor, text: str
) -> ImportReport:
    """Import ``name,headcount,parent[,active]`` rows; all or nothing.

    Every line is checked first; when any line is bad, nothing is written and the report
    lists each bad line with its reason. Parents may appear later in the file.
    """
    report = ImportReport()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "name" not in header or "headcount" not in header:
        report.errors.append((1, N_("The first line must name the columns: %(columns)s."),
                              {"columns": "name,headcount,parent,active"}))
        return report
    rows: list[tuple[int, str, int, str, bool]] = []
    seen: dict[str, int] = {}
    for line_number, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        name = " ".join(row.get("name", "").split())
        if not name and not any(row.values()):
            continue
        if not 1 <= len(name) <= 120:
            report.errors.append(
                (line_number, N_("The name is empty or longer than 120 characters."), {}))
            continue
        if name.lower() in seen:
            report.errors.append((line_number, N_("%(name)s already appears on line %(line)s."),
                                  {"name": name, "line": seen[name.lower()]}))
            continue
        seen[name.lower()] = line_number
        try:
            headcount = int(row.get("headcount", ""))
            if not 0 <= headcount <= MAX_HEADCOUNT:
                raise ValueError
        except ValueError:
            report.errors.append(
                (line_number, N_("The headcount must be a whole number of 0 or more."), {}))
            continue
        active_text = row.get("active", "").lower() or "yes"
        if active_text not in {"yes", "no", "ja", "nee", "1", "0", "true", "false"}:
            report.errors.append((line_number, N_("Active must be yes or no."), {}))
            continue
        rows.append((line_number, name, headcount, " ".join(row.get("parent", "").split()),
                     active_text in {"yes", "ja", "1", "true"}))
    existing = {d.name.lower(): d for d in list_departments(session)}
    parent_of = {name: existing[name].parent_id for name in existing}
    by_id = {d.id: name for name, d in existing.items()}
    parent_name = {name: by_id.get(pid) if pid else None for name, pid in parent_of.items()}
    for _, name, _, parent, _ in rows:
        parent_name[name.lower()] = parent.lower() or None
    for line_number, name, _, parent, _ in rows:
        if parent and parent.lower() not in parent_name:
            report.errors.append((line_number, N_("Parent department %(parent)s is not known."),
                                  {"parent": parent}))
        elif _has_cycle(parent_name, name.lower()):
            report.errors.append(
                (line_number, N_("A department cannot be placed under itself."), {}))
    if report.errors:
        report.errors.sort(key=lambda error: error[0])
        return report
    for _, name, headcount, _, active in rows:
        department = existing.get(name.lower())
        if department is None:
            existing[name.lower()] = Department(name=name, headcount=headcount, active=active)
            session.add(existing[name.lower()])
            report.created += 1
        else:
            department.headcount, department.active = headcount, active
            report.updated += 1
    session.flush()
    for _, name, _, parent, _ in rows:
        existing[name.lower()].parent_id = existing[parent.lower()].id if parent else None
    session.flush()
    audit.record(session, settings.audit_key, actor, "department.import",
                 created=report.created, updated=report.updated)
    return report


def _has_cycle(parent_name: dict[str, str | None], start: str) -> bool:
    seen = {start}
    current = parent_name.get(start)
    while current is not None:
        if current in seen:
            return True
        seen.add(current)
        current = parent_name.get(current)
    return False


# ----------------------------------------------------------------- categories


def ensure_default_categories(session: Session) -> int:
    """Create missing default categories (idempotent); returns how many were added."""
    existing = set(session.execute(select(Category.code)).scalars())
    added = 0
    for position, (code, label_en) in enumerate(DEFAULT_CATEGORIES.items()):
        if code not in existing:
            session.add(Category(code=code, label_en=label_en,
                                 label_nl=DEFAULT_CATEGORY_LABELS_NL[code], position=position))
            added += 1
    session.flush()
    return added


def list_categories(session: Session, *, active_only: bool = False) -> list[Category]:
    query = select(Category).order_by(Category.position, Category.id)
    if active_only:
        query = query.where(Category.active.is_(True))
    return list(session.execute(query).scalars())


def get_category(session: Session, category_id: int) -> Category:
    category = session.get(Category, category_id)
    if category is None:
        raise NotFound()
    return category


def _validate_labels(label_nl: str, label_en: str) -> tuple[str, str]:
    label_nl, label_en = " ".join(label_nl.split()), " ".join(label_en.split())
    if not (1 <= len(label_nl) <= 120 and 1 <= len(label_en) <= 120):
        raise ValidationFailed(N_("Enter a Dutch and an English name of at most 120 characters."))
    return label_nl, label_en


def create_category(
    session: Session, settings: Settings, actor: Actor, *, code: str, label_nl: str,
    label_en: str,
) -> Category:
    code = code.strip().lower()
    if not CODE_PATTERN.match(code):
        raise ValidationFailed(N_("The code must be 2-40 lowercase letters, digits, - or _."))
    if session.execute(select(Category).where(Category.code == code)).scalar_one_or_none():
        raise ValidationFailed(N_("A category with this code already exists."))
    label_nl, label_en = _validate_labels(label_nl, label_en)
    position = int(session.execute(select(func.coalesce(func.max(Category.position), 0)))
                   .scalar_one()) + 1
    category = Category(code=code, label_nl=label_nl, label_en=label_en, position=position)
    session.add(category)
    session.flush()
    audit.record(session, settings.audit_key, actor, "category.create",
                 target_type="category", target_id=category.id)
    return category


def update_category(
    session: Session, settings: Settings, actor: Actor, category: Category, *, label_nl: str,
    label_en: str, active: bool,
) -> None:
    """Rename or retire/reinstate. The code never changes: encrypted cases refer to it."""
    category.label_nl, category.label_en = _validate_labels(label_nl, label_en)
    was_active = category.active
    category.active = active
    session.flush()
    action = "category.update"
    if was_active and not active:
        action = "category.retire"
    elif active and not was_active:
        action = "category.reinstate"
    audit.record(session, settings.audit_key, actor, action,
                 target_type="category", target_id=category.id)


def delete_category(
    session: Session, settings: Settings, actor: Actor, category: Category
) -> None:
    """Delete a category that no case can be using.

    Which categories a case has is encrypted, so the admin cannot look. A category can only
    be in use if a case was written after the category was created; defaults and any category
    that may be in use can only be retired.
    """
    if category.code in DEFAULT_CATEGORIES or category_possibly_in_use(session, category):
        raise ValidationFailed(
            N_("This category may be in use by a case. Retire it instead of deleting it.")
        )
    session.delete(category)
    session.flush()
    audit.record(session, settings.audit_key, actor, "category.delete",
                 target_type="category", target_id=category.id)


def category_possibly_in_use(session: Session, category: Category) -> bool:
    last_write = last_case_write(session)
    return last_write is not None and last_write >= category.created_at


# ------------------------------------------------------------------ directory


@dataclass(frozen=True)
class DepartmentEntry:
    id: int
    name: str
    parent_id: int | None
    active: bool


@dataclass(frozen=True)
class CategoryEntry:
    id: int
    code: str
    label_nl: str
    label_en: str
    active: bool
    position: int


@dataclass(frozen=True)
class Directory:
    """The departments (by name) and categories (in order) that case pages show."""

    departments: tuple[DepartmentEntry, ...]
    categories: tuple[CategoryEntry, ...]


def directory_cache(*, ttl: float = 5.0, clock: Callable[[], float] = time.monotonic
                    ) -> ReadCache[Directory]:
    """Every case page names departments and categories; two queries on each of them were a
    fifth of the page's database work, for lists the administrator changes a few times a
    year."""
    return ReadCache(read_directory, (Department, Category), ttl=ttl, clock=clock)


def read_directory(session: Session) -> Directory:
    return Directory(
        departments=tuple(DepartmentEntry(d.id, d.name, d.parent_id, d.active)
                          for d in list_departments(session)),
        categories=tuple(CategoryEntry(c.id, c.code, c.label_nl, c.label_en, c.active,
                                       c.position) for c in list_categories(session)))
