"""The vault's encrypted free-text search index (issue 15).

A search used to decrypt, for every candidate, its details and every conversation's notes
(at 10,000 cases some 34,000 decryptions and 10,000 key unwraps per search). This index keeps,
per case, the folded text a search looks at - the text fields and the notes, as
``casework.fold`` makes them - in one row of ``case_search_index``: zlib-compressed, padded to
a power-of-two bucket and AES-256-GCM under a key derived from the vault key, so a search
decrypts one row and scans strings in memory. Nothing in it is searchable at rest (no
per-word tokens, a fresh nonce per write), and whoever can derive its key can decrypt every
case anyway.

Entries are keyed by case id, case version and the count and version sum of the case's
conversations (a conversation's edit does not change the case's version), so any change is
decrypted afresh. Every erasure and key rotation deletes the row and raises the vault's
listing epoch (``vault.store.invalidate_listing_caches``); a request that loaded the index
before writes nothing (``listing_cache.write_guarded``), so no erased case's text outlives its
erasure here.

Each entry also keeps the case's report facts (``fact_entries``: what ``facts.case_facts``
decrypts for signals and the annual report), so the report's figures at 10,000 cases decrypt
this one row instead of some 47,000 fields (issue 15).
"""

from __future__ import annotations

import struct
import zlib
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

from sqlalchemy import Subquery, delete, func, select
from sqlalchemy.orm import Session

from vp_registry.core import crypto
from vp_registry.core.casework import fold
from vp_registry.db.cases import Case, CaseContact, CaseKey, CaseSearchIndex
from vp_registry.db.vault import VAULT_ROW_ID
from vp_registry.services.cases import codec, fact_entries, queries
from vp_registry.services.cases.listing_cache import Stored, loaded_epoch, write_guarded
from vp_registry.services.vault.keyring import VaultKeys

SEARCH_INDEX: Final = "case_search_index"
SEARCH_PURPOSE: Final = "case-search-index"
TEXT_FIELDS: Final = ("reporter_name", "reporter_contact", "involved_person", "narrative",
                      "next_steps", "referral_target")
_FORMAT: Final = b"VPSI3"  # 3: facts and texts in two streams (a VPSI1/2 row is rebuilt)
_HEAD: Final = struct.Struct("<I")  # the compressed facts stream's length
_ENTRY: Final = struct.Struct("<qiiqII")  # case id, version, conversations, their versions,
# text bytes, facts bytes
_SIZE: Final = crypto.SizeClass(fixed=0, free_text=("*",))  # the whole blob: a bucket
_SEP: Final = "\x00"  # between a case's fields and notes (fold keeps it; a needle rarely has it)

Conversations = tuple[int, int]  # a case's conversation count and version sum
Entry = tuple[int, Conversations, bytes]  # version, conversations, encoded facts


class SearchIndex:
    """The folded searchable text and the report facts of every case, loaded from and saved
    to the vault's row.

    The row's plaintext holds two zlib streams: the entries with their facts (small), then
    every case's text in the same order (large). The report's figures need only the first;
    the texts are decompressed when a search or a save first needs them (issue 15: at 10,000
    cases the texts are ~13 MB, the facts ~1.5 MB)."""

    def __init__(self) -> None:
        self._entries: dict[int, Entry] = {}
        self._texts: dict[int, str] = {}  # put since the load
        self._packed: tuple[bytes, list[tuple[int, int]]] | None = None  # texts, (id, bytes)
        self._stream: _Texts | None = None  # the loaded texts, once decompressed
        self._epoch: int | None = None
        self._changed = False

    def __repr__(self) -> str:  # never the text
        return f"SearchIndex(entries={len(self._entries)})"

    @staticmethod
    def _key(keys: VaultKeys) -> bytes:
        return crypto.derive_subkey(keys.current, SEARCH_PURPOSE)

    @staticmethod
    def _aad(keys: VaultKeys) -> bytes:
        return crypto.associated_data(SEARCH_INDEX, "entries", VAULT_ROW_ID, keys.version)

    def load(self, session: Session, keys: VaultKeys) -> None:
        self._epoch = loaded_epoch(session)
        row = session.get(CaseSearchIndex, VAULT_ROW_ID)
        if row is None or row.key_version != keys.version:
            return
        try:
            data = crypto.unpad(keys.cipher.decrypt(self._key(keys), row.entries,
                                                    self._aad(keys)))
            if not data.startswith(_FORMAT):
                return
            at = len(_FORMAT) + _HEAD.size
            (length,) = _HEAD.unpack_from(data, len(_FORMAT))
            self._entries, order = _parse(zlib.decompress(data[at:at + length]))
            self._packed, self._texts, self._stream = (data[at + length:], order), {}, None
        except (crypto.DecryptionError, ValueError, struct.error, zlib.error):
            self._entries, self._packed = {}, None  # another key or a damaged row: afresh

    def _loaded(self) -> _Texts | None:
        """The loaded texts (their stream decompressed on first use)."""
        if self._packed is not None:
            self._stream, self._packed = _Texts(*self._packed), None
        return self._stream

    def _all_texts(self) -> dict[int, str]:
        """Every entry's text: the loaded ones, and those put since."""
        stream = self._loaded()
        texts = {} if stream is None else {case_id: stream.text(case_id)
                                           for case_id in stream.ids}
        texts.update(self._texts)
        return texts

    def current(self, case_id: int, version: int, conversations: Conversations) -> bool:
        """Is the case's entry there and current?"""
        hit = self._entries.get(case_id)
        return hit is not None and hit[:2] == (version, conversations)

    def text(self, case_id: int, version: int, conversations: Conversations) -> str | None:
        """The folded texts of a case (joined by NUL), if the entry is current."""
        if not self.current(case_id, version, conversations):
            return None
        if case_id in self._texts:
            return self._texts[case_id]
        stream = self._loaded()
        return None if stream is None else stream.text(case_id)

    def containing(self, needle: str) -> set[int]:
        """The cases whose text in the index (current or not: ask :meth:`current`) contains
        the folded ``needle`` - one scan of the loaded texts' UTF-8 bytes (a valid UTF-8
        needle matches bytes exactly where it matches characters), not one per case."""
        found: set[int] = set()
        stream = self._loaded()
        if stream is not None and _SEP not in needle:
            found = stream.containing(needle.encode("utf-8")) - self._texts.keys()
        found.update(case_id for case_id, text in self._texts.items()
                     if _contains(text, needle))
        return found

    def facts(self, case_id: int, version: int, conversations: Conversations) -> bytes | None:
        """The encoded report facts of a case (``fact_entries``), if the entry is current."""
        hit = self._entries.get(case_id)
        return hit[2] if hit is not None and hit[:2] == (version, conversations) else None

    def current_facts(self, rows: Iterable[Sequence[Any]],
                      talks: Mapping[int, Conversations]) -> list[tuple[Any, bytes]]:
        """(row, encoded facts) of the case ``rows`` - (id, version, ...) - whose entry is
        current, ``talks`` giving each case's conversations' signature (none: (0, 0))."""
        entries, none, found = self._entries, (0, 0), []
        for row in rows:
            hit = entries.get(row[0])
            if hit is not None and hit[0] == row[1] and hit[1] == talks.get(row[0], none):
                found.append((row, hit[2]))
        return found

    def put(self, case_id: int, version: int, conversations: Conversations, text: str,
            facts: bytes) -> None:
        self._entries[case_id] = (version, conversations, facts)
        self._texts[case_id] = text
        self._changed = True

    def save(self, session: Session, keys: VaultKeys, present: Callable[[], set[int]]
             ) -> None:
        """Write the index if it changed, keeping only the cases ``present()`` (asked only
        then: an unchanged index holds no erased case, as every erasure deletes the row)."""
        if not self._changed:
            return
        kept = present()
        if self._entries.keys() - kept:
            self._entries = {k: v for k, v in self._entries.items() if k in kept}
        texts = self._all_texts()
        head, body = _serialise(self._entries, texts)
        packed = zlib.compress(head, 1)
        data = b"".join((_FORMAT, _HEAD.pack(len(packed)), packed, zlib.compress(body, 1)))
        entries = keys.cipher.encrypt(self._key(keys),
                                      crypto.pad(data, _SIZE.size(0, len(data))), self._aad(keys))
        write_guarded(session, self._epoch, keys.version, entries, stored=_stored,
                      new_row=_new_row, forget=_forget)
        self._changed = False


class _Texts:
    """The loaded texts' stream: every case's folded text as UTF-8, one after the other."""

    def __init__(self, packed: bytes, order: list[tuple[int, int]]) -> None:
        self.raw = zlib.decompress(packed)
        self.ids: list[int] = []
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.spans: dict[int, int] = {}  # case id -> its position in ids
        at = 0
        for case_id, length in order:
            self.spans[case_id] = len(self.ids)
            self.ids.append(case_id)
            self.starts.append(at)
            at += length
            self.ends.append(at)

    def text(self, case_id: int) -> str:
        at = self.spans[case_id]
        return self.raw[self.starts[at]:self.ends[at]].decode("utf-8")

    def containing(self, needle: bytes) -> set[int]:
        """The cases whose text holds ``needle`` (a match never spans two cases)."""
        if not needle:
            return set(self.ids)
        found, raw, size = set(), self.raw, len(needle)
        at = raw.find(needle)
        while at != -1:
            number = bisect_right(self.starts, at) - 1
            end = self.ends[number]
            if at + size <= end:
                found.add(self.ids[number])
                at = raw.find(needle, end)  # the next case
            else:
                at = raw.find(needle, at + 1)
        return found


def _stored(session: Session) -> Stored | None:
    return session.get(CaseSearchIndex, VAULT_ROW_ID)


def _new_row() -> Stored:
    return CaseSearchIndex(vault_id=VAULT_ROW_ID)


def _forget(session: Session) -> None:
    session.execute(delete(CaseSearchIndex))


def _serialise(entries: dict[int, Entry], texts: dict[int, str]) -> tuple[bytes, bytes]:
    """The entries with their facts, and their texts in the same order."""
    head, body = [], []
    for case_id, (version, (count, versions), facts) in entries.items():
        raw = texts[case_id].encode("utf-8")
        head.append(_ENTRY.pack(case_id, version, count, versions, len(raw), len(facts)))
        head.append(facts)
        body.append(raw)
    return b"".join(head), b"".join(body)


def _parse(data: bytes) -> tuple[dict[int, Entry], list[tuple[int, int]]]:
    """The entries, and (case id, text bytes) in the texts' order."""
    entries: dict[int, Entry] = {}
    order = []
    at, size, unpack = 0, _ENTRY.size, _ENTRY.unpack_from
    while at < len(data):
        case_id, version, count, versions, length, facts = unpack(data, at)
        at += size
        entries[case_id] = (version, (count, versions), data[at:at + facts])
        order.append((case_id, length))
        at += facts
    return entries, order


def matching(session: Session, keys: VaultKeys, candidates: list[int], needle: str,
             index: SearchIndex) -> set[int]:
    """The candidates whose reference, text fields or notes contain ``needle`` (folded), from
    the index; cases new or changed since are decrypted and the index rewritten."""
    index.load(session, keys)
    talks_of = conversations_of_cases()
    cases, talks = {}, {}
    for case_id, version, reference, count, versions in session.connection().execute(
            select(Case.id, Case.version, Case.reference, talks_of.c.talk_count,
                   talks_of.c.talk_versions)
            .outerjoin(talks_of, talks_of.c.case_id == Case.id)).all():
        cases[case_id] = (version, reference)
        talks[case_id] = signature(count, versions)
    hits = index.containing(needle)
    found, stale = set(), []
    for case_id in candidates:
        if case_id not in cases:
            continue  # erased while we read
        version, reference = cases[case_id]
        if needle in fold(reference):
            found.add(case_id)
            continue
        if not index.current(case_id, version, talks.get(case_id, (0, 0))):
            stale.append(case_id)
        elif case_id in hits:
            found.add(case_id)
    for case_id, text, _ in decrypt_entries(session, keys, stale, talks, index):
        if _contains(text, needle):
            found.add(case_id)
    index.save(session, keys, present=lambda: set(cases))
    return found


def conversations_of_cases() -> Subquery:
    """Per case with conversations: ``talk_count`` and version sum ``talk_versions`` (an entry's
    freshness), to outer-join to a query of cases (one statement, no row per conversation)."""
    return (select(CaseContact.case_id, func.count().label("talk_count"),
                   func.sum(CaseContact.version).label("talk_versions"))
            .group_by(CaseContact.case_id).subquery("conversations"))


def signature(count: int | None, versions: int | None) -> Conversations:
    """A case's conversations' signature from the outer-joined columns (no conversation:
    (0, 0))."""
    return int(count or 0), int(versions or 0)


def _contains(text: str, needle: str) -> bool:
    if _SEP in needle:
        return any(needle in part for part in text.split(_SEP))
    return needle in text


def decrypt_entries(session: Session, keys: VaultKeys, ids: list[int],
                    talks: dict[int, Conversations], index: SearchIndex
                    ) -> list[tuple[int, str, bytes]]:
    """Decrypt ``ids`` from the cases themselves - their folded text fields and notes, and
    their report facts - into the index: (case id, text, encoded facts) each."""
    done = []
    connection = session.connection()
    for start in range(0, len(ids), queries.CHUNK):
        chunk = ids[start:start + queries.CHUNK]
        notes: dict[int, list[tuple[int, bytes]]] = {}
        for contact_id, case_id, blob in connection.execute(
                select(CaseContact.id, CaseContact.case_id, CaseContact.content)
                .where(CaseContact.case_id.in_(chunk))):
            notes.setdefault(case_id, []).append((contact_id, blob))
        for row in connection.execute(
                select(Case.id, Case.version, Case.listing, Case.details, Case.data_key_version,
                       CaseKey.wrapped_key, CaseKey.vault_key_version)
                .join(CaseKey, CaseKey.case_id == Case.id).where(Case.id.in_(chunk))):
            crypter = codec.list_row_crypter(keys, row)
            details = codec.decode_details(crypter, row.id, row.details)
            texts = [fold(details[name]) for name in TEXT_FIELDS
                     if isinstance(details.get(name), str)]
            held = []
            for contact_id, blob in notes.get(row.id, []):
                value = crypter.decrypt_json(codec.CONTACTS, codec.CONTENT, contact_id, blob)
                if not isinstance(value, dict):
                    raise crypto.DecryptionError()
                held.append(fact_entries.held(contact_id, value))
                if isinstance(value.get("notes"), str):
                    texts.append(fold(value["notes"]))
            text = _SEP.join(texts)
            facts = fact_entries.encode(keys, codec.decode_listing(crypter, row.id, row.listing),
                                        details, held)
            index.put(row.id, row.version, talks.get(row.id, (0, 0)), text, facts)
            done.append((row.id, text, facts))
    return done
