"""Invitation codes of a pulse round (issue 16): one response per code, and no link between a
code and the response made with it.

* **Issued in bulk, returned once.** :func:`issue_codes` makes N random codes (12 characters
  of a 32-letter alphabet without look-alikes, 60 bits, shown as ``ABCD-EFGH-JKMN``) for the
  counsellor's CSV or print sheet; the system never learns who gets which.
* **Stored as a keyed hash only.** A code's row holds HMAC-SHA256(server key, round id + code),
  the server key derived with HKDF from SECRET_KEY (purpose ``pulse-code``), so a database
  copy alone cannot test a printed code, and a code of one round is nothing in another.
  Rotating SECRET_KEY makes the unused codes of open rounds invalid (docs/operations.md).
* **Used = deleted.** Using a code deletes its row in the transaction that stores the
  response, so a database copy holds no "used" code that could be set beside a response;
  responses have random ids and no time (docs/decisions.md "Pulse survey (issue 16)").
* **Guessing is throttled** like wrong receipt codes: per client address, in memory only
  (:class:`~vp_registry.services.infrastructure.memory_throttle.BackOff`, the address as a
  keyed hash, never written), on top of 60 bits per code.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from datetime import date
from typing import Final

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from vp_registry.config import Settings
from vp_registry.core import crypto
from vp_registry.core.taxonomy import N_
from vp_registry.db.pulse import PulseCode
from vp_registry.services.errors import DomainError, Throttled, ValidationFailed
from vp_registry.services.infrastructure.memory_throttle import BackOff
from vp_registry.services.pulse import rounds
from vp_registry.services.work import Work

ALPHABET: Final = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no I, O, 0, 1
CODE_LENGTH: Final = 12
GROUP: Final = 4
MAX_CODES_AT_ONCE: Final = 5000
PURPOSE: Final = "pulse-code"


class CodeInvalid(DomainError):
    """Every wrong invitation code - unknown, used, mistyped - gets this one message."""

    message = N_("This code is not valid: it is unknown or it has been used already. Check "
                 "what you typed.")


def canonical(text: str | None) -> str | None:
    """The code as stored: upper case, spaces and dashes dropped; None if it cannot be one."""
    if not text:
        return None
    code = "".join(ch for ch in text.upper() if ch not in " -\t")
    if len(code) != CODE_LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code


def shown(code: str) -> str:
    """``ABCDEFGHJKMN`` -> ``ABCD-EFGH-JKMN`` (as printed)."""
    return "-".join(code[i:i + GROUP] for i in range(0, len(code), GROUP))


def _server_key(settings: Settings) -> bytes:
    return crypto.derive_subkey(settings.secret_key.encode(), PURPOSE)


def digest(settings: Settings, round_id: int, code: str) -> str:
    """HMAC-SHA256 of the round and the canonical code under the server key (hex)."""
    message = f"{round_id}:{code}".encode()
    return hmac.new(_server_key(settings), message, hashlib.sha256).hexdigest()


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def issue_codes(work: Work, round_id: int, count: int, *,
                today: date | None = None) -> list[str]:
    """``count`` new codes for the round (shown, e.g. ``ABCD-EFGH-JKMN``): returned once and
    never stored. The round's number invited grows by ``count``."""
    session = work.session
    row = rounds.get_round(session, round_id)
    if not row.with_codes:
        raise ValidationFailed(N_("This round is open to anyone with the link: it has no "
                                  "codes."), field="count")
    if rounds.state(row, today) == rounds.CLOSED:
        raise ValidationFailed(N_("This round is closed."), field="count")
    if isinstance(count, bool) or not isinstance(count, int) or \
            not 1 <= count <= MAX_CODES_AT_ONCE:
        raise ValidationFailed(N_("Give a number of codes from 1 to %(most)s."), field="count",
                               most=MAX_CODES_AT_ONCE)
    codes: set[str] = set()
    while len(codes) < count:  # 2^60 codes: a repeat never happens in practice
        codes.add(new_code())
    key = _server_key(work.settings)
    for code in codes:
        mac = hmac.new(key, f"{round_id}:{code}".encode(), hashlib.sha256).hexdigest()
        session.add(PulseCode(round_id=round_id, digest=mac))
    with work.conflicts(rounds.RoundChanged):
        row.codes_issued += count
    work.audit("pulse.codes_issued", target_type="pulse_round", target_id=round_id,
               count=count)
    return [shown(code) for code in sorted(codes)]


def unused_codes(session: Session, round_id: int) -> int:
    return len(session.execute(select(PulseCode.digest).where(PulseCode.round_id == round_id)
                               ).all())


def use_code(session: Session, settings: Settings, round_id: int, text: str | None) -> None:
    """Spend a code: its row is deleted; :class:`CodeInvalid` for every wrong code."""
    code = canonical(text)
    mac = digest(settings, round_id, code or "-")
    result = session.execute(delete(PulseCode).where(PulseCode.round_id == round_id,
                                                     PulseCode.digest == mac)
                             .execution_options(synchronize_session=False))
    if code is None or getattr(result, "rowcount", 0) != 1:
        raise CodeInvalid(field="code")


def check_guessing(guard: BackOff | None, client: str | None) -> None:
    """:class:`Throttled` while this client is locked out after wrong codes."""
    if guard is None:
        return
    wait = guard.wait_seconds(client)
    if wait:
        raise Throttled(minutes=max(1, math.ceil(wait / 60)))
