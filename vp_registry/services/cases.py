"""Cases and conversations: the one place where case rows are encrypted and decrypted.

Models (``db/cases.py``) hold ciphertext only. This module converts between them and the
decrypted records (:class:`CaseSummary`, :class:`CaseRecord`, :class:`ContactRecord`) in
``_encode_*`` / ``_decode_*`` and nowhere else, under the case's own data key (wrapped by the
vault key in ``case_keys``) with ``RecordCrypter``: AES-256-GCM, a fresh nonce per value, and
associated data binding every ciphertext to table, column, row id and data key version.

Every function takes the session, the settings, the actor and (where it needs to read or
write content) the unlocked :class:`~vp_registry.services.vault.VaultKeys`; it flushes and
never commits. Reads and writes are audited with the case reference only, never content.
"""

from __future__ import annotations

import json
import secrets
import struct
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import partial
from math import ceil
from typing import Any, Final

from sqlalchemy import Select, and_, delete, event, func, or_, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from vp_registry.config import Settings
from vp_registry.core import crypto
from vp_registry.core.casework import (
    IntegrityDeadlines,
    fold,
    integrity_deadlines,
    new_reference,
)
from vp_registry.core.crypto import RecordCrypter
from vp_registry.core.facts import CaseFacts, ContactFacts
from vp_registry.core.taxonomy import (
    N_,
    CaseStatus,
    Channel,
    EmploymentType,
    Gender,
    Outcome,
    Referral,
    Relation,
)
from vp_registry.db import MAX_ROW_ID, utcnow
from vp_registry.db.cases import Case, CaseContact, CaseKey, CaseListingCache
from vp_registry.db.organisation import Category, Department
from vp_registry.db.vault import VAULT_ROW_ID, Vault
from vp_registry.services import audit
from vp_registry.services.audit import Actor
from vp_registry.services.errors import Conflict, NotFound, ValidationFailed
from vp_registry.services.vault import VaultKeys, VaultLocked, invalidate_listing_caches

CASES: Final = "cases"
CONTACTS: Final = "case_contacts"
LISTING: Final = "listing"
DETAILS: Final = "details"
CONTENT: Final = "content"
DATA_KEY_VERSION: Final = 1

PAGE_SIZE: Final = 25
MAX_NAME: Final = 200
MAX_CONTACT_DETAILS: Final = 300
MAX_TEXT: Final = 20_000
MAX_MINUTES: Final = 100_000
MAX_CONTACT_MINUTES: Final = 24 * 60
EARLIEST_DATE: Final = date(2000, 1, 1)
_ID_BITS: Final = 53  # random row ids, safe as JavaScript numbers too
_CHUNK: Final = 500

SORTS: Final = ("newest", "oldest", "reference", "department", "status")


# ---------------------------------------------------------------------- records


@dataclass(frozen=True, kw_only=True)
class CaseInput:
    """What the counsellor enters on the case form (everything but closing)."""

    opened_on: date
    department_id: int
    categories: tuple[str, ...]
    relation: str | None = None
    consent: bool = False
    reporter_name: str | None = None
    reporter_contact: str | None = None
    involved_person: str | None = None
    narrative: str | None = None
    next_steps: str | None = None
    gender: str | None = None
    employment_type: str | None = None
    minutes_spent: int = 0
    integrity_report: bool = False
    acknowledged_on: date | None = None
    feedback_on: date | None = None


@dataclass(frozen=True, kw_only=True)
class Closing:
    closed_on: date
    outcome: str
    referral: str | None = None
    referral_target: str | None = None


@dataclass(frozen=True, kw_only=True)
class ContactInput:
    held_on: date
    minutes: int
    channel: str
    notes: str | None = None


@dataclass(frozen=True, kw_only=True)
class ContactRecord:
    id: int
    case_id: int
    version: int
    held_on: date
    minutes: int
    channel: str
    notes: str | None


@dataclass(frozen=True, kw_only=True)
class CaseSummary:
    """Plaintext columns plus the decrypted listing: what the case list needs."""

    id: int
    reference: str
    status: str
    opened_on: date
    closed_on: date | None
    version: int
    department_id: int
    categories: tuple[str, ...]
    integrity_report: bool
    acknowledged_on: date | None
    feedback_on: date | None
    outcome: str | None

    @property
    def is_open(self) -> bool:
        return self.status == CaseStatus.OPEN.value

    @property
    def is_integrity_report(self) -> bool:
        return self.integrity_report or self.outcome == Outcome.INTEGRITY_REPORT.value

    @property
    def deadlines(self) -> IntegrityDeadlines | None:
        if not self.is_integrity_report:
            return None
        return integrity_deadlines(self.opened_on, self.acknowledged_on, self.feedback_on)

    def overdue(self, today: date) -> bool:
        deadlines = self.deadlines
        return deadlines is not None and self.is_open and deadlines.overdue(today)


@dataclass(frozen=True, kw_only=True)
class CaseRecord(CaseSummary):
    """A fully decrypted case with its conversations."""

    relation: str | None
    consent: bool
    reporter_name: str | None
    reporter_contact: str | None
    involved_person: str | None
    narrative: str | None
    next_steps: str | None
    gender: str | None
    employment_type: str | None
    minutes_spent: int
    referral: str | None
    referral_target: str | None
    contacts: tuple[ContactRecord, ...] = ()

    @property
    def contact_minutes(self) -> int:
        return sum(contact.minutes for contact in self.contacts)

    @property
    def total_minutes(self) -> int:
        return self.minutes_spent + self.contact_minutes

    def as_input(self) -> CaseInput:
        return CaseInput(
            opened_on=self.opened_on, department_id=self.department_id,
            categories=self.categories, relation=self.relation, consent=self.consent,
            reporter_name=self.reporter_name, reporter_contact=self.reporter_contact,
            involved_person=self.involved_person, narrative=self.narrative,
            next_steps=self.next_steps, gender=self.gender,
            employment_type=self.employment_type, minutes_spent=self.minutes_spent,
            integrity_report=self.integrity_report, acknowledged_on=self.acknowledged_on,
            feedback_on=self.feedback_on,
        )


class CaseConflict(Conflict):
    """The case (or conversation) changed since the form was opened. ``current`` is what is
    stored now, so the conflict page can show both versions."""

    message = N_("Someone else changed this case in the meantime. Your changes were not saved.")

    def __init__(self, current: CaseRecord) -> None:
        super().__init__()
        self.current = current


# ------------------------------------------------------------ encode / decode


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


class _CaseCrypter(RecordCrypter):
    """``RecordCrypter`` whose associated data comes from a template per (table, column).

    The bytes are exactly those of ``crypto.associated_data`` (canonical JSON with sorted keys;
    ``tests/unit/test_case_crypter.py`` checks it for every column and many ids and versions),
    made without a JSON encoder: listing 10,000 cases needs 10,000 of them, and the encoder was
    a third of the cost of a decryption. Anything but our own integer row ids takes the
    reference implementation.
    """

    __slots__ = ()

    def _aad(self, table: str, column: str, row_id: int | str) -> bytes:
        template = _AAD_TEMPLATES.get((table, column))
        if template is None or type(row_id) is not int or row_id < 0:
            return super()._aad(table, column, row_id)
        return template % (self.key_version, row_id)


_AAD_TEMPLATES: Final = {
    (table, column): (
        f'{{"column":"{column}","ctx":"vp-registry/field","kv":%d,"row":"%d",'
        f'"table":"{table}"}}'
    ).encode("ascii")
    for table, column in (("cases", "listing"), ("cases", "details"),
                          ("case_contacts", "content"))
}


def _crypter(keys: VaultKeys, wrapped: bytes, vault_version: int, data_version: int
             ) -> RecordCrypter:
    return _CaseCrypter(keys.unwrap_data_key(wrapped, vault_version), data_version, keys.cipher)


def _listing_values(data: CaseInput, outcome: str | None) -> dict[str, Any]:
    return {
        "department": data.department_id,
        "categories": list(data.categories),
        "integrity_report": data.integrity_report,
        "acknowledged_on": _iso(data.acknowledged_on),
        "feedback_on": _iso(data.feedback_on),
        "outcome": outcome,
    }


def _details_values(data: CaseInput, referral: str | None, referral_target: str | None
                    ) -> dict[str, Any]:
    return {
        "relation": data.relation,
        "consent": data.consent,
        "reporter_name": data.reporter_name,
        "reporter_contact": data.reporter_contact,
        "involved_person": data.involved_person,
        "narrative": data.narrative,
        "next_steps": data.next_steps,
        "gender": data.gender,
        "employment_type": data.employment_type,
        "minutes_spent": data.minutes_spent,
        "referral": referral,
        "referral_target": referral_target,
    }


# Size classes (issue 11, item 5b; docs/vault-and-cases.md): the length of a ciphertext
# reveals neither a choice nor a flag. The listing holds choices only (at most 242 bytes with
# every default category, the longest ids, dates and outcome); the details' choices take at
# most ~270 bytes besides their free text, and a conversation's ~50 besides its notes.
LISTING_SIZE: Final = crypto.SizeClass(fixed=512)
DETAILS_SIZE: Final = crypto.SizeClass(fixed=512, free_text=(
    "reporter_name", "reporter_contact", "involved_person", "narrative", "next_steps",
    "referral_target"))
CONTENT_SIZE: Final = crypto.SizeClass(fixed=128, free_text=("notes",))


def _encode_case(crypter: RecordCrypter, row: Case, listing: dict[str, Any],
                 details: dict[str, Any]) -> None:
    row.listing = crypter.encrypt_json(CASES, LISTING, row.id, listing, LISTING_SIZE)
    row.details = crypter.encrypt_json(CASES, DETAILS, row.id, details, DETAILS_SIZE)


def _decode_listing(crypter: RecordCrypter, case_id: int, blob: bytes) -> dict[str, Any]:
    value = crypter.decrypt_json(CASES, LISTING, case_id, blob)
    if not isinstance(value, dict):
        raise crypto.DecryptionError()
    return value


def _decode_details(crypter: RecordCrypter, case_id: int, blob: bytes) -> dict[str, Any]:
    value = crypter.decrypt_json(CASES, DETAILS, case_id, blob)
    if not isinstance(value, dict):
        raise crypto.DecryptionError()
    return value


def _summary(case_id: int, reference: str, status: str, opened_on: date,
             closed_on: date | None, version: int, listing: dict[str, Any]) -> CaseSummary:
    return CaseSummary(
        id=case_id, reference=reference, status=status, opened_on=opened_on,
        closed_on=closed_on, version=version, department_id=int(listing["department"]),
        categories=tuple(listing.get("categories") or ()),
        integrity_report=bool(listing.get("integrity_report")),
        acknowledged_on=_date(listing.get("acknowledged_on")),
        feedback_on=_date(listing.get("feedback_on")), outcome=listing.get("outcome"),
    )


def _record(summary: CaseSummary, details: dict[str, Any],
            contacts: tuple[ContactRecord, ...]) -> CaseRecord:
    return CaseRecord(
        **{f: getattr(summary, f) for f in CaseSummary.__dataclass_fields__},
        relation=details.get("relation"), consent=bool(details.get("consent")),
        reporter_name=details.get("reporter_name"),
        reporter_contact=details.get("reporter_contact"),
        involved_person=details.get("involved_person"), narrative=details.get("narrative"),
        next_steps=details.get("next_steps"), gender=details.get("gender"),
        employment_type=details.get("employment_type"),
        minutes_spent=int(details.get("minutes_spent") or 0),
        referral=details.get("referral"), referral_target=details.get("referral_target"),
        contacts=contacts,
    )


def _encode_contact(crypter: RecordCrypter, row: CaseContact, data: ContactInput) -> None:
    row.content = crypter.encrypt_json(CONTACTS, CONTENT, row.id, {
        "minutes": data.minutes, "channel": data.channel, "notes": data.notes,
    }, CONTENT_SIZE)


def _decode_contact(crypter: RecordCrypter, row_id: int, case_id: int, version: int,
                    held_on: date, blob: bytes) -> ContactRecord:
    value = crypter.decrypt_json(CONTACTS, CONTENT, row_id, blob)
    if not isinstance(value, dict):
        raise crypto.DecryptionError()
    return ContactRecord(id=row_id, case_id=case_id, version=version, held_on=held_on,
                         minutes=int(value.get("minutes") or 0),
                         channel=str(value.get("channel") or ""), notes=value.get("notes"))


# ------------------------------------------------------------------ validation


def _clean(text: str | None, limit: int, field_name: str) -> str | None:
    if text is None:
        return None
    text = text.replace("\r\n", "\n").strip()
    if not text:
        return None
    if len(text) > limit:
        raise ValidationFailed(N_("Use at most %(limit)s characters."), field=field_name,
                               limit=limit)
    return text


def _enum(value: str | None, allowed: Iterable[str], field_name: str) -> str | None:
    if value in (None, ""):
        return None
    if value not in set(allowed):
        raise ValidationFailed(N_("Choose one of the options."), field=field_name)
    return value


def _check_date(value: date, today: date, field_name: str) -> None:
    if value > today:
        raise ValidationFailed(N_("The date cannot be in the future."), field=field_name)
    if value < EARLIEST_DATE:
        raise ValidationFailed(N_("Enter a date after 1 January 2000."), field=field_name)


def _values(enum: Iterable[Any]) -> list[str]:
    return [member.value for member in enum]


def case_problems(session: Session, data: CaseInput, *, today: date,
                  previous: CaseSummary | None = None) -> list[ValidationFailed]:
    """Every problem of ``data`` at once, each naming its field (empty when it is valid): a
    form shows them all together instead of one per submit (issue 14)."""
    problems: list[ValidationFailed] = []

    def check(step: Callable[[], object]) -> None:
        try:
            step()
        except ValidationFailed as problem:
            problems.append(problem)

    def opened_on() -> None:
        _check_date(data.opened_on, today, "opened_on")
        if previous is not None and previous.closed_on is not None and \
                data.opened_on > previous.closed_on:
            raise ValidationFailed(N_("The case cannot open after it was closed."),
                                   field="opened_on")

    def department() -> None:
        department_id = data.department_id
        # an id outside the INTEGER column cannot name a department (and would not bind)
        in_range = department_id is not None and 0 < department_id <= MAX_ROW_ID
        found = session.get(Department, department_id) if in_range else None
        if found is None or (not found.active and (
                previous is None or previous.department_id != data.department_id)):
            raise ValidationFailed(N_("Choose a department."), field="department_id")

    def categories() -> None:
        codes = tuple(dict.fromkeys(data.categories))
        if not codes:
            raise ValidationFailed(N_("Choose at least one category."), field="categories")
        known = {c.code: c for c in session.execute(
            select(Category).where(Category.code.in_(codes))).scalars()}
        kept = set(previous.categories) if previous is not None else set()
        for code in codes:
            category = known.get(code)
            if category is None or (not category.active and code not in kept):
                raise ValidationFailed(N_("Choose categories from the list."),
                                       field="categories")

    def identifying() -> None:
        name = _clean(data.reporter_name, MAX_NAME, "reporter_name")
        contact = _clean(data.reporter_contact, MAX_CONTACT_DETAILS, "reporter_contact")
        if not data.consent and (name or contact):
            raise ValidationFailed(
                N_("Without consent to store identifying details, leave name and contact "
                   "details empty (or tick the consent box)."),
                field="reporter_name" if name else "reporter_contact",
            )

    def minutes() -> None:
        if not 0 <= data.minutes_spent <= MAX_MINUTES:
            raise ValidationFailed(N_("Enter a number of minutes between 0 and %(max)s."),
                                   field="minutes_spent", max=MAX_MINUTES)

    integrity = data.integrity_report or (
        previous is not None and previous.outcome == Outcome.INTEGRITY_REPORT.value)

    def integrity_date(name: str) -> None:
        value: date | None = getattr(data, name)
        if value is None:
            return
        if not integrity:
            raise ValidationFailed(
                N_("Only an integrity report has an acknowledgement and feedback date."),
                field=name)
        _check_date(value, today, name)
        if value < data.opened_on:
            raise ValidationFailed(N_("The date cannot be before the case was opened."),
                                   field=name)

    for step in (opened_on, department, categories, identifying, minutes):
        check(step)
    for name in ("acknowledged_on", "feedback_on"):
        check(partial(integrity_date, name))
    check(lambda: _enum(data.relation, _values(Relation), "relation"))
    check(lambda: _clean(data.involved_person, MAX_NAME, "involved_person"))
    check(lambda: _clean(data.narrative, MAX_TEXT, "narrative"))
    check(lambda: _clean(data.next_steps, MAX_TEXT, "next_steps"))
    check(lambda: _enum(data.gender, _values(Gender), "gender"))
    check(lambda: _enum(data.employment_type, _values(EmploymentType), "employment_type"))
    return problems


def validate_case(session: Session, data: CaseInput, *, today: date,
                  previous: CaseSummary | None = None) -> CaseInput:
    """Return the input cleaned, or raise ValidationFailed naming the field (the first of
    ``case_problems``).

    Without consent the identifying fields must be empty: the service refuses to store them
    whatever the form sent (the form disables them; without JavaScript the user is told).
    """
    problems = case_problems(session, data, today=today, previous=previous)
    if problems:
        raise problems[0]
    return replace(
        data,
        categories=tuple(dict.fromkeys(data.categories)),
        relation=_enum(data.relation, _values(Relation), "relation"),
        reporter_name=_clean(data.reporter_name, MAX_NAME, "reporter_name"),
        reporter_contact=_clean(data.reporter_contact, MAX_CONTACT_DETAILS, "reporter_contact"),
        involved_person=_clean(data.involved_person, MAX_NAME, "involved_person"),
        narrative=_clean(data.narrative, MAX_TEXT, "narrative"),
        next_steps=_clean(data.next_steps, MAX_TEXT, "next_steps"),
        gender=_enum(data.gender, _values(Gender), "gender"),
        employment_type=_enum(data.employment_type, _values(EmploymentType), "employment_type"),
    )


def validate_closing(closing: Closing, opened_on: date, today: date) -> Closing:
    _check_date(closing.closed_on, today, "closed_on")
    if closing.closed_on < opened_on:
        raise ValidationFailed(N_("A case cannot close before it was opened."), field="closed_on")
    outcome = _enum(closing.outcome, _values(Outcome), "outcome")
    if outcome is None:
        raise ValidationFailed(N_("Choose the outcome."), field="outcome")
    referral = _enum(closing.referral, _values(Referral), "referral")
    target = _clean(closing.referral_target, MAX_NAME, "referral_target")
    if outcome == Outcome.REFERRAL.value and referral is None:
        raise ValidationFailed(N_("Choose where the reporter was referred to."), field="referral")
    if outcome != Outcome.REFERRAL.value:
        referral, target = None, None
    return Closing(closed_on=closing.closed_on, outcome=outcome, referral=referral,
                   referral_target=target)


def validate_contact(data: ContactInput, opened_on: date, today: date) -> ContactInput:
    _check_date(data.held_on, today, "held_on")
    if data.held_on < opened_on:
        raise ValidationFailed(N_("A conversation cannot be before the case was opened."),
                               field="held_on")
    if not 1 <= data.minutes <= MAX_CONTACT_MINUTES:
        raise ValidationFailed(N_("Enter a duration between 1 and %(max)s minutes."),
                               field="minutes", max=MAX_CONTACT_MINUTES)
    channel = _enum(data.channel, _values(Channel), "channel")
    if channel is None:
        raise ValidationFailed(N_("Choose how the conversation took place."), field="channel")
    return replace(data, channel=channel, notes=_clean(data.notes, MAX_TEXT, "notes"))


# ---------------------------------------------------------------- row access


def _random_id() -> int:
    return 1 + secrets.randbelow(2**_ID_BITS - 1)


def _new_reference(session: Session, year: int) -> str:
    for _ in range(50):
        reference = new_reference(year)
        if session.execute(select(Case.id).where(Case.reference == reference)).first() is None:
            return reference
    raise RuntimeError("could not find a free case reference")  # ~impossible: 32^4 per year


def _case_row(session: Session, reference: str) -> Case:
    row = session.execute(select(Case).where(Case.reference == reference)).scalar_one_or_none()
    if row is None:
        raise NotFound()
    return row


def _key_row(session: Session, case_id: int) -> CaseKey:
    row = session.get(CaseKey, case_id)
    if row is None:  # a case without its key has been shredded
        raise NotFound()
    return row


def _row_crypter(session: Session, keys: VaultKeys, row: Case, key: CaseKey | None = None
                 ) -> RecordCrypter:
    key = key or _key_row(session, row.id)
    return _crypter(keys, key.wrapped_key, key.vault_key_version, row.data_key_version)


_CONTACT_ORDER = (CaseContact.held_on, CaseContact.created_at)


def _contact_rows(session: Session, case_id: int) -> list[CaseContact]:
    return list(session.execute(select(CaseContact).where(CaseContact.case_id == case_id)
                                .order_by(*_CONTACT_ORDER)).scalars())


def _decrypt_row(session: Session, keys: VaultKeys, row: Case, key: CaseKey | None = None,
                 contacts: Sequence[CaseContact] | None = None) -> CaseRecord:
    crypter = _row_crypter(session, keys, row, key)
    summary = _summary(row.id, row.reference, row.status, row.opened_on, row.closed_on,
                       row.version, _decode_listing(crypter, row.id, row.listing))
    details = _decode_details(crypter, row.id, row.details)
    found = _contact_rows(session, row.id) if contacts is None else contacts
    return _record(summary, details, tuple(
        _decode_contact(crypter, r.id, r.case_id, r.version, r.held_on, r.content)
        for r in found))


def _whole_case(session: Session, reference: str
                ) -> tuple[Case, CaseKey, list[CaseContact]]:
    """A case with its wrapped key and its conversations in one statement (the case page)."""
    rows = session.execute(
        select(Case, CaseKey, CaseContact).join(CaseKey, CaseKey.case_id == Case.id)
        .outerjoin(CaseContact, CaseContact.case_id == Case.id)
        .where(Case.reference == reference).order_by(*_CONTACT_ORDER)).all()
    if not rows:
        raise NotFound()
    return rows[0][0], rows[0][1], [r[2] for r in rows if r[2] is not None]


def _check_version(session: Session, keys: VaultKeys, row: Case, expected: int) -> None:
    if row.version != expected:
        raise CaseConflict(_decrypt_row(session, keys, row))


def _flush(session: Session, keys: VaultKeys, reference: str) -> None:
    """Flush; a concurrent write between our check and our UPDATE becomes a CaseConflict."""
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise CaseConflict(_decrypt_row(session, keys, _case_row(session, reference))) from None


def ensure_current_key(session: Session, keys: VaultKeys) -> None:
    """Refuse to wrap a new data key under a vault key that a rotation has replaced.

    Called after the INSERT, inside the writing transaction: on PostgreSQL the shared row lock
    orders us against a rotation start (which updates the vault row); on SQLite the write lock
    we hold already does.
    """
    vault = session.execute(
        select(Vault).where(Vault.id == VAULT_ROW_ID).with_for_update(read=True)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if vault is None or vault.key_version != keys.version:
        raise VaultLocked()


def _audit(session: Session, settings: Settings, actor: Actor, action: str, reference: str,
           **details: Any) -> None:
    audit.record(session, settings.audit_key, actor, action, target_type="case",
                 target_id=reference, **details)


# ------------------------------------------------------------------- use cases


def create_case(session: Session, settings: Settings, actor: Actor, keys: VaultKeys,
                data: CaseInput, *, today: date | None = None) -> CaseRecord:
    today = today or date.today()
    data = validate_case(session, data, today=today)
    data_key = crypto.random_key()
    wrapped, vault_version = keys.wrap_data_key(data_key)
    crypter = _CaseCrypter(data_key, DATA_KEY_VERSION, keys.cipher)
    now = utcnow()
    row = Case(id=_random_id(), reference=_new_reference(session, data.opened_on.year),
               status=CaseStatus.OPEN.value, opened_on=data.opened_on, closed_on=None,
               data_key_version=DATA_KEY_VERSION, created_at=now, updated_at=now)
    _encode_case(crypter, row, _listing_values(data, None), _details_values(data, None, None))
    session.add(row)
    session.flush()
    session.add(CaseKey(case_id=row.id, wrapped_key=wrapped, vault_key_version=vault_version))
    session.flush()
    ensure_current_key(session, keys)
    _audit(session, settings, actor, "case.create", row.reference)
    return _record(_summary(row.id, row.reference, row.status, row.opened_on, None, row.version,
                            _listing_values(data, None)),
                   _details_values(data, None, None), ())


def read_case(session: Session, settings: Settings, actor: Actor, keys: VaultKeys,
              reference: str) -> CaseRecord:
    """Decrypt one case with its conversations; audited as ``case.read``."""
    record = _decrypt_row(session, keys, *_whole_case(session, reference))
    _audit(session, settings, actor, "case.read", record.reference)
    return record


def update_case(session: Session, settings: Settings, actor: Actor, keys: VaultKeys,
                reference: str, expected_version: int, data: CaseInput, *,
                today: date | None = None) -> CaseRecord:
    today = today or date.today()
    row = _case_row(session, reference)
    _check_version(session, keys, row, expected_version)
    current = _decrypt_row(session, keys, row)
    data = validate_case(session, data, today=today, previous=current)
    crypter = _row_crypter(session, keys, row)
    _encode_case(crypter, row, _listing_values(data, current.outcome),
                 _details_values(data, current.referral, current.referral_target))
    row.opened_on = data.opened_on
    row.updated_at = utcnow()
    _flush(session, keys, reference)
    _audit(session, settings, actor, "case.update", reference)
    return _decrypt_row(session, keys, row)


def close_case(session: Session, settings: Settings, actor: Actor, keys: VaultKeys,
               reference: str, expected_version: int, closing: Closing, *,
               today: date | None = None) -> CaseRecord:
    today = today or date.today()
    row = _case_row(session, reference)
    _check_version(session, keys, row, expected_version)
    current = _decrypt_row(session, keys, row)
    if not current.is_open:
        raise ValidationFailed(N_("This case is already closed."))
    closing = validate_closing(closing, current.opened_on, today)
    crypter = _row_crypter(session, keys, row)
    _encode_case(crypter, row, _listing_values(current.as_input(), closing.outcome),
                 _details_values(current.as_input(), closing.referral, closing.referral_target))
    row.status = CaseStatus.CLOSED.value
    row.closed_on = closing.closed_on
    row.updated_at = utcnow()
    _flush(session, keys, reference)
    _audit(session, settings, actor, "case.close", reference)
    return _decrypt_row(session, keys, row)


def reopen_case(session: Session, settings: Settings, actor: Actor, keys: VaultKeys,
                reference: str, expected_version: int) -> CaseRecord:
    """Reopen a closed case. The earlier outcome is kept (and offered again at closing)."""
    row = _case_row(session, reference)
    _check_version(session, keys, row, expected_version)
    if row.status != CaseStatus.CLOSED.value:
        raise ValidationFailed(N_("This case is already open."))
    row.status = CaseStatus.OPEN.value
    row.closed_on = None
    row.updated_at = utcnow()
    _flush(session, keys, reference)
    _audit(session, settings, actor, "case.reopen", reference)
    return _decrypt_row(session, keys, row)


def shred(session: Session, case_ids: Sequence[int]) -> None:
    """Crypto-shred: delete the wrapped data keys first, then every ciphertext and row.

    Needs no vault key (retention runs unattended). SQLite's secure_delete overwrites the
    freed pages, and once the transaction commits the write-ahead log is checkpointed and
    truncated so no copy of a deleted key stays in ``-wal``.
    """
    invalidate_listing_caches(session)  # no decrypted listing of an erased case survives
    for start in range(0, len(case_ids), _CHUNK):
        chunk = list(case_ids[start:start + _CHUNK])
        session.execute(delete(CaseKey).where(CaseKey.case_id.in_(chunk)))
        session.execute(delete(CaseContact).where(CaseContact.case_id.in_(chunk)))
        session.execute(delete(Case).where(Case.id.in_(chunk)).execution_options(
            synchronize_session=False))
    session.flush()
    session.expire_all()
    checkpoint_after_commit(session)


def checkpoint(engine: Engine) -> None:
    """SQLite: copy the write-ahead log into the database file and truncate it. Best effort:
    with a reader active SQLite checkpoints later by itself. PostgreSQL keeps dead row
    versions until VACUUM reuses the space (see docs/vault-and-cases.md)."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as connection:
        connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


def checkpoint_after_commit(session: Session) -> None:
    """Run :func:`checkpoint` once the current transaction has been committed."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine

    def _after_commit(_session: Session) -> None:
        checkpoint(engine)

    event.listen(session, "after_commit", _after_commit, once=True)


def erase_case(session: Session, settings: Settings, actor: Actor, reference: str,
               expected_version: int) -> None:
    """Erase one case on request (right to erasure): unrecoverable at once (I-4)."""
    row = _case_row(session, reference)
    if row.version != expected_version:
        raise Conflict(N_("The case changed after you opened this page. Check it and try again."))
    shred(session, [row.id])
    _audit(session, settings, actor, "case.erase", reference)


def add_contact(session: Session, settings: Settings, actor: Actor, keys: VaultKeys,
                reference: str, data: ContactInput, *, today: date | None = None,
                audited: bool = True) -> ContactRecord:
    """Add a conversation (audited as ``contact.create``). ``audited=False`` only for the
    first conversation of a case made in the same transaction, whose ``case.create`` already
    records the write (a message turned into a case: services/contact.py)."""
    today = today or date.today()
    row = _case_row(session, reference)
    data = validate_contact(data, row.opened_on, today)
    crypter = _row_crypter(session, keys, row)
    now = utcnow()
    contact = CaseContact(id=_random_id(), case_id=row.id, held_on=data.held_on,
                          created_at=now, updated_at=now)
    _encode_contact(crypter, contact, data)
    session.add(contact)
    session.flush()
    if audited:
        _audit(session, settings, actor, "contact.create", reference, contact=contact.id)
    return _decode_contact(crypter, contact.id, row.id, contact.version, contact.held_on,
                           contact.content)


def get_contact(session: Session, keys: VaultKeys, reference: str, contact_id: int
                ) -> ContactRecord:
    row = _case_row(session, reference)
    contact = session.get(CaseContact, contact_id)
    if contact is None or contact.case_id != row.id:
        raise NotFound()
    crypter = _row_crypter(session, keys, row)
    return _decode_contact(crypter, contact.id, row.id, contact.version, contact.held_on,
                           contact.content)


class ContactConflict(Conflict):
    message = N_("Someone else changed this conversation in the meantime. "
                 "Your changes were not saved.")

    def __init__(self, current: ContactRecord) -> None:
        super().__init__()
        self.current = current


def update_contact(session: Session, settings: Settings, actor: Actor, keys: VaultKeys,
                   reference: str, contact_id: int, expected_version: int, data: ContactInput,
                   *, today: date | None = None) -> ContactRecord:
    """Save a conversation if nobody saved it since ``expected_version`` was shown.

    The version is compared on the same loaded row that is flushed (the flush's
    ``WHERE version = ...`` then holds the comparison until the commit). Loading the row a
    second time could see a colleague's save committed in between and overwrite it.
    """
    today = today or date.today()
    row = _case_row(session, reference)
    contact = session.get(CaseContact, contact_id)
    if contact is None or contact.case_id != row.id:
        raise NotFound()
    crypter = _row_crypter(session, keys, row)
    if contact.version != expected_version:
        raise ContactConflict(_decode_contact(crypter, contact.id, row.id, contact.version,
                                              contact.held_on, contact.content))
    data = validate_contact(data, row.opened_on, today)
    _encode_contact(crypter, contact, data)
    contact.held_on = data.held_on
    contact.updated_at = utcnow()
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise ContactConflict(get_contact(session, keys, reference, contact_id)) from None
    _audit(session, settings, actor, "contact.update", reference, contact=contact_id)
    return _decode_contact(crypter, contact.id, row.id, contact.version, contact.held_on,
                           contact.content)


# ----------------------------------------------------------------------- list


@dataclass(frozen=True)
class CaseFilter:
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
    items: list[CaseSummary]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.page_size))


_LIST_COLUMNS = (Case.id, Case.reference, Case.status, Case.opened_on, Case.closed_on,
                 Case.version, Case.data_key_version, Case.listing, CaseKey.wrapped_key,
                 CaseKey.vault_key_version)


def _list_query(criteria: CaseFilter) -> Select[*tuple[Any, ...]]:
    return _filtered(select(*_LIST_COLUMNS).join(CaseKey, CaseKey.case_id == Case.id), criteria)


def _filtered(query: Select[*tuple[Any, ...]], criteria: CaseFilter
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


def _decode_list_rows(keys: VaultKeys, rows: Iterable[Any]
                      ) -> Iterator[tuple[CaseSummary, RecordCrypter]]:
    for row in rows:
        crypter = _crypter(keys, row.wrapped_key, row.vault_key_version, row.data_key_version)
        listing = _decode_listing(crypter, row.id, row.listing)
        yield _summary(row.id, row.reference, row.status, row.opened_on, row.closed_on,
                       row.version, listing), crypter


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


_TEXT_FIELDS: Final = ("reporter_name", "reporter_contact", "involved_person", "narrative",
                       "next_steps", "referral_target")

# A case that passed the listing filters: its row, decrypted listing and crypter.
_Candidate = tuple[Any, dict[str, Any], RecordCrypter]


def _matches_text(session: Session, candidates: list[_Candidate], needle: str
                  ) -> list[_Candidate]:
    """Free text over the decrypted text fields and conversation notes, in memory."""
    matched_ids: set[int] = set()
    unmatched: dict[int, RecordCrypter] = {}
    for row, _listing, crypter in candidates:
        if needle in fold(row.reference):
            matched_ids.add(row.id)
            continue
        details = _decode_details(crypter, row.id, row.details)
        if any(isinstance(details.get(name), str) and needle in fold(details[name])
               for name in _TEXT_FIELDS):
            matched_ids.add(row.id)
        else:
            unmatched[row.id] = crypter
    ids = list(unmatched)
    connection = session.connection()
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        for contact_id, case_id, blob in connection.execute(
            select(CaseContact.id, CaseContact.case_id, CaseContact.content)
            .where(CaseContact.case_id.in_(chunk))
        ):
            if case_id in matched_ids:
                continue
            value = unmatched[case_id].decrypt_json(CONTACTS, CONTENT, contact_id, blob)
            notes = value.get("notes") if isinstance(value, dict) else None
            if isinstance(notes, str) and needle in fold(notes):
                matched_ids.add(case_id)
    return [candidate for candidate in candidates if candidate[0].id in matched_ids]


LISTING_CACHE: Final = "case_listing_caches"
CACHE_PURPOSE: Final = "case-listing-cache"
_CACHE_FORMAT: Final = b"VPLC1"
_CACHE_ENTRY: Final = struct.Struct("<qiiQ")  # case id, case version, department id, categories
_MAX_CACHED_CODES: Final = 64  # one bit per category code
_CACHE_HEADER_SIZE: Final = crypto.SizeClass(fixed=512)  # format, codes in use (issue 11, 5b)


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

    def load(self, session: Session, keys: VaultKeys) -> None:
        self._epoch = session.execute(select(Vault.listing_epoch).where(
            Vault.id == VAULT_ROW_ID)).scalar_one_or_none()
        row = session.get(CaseListingCache, self.owner)
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

    def put(self, case_id: int, version: int, listing: dict[str, Any]) -> bool:
        bits = 0
        for code in listing["categories"]:
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
        row = session.get(CaseListingCache, self.owner)
        if row is None:
            row = CaseListingCache(token_hash=self.owner)
            session.add(row)
        row.key_version, row.updated_at = keys.version, utcnow()
        row.entries = keys.cipher.encrypt(self._key(keys), data, self._aad(keys))
        session.flush()
        # Written first, checked after: an erasure that committed meanwhile raised the epoch
        # (and deleted every cache); one that comes later waits for our lock and deletes ours.
        epoch = session.execute(
            select(Vault.listing_epoch).where(Vault.id == VAULT_ROW_ID)
            .with_for_update(read=True)
        ).scalar_one_or_none()
        if epoch != self._epoch:
            session.execute(delete(CaseListingCache).where(
                CaseListingCache.token_hash == self.owner))
        self._changed = False


def _light_query(criteria: CaseFilter) -> Select[*tuple[Any, ...]]:
    """Ids and versions in list order; the covering index ``ix_cases_list`` serves it without
    reading the (large) case rows."""
    return _filtered(select(Case.id, Case.version), criteria)


def _cached_matches(session: Session, keys: VaultKeys, criteria: CaseFilter,
                    departments: set[int] | None, cache: ListingCache
                    ) -> list[tuple[int, int]]:
    """(case id, department id) of the cases passing every filter, in list order, from the
    cache; only missing or stale entries are decrypted (and the cache rewritten)."""
    connection = session.connection()
    rows = connection.execute(_light_query(criteria)).all()
    cache.load(session, keys)
    uncacheable: dict[int, int] = {}  # id -> department, for codes beyond the cache's bits
    missing = [case_id for case_id, version in rows if cache.match(case_id, version) is None]
    for start in range(0, len(missing), _CHUNK):
        chunk = missing[start:start + _CHUNK]
        for row in connection.execute(
            select(Case.id, Case.version, Case.data_key_version, Case.listing,
                   CaseKey.wrapped_key, CaseKey.vault_key_version)
            .join(CaseKey, CaseKey.case_id == Case.id).where(Case.id.in_(chunk))
        ):
            crypter = _crypter(keys, row.wrapped_key, row.vault_key_version,
                               row.data_key_version)
            listing = _decode_listing(crypter, row.id, row.listing)
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


def _page_rows(session: Session, ids: list[int]) -> list[Any]:
    if not ids:
        return []
    rows = {row.id: row for row in session.connection().execute(
        select(*_LIST_COLUMNS).join(CaseKey, CaseKey.case_id == Case.id)
        .where(Case.id.in_(ids)))}
    return [rows[case_id] for case_id in ids if case_id in rows]


def _row_summary(row: Any, listing: dict[str, Any]) -> CaseSummary:
    return _summary(row.id, row.reference, row.status, row.opened_on, row.closed_on,
                    row.version, listing)


def list_cases(session: Session, settings: Settings, actor: Actor, keys: VaultKeys,
               criteria: CaseFilter, *, page: int = 1, page_size: int = PAGE_SIZE,
               cache: ListingCache | None = None) -> CasePage:
    """One page of the case list. Plaintext filters (status, year) and sorts run in SQL;
    department, category and free text are applied after decryption, in memory.

    With an encrypted filter every candidate's listing is decrypted (one data-key unwrap and
    one decryption per case); records are built for the shown page only.
    """
    page = max(1, page)
    query = _list_query(criteria)
    connection = session.connection()  # Core rows: the ORM adds nothing for plain columns
    if not criteria.needs_decryption:
        # The total rides along with the page (one statement); a page past the end has no
        # rows to carry it and asks for it separately.
        rows = connection.execute(query.add_columns(func.count().over().label("total"))
                                  .limit(page_size).offset((page - 1) * page_size)).all()
        total = int(rows[0].total) if rows else int(connection.execute(
            select(func.count()).select_from(query.order_by(None).subquery())).scalar_one())
        items = [summary for summary, _ in _decode_list_rows(keys, rows)]
        _audit_list(session, settings, actor)
        return CasePage(items, total, page, page_size)

    departments = (department_subtree(session, criteria.department_id)
                   if criteria.department_id else None)
    category = criteria.category
    needle = fold(criteria.text.strip()) if criteria.text and criteria.text.strip() else None
    if cache is not None and needle is None:
        return _list_with_cache(session, settings, actor, keys, criteria, cache, departments,
                                page, page_size)
    if needle is not None:
        query = query.add_columns(Case.details)
    candidates: list[_Candidate] = []
    for row in connection.execute(query):
        crypter = _crypter(keys, row.wrapped_key, row.vault_key_version, row.data_key_version)
        listing = _decode_listing(crypter, row.id, row.listing)
        if departments is not None and listing["department"] not in departments:
            continue
        if category and category not in listing["categories"]:
            continue
        candidates.append((row, listing, crypter))
    if needle is not None:
        candidates = _matches_text(session, candidates, needle)
    if criteria.sort == "department":
        names = {dept_id: fold(name) for dept_id, name in
                 connection.execute(select(Department.id, Department.name))}
        candidates.sort(key=lambda c: names.get(c[1]["department"], ""))  # stable: SQL order
    shown = candidates[(page - 1) * page_size: page * page_size]
    items = [_row_summary(row, listing) for row, listing, _ in shown]
    _audit_list(session, settings, actor)
    return CasePage(items, len(candidates), page, page_size)


def _list_with_cache(session: Session, settings: Settings, actor: Actor, keys: VaultKeys,
                     criteria: CaseFilter, cache: ListingCache, departments: set[int] | None,
                     page: int, page_size: int) -> CasePage:
    matched = _cached_matches(session, keys, criteria, departments, cache)
    if criteria.sort == "department":
        names = {dept_id: fold(name) for dept_id, name in
                 session.connection().execute(select(Department.id, Department.name))}
        matched.sort(key=lambda item: names.get(item[1], ""))  # stable: newest first within
    ids = [case_id for case_id, _ in matched[(page - 1) * page_size: page * page_size]]
    items = [summary for summary, _ in _decode_list_rows(keys, _page_rows(session, ids))]
    _audit_list(session, settings, actor)
    return CasePage(items, len(matched), page, page_size)


def _audit_list(session: Session, settings: Settings, actor: Actor, **details: Any) -> None:
    """One ``case.list`` read, the same whatever was filtered or searched for: no count (how
    many cases match a category, a department or a name is itself case information, and the
    admin reads the audit log) and nothing of the filter (issue 11, item 3)."""
    audit.record(session, settings.audit_key, actor, "case.list", **details)


def case_years(session: Session) -> list[int]:
    """The years from the first to the last case opened, newest first (for the year filter)."""
    first, last = session.execute(select(func.min(Case.opened_on), func.max(Case.opened_on))
                                  ).one()
    if first is None or last is None:
        return []
    return list(range(last.year, first.year - 1, -1))


@dataclass(frozen=True)
class Overview:
    """The counsellor's start page: open cases and whistleblower deadlines to watch."""

    open_count: int
    recent: list[CaseSummary]  # the most recently opened open cases
    deadlines: list[CaseSummary]  # open integrity reports with a deadline overdue or soon


def overview(session: Session, settings: Settings, actor: Actor, keys: VaultKeys, *,
             today: date, recent: int = 10) -> Overview:
    """Every open case's listing is decrypted (deadlines are encrypted); records are built
    for the few shown only. Audited as one ``case.list`` read."""
    query = _list_query(CaseFilter(status=CaseStatus.OPEN.value))
    shown: list[CaseSummary] = []
    deadlines: list[CaseSummary] = []
    count = 0
    for row in session.connection().execute(query):
        count += 1
        crypter = _crypter(keys, row.wrapped_key, row.vault_key_version, row.data_key_version)
        listing = _decode_listing(crypter, row.id, row.listing)
        integrity = listing.get("integrity_report") or \
            listing.get("outcome") == Outcome.INTEGRITY_REPORT.value
        if len(shown) >= recent and not integrity:
            continue
        summary = _row_summary(row, listing)
        if len(shown) < recent:
            shown.append(summary)
        watch = summary.deadlines
        if watch is not None and (watch.overdue(today) or watch.soon(today)):
            deadlines.append(summary)
    deadlines.sort(key=lambda c: (not c.overdue(today), c.opened_on))
    _audit_list(session, settings, actor, view="overview")
    return Overview(count, shown, deadlines)


def count_by_status(session: Session) -> dict[str, int]:
    return {status: int(count) for status, count in
            session.execute(select(Case.status, func.count()).group_by(Case.status))}


# ----------------------------------------------------------------- for reports


def case_facts(session: Session, keys: VaultKeys, *, year: int | None = None,
               progress: Callable[[int, int], object] | None = None) -> list[CaseFacts]:
    """Every case as decrypted :class:`CaseFacts` for signals and the annual report.

    The blind index of the involved person's name is computed here, in memory, with a key
    derived from the vault key - it is never stored, so the database does not even reveal
    which cases concern the same person.

    With ``year`` (the annual report): only the cases open at some time in that year or with
    a conversation in it, and only the conversations held in it - chosen on the plaintext
    dates, before anything is decrypted. ``progress(done, total)`` is called every few hundred
    cases (the CLI's progress bar).
    """
    case_query = _list_query(CaseFilter(sort="oldest")).add_columns(Case.details)
    contact_query = select(CaseContact.id, CaseContact.case_id, CaseContact.held_on,
                           CaseContact.content)
    if year is not None:
        start, end = date(year, 1, 1), date(year, 12, 31)
        contact_query = contact_query.where(CaseContact.held_on >= start,
                                            CaseContact.held_on <= end)
        case_query = case_query.where(or_(
            and_(Case.opened_on <= end, or_(Case.closed_on.is_(None), Case.closed_on >= start)),
            Case.id.in_(select(CaseContact.case_id).where(CaseContact.held_on >= start,
                                                          CaseContact.held_on <= end)),
        ))
    contacts: dict[int, list[tuple[int, date, bytes]]] = {}
    for contact_id, case_id, held_on, blob in session.execute(contact_query):
        contacts.setdefault(case_id, []).append((contact_id, held_on, blob))
    facts: list[CaseFacts] = []
    rows = session.execute(case_query).all()
    for done, row in enumerate(rows):
        if progress is not None and done % _CHUNK == 0:
            progress(done, len(rows))
        crypter = _crypter(keys, row.wrapped_key, row.vault_key_version, row.data_key_version)
        listing = _decode_listing(crypter, row.id, row.listing)
        details = _decode_details(crypter, row.id, row.details)
        contact_facts = []
        for contact_id, held_on, blob in sorted(contacts.get(row.id, []), key=lambda c: c[1]):
            value = _decode_contact(crypter, contact_id, row.id, 0, held_on, blob)
            contact_facts.append(ContactFacts(held_on, value.minutes, value.channel))
        facts.append(CaseFacts(
            case_id=row.id, opened_on=row.opened_on, closed_on=row.closed_on,
            department_id=int(listing["department"]),
            categories=tuple(listing.get("categories") or ()),
            relation=details.get("relation"),
            outcome=listing.get("outcome") if row.status == CaseStatus.CLOSED.value else None,
            referral=details.get("referral") if row.status == CaseStatus.CLOSED.value else None,
            gender=details.get("gender"), employment_type=details.get("employment_type"),
            minutes_spent=int(details.get("minutes_spent") or 0),
            contacts=tuple(contact_facts),
            involved_person_index=_person_index(keys, details.get("involved_person")),
        ))
    if progress is not None:
        progress(len(rows), len(rows))
    return facts


def _person_index(keys: VaultKeys, name: Any) -> str | None:
    if not isinstance(name, str) or not crypto.normalise_name(name):
        return None
    return crypto.blind_index(keys.blind_index_key, name)

