"""The encrypted cache of what the case list filters on (department, categories): one index per
vault (:class:`ListingIndex`, what the web uses) or one per web session (:class:`ListingCache`)."""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from typing import Any, Final

from sqlalchemy import Select, delete, select
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
from vp_registry.services.cases.queries import CaseFilter
from vp_registry.services.vault.keyring import VaultKeys

LISTING_CACHE: Final = "case_listing_caches"
CACHE_PURPOSE: Final = "case-listing-cache"
LISTING_INDEX: Final = "case_listing_index"
INDEX_PURPOSE: Final = "case-listing-index"
_CACHE_FORMAT: Final = b"VPLC2"  # 2: integrity reports marked (issue 17, the overview)
_CACHE_ENTRY: Final = struct.Struct("<qiiQ")  # case id, case version, department id, categories
_MAX_CACHED_CODES: Final = 64  # one bit per category code
_CACHE_HEADER_SIZE: Final = crypto.SizeClass(fixed=512)  # format, codes in use (issue 11, 5b)
# Kept among the category codes, never one itself: the case is an integrity report, so the
# start page knows which open cases have deadlines without decrypting every listing.
INTEGRITY_MARK: Final = "\x00integrity-report"


def is_integrity_report(listing: dict[str, Any]) -> bool:
    return bool(listing.get("integrity_report")) or \
        listing.get("outcome") == Outcome.INTEGRITY_REPORT.value


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
        self._entries: dict[int, tuple[int, int, int]] = {}  # id -> (version, dept, bits)
        self._codes: list[str] = []
        self._epoch: int | None = None
        self._changed = False

    def __repr__(self) -> str:
        return f"ListingCache(entries={len(self._entries)})"

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

    def load(self, session: Session, keys: VaultKeys) -> None:
        self._epoch = loaded_epoch(session)
        row = self._stored(session)
        if row is None or row.key_version != keys.version:
            return
        try:
            data = crypto.unpad(keys.cipher.decrypt(self._key(keys), row.entries,
                                                    self._aad(keys)))
            if not data.startswith(_CACHE_FORMAT):
                return
            size = int.from_bytes(data[5:9], "big")
            codes = json.loads(data[9:9 + size].decode("utf-8"))
            entries = {case_id: (version, department, bits) for case_id, version, department,
                       bits in _CACHE_ENTRY.iter_unpack(data[9 + size:])}
        except (crypto.DecryptionError, ValueError, struct.error):
            return  # another vault key or secret, or a damaged row: start afresh
        self._codes, self._entries = list(codes), entries

    def match(self, case_id: int, version: int) -> tuple[int, int] | None:
        """(department id, category bits) of a cached, current entry."""
        hit = self._entries.get(case_id)
        return (hit[1], hit[2]) if hit is not None and hit[0] == version else None

    def bit(self, code: str) -> int:
        """The bit of a category code (0: not cached, so no cached case has it)."""
        return 1 << self._codes.index(code) if code in self._codes else 0

    def integrity(self, case_id: int, version: int) -> bool | None:
        """Whether a cached, current entry is an integrity report (None: not cached)."""
        hit = self.match(case_id, version)
        return None if hit is None else bool(hit[1] & self.bit(INTEGRITY_MARK))

    def put(self, case_id: int, version: int, listing: dict[str, Any]) -> bool:
        bits = 0
        marks = [INTEGRITY_MARK] if is_integrity_report(listing) else []
        for code in [*listing["categories"], *marks]:
            if code not in self._codes:
                if len(self._codes) >= _MAX_CACHED_CODES:
                    return False
                self._codes.append(code)
            bits |= 1 << self._codes.index(code)
        self._entries[case_id] = (version, int(listing["department"]), bits)
        self._changed = True
        return True

    def save(self, session: Session, keys: VaultKeys, present: set[int] | None = None) -> None:
        """Write the cache if it changed (dropping ids not in ``present`` when given)."""
        if present is not None and self._entries.keys() - present:
            self._entries = {k: v for k, v in self._entries.items() if k in present}
            self._changed = True
        if not self._changed or self._epoch is None:
            return
        header = json.dumps(self._codes).encode("utf-8")
        data = b"".join([_CACHE_FORMAT, len(header).to_bytes(4, "big"), header] + [
            _CACHE_ENTRY.pack(case_id, *entry) for case_id, entry in self._entries.items()])
        # the header's length would tell which category codes are in use: padded to its class
        data = crypto.pad(data, _CACHE_HEADER_SIZE.size(9 + len(header), 0)
                          + _CACHE_ENTRY.size * len(self._entries))
        entries = keys.cipher.encrypt(self._key(keys), data, self._aad(keys))
        write_guarded(session, self._epoch, keys.version, entries, stored=self._stored,
                      new_row=self._new_row, forget=self._forget)
        self._changed = False


Stored = CaseListingCache | CaseListingIndex | CaseSearchIndex


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
    every case's listing anyway; it holds nothing the listings do not (department and
    category codes per case id and version). Erasure and key rotation delete it like the
    session caches (``vault.store.invalidate_listing_caches``, the epoch check in
    :meth:`save`), so no erased case outlives its erasure here either.
    """

    def __init__(self) -> None:
        self.owner = LISTING_INDEX
        self._secret = b""
        self._start()

    def __repr__(self) -> str:
        return f"ListingIndex(entries={len(self._entries)})"

    def _key(self, keys: VaultKeys) -> bytes:
        return crypto.derive_subkey(keys.current, INDEX_PURPOSE)

    def _aad(self, keys: VaultKeys) -> bytes:
        return crypto.associated_data(LISTING_INDEX, "entries", VAULT_ROW_ID, keys.version)

    def _stored(self, session: Session) -> Stored | None:
        return session.get(CaseListingIndex, VAULT_ROW_ID)

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


def page_rows(session: Session, ids: list[int]) -> list[Any]:
    """The list rows (with their keys) of the shown ids, in the order given."""
    if not ids:
        return []
    rows = {row.id: row for row in session.connection().execute(
        select(*queries.LIST_COLUMNS).join(CaseKey, CaseKey.case_id == Case.id)
        .where(Case.id.in_(ids)))}
    return [rows[case_id] for case_id in ids if case_id in rows]
