"""The practice registry (issue 17): which organisations this installation serves.

Read from and written to the main database only (``work`` and ``session`` here are the main
database's). An organisation is handed around as a frozen :class:`Organisation`, never as the
ORM row: a request of organisation A reads it once from the main database and then works in
A's database alone.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vp_registry.core.taxonomy import N_
from vp_registry.db import utcnow
from vp_registry.db.practice import Organisation as OrganisationRow
from vp_registry.services.errors import DomainError
from vp_registry.services.organisations.settings import InvalidOverrides, validate_overrides
from vp_registry.services.work import Work

if TYPE_CHECKING:
    from vp_registry.services.organisations.databases import OrganisationDatabases

SLUG_PATTERN: Final = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
HOST_PATTERN: Final = re.compile(r"^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
                                 r"(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")
# Slugs that would read as something else: the home organisation, or a path of the
# application itself after /o/ (none today; kept free for later).
RESERVED_SLUGS: Final = frozenset({"home", "static", "practice", "clients", "o", "www", "api"})
MAX_NAME: Final = 120


class OrganisationError(DomainError):
    message = N_("The organisation could not be saved.")


@dataclass(frozen=True)
class Organisation:
    id: int
    slug: str
    name: str
    host: str | None
    is_home: bool
    settings: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


def frozen(id: int, slug: str, name: str, host: str | None, is_home: bool,
           settings: str | None) -> Organisation:
    """An :class:`Organisation` from a registry row's columns."""
    try:
        overrides = json.loads(settings or "{}")
    except ValueError:
        overrides = {}
    return Organisation(id=id, slug=slug, name=name, host=host, is_home=bool(is_home),
                        settings=overrides if isinstance(overrides, dict) else {})


def _frozen(row: OrganisationRow) -> Organisation:
    return frozen(row.id, row.slug, row.name, row.host, row.is_home, row.settings)


_ACTIVE = select(OrganisationRow).where(OrganisationRow.deleted_at.is_(None))


def list_organisations(session: Session) -> list[Organisation]:
    """The active organisations, home first, then by name."""
    rows = session.scalars(_ACTIVE.order_by(OrganisationRow.is_home.desc(),
                                            OrganisationRow.name, OrganisationRow.slug))
    return [_frozen(row) for row in rows]


def home_organisation(session: Session) -> Organisation:
    row = session.scalars(_ACTIVE.where(OrganisationRow.is_home.is_(True))).first()
    if row is None:
        raise RuntimeError("the registry has no home organisation: run 'vp-registry db upgrade'")
    return _frozen(row)


def find_organisation(session: Session, slug: str) -> Organisation | None:
    """The active organisation with this slug (None for an unknown or deleted one)."""
    if not SLUG_PATTERN.match(slug):
        return None
    row = session.scalars(_ACTIVE.where(OrganisationRow.slug == slug)).first()
    return _frozen(row) if row is not None else None


def by_host(session: Session, host: str) -> Organisation | None:
    """The active organisation selected by this host name (port and case ignored)."""
    name = normal_host(host)
    if not name:
        return None
    row = session.scalars(_ACTIVE.where(OrganisationRow.host == name)).first()
    return _frozen(row) if row is not None else None


def has_hosts(session: Session) -> bool:
    """Whether any active organisation is selected by host name."""
    count = session.scalar(select(func.count()).select_from(OrganisationRow).where(
        OrganisationRow.deleted_at.is_(None), OrganisationRow.host.is_not(None)))
    return bool(count)


def normal_host(host: str) -> str:
    """A Host header as stored: lower case, without port and trailing dot."""
    name = host.strip().lower()
    if name.startswith("["):  # an IPv6 literal never selects an organisation
        return ""
    return name.rsplit(":", 1)[0].rstrip(".") if ":" in name else name.rstrip(".")


def _checked(work: Work, slug: str, name: str, host: str | None,
             settings: dict[str, Any] | None) -> tuple[str, str, str | None, str]:
    slug, name = slug.strip(), " ".join(name.split())
    if not SLUG_PATTERN.match(slug) or slug in RESERVED_SLUGS:
        raise OrganisationError(N_("A short name is 2 to 40 lower-case letters, digits and "
                                   "hyphens, starting with a letter or digit."), field="slug")
    if not name or len(name) > MAX_NAME:
        raise OrganisationError(N_("Give the organisation a name of at most 120 characters."),
                                field="name")
    host_name = normal_host(host) if host and host.strip() else None
    if host_name is not None and not HOST_PATTERN.match(host_name):
        raise OrganisationError(N_("That is not a host name."), field="host")
    try:
        stored = validate_overrides(work.settings, settings or {})
    except InvalidOverrides as error:
        raise OrganisationError(N_("A setting of the organisation is not valid: %(problem)s"),
                                field="settings", problem=str(error)) from error
    return slug, name, host_name, stored


def create_organisation(work: Work, databases: OrganisationDatabases, *, slug: str,
                        name: str, host: str | None = None,
                        settings: dict[str, Any] | None = None) -> Organisation:
    """Register a client organisation and create its database at the schema's head (with
    the default categories). ``work`` is the main database's unit of work; the caller
    commits it, then initialises the organisation's vault and first admin in the new
    database (as ``vp-registry init`` does). A slug is never given out twice, not even
    after its organisation was deleted."""
    slug, name, host_name, stored = _checked(work, slug, name, host, settings)
    taken = work.session.scalar(select(func.count()).select_from(OrganisationRow).where(
        OrganisationRow.slug == slug))
    if taken:
        raise OrganisationError(N_("That short name is taken."), field="slug")
    if host_name is not None and work.session.scalar(
            select(func.count()).select_from(OrganisationRow)
            .where(OrganisationRow.host == host_name)):
        raise OrganisationError(N_("That host name is taken."), field="host")
    row = OrganisationRow(slug=slug, name=name, host=host_name, is_home=False,
                          settings=stored, created_at=utcnow())
    work.session.add(row)
    work.flush()
    organisation = _frozen(row)
    if databases.exists(organisation):
        # No registry row has ever held this slug (checked above), so this database is the
        # leftover of a create that was interrupted before its registry row was committed:
        # nothing can reach it. It goes, and the organisation is made afresh (a re-run).
        databases.drop_database(organisation)
    databases.create_database(organisation)
    work.audit("organisation.created", target_type="organisation", target_id=row.id)
    return organisation


def mark_deleted(work: Work, organisation: Organisation) -> None:
    """The registry's part of deleting an organisation (after its database is gone): the
    row keeps the slug and the dates only - name, host and settings are blanked."""
    row = work.session.get(OrganisationRow, organisation.id)
    if row is None or row.is_home:
        raise OrganisationError(N_("The home organisation cannot be deleted."))
    row.name, row.host, row.settings, row.deleted_at = "", None, "{}", utcnow()
    work.flush()
    work.audit("organisation.deleted", target_type="organisation", target_id=row.id)
