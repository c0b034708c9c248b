"""Demo data of the anonymous channel (issue 6): the demo counsellor's public entry and two
anonymous messages, one answered. Fictional, idempotent, encrypted like real messages.

The receipt code of the answered message is printed by ``vp-registry demo`` so that whoever
tries the demo can read the reply as the sender would (a demo code protects nothing real).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import func, select

from vp_registry.core.taxonomy import N_
from vp_registry.db.accounts import User
from vp_registry.db.contact import ContactThread
from vp_registry.db.organisation import Department
from vp_registry.services.contact import channel, counsellors, sealing, threads
from vp_registry.services.contact.channel import Submission
from vp_registry.services.contact.counsellors import ProfileInput
from vp_registry.services.demo import acting
from vp_registry.services.work import Work

DEMO_PROFILE = ProfileInput(
    public_name="Marieke de Boer",
    kind="internal",
    phone="06-12345678",
    email="vertrouwenspersoon@voorbeeld.nl",
    office_hours="Dinsdag en donderdag 8:00-10:00 in kamer 1.12 (kantoorgebouw, naast de "
                 "kantine), of op afspraak. Ook 's avonds bellen kan.",
    about="Ik werk sinds 2012 als werkvoorbereider en ben sinds 2022 vertrouwenspersoon. "
          "Je kunt me bellen, mailen of gewoon even binnenlopen.",
    visible=True,
)

ANSWERED = Submission(
    kind="message",
    message=("Sinds ik van ploeg A naar het magazijn ben gegaan, word ik bij de pauze steeds "
             "overgeslagen. Als ik aanschuif, gaan ze ergens anders zitten. Vorige week lag mijn "
             "kluisje vol met koffiedik. Ik weet niet of ik hier iets mee moet, maar ik zie er "
             "elke ochtend tegenop."),
    category="uitsluiting",
)
ANSWER = ("Dank je wel dat je dit laat weten. Wat je beschrijft klinkt vervelend, en het is "
          "goed dat je het niet laat rusten. Je hoeft nog niets te beslissen. Zullen we eens "
          "rustig praten? Dat kan op dinsdag of donderdag vroeg in kamer 1.12, of buiten het "
          "bedrijf als je dat prettiger vindt. Laat hier weten wat je past; je hoeft je naam "
          "pas te noemen als je daar zelf aan toe bent.")
REQUEST = Submission(
    kind="conversation",
    message=("Ik wil graag een keer praten over de sfeer in ploeg C. Er worden veel grappen "
             "gemaakt over vrouwen en ik weet niet goed hoe ik daar iets van kan zeggen."),
    category="seksisme",
    contact="Bel me liever na 16:00 op 06-98765432.",
)


def add_demo_contact(
    work: Work, counsellor: User, password: str, progress: Callable[..., object], *,
    today: date | None = None,
) -> str | None:
    """Add the demo profile and messages once; returns the demo receipt code (new only)."""
    today = today or date.today()
    session = work.session
    if counsellors.get_profile(session, counsellor.id) is None:
        counsellors.save_profile(acting.as_user(work, counsellor), counsellor.id, DEMO_PROFILE)
    if session.execute(select(func.count()).select_from(ContactThread)).scalar_one():
        progress(N_("Anonymous messages: already present"))
        return None
    as_counsellor = acting.as_counsellor(work, counsellor, password)
    departments = {d.name: d.id for d in session.execute(select(Department)).scalars()}
    answered = Submission(kind=ANSWERED.kind, message=ANSWERED.message,
                          category=ANSWERED.category,
                          department_id=departments.get("Magazijn en logistiek"))
    sender = acting.as_anonymous(work)
    code = channel.submit(sender, answered, today=today - timedelta(days=6))
    thread_id = session.execute(select(ContactThread.id).where(
        ContactThread.lookup == sealing.lookup_id(code))).scalar_one()
    threads.read_thread(as_counsellor, thread_id)
    threads.reply(as_counsellor, thread_id, ANSWER, author_name=DEMO_PROFILE.public_name,
                  today=today - timedelta(days=5))
    request = Submission(kind=REQUEST.kind, message=REQUEST.message, category=REQUEST.category,
                         contact=REQUEST.contact,
                         department_id=departments.get("Productie ploeg C"))
    channel.submit(sender, request, today=today - timedelta(days=1))
    progress(N_("Anonymous messages: 2 (one answered; read the reply at /contact/replies "
                "with the demo receipt code: %(code)s)"), code=code)
    return code
