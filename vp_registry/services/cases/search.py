"""Free-text search in decrypted case fields and conversation notes (in memory)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vp_registry.core.casework import fold
from vp_registry.core.crypto import RecordCrypter
from vp_registry.db.cases import CaseContact
from vp_registry.services.cases import codec, queries, search_index

# A case that passed the listing filters: its row, decrypted listing and crypter.
Candidate = tuple[Any, dict[str, Any], RecordCrypter]


def matches_text(session: Session, candidates: list[Candidate], needle: str
                 ) -> list[Candidate]:
    """Free text over the decrypted text fields and conversation notes, in memory."""
    matched_ids: set[int] = set()
    unmatched: dict[int, RecordCrypter] = {}
    for row, _listing, crypter in candidates:
        if needle in fold(row.reference):
            matched_ids.add(row.id)
            continue
        details = codec.decode_details(crypter, row.id, row.details)
        if any(isinstance(details.get(name), str) and needle in fold(details[name])
               for name in search_index.TEXT_FIELDS):
            matched_ids.add(row.id)
        else:
            unmatched[row.id] = crypter
    ids = list(unmatched)
    connection = session.connection()
    for start in range(0, len(ids), queries.CHUNK):
        chunk = ids[start:start + queries.CHUNK]
        for contact_id, case_id, blob in connection.execute(
            select(CaseContact.id, CaseContact.case_id, CaseContact.content)
            .where(CaseContact.case_id.in_(chunk))
        ):
            if case_id in matched_ids:
                continue
            value = unmatched[case_id].decrypt_json(codec.CONTACTS, codec.CONTENT, contact_id, blob)
            notes = value.get("notes") if isinstance(value, dict) else None
            if isinstance(notes, str) and needle in fold(notes):
                matched_ids.add(case_id)
    return [candidate for candidate in candidates if candidate[0].id in matched_ids]
