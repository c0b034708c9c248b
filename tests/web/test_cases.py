"""The counsellor's case work through the test client, and who may not reach it."""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.casework import VaultSetup, case_input, create_vault, department, grant, unlock
from tests.integration.test_case_secrecy import database_bytes
from tests.support.forms import AuthActions, csrf_token, post_form
from tests.support.sessions import db_session_for
from vp_registry.config import Settings
from vp_registry.db.accounts import User
from vp_registry.db.audit import AuditEntry
from vp_registry.db.cases import Case, CaseListingIndex
from vp_registry.services.accounts import users
from vp_registry.services.cases import conversations as case_conversations
from vp_registry.services.cases import lifecycle, records
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.work import Work
from vp_registry.web.i18n import LOCALE_COOKIE

TODAY = date.today()
REFERENCE = re.compile(r"VP-\d{4}-[0-9A-Z]{4}")


def _filtered(client: FlaskClient, **choices: str) -> Any:
    """The case list with a filter: POSTed, then the plain list URL (issue 11, item 3)."""
    response = post_form(client, "/cases/filter", choices, form_page="/cases/")
    assert response.status_code == 303 and response.headers["Location"] == "/cases/"
    return client.get("/cases/")


@pytest.fixture(autouse=True)
def english(client: FlaskClient) -> None:
    """These tests read English source strings; the Dutch catalogue is tested elsewhere."""
    client.set_cookie(LOCALE_COOKIE, "en")


@pytest.fixture
def vault_setup(app: Flask, settings: Settings) -> VaultSetup:
    return create_vault(app, settings)


@pytest.fixture
def dept_id(app: Flask, settings: Settings) -> int:
    with app.app_context(), db_session_for(app) as session:
        found = department(session, "Magazijn en logistiek", settings).id
        department(session, "Werkplaats", settings)
        session.commit()
        return found


@pytest.fixture
def counsellor(app: Flask, settings: Settings, client: FlaskClient,
               create_user: Callable[..., User], vault_setup: VaultSetup) -> User:
    """A counsellor with access to the case files, logged in on ``client``."""
    user = create_user("counsellor")
    grant(app, settings, user, vault_setup.recovery_key)
    assert AuthActions(client).login(user).status_code == 302
    return user


def _case_form(dept_id: int, **overrides: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "opened_on": TODAY.isoformat(), "department_id": str(dept_id),
        "categories": ["pesten", "uitsluiting"], "relation": "colleague", "consent": "y",
        "reporter_name": "Fatima el Amrani", "reporter_contact": "06-11223344",
        "involved_person": "Voorman ploeg B",
        "narrative": "Wordt uitgelachen tijdens de pauze in het magazijn.",
        "next_steps": "Tweede gesprek volgende week.", "gender": "woman",
        "employment_type": "agency", "minutes_spent": "15", "version": "",
    }
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def _create(client: FlaskClient, dept_id: int, **overrides: Any) -> str:
    response = post_form(client, "/cases/new", _case_form(dept_id, **overrides))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    match = REFERENCE.search(response.headers["Location"])
    assert match
    return match.group(0)


def _allow_the_same_totp_code_again(app: Flask, user: User) -> None:
    """A second login within the same 30 s would reuse a TOTP time step, which is refused."""
    with app.app_context(), db_session_for(app) as session:
        fresh = session.get(User, user.id)
        assert fresh is not None
        fresh.totp_last_step = 0
        session.commit()


def _text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_counsellor_journey_create_converse_close(
    client: FlaskClient, counsellor: User, dept_id: int, app: Flask
) -> None:
    page = client.get("/cases/new")
    assert page.status_code == 200 and "Magazijn en logistiek" in _text(page)
    reference = _create(client, dept_id)
    shown = _text(client.get(f"/cases/{reference}"))
    assert "Fatima el Amrani" in shown and "Wordt uitgelachen" in shown
    assert "Magazijn en logistiek" in shown

    response = post_form(client, f"/cases/{reference}/conversations/new", {
        "held_on": TODAY.isoformat(), "minutes": "45", "channel": "in_person",
        "notes": "Eerste gesprek, veel emotie."})
    assert response.status_code == 302
    shown = _text(client.get(f"/cases/{reference}"))
    assert "Eerste gesprek, veel emotie." in shown and "60 minutes" in shown

    missing = post_form(client, f"/cases/{reference}/close", {
        "closed_on": TODAY.isoformat(), "outcome": "referral", "referral": "", "version": "1"})
    assert missing.status_code == 200 and "referred" in _text(missing)
    response = post_form(client, f"/cases/{reference}/close", {
        "closed_on": TODAY.isoformat(), "outcome": "referral", "referral": "company_doctor",
        "referral_target": "Arbodienst", "version": "1"})
    assert response.status_code == 302
    shown = _text(client.get(f"/cases/{reference}"))
    assert "Closed" in shown
    listing = _text(_filtered(client, status="closed"))
    assert reference in listing
    assert reference not in _text(_filtered(client, status="open"))

    response = post_form(client, f"/cases/{reference}/reopen", {"version": "2"},
                         form_page=f"/cases/{reference}")
    assert response.status_code == 302
    assert reference in _text(_filtered(client, status="open"))


def test_stale_edit_shows_both_versions_and_keeps_the_input(
    app: Flask, settings: Settings, client: FlaskClient, counsellor: User, dept_id: int
) -> None:
    reference = _create(client, dept_id)
    form_page = client.get(f"/cases/{reference}/edit")
    assert 'name="version" type="hidden" value="1"' in form_page.get_data(as_text=True)
    # a colleague saves in the meantime
    with app.app_context(), db_session_for(app) as session:
        keys = unlock(session, settings, counsellor)
        work = Work(session, settings, Actor(counsellor.id, "counsellor"), keys=keys)
        lifecycle.update_case(work, reference, 1, case_input(
            dept_id, opened_on=TODAY, narrative="Versie van de collega"), today=TODAY)
        session.commit()
    mine = _case_form(dept_id, narrative="Mijn eigen aanvulling", version="1")
    response = post_form(client, f"/cases/{reference}/edit", mine)
    page = _text(response)
    assert response.status_code == 200
    assert "Versie van de collega" in page  # the stored version
    assert "Mijn eigen aanvulling" in page  # the user's input, kept
    assert 'name="version" type="hidden" value="2"' in response.get_data(as_text=True)
    # saving from the conflict page is a deliberate overwrite of version 2
    response = post_form(client, f"/cases/{reference}/edit", {**mine, "version": "2"},
                         form_page=f"/cases/{reference}/edit")
    assert response.status_code == 302
    assert "Mijn eigen aanvulling" in _text(client.get(f"/cases/{reference}"))


def test_a_conflict_found_at_the_save_still_records_the_read(
    app: Flask, settings: Settings, client: FlaskClient, counsellor: User, dept_id: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A colleague saves while our save request runs (after its version check, before its
    UPDATE): the conflict page shows the stored case, so the request's ``case.read`` is
    recorded too - the conflict rolls back a savepoint of the request's unit of work, not the
    request's transaction (issue 13)."""
    reference = _create(client, dept_id)
    validate = lifecycle.validate_case

    def colleague_saves_meanwhile(*args: Any, **kwargs: Any) -> records.CaseInput:
        monkeypatch.setattr(lifecycle, "validate_case", validate)
        with db_session_for(app) as session:
            keys = unlock(session, settings, counsellor)
            work = Work(session, settings, Actor(counsellor.id, "counsellor"), keys=keys)
            lifecycle.update_case(work, reference, 1, case_input(
                dept_id, opened_on=TODAY, narrative="Versie van de collega"), today=TODAY)
            session.commit()
        return validate(*args, **kwargs)

    def reads() -> int:
        with db_session_for(app) as session:
            return len(session.execute(select(AuditEntry).where(
                AuditEntry.action == "case.read", AuditEntry.target_id == reference)).all())

    token = csrf_token(client, f"/cases/{reference}/edit")  # the edit form: one read
    before = reads()
    monkeypatch.setattr(lifecycle, "validate_case", colleague_saves_meanwhile)
    mine = _case_form(dept_id, narrative="Mijn eigen aanvulling", version="1")
    response = client.post(f"/cases/{reference}/edit", data={"csrf_token": token, **mine})
    assert response.status_code == 200
    assert "Versie van de collega" in _text(response)  # the conflict page, with content
    assert reads() == before + 1


def test_consent_is_enforced_without_javascript(client: FlaskClient, counsellor: User,
                                                dept_id: int, app: Flask) -> None:
    response = post_form(client, "/cases/new", _case_form(dept_id, consent=None))
    page = _text(response)
    assert response.status_code == 200 and "consent" in page.lower()
    assert 'value="Fatima el Amrani"' in page  # what was typed is kept, not stored
    with app.app_context(), db_session_for(app) as session:
        assert session.execute(select(Case)).first() is None
    reference = _create(client, dept_id, consent=None, reporter_name="", reporter_contact="")
    assert "No consent" in _text(client.get(f"/cases/{reference}"))


def test_invalid_input_keeps_what_was_typed(client: FlaskClient, counsellor: User,
                                            dept_id: int) -> None:
    response = post_form(client, "/cases/new", _case_form(dept_id, categories=[],
                                                          narrative="Bewaar deze tekst"))
    page = _text(response)
    assert response.status_code == 200 and "Bewaar deze tekst" in page
    assert 'aria-invalid' in page or 'class="error"' in page


def test_list_filters_and_pages(app: Flask, settings: Settings, client: FlaskClient,
                                counsellor: User, dept_id: int) -> None:
    with app.app_context(), db_session_for(app) as session:
        keys = unlock(session, settings, counsellor)
        werkplaats = department(session, "Werkplaats", settings).id
        for number in range(27):
            work = Work(session, settings, Actor(counsellor.id, "counsellor"), keys=keys)
            lifecycle.create_case(work, case_input(
                werkplaats if number % 3 else dept_id, opened_on=TODAY - timedelta(days=number),
                categories=("agressie",) if number == 4 else ("pesten",),
                narrative=f"Samenvatting {number}"), today=TODAY)
        session.commit()
    first = _text(client.get("/cases/"))
    assert len(set(REFERENCE.findall(first))) == 25 and "27 cases" in first
    second = _text(client.get("/cases/?page=2"))
    assert len(set(REFERENCE.findall(second))) == 2
    assert len(set(REFERENCE.findall(_text(_filtered(client, category="agressie"))))) == 1
    by_dept = _text(_filtered(client, department=str(dept_id)))
    assert len(set(REFERENCE.findall(by_dept))) == 9
    found = _text(_filtered(client, q="samenvatting 13"))
    assert len(set(REFERENCE.findall(found))) == 1
    # a malformed filter does not break the page
    malformed = post_form(client, "/cases/filter", {
        "year": "abc", "department": "x", "sort": "nonsense"}, form_page="/cases/")
    assert malformed.status_code == 200
    assert client.get("/cases/?page=-3").status_code == 200


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_managers_and_admins_reach_no_case_route(
    app: Flask, settings: Settings, client: FlaskClient, create_user: Callable[..., User],
    vault_setup: VaultSetup, dept_id: int, role: str,
) -> None:
    owner = create_user("counsellor")
    grant(app, settings, owner, vault_setup.recovery_key)
    with app.app_context(), db_session_for(app) as session:
        keys = unlock(session, settings, owner)
        work = Work(session, settings, Actor(owner.id, "counsellor"), keys=keys)
        record = lifecycle.create_case(work, case_input(dept_id, opened_on=TODAY), today=TODAY)
        contact = case_conversations.add_contact(work, record.reference, records.ContactInput(
            held_on=TODAY, minutes=10, channel="phone"), today=TODAY)
        session.commit()
    visitor = create_user(role)
    assert AuthActions(client).login(visitor).status_code == 302
    app.config["WTF_CSRF_ENABLED"] = False
    ref = record.reference
    urls = [("GET", "/cases/"), ("GET", "/cases/new"), ("POST", "/cases/new"),
            ("GET", f"/cases/{ref}"), ("GET", f"/cases/{ref}/edit"),
            ("POST", f"/cases/{ref}/edit"), ("GET", f"/cases/{ref}/close"),
            ("POST", f"/cases/{ref}/close"), ("POST", f"/cases/{ref}/reopen"),
            ("GET", f"/cases/{ref}/erase"), ("POST", f"/cases/{ref}/erase"),
            ("GET", f"/cases/{ref}/conversations/new"),
            ("POST", f"/cases/{ref}/conversations/new"),
            ("GET", f"/cases/{ref}/conversations/{contact.id}"),
            ("POST", f"/cases/{ref}/conversations/{contact.id}"),
            ("GET", "/vault"), ("POST", "/vault/unlock"), ("GET", "/vault/colleagues"),
            ("POST", f"/vault/colleagues/{owner.id}/grant")]
    for method, url in urls:
        response = client.open(url, method=method, data={"confirm": ref, "version": "1"})
        assert response.status_code == 403, (method, url)
        page = _text(response)
        assert "Wordt al weken" not in page and "Anna Visser" not in page
    with app.app_context(), db_session_for(app) as session:
        assert session.execute(select(Case)).scalar_one().version == 1  # nothing changed


def test_counsellor_without_grant_sees_the_explanation(
    app: Flask, client: FlaskClient, create_user: Callable[..., User], vault_setup: VaultSetup,
    dept_id: int,
) -> None:
    user = create_user("counsellor")
    assert AuthActions(client).login(user).status_code == 302
    for url in ("/cases/", "/cases/new", "/vault/colleagues", "/vault"):
        response = client.get(url)
        assert response.status_code == 200, url
        page = _text(response)
        assert "vault recover" in page and 'name="password"' in page, url
    response = post_form(client, "/cases/new", _case_form(dept_id), form_page="/vault")
    assert response.status_code == 200 and "vault recover" in _text(response)
    with app.app_context(), db_session_for(app) as session:
        assert session.execute(select(Case)).first() is None
    start = _text(client.get("/start"))
    assert "Why, and what to do" in start


def test_access_granted_later_is_opened_with_the_password(
    app: Flask, settings: Settings, client: FlaskClient, create_user: Callable[..., User],
    vault_setup: VaultSetup, dept_id: int,
) -> None:
    first = create_user("counsellor")
    grant(app, settings, first, vault_setup.recovery_key)
    newcomer = create_user("counsellor")
    assert AuthActions(client).login(newcomer).status_code == 302  # creates the key pair
    assert "No access" in _text(client.get("/vault")) or "vault" in _text(client.get("/vault"))

    # the first counsellor grants access through the Colleagues page
    other = Flask.test_client(app)
    other.set_cookie(LOCALE_COOKIE, "en")
    assert AuthActions(other).login(first).status_code == 302
    colleagues = _text(other.get("/vault/colleagues"))
    assert newcomer.display_name in colleagues and "Grant access" in colleagues
    refused = post_form(other, f"/vault/colleagues/{newcomer.id}/grant", {},
                        form_page="/vault/colleagues")
    assert refused.status_code == 302
    granted = post_form(other, f"/vault/colleagues/{newcomer.id}/grant", {"confirmed": "y"},
                        form_page="/vault/colleagues")
    assert granted.status_code == 302
    assert "Has access" in _text(other.get("/vault/colleagues"))

    wrong = post_form(client, "/vault/unlock", {"password": "Not-the-password-1"},
                      form_page="/vault")
    assert wrong.status_code == 200 and "not correct" in _text(wrong)
    opened = post_form(client, "/vault/unlock", {"password": newcomer.test_password,  # type: ignore[attr-defined]
                                                 "next": "/cases/"}, form_page="/vault")
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/cases/")
    assert client.get("/cases/new").status_code == 200
    assert "Magazijn" in _text(client.get("/cases/new"))
    with app.app_context(), db_session_for(app) as session:
        actions = [e.action for e in session.execute(select(AuditEntry)).scalars()]
    assert {"vault.grant", "vault.unlock", "vault.unlock_failed"} <= set(actions)


def test_admin_reset_removes_access_and_password_change_keeps_it(
    app: Flask, settings: Settings, client: FlaskClient, counsellor: User, dept_id: int,
    create_user: Callable[..., User],
) -> None:
    reference = _create(client, dept_id)
    new_password = "Nog-een-veilig-wachtwoord-88"
    response = post_form(client, "/account/password", {
        "current": counsellor.test_password,  # type: ignore[attr-defined]
        "password": new_password, "confirm": new_password})
    assert response.status_code == 302
    assert client.get(f"/cases/{reference}").status_code == 200  # this session keeps the key
    AuthActions(client).logout()
    _allow_the_same_totp_code_again(app, counsellor)
    assert AuthActions(client).login(counsellor, password=new_password).status_code == 302
    assert "Fatima" in _text(client.get(f"/cases/{reference}"))

    admin = create_user("admin")
    with app.app_context(), db_session_for(app) as session:
        user = session.get(User, counsellor.id)
        assert user is not None
        users.reset_password(Work(session, settings, Actor(admin.id, "admin")), user,
                                "Tijdelijk-wachtwoord-van-beheer-5")
        session.commit()
    assert client.get(f"/cases/{reference}").status_code in {302, 401}  # logged out


def test_erase_needs_the_typed_reference(client: FlaskClient, counsellor: User, dept_id: int,
                                         app: Flask) -> None:
    reference = _create(client, dept_id)
    page = _text(client.get(f"/cases/{reference}/erase"))
    assert "Nobody can recover" in page
    wrong = post_form(client, f"/cases/{reference}/erase", {"confirm": "VP-2000-0000",
                                                            "version": "1"})
    assert wrong.status_code == 200
    response = post_form(client, f"/cases/{reference}/erase", {"confirm": reference.lower(),
                                                               "version": "1"})
    assert response.status_code == 302
    assert client.get(f"/cases/{reference}").status_code == 404
    with app.app_context(), db_session_for(app) as session:
        assert session.execute(select(Case)).first() is None
        entry = session.execute(select(AuditEntry).where(AuditEntry.action == "case.erase")
                                ).scalar_one()
        assert entry.target_id == reference


def test_start_page_shows_open_cases_deadlines_and_erasure(
    app: Flask, settings: Settings, client: FlaskClient, counsellor: User, dept_id: int,
) -> None:
    with app.app_context(), db_session_for(app) as session:
        keys = unlock(session, settings, counsellor)
        actor = Actor(counsellor.id, "counsellor")
        overdue = lifecycle.create_case(Work(session, settings, actor, keys=keys), case_input(
            dept_id, opened_on=TODAY - timedelta(days=10), integrity_report=True), today=TODAY)
        old = lifecycle.create_case(Work(session, settings, actor, keys=keys), case_input(
            dept_id, opened_on=date(TODAY.year - 2, 2, 1)), today=TODAY)
        lifecycle.close_case(Work(session, settings, actor, keys=keys),
                             old.reference, 1, records.Closing(
            closed_on=date(TODAY.year - 2, 3, 1), outcome="advice"), today=TODAY)
        session.commit()
    page = _text(client.get("/start"))
    assert overdue.reference in page and 'class="overdue"' in page
    assert old.reference in page  # due for erasure
    assert "1 open case" in page
    listing = client.get("/cases/").get_data(as_text=True)
    assert 'class="overdue"' in listing


def test_audit_entries_of_case_work_hold_no_content(
    app: Flask, client: FlaskClient, counsellor: User, dept_id: int
) -> None:
    marker = "GEHEIM" + secrets.token_hex(4)
    reference = _create(client, dept_id, narrative=marker, reporter_name=marker + "naam")
    client.get(f"/cases/{reference}")
    _filtered(client, q=marker)
    post_form(client, f"/cases/{reference}/conversations/new", {
        "held_on": TODAY.isoformat(), "minutes": "30", "channel": "phone", "notes": marker})
    with app.app_context(), db_session_for(app) as session:
        entries = list(session.execute(select(AuditEntry)).scalars())
    actions = {e.action for e in entries}
    assert {"case.create", "case.read", "case.list", "contact.create"} <= actions
    for entry in entries:
        flat = f"{entry.action} {entry.target_type} {entry.target_id} {entry.details}"
        assert marker.lower() not in flat.lower()
        assert "pesten" not in flat and "Magazijn" not in flat
        if entry.action.startswith(("case.", "contact.")) and entry.action != "case.list":
            assert entry.target_id == reference


def test_web_canary_nothing_typed_reaches_the_database_files(
    app: Flask, settings: Settings, client: FlaskClient, counsellor: User, dept_id: int
) -> None:
    tag = secrets.token_hex(5).upper()
    fields = {"reporter_name": f"NAAM{tag}", "reporter_contact": f"TEL{tag}",
              "involved_person": f"BETROKKENE{tag}", "narrative": f"VERHAAL{tag}",
              "next_steps": f"STAPPEN{tag}"}
    reference = _create(client, dept_id, **fields)
    post_form(client, f"/cases/{reference}/conversations/new", {
        "held_on": TODAY.isoformat(), "minutes": "30", "channel": "phone",
        "notes": f"NOTITIE{tag}"})
    post_form(client, f"/cases/{reference}/close", {
        "closed_on": TODAY.isoformat(), "outcome": "referral", "referral": "police",
        "referral_target": f"VERWIJZING{tag}", "version": "1"})
    _filtered(client, q=f"NOTITIE{tag}")
    _filtered(client, category="pesten", sort="department")  # writes the listing cache
    client.get(f"/cases/{reference}")
    with app.app_context(), db_session_for(app) as session:
        assert session.execute(select(CaseListingIndex)).first() is not None
    raw = database_bytes(settings)
    assert tag.encode() not in raw and tag.lower().encode() not in raw
