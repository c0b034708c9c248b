"""The pulse's free text (issue 16): sealed like an anonymous message, read by counsellors only.

What a respondent writes in the free-text box is padded (a fixed part plus a power-of-two
bucket for the text, so its length says little) and sealed with :func:`crypto.seal` to the
vault's message public key, with associated data naming table, column and the comment's
random id - exactly as the contact channel's posts (:mod:`vp_registry.services.contact.sealing`).
The server stores it without holding any key; only the message private key, wrapped under the
vault key, opens it. The row holds no reference to the response written with it, no date and
no group (the group is inside the seal). Managers never see the text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from vp_registry.core import crypto
from vp_registry.core.crypto import DecryptionError
from vp_registry.core.taxonomy import N_
from vp_registry.db.pulse import PulseComment
from vp_registry.services.contact import sealing
from vp_registry.services.errors import DomainError
from vp_registry.services.pulse import rounds
from vp_registry.services.vault import unlocking
from vp_registry.services.work import Work

TABLE: Final = "pulse_comments"
COLUMN: Final = "content.sealed"
SEAL_VERSION: Final = 1
COMMENT_SIZE: Final = crypto.SizeClass(fixed=128, free_text=("text",))


class CommentsNotYet(DomainError):
    message = N_("The free texts can be read once the round has closed, so that no text can be "
                 "tied to the moment it was written.")


@dataclass(frozen=True)
class Comment:
    text: str
    group_key: str
    group_label: str


def comment_aad(round_id: int, comment_id: int) -> bytes:
    return crypto.associated_data(TABLE, COLUMN, f"{round_id}.{comment_id}", SEAL_VERSION)


def add_comment(session: Session, public_key: bytes, round_id: int, group_key: str,
                text: str) -> None:
    """Store a respondent's free text sealed to the vault (no link to their response)."""
    comment_id = sealing.random_id()
    blob = crypto.seal(public_key, crypto.padded_json({"text": text, "group": group_key},
                                                     COMMENT_SIZE),
                       comment_aad(round_id, comment_id))
    session.add(PulseComment(id=comment_id, round_id=round_id, content=blob))


def comment_count(session: Session, round_id: int) -> int:
    return len(session.execute(select(PulseComment.id).where(PulseComment.round_id == round_id)
                               ).all())


def read_comments(work: Work, round_id: int) -> list[Comment]:
    """The round's free texts, opened with the vault's message private key (counsellors only:
    needs ``work.keys``), once the round is closed (:class:`CommentsNotYet` before: whoever
    re-read them during the round would see which text is new). In the order of their random
    ids, which is no order of arrival. Audited (``pulse.comments_read``)."""
    session = work.session
    row = rounds.get_round(session, round_id)
    if rounds.state(row) != rounds.CLOSED:
        raise CommentsNotYet()
    private_key = unlocking.unwrap_message_private_key(session, work.keys)
    labels = {group.key: group.label for group in rounds.groups_of(session, row.id)}
    comments: list[Comment] = []
    for comment in session.execute(select(PulseComment).where(
            PulseComment.round_id == row.id).order_by(PulseComment.id)).scalars():
        value = sealing.open_sealed_json(private_key, comment.content,
                                         comment_aad(row.id, comment.id))
        text, group = value.get("text"), value.get("group")
        if not isinstance(text, str) or not isinstance(group, str):
            raise DecryptionError()
        comments.append(Comment(text, group, labels.get(group, "")))
    work.audit("pulse.comments_read", target_type="pulse_round", target_id=row.id,
               count=len(comments))
    return comments
