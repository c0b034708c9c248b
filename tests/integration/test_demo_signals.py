"""``vp-registry demo`` yields real candidate signals and one released signal with follow-up,
created through the same service as the web page (and so through the ledger), once."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from tests.support.sessions import db_session_for
from vp_registry.config import Settings
from vp_registry.core.signals import CONCENTRATION, RECURRENCE
from vp_registry.db.disclosure import DisclosureFigure, DisclosureRelease
from vp_registry.db.signals import ReleasedSignal, SignalFollowUp
from vp_registry.services.accounts import users
from vp_registry.services.demo.seed import DEMO_USERS
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.signals import reviewing
from vp_registry.services.vault import unlocking
from vp_registry.services.work import Work


def _count(session: object, model: type) -> int:
    return int(session.execute(  # type: ignore[attr-defined]
        select(func.count()).select_from(model)).scalar_one())


def test_demo_releases_one_signal_with_follow_up_and_leaves_candidates(
    app: Flask, settings: Settings, runner: FlaskCliRunner
) -> None:
    assert runner.invoke(args=["init"]).exit_code == 0
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "1 vrijgegeven met een opvolging" in first.output
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0, again.output
    assert "Signalen: al aanwezig" in again.output

    with app.app_context(), db_session_for(app) as session:
        assert _count(session, ReleasedSignal) == 1
        assert _count(session, SignalFollowUp) == 1
        row = session.execute(select(ReleasedSignal)).scalar_one()
        assert (row.group_label, row.category, row.kind) == \
            ("Magazijn en logistiek", "pesten", CONCENTRATION)
        assert row.acknowledged_at is not None
        signal_figures = list(session.execute(
            select(DisclosureFigure).join(DisclosureRelease,
                                          DisclosureRelease.id == DisclosureFigure.release_id)
            .where(DisclosureRelease.kind == "signal")).scalars())  # the demo report has more
        assert len(signal_figures) == 1
        assert (signal_figures[0].low, signal_figures[0].high) == (row.band_low, row.band_high)

        login = DEMO_USERS[0]
        user = users.find_by_email(session, login.email)
        assert user is not None
        unlocked = unlocking.unlock_with_password(Work(session, settings, Actor.system()), user,
                                                  login.password)
        keys = unlocking.open_keys(session, settings, unlocked)
        review = reviewing.review(Work(session, settings, Actor(user.id, user.role), keys=keys))
        kinds = {view.candidate.kind for view in review.open}
        assert RECURRENCE in kinds and CONCENTRATION in kinds
        assert any(view.candidate.category == "seksisme" for view in review.open)
        assert [view.released for view in review.released] == [row]
