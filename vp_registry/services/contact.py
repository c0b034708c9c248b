"""The anonymous contact channel: messages without an account, replies with a receipt code.

How it is protected (issue 6; docs/design.md I-1, I-2, I-5, I-8) - see docs/anonymous-contact.md:

* **Sending needs no secret.** Everything a sender writes (the message, the kind of contact
  wanted, department, category, how to reach them) is sealed with :func:`crypto.seal` to the
  vault's message public key, with associated data naming table, column, thread and post.
  Only the message private key - stored wrapped under the vault key - opens it, so the
  server accepts a message without holding any key, and a database copy reveals nothing.
* **The receipt code** (six words, 66 bits, :mod:`vp_registry.core.receipt`) is shown once
  and never stored. The thread row holds HKDF(code) as its lookup id and the *thread key*
  twice: encrypted under Argon2id(code, own salt) and sealed to the message public key.
  Counsellor replies are encrypted under the thread key, so the code or the vault key opens
  them and nothing else does. The code does not reopen what the sender wrote: whoever finds
  a written-down code reads the counsellor's replies, never the sender's story or contact
  details.
* **A wrong code costs what a right one costs.** Lookup, one Argon2id derivation with the
  current parameters and one decryption happen whether or not the code exists, and every
  wrong code - unknown, malformed, mistyped - raises the same :class:`WrongCode`.
* **Audit without content, address, time or thread.** Every event of the channel - the
  sender's (as ``Actor.anonymous()``) and the counsellor's - is recorded with
  :func:`audit.record_dated`: the date only, no thread id, no case reference, joining the
  chain after its day is over (docs/design.md I-9). A conversion into a case writes the ordinary
  ``case.create`` entry of a new case, and nothing links the two.

Functions take the session, the settings and (counsellor side) the actor and unlocked
:class:`VaultKeys`; they flush and never commit.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from vp_registry.config import Settings
from vp_registry.core import crypto, receipt
from vp_registry.core.casework import add_months
from vp_registry.core.crypto import AesGcmCipher, DecryptionError, KdfParams, RecordCrypter
from vp_registry.core.taxonomy import N_
from vp_registry.db.contact import ContactPost, ContactThread
from vp_registry.db.organisation import Category, Department
from vp_registry.services import audit, cases
from vp_registry.services.vault import unlocking
from vp_registry.services.audit import Actor
from vp_registry.services.cases import CaseInput, ContactInput
from vp_registry.services.errors import Conflict, DomainError, NotFound, ValidationFailed
from vp_registry.services.vault.keyring import VaultKeys

THREADS: Final = "contact_threads"
POSTS: Final = "contact_posts"
SENDER: Final = "sender"
COUNSELLOR: Final = "counsellor"
KINDS: Final = ("conversation", "message")
KIND_LABELS: Final = {
    "conversation": N_("I would like a conversation with a confidential counsellor"),
    "message": N_("I want to send a message"),
}
MAX_MESSAGE: Final = 5000
MAX_CONTACT: Final = 300
THREAD_KEY_VERSION: Final = 1  # format of key_by_code and of replies under the thread key
SEAL_VERSION: Final = 1  # format of what is sealed to the message public key
LOOKUP_PURPOSE: Final = "receipt-lookup"
_ID_BITS: Final = 53
# Every post, sealed or encrypted, is padded (issue 11, item 5b): kind, department, category
# and the counsellor's name in a fixed 256 bytes, the message and the sender's contact details
# to a power-of-two bucket, so a post's length does not tell what was chosen.
POST_SIZE: Final = crypto.SizeClass(fixed=256, free_text=("text", "contact"))
# Argon2id needs 64 MiB per derivation: at most this many at once per process, so a burst of
# requests cannot exhaust memory.
_ARGON2_SLOTS: Final = threading.BoundedSemaphore(2)
# What a wrong code is checked against, so it costs the same as a right one.
_NO_CODE: Final = "-" * 32
_DUMMY_SALT: Final = crypto.new_salt()
_DUMMY_BLOB: Final = bytes([0x01]) + secrets.token_bytes(crypto.NONCE_BYTES + 32 + 16)


class ChannelClosed(DomainError):
    message = N_("Anonymous messages cannot be received yet, because the registry has not "
                 "been set up. Please use the phone number or e-mail address of a confidential "
                 "counsellor on the counsellors page.")


class WrongCode(DomainError):
    """Every wrong receipt code, whatever is wrong with it: one message, one cost."""

    message = N_("This receipt code is not known. Check the six words and try again.")


# ---------------------------------------------------------------------- records


@dataclass(frozen=True, kw_only=True)
class Submission:
    kind: str
    message: str
    department_id: int | None = None
    category: str | None = None
    contact: str | None = None


@dataclass(frozen=True, kw_only=True)
class SenderPost:
    author: str
    written_on: date
    text: str | None  # None: the sender's own post, which only a counsellor can open
    counsellor_name: str | None = None


@dataclass(frozen=True, kw_only=True)
class SenderView:
    thread_id: int
    received_on: date
    posts: tuple[SenderPost, ...]

    @property
    def replies(self) -> int:
        return sum(1 for post in self.posts if post.author == COUNSELLOR)


@dataclass(frozen=True, kw_only=True)
class Post:
    id: int
    position: int
    author: str
    written_on: date
    text: str
    counsellor_name: str | None = None


@dataclass(frozen=True, kw_only=True)
class ThreadSummary:
    id: int
    version: int
    received_on: date
    last_activity_on: date
    unread: bool
    kind: str
    department_id: int | None
    category: str | None
    preview: str
    post_count: int
    case_reference: str | None


@dataclass(frozen=True, kw_only=True)
class ThreadRecord(ThreadSummary):
    contact: str | None
    posts: tuple[Post, ...]

    @property
    def message(self) -> str:
        return self.posts[0].text if self.posts else ""


@dataclass(frozen=True, kw_only=True)
class Conversion:
    """What the counsellor confirms when a conversation becomes a case."""

    opened_on: date
    department_id: int
    categories: tuple[str, ...]
    minutes: int
    channel: str
    keep_contact: bool = False
    sender_label: str = "Anonymous sender"


# ------------------------------------------------------------------ crypto glue


def _random_id() -> int:
    return 1 + secrets.randbelow(2**_ID_BITS - 1)


def lookup_id(code: str) -> str:
    """HKDF of the canonical receipt code: finds the thread without storing the code."""
    return crypto.key_from_token(code, LOOKUP_PURPOSE).hex()


def _code_key(code: str, salt: bytes, params: KdfParams) -> bytes:
    with _ARGON2_SLOTS:
        return crypto.derive_key(code, salt, params)


def _code_aad(thread_id: int) -> bytes:
    return crypto.associated_data(THREADS, "key_by_code", thread_id, THREAD_KEY_VERSION)


def _sealed_key_aad(thread_id: int) -> bytes:
    return crypto.associated_data(THREADS, "key_sealed", thread_id, SEAL_VERSION)


def _post_row(thread_id: int, post_id: int) -> str:
    return f"{thread_id}.{post_id}"


def _sealed_post_aad(thread_id: int, post_id: int) -> bytes:
    return crypto.associated_data(POSTS, "content.sealed", _post_row(thread_id, post_id),
                                  SEAL_VERSION)


def _crypter(thread_key: bytes) -> RecordCrypter:
    return RecordCrypter(thread_key, THREAD_KEY_VERSION)


def _open_sealed_json(private_key: bytes, blob: bytes, aad: bytes) -> dict[str, Any]:
    # bad UTF-8, JSON or padding inside a valid seal raises DecryptionError, like tampering
    value = crypto.unpadded_json(crypto.unseal(private_key, blob, aad))
    if not isinstance(value, dict):
        raise DecryptionError()
    return value


def _thread_key_for_vault(private_key: bytes, row: ContactThread) -> bytes:
    key = crypto.unseal(private_key, row.key_sealed, _sealed_key_aad(row.id))
    if len(key) != crypto.KEY_BYTES:
        raise DecryptionError()
    return key


# ------------------------------------------------------------------- validation


def _clean(text: str | None, limit: int, field: str) -> str | None:
    if text is None:
        return None
    text = text.replace("\r\n", "\n").replace("\x00", "").strip()
    if not text:
        return None
    if len(text) > limit:
        raise ValidationFailed(N_("Use at most %(limit)s characters."), field=field, limit=limit)
    return text


def _message(text: str | None, field: str = "message") -> str:
    cleaned = _clean(text, MAX_MESSAGE, field)
    if cleaned is None:
        raise ValidationFailed(N_("Write your message."), field=field)
    return cleaned


def validate_submission(session: Session, data: Submission) -> Submission:
    if data.kind not in KINDS:
        raise ValidationFailed(N_("Choose one of the options."), field="kind")
    message = _message(data.message)
    department_id = data.department_id or None
    if department_id is not None:
        department = session.get(Department, department_id)
        if department is None or not department.active:
            raise ValidationFailed(N_("Choose a department from the list."),
                                   field="department_id")
    category = data.category or None
    if category is not None:
        found = session.execute(select(Category).where(Category.code == category)
                                ).scalar_one_or_none()
        if found is None or not found.active:
            raise ValidationFailed(N_("Choose a subject from the list."), field="category")
    return Submission(kind=data.kind, message=message, department_id=department_id,
                      category=category, contact=_clean(data.contact, MAX_CONTACT, "contact"))


def _public_key(session: Session) -> bytes:
    public_key = unlocking.message_public_key(session)
    if public_key is None:
        raise ChannelClosed()
    return public_key


def is_open(session: Session) -> bool:
    """Whether messages can be received (the vault has its message key pair)."""
    return unlocking.message_public_key(session) is not None


# --------------------------------------------------------------- the sender


def _add_sender_post(session: Session, thread: ContactThread, public_key: bytes,
                     content: dict[str, Any], today: date) -> ContactPost:
    position = int(session.execute(
        select(func.coalesce(func.max(ContactPost.position), -1))
        .where(ContactPost.thread_id == thread.id)).scalar_one()) + 1
    post = ContactPost(id=_random_id(), thread_id=thread.id, position=position, author=SENDER,
                       written_on=today)
    post.content = crypto.seal(public_key, crypto.padded_json(content, POST_SIZE),
                               _sealed_post_aad(thread.id, post.id))
    session.add(post)
    return post


def _new_lookup(session: Session) -> tuple[str, str]:
    for _ in range(10):
        code = receipt.new_code()
        lookup = lookup_id(code)
        taken = session.execute(select(ContactThread.id).where(ContactThread.lookup == lookup))
        if taken.first() is None:
            return code, lookup
    raise RuntimeError("could not find a free receipt code")  # 2^66 codes: never happens


def submit(session: Session, settings: Settings, data: Submission, *,
           today: date | None = None) -> str:
    """Store an anonymous message; returns the receipt code (to show once, never stored)."""
    today = today or date.today()
    data = validate_submission(session, data)
    public_key = _public_key(session)
    code, lookup = _new_lookup(session)
    thread_id = _random_id()
    thread_key = crypto.random_key()
    salt = crypto.new_salt()
    code_key = _code_key(code, salt, settings.password_kdf)
    thread = ContactThread(
        id=thread_id, lookup=lookup, kdf_salt=salt, kdf_params=settings.password_kdf.to_json(),
        key_by_code=AesGcmCipher().encrypt(code_key, thread_key, _code_aad(thread_id)),
        key_sealed=crypto.seal(public_key, thread_key, _sealed_key_aad(thread_id)),
        key_version=THREAD_KEY_VERSION, received_on=today, last_activity_on=today, unread=True,
    )
    session.add(thread)
    session.flush()
    _add_sender_post(session, thread, public_key, {
        "text": data.message, "kind": data.kind, "department_id": data.department_id,
        "category": data.category, "contact": data.contact,
    }, today)
    session.flush()
    audit.record_dated(session, Actor.anonymous(), "contact.receive")
    return code


def _open_with_code(session: Session, settings: Settings, code_text: str
                    ) -> tuple[ContactThread, bytes]:
    """The thread and its key for a receipt code; a refusal is audited (like a failed login,
    without anything of what was typed) and costs what an acceptance costs."""
    try:
        return _check_code(session, settings, code_text)
    except WrongCode:
        audit.record_dated(session, Actor.anonymous(), "contact.code_refused")
        raise


def _check_code(session: Session, settings: Settings, code_text: str
                ) -> tuple[ContactThread, bytes]:
    """The thread and its key for a receipt code, at the same cost whether it exists or not."""
    code = receipt.canonical(code_text or "")
    row = session.execute(
        select(ContactThread).where(ContactThread.lookup == lookup_id(code or _NO_CODE))
    ).scalar_one_or_none()
    if row is None or code is None:
        salt, params, blob, thread_id = _DUMMY_SALT, settings.password_kdf, _DUMMY_BLOB, 0
    else:
        salt, blob, thread_id = row.kdf_salt, row.key_by_code, row.id
        params = KdfParams.from_json(row.kdf_params)
    key = _code_key(code or _NO_CODE, salt, params)
    try:
        thread_key = AesGcmCipher().decrypt(key, blob, _code_aad(thread_id))
    except DecryptionError:
        raise WrongCode() from None
    if row is None or code is None or len(thread_key) != crypto.KEY_BYTES:
        raise WrongCode()
    return row, thread_key


def _sender_view(session: Session, row: ContactThread, thread_key: bytes) -> SenderView:
    crypter = _crypter(thread_key)
    posts: list[SenderPost] = []
    for post in _post_rows(session, row.id):
        if post.author == COUNSELLOR:
            value = _decode_reply(crypter, row.id, post)
            posts.append(SenderPost(author=COUNSELLOR, written_on=post.written_on,
                                    text=str(value.get("text") or ""),
                                    counsellor_name=value.get("by")))
        else:
            posts.append(SenderPost(author=SENDER, written_on=post.written_on, text=None))
    return SenderView(thread_id=row.id, received_on=row.received_on, posts=tuple(posts))


def read_as_sender(session: Session, settings: Settings, code: str) -> SenderView:
    """What the holder of a receipt code sees: the counsellor's replies, dates of their own."""
    row, thread_key = _open_with_code(session, settings, code)
    view = _sender_view(session, row, thread_key)
    audit.record_dated(session, Actor.anonymous(), "contact.sender_read")
    return view


def reply_as_sender(session: Session, settings: Settings, code: str, text: str, *,
                    today: date | None = None) -> SenderView:
    """The sender answers (sealed like the first message); needs the receipt code again."""
    today = today or date.today()
    message = _message(text)
    row, thread_key = _open_with_code(session, settings, code)
    _add_sender_post(session, row, _public_key(session), {"text": message}, today)
    row.unread = True
    row.last_activity_on = today
    _flush(session)
    audit.record_dated(session, Actor.anonymous(), "contact.sender_reply")
    return _sender_view(session, row, thread_key)


# ----------------------------------------------------------- the counsellor


def _post_rows(session: Session, thread_id: int) -> list[ContactPost]:
    return list(session.execute(
        select(ContactPost).where(ContactPost.thread_id == thread_id)
        .order_by(ContactPost.position)).scalars())


def _decode_reply(crypter: RecordCrypter, thread_id: int, post: ContactPost) -> dict[str, Any]:
    value = crypter.decrypt_json(POSTS, "content", _post_row(thread_id, post.id), post.content)
    if not isinstance(value, dict):
        raise DecryptionError()
    return value


def _decode_post(private_key: bytes, crypter: RecordCrypter, thread_id: int,
                 post: ContactPost) -> tuple[Post, dict[str, Any]]:
    if post.author == COUNSELLOR:
        value = _decode_reply(crypter, thread_id, post)
    else:
        value = _open_sealed_json(private_key, post.content, _sealed_post_aad(thread_id, post.id))
    return Post(id=post.id, position=post.position, author=post.author,
                written_on=post.written_on, text=str(value.get("text") or ""),
                counsellor_name=value.get("by")), value


def _thread_row(session: Session, thread_id: int) -> ContactThread:
    row = session.get(ContactThread, thread_id)
    if row is None:
        raise NotFound()
    return row


def _case_reference(crypter: RecordCrypter, row: ContactThread) -> str | None:
    return crypter.decrypt_text(THREADS, "case_link", row.id, row.case_link)


def _intake(value: dict[str, Any]) -> tuple[str, int | None, str | None, str | None]:
    kind = value.get("kind") if value.get("kind") in KINDS else "message"
    department = value.get("department_id")
    category = value.get("category")
    contact = value.get("contact")
    return (str(kind), department if isinstance(department, int) else None,
            category if isinstance(category, str) else None,
            contact if isinstance(contact, str) else None)


def _preview(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _record(session: Session, keys: VaultKeys, row: ContactThread) -> ThreadRecord:
    private_key = unlocking.unwrap_message_private_key(session, keys)
    crypter = _crypter(_thread_key_for_vault(private_key, row))
    posts: list[Post] = []
    intake: dict[str, Any] = {}
    for post_row in _post_rows(session, row.id):
        post, value = _decode_post(private_key, crypter, row.id, post_row)
        if not posts:
            intake = value
        posts.append(post)
    kind, department_id, category, contact = _intake(intake)
    return ThreadRecord(
        id=row.id, version=row.version, received_on=row.received_on,
        last_activity_on=row.last_activity_on, unread=row.unread, kind=kind,
        department_id=department_id, category=category,
        preview=_preview(posts[0].text if posts else ""), post_count=len(posts),
        case_reference=_case_reference(crypter, row), contact=contact, posts=tuple(posts),
    )


def list_threads(session: Session, settings: Settings, actor: Actor, keys: VaultKeys
                 ) -> list[ThreadSummary]:
    """Every conversation, unread first, then the most recently active; audited."""
    rows = list(session.execute(
        select(ContactThread).order_by(ContactThread.unread.desc(),
                                       ContactThread.last_activity_on.desc(),
                                       ContactThread.received_on.desc())).scalars())
    counts: dict[int, int] = {thread_id: int(count) for thread_id, count in session.execute(
        select(ContactPost.thread_id, func.count()).group_by(ContactPost.thread_id))}
    first_posts = {post.thread_id: post for post in session.execute(
        select(ContactPost).where(ContactPost.position == 0)).scalars()}
    summaries: list[ThreadSummary] = []
    private_key = unlocking.unwrap_message_private_key(session, keys) if rows else b""
    for row in rows:
        crypter = _crypter(_thread_key_for_vault(private_key, row))
        first = first_posts.get(row.id)
        intake: dict[str, Any] = {}
        if first is not None:
            intake = _decode_post(private_key, crypter, row.id, first)[1]
        kind, department_id, category, _contact = _intake(intake)
        summaries.append(ThreadSummary(
            id=row.id, version=row.version, received_on=row.received_on,
            last_activity_on=row.last_activity_on, unread=row.unread, kind=kind,
            department_id=department_id, category=category,
            preview=_preview(str(intake.get("text") or "")),
            post_count=int(counts.get(row.id, 0)),
            case_reference=_case_reference(crypter, row),
        ))
    audit.record_dated(session, actor, "contact.list", shown=len(summaries))
    return summaries


def read_thread(session: Session, settings: Settings, actor: Actor, keys: VaultKeys,
                thread_id: int) -> ThreadRecord:
    """Decrypt one conversation and mark it read; audited as ``contact.read``."""
    row = _thread_row(session, thread_id)
    record = _record(session, keys, row)
    if row.unread:
        row.unread = False
        _flush(session)
    audit.record_dated(session, actor, "contact.read")
    return record


def _flush(session: Session) -> None:
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise Conflict(N_("This conversation changed in the meantime. Open it again.")) from None


def reply(session: Session, settings: Settings, actor: Actor, keys: VaultKeys, thread_id: int,
          text: str, *, author_name: str, today: date | None = None) -> Post:
    """A counsellor answers; the sender reads it with the receipt code."""
    today = today or date.today()
    message = _message(text)
    row = _thread_row(session, thread_id)
    private_key = unlocking.unwrap_message_private_key(session, keys)
    crypter = _crypter(_thread_key_for_vault(private_key, row))
    position = int(session.execute(
        select(func.coalesce(func.max(ContactPost.position), -1))
        .where(ContactPost.thread_id == row.id)).scalar_one()) + 1
    post = ContactPost(id=_random_id(), thread_id=row.id, position=position, author=COUNSELLOR,
                       written_on=today)
    post.content = crypter.encrypt_json(POSTS, "content", _post_row(row.id, post.id),
                                        {"text": message, "by": author_name}, POST_SIZE)
    session.add(post)
    row.unread = False
    row.last_activity_on = today
    _flush(session)
    audit.record_dated(session, actor, "contact.reply")
    return Post(id=post.id, position=position, author=COUNSELLOR, written_on=today,
                text=message, counsellor_name=author_name)


def shred(session: Session, thread_ids: Iterable[int]) -> None:
    """Crypto-shred conversations: their wrapped keys and every post go at once (no key
    needed). SQLite's secure_delete overwrites the pages and the WAL is checkpointed."""
    ids = list(thread_ids)
    if not ids:
        return
    session.execute(delete(ContactPost).where(ContactPost.thread_id.in_(ids)))
    session.execute(delete(ContactThread).where(ContactThread.id.in_(ids))
                    .execution_options(synchronize_session=False))
    session.flush()
    session.expire_all()
    cases.checkpoint_after_commit(session)


def delete_thread(session: Session, settings: Settings, actor: Actor, thread_id: int) -> None:
    """Delete a conversation (spam, or on request): unrecoverable at once (I-4)."""
    _thread_row(session, thread_id)
    shred(session, [thread_id])
    audit.record_dated(session, actor, "contact.delete")


def purge_inactive(session: Session, settings: Settings, actor: Actor, before: date, *,
                   dry_run: bool = False) -> int:
    """Retention: shred conversations without activity since ``before``; returns how many.
    A dry run only counts them (and writes nothing)."""
    ids = list(session.execute(
        select(ContactThread.id).where(ContactThread.last_activity_on < before)).scalars())
    if dry_run or not ids:
        return len(ids)
    shred(session, ids)
    audit.record_dated(session, actor, "contact.purge", count=len(ids))
    return len(ids)


def retention_cutoff(settings: Settings, today: date) -> date:
    """Conversations quiet since before this date are erased by ``retention purge``: the
    same number of months as closed cases (a conversation that became a case lives on in the
    case, under the case's own retention)."""
    return add_months(today, -settings.retention_months)


def _transcript(record: ThreadRecord, sender_label: str) -> str:
    parts = []
    for post in record.posts:
        who = sender_label if post.author == SENDER else (post.counsellor_name or "")
        parts.append(f"[{post.written_on.isoformat()}] {who}:\n{post.text}")
    text = "\n\n".join(parts)
    if len(text) > cases.MAX_TEXT:
        text = parts[0][: cases.MAX_TEXT - 40].rstrip() + "\n\n[…]"
    return text


def convert_to_case(session: Session, settings: Settings, actor: Actor, keys: VaultKeys,
                    thread_id: int, conversion: Conversion, *, today: date | None = None
                    ) -> str:
    """Open a case whose first conversation is this message thread - nothing re-typed; returns
    the new case's reference.

    The conversation's text (every post, in order) becomes the first contact's notes, held on
    the day the message arrived; the sender's contact details are kept only when the
    counsellor records consent. The thread stays, so the sender can still read replies, and
    remembers the case reference (encrypted under the thread key).

    The audit log shows what any new case shows: one ``case.create`` naming the case, with its
    time (the first conversation is part of the creation, as the form of a new case would
    make it; no read follows in this request). The conversion itself is a ``contact.convert``
    of the anonymous channel: its date only, no thread, no case. So nothing outside the vault
    links the case to the message (issue 11, item 2).
    """
    today = today or date.today()
    row = _thread_row(session, thread_id)
    record = _record(session, keys, row)
    if record.case_reference is not None:
        raise ValidationFailed(N_("This message was already turned into case %(reference)s."),
                               reference=record.case_reference)
    contact = record.contact if conversion.keep_contact else None
    case_input = CaseInput(
        opened_on=conversion.opened_on, department_id=conversion.department_id,
        categories=conversion.categories, consent=conversion.keep_contact and bool(contact),
        reporter_contact=contact,
    )
    first_contact = ContactInput(held_on=record.received_on, minutes=conversion.minutes,
                                 channel=conversion.channel,
                                 notes=_transcript(record, conversion.sender_label))
    # Everything is checked before anything is written: a refusal leaves no half-made case.
    if conversion.opened_on > record.received_on:
        raise ValidationFailed(N_("The case cannot open after the message arrived (%(date)s)."),
                               field="opened_on", date=record.received_on.isoformat())
    cases.validate_case(session, case_input, today=today)
    cases.validate_contact(first_contact, conversion.opened_on, today)
    case = cases.create_case(session, settings, actor, keys, case_input, today=today)
    cases.add_contact(session, settings, actor, keys, case.reference, first_contact,
                      today=today, audited=False)  # part of the creation: one case.create
    row.case_link = _crypter(_thread_key_for_vault(
        unlocking.unwrap_message_private_key(session, keys), row)).encrypt_text(
        THREADS, "case_link", row.id, case.reference)
    row.unread = False
    _flush(session)
    audit.record_dated(session, actor, "contact.convert")
    return case.reference


# ------------------------------------------------------------------ start page


@dataclass(frozen=True)
class Inbox:
    unread: int
    total: int


def inbox(session: Session) -> Inbox:
    """Counts for the start page (plaintext flags: no key needed)."""
    unread = session.execute(select(func.count()).select_from(ContactThread)
                             .where(ContactThread.unread.is_(True))).scalar_one()
    total = session.execute(select(func.count()).select_from(ContactThread)).scalar_one()
    return Inbox(int(unread), int(total))
