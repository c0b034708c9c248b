"""The case list's filter, page and SQL: plaintext filters and sorts, rows decoded to summaries."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from math import ceil
from typing import Any, Final

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from vp_registry.core.crypto import RecordCrypter
from vp_registry.core.taxonomy import CaseStatus
from vp_registry.db.cases import Case, CaseKey
from vp_registry.db.organisation import Department
from vp_registry.services.cases import codec
from vp_registry.services.cases.records import CaseSummary
from vp_registry.services.vault.keyring import VaultKeys

PAGE_SIZE: Final = 25
SORTS: Final = ("newest", "oldest", "reference", "department", "status")
CHUNK: Final = 500  # ids per IN (...) list


@dataclass(frozen=True)
class CaseFilter:
    """What the counsellor filters and sorts the case list on."""

    status: str | None = None
    category: str | None = None
    department_id: int | None = None
    year: int | None = None
    text: str | None = None
    sort: str = "newest"

    @property
    def needs_decryption(self) -> bool:
        """Filters or sorts on an encrypted attribute: every candidate must be decrypted."""
        return bool(self.category or self.department_id or self.text
                    or self.sort == "department")


@dataclass(frozen=True)
class CasePage:
    """One page of the case list and the number of cases that match."""

    items: list[CaseSummary]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.page_size))


LIST_COLUMNS = (Case.id, Case.reference, Case.status, Case.opened_on, Case.closed_on,
                 Case.version, Case.data_key_version, Case.listing, CaseKey.wrapped_key,
                 CaseKey.vault_key_version)


def list_query(criteria: CaseFilter) -> Select[*tuple[Any, ...]]:
    """Case rows with their wrapped keys, filtered and sorted on plaintext columns."""
    return filtered(select(*LIST_COLUMNS).join(CaseKey, CaseKey.case_id == Case.id), criteria)


def filtered(query: Select[*tuple[Any, ...]], criteria: CaseFilter
             ) -> Select[*tuple[Any, ...]]:
    """The plaintext filters (status, year) and the SQL sort order of the case list."""
    if criteria.status in {s.value for s in CaseStatus}:
        query = query.where(Case.status == criteria.status)
    if criteria.year:
        query = query.where(Case.opened_on >= date(criteria.year, 1, 1),
                            Case.opened_on < date(criteria.year + 1, 1, 1))
    if criteria.sort == "oldest":
        return query.order_by(Case.opened_on, Case.reference)
    if criteria.sort == "reference":
        return query.order_by(Case.reference)
    if criteria.sort == "status":
        return query.order_by(Case.status.desc(), Case.opened_on.desc(), Case.reference)
    return query.order_by(Case.opened_on.desc(), Case.reference.desc())


def decode_list_rows(keys: VaultKeys, rows: Iterable[Any]
                     ) -> Iterator[tuple[CaseSummary, RecordCrypter]]:
    """Summaries of list rows, each with its crypter (for a text search after)."""
    for row in rows:
        crypter = codec.list_row_crypter(keys, row)
        listing = codec.decode_listing(crypter, row.id, row.listing)
        yield row_summary(row, listing), crypter


def department_subtree(session: Session, department_id: int) -> set[int]:
    """A department and every department below it (filtering "Productie" finds its teams)."""
    children: dict[int | None, list[int]] = {}
    for dept_id, parent_id in session.execute(select(Department.id, Department.parent_id)):
        children.setdefault(parent_id, []).append(dept_id)
    found, todo = set(), [department_id]
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo.extend(children.get(current, []))
    return found


def row_summary(row: Any, listing: dict[str, Any]) -> CaseSummary:
    """The summary of a list row whose listing is decrypted already."""
    return codec.make_summary(row.id, row.reference, row.status, row.opened_on,
                              row.closed_on, row.version, listing)
