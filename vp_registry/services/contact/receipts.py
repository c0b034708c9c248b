"""What a receipt code opens: the counsellor's replies, and the sender's answer to them.

**A wrong code costs what a right one costs.** Lookup, one Argon2id derivation with the
current parameters and one decryption happen whether or not the code exists, and every wrong
code - unknown, malformed, mistyped - raises the same :class:`WrongCode`. Every event is
audited as the anonymous actor with its date only (no thread, no time).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from vp_registry.config import Settings
from vp_registry.core import crypto, receipt
from vp_registry.core.crypto import AesGcmCipher, DecryptionError, KdfParams
from vp_registry.core.taxonomy import N_
from vp_registry.db.contact import ContactThread
from vp_registry.services.contact import channel, sealing, threads
from vp_registry.services.contact.sealing import COUNSELLOR, SENDER
from vp_registry.services.errors import DomainError
from vp_registry.services.infrastructure import audit
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.work import Work

# What a wrong code is checked against, so it costs the same as a right one.
_NO_CODE: Final = "-" * 32
_DUMMY_SALT: Final = crypto.new_salt()
_DUMMY_BLOB: Final = bytes([0x01]) + secrets.token_bytes(crypto.NONCE_BYTES + 32 + 16)


class WrongCode(DomainError):
    """Every wrong receipt code, whatever is wrong with it: one message, one cost."""

    message = N_("This receipt code is not known. Check the six words and try again.")


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
        select(ContactThread).where(ContactThread.lookup == sealing.lookup_id(code or _NO_CODE))
    ).scalar_one_or_none()
    if row is None or code is None:
        salt, params, blob, thread_id = _DUMMY_SALT, settings.password_kdf, _DUMMY_BLOB, 0
    else:
        salt, blob, thread_id = row.kdf_salt, row.key_by_code, row.id
        params = KdfParams.from_json(row.kdf_params)
    key = sealing.code_key(code or _NO_CODE, salt, params)
    try:
        thread_key = AesGcmCipher().decrypt(key, blob, sealing.code_aad(thread_id))
    except DecryptionError:
        raise WrongCode() from None
    if row is None or code is None or len(thread_key) != crypto.KEY_BYTES:
        raise WrongCode()
    return row, thread_key


def _sender_view(session: Session, row: ContactThread, thread_key: bytes) -> SenderView:
    crypter = sealing.crypter(thread_key)
    posts: list[SenderPost] = []
    for post in sealing.post_rows(session, row.id):
        if post.author == COUNSELLOR:
            value = sealing.decode_reply(crypter, row.id, post)
            posts.append(SenderPost(author=COUNSELLOR, written_on=post.written_on,
                                    text=str(value.get("text") or ""),
                                    counsellor_name=value.get("by")))
        else:
            posts.append(SenderPost(author=SENDER, written_on=post.written_on, text=None))
    return SenderView(thread_id=row.id, received_on=row.received_on, posts=tuple(posts))


def read_as_sender(work: Work, code: str) -> SenderView:
    """What the holder of a receipt code sees: the counsellor's replies, dates of their own."""
    session = work.session
    row, thread_key = _open_with_code(session, work.settings, code)
    view = _sender_view(session, row, thread_key)
    audit.record_dated(session, Actor.anonymous(), "contact.sender_read")
    return view


def reply_as_sender(work: Work, code: str, text: str, *, today: date | None = None
                    ) -> SenderView:
    """The sender answers (sealed like the first message); needs the receipt code again."""
    session = work.session
    today = today or date.today()
    message = channel.message_text(text)
    row, thread_key = _open_with_code(session, work.settings, code)
    with work.conflicts(threads.changed):
        sealing.add_sender_post(session, row, channel.public_key(session), {"text": message},
                                today)
        row.unread = True
        row.last_activity_on = today
    audit.record_dated(session, Actor.anonymous(), "contact.sender_reply")
    return _sender_view(session, row, thread_key)
