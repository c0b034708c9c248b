"""``vp-registry demo`` includes last year's annual report, finalised through the ledger, and a
draft for this year (which is not over), with activities in both years - once."""

from __future__ import annotations

from datetime import date

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from tests.support.sessions import db_session_for
from vp_registry.config import Settings
from vp_registry.db.disclosure import DisclosureRelease
from vp_registry.services.accounts import users
from vp_registry.services.demo.seed import DEMO_USERS
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.reports import activities, archive, drafts, finalising
from vp_registry.services.vault import unlocking
from vp_registry.services.work import Work


def test_demo_has_a_final_report_for_last_year_and_a_draft_for_this_year(
    app: Flask, settings: Settings, runner: FlaskCliRunner
) -> None:
    assert runner.invoke(args=["init"]).exit_code == 0
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    today = date.today()
    last, this = today.year - 1, today.year
    assert f"Jaarverslagen: {last} vastgesteld, {this} concept" in first.output
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0 and "Jaarverslagen: al aanwezig" in again.output

    with app.app_context(), db_session_for(app) as session:
        assert [(v.year, v.version) for v in archive.published(session)] == [(last, 1)]
        assert [v.status for v in archive.versions(session, this)] == ["draft"]
        release = session.execute(select(DisclosureRelease).where(
            DisclosureRelease.kind == "report")).scalar_one()
        assert release.reference == f"report-{last}-v1"
        _, report = archive.final_report(session, last)
        assert "Toolbox Sociaal Veilig Werken" in " ".join(
            report.section("recommendations").paragraphs)
        assert report.table("activities").rows[-1].cells[0].value == 9  # all nine activities

        login = DEMO_USERS[0]
        user = users.find_by_email(session, login.email)
        assert user is not None
        keys = unlocking.open_keys(session, settings, unlocking.unlock_with_password(
            Work(session, settings, Actor.system()), user, login.password))
        assert len(activities.list_activities(Work(session, settings, Actor.anonymous(), keys=keys),
                                              last)) == 9
        draft = drafts.get_draft(Work(session, settings, Actor.anonymous(), keys=keys), this)
        assert draft is not None and draft.stored
        preview = finalising.preview(Work(session, settings, Actor.anonymous(), keys=keys), this)
        assert preview.draft and preview.year == this
