"""The encrypted cache of what the case list filters on (department, categories): one index per
vault (:class:`ListingIndex`, what the web uses) or one per web session (:class:`ListingCache`)."""

from __future__ import annotations

import json
import struct
import sys
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final, cast

from sqlalchemy import BigInteger, FromClause, Select, Table, any_, bindparam, delete, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vp_registry.core import crypto
from vp_registry.core.taxonomy import Outcome
from vp_registry.db import utcnow
from vp_registry.db.cases import (
    Case,
    CaseKey,
    CaseListingCache,
    CaseListingIndex,
    CaseSearchIndex,
)
from vp_registry.db.vault import VAULT_ROW_ID, Vault
from vp_registry.services.cases import codec, queries
from vp_registry.services.cases.listing_format import CACHE_FORMAT as _CACHE_FORMAT
from vp_registry.services.cases.listing_format import COLUMNS as _COLUMNS
from vp_registry.services.cases.listing_format import (
    INTEGRITY_MARK,
    Entries,
    Entry,
    Packed,
    parse,
    unsettled,
)
from vp_registry.services.cases.queries import CaseFilter
from vp_registry.services.cases.records import CaseSummary
from vp_registry.services.vault.keyring import VaultKeys

LISTING_CACHE: Final = "case_listing_caches"
CACHE_PURPOSE: Final = "case-listing-cache"
LISTING_INDEX: Final = "case_listing_index"
INDEX_PURPOSE: Final = "case-listing-index"
# the stored format (services/cases/listing_format.py): 3, columns holding the whole summary
# (issue 17, session 8); 2 is read without its integrity reports (they lack their deadlines:
# decrypted afresh and the index rewritten as 3)
_ENTRY_SIZE: Final = sum(array(code).itemsize for code in _COLUMNS)
_DAY_ZERO: Final = date(1999, 12, 31).toordinal()
_ORDERED: Final = 4  # categories kept in order (a case with more is decrypted when shown)
_MAX_CACHED_CODES: Final = 64  # one bit per category code
_CACHE_HEADER_SIZE: Final = crypto.SizeClass(fixed=512)  # format, codes in use (issue 11, 5b)
# Kept among the category codes, never one itself (as INTEGRITY_MARK): the entry holds the
# case's whole summary (issue 17, session 8: the start page and each /clients part decrypt no
# case the index holds), its integrity-report flag, its outcome.
SUMMARY_MARK: Final = "\x00summary"
FLAG_MARK: Final = "\x00integrity-flag"
OUTCOME_MARK: Final = "\x00outcome:"  # + the outcome


def is_integrity_report(listing: dict[str, Any]) -> bool:
    return bool(listing.get("integrity_report")) or \
        listing.get("outcome") == Outcome.INTEGRITY_REPORT.value


def _day(value: Any) -> int | None:
    """A listing's date as a day number (0: none), read as ``codec.make_summary`` reads it;
    None: not kept (a date before 2000 or after 2178, or not a date)."""
    try:
        found = codec._date(value)  # exactly as make_summary reads it
    except ValueError:
        return None
    if found is None:
        return 0
    day = found.toordinal() - _DAY_ZERO
    return day if 0 < day < 1 << 16 else None


def _marks(listing: dict[str, Any]) -> tuple[list[str], int, int]:
    """The marks of a listing (an integrity report; the whole summary kept: its flag and
    outcome), and its acknowledged and feedback day numbers."""
    marks = [INTEGRITY_MARK] if is_integrity_report(listing) else []
    outcome = listing.get("outcome")
    days = [_day(listing.get("acknowledged_on")), _day(listing.get("feedback_on"))]
    acknowledged, feedback = (day or 0 for day in days)
    if None in days or not (outcome is None or isinstance(outcome, str)) \
            or len(listing["categories"]) > _ORDERED:
        return marks, acknowledged, feedback
    marks.append(SUMMARY_MARK)
    if listing.get("integrity_report"):
        marks.append(FLAG_MARK)
    if outcome is not None:
        marks.append(OUTCOME_MARK + outcome)
    return marks, acknowledged, feedback


class ListingCache:
    """What the case list filters on - department and categories - for every case, kept
    between a web session's requests, encrypted.

    Filtering 10,000 cases on department or category means decrypting 10,000 listings (one
    data-key unwrap and one decryption each). This cache keeps those two attributes of every
    case for one web session in ``case_listing_caches``, AES-256-GCM under a key derived from
    the vault key *and* ``secret`` - which the web layer derives from the session's cookie
    token - so neither a database copy with the recovery key nor the cookie alone opens it.
    Entries are keyed by case id and version: any write to a case raises its version, and the
    stale entry is decrypted afresh. The row is deleted with its session (logout, timeout,
    password change), and every erasure or key rotation deletes all rows and raises the vault's
    ``listing_epoch``; a request that loaded its cache before writes nothing (checked after its
    write, under the vault row's lock), so no erased case outlives its erasure in a cache.
    """

    def __init__(self, owner: str, secret: bytes) -> None:
        if len(secret) != crypto.KEY_BYTES or not owner:
            raise ValueError("a listing cache needs its session's id and a 256-bit secret")
        self.owner = owner
        self._secret = secret
        self._start()

    def _start(self) -> None:
        self._entries: Entries = {}
        self._packed: Packed | None = None  # as loaded, until an entry is changed
        self._codes: list[str] = []
        self._epoch: int | None = None
        self._changed = False

    def __repr__(self) -> str:
        return f"ListingCache(entries={len(self)})"

    def __len__(self) -> int:
        return len(self._entries) if self._packed is None else len(self._packed.positions)

    def _get(self, case_id: int) -> Entry | None:
        packed = self._packed
        return self._entries.get(case_id) if packed is None else packed.get(case_id)

    def _unpacked(self) -> Entries:
        if self._packed is not None:
            self._entries, self._packed = self._packed.entries(), None
        return self._entries

    def _key(self, keys: VaultKeys) -> bytes:
        return crypto.derive_subkey(keys.current + self._secret, CACHE_PURPOSE)

    def _aad(self, keys: VaultKeys) -> bytes:
        return crypto.associated_data(LISTING_CACHE, "entries", self.owner, keys.version)

    def _stored(self, session: Session) -> Stored | None:
        return session.get(CaseListingCache, self.owner)

    def _new_row(self) -> Stored:
        return CaseListingCache(token_hash=self.owner)

    def _forget(self, session: Session) -> None:
        session.execute(delete(CaseListingCache).where(CaseListingCache.token_hash == self.owner))

    def _read(self, session: Session) -> Any:
        """The vault's listing epoch and this cache's stored row (key version, entries), in
        one statement built once (this runs on every list and every /clients part)."""
        return session.connection().execute(_READ_CACHE, {"owner": self.owner}).first()

    def load(self, session: Session, keys: VaultKeys, *, read: Any = None) -> None:
        """``read``: the row of :func:`_read` (``listing_epoch``, ``key_version``,
        ``entries``) already read in this transaction, e.g. with the session's row
        (:data:`INDEX_READ_COLUMNS`); then no statement runs here."""
        if read is None and session.autoflush:  # as the ORM statements did (nothing to flush)
            session.flush()
        found = self._read(session) if read is None else read
        self._epoch = None if found is None else found.listing_epoch
        if found is None or found.entries is None or found.key_version != keys.version:
            return
        try:
            data = crypto.unpad(keys.cipher.decrypt(self._key(keys), found.entries,
                                                    self._aad(keys)))
            codes, entries = parse(data)
        except (crypto.DecryptionError, ValueError, struct.error):
            return  # another vault key or secret, or a damaged row: start afresh
        self._codes = codes
        self._entries, self._packed = ({}, entries) if isinstance(entries, Packed) \
            else (entries, None)

    def match(self, case_id: int, version: int) -> tuple[int, int] | None:
        """(department id, category bits) of a cached, current entry."""
        hit = self._get(case_id)
        return (hit[1], hit[2]) if hit is not None and hit[0] == version else None

    def bit(self, code: str) -> int:
        """The bit of a category code (0: not cached, so no cached case has it)."""
        return 1 << self._codes.index(code) if code in self._codes else 0

    def integrity(self, case_id: int, version: int) -> bool | None:
        """Whether a cached, current entry is an integrity report (None: not cached)."""
        hit = self.match(case_id, version)
        return None if hit is None else bool(hit[1] & self.bit(INTEGRITY_MARK))

    def entry(self, case_id: int) -> Entry | None:
        """An entry, whatever its version (None: none)."""
        return self._get(case_id)

    def unsettled(self, rows: Sequence[Any], marks: int) -> list[Any]:
        """The ``rows`` (case id and version first) without a current entry, or whose
        current entry has a bit of ``marks``, in their order."""
        packed = self._packed
        return unsettled(self._entries, rows, marks) if packed is None \
            else packed.unsettled(rows, marks)

    def marks(self) -> tuple[int, int]:
        """The bits of the integrity and summary marks (0: no entry has it)."""
        return self.bit(INTEGRITY_MARK), self.bit(SUMMARY_MARK)

    @staticmethod
    def deadline_days(entry: Entry) -> tuple[date | None, date | None]:
        """The acknowledged and feedback dates of an entry holding a summary."""
        return tuple(date.fromordinal(_DAY_ZERO + day) if day else None  # type: ignore[return-value]
                     for day in entry[4:6])

    def summary(self, row: Any, status: str) -> CaseSummary | None:
        """The summary of a case from its current entry, as ``codec.make_summary`` makes it
        from the decrypted listing (``row``: its plaintext id, reference, opened_on,
        closed_on, version); None: no current entry holding a whole summary."""
        hit = self._get(row.id)
        if hit is None or hit[0] != row.version or not hit[2] & self.bit(SUMMARY_MARK):
            return None
        _version, department, bits, order, _acknowledged, _feedback = hit
        marked = [code for n, code in enumerate(self._codes) if bits >> n & 1]
        acknowledged, feedback = self.deadline_days(hit)
        listing = {
            "department": department,
            "categories": [self._codes[order >> 6 * n & 63] for n in range(order >> 24)],
            "integrity_report": FLAG_MARK in marked,
            "acknowledged_on": acknowledged.isoformat() if acknowledged else None,
            "feedback_on": feedback.isoformat() if feedback else None,
            "outcome": next((code[len(OUTCOME_MARK):] for code in marked
                             if code.startswith(OUTCOME_MARK)), None)}
        return codec.make_summary(row.id, row.reference, status, row.opened_on, row.closed_on,
                                  row.version, listing)

    def put(self, case_id: int, version: int, listing: dict[str, Any]) -> bool:
        marks, acknowledged, feedback = _marks(listing)
        categories = list(listing["categories"])
        bits, places = 0, []
        for code in [*categories, *marks]:
            if code not in self._codes:
                if len(self._codes) >= _MAX_CACHED_CODES:
                    return False
                self._codes.append(code)
            places.append(self._codes.index(code))
            bits |= 1 << places[-1]
        order = 0 if len(categories) > _ORDERED else len(categories) << 24 | sum(
            place << 6 * n for n, place in enumerate(places[:len(categories)]))
        self._unpacked()[case_id] = (version, int(listing["department"]), bits, order,
                                  acknowledged, feedback)
        self._changed = True
        return True

    def save(self, session: Session, keys: VaultKeys, present: set[int] | None = None) -> None:
        """Write the cache if it changed (dropping ids not in ``present`` when given)."""
        if present is not None and self._unpacked().keys() - present:
            self._entries = {k: v for k, v in self._entries.items() if k in present}
            self._changed = True
        if not self._changed or self._epoch is None:
            return
        self._unpacked()
        header = json.dumps(self._codes).encode("utf-8")
        count = len(self._entries)
        columns = [array(code, values) for code, values in zip(
            _COLUMNS, [list(self._entries), *zip(*self._entries.values(), strict=True)]
            if count else [[]] * len(_COLUMNS), strict=True)]
        if sys.byteorder != "little":
            for column in columns:
                column.byteswap()
        data = b"".join([_CACHE_FORMAT, len(header).to_bytes(4, "big"), header,
                         count.to_bytes(4, "big"), *(column.tobytes() for column in columns)])
        # the header's length would tell which category codes are in use: padded to its class
        data = crypto.pad(data, _CACHE_HEADER_SIZE.size(13 + len(header), 0)
                          + _ENTRY_SIZE * count)
        entries = keys.cipher.encrypt(self._key(keys), data, self._aad(keys))
        write_guarded(session, self._epoch, keys.version, entries, stored=self._stored,
                      new_row=self._new_row, forget=self._forget)
        self._changed = False


Stored = CaseListingCache | CaseListingIndex | CaseSearchIndex


_VAULT_TABLE, _CACHE_TABLE, _INDEX_TABLE = (
    cast(Table, model.__table__) for model in (Vault, CaseListingCache, CaseListingIndex))
_READ_CACHE: Final = (
    select(_VAULT_TABLE.c.listing_epoch, _CACHE_TABLE.c.key_version, _CACHE_TABLE.c.entries)
    .select_from(_VAULT_TABLE.outerjoin(_CACHE_TABLE,
                                        _CACHE_TABLE.c.token_hash == bindparam("owner")))
    .where(_VAULT_TABLE.c.id == VAULT_ROW_ID))
_READ_INDEX: Final = (
    select(_VAULT_TABLE.c.listing_epoch, _INDEX_TABLE.c.key_version, _INDEX_TABLE.c.entries)
    .select_from(_VAULT_TABLE.outerjoin(_INDEX_TABLE,
                                        _INDEX_TABLE.c.vault_id == _VAULT_TABLE.c.id))
    .where(_VAULT_TABLE.c.id == VAULT_ROW_ID))

# The vault's listing index read with another row in one statement (issue 17, session 8: a
# /clients part reads it with its session row): add these columns to a select whose FROM
# has the vault table (services/vault/unlocking.with_vault_and_grant) and
# :func:`with_listing_index`, and give ``IndexRead.of_row(row)`` to ``ListingIndex.load``.
INDEX_READ_COLUMNS: Final = (_VAULT_TABLE.c.listing_epoch.label("index_listing_epoch"),
                             _INDEX_TABLE.c.key_version.label("index_key_version"),
                             _INDEX_TABLE.c.entries.label("index_entries"))


def with_listing_index(from_clause: FromClause) -> FromClause:
    """``from_clause`` (holding the vault row) outer-joined to the vault's listing index."""
    return from_clause.outerjoin(_INDEX_TABLE, _INDEX_TABLE.c.vault_id == VAULT_ROW_ID)


@dataclass(frozen=True, slots=True)
class IndexRead:
    """The vault's listing epoch (None: no vault row) and its index row's columns (None:
    no index yet), as :meth:`ListingIndex.load` reads them."""

    listing_epoch: int | None
    key_version: int | None
    entries: bytes | None

    @classmethod
    def of_row(cls, row: Any) -> IndexRead:
        return cls(row.index_listing_epoch, row.index_key_version, row.index_entries)


def loaded_epoch(session: Session) -> int | None:
    """The vault's listing epoch when a cache or index is loaded (see :func:`write_guarded`)."""
    return session.execute(select(Vault.listing_epoch).where(
        Vault.id == VAULT_ROW_ID)).scalar_one_or_none()


def write_guarded(session: Session, epoch: int | None, key_version: int, entries: bytes, *,
                  stored: Callable[[Session], Stored | None], new_row: Callable[[], Stored],
                  forget: Callable[[Session], None]) -> None:
    """Store an encrypted cache or index row unless an erasure came in between.

    Two first writers at once: one row wins (a savepoint; the other's copy is dropped).
    Written first, checked after: an erasure that committed meanwhile raised the epoch (and
    deleted every cache and index); one that comes later waits for our lock and deletes ours.
    """
    if epoch is None:
        return
    try:
        with session.begin_nested():
            row = stored(session)
            if row is None:
                row = new_row()
                session.add(row)
            row.key_version, row.updated_at, row.entries = key_version, utcnow(), entries
    except IntegrityError:
        return  # another request wrote it first; ours was a copy of the same values
    current = session.execute(
        select(Vault.listing_epoch).where(Vault.id == VAULT_ROW_ID)
        .with_for_update(read=True)
    ).scalar_one_or_none()
    if current != epoch:
        forget(session)


class ListingIndex(ListingCache):
    """The :class:`ListingCache` of the whole vault, in ``case_listing_index`` (issue 15).

    The first case list after a login reads and decrypts this one row instead of every case's
    listing (a cold list at 10,000 cases: ~0.5 s -> ~50 ms), and every session keeps it
    current. Its key is derived from the vault key alone, so whoever can open it can open
    every case's listing anyway; it holds nothing the listings do not (per case id and
    version: department and category codes and, since issue 17 session 8, the rest of the
    summary - integrity-report flag, outcome, acknowledged and feedback dates - so the start
    page and each /clients part decrypt no case it holds). Erasure and key rotation delete it
    like the session caches (``vault.store.invalidate_listing_caches``, the epoch check in
    :meth:`save`), so no erased case outlives its erasure here either.
    """

    def __init__(self) -> None:
        self.owner = LISTING_INDEX
        self._secret = b""
        self._start()

    def __repr__(self) -> str:
        return f"ListingIndex(entries={len(self)})"

    def _key(self, keys: VaultKeys) -> bytes:
        return crypto.derive_subkey(keys.current, INDEX_PURPOSE)

    def _aad(self, keys: VaultKeys) -> bytes:
        return crypto.associated_data(LISTING_INDEX, "entries", VAULT_ROW_ID, keys.version)

    def _stored(self, session: Session) -> Stored | None:
        return session.get(CaseListingIndex, VAULT_ROW_ID)

    def _read(self, session: Session) -> Any:
        return session.connection().execute(_READ_INDEX).first()

    def _new_row(self) -> Stored:
        return CaseListingIndex(vault_id=VAULT_ROW_ID)

    def _forget(self, session: Session) -> None:
        session.execute(delete(CaseListingIndex))


def _light_query(criteria: CaseFilter) -> Select[*tuple[Any, ...]]:
    """Ids and versions in list order; the covering index ``ix_cases_list`` serves it without
    reading the (large) case rows."""
    return queries.filtered(select(Case.id, Case.version), criteria)


def cached_matches(session: Session, keys: VaultKeys, criteria: CaseFilter,
                   departments: set[int] | None, cache: ListingCache
                   ) -> list[tuple[int, int]]:
    """(case id, department id) of the cases passing every filter, in list order, from the
    cache; only missing or stale entries are decrypted (and the cache rewritten)."""
    connection = session.connection()
    rows = connection.execute(_light_query(criteria)).all()
    cache.load(session, keys)
    uncacheable: dict[int, int] = {}  # id -> department, for codes beyond the cache's bits
    missing = [case_id for case_id, version in rows if cache.match(case_id, version) is None]
    for start in range(0, len(missing), queries.CHUNK):
        chunk = missing[start:start + queries.CHUNK]
        for row in connection.execute(
            select(Case.id, Case.version, Case.data_key_version, Case.listing,
                   CaseKey.wrapped_key, CaseKey.vault_key_version)
            .join(CaseKey, CaseKey.case_id == Case.id).where(Case.id.in_(chunk))
        ):
            crypter = codec.list_row_crypter(keys, row)
            listing = codec.decode_listing(crypter, row.id, row.listing)
            if not cache.put(row.id, row.version, listing) and \
                    _passes(listing, criteria, departments):
                uncacheable[row.id] = int(listing["department"])
    wanted = cache.bit(criteria.category) if criteria.category else -1
    found = []
    for case_id, version in rows:
        hit = cache.match(case_id, version)
        if hit is None:
            if case_id in uncacheable:
                found.append((case_id, uncacheable[case_id]))
            continue  # otherwise erased while we read
        department, bits = hit
        if departments is not None and department not in departments:
            continue
        if wanted != -1 and not bits & wanted:
            continue
        found.append((case_id, department))
    # only a full scan knows which cached ids are gone
    unfiltered = criteria.status is None and criteria.year is None
    cache.save(session, keys, present={case_id for case_id, _ in rows} if unfiltered else None)
    return found


def _passes(listing: dict[str, Any], criteria: CaseFilter, departments: set[int] | None
            ) -> bool:
    return (departments is None or listing["department"] in departments) and (
        not criteria.category or criteria.category in listing["categories"])


# Built once (issue 17, session 8): the statement's construction cost more than its run; on
# PostgreSQL the ids are one array parameter (an expanding IN is rendered anew per run).
_PAGE_ROWS: Final = {
    expanding: select(*queries.LIST_COLUMNS).join(CaseKey, CaseKey.case_id == Case.id).where(
        Case.id.in_(bindparam("ids", expanding=True)) if expanding
        else Case.id == any_(bindparam("ids", type_=ARRAY(BigInteger))))
    for expanding in (True, False)}


def page_rows(session: Session, ids: list[int]) -> list[Any]:
    """The list rows (with their keys) of the shown ids, in the order given."""
    if not ids:
        return []
    connection = session.connection()
    statement = _PAGE_ROWS[connection.dialect.name != "postgresql"]
    rows = {row.id: row for row in connection.execute(statement, {"ids": ids})}
    return [rows[case_id] for case_id in ids if case_id in rows]
