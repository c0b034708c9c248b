"""Loading case rows, their keys and conversations, decrypted; the version check, the conflict
and the audit entry every use case shares."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, NamedTuple, Protocol, cast

from sqlalchemy import Integer, Select, Table, bindparam, literal_column, select
from sqlalchemy.orm import Session

from vp_registry.core.crypto import RecordCrypter
from vp_registry.db.cases import Case, CaseContact, CaseKey
from vp_registry.db.raw import RawStatement
from vp_registry.services.cases import codec
from vp_registry.services.cases.records import CaseConflict, CaseRecord
from vp_registry.services.errors import NotFound
from vp_registry.services.vault.keyring import VaultKeys
from vp_registry.services.work import Work


def case_row(session: Session, reference: str) -> Case:
    """The case row of a reference (NotFound when there is none, or it was erased)."""
    row = session.execute(select(Case).where(Case.reference == reference)).scalar_one_or_none()
    if row is None:
        raise NotFound()
    return row


def _key_row(session: Session, case_id: int) -> CaseKey:
    row = session.get(CaseKey, case_id)
    if row is None:  # a case without its key has been shredded
        raise NotFound()
    return row


class CaseColumns(Protocol):
    """What decrypting a case reads of its row: an ORM ``Case`` or a Core row."""

    @property
    def id(self) -> int: ...
    @property
    def reference(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def opened_on(self) -> date: ...
    @property
    def closed_on(self) -> date | None: ...
    @property
    def version(self) -> int: ...
    @property
    def data_key_version(self) -> int: ...
    @property
    def listing(self) -> bytes: ...
    @property
    def details(self) -> bytes: ...


class KeyColumns(Protocol):
    """What opening a case's data key reads of its key row."""

    @property
    def wrapped_key(self) -> bytes: ...
    @property
    def vault_key_version(self) -> int: ...


class ContactColumns(Protocol):
    """What decrypting a conversation reads of its row."""

    @property
    def id(self) -> int: ...
    @property
    def case_id(self) -> int: ...
    @property
    def version(self) -> int: ...
    @property
    def held_on(self) -> date: ...
    @property
    def content(self) -> bytes: ...


class _Contact(NamedTuple):
    id: int
    case_id: int
    version: int
    held_on: date
    content: bytes


def row_crypter(session: Session, keys: VaultKeys, row: CaseColumns,
                key: KeyColumns | None = None) -> RecordCrypter:
    """The crypter of a loaded case row (its key row read unless given)."""
    key = key or _key_row(session, row.id)
    return codec.open_crypter(keys, key.wrapped_key, key.vault_key_version, row.data_key_version)


_CONTACT_ORDER = (CaseContact.held_on, CaseContact.created_at)


def _contact_rows(session: Session, case_id: int) -> list[CaseContact]:
    return list(session.execute(select(CaseContact).where(CaseContact.case_id == case_id)
                                .order_by(*_CONTACT_ORDER)).scalars())


def decrypt_row(session: Session, keys: VaultKeys, row: CaseColumns,
                key: KeyColumns | None = None,
                contacts: Sequence[ContactColumns] | None = None) -> CaseRecord:
    """A loaded case row as a whole decrypted record (its conversations read unless given)."""
    crypter = row_crypter(session, keys, row, key)
    summary = codec.make_summary(row.id, row.reference, row.status, row.opened_on,
                                 row.closed_on, row.version,
                                 codec.decode_listing(crypter, row.id, row.listing))
    details = codec.decode_details(crypter, row.id, row.details)
    found = _contact_rows(session, row.id) if contacts is None else contacts
    return codec.make_record(summary, details, tuple(
        codec.decode_contact(crypter, r.id, r.case_id, r.version, r.held_on, r.content)
        for r in found))


# Built once (issue 15): constructing this select cost about a quarter of the case page's read.
# Columns over the tables, no ORM entities (issue 15, session 7: loading a Case, its CaseKey and
# each CaseContact as objects into the unit of work cost more than decrypting them).
_CASES, _KEYS, _CONTACTS = (cast(Table, model.__table__) for model in (Case, CaseKey, CaseContact))
_CASE_FIELDS = ("id", "reference", "status", "opened_on", "closed_on", "version",
                "data_key_version", "listing", "details")  # CaseColumns
_CONTACT_FIELDS = _Contact._fields


def _whole_case_statement(keys: Any) -> Select[Any]:
    """The case page's statement, its key columns from ``keys`` (the table or a lateral
    subquery). No ORDER BY: the conversations are put in order in Python (session 10: the
    database sorted the joined rows, ciphertexts and all, for a handful of conversations)."""
    return (select(*(_CASES.c[name] for name in _CASE_FIELDS), keys.c.wrapped_key,
                   keys.c.vault_key_version,
                   *(_CONTACTS.c[name].label(f"contact_{name}") for name in _CONTACT_FIELDS),
                   _CONTACTS.c.created_at.label("contact_created_at"))
            .select_from(_CASES.join(keys, keys.c.case_id == _CASES.c.id)
                         .outerjoin(_CONTACTS, _CONTACTS.c.case_id == _CASES.c.id))
            .where(_CASES.c.reference == bindparam("reference")))


_WHOLE_CASE = _whole_case_statement(_KEYS)
# PostgreSQL: the key read by a nested loop from its primary key (session 10). Joined as a
# table, a small organisation's 200 keys were hashed for the one case (the planner costs the
# scan of a small table below an index look-up); the OFFSET 0 keeps the subquery a subquery.
_KEY_OF_CASE = (select(_KEYS.c.case_id, _KEYS.c.wrapped_key, _KEYS.c.vault_key_version)
                .where(_KEYS.c.case_id == _CASES.c.id)
                .offset(literal_column("0", Integer)).lateral("case_key"))
_WHOLE_CASE_PG = _whole_case_statement(_KEY_OF_CASE)
# Session 10: on the driver's cursor (db/raw.py), as the web session's lookup: SQLAlchemy's
# execution and result set-up for these 16 columns cost ~115 us of the worker's CPU per case
# page on PostgreSQL (psycopg describes every column for it) against ~69 us; SQLite 24 -> 14.
# On PostgreSQL in the binary result format: the ciphertexts as their bytes, not hex text.
_RAW_WHOLE_CASE = RawStatement(_WHOLE_CASE, named=True, binary=True)
_RAW_WHOLE_CASE_PG = RawStatement(_WHOLE_CASE_PG, named=True, binary=True)


def whole_case(session: Session, reference: str
               ) -> tuple[CaseColumns, KeyColumns, list[ContactColumns]]:
    """A case with its wrapped key and its conversations in one statement (the case page), as
    columns: the first row is both the case and its key; the conversations by date, then by
    when they were recorded."""
    if session.autoflush:  # as the ORM statement did (nothing to flush on a page that reads)
        session.flush()
    connection = session.connection()
    raw = _RAW_WHOLE_CASE_PG if connection.dialect.name == "postgresql" else _RAW_WHOLE_CASE
    found: list[Any] = raw.rows(connection, {"reference": reference})
    if not found:
        raise NotFound()
    first = found[0]
    held = [row for row in found if row.contact_id is not None]
    if len(held) > 1:
        held.sort(key=lambda row: (row.contact_held_on, row.contact_created_at))
    contacts: list[ContactColumns] = [
        _Contact(row.contact_id, row.contact_case_id, row.contact_version, row.contact_held_on,
                 row.contact_content) for row in held]
    return cast(CaseColumns, first), cast(KeyColumns, first), contacts


def check_version(work: Work, row: Case, expected: int) -> None:
    """The form showed ``expected``: anything else is a conflict showing what is stored now."""
    if row.version != expected:
        raise CaseConflict(decrypt_row(work.session, work.keys, row))


def stored_now(work: Work, reference: str) -> Callable[[], CaseConflict]:
    """For ``work.conflicts``: a write that a concurrent change staled becomes a conflict with
    the case as stored now (read after the savepoint's rollback; the caller's transaction and
    its queued audit entries stay)."""
    return lambda: CaseConflict(decrypt_row(work.session, work.keys,
                                            case_row(work.session, reference)))


def audit_case(work: Work, action: str, reference: str, **details: Any) -> None:
    """One audit entry naming the case by its reference only, never its content."""
    work.audit(action, target_type="case", target_id=reference, **details)
