"""Demo data of the pulse (issue 16): two rounds in the demo's technical company, answered
the way the toolbox describes such a workplace - most teams fairly safe, the warehouse and
production shift B less so (the demo cases show bullying there), the small offices with too
few answers to be shown. Fictional, deterministic, idempotent.

* "Pulsmeting voorjaar": an open round (no codes) that ran in the spring, closed and released
  to management, with a few free texts (sealed like real ones).
* "Pulsmeting najaar": a round with invitation codes, open now, partly answered.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, timedelta
from typing import Final

from sqlalchemy import select

from vp_registry.core.pulse.questions import SAFETY_STATEMENTS, TOOLBOX_CODES
from vp_registry.core.taxonomy import N_
from vp_registry.db.accounts import User
from vp_registry.db.pulse import PulseRound
from vp_registry.services.accounts import organisation
from vp_registry.services.demo import acting
from vp_registry.services.pulse import codes, responding, results, rounds
from vp_registry.services.work import Work

SPRING: Final = "Pulsmeting voorjaar"
AUTUMN: Final = "Pulsmeting najaar"
# group label -> (responses in spring, in autumn so far, how safe the team feels 1..7)
CLIMATE: Final[dict[str, tuple[int, int, float]]] = {
    "Productie": (31, 12, 5.3),
    "Productie ploeg A": (18, 9, 5.0),
    "Productie ploeg B": (15, 6, 3.7),
    "Monteurs buitendienst": (22, 8, 5.2),
    "Engineering": (17, 7, 5.6),
    "Magazijn en logistiek": (11, 5, 3.4),
    "Kantoor": (9, 3, 5.5),
    "Werkvoorbereiding en planning": (4, 2, 4.8),
    "Directie en staf": (3, 1, 5.9),
}
FREE_TEXTS: Final = (
    ("Magazijn en logistiek", "De grappen bij de pauze gaan soms echt te ver en niemand "
                              "zegt er iets van. Ook de teamleider niet."),
    ("Productie ploeg B", "Als je een fout meldt, hoor je daar weken later nog over. Dan "
                          "meld je het de volgende keer maar niet."),
    ("Engineering", "Fijn dat dit gevraagd wordt. Misschien vaker terugkoppelen wat er met "
                    "de uitkomsten gebeurt?"),
)


def _noise(*parts: object) -> float:
    """A fixed pseudo-random number in [-1, 1] (triangular) for the demo's answers: the same
    every run, no random generator (tests/unit/test_crypto_hygiene.py)."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return (digest[0] + digest[1]) / 255 - 1.0


def _answers(who: tuple[object, ...], safety: float, codes_asked: tuple[str, ...]
             ) -> dict[str, int]:
    """One respondent: a personal level around the team's, every item a little apart."""
    person = safety + 1.2 * _noise(*who)
    reversed_codes = {s.code for s in SAFETY_STATEMENTS if s.reversed} | {"tb3"}
    values: dict[str, int] = {}
    for code in codes_asked:
        scored = min(7, max(1, round(person + 1.4 * _noise(*who, code))))
        values[code] = 8 - scored if code in reversed_codes else scored
    return values


def _answer(work: Work, row: PulseRound, index: int, day: date,
            code_for: Callable[[], str | None]) -> None:
    asked = tuple(s.code for s in rounds.statements_of(work.session, row.id))
    keys = {g.label: g.key for g in rounds.groups_of(work.session, row.id)}
    texts = dict(FREE_TEXTS) if index == 0 else {}
    for label, (spring, autumn, safety) in CLIMATE.items():
        if label not in keys:
            continue
        for n in range(spring if index == 0 else autumn):
            responding.submit_response(
                work.session, work.settings, row.public_token, group_key=keys[label],
                answers=_answers((label, index, n), safety, asked), code=code_for(),
                free_text=texts.get(label) if n == 0 else None, today=day)


def add_demo_pulse(work: Work, counsellor: User, password: str,
                   progress: Callable[..., object], *, today: date | None = None) -> None:
    """The two demo rounds (once); the spring round released by the demo counsellor."""
    session = work.session
    today = today or date.today()
    titles = set(session.execute(select(PulseRound.title)).scalars())
    if SPRING in titles or AUTUMN in titles:
        progress(N_("Pulse rounds: already there"))
        return
    as_counsellor = acting.as_counsellor(work, counsellor, password)
    departments = [d.id for d in organisation.list_departments(session, active_only=True)]
    spring_start = today - timedelta(days=240)
    spring = rounds.create_round(
        as_counsellor, title=SPRING, opens_on=spring_start,
        closes_on=spring_start + timedelta(days=20), department_ids=departments,
        statement_codes=TOOLBOX_CODES, with_codes=False, today=spring_start)
    _answer(as_counsellor, spring, 0, spring_start + timedelta(days=3), lambda: None)
    rounds.close_round(as_counsellor, spring.id, today=spring_start + timedelta(days=20))
    results.release_results(as_counsellor, spring.id, today=spring_start + timedelta(days=21))
    autumn = rounds.create_round(
        as_counsellor, title=AUTUMN, opens_on=today - timedelta(days=10),
        closes_on=today + timedelta(days=11), department_ids=departments,
        statement_codes=("tb1",), today=today - timedelta(days=10))
    issued = iter(codes.issue_codes(as_counsellor, autumn.id, 300, today=today))
    _answer(as_counsellor, autumn, 1, today - timedelta(days=2), lambda: next(issued))
    progress(N_("Pulse rounds: %(count)s (one released, one open)"), count=2)
