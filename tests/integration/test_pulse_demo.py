"""The demo's pulse rounds (issue 16): a released spring round with small offices hidden and a
sealed free text, an open autumn round with codes; once only."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vp_registry.config import Settings
from vp_registry.db.accounts import User
from vp_registry.db.pulse import PulseRound
from vp_registry.services.accounts import organisation
from vp_registry.services.demo import pulse as demo_pulse
from vp_registry.services.demo.seed import DEMO_DEPARTMENTS
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.pulse import comments, results, rounds
from vp_registry.services.work import Work


def test_the_demo_has_a_released_round_and_an_open_one_once(
        db: Session, settings: Settings, work: Work, counsellor: User) -> None:
    system = Work(db, settings, Actor.system())
    ids: dict[str, int] = {}
    for name, headcount, parent in DEMO_DEPARTMENTS:
        ids[name] = organisation.create_department(
            system, name=name, headcount=headcount,
            parent_id=ids[parent] if parent else None).id
    user = counsellor
    lines: list[str] = []
    demo_pulse.add_demo_pulse(system, user, user.test_password,  # type: ignore[attr-defined]
                              lambda message, **values: lines.append(message % values))
    demo_pulse.add_demo_pulse(system, user, user.test_password,  # type: ignore[attr-defined]
                              lambda message, **values: lines.append(message % values))
    assert lines[-1] == "Pulse rounds: already there"
    assert db.execute(select(func.count()).select_from(PulseRound)).scalar_one() == 2
    spring, autumn = sorted(rounds.list_rounds(db), key=lambda r: r.opens_on)
    released = results.released_results(db, spring.id)
    assert released is not None and released.open_round
    shown = {g.label for g in released.groups if g.shown}
    hidden = {g.label for g in released.groups if not g.shown}
    assert {"Werkvoorbereiding en planning", "Directie en staf"} <= hidden
    assert {"Magazijn en logistiek", "Productie ploeg B", "Engineering"} <= shown
    scores = {g.label: g.score for g in released.groups if g.shown}
    assert scores["Magazijn en logistiek"] < 4.5 < scores["Engineering"]  # type: ignore[operator]
    assert released.scope == "shown"
    assert rounds.state(autumn) == rounds.OPEN and autumn.codes_issued == 300
    assert results.released_results(db, autumn.id) is None
    texts = comments.read_comments(work, spring.id)
    assert len(texts) == 3 and {c.group_label for c in texts} >= {"Magazijn en logistiek"}
