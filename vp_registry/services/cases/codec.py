"""Case rows <-> decrypted records: the one place where case columns are encrypted and
decrypted (the models hold ciphertext only).

Each case has its own data key (wrapped by the vault key in ``case_keys``); every column is
AES-256-GCM under it with associated data binding the ciphertext to table, column, row id and
data key version (``core.crypto.associated_data``, the one encoder of that format).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Final

from vp_registry.core import crypto
from vp_registry.core.crypto import RecordCrypter
from vp_registry.db.cases import Case, CaseContact
from vp_registry.services.cases.records import (
    CaseInput,
    CaseRecord,
    CaseSummary,
    ContactInput,
    ContactRecord,
)
from vp_registry.services.vault.keyring import VaultKeys

CASES: Final = "cases"
CONTACTS: Final = "case_contacts"
LISTING: Final = "listing"
DETAILS: Final = "details"
CONTENT: Final = "content"
DATA_KEY_VERSION: Final = 1


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


def open_crypter(keys: VaultKeys, wrapped: bytes, vault_version: int, data_version: int
                 ) -> RecordCrypter:
    """The crypter of one case: its data key unwrapped by the vault key of ``vault_version``."""
    return RecordCrypter(keys.unwrap_data_key(wrapped, vault_version), data_version, keys.cipher)


def list_row_crypter(keys: VaultKeys, row: Any) -> RecordCrypter:
    """The crypter of a case row read with its key (``wrapped_key``, ``vault_key_version``,
    ``data_key_version`` columns: the list queries)."""
    return open_crypter(keys, row.wrapped_key, row.vault_key_version, row.data_key_version)


def listing_values(data: CaseInput, outcome: str | None,
                   counted: tuple[int, tuple[str, ...]] | None = None) -> dict[str, Any]:
    """What the case list filters on and shows (choices only: no free text), and the
    department and categories the figures count when they differ (``counted``, issue 12:
    kept when a release had counted the case before they changed; see
    :func:`counted_grouping`)."""
    values = {
        "department": data.department_id,
        "categories": list(data.categories),
        "integrity_report": data.integrity_report,
        "acknowledged_on": _iso(data.acknowledged_on),
        "feedback_on": _iso(data.feedback_on),
        "outcome": outcome,
    }
    if counted is not None:
        values["counted"] = [counted[0], list(counted[1])]
    return values


def counted_grouping(listing: dict[str, Any]) -> tuple[int, tuple[str, ...]] | None:
    """The department and categories the figures count instead of the listing's own (issue
    12, ``core.facts.grouping_after_edit``), or None: the listing's own. Case content, so
    only ever here, inside the encrypted listing; a listing written before it existed has
    none."""
    counted = listing.get("counted")
    if not counted:
        return None
    return int(counted[0]), tuple(str(c) for c in counted[1])


def details_values(data: CaseInput, referral: str | None, referral_target: str | None
                   ) -> dict[str, Any]:
    """Everything else of the form, free text included, and the referral of a closing."""
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


def encode_case(crypter: RecordCrypter, row: Case, listing: dict[str, Any],
                details: dict[str, Any]) -> None:
    """Encrypt a case's listing and details into its row, each padded to its size class."""
    row.listing = crypter.encrypt_json(CASES, LISTING, row.id, listing, LISTING_SIZE)
    row.details = crypter.encrypt_json(CASES, DETAILS, row.id, details, DETAILS_SIZE)


def decode_listing(crypter: RecordCrypter, case_id: int, blob: bytes) -> dict[str, Any]:
    """A case's decrypted listing (a dict, else the ciphertext was not ours)."""
    value = crypter.decrypt_json(CASES, LISTING, case_id, blob)
    if not isinstance(value, dict):
        raise crypto.DecryptionError()
    return value


def decode_details(crypter: RecordCrypter, case_id: int, blob: bytes) -> dict[str, Any]:
    """A case's decrypted details (a dict, else the ciphertext was not ours)."""
    value = crypter.decrypt_json(CASES, DETAILS, case_id, blob)
    if not isinstance(value, dict):
        raise crypto.DecryptionError()
    return value


def make_summary(case_id: int, reference: str, status: str, opened_on: date,
                 closed_on: date | None, version: int, listing: dict[str, Any]) -> CaseSummary:
    """The list's view of a case: plaintext columns plus the decrypted listing."""
    return CaseSummary(
        id=case_id, reference=reference, status=status, opened_on=opened_on,
        closed_on=closed_on, version=version, department_id=int(listing["department"]),
        categories=tuple(listing.get("categories") or ()),
        integrity_report=bool(listing.get("integrity_report")),
        acknowledged_on=_date(listing.get("acknowledged_on")),
        feedback_on=_date(listing.get("feedback_on")), outcome=listing.get("outcome"),
    )


def make_record(summary: CaseSummary, details: dict[str, Any],
                contacts: tuple[ContactRecord, ...]) -> CaseRecord:
    """The whole case: its summary, decrypted details and conversations."""
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


def encode_contact(crypter: RecordCrypter, row: CaseContact, data: ContactInput) -> None:
    """Encrypt a conversation's minutes, channel and notes into its row."""
    row.content = crypter.encrypt_json(CONTACTS, CONTENT, row.id, {
        "minutes": data.minutes, "channel": data.channel, "notes": data.notes,
    }, CONTENT_SIZE)


def decode_contact(crypter: RecordCrypter, row_id: int, case_id: int, version: int,
                   held_on: date, blob: bytes) -> ContactRecord:
    """A conversation decrypted (its row id, case, version and date are plaintext)."""
    value = crypter.decrypt_json(CONTACTS, CONTENT, row_id, blob)
    if not isinstance(value, dict):
        raise crypto.DecryptionError()
    return ContactRecord(id=row_id, case_id=case_id, version=version, held_on=held_on,
                         minutes=int(value.get("minutes") or 0),
                         channel=str(value.get("channel") or ""), notes=value.get("notes"))
