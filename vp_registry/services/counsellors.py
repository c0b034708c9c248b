"""The public counsellors page: who the counsellors are and what they do (issue 6).

Everything here is public information by design, stored in plaintext: a counsellor's own entry
(name, internal or external, phone, e-mail, office hours, a short text and an optional photo)
and the general text of the page, which the functional administrator edits per language.

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

from vp_registry.config import Settings
from vp_registry.core.taxonomy import N_, Role
from vp_registry.db import utcnow
from vp_registry.db.accounts import User
from vp_registry.db.contact import CounsellorProfile, PublicText
from vp_registry.services import audit
from vp_registry.services.audit import Actor
from vp_registry.services.errors import NotFound, ValidationFailed

KINDS: Final = ("internal", "external")
KIND_LABELS: Final = {"internal": N_("Internal confidential counsellor"),
                      "external": N_("External confidential counsellor")}
MAX_PHOTO_BYTES: Final = 1_500_000
MAX_PHOTO_PIXELS: Final = 40_000_000  # refuse decompression bombs before decoding
PHOTO_SIZE: Final = 400
PHOTO_FORMATS: Final = ("JPEG", "PNG")
MAX_TEXT: Final = 4000
LOCALES: Final = ("nl", "en")
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


def _clean(value: str | None, limit: int, field: str) -> str | None:
    if value is None:
        return None
    value = value.replace("\r\n", "\n").strip()
    if not value:
        return None
    if len(value) > limit:
        raise ValidationFailed(N_("Use at most %(limit)s characters."), field=field, limit=limit)
    return value


def _counsellor(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or user.role != Role.COUNSELLOR.value:
        raise NotFound()
    return user


def get_profile(session: Session, user_id: int) -> CounsellorProfile | None:
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
    name = _clean(data.public_name, 120, "public_name")
    if name is None:
        raise ValidationFailed(N_("Enter the name shown on the public page."),
                               field="public_name")
    if data.kind not in KINDS:
        raise ValidationFailed(N_("Choose one of the options."), field="kind")
    phone = _clean(data.phone, 40, "phone")
    if phone is not None and not _PHONE.match(phone):
        raise ValidationFailed(N_("Enter a phone number of digits, spaces and dashes."),
                               field="phone")
    email = _clean(data.email, 254, "email")
    if email is not None and not _EMAIL.match(email):
        raise ValidationFailed(N_("Enter a valid e-mail address."), field="email")
    return ProfileInput(public_name=name, kind=data.kind, phone=phone, email=email,
                        office_hours=_clean(data.office_hours, 500, "office_hours"),
                        about=_clean(data.about, 1000, "about"), visible=data.visible)


def save_profile(session: Session, settings: Settings, actor: Actor, user_id: int,
                 data: ProfileInput) -> CounsellorProfile:
    """A counsellor saves their own public entry (the view passes the logged-in user's id)."""
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
    session.flush()
    audit.record(session, settings.audit_key, actor, "profile.update",
                 target_type="user", target_id=user_id, visible=data.visible)
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


def set_photo(session: Session, settings: Settings, actor: Actor, user_id: int,
              upload: bytes) -> None:
    row = get_profile(session, user_id)
    if row is None:
        raise ValidationFailed(N_("Save your entry first, then add a photo."), field="photo")
    row.photo = process_photo(upload)
    row.photo_version = (row.photo_version or 0) + 1
    row.updated_at = utcnow()
    session.flush()
    audit.record(session, settings.audit_key, actor, "profile.photo_set",
                 target_type="user", target_id=user_id)


def remove_photo(session: Session, settings: Settings, actor: Actor, user_id: int) -> None:
    row = get_profile(session, user_id)
    if row is None or row.photo is None:
        return
    row.photo = None
    row.photo_version = (row.photo_version or 0) + 1
    row.updated_at = utcnow()
    session.flush()
    audit.record(session, settings.audit_key, actor, "profile.photo_remove",
                 target_type="user", target_id=user_id)


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


# --------------------------------------------------------------- general text

# The defaults, after the "Toolbox Sociaal Veilig Werken" of the technical sector. Lines that
# start with "- " are shown as a list; an empty line starts a new paragraph.
DEFAULT_TEXTS: Final[dict[str, dict[str, str]]] = {
    "nl": {
        "intro": (
            "Wil je in contact komen met een vertrouwenspersoon, maar vind je het spannend? "
            "Dat is begrijpelijk. Je kunt met elk groot of klein probleem bij ons terecht: "
            "pesten, seksuele intimidatie, uitsluiting of discriminatie, agressie, of een "
            "vermoeden van een integriteitsschending.\n\n"
            "Een gesprek duurt meestal 30 tot 60 minuten. Je kunt zelf contact opnemen, of "
            "iemand anders kan je erop wijzen dat dit kan."
        ),
        "does": (
            "- Luistert naar jouw verhaal, zonder oordeel.\n"
            "- Denkt met je mee over wat je kunt doen en wat de volgende stap kan zijn.\n"
            "- Helpt als je niet weet waar je terecht kunt of hoe je iets kunt melden, en "
            "verwijst je door als dat nodig is (bijvoorbeeld naar de bedrijfsarts of "
            "maatschappelijk werk).\n"
            "- Begeleidt je bij een formele klacht of een melding, als je dat wilt.\n"
            "- Ziet patronen als er vaker iets speelt in een team of afdeling, en meldt dat "
            "zonder namen aan de directie, zodat er iets aan gedaan kan worden."
        ),
        "does_not": (
            "- Beslist niet voor jou en onderneemt niets zonder jouw toestemming.\n"
            "- Doet geen onderzoek naar wat er is gebeurd en oordeelt niet over wie gelijk "
            "heeft.\n"
            "- Is geen advocaat, therapeut of bemiddelaar.\n"
            "- Vertelt niets door aan je leidinggevende, HR of collega's zonder jouw "
            "toestemming."
        ),
        "confidentiality": (
            "Alles wat je met de vertrouwenspersoon bespreekt, blijft vertrouwelijk. De "
            "vertrouwenspersoon heeft geheimhoudingsplicht en deelt niets zonder jouw "
            "toestemming; alleen bij acuut gevaar voor jou of voor anderen kan dat anders "
            "zijn.\n\n"
            "Aantekeningen worden versleuteld bewaard: alleen vertrouwenspersonen kunnen ze "
            "lezen. De directie krijgt alleen geanonimiseerde aantallen, nooit namen of "
            "verhalen."
        ),
    },
    "en": {
        "intro": (
            "Would you like to talk to a confidential counsellor, but does it feel like a big "
            "step? That is understandable. You can come to us with any problem, big or small: "
            "bullying, sexual harassment, exclusion or discrimination, aggression, or a "
            "suspected breach of integrity.\n\n"
            "A conversation usually takes 30 to 60 minutes. You can get in touch yourself, or "
            "someone else can point you to us."
        ),
        "does": (
            "- Listens to your story, without judging.\n"
            "- Thinks along with you about what you can do and what the next step could be.\n"
            "- Helps when you do not know where to go or how to report something, and refers "
            "you on where needed (for example to the company doctor or social work).\n"
            "- Supports you with a formal complaint or report, if you want to make one.\n"
            "- Notices patterns when something happens more often in a team or department, "
            "and tells management about it without names, so that something can be done."
        ),
        "does_not": (
            "- Does not decide for you and does nothing without your consent.\n"
            "- Does not investigate what happened and does not judge who is right.\n"
            "- Is not a lawyer, therapist or mediator.\n"
            "- Tells nothing to your manager, HR or colleagues without your consent."
        ),
        "confidentiality": (
            "Everything you discuss with a confidential counsellor stays confidential. The "
            "counsellor is bound to secrecy and shares nothing without your consent; only "
            "when you or others are in acute danger can that be different.\n\n"
            "Notes are stored encrypted: only confidential counsellors can read them. "
            "Management only receives anonymised numbers, never names or stories."
        ),
    },
}
TEXT_FIELDS: Final = ("intro", "does", "does_not", "confidentiality")


@dataclass(frozen=True, kw_only=True)
class PageText:
    intro: str
    does: str
    does_not: str
    confidentiality: str


@dataclass(frozen=True)
class Block:
    """A paragraph (``items`` empty) or a bulleted list, for the template to render escaped."""

    text: str
    items: tuple[str, ...] = ()


def page_text(session: Session, locale: str) -> PageText:
    locale = locale if locale in LOCALES else "nl"
    row = session.get(PublicText, locale)
    if row is None:
        return PageText(**DEFAULT_TEXTS[locale])
    return PageText(intro=row.intro, does=row.does, does_not=row.does_not,
                    confidentiality=row.confidentiality)


def save_page_text(session: Session, settings: Settings, actor: Actor, locale: str,
                   data: PageText) -> None:
    """The functional administrator edits the general text of the public page."""
    if locale not in LOCALES:
        raise ValidationFailed(N_("Choose one of the options."), field="locale")
    values: dict[str, str] = {}
    for name in TEXT_FIELDS:
        value = _clean(getattr(data, name), MAX_TEXT, name)
        if value is None:
            raise ValidationFailed(N_("This text cannot be empty."), field=name)
        values[name] = value
    row = session.get(PublicText, locale)
    if row is None:
        row = PublicText(locale=locale, **values)
        session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
    row.updated_at = utcnow()
    session.flush()
    audit.record(session, settings.audit_key, actor, "public_text.update", locale=locale)


def blocks(text: str) -> list[Block]:
    """Paragraphs and "- " lists of a plain text (no markup is ever interpreted)."""
    found: list[Block] = []
    for chunk in re.split(r"\n\s*\n", text.strip()):
        lines = [line.strip() for line in chunk.splitlines() if line.strip()]
        if not lines:
            continue
        if all(line.startswith("- ") for line in lines):
            found.append(Block("", tuple(line[2:].strip() for line in lines)))
        else:
            found.append(Block(" ".join(lines)))
    return found
