"""Values kept in the server-side session, sealed like the vault key (issue 11, item 3).

The case list's filter and search text must not travel in a URL, so the list keeps them in the
session. The session row is plain JSON in the database, so a value kept there is encrypted
(AES-256-GCM) under a key derived from the cookie token - the same idea as the sealed vault key
in :mod:`vp_registry.web.sessions`: the database holds only the token's hash, the browser only
the token, and neither alone reads the value. A new token (login) leaves an old value
unreadable, which reads as "nothing kept".

The plaintext is padded to whole blocks of :data:`BLOCK` bytes, so the stored length does not
tell how long a short search text was.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from flask.sessions import SessionMixin

from vp_registry.core import crypto
from vp_registry.core.crypto import DecryptionError
from vp_registry.web.sessions import ServerSession

BLOCK = 512
_PURPOSE = "session-value.{name}"


def _key_and_aad(token: str, name: str) -> tuple[bytes, bytes]:
    purpose = _PURPOSE.format(name=name)
    return crypto.key_from_token(token, purpose), b"vp-registry/" + purpose.encode("ascii")


def seal_value(session: SessionMixin, name: str, value: Any) -> bool:
    """Keep the JSON value ``value`` in the session under ``name``, sealed under the cookie
    token. False, and nothing kept, when the session has no token yet (not stored before)."""
    if not isinstance(session, ServerSession) or not session.token:
        session.pop(name, None)
        return False
    plain = json.dumps(value, separators=(",", ":")).encode("utf-8")
    plain += b" " * (-len(plain) % BLOCK)  # JSON reads trailing spaces as nothing
    key, aad = _key_and_aad(session.token, name)
    blob = crypto.DEFAULT_CIPHER.encrypt(key, plain, aad)
    session[name] = base64.urlsafe_b64encode(blob).decode("ascii")
    return True


def open_value(session: SessionMixin, name: str) -> Any | None:
    """The value kept under ``name``, or None when there is none or it does not open (sealed
    under an earlier token, or tampered with)."""
    stored = session.get(name)
    if not isinstance(stored, str) or not isinstance(session, ServerSession) or not session.token:
        return None
    key, aad = _key_and_aad(session.token, name)
    try:
        plain = crypto.DEFAULT_CIPHER.decrypt(key, base64.urlsafe_b64decode(stored), aad)
        return json.loads(plain)
    except (binascii.Error, ValueError, DecryptionError):
        return None


def forget_value(session: SessionMixin, name: str) -> None:
    session.pop(name, None)
