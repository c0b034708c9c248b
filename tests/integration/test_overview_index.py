"""The start page's overview reads the vault's listing index to decrypt only what it shows
(issue 17: a counsellor's overview across clients is one overview per organisation).

The index marks integrity reports, whose deadlines are in the encrypted listing; an index
written before the mark existed (format 1) is discarded, or its integrity reports would lose
their deadlines on the start page.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.casework import case_input, department
from vp_registry.config import Settings
from vp_registry.core import crypto
from vp_registry.db.cases import Case, CaseListingIndex
from vp_registry.db.vault import VAULT_ROW_ID
from vp_registry.services.cases import (
    codec,
    lifecycle,
    listing,
    listing_cache,
    listing_format,
    queries,
)
from vp_registry.services.cases.records import Closing
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


# ---- the index holds every case's summary (issue 17, session 8) ----

def _summaries_by_decryption(db: Session, keys: VaultKeys) -> dict[int, Any]:
    found = {}
    for row in listing_cache.page_rows(db, [row.id for row in db.execute(
            select(Case.id)).all()]):
        listing_values = codec.decode_listing(codec.list_row_crypter(keys, row), row.id,
                                              row.listing)
        found[row.id] = (queries.row_summary(row, listing_values), listing_values)
    return found


def _varied_cases(db: Session, settings: Settings, actor: Actor, keys: VaultKeys) -> None:
    """Cases whose summaries differ in every field the index keeps: categories in an order
    that is not the index's, integrity reports with and without the dates met, an outcome."""
    work = Work(db, settings, actor, keys=keys)
    dept = department(db, "Montage", settings).id
    other = department(db, "Werkplaats", settings).id
    for n, (categories, report, acknowledged, feedback) in enumerate([
            (("pesten",), False, None, None),
            (("werkdruk", "pesten"), True, None, None),
            (("pesten", "werkdruk"), True, TODAY - timedelta(days=40), None),
            (("uitsluiting", "werkdruk", "pesten"), True, TODAY - timedelta(days=50),
             TODAY - timedelta(days=3)),
            (("werkdruk",), False, None, None)]):
        lifecycle.create_case(work, case_input(
            dept if n % 2 else other, categories=categories, integrity_report=report,
            acknowledged_on=acknowledged, feedback_on=feedback,
            opened_on=TODAY - timedelta(days=60 - n)), today=TODAY)
    closing = lifecycle.create_case(work, case_input(dept, opened_on=TODAY - timedelta(days=90)),
                                    today=TODAY)
    lifecycle.close_case(work, closing.reference, closing.version,
                         Closing(outcome="advice", closed_on=TODAY - timedelta(days=1)),
                         today=TODAY)
    db.flush()


def test_the_index_summarises_every_case_as_its_decrypted_listing(
        db: Session, settings: Settings, actor: Actor, keys: VaultKeys) -> None:
    _varied_cases(db, settings, actor, keys)
    decrypted = _summaries_by_decryption(db, keys)
    index = listing_cache.ListingIndex()
    index.load(db, keys)
    for case_id, (summary, listing_values) in decrypted.items():
        index.put(case_id, summary.version, listing_values)
    index.save(db, keys)
    stored = db.get(CaseListingIndex, VAULT_ROW_ID)
    assert stored is not None
    opened = crypto.unpad(keys.cipher.decrypt(index._key(keys), stored.entries,
                                              index._aad(keys)))
    assert opened.startswith(b"VPLC3")
    again = listing_cache.ListingIndex()  # read back from the database
    again.load(db, keys)
    rows = {row.id: row for row in db.execute(select(
        Case.id, Case.version, Case.reference, Case.status, Case.opened_on, Case.closed_on))}
    assert len(rows) == 6
    for case_id, (summary, _listing) in decrypted.items():
        assert again.summary(rows[case_id], rows[case_id].status) == summary
    assert any(len(summary.categories) > 1 for summary, _ in decrypted.values())
    assert any(summary.outcome for summary, _ in decrypted.values())
    # another version of a case: no summary from the index
    changed = rows[next(iter(decrypted))]
    stale = SimpleNamespace(**{**changed._asdict(), "version": changed.version + 1})
    assert again.summary(stale, changed.status) is None


def test_a_warm_overview_decrypts_no_case_and_shows_what_a_cold_one_shows(
        db: Session, settings: Settings, actor: Actor, keys: VaultKeys,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _varied_cases(db, settings, actor, keys)
    work = Work(db, settings, actor, keys=keys)
    cold = listing.overview(work, today=TODAY, recent=2)
    decrypted = _decrypts(monkeypatch)
    warm = listing.overview(work, today=TODAY, recent=2)
    assert warm == cold and decrypted == []
    assert cold.open_count == 5 and len(cold.recent) == 2
    # one report is overdue; one acknowledged (feedback due in a month), one done
    assert len(cold.deadlines) == 1 and cold.deadlines[0].overdue(TODAY)


def test_a_deadline_met_or_coming_is_seen_without_decrypting_and_never_stale(
        db: Session, settings: Settings, actor: Actor, keys: VaultKeys,
        monkeypatch: pytest.MonkeyPatch) -> None:
    work = Work(db, settings, actor, keys=keys)
    dept = department(db, "Montage", settings).id
    for n in range(4):  # newer cases: the report is not among the shown ones
        lifecycle.create_case(work, case_input(dept, opened_on=TODAY - timedelta(days=n)),
                              today=TODAY)
    opened = TODAY - timedelta(days=20)
    report = lifecycle.create_case(work, case_input(
        dept, integrity_report=True, opened_on=opened), today=TODAY)
    db.flush()
    first = listing.overview(work, today=TODAY, recent=2)
    assert [case.reference for case in first.deadlines] == [report.reference]
    # acknowledged: a new version; the overview never shows the old deadline
    lifecycle.update_case(work, report.reference, report.version, case_input(
        dept, integrity_report=True, opened_on=opened, acknowledged_on=TODAY), today=TODAY)
    db.flush()
    assert listing.overview(work, today=TODAY, recent=2).deadlines == []
    decrypted = _decrypts(monkeypatch)
    assert listing.overview(work, today=TODAY, recent=2).deadlines == []
    assert decrypted == []  # the report's entry says both dates: not due, not decrypted
    # weeks later the feedback deadline comes near: seen from the index, no decryption
    later = TODAY + timedelta(days=65)  # feedback due 3 months after opening: in a week
    soon = listing.overview(work, today=later, recent=2)
    assert [case.reference for case in soon.deadlines] == [report.reference]
    deadlines = soon.deadlines[0].deadlines
    assert deadlines is not None and deadlines.soon(later) and decrypted == []


def _write_format_2(db: Session, keys: VaultKeys) -> None:
    """The index as the session-7 code wrote it (format 2: one row per entry, no summary)."""
    index = listing_cache.ListingIndex()
    codes: list[str] = []
    entries = []
    for summary, listing_values in _summaries_by_decryption(db, keys).values():
        bits = 0
        marks = [listing_cache.INTEGRITY_MARK] if listing_cache.is_integrity_report(
            listing_values) else []
        for code in [*listing_values["categories"], *marks]:
            if code not in codes:
                codes.append(code)
            bits |= 1 << codes.index(code)
        entries.append(listing_format.CACHE_ENTRY.pack(summary.id, summary.version,
                                                       summary.department_id, bits))
    header = json.dumps(codes).encode()
    data = b"".join([b"VPLC2", len(header).to_bytes(4, "big"), header, *entries])
    db.add(CaseListingIndex(vault_id=VAULT_ROW_ID, key_version=keys.version,
                            entries=keys.cipher.encrypt(index._key(keys), crypto.pad(
                                data, len(data) + 64), index._aad(keys))))
    db.flush()


def test_an_index_of_format_2_is_read_without_its_integrity_reports(
        db: Session, settings: Settings, actor: Actor, keys: VaultKeys,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _varied_cases(db, settings, actor, keys)
    _write_format_2(db, keys)
    old = listing_cache.ListingIndex()
    old.load(db, keys)
    reports = {summary.id for summary, _ in _summaries_by_decryption(db, keys).values()
               if summary.is_integrity_report}
    assert len(reports) == 3 and repr(old) == "ListingIndex(entries=3)"  # 6 cases - 3
    assert all(old.entry(case_id) is None for case_id in reports)
    decrypted = _decrypts(monkeypatch)
    work = Work(db, settings, actor, keys=keys)
    found = listing.overview(work, today=TODAY, recent=1)
    assert len(found.deadlines) == 1
    # the shown case (format 2 holds no summary) and the open reports, nothing else
    assert sorted(decrypted) == sorted({found.recent[0].id} | reports)
    decrypted.clear()
    assert listing.overview(work, today=TODAY, recent=1) == found and decrypted == []
