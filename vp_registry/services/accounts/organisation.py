"""Departments and categories, managed by the functional administrator."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vp_registry.core.facts import DepartmentFacts
from vp_registry.core.taxonomy import DEFAULT_CATEGORIES, N_
from vp_registry.db.organisation import Category, Department
from vp_registry.services.errors import NotFound, ValidationFailed
from vp_registry.services.infrastructure.readcache import ReadCache
from vp_registry.services.infrastructure.usage import last_case_write
from vp_registry.services.work import Work

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
    work: Work, *, name: str, headcount: int,
    parent_id: int | None = None, active: bool = True,
) -> Department:
    session = work.session
    name = _validate_department(session, name, headcount, parent_id, None)
    department = Department(name=name, headcount=headcount, parent_id=parent_id, active=active)
    session.add(department)
    session.flush()
    work.audit("department.create", target_type="department", target_id=department.id)
    return department


def update_department(
    work: Work, department: Department, *, name: str,
    headcount: int, parent_id: int | None, active: bool,
) -> None:
    session = work.session
    department.name = _validate_department(session, name, headcount, parent_id, department.id)
    department.headcount = headcount
    department.parent_id = parent_id
    department.active = active
    session.flush()
    work.audit("department.update", target_type="department", target_id=department.id)


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
    work: Work, *, code: str, label_nl: str,
    label_en: str,
) -> Category:
    session = work.session
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
    work.audit("category.create", target_type="category", target_id=category.id)
    return category


def update_category(
    work: Work, category: Category, *, label_nl: str,
    label_en: str, active: bool,
) -> None:
    """Rename or retire/reinstate. The code never changes: encrypted cases refer to it."""
    session = work.session
    category.label_nl, category.label_en = _validate_labels(label_nl, label_en)
    was_active = category.active
    category.active = active
    session.flush()
    action = "category.update"
    if was_active and not active:
        action = "category.retire"
    elif active and not was_active:
        action = "category.reinstate"
    work.audit(action, target_type="category", target_id=category.id)


def delete_category(
    work: Work, category: Category
) -> None:
    """Delete a category that no case can be using.

    Which categories a case has is encrypted, so the admin cannot look. A category can only
    be in use if a case was written after the category was created; defaults and any category
    that may be in use can only be retired.
    """
    session = work.session
    if category.code in DEFAULT_CATEGORIES or category_possibly_in_use(session, category):
        raise ValidationFailed(
            N_("This category may be in use by a case. Retire it instead of deleting it.")
        )
    session.delete(category)
    session.flush()
    work.audit("category.delete", target_type="category", target_id=category.id)


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
