"""The counsellor's inbox: every conversation decrypted with the vault key, read, answered.

Replies are encrypted under the thread key, so the sender reads them with the receipt code.
Every event is audited with its date only (:func:`audit.record_dated`): no thread id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vp_registry.core.crypto import RecordCrypter
from vp_registry.core.taxonomy import N_
from vp_registry.db.contact import ContactPost, ContactThread
from vp_registry.services.contact import channel, sealing
from vp_registry.services.contact.sealing import COUNSELLOR, POST_SIZE, POSTS, THREADS
from vp_registry.services.errors import Conflict, NotFound
from vp_registry.services.infrastructure import audit
from vp_registry.services.vault import unlocking
from vp_registry.services.work import Work


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


@dataclass(frozen=True)
class Inbox:
    unread: int
    total: int


def _decode_post(private_key: bytes, crypter: RecordCrypter, thread_id: int,
                 post: ContactPost) -> tuple[Post, dict[str, Any]]:
    if post.author == COUNSELLOR:
        value = sealing.decode_reply(crypter, thread_id, post)
    else:
        value = sealing.open_sealed_json(private_key, post.content,
                                         sealing.sealed_post_aad(thread_id, post.id))
    return Post(id=post.id, position=post.position, author=post.author,
                written_on=post.written_on, text=str(value.get("text") or ""),
                counsellor_name=value.get("by")), value


def thread_row(session: Session, thread_id: int) -> ContactThread:
    """The thread's row; NotFound when it does not exist (or was deleted)."""
    row = session.get(ContactThread, thread_id)
    if row is None:
        raise NotFound()
    return row


def _case_reference(crypter: RecordCrypter, row: ContactThread) -> str | None:
    return crypter.decrypt_text(THREADS, "case_link", row.id, row.case_link)


def _intake(value: dict[str, Any]) -> tuple[str, int | None, str | None, str | None]:
    kind = value.get("kind") if value.get("kind") in channel.KINDS else "message"
    department = value.get("department_id")
    category = value.get("category")
    contact = value.get("contact")
    return (str(kind), department if isinstance(department, int) else None,
            category if isinstance(category, str) else None,
            contact if isinstance(contact, str) else None)


def _preview(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def record(work: Work, row: ContactThread) -> ThreadRecord:
    """One conversation decrypted (not audited: the caller records why it was opened)."""
    session = work.session
    private_key = unlocking.unwrap_message_private_key(session, work.keys)
    crypter = sealing.crypter(sealing.thread_key_for_vault(private_key, row))
    posts: list[Post] = []
    intake: dict[str, Any] = {}
    for post_row in sealing.post_rows(session, row.id):
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


def _summary(private_key: bytes, row: ContactThread, first: ContactPost | None,
             count: int) -> ThreadSummary:
    crypter = sealing.crypter(sealing.thread_key_for_vault(private_key, row))
    intake: dict[str, Any] = {}
    if first is not None:
        intake = _decode_post(private_key, crypter, row.id, first)[1]
    kind, department_id, category, _contact = _intake(intake)
    return ThreadSummary(
        id=row.id, version=row.version, received_on=row.received_on,
        last_activity_on=row.last_activity_on, unread=row.unread, kind=kind,
        department_id=department_id, category=category,
        preview=_preview(str(intake.get("text") or "")), post_count=count,
        case_reference=_case_reference(crypter, row),
    )


def list_threads(work: Work) -> list[ThreadSummary]:
    """Every conversation, unread first, then the most recently active; audited."""
    session = work.session
    rows = list(session.execute(
        select(ContactThread).order_by(ContactThread.unread.desc(),
                                       ContactThread.last_activity_on.desc(),
                                       ContactThread.received_on.desc())).scalars())
    counts: dict[int, int] = {thread_id: int(count) for thread_id, count in session.execute(
        select(ContactPost.thread_id, func.count()).group_by(ContactPost.thread_id))}
    first_posts = {post.thread_id: post for post in session.execute(
        select(ContactPost).where(ContactPost.position == 0)).scalars()}
    private_key = unlocking.unwrap_message_private_key(session, work.keys) if rows else b""
    summaries = [_summary(private_key, row, first_posts.get(row.id), counts.get(row.id, 0))
                 for row in rows]
    audit.record_dated(session, work.actor, "contact.list", shown=len(summaries))
    return summaries


def changed() -> Conflict:
    """A concurrent change to the conversation (another counsellor, the sender's answer)."""
    return Conflict(N_("This conversation changed in the meantime. Open it again."))


def read_thread(work: Work, thread_id: int) -> ThreadRecord:
    """Decrypt one conversation and mark it read; audited as ``contact.read``."""
    row = thread_row(work.session, thread_id)
    found = record(work, row)
    if row.unread:
        with work.conflicts(changed):
            row.unread = False
    audit.record_dated(work.session, work.actor, "contact.read")
    return found


def reply(work: Work, thread_id: int, text: str, *, author_name: str,
          today: date | None = None) -> Post:
    """A counsellor answers; the sender reads it with the receipt code."""
    session = work.session
    today = today or date.today()
    message = channel.message_text(text)
    row = thread_row(session, thread_id)
    private_key = unlocking.unwrap_message_private_key(session, work.keys)
    crypter = sealing.crypter(sealing.thread_key_for_vault(private_key, row))
    with work.conflicts(changed):
        position = sealing.next_position(session, row.id)
        post = ContactPost(id=sealing.random_id(), thread_id=row.id, position=position,
                           author=COUNSELLOR, written_on=today)
        post.content = crypter.encrypt_json(POSTS, "content", sealing.post_row(row.id, post.id),
                                            {"text": message, "by": author_name}, POST_SIZE)
        session.add(post)
        row.unread = False
        row.last_activity_on = today
    audit.record_dated(session, work.actor, "contact.reply")
    return Post(id=post.id, position=position, author=COUNSELLOR, written_on=today,
                text=message, counsellor_name=author_name)


def inbox(session: Session) -> Inbox:
    """Counts for the start page (plaintext flags: no key needed)."""
    unread = session.execute(select(func.count()).select_from(ContactThread)
                             .where(ContactThread.unread.is_(True))).scalar_one()
    total = session.execute(select(func.count()).select_from(ContactThread)).scalar_one()
    return Inbox(int(unread), int(total))
