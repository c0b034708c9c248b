"""Issue 11, item 5b: the length of a ciphertext tells nothing about the choices inside.

``cases.listing`` was JSON + 29 bytes long: from the length alone the set of categories
narrowed from 63 possibilities to 2-5, and the department space halved. Every encrypted field
is now padded inside the encryption (``crypto.SizeClass``): choices and short values to a
fixed class, free text to a power-of-two bucket. These tests compare real rows written by the
services; the padding format's own tests are in tests/unit/test_padding.py.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.casework import case_input, department
from tests.contactwork import as_sender, submission
from vp_registry.config import Settings
from vp_registry.core.report import ReportTexts
from vp_registry.core.taxonomy import DEFAULT_CATEGORIES
from vp_registry.db.accounts import User
from vp_registry.db.cases import Case, CaseContact
from vp_registry.db.contact import ContactPost
from vp_registry.db.organisation import Department
from vp_registry.db.reports import AnnualReportRow
from vp_registry.services.cases import conversations, lifecycle
from vp_registry.services.cases.records import Closing, ContactInput
from vp_registry.services.contact import channel, threads
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.reports import drafts
from vp_registry.services.vault.keyring import VaultKeys
from vp_registry.services.work import Work

TODAY = date(2026, 11, 25)
LONGEST_ID = 2**31 - 1  # the largest id the INTEGER column holds (PostgreSQL: 32 bits)


def _departments(db: Session, settings: Settings) -> tuple[int, int]:
    small = department(db, "A", settings).id
    db.add(Department(id=LONGEST_ID, name="Afdeling met het langste nummer", headcount=40))
    db.flush()
    return small, LONGEST_ID


def _lengths(db: Session, reference: str) -> tuple[int, int]:
    row = db.execute(select(Case).where(Case.reference == reference)).scalar_one()
    return len(row.listing), len(row.details)


def _new(db: Session, settings: Settings, actor: Actor, keys: VaultKeys, **fields: Any
         ) -> str:
    return lifecycle.create_case(Work(db, settings, actor, keys=keys), case_input(**fields),
                                 today=TODAY).reference


def test_choices_and_flags_do_not_change_the_length_of_a_case(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys
) -> None:
    small, longest = _departments(db, settings)
    nothing = dict(categories=("overig",), relation=None, consent=False, reporter_name=None,
                   reporter_contact=None, involved_person=None, narrative=None,
                   next_steps=None, gender=None, employment_type=None, minutes_spent=0)
    fewest = _new(db, settings, actor, keys, department_id=small, **nothing)
    everything = _new(
        db, settings, actor, keys, department_id=longest,
        categories=tuple(DEFAULT_CATEGORIES), relation="subordinate", consent=False,
        reporter_name=None, reporter_contact=None, involved_person=None, narrative=None,
        next_steps=None, gender="other", employment_type="temporary", minutes_spent=99_999,
        integrity_report=True, acknowledged_on=date(2026, 3, 3), feedback_on=date(2026, 5, 1))
    assert _lengths(db, fewest) == _lengths(db, everything)
    # closing with the longest outcome and referral changes nothing either
    record = lifecycle.read_case(Work(db, settings, actor, keys=keys), everything)
    lifecycle.close_case(Work(db, settings, actor, keys=keys), everything, record.version, Closing(
        closed_on=TODAY, outcome="referral", referral="company_doctor",
        referral_target=None), today=TODAY)
    record = lifecycle.read_case(Work(db, settings, actor, keys=keys), fewest)
    lifecycle.close_case(Work(db, settings, actor, keys=keys), fewest, record.version, Closing(
        closed_on=TODAY, outcome="advice"), today=TODAY)
    assert _lengths(db, fewest) == _lengths(db, everything)
    # every single category gives the same length as any other set of them
    lengths = {_lengths(db, _new(db, settings, actor, keys, department_id=small,
                                 categories=(code,)))[0] for code in DEFAULT_CATEGORIES}
    assert lengths == {_lengths(db, fewest)[0]}


def test_free_text_within_one_bucket_gives_equal_lengths(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys
) -> None:
    small, _ = _departments(db, settings)
    short = _new(db, settings, actor, keys, department_id=small, narrative="Kort.",
                 next_steps=None, reporter_name="Jo", reporter_contact=None,
                 involved_person=None)
    longer = _new(db, settings, actor, keys, department_id=small, narrative="x" * 120,
                  next_steps="y" * 60, reporter_name="Anna van den Berg-Visser",
                  reporter_contact="06-12345678", involved_person="Kees")
    assert _lengths(db, short) == _lengths(db, longer)
    much_longer = _new(db, settings, actor, keys, department_id=small, narrative="z" * 3000)
    assert _lengths(db, much_longer)[1] > _lengths(db, short)[1]  # a bucket, not a constant
    assert _lengths(db, much_longer)[0] == _lengths(db, short)[0]


def test_conversation_notes_are_padded_to_buckets(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys
) -> None:
    small, _ = _departments(db, settings)
    reference = _new(db, settings, actor, keys, department_id=small)
    first = conversations.add_contact(Work(db, settings, actor, keys=keys), reference, ContactInput(
        held_on=TODAY, minutes=5, channel="email", notes=None), today=TODAY)
    second = conversations.add_contact(Work(db, settings, actor, keys=keys),
                                       reference, ContactInput(
        held_on=TODAY, minutes=1440, channel="in_person", notes="Lang gesprek. " * 10),
        today=TODAY)
    sizes = {len(row.content) for row in db.execute(select(CaseContact).where(
        CaseContact.id.in_([first.id, second.id]))).scalars()}
    assert len(sizes) == 1, sizes


def test_anonymous_messages_and_replies_are_padded_to_buckets(
    db: Session, settings: Settings, counsellor: User, actor: Actor, keys: VaultKeys
) -> None:
    _, longest = _departments(db, settings)
    db.commit()
    channel.submit(as_sender(db, settings), submission(message="Hallo.", kind="message",
                                            department_id=None, category=None), today=TODAY)
    channel.submit(as_sender(db, settings), submission(
        message="Mijn voorman maakt elke ochtend grappen over mijn accent. " * 2,
        kind="conversation", department_id=longest, category="uitsluiting",
        contact="Bel me na 17 uur op 06-12345678"), today=TODAY)
    posts = db.execute(select(ContactPost)).scalars().all()
    assert len({len(post.content) for post in posts}) == 1
    for thread_id in {post.thread_id for post in posts}:
        threads.reply(Work(db, settings, actor, keys=keys), thread_id,
                      "Dank je." * (thread_id % 20 + 1), author_name="Marieke de Boer", today=TODAY)
    replies = db.execute(select(ContactPost).where(ContactPost.author == "counsellor")
                         ).scalars().all()
    assert len({len(post.content) for post in replies}) == 1


def test_annual_report_texts_are_padded_to_buckets(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys
) -> None:
    for year, length in ((2024, 300), (2025, 480)):
        drafts.save_texts(Work(db, settings, actor, keys=keys), year, 0,
                          ReportTexts("x" * length, "Aanbeveling."), "nl", today=TODAY)
    sizes = {len(row.texts) for row in db.execute(select(AnnualReportRow)).scalars()}
    assert len(sizes) == 1, sizes
