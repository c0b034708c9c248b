"""The demo's client organisations (issue 17): two technical companies served by one
external counsellor, each in a database of its own; the home organisation's demo unchanged;
safe to run again."""

from __future__ import annotations

from datetime import date

from flask import Flask
from sqlalchemy import func, select

from tests.organisationwork import databases_of
from tests.support.sessions import db_session_for
from vp_registry.app_state import app_state
from vp_registry.config import Settings
from vp_registry.db.accounts import User
from vp_registry.db.cases import Case
from vp_registry.db.reports import Activity
from vp_registry.services.demo import clients
from vp_registry.services.demo.clients import CLIENT_DEMOS, EXTERNAL_COUNSELLOR
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.organisations import registry
from vp_registry.services.organisations.registry import Organisation
from vp_registry.services.organisations.settings import settings_for
from vp_registry.services.vault import unlocking
from vp_registry.services.work import Work

TODAY = date(2026, 11, 25)


class _State:
    def __init__(self, app: Flask, settings: Settings, organisation: Organisation) -> None:
        self.settings = settings_for(settings, organisation)
        self.session_factory = databases_of(app).session_factory(organisation)


def _quiet(*_args: object, **_values: object) -> None:
    """No progress lines."""


def _count(app: Flask, organisation: Organisation, model: type) -> int:
    with databases_of(app).session_factory(organisation)() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def test_two_client_organisations_with_one_external_counsellor(app: Flask,
                                                              settings: Settings) -> None:
    def state_of(organisation: Organisation) -> _State:
        return _State(app, settings, organisation)

    with db_session_for(app) as session:
        home_users = session.execute(select(func.count()).select_from(User)).scalar_one()
    made = clients.create_client_demo(databases_of(app), settings, state_of,
                                      _quiet, today=TODAY)
    assert [org.slug for org in made] == [demo.slug for demo in CLIENT_DEMOS]
    for organisation, demo in zip(made, CLIENT_DEMOS, strict=True):
        assert _count(app, organisation, Case) == len(demo.cases)
        assert _count(app, organisation, Activity) == len(demo.activities)
        with databases_of(app).session_factory(organisation)() as session:
            user = session.execute(select(User).where(
                User.email == EXTERNAL_COUNSELLOR.email)).scalar_one()
            own = settings_for(settings, organisation)
            key = unlocking.unlock_with_password(Work(session, own, Actor.system()), user,
                                                 EXTERNAL_COUNSELLOR.password)
            assert key is not None  # the counsellor opens this organisation's case files
    again = clients.create_client_demo(databases_of(app), settings, state_of,
                                       _quiet, today=TODAY)
    assert [org.id for org in again] == [org.id for org in made]
    assert [_count(app, org, Case) for org in again] == [len(d.cases) for d in CLIENT_DEMOS]
    with app_state(app).session_factory() as session:  # the home organisation: no new user
        assert session.execute(select(func.count()).select_from(User)).scalar_one() == \
            home_users
        assert len(registry.list_organisations(session)) == 1 + len(CLIENT_DEMOS)
