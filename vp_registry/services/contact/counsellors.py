"""The public counsellors page: who the counsellors are and what they do (issue 6).

Everything here is public information by design, stored in plaintext: a counsellor's own entry
(name, internal or external, phone, e-mail, office hours, a short text and an optional photo)
and the general text of the page (:mod:`.public_text`).

Photos are never served as uploaded: the upload must decode as a JPEG or PNG image of
sensible size; it is re-encoded as a fresh JPEG of at most 400x400 pixels, which drops
every byte of the original file (EXIF with GPS position and camera serial number, comments,
anything appended or hidden in it). The stored file is therefore always a plain JPEG the app
wrote itself, served with its own content type.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass
from typing import Final

from PIL import Image, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from vp_registry.core.taxonomy import N_, Role
from vp_registry.db import utcnow
from vp_registry.db.accounts import User
from vp_registry.db.contact import CounsellorProfile
from vp_registry.services.cleaning import clean
from vp_registry.services.errors import NotFound, ValidationFailed
from vp_registry.services.work import Work

KINDS: Final = ("internal", "external")
KIND_LABELS: Final = {"internal": N_("Internal confidential counsellor"),
                      "external": N_("External confidential counsellor")}
MAX_PHOTO_BYTES: Final = 1_500_000
MAX_PHOTO_PIXELS: Final = 40_000_000  # refuse decompression bombs before decoding
PHOTO_SIZE: Final = 400
PHOTO_FORMATS: Final = ("JPEG", "PNG")
_PHONE: Final = re.compile(r"^\+?[0-9][0-9 ()\-.]{5,38}$")
_EMAIL: Final = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")


# ------------------------------------------------------------------ profiles


@dataclass(frozen=True, kw_only=True)
class ProfileInput:
    public_name: str
    kind: str
    phone: str | None = None
    email: str | None = None
    office_hours: str | None = None
    about: str | None = None
    visible: bool = True


@dataclass(frozen=True, kw_only=True)
class PublicCounsellor:
    user_id: int
    public_name: str
    kind: str
    phone: str | None
    email: str | None
    office_hours: str | None
    about: str | None
    photo_version: int | None  # None: no photo


def _counsellor(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or user.role != Role.COUNSELLOR.value:
        raise NotFound()
    return user


def get_profile(session: Session, user_id: int) -> CounsellorProfile | None:
    """A counsellor's public entry, if saved (public data: no key needed)."""
    return session.get(CounsellorProfile, user_id)


def profile_or_default(session: Session, user_id: int) -> ProfileInput:
    """What the profile form starts with: the stored entry, or the account's name."""
    row = get_profile(session, user_id)
    if row is not None:
        return ProfileInput(public_name=row.public_name, kind=row.kind, phone=row.phone,
                            email=row.email, office_hours=row.office_hours, about=row.about,
                            visible=row.visible)
    user = _counsellor(session, user_id)
    return ProfileInput(public_name=user.display_name, kind="internal", visible=False)


def validate_profile(data: ProfileInput) -> ProfileInput:
    """The entry cleaned, or ValidationFailed naming the field."""
    name = clean(data.public_name, 120, "public_name")
    if name is None:
        raise ValidationFailed(N_("Enter the name shown on the public page."),
                               field="public_name")
    if data.kind not in KINDS:
        raise ValidationFailed(N_("Choose one of the options."), field="kind")
    phone = clean(data.phone, 40, "phone")
    if phone is not None and not _PHONE.match(phone):
        raise ValidationFailed(N_("Enter a phone number of digits, spaces and dashes."),
                               field="phone")
    email = clean(data.email, 254, "email")
    if email is not None and not _EMAIL.match(email):
        raise ValidationFailed(N_("Enter a valid e-mail address."), field="email")
    return ProfileInput(public_name=name, kind=data.kind, phone=phone, email=email,
                        office_hours=clean(data.office_hours, 500, "office_hours"),
                        about=clean(data.about, 1000, "about"), visible=data.visible)


def save_profile(work: Work, user_id: int, data: ProfileInput) -> CounsellorProfile:
    """A counsellor saves their own public entry (the view passes the logged-in user's id)."""
    session = work.session
    _counsellor(session, user_id)
    data = validate_profile(data)
    row = get_profile(session, user_id)
    if row is None:
        row = CounsellorProfile(user_id=user_id, photo_version=0)
        session.add(row)
    row.public_name = data.public_name
    row.kind = data.kind
    row.phone = data.phone
    row.email = data.email
    row.office_hours = data.office_hours
    row.about = data.about
    row.visible = data.visible
    row.updated_at = utcnow()
    work.flush()
    work.audit("profile.update", target_type="user", target_id=user_id, visible=data.visible)
    return row


def process_photo(data: bytes) -> bytes:
    """Decode, check and re-encode an uploaded photo; raise ValidationFailed when unusable."""
    if not data:
        raise ValidationFailed(N_("Choose a photo."), field="photo")
    if len(data) > MAX_PHOTO_BYTES:
        raise ValidationFailed(N_("The photo may be at most 1.5 MB."), field="photo")
    refused = ValidationFailed(N_("Upload a JPEG or PNG photo."), field="photo")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=PHOTO_FORMATS) as image:
                width, height = image.size
                if width * height > MAX_PHOTO_PIXELS or min(width, height) < 32:
                    raise refused
                image.load()
                converted = image.convert("RGB")
    except ValidationFailed:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError,
            Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise refused from None
    side = min(converted.size)
    left = (converted.width - side) // 2
    top = (converted.height - side) // 2
    square = converted.crop((left, top, left + side, top + side))
    square = square.resize((PHOTO_SIZE, PHOTO_SIZE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    square.save(out, format="JPEG", quality=85, optimize=True)
    return out.getvalue()


def set_photo(work: Work, user_id: int, upload: bytes) -> None:
    """Replace the counsellor's photo by the re-encoded upload."""
    row = get_profile(work.session, user_id)
    if row is None:
        raise ValidationFailed(N_("Save your entry first, then add a photo."), field="photo")
    row.photo = process_photo(upload)
    row.photo_version = (row.photo_version or 0) + 1
    row.updated_at = utcnow()
    work.flush()
    work.audit("profile.photo_set", target_type="user", target_id=user_id)


def remove_photo(work: Work, user_id: int) -> None:
    """Remove the counsellor's photo (nothing to do without one)."""
    row = get_profile(work.session, user_id)
    if row is None or row.photo is None:
        return
    row.photo = None
    row.photo_version = (row.photo_version or 0) + 1
    row.updated_at = utcnow()
    work.flush()
    work.audit("profile.photo_remove", target_type="user", target_id=user_id)


def public_counsellors(session: Session) -> list[PublicCounsellor]:
    """Visible entries of active counsellors, internal first, then by name."""
    rows = session.execute(
        select(CounsellorProfile).join(User, User.id == CounsellorProfile.user_id)
        .where(CounsellorProfile.visible.is_(True), User.active.is_(True),
               User.role == Role.COUNSELLOR.value)
    ).scalars()
    found = [PublicCounsellor(
        user_id=row.user_id, public_name=row.public_name, kind=row.kind, phone=row.phone,
        email=row.email, office_hours=row.office_hours, about=row.about,
        photo_version=row.photo_version if row.photo is not None else None,
    ) for row in rows]
    return sorted(found, key=lambda c: (KINDS.index(c.kind) if c.kind in KINDS else 9,
                                        c.public_name.casefold()))


def public_photo(session: Session, user_id: int) -> bytes:
    """The photo of a visible, active counsellor; NotFound for anything else."""
    row = session.get(CounsellorProfile, user_id)
    user = session.get(User, user_id)
    if (row is None or row.photo is None or not row.visible or user is None
            or not user.active or user.role != Role.COUNSELLOR.value):
        raise NotFound()
    return bytes(row.photo)
