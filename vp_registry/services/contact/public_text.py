"""The general text of the public counsellors page, per language (issue 6).

Public information by design, stored in plaintext; the functional administrator edits it.
Lines that start with "- " are shown as a list; an empty line starts a new paragraph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from sqlalchemy.orm import Session

from vp_registry.core.taxonomy import N_
from vp_registry.db import utcnow
from vp_registry.db.contact import PublicText
from vp_registry.services.cleaning import clean
from vp_registry.services.errors import ValidationFailed
from vp_registry.services.work import Work

MAX_TEXT: Final = 4000
LOCALES: Final = ("nl", "en")

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
    """The page's general text in ``locale`` (the defaults until the administrator edits it)."""
    locale = locale if locale in LOCALES else "nl"
    row = session.get(PublicText, locale)
    if row is None:
        return PageText(**DEFAULT_TEXTS[locale])
    return PageText(intro=row.intro, does=row.does, does_not=row.does_not,
                    confidentiality=row.confidentiality)


def save_page_text(work: Work, locale: str, data: PageText) -> None:
    """The functional administrator edits the general text of the public page."""
    session = work.session
    if locale not in LOCALES:
        raise ValidationFailed(N_("Choose one of the options."), field="locale")
    values: dict[str, str] = {}
    for name in TEXT_FIELDS:
        value = clean(getattr(data, name), MAX_TEXT, name)
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
    work.flush()
    work.audit("public_text.update", locale=locale)


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
