"""A case's report facts as kept in the vault's search index (issue 15).

``facts.case_facts`` used to decrypt every case's listing, details and conversations for each
annual report and signal review (at 10,000 cases some 47,000 decryptions, ~0.85 s CPU). The
encrypted search index (``search_index``) keeps, next to a case's folded text, what those
facts need from the ciphertext - department, categories, outcome, relation, referral, gender,
employment type, minutes, the involved person's blind index, and per conversation (by row id)
its minutes and channel - as compact JSON; last, only when the listing has it, the department
and categories the figures count instead (issue 12, ``codec.counted_grouping``). Everything
plaintext (dates, status, registration time, which conversations fall in a year) is still
read from the rows, so an entry is only used while the case's version and its conversations'
signature are unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
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
        *([] if (counted := listing.get("counted")) is None else [counted]),
    ], separators=(",", ":")).encode("utf-8")


def decode_all(entries: Sequence[tuple[Any, bytes]],
               contacts: Mapping[int, list[tuple[int, date]]]) -> dict[int, CaseFacts]:
    """The :class:`CaseFacts` of case rows - (id, version, status, opened on, closed on,
    registered at) - from their entries' facts, with the conversations ``contacts`` ((row
    id, held on) per case id in date order - held on, row id -, chosen on plaintext dates);
    a case with a conversation its entry does not know is left out (then it is decrypted
    afresh). One JSON parse for all entries, and equal conversations share one
    :class:`ContactFacts` (issue 15)."""
    if not entries:
        return {}
    decoded = json.loads(b"[" + b",".join(blob for _, blob in entries) + b"]")
    facts = {}
    closed_status = CaseStatus.CLOSED.value
    shared: dict[tuple[date, int, str], ContactFacts] = {}
    for (row, _), values in zip(entries, decoded, strict=True):
        case_id, _version, status, opened_on, closed_on, registered_at = row
        (department, categories, outcome, relation, referral, gender, employment, minutes,
         person, conversations, *counted) = values  # counted: issue 12, session 8
        held = _held(contacts.get(case_id), conversations, shared)
        if held is None:
            continue
        closed = status == closed_status
        facts[case_id] = CaseFacts(
            case_id, opened_on, closed_on, department, tuple(categories), relation,
            outcome if closed else None, referral if closed else None, gender, employment,
            minutes, held, person, registered_at,
            counted_grouping=(int(counted[0][0]), tuple(counted[0][1])) if counted else None)
    return facts


def _held(contacts: list[tuple[int, date]] | None, conversations: list[list[Any]],
          shared: dict[tuple[date, int, str], ContactFacts]
          ) -> tuple[ContactFacts, ...] | None:
    """The case's conversations ``contacts`` (in date order: held on, row id) with the minutes
    and channel its entry keeps; None if the entry lacks one of them. ``shared``: the
    :class:`ContactFacts` made so far (frozen: equal ones can be one object)."""
    if not contacts:
        return ()
    held = []
    for contact_id, held_on in contacts:
        for item in conversations:  # a case has a handful: no dict
            if item[0] == contact_id:
                break
        else:
            return None
        key = (held_on, item[1], item[2])
        fact = shared.get(key)
        if fact is None:
            fact = shared[key] = ContactFacts(held_on, item[1], item[2])
        held.append(fact)
    return tuple(held)


def person_index(keys: VaultKeys, name: Any) -> str | None:
    """The keyed blind index of the involved person's normalised name (never stored in
    plaintext: here only inside the encrypted index)."""
    if not isinstance(name, str) or not crypto.normalise_name(name):
        return None
    return crypto.blind_index(keys.blind_index_key, name)
