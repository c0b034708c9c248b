"""The free texts of a pulse round wait until it has closed (issue 16, pulse-core): read while
it runs, a new text could be tied to whoever was just seen answering."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from tests.casework import department
from tests.support.forms import AuthActions, post_form
from tests.support.sessions import db_session_for
from tests.web.pulse_pages import answer, create_round, public_token
from vp_registry.config import Settings
from vp_registry.db.accounts import User

TEXT = "Het rooster wordt te laat bekend"


def test_comments_open_only_after_the_round_has_closed(
        app: Flask, settings: Settings, counsellor_with_vault: Callable[..., User]) -> None:
    with app.app_context(), db_session_for(app) as session:
        for name in ("Magazijn", "Klantenservice"):  # 80 people: a breakdown by group
            department(session, name, settings, headcount=40)
        session.commit()
    staff = app.test_client()
    assert AuthActions(staff).login(counsellor_with_vault()).status_code == 302
    round_id = create_round(staff, with_codes="open")
    token = public_token(staff, round_id)
    assert answer(app.test_client(), token, group="Magazijn", free_text=TEXT).status_code == 302
    early = staff.get(f"/pulse/{round_id}/comments", follow_redirects=True)
    assert early.status_code == 200 and TEXT not in early.get_data(as_text=True)
    assert post_form(staff, f"/pulse/{round_id}/close", {"confirmed": "1"},
                     form_page=f"/pulse/{round_id}").status_code == 302
    assert TEXT in staff.get(f"/pulse/{round_id}/comments").get_data(as_text=True)
