"""Demo signals: release one real candidate through disclosure control, with follow-up.

Runs after the demo cases (``demo_cases``): the bullying cases in "Magazijn en logistiek" form a
concentration in the last four complete quarters whatever the date. The demo counsellor
releases it exactly as on the web page (``signals.release``: the auditor checks it against the
ledger), and the demo manager acknowledges it and records what was done, in the words of the
"Toolbox Sociaal Veilig Werken". The other candidates (sexism among the field engineers, two
cases naming the same person) stay for the counsellor to review. Idempotent: nothing happens
once any signal has been released.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Final

from sqlalchemy import func, select

from vp_registry.core.signals import CONCENTRATION
from vp_registry.core.taxonomy import N_
from vp_registry.db.accounts import User
from vp_registry.db.signals import ReleasedSignal
from vp_registry.services.accounts import organisation
from vp_registry.services.demo import acting
from vp_registry.services.signals import management, publishing, reviewing
from vp_registry.services.signals.publishing import ReleaseDraft
from vp_registry.services.work import Work

DEMO_DEPARTMENT: Final = "Magazijn en logistiek"
DEMO_CATEGORY: Final = "pesten"
DEMO_DRAFT: Final = ReleaseDraft(
    context=(
        "In het magazijn komen meerdere meldingen binnen over pesten: 'grappen' die al maanden "
        "doorgaan, collega's die worden buitengesloten, en uitschelden voor de groep bij een "
        "fout. Melders geven aan dat ze daardoor minder snel iets durven te zeggen, ook over "
        "onveilige situaties. Sociale veiligheid is hier de basis voor fysieke veiligheid."
    ),
    actions=("team_talk", "training", "other"),
    other_action="Weekstart check-in uit de Toolbox Sociaal Veilig Werken invoeren",
)
DEMO_FOLLOW_UP: Final = (
    "Teamgesprek gehouden met beide ploegen van het magazijn over omgangsvormen en grappen die "
    "te ver gaan; afgesproken dat iedereen elkaar daarop aanspreekt. Toolbox-sessie Sociaal "
    "Veilig Werken (60 minuten) ingepland met de teamleiders."
)


def add_demo_signals(
    work: Work, counsellor: User, password: str, manager: User | None,
    progress: Callable[..., object], *, today: date | None = None,
) -> ReleasedSignal | None:
    today = today or date.today()
    session = work.session
    if session.execute(select(func.count()).select_from(ReleasedSignal)).scalar_one():
        progress(N_("Signals: already present"))
        return None
    system, work = work, acting.as_counsellor(work, counsellor, password)
    departments = {d.name: d.id for d in organisation.list_departments(session)}
    review = reviewing.review(work, today=today)
    wanted = [view for view in review.open
              if view.candidate.kind == CONCENTRATION
              and view.candidate.category == DEMO_CATEGORY
              and view.releasable
              and str(departments.get(DEMO_DEPARTMENT)) == view.candidate.group_key]
    if not wanted:
        progress(N_("Signals: no candidate to release"))
        return None
    row = publishing.release(work, wanted[0].token, DEMO_DRAFT, today=today)
    if manager is not None:
        management.add_follow_up(acting.as_user(system, manager), row.id,
                                 done_on=today - timedelta(days=3), description=DEMO_FOLLOW_UP,
                                 today=today)
    remaining = len(review.open) - 1
    progress(N_("Signals: 1 released with a follow-up; %(remaining)s candidates to review"),
             remaining=remaining)
    return row
