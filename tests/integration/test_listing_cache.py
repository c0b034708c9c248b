"""The encrypted per-session case-listing cache: same answers, fewer decryptions, and nothing
of an erased case or an ended session left behind."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.casework import case_input, department, unlock
from tests.support.sessions import db_session_for
from vp_registry.config import Settings
from vp_registry.core import crypto
from vp_registry.core.taxonomy import DEFAULT_CATEGORIES
from vp_registry.db.accounts import User, WebSession
from vp_registry.db.audit import AuditEntry
from vp_registry.db.cases import Case, CaseListingCache, CaseListingIndex
from vp_registry.db.vault import Vault
from vp_registry.services.cases import codec, lifecycle, listing_cache, queries
from vp_registry.services.cases import listing as case_listing
from vp_registry.services.cases.listing_cache import ListingCache
from vp_registry.services.cases.queries import CaseFilter
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.vault import store
from vp_registry.services.vault.keyring import VaultKeys
from vp_registry.services.work import Work

TODAY = date(2026, 11, 25)


@pytest.fixture
def setup(db: Session, settings: Settings, counsellor_with_vault: Callable[..., User]
          ) -> tuple[VaultKeys, Actor, dict[str, int], list[str]]:
    user = counsellor_with_vault()
    keys = unlock(db, settings, user)
    actor = Actor(user.id, "counsellor")
    depts = {name: department(db, name, settings).id
             for name in ("Magazijn en logistiek", "Werkplaats", "Engineering")}
    references = []
    for number in range(12):
        record = lifecycle.create_case(Work(db, settings, actor, keys=keys), case_input(
            list(depts.values())[number % 3], opened_on=date(2025 + number % 2, 3, 1 + number),
            categories=("pesten",) if number % 4 == 0 else ("werkdruk",)), today=TODAY)
        references.append(record.reference)
    db.commit()
    return keys, actor, depts, references


def _session_row(db: Session) -> tuple[str, bytes]:
    token = crypto.new_token()
    db.add(WebSession(token_hash=crypto.hash_token(token)))
    db.flush()
    return crypto.hash_token(token), crypto.key_from_token(token, listing_cache.CACHE_PURPOSE)


def _refs(page: queries.CasePage) -> list[str]:
    return [item.reference for item in page.items]


CRITERIA = [CaseFilter(category="pesten"), CaseFilter(category="werkdruk", sort="department"),
            CaseFilter(year=2025, category="werkdruk"), CaseFilter(status="open", sort="oldest"),
            CaseFilter(sort="department")]


@pytest.mark.parametrize("criteria", CRITERIA, ids=str)
def test_same_answers_with_and_without_the_cache(
    db: Session, settings: Settings, setup: Any, criteria: CaseFilter
) -> None:
    keys, actor, depts, _ = setup
    owner, secret = _session_row(db)
    plain = case_listing.list_cases(Work(db, settings, actor, keys=keys), criteria, page_size=5)
    for _ in range(2):  # cold, then warm
        cached = case_listing.list_cases(Work(db, settings, actor, keys=keys),
                                         criteria, page_size=5,
                                  cache=ListingCache(owner, secret))
        assert _refs(cached) == _refs(plain) and cached.total == plain.total
        assert cached.items == plain.items
    by_dept = CaseFilter(department_id=depts["Werkplaats"], category="werkdruk")
    assert case_listing.list_cases(Work(db, settings, actor, keys=keys),
                                   by_dept, cache=ListingCache(
        owner, secret)).items == case_listing.list_cases(Work(db, settings, actor, keys=keys),
                                                         by_dept).items


def test_a_warm_cache_decrypts_only_what_changed(
    db: Session, settings: Settings, setup: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys, actor, depts, references = setup
    owner, secret = _session_row(db)
    case_listing.list_cases(Work(db, settings, actor, keys=keys), CaseFilter(category="pesten"),
                            cache=ListingCache(owner, secret))
    decrypted: list[int] = []
    real = codec.decode_listing

    def counting(crypter: Any, case_id: int, blob: bytes) -> dict[str, Any]:
        decrypted.append(case_id)
        return real(crypter, case_id, blob)

    monkeypatch.setattr(codec, "decode_listing", counting)
    first = case_listing.list_cases(Work(db, settings, actor, keys=keys),
                                    CaseFilter(category="pesten"),
                             page_size=1, cache=ListingCache(owner, secret))
    assert first.total == 3 and decrypted == [first.items[0].id]  # only the shown case
    changed = lifecycle.update_case(Work(db, settings, actor, keys=keys),
                                    references[1], 1, case_input(
        depts["Werkplaats"], opened_on=date(2026, 3, 2), categories=("pesten",)), today=TODAY)
    decrypted.clear()
    page = case_listing.list_cases(Work(db, settings, actor, keys=keys),
                                   CaseFilter(category="pesten"),
                            page_size=100, cache=ListingCache(owner, secret))
    assert page.total == 4 and changed.reference in _refs(page)
    # the changed case twice (cache, then shown), the others once (shown only)
    assert decrypted.count(changed.id) == 2 and len(decrypted) == 5


def test_the_cache_opens_only_with_vault_key_and_session_secret(
    db: Session, settings: Settings, setup: Any
) -> None:
    keys, actor, _, _ = setup
    owner, secret = _session_row(db)
    case_listing.list_cases(Work(db, settings, actor, keys=keys), CaseFilter(category="pesten"),
                            cache=ListingCache(owner, secret))
    row = db.get(CaseListingCache, owner)
    assert row is not None and b"pesten" not in row.entries and b"werkdruk" not in row.entries
    aad = crypto.associated_data(listing_cache.LISTING_CACHE, "entries", owner, keys.version)
    right = crypto.derive_subkey(keys.current + secret, listing_cache.CACHE_PURPOSE)
    assert crypto.unpad(crypto.AesGcmCipher().decrypt(right, row.entries, aad)
                        ).startswith(listing_cache._CACHE_FORMAT)
    for key in (crypto.derive_subkey(keys.current, listing_cache.CACHE_PURPOSE),
                crypto.derive_subkey(secret + secret, listing_cache.CACHE_PURPOSE),
                crypto.derive_subkey(crypto.random_key() + secret, listing_cache.CACHE_PURPOSE)):
        with pytest.raises(crypto.DecryptionError):
            crypto.AesGcmCipher().decrypt(key, row.entries, aad)
    # another session's secret simply finds no usable cache and builds its own
    other = ListingCache(owner, secrets.token_bytes(32))
    other.load(db, keys)
    assert other.match(1, 1) is None and repr(other) == "ListingCache(entries=0)"


def test_erasure_and_rotation_delete_every_cache(db: Session, settings: Settings,
                                                 setup: Any) -> None:
    keys, actor, _, references = setup
    owner, secret = _session_row(db)
    case_listing.list_cases(Work(db, settings, actor, keys=keys), CaseFilter(category="werkdruk"),
                            cache=ListingCache(owner, secret))
    epoch = db.execute(select(Vault.listing_epoch)).scalar_one()
    assert db.get(CaseListingCache, owner) is not None
    lifecycle.erase_case(Work(db, settings, actor), references[2], 1)
    assert db.execute(select(func.count()).select_from(CaseListingCache)).scalar_one() == 0
    assert db.execute(select(Vault.listing_epoch)).scalar_one() == epoch + 1
    case_listing.list_cases(Work(db, settings, actor, keys=keys), CaseFilter(category="werkdruk"),
                            cache=ListingCache(owner, secret))
    assert db.get(CaseListingCache, owner) is not None
    store.forget_session_keys(db)  # what a key rotation does
    assert db.execute(select(func.count()).select_from(CaseListingCache)).scalar_one() == 0


def test_a_cache_loaded_before_an_erasure_is_not_written(
    db: Session, settings: Settings, setup: Any
) -> None:
    keys, actor, _, references = setup
    owner, secret = _session_row(db)
    slow = ListingCache(owner, secret)
    slow.load(db, keys)  # a request starts ...
    erased = db.execute(select(Case).where(Case.reference == references[3])
                        ).scalar_one()
    slow.put(erased.id, erased.version, {"department": 1, "categories": ["pesten"]})
    lifecycle.erase_case(Work(db, settings, actor),
                         references[3], 1)  # ... another erases a case ...
    slow.save(db, keys)  # ... and the first one tries to store what it decrypted
    assert db.get(CaseListingCache, owner) is None


def test_the_cache_goes_with_its_session(db: Session, settings: Settings, setup: Any) -> None:
    keys, actor, _, _ = setup
    owner, secret = _session_row(db)
    case_listing.list_cases(Work(db, settings, actor, keys=keys), CaseFilter(category="pesten"),
                            cache=ListingCache(owner, secret))
    db.commit()
    session_row = db.get(WebSession, owner)
    assert session_row is not None
    db.delete(session_row)
    db.commit()
    assert db.get(CaseListingCache, owner) is None
    with pytest.raises(ValueError):
        ListingCache(owner, b"short")


def test_the_caches_length_does_not_tell_which_categories_are_in_use(
    db: Session, settings: Settings, setup: Any
) -> None:
    """Issue 11, item 5b: the cache's header lists the category codes in use; it is padded
    to a size class, so two caches of as many cases have equal lengths whatever the codes."""
    keys = setup[0]
    lengths = []
    for codes in (["overig"], list(DEFAULT_CATEGORIES)):
        owner, secret = _session_row(db)
        cache = ListingCache(owner, secret)
        cache.load(db, keys)
        for number in range(12):
            cache.put(number + 1, 1, {"department": 1 + number,
                                      "categories": codes[: 1 + number % len(codes)]})
        cache.save(db, keys)
        row = db.get(CaseListingCache, owner)
        assert row is not None
        lengths.append(len(row.entries))
        again = ListingCache(owner, secret)
        again.load(db, keys)
        assert again.match(12, 1) == (12, cache.match(12, 1)[1])  # type: ignore[index]
    assert lengths[0] == lengths[1]


# ------------------------------------------------ the vault's listing index (issue 15)


def test_the_index_serves_a_new_session_without_decrypting_every_case(
    db: Session, settings: Settings, setup: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first list after a login (a fresh ListingIndex object, as every request makes)
    reads the vault's index: only the shown page is decrypted, and the answers are those of
    the uncached list."""
    keys, actor, _, _ = setup
    criteria = CaseFilter(category="werkdruk", sort="department")
    plain = case_listing.list_cases(Work(db, settings, actor, keys=keys), criteria, page_size=4)
    case_listing.list_cases(Work(db, settings, actor, keys=keys), criteria,
                            cache=listing_cache.ListingIndex())  # builds the index
    db.commit()
    decrypted: list[int] = []
    real = codec.decode_listing

    def counting(crypter: Any, case_id: int, blob: bytes) -> dict[str, Any]:
        decrypted.append(case_id)
        return real(crypter, case_id, blob)

    monkeypatch.setattr(codec, "decode_listing", counting)
    cached = case_listing.list_cases(Work(db, settings, actor, keys=keys), criteria,
                                     page_size=4, cache=listing_cache.ListingIndex())
    assert cached.items == plain.items and cached.total == plain.total == 9
    assert sorted(decrypted) == sorted(item.id for item in cached.items)  # the page only


def test_the_index_opens_only_with_the_vault_key_and_goes_with_erasure(
    db: Session, settings: Settings, setup: Any
) -> None:
    keys, actor, _, references = setup
    case_listing.list_cases(Work(db, settings, actor, keys=keys), CaseFilter(category="pesten"),
                            cache=listing_cache.ListingIndex())
    row = db.get(CaseListingIndex, 1)
    assert row is not None and b"pesten" not in row.entries and b"werkdruk" not in row.entries
    with pytest.raises(crypto.DecryptionError):  # not under a session's key, nor another AAD
        keys.cipher.decrypt(crypto.derive_subkey(keys.current, listing_cache.CACHE_PURPOSE),
                            row.entries, crypto.associated_data(
                                listing_cache.LISTING_INDEX, "entries", 1, keys.version))
    epoch = db.execute(select(Vault.listing_epoch)).scalar_one()
    lifecycle.erase_case(Work(db, settings, actor), references[2], 1)
    assert db.get(CaseListingIndex, 1) is None  # no erased case outlives its erasure here
    assert db.execute(select(Vault.listing_epoch)).scalar_one() == epoch + 1
    slow = listing_cache.ListingIndex()
    slow.load(db, keys)  # a request that started before the next erasure ...
    erased = db.execute(select(Case).where(Case.reference == references[3])).scalar_one()
    slow.put(erased.id, erased.version, {"department": 1, "categories": ["pesten"]})
    lifecycle.erase_case(Work(db, settings, actor), references[3], 1)
    slow.save(db, keys)  # ... writes nothing
    assert db.get(CaseListingIndex, 1) is None
    case_listing.list_cases(Work(db, settings, actor, keys=keys), CaseFilter(category="pesten"),
                            cache=listing_cache.ListingIndex())
    assert db.get(CaseListingIndex, 1) is not None
    store.forget_session_keys(db)  # what a key rotation does
    assert db.get(CaseListingIndex, 1) is None


def test_two_first_writers_of_the_index_at_once_keep_their_transactions(
    app: Flask, db: Session, settings: Settings, setup: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two requests find no index and both write one: the second's INSERT meets the first's
    row; its savepoint is rolled back and its own transaction (and audit) goes on."""
    keys, actor, _, references = setup
    first, second = listing_cache.ListingIndex(), listing_cache.ListingIndex()
    with db_session_for(app) as other:
        first.load(db, keys)
        second.load(other, keys)
        for cache, session in ((first, db), (second, other)):
            case = session.execute(select(Case).where(Case.reference == references[0])
                                   ).scalar_one()
            cache.put(case.id, case.version, {"department": 1, "categories": ["pesten"]})
        first.save(db, keys)
        db.commit()
        lifecycle.read_case(Work(other, settings, actor, keys=keys), references[1])
        monkeypatch.setattr(second, "_stored", lambda _session: None)  # looked too early
        second.save(other, keys)  # its INSERT meets the first one's row: keeps its copy
        other.commit()
    assert db.get(CaseListingIndex, 1) is not None
    assert db.execute(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "case.read")).scalar_one() == 1
