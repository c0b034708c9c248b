"""The case list and the counsellor's overview: one page of summaries, audited as one
``case.list`` read whatever was filtered."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any, Final

from sqlalchemy import Integer, Select, func, literal_column, select
from sqlalchemy.orm import Session

from vp_registry.core.casework import fold
from vp_registry.db.cases import Case, CaseKey
from vp_registry.db.organisation import Department
from vp_registry.db.raw import RawStatement
from vp_registry.services.cases import codec, listing_cache, queries, search, search_index
from vp_registry.services.cases.listing_cache import ListingCache
from vp_registry.services.cases.overview import Overview as Overview  # moved (issue 17)
from vp_registry.services.cases.overview import overview as overview
from vp_registry.services.cases.queries import PAGE_SIZE, CaseFilter, CasePage
from vp_registry.services.cases.records import CaseSummary
from vp_registry.services.cases.search_index import SearchIndex
from vp_registry.services.vault.keyring import VaultKeys
from vp_registry.services.work import Work


def list_cases(work: Work, criteria: CaseFilter, *, page: int = 1, page_size: int = PAGE_SIZE,
               cache: ListingCache | None = None, search: SearchIndex | None = None,
               decoded: DecodedRows | None = None) -> CasePage:
    """One page of the case list. Plaintext filters (status, year) and sorts run in SQL;
    department, category and free text are applied after decryption, in memory.

    With an encrypted filter every candidate's listing is decrypted (one data-key unwrap and
    one decryption per case) - or taken from the ``cache`` where it is current, and a text
    search reads the ``search`` index (with the cache) instead of decrypting every case's text;
    records are built for the shown page only; a shown row ``decoded`` holds unchanged is not
    decrypted again (:class:`DecodedRows`).
    """
    page = max(1, page)
    decoded = decoded if decoded is not None else DecodedRows()
    needle = fold(criteria.text.strip()) if criteria.text and criteria.text.strip() else None
    if not criteria.needs_decryption:
        found = _plain_page(work, criteria, page, page_size, decoded)
    elif cache is not None and (needle is None or search is not None):
        found = _cached_page(work, criteria, cache, page, page_size, decoded, needle, search)
    else:
        found = _decrypted_page(work, criteria, needle, page, page_size)
    _audit_list(work)
    return found


@lru_cache(maxsize=64)
def _plain_statements(status: str | None, year: int | None, sort: str
                      ) -> tuple[Select[Any], Select[Any]]:
    """A page of the plain list and the count of its cases, built once per filter (issue 15:
    building them cost a sixth of the list's CPU); the page's bounds: _page_statement."""
    query = queries.list_query(CaseFilter(status=status, year=year, sort=sort))
    if query.whereclause is None:
        # Unfiltered, the list's rows are the case keys: each names one case (its primary key,
        # a foreign key to cases). Counted alone they cost the database a scan of a narrow
        # table instead of a join with the wide one (session 9: 0.13 of the list statement's
        # ~0.2 ms on PostgreSQL at 200 cases, more with more cases).
        count = select(func.count()).select_from(CaseKey)
    else:
        # Filtered (status, year: plaintext columns of cases), the cases are counted alone,
        # from an index (ix_cases_status, ix_cases_list) - the join with every case key made
        # the count a hash join over the whole case_keys table (session 10, PostgreSQL, server
        # CPU per list page: 100,000 cases, open 18.7 -> 0.8 ms, one year 11.1 -> 0.5 ms;
        # 10,000: 1.34 -> 0.12 ms, 0.85 -> 0.08 ms). A case and its key are written and erased
        # in one transaction; only a deleted organisation's database, which is never served,
        # keeps cases whose keys are gone (services/organisations/deletion.py).
        count = select(func.count()).select_from(Case).where(query.whereclause)
    # The count rides along as the page's last column (session 8: one statement, and on
    # PostgreSQL one round trip, less per list page): an uncorrelated scalar subquery, which
    # the database evaluates once for the statement - over the ids alone, as the count
    # statement did (a window count(*) over the page's query made the database read every
    # row's listing at 100,000 cases: session 5).
    return (query.add_columns(count.scalar_subquery().label(TOTAL_COLUMN)), count)


@lru_cache(maxsize=256)
def _page_statement(status: str | None, year: int | None, sort: str, page_size: int,
                    skipped: int) -> Select[Any]:
    """A page of the plain list with its bounds written into the SQL as integers (session 10).

    As bind parameters, PostgreSQL planned the statement afresh at every execution: psycopg
    prepares it, but a generic plan for ``LIMIT $1 OFFSET $2`` (bounds unknown, a tenth of
    the rows assumed) is costed above the custom plans, so the plan cache never keeps one
    (``pg_prepared_statements``: 0 generic, every execution a custom plan; ~90 us of planning
    a list page at 200 cases). Without parameters the prepared statement's one plan is kept.
    Each page is its own statement; the first is the one that is read again and again.
    """
    shown, _ = _plain_statements(status, year, sort)
    return (shown.limit(literal_column(str(int(page_size)), Integer))
            .offset(literal_column(str(int(skipped)), Integer)))


@lru_cache(maxsize=256)
def _raw_page_statement(status: str | None, year: int | None, sort: str, page_size: int,
                        skipped: int) -> RawStatement:
    """The same page on the driver's cursor (PostgreSQL, session 10): psycopg's 25 rows
    without SQLAlchemy's execution and result set-up, in PostgreSQL's binary result format
    (each listing and wrapped key as its bytes: ~15 kB a page instead of ~30 kB of hex text
    for the server to write and psycopg to decode). Not on SQLite, where SQLAlchemy's
    compiled row processing is cheaper than converting each value in Python (session 9)."""
    return RawStatement(_page_statement(status, year, sort, page_size, skipped), named=True,
                        binary=True)


TOTAL_COLUMN = "vp_list_total"


def _plain_page(work: Work, criteria: CaseFilter, page: int, page_size: int,
                decoded: DecodedRows) -> CasePage:
    """Filtered and sorted in SQL; only the shown page is decrypted."""
    _, count = _plain_statements(criteria.status, criteria.year, criteria.sort)
    bounds = (criteria.status, criteria.year, criteria.sort, page_size, (page - 1) * page_size)
    connection = work.session.connection()  # Core rows: the ORM adds nothing for columns
    found: list[Any]
    if connection.dialect.name == "postgresql":
        found = _raw_page_statement(*bounds).rows(connection)
    else:
        found = list(connection.execute(_page_statement(*bounds)).all())
    # the count came with the rows; a page past the end has no row to bring it
    total = int(found[0][-1]) if found else int(connection.execute(count).scalar_one())
    return CasePage(decoded.summaries(work.keys, found, trailing=1), total, page, page_size)


class DecodedRows:
    """The summaries of list rows one web session was shown, kept to show them again without
    decrypting them again (issue 15; the web keeps one per session in the worker's memory,
    web/speedups/session_memory.py).

    A summary is reused only for a row equal in every column the list reads - id, plaintext
    columns, version, the listing's ciphertext and the wrapped data key - so any change to a
    case (its version and ciphertext), a key rotation (its wrapped key) or an erasure (no row)
    is decrypted afresh or gone. Only rows this request read from the database, with its keys
    open (the grant checked), are looked up: nothing here is shown that the request could not
    have decrypted itself.
    """

    LIMIT: Final = 2000  # summaries kept at most; more and the memory starts afresh

    def __init__(self) -> None:
        self._rows: dict[int, tuple[tuple[Any, ...], CaseSummary]] = {}

    def __len__(self) -> int:
        return len(self._rows)

    def summaries(self, keys: VaultKeys, rows: Iterable[Any], *, trailing: int = 0
                  ) -> list[CaseSummary]:
        """``trailing``: the rows' last columns that are not the case's (the page's count),
        left out of the comparison."""
        found: list[CaseSummary] = []
        for row in rows:
            columns = tuple(row)[:-trailing] if trailing else tuple(row)
            hit = self._rows.get(row.id)
            if hit is not None and hit[0] == columns:
                found.append(hit[1])
                continue
            crypter = codec.list_row_crypter(keys, row)
            summary = queries.row_summary(row, codec.decode_listing(crypter, row.id, row.listing))
            if len(self._rows) >= self.LIMIT:
                self._rows.clear()
            self._rows[row.id] = (columns, summary)
            found.append(summary)
        return found

    def forget(self) -> None:
        self._rows.clear()


def _departments(work: Work, criteria: CaseFilter) -> set[int] | None:
    return (queries.department_subtree(work.session, criteria.department_id)
            if criteria.department_id else None)


def _department_names(work: Work) -> dict[int, str]:
    return {dept_id: fold(name) for dept_id, name in
            work.session.connection().execute(select(Department.id, Department.name))}


def _decrypted_page(work: Work, criteria: CaseFilter, needle: str | None, page: int,
                    page_size: int) -> CasePage:
    """Every candidate's listing decrypted (and its text, when searching) to filter it."""
    query = queries.list_query(criteria)
    if needle is not None:
        query = query.add_columns(Case.details)
    departments, category = _departments(work, criteria), criteria.category
    candidates: list[search.Candidate] = []
    for row in work.session.connection().execute(query):
        crypter = codec.list_row_crypter(work.keys, row)
        listing = codec.decode_listing(crypter, row.id, row.listing)
        if departments is not None and listing["department"] not in departments:
            continue
        if category and category not in listing["categories"]:
            continue
        candidates.append((row, listing, crypter))
    if needle is not None:
        candidates = search.matches_text(work.session, candidates, needle)
    if criteria.sort == "department":
        names = _department_names(work)
        candidates.sort(key=lambda c: names.get(c[1]["department"], ""))  # stable: SQL order
    shown = candidates[(page - 1) * page_size: page * page_size]
    items = [queries.row_summary(row, listing) for row, listing, _ in shown]
    return CasePage(items, len(candidates), page, page_size)


def _cached_page(work: Work, criteria: CaseFilter, cache: ListingCache, page: int,
                 page_size: int, decoded: DecodedRows, needle: str | None = None,
                 search: SearchIndex | None = None) -> CasePage:
    matched = listing_cache.cached_matches(work.session, work.keys, criteria,
                                           _departments(work, criteria), cache)
    if needle is not None and search is not None:
        hits = search_index.matching(work.session, work.keys, [i for i, _ in matched],
                                     needle, search)
        matched = [item for item in matched if item[0] in hits]
    if criteria.sort == "department":
        names = _department_names(work)
        matched.sort(key=lambda item: names.get(item[1], ""))  # stable: newest first within
    ids = [case_id for case_id, _ in matched[(page - 1) * page_size: page * page_size]]
    shown = listing_cache.page_rows(work.session, ids)
    return CasePage(decoded.summaries(work.keys, shown), len(matched), page, page_size)


def _audit_list(work: Work, **details: Any) -> None:
    """One ``case.list`` read, the same whatever was filtered or searched for: no count (how
    many cases match a category, a department or a name is itself case information, and the
    admin reads the audit log) and nothing of the filter (issue 11, item 3)."""
    work.audit("case.list", **details)


def case_years(session: Session) -> list[int]:
    """The years from the first to the last case opened, newest first (for the year filter)."""
    first, last = session.execute(select(func.min(Case.opened_on), func.max(Case.opened_on))
                                  ).one()
    if first is None or last is None:
        return []
    return list(range(last.year, first.year - 1, -1))


def count_by_status(session: Session) -> dict[str, int]:
    """Open and closed cases counted on the plaintext status (no key needed)."""
    return {status: int(count) for status, count in
            session.execute(select(Case.status, func.count()).group_by(Case.status))}
