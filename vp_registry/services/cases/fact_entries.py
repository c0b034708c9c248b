"""A case's report facts as kept in the vault's search index (issue 15).

``facts.case_facts`` used to decrypt every case's listing, details and conversations for each
annual report and signal review (at 10,000 cases some 47,000 decryptions, ~0.85 s CPU). The
encrypted search index (``search_index``) keeps, next to a case's folded text, what those
facts need from the ciphertext - department, categories, outcome, relation, referral, gender,
employment type, minutes, the involved person's blind index, and per conversation (by row id)
its minutes and channel - as compact JSON. Everything plaintext (dates, status, registration
time, which conversations fall in a year) is still read from the rows, so an entry is only
used while the case's version and its conversations' signature are unchanged.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from vp_registry.core import crypto
from vp_registry.core.facts import CaseFacts, ContactFacts
from vp_registry.core.taxonomy import CaseStatus
from vp_registry.services.vault.keyring import VaultKeys

Held = tuple[int, int, str]  # a conversation's row id, minutes, channel


def held(contact_id: int, value: dict[str, Any]) -> Held:
    """What the facts keep of one decrypted conversation (as ``codec.decode_contact`` reads it)."""
    return contact_id, int(value.get("minutes") or 0), str(value.get("channel") or "")


def encode(keys: VaultKeys, listing: dict[str, Any], details: dict[str, Any],
           conversations: list[Held]) -> bytes:
    """The facts of one decrypted case, for its index entry."""
    return json.dumps([
        int(listing["department"]), list(listing.get("categories") or ()),
        listing.get("outcome"), details.get("relation"), details.get("referral"),
        details.get("gender"), details.get("employment_type"),
        int(details.get("minutes_spent") or 0),
        person_index(keys, details.get("involved_person")),
        [list(item) for item in conversations],
    ], separators=(",", ":")).encode("utf-8")


def decode(row: Any, blob: bytes, contacts: list[tuple[int, date]]) -> CaseFacts | None:
    """The :class:`CaseFacts` of a case row (plaintext columns) from its entry's facts, with
    the conversations ``contacts`` ((row id, held on), chosen on plaintext dates); None if a
    conversation is not in the entry (then the case is decrypted afresh)."""
    (department, categories, outcome, relation, referral, gender, employment, minutes,
     person, conversations) = json.loads(blob)
    known = {item[0]: item for item in conversations}
    contact_facts = []
    for contact_id, held_on in sorted(contacts, key=lambda c: (c[1], c[0])):
        item = known.get(contact_id)
        if item is None:
            return None
        contact_facts.append(ContactFacts(held_on, item[1], item[2]))
    closed = row.status == CaseStatus.CLOSED.value
    return CaseFacts(
        case_id=row.id, opened_on=row.opened_on, closed_on=row.closed_on,
        department_id=department, categories=tuple(categories), relation=relation,
        outcome=outcome if closed else None, referral=referral if closed else None,
        gender=gender, employment_type=employment, minutes_spent=minutes,
        contacts=tuple(contact_facts), involved_person_index=person,
        registered_at=row.created_at,
    )


def person_index(keys: VaultKeys, name: Any) -> str | None:
    """The keyed blind index of the involved person's normalised name (never stored in
    plaintext: here only inside the encrypted index)."""
    if not isinstance(name, str) or not crypto.normalise_name(name):
        return None
    return crypto.blind_index(keys.blind_index_key, name)
