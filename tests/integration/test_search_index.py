"""The vault's encrypted free-text search index (issue 15): the same answers as decrypting
every case, kept current by every change, opened only under its own key, and gone with every
erasure and key rotation."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from tests.casework import case_input, department, unlock
from vp_registry.config import Settings
from vp_registry.core import crypto
from vp_registry.db.accounts import User
from vp_registry.db.cases import Case, CaseSearchIndex
from vp_registry.services.cases import (
    codec,
    conversations,
    fact_entries,
    facts,
    lifecycle,
    listing,
    listing_cache,
    search_index,
)
from vp_registry.services.cases.queries import CaseFilter
from vp_registry.services.cases.records import Closing, ContactInput
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.vault import store
from vp_registry.services.vault.keyring import VaultKeys
from vp_registry.services.work import Work

TODAY = date(2026, 11, 25)
NEEDLES = ["heftruck", "ELISE", "élise", "vries", "nummer 1", "werkplaats", "geen treffer"]


@pytest.fixture
def setup(db: Session, settings: Settings, counsellor_with_vault: Callable[..., User]
          ) -> tuple[Work, list[str]]:
    user = counsellor_with_vault()
    work = Work(db, settings, Actor(user.id, "counsellor"), keys=unlock(db, settings, user))
    depts = [department(db, name, settings).id for name in ("Werkplaats", "Engineering")]
    references = []
    for number in range(12):
        record = lifecycle.create_case(work, case_input(
            depts[number % 2], opened_on=date(2025 + number % 2, 3, 1 + number),
            involved_person="Élise Çelik" if number == 3 else "Kees de Vries",
            narrative=f"Melding nummer {number} uit de werkplaats"), today=TODAY)
        if number % 3 == 0:
            conversations.add_contact(work, record.reference, ContactInput(
                held_on=date(2026, 3, 20), minutes=30, channel="phone",
                notes="Besproken: de heftruck" if number == 6 else "Intake"), today=TODAY)
        references.append(record.reference)
    db.commit()
    return work, references


def _search(work: Work, text: str, *, indexed: bool, **criteria: Any) -> list[str]:
    extra: dict[str, Any] = ({"cache": listing_cache.ListingIndex(),
                              "search": search_index.SearchIndex()} if indexed else {})
    page = listing.list_cases(work, CaseFilter(text=text, **criteria), page_size=100, **extra)
    return [item.reference for item in page.items]


@pytest.mark.parametrize("needle", NEEDLES)
def test_the_index_gives_the_answers_of_decrypting_every_case(setup: Any, needle: str) -> None:
    work, _ = setup
    expected = _search(work, needle, indexed=False)
    assert _search(work, needle, indexed=True) == expected  # builds the index
    assert _search(work, needle, indexed=True) == expected  # reads it
    assert _search(work, needle, indexed=True, year=2025, sort="department") == \
        _search(work, needle, indexed=False, year=2025, sort="department")


def test_a_warm_index_decrypts_no_text_and_follows_every_change(
    db: Session, setup: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    work, references = setup
    _search(work, "heftruck", indexed=True)
    db.commit()
    decrypted: list[int] = []
    real = codec.decode_details

    def counting(crypter: Any, case_id: int, blob: bytes) -> dict[str, Any]:
        decrypted.append(case_id)
        return real(crypter, case_id, blob)

    monkeypatch.setattr(codec, "decode_details", counting)
    assert len(_search(work, "heftruck", indexed=True)) == 1 and decrypted == []
    # a new conversation, an edited note and an edited case are each found at once
    added = conversations.add_contact(work, references[1], ContactInput(
        held_on=date(2026, 3, 20), minutes=10, channel="phone", notes="Ook een heftruck"),
        today=TODAY)
    assert set(_search(work, "heftruck", indexed=True)) == {references[6], references[1]}
    conversations.update_contact(work, references[1], added.id, 1, ContactInput(
        held_on=date(2026, 3, 20), minutes=10, channel="phone", notes="Niets"), today=TODAY)
    third = lifecycle.read_case(work, references[2])
    lifecycle.update_case(work, references[2], 1, case_input(
        third.department_id, opened_on=third.opened_on, narrative="Nu over een heftruck"),
        today=TODAY)
    edited = lifecycle.read_case(work, references[1]).id
    decrypted.clear()
    assert set(_search(work, "heftruck", indexed=True)) == {references[6], references[2]}
    assert sorted(decrypted) == sorted([edited, third.id])  # the changed cases only


def test_the_index_holds_no_plaintext_opens_only_under_its_key_and_goes_with_erasure(
    db: Session, setup: Any
) -> None:
    work, references = setup
    _search(work, "heftruck", indexed=True)
    row = db.get(CaseSearchIndex, 1)
    assert row is not None
    assert b"heftruck" not in row.entries and b"vries" not in row.entries
    keys: VaultKeys = work.keys
    with pytest.raises(crypto.DecryptionError):  # not under the listing index's key
        keys.cipher.decrypt(crypto.derive_subkey(keys.current, listing_cache.INDEX_PURPOSE),
                            row.entries, crypto.associated_data(
                                search_index.SEARCH_INDEX, "entries", 1, keys.version))
    padded = len(row.entries) - 29  # format byte, nonce and tag: a power-of-two bucket
    assert padded >= 256 and padded & (padded - 1) == 0
    lifecycle.erase_case(Work(db, work.settings, work.actor), references[6], 1)
    assert db.get(CaseSearchIndex, 1) is None  # no erased case's text outlives its erasure
    assert _search(work, "heftruck", indexed=True) == []
    assert db.get(CaseSearchIndex, 1) is not None
    store.forget_session_keys(db)  # what a key rotation does
    assert db.get(CaseSearchIndex, 1) is None


def _all_facts(db: Session, keys: VaultKeys) -> dict[str, list[Any]]:
    """The report facts of every year (and of all years) through the index and decrypted."""
    years: list[int | None] = [None, 2024, 2025, 2026]
    return {f"{year}": [facts.case_facts(db, keys, year=year),
                        facts.decrypted_case_facts(db, keys, year=year)] for year in years}


def test_the_index_gives_the_report_facts_of_decrypting_every_case(
    db: Session, setup: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    work, references = setup
    keys: VaultKeys = work.keys
    late = lifecycle.create_case(work, case_input(
        lifecycle.read_case(work, references[0]).department_id, opened_on=date(2024, 5, 1),
        categories=("pesten", "werkdruk")), today=TODAY)
    lifecycle.close_case(work, late.reference, 1, Closing(
        closed_on=date(2024, 6, 1), outcome="referral", referral="hr"), today=TODAY)
    conversations.add_contact(work, references[4], ContactInput(
        held_on=date(2026, 3, 20), minutes=45, channel="video"), today=TODAY)
    db.execute(update(Case).where(Case.reference == late.reference)
               .values(created_at=datetime(2026, 2, 1, 9)))  # a late registration
    db.commit()
    for year, (indexed, decrypted) in _all_facts(db, keys).items():  # builds the index
        assert indexed == decrypted, year
    db.commit()
    assert db.get(CaseSearchIndex, 1) is not None
    opened: list[int] = []
    real = codec.list_row_crypter

    def counting(keys: VaultKeys, row: Any) -> Any:
        opened.append(row.id)
        return real(keys, row)

    monkeypatch.setattr(codec, "list_row_crypter", counting)
    assert len(facts.case_facts(db, keys)) == 13 and opened == []  # a warm index: no case
    # changed after the index was built: a case, a conversation, a new conversation, an erasure
    third = lifecycle.read_case(work, references[3])
    lifecycle.update_case(work, references[3], 1, case_input(
        third.department_id, opened_on=third.opened_on, categories=("agressie",),
        minutes_spent=75, involved_person="Jan Jansen", gender="man"), today=TODAY)
    talk = conversations.add_contact(work, references[4], ContactInput(
        held_on=date(2025, 12, 31), minutes=20, channel="phone"), today=TODAY)
    conversations.update_contact(work, references[4], talk.id, 1, ContactInput(
        held_on=date(2026, 1, 2), minutes=25, channel="email"), today=TODAY)
    lifecycle.close_case(work, references[7], 1, Closing(
        closed_on=date(2026, 5, 1), outcome="referral", referral="police"), today=TODAY)
    erased = lifecycle.read_case(work, references[6]).id
    lifecycle.erase_case(Work(db, work.settings, work.actor), references[6], 1)
    db.commit()
    monkeypatch.setattr(codec, "list_row_crypter", real)
    for year, (indexed, decrypted) in _all_facts(db, keys).items():
        assert indexed == decrypted, year
        assert erased not in {fact.case_id for fact in indexed}
    changed = {case.case_id: case for case in facts.case_facts(db, keys)}
    assert changed[third.id].categories == ("agressie",)
    assert changed[third.id].minutes_spent == 75
    db.commit()
    monkeypatch.setattr(codec, "list_row_crypter", counting)
    opened.clear()
    facts.case_facts(db, keys, year=2026)
    assert opened == []  # rewritten with the changed cases
    conversations.update_contact(work, references[4], talk.id, 2, ContactInput(
        held_on=date(2026, 1, 2), minutes=50, channel="phone"), today=TODAY)
    db.commit()
    opened.clear()
    indexed = facts.case_facts(db, keys)
    assert opened == [lifecycle.read_case(work, references[4]).id]  # only the edited one
    assert indexed == facts.decrypted_case_facts(db, keys)


def test_the_report_facts_in_the_index_are_no_plaintext(db: Session, setup: Any) -> None:
    work, _ = setup
    keys: VaultKeys = work.keys
    assert facts.case_facts(db, keys)
    row = db.get(CaseSearchIndex, 1)
    assert row is not None
    index = search_index.SearchIndex()
    index.load(db, keys)
    assert repr(index) == "SearchIndex(entries=12)"  # opened under the vault key
    person = fact_entries.person_index(keys, "Kees de Vries")
    assert person is not None
    for plain in (b"pesten", b"colleague", b"permanent", b"phone", b"woman",
                  person.encode("ascii")):
        assert plain not in row.entries
    with pytest.raises(crypto.DecryptionError):  # only the search index's key opens it
        keys.cipher.decrypt(crypto.derive_subkey(keys.current, listing_cache.INDEX_PURPOSE),
                            row.entries, crypto.associated_data(
                                search_index.SEARCH_INDEX, "entries", 1, keys.version))


def test_the_report_reads_the_facts_alone_and_keeps_every_text(
    db: Session, setup: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The row holds the facts and the texts in two streams (issue 15): the report's facts
    leave the texts compressed, and an index the report rewrites (a changed case) still gives
    every other case's text to the next search without decrypting it."""
    work, references = setup
    keys: VaultKeys = work.keys
    _search(work, "heftruck", indexed=True)
    db.commit()
    row = db.get(CaseSearchIndex, 1)
    assert row is not None
    inflated: list[int] = []
    real = zlib.decompress

    def measured(data: bytes) -> bytes:
        inflated.append(len(data))
        return real(data)

    def no_texts(self: search_index.SearchIndex) -> dict[int, str]:
        raise AssertionError("the report's facts decompressed the texts")

    monkeypatch.setattr(zlib, "decompress", measured)
    with monkeypatch.context() as patched:
        patched.setattr(search_index.SearchIndex, "_all_texts", no_texts)
        assert len(facts.case_facts(db, keys)) == 12
    assert len(inflated) == 1 and inflated[0] < len(row.entries) / 2  # the facts' stream
    changed = lifecycle.read_case(work, references[3])
    lifecycle.update_case(work, references[3], 1, case_input(
        changed.department_id, opened_on=changed.opened_on, narrative="Nu over een heftruck"),
        today=TODAY)
    db.commit()
    facts.case_facts(db, keys)  # decrypts the changed case and rewrites the row
    db.commit()
    expected = {needle: set(_search(work, needle, indexed=False)) for needle in NEEDLES}
    opened: list[int] = []
    real_details = codec.decode_details

    def counting(crypter: Any, case_id: int, blob: bytes) -> dict[str, Any]:
        opened.append(case_id)
        return real_details(crypter, case_id, blob)

    monkeypatch.setattr(codec, "decode_details", counting)
    assert expected["heftruck"] == {references[6], references[3]}
    for needle in NEEDLES:
        assert set(_search(work, needle, indexed=True)) == expected[needle], needle
    assert opened == []  # every text came from the rewritten index



def test_one_scan_of_the_loaded_texts_finds_each_case_alone(db: Session, setup: Any) -> None:
    """A search scans the loaded texts as one byte string (issue 15): a match across two
    cases' texts is no match, a multi-byte needle matches whole characters only, and texts
    put since the load replace the loaded ones."""
    work, _ = setup
    keys: VaultKeys = work.keys
    written = search_index.SearchIndex()
    written.load(db, keys)
    texts = {1: "melding over de werkplaats", 2: "plaatsvervanger", 3: "", 4: "één\x00ç",
             5: "werk"}
    for case_id, text in texts.items():
        written.put(case_id, 1, (0, 0), text, b"[]")
    written.save(db, keys, present=lambda: set(texts))
    index = search_index.SearchIndex()
    index.load(db, keys)
    assert index.containing("plaats") == {1, 2}
    assert index.containing("werkplaatsplaats") == set()  # 1's end + 2's start
    assert index.containing("tsplaats") == set()
    assert index.containing("een") == set() and index.containing("één") == {4}
    assert index.containing("ç") == {4} and index.containing("n\x00ç") == set()
    assert index.containing("werk") == {1, 5}
    index.put(5, 2, (0, 0), "iets anders", b"[]")
    assert index.containing("werk") == {1}
    assert index.containing("anders") == {5}
    assert {n: index.text(n, 1, (0, 0)) for n in (1, 2, 3, 4)} == {
        n: texts[n] for n in (1, 2, 3, 4)}
