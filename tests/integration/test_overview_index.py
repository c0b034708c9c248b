"""The start page's overview reads the vault's listing index to decrypt only what it shows
(issue 17: a counsellor's overview across clients is one overview per organisation).

The index marks integrity reports, whose deadlines are in the encrypted listing; an index
written before the mark existed (format 1) is discarded, or its integrity reports would lose
their deadlines on the start page.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.casework import case_input, department
from vp_registry.config import Settings
from vp_registry.services.cases import codec, lifecycle, listing, listing_cache
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.vault.keyring import VaultKeys
from vp_registry.services.work import Work

TODAY = date(2026, 12, 1)
RECENT = 3


def _seed(db: Session, settings: Settings, actor: Actor, keys: VaultKeys) -> set[str]:
    """Twelve open cases, two of them integrity reports past or near their deadlines."""
    dept = department(db, "Montage", settings).id
    integrity = set()
    for day in range(12):
        opened = TODAY - timedelta(days=60 - day)
        report = day in (1, 4)
        record = lifecycle.create_case(Work(db, settings, actor, keys=keys), case_input(
            dept, integrity_report=report, opened_on=opened), today=TODAY)
        if report:
            integrity.add(record.reference)
    db.flush()
    return integrity


def _decrypts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = codec.decode_listing

    def counting(crypter: Any, case_id: int, blob: bytes) -> Any:
        calls.append(case_id)
        return real(crypter, case_id, blob)

    monkeypatch.setattr(codec, "decode_listing", counting)
    return calls


def test_a_warm_index_decrypts_only_the_shown_cases_and_the_integrity_reports(
        db: Session, settings: Settings, actor: Actor, keys: VaultKeys,
        monkeypatch: pytest.MonkeyPatch) -> None:
    integrity = _seed(db, settings, actor, keys)
    work = Work(db, settings, actor, keys=keys)
    cold = listing.overview(work, today=TODAY, recent=RECENT)
    decrypted = _decrypts(monkeypatch)
    warm = listing.overview(work, today=TODAY, recent=RECENT)

    assert warm == cold
    assert warm.open_count == 12
    assert {case.reference for case in warm.deadlines} == integrity
    assert len(decrypted) <= RECENT + len(integrity) < 12


def test_an_index_without_integrity_marks_is_not_trusted(
        db: Session, settings: Settings, actor: Actor, keys: VaultKeys,
        monkeypatch: pytest.MonkeyPatch) -> None:
    integrity = _seed(db, settings, actor, keys)
    work = Work(db, settings, actor, keys=keys)
    with monkeypatch.context() as old_format:
        old_format.setattr(listing_cache, "_CACHE_FORMAT", b"VPLC1")
        old_format.setattr(listing_cache, "is_integrity_report", lambda _listing: False)
        listing.overview(work, today=TODAY, recent=RECENT)  # writes an index of format 1
    found = listing.overview(work, today=TODAY, recent=RECENT)
    assert {case.reference for case in found.deadlines} == integrity
