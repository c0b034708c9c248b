"""``vp-registry demo`` fills in the demo counsellor's public entry and two anonymous messages
(one answered, readable with the receipt code it prints), once."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from tests.contactwork import as_sender
from tests.support.sessions import db_session_for
from vp_registry.config import Settings
from vp_registry.db.contact import ContactThread
from vp_registry.services.accounts import users
from vp_registry.services.contact import counsellors, receipts, threads
from vp_registry.services.demo.seed import DEMO_USERS
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.vault import unlocking
from vp_registry.services.work import Work


def test_demo_adds_the_public_entry_and_messages_once(
    app: Flask, settings: Settings, runner: FlaskCliRunner
) -> None:
    assert runner.invoke(args=["init"]).exit_code == 0
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    found = re.search(r"ontvangstcode van de demo: ([a-z]+(?: [a-z]+){5})", first.output)
    assert found, first.output
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0, again.output
    assert "Anonieme berichten: al aanwezig" in again.output

    with app.app_context(), db_session_for(app) as session:
        assert session.execute(select(func.count()).select_from(ContactThread)
                               ).scalar_one() == 2
        entries = counsellors.public_counsellors(session)
        assert [e.public_name for e in entries] == ["Marieke de Boer"]
        view = receipts.read_as_sender(as_sender(session, settings), found.group(1))
        assert view.replies == 1 and "Zullen we eens rustig praten?" in (
            view.posts[-1].text or "")
        login = DEMO_USERS[0]
        user = users.find_by_email(session, login.email)
        assert user is not None
        unlocked = unlocking.unlock_with_password(Work(session, settings, Actor.system()), user,
                                                  login.password)
        keys = unlocking.open_keys(session, settings, unlocked)
        inbox = threads.list_threads(Work(session, settings, Actor(user.id, user.role), keys=keys))
        assert [(t.kind, t.unread) for t in inbox] == [("conversation", True),
                                                         ("message", False)]
