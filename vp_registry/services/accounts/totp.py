"""Time-based one-time passwords (RFC 6238) with replay protection.

A code is accepted for the current 30-second step or one step either side, and only if that
step is later than the last accepted one: a code, once used, never works again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import time

import pyotp
import segno

STEP_SECONDS = 30
TOLERANCE_STEPS = 1


SECRET_BYTES = 20  # 160 bits, RFC 4226's recommendation: 32 base32 characters


def derived_secret(key: bytes, nonce: str) -> str:
    """A secret for a pending enrolment, derived from a key the server does not store (one
    from the session's cookie token) and a random nonce: the session row holds only the nonce,
    so neither it nor the database's write-ahead log holds the secret (issue 11, 5a)."""
    digest = hmac.new(key, b"vp-registry/totp-enrolment/" + nonce.encode(), hashlib.sha256)
    return base64.b32encode(digest.digest()[:SECRET_BYTES]).decode()


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


QR_QUIET_ZONE_MODULES = 4  # ISO/IEC 18004: four light modules around the symbol


def qr_svg(uri: str) -> str:
    """An inline SVG (no external request, no script) for the authenticator app to scan.

    A viewBox and no fixed width or height, so the stylesheet scales the whole symbol, quiet
    zone included, to the space it has; a fixed size was cropped by the CSS (issue 14)."""
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(
        buffer, kind="svg", border=QR_QUIET_ZONE_MODULES, omitsize=True, xmldecl=False,
        svgns=True, title="QR code", nl=False,
    )
    return buffer.getvalue().decode()


def matching_step(secret: str, code: str, *, now: float | None = None) -> int | None:
    """Return the time step the code belongs to (within tolerance), or None."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = int((time.time() if now is None else now) // STEP_SECONDS)
    for step in range(current - TOLERANCE_STEPS, current + TOLERANCE_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def accept(secret: str, code: str, last_step: int, *, now: float | None = None) -> int | None:
    """The step to record as used, or None when the code is wrong or already used."""
    step = matching_step(secret, code, now=now)
    if step is None or step <= last_step:
        return None
    return step
