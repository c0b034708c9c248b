"""Demo annual reports: last year's finalised, this year's a draft - through the same services.

Runs after the demo cases and signals. The demo counsellor logs activities in both years
(information sessions with the "Toolbox Sociaal Veilig Werken", office hours, a meeting with
management, peer review), writes the introduction and recommendations, and finalises last
year's report exactly as on the web page (``reports.finalise``: the auditor checks every figure
against the ledger, including the demo signal). This year is not over, so its report stays a
draft. Idempotent: nothing happens once any annual report exists.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Final

from sqlalchemy import func, select

from vp_registry.core.report import ReportTexts
from vp_registry.core.taxonomy import N_
from vp_registry.db.accounts import User
from vp_registry.db.reports import AnnualReportRow
from vp_registry.services.demo import acting
from vp_registry.services.reports import activities, drafts, finalising, refusals
from vp_registry.services.reports.activities import ActivityInput
from vp_registry.services.work import Work

# (month, day, kind, hours, description): the same rhythm each year
DEMO_ACTIVITIES: Final = (
    (1, 21, "management_meeting", Decimal("1.5"),
     "Jaargesprek met de directie: het jaarverslag en de aandachtspunten voor dit jaar."),
    (2, 12, "presentation", Decimal("2"),
     "Voorlichting voor nieuwe medewerkers: wat doet de vertrouwenspersoon?"),
    (3, 18, "training", Decimal("3.5"),
     "Toolbox Sociaal Veilig Werken met de teamleiders van productie (omstandersgedrag)."),
    (4, 9, "office_hours", Decimal("2"), "Spreekuur in de kantine van het magazijn."),
    (5, 28, "peer_review", Decimal("3"), "Intervisie met vertrouwenspersonen uit de regio."),
    (6, 17, "presentation", Decimal("1"), "Toolboxmeeting monteurs buitendienst."),
    (9, 10, "office_hours", Decimal("2"), "Spreekuur bij de ploegwissel van productie."),
    (10, 7, "training", Decimal("4"), "Training 'Grenzen aangeven' voor het magazijn."),
    (11, 19, "other", Decimal("1.5"), "Artikel in het personeelsblad over sociale veiligheid."),
)

INTRODUCTION: Final = (
    "Dit is het jaarverslag van de vertrouwenspersoon ongewenst gedrag over {year}. Het is "
    "bestemd voor de directie en de ondernemingsraad.\n\n"
    "Marieke de Boer is de interne vertrouwenspersoon. Medewerkers kunnen haar bereiken via "
    "het spreekuur, telefonisch en via het anonieme contactformulier op de website. Wat zij "
    "bespreken blijft vertrouwelijk: dit verslag bevat alleen geanonimiseerde aantallen, en "
    "kleine aantallen worden niet getoond."
)
RECOMMENDATIONS: Final = (
    "Het magazijn vraagt blijvend aandacht: er kwamen meerdere meldingen over pesten en "
    "'grappen' die te ver gaan. Zet de Toolbox Sociaal Veilig Werken daar structureel in, met "
    "een korte check-in bij de weekstart.\n\n"
    "Leidinggevenden spelen een sleutelrol. Bied teamleiders een training aan in het bespreekbaar "
    "maken van ongewenst gedrag en het reageren op een melding.\n\n"
    "Maak de vertrouwenspersoon beter zichtbaar voor monteurs in de buitendienst, bijvoorbeeld "
    "met een vast moment in de toolboxmeetings."
)
DRAFT_RECOMMENDATIONS: Final = (
    "(Concept) Aandachtspunten tot nu toe: het vervolg op het signaal uit het magazijn, en de "
    "bereikbaarheid voor de buitendienst."
)


def add_demo_reports(
    work: Work, counsellor: User, password: str, progress: Callable[..., object], *,
    today: date | None = None,
) -> None:
    today = today or date.today()
    if work.session.execute(select(func.count()).select_from(AnnualReportRow)).scalar_one():
        progress(N_("Annual reports: already present"))
        return
    work = acting.as_counsellor(work, counsellor, password)
    last, this = today.year - 1, today.year
    logged = 0
    for year in (last, this):
        for month, day, kind, hours, description in DEMO_ACTIVITIES:
            held_on = date(year, month, day)
            if held_on <= today:
                activities.create_activity(work, ActivityInput(
                    held_on=held_on, activity_type=kind, hours=hours, description=description),
                    today=today)
                logged += 1
    version = drafts.save_texts(
        work, last, 0,
        ReportTexts(INTRODUCTION.format(year=last), RECOMMENDATIONS), "nl", today=today)
    try:
        finalising.finalise(work, last, version.revision, today=today)
        finalised = True
    except refusals.ReportBlocked:  # its explanation is for the counsellor's screen only
        finalised = False
    drafts.save_texts(work, this, 0,
                      ReportTexts(INTRODUCTION.format(year=this), DRAFT_RECOMMENDATIONS), "nl",
                      today=today)
    if finalised:
        progress(N_("Annual reports: %(last)s finalised, %(this)s draft; %(logged)s activities"),
                 last=last, this=this, logged=logged)
    else:
        progress(N_("Annual reports: %(last)s draft (cannot be released), %(this)s draft; "
                    "%(logged)s activities"), last=last, this=this, logged=logged)
