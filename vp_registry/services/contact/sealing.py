"""How the anonymous channel's threads and posts are encrypted (issue 6; docs/design.md I-1,
I-2, I-5, I-8) - see docs/anonymous-contact.md:

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
* **Audit without content, address, time or thread** (:func:`audit.record_dated`, in the
  modules that act): the date only, no thread id, no case reference, joining the chain after
  its day is over (docs/design.md I-9).
"""

from __future__ import annotations

import secrets
import threading
from datetime import date
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vp_registry.core import crypto
from vp_registry.core.crypto import DecryptionError, KdfParams, RecordCrypter
from vp_registry.db.contact import ContactPost, ContactThread

THREADS: Final = "contact_threads"
POSTS: Final = "contact_posts"
SENDER: Final = "sender"
COUNSELLOR: Final = "counsellor"
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


def random_id() -> int:
    """A random row id (thread or post): ids tell nothing about order or count."""
    return 1 + secrets.randbelow(2**_ID_BITS - 1)


def lookup_id(code: str) -> str:
    """HKDF of the canonical receipt code: finds the thread without storing the code."""
    return crypto.key_from_token(code, LOOKUP_PURPOSE).hex()


def code_key(code: str, salt: bytes, params: KdfParams) -> bytes:
    """Argon2id of a receipt code, at most two at once (64 MiB each)."""
    with _ARGON2_SLOTS:
        return crypto.derive_key(code, salt, params)


def code_aad(thread_id: int) -> bytes:
    """The thread key under the code is bound to its thread (moved elsewhere, it fails)."""
    return crypto.associated_data(THREADS, "key_by_code", thread_id, THREAD_KEY_VERSION)


def sealed_key_aad(thread_id: int) -> bytes:
    """The thread key sealed to the vault, bound to its thread."""
    return crypto.associated_data(THREADS, "key_sealed", thread_id, SEAL_VERSION)


def post_row(thread_id: int, post_id: int) -> str:
    """A post's row name in its associated data: thread and post together."""
    return f"{thread_id}.{post_id}"


def sealed_post_aad(thread_id: int, post_id: int) -> bytes:
    """A sender's post sealed to the vault opens only in its own thread and row."""
    return crypto.associated_data(POSTS, "content.sealed", post_row(thread_id, post_id),
                                  SEAL_VERSION)


def crypter(thread_key: bytes) -> RecordCrypter:
    """Replies and the case link are encrypted under the thread key."""
    return RecordCrypter(thread_key, THREAD_KEY_VERSION)


def open_sealed_json(private_key: bytes, blob: bytes, aad: bytes) -> dict[str, Any]:
    """What a sender sealed, opened with the vault's message private key."""
    # bad UTF-8, JSON or padding inside a valid seal raises DecryptionError, like tampering
    value = crypto.unpadded_json(crypto.unseal(private_key, blob, aad))
    if not isinstance(value, dict):
        raise DecryptionError()
    return value


def thread_key_for_vault(private_key: bytes, row: ContactThread) -> bytes:
    """The thread key opened with the vault's message private key."""
    key = crypto.unseal(private_key, row.key_sealed, sealed_key_aad(row.id))
    if len(key) != crypto.KEY_BYTES:
        raise DecryptionError()
    return key


def post_rows(session: Session, thread_id: int) -> list[ContactPost]:
    """A thread's posts in order (still encrypted)."""
    return list(session.execute(
        select(ContactPost).where(ContactPost.thread_id == thread_id)
        .order_by(ContactPost.position)).scalars())


def next_position(session: Session, thread_id: int) -> int:
    """The position of a new post at the end of a thread."""
    return int(session.execute(
        select(func.coalesce(func.max(ContactPost.position), -1))
        .where(ContactPost.thread_id == thread_id)).scalar_one()) + 1


def decode_reply(crypter: RecordCrypter, thread_id: int, post: ContactPost) -> dict[str, Any]:
    """A counsellor's reply, encrypted under the thread key."""
    value = crypter.decrypt_json(POSTS, "content", post_row(thread_id, post.id), post.content)
    if not isinstance(value, dict):
        raise DecryptionError()
    return value


def add_sender_post(session: Session, thread: ContactThread, public_key: bytes,
                    content: dict[str, Any], today: date) -> ContactPost:
    """A sender's post, padded and sealed to the vault's message public key."""
    post = ContactPost(id=random_id(), thread_id=thread.id,
                       position=next_position(session, thread.id), author=SENDER,
                       written_on=today)
    post.content = crypto.seal(public_key, crypto.padded_json(content, POST_SIZE),
                               sealed_post_aad(thread.id, post.id))
    session.add(post)
    return post
