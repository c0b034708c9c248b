"""The world the web-level reliability tests run in, and how they find their way around it.

One database is made per test module with ``vp-registry init`` and ``vp-registry demo`` (cases
with conversations, a released signal with follow-up, candidate signals, anonymous messages,
the counsellor's public entry) plus accounts in every login stage, each enrolled in TOTP with
a known secret. Each test gets its own copy (:func:`tests.support.database.cloned`).

Also here: an HTML form parser, URLs with real ids for every rule of the URL map, logging in
as the role an endpoint allows, finding the form that posts to a URL, and a digest of every
table that is not a log, a session, a throttle or a cache ("was anything stored?").
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import secrets
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tests.support.forms import post_form
from vp_registry import create_app
from vp_registry.app_state import app_state
from vp_registry.config import Settings
from vp_registry.core.crypto import FAST_KDF_FOR_TESTS
from vp_registry.db import Base
from vp_registry.db.accounts import User
from vp_registry.db.cases import Case, CaseContact
from vp_registry.db.contact import ContactThread
from vp_registry.db.organisation import Category, Department
from vp_registry.db.pulse import PulseRound
from vp_registry.db.reports import Activity
from vp_registry.db.signals import ReleasedSignal
from vp_registry.services.accounts import authentication, organisation, users
from vp_registry.services.demo import pulse as demo_pulse
from vp_registry.services.demo.seed import DEMO_USERS
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.pulse import signals as pulse_signals
from vp_registry.services.signals import reviewing
from vp_registry.services.vault import key_pairs, unlocking
from vp_registry.services.work import Work
from vp_registry.web.access import PUBLIC, allowed_roles_of

VOLATILE_TABLES = {"audit_entries", "audit_head", "audit_pending", "web_sessions",
                   "login_throttles", "case_listing_caches", "case_listing_index",
                   "case_search_index"}


@dataclass
class FormField:
    name: str
    kind: str  # input type, "select", "textarea", "button"
    value: str = ""
    options: list[str] = field(default_factory=list)
    multiple: bool = False
    checked: bool = False


@dataclass
class Form:
    action: str
    method: str
    enctype: str
    fields: list[FormField] = field(default_factory=list)


class FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._select: FormField | None = None
        self._textarea: FormField | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.forms.append(Form(found.get("action", ""), found.get("method", "get").lower(),
                                   found.get("enctype", "")))
            return
        if not self.forms or "name" not in found:
            if tag == "option" and self._select is not None:
                self._select.options.append(found.get("value", ""))
                if "selected" in found:
                    self._select.value = found.get("value", "")
            return
        form = self.forms[-1]
        if tag == "input":
            form.fields.append(FormField(found["name"], found.get("type", "text").lower(),
                                         found.get("value", ""), checked="checked" in found))
        elif tag == "textarea":
            self._textarea = FormField(found["name"], "textarea")
            form.fields.append(self._textarea)
        elif tag == "button":
            form.fields.append(FormField(found["name"], "button", found.get("value", "")))
        elif tag == "select":
            self._select = FormField(found["name"], "select", multiple="multiple" in found)
            form.fields.append(self._select)

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            if self._textarea is not None:
                self._textarea.value = self._textarea.value.lstrip("\n")
            self._textarea = None


def forms_on(page: str, method: str = "post") -> list[Form]:
    parser = FormParser()
    parser.feed(page)
    return [form for form in parser.forms if form.method == method]


# ------------------------------------------------------------------ the world


@dataclass
class Account:
    email: str
    password: str
    totp_secret: str


@dataclass
class World:
    settings: Settings
    url: str
    ids: dict[str, str]
    accounts: dict[str, Account]
    receipt_code: str


def make_settings(tmp: Path, url: str) -> Settings:
    return Settings(environment="development", secret_key=secrets.token_urlsafe(48),
                    audit_key=secrets.token_urlsafe(48), backup_key=secrets.token_urlsafe(48),
                    database_url=url, instance_path=str(tmp / "instance"),
                    password_kdf=FAST_KDF_FOR_TESTS, testing=True)


def enrol(session: Session, settings: Settings, user: User) -> str:
    secret = pyotp.random_base32(32)
    authentication.complete_enrolment(Work(session, settings, Actor.system()),
                                      user, secret, pyotp.TOTP(secret).now(),
                                      None)
    user.totp_last_step = 0
    return secret


def build_world(app: Flask, settings: Settings) -> tuple[dict[str, str], dict[str, Account],
                                                          str]:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["init"]).exit_code == 0
    demo = runner.invoke(args=["demo"])
    assert demo.exit_code == 0, demo.output
    # "... receipt code: CODE)" or, in Dutch, "... ontvangstcode van de demo: CODE)"
    found = re.search(r"(?:receipt code|ontvangstcode)[^:]*: ([^\s)]+(?: [^\s)]+){5})",
                      demo.output)
    assert found, demo.output
    receipt_code = found.group(1)
    people: dict[str, Account] = {}
    ids: dict[str, str] = {"locale": "nl", "version": "1"}
    factory = app_state(app).session_factory
    with app.app_context(), factory() as session:
        for login in DEMO_USERS:
            user = users.find_by_email(session, login.email)
            assert user is not None
            people[login.role] = Account(login.email, login.password,
                                         enrol(session, settings, user))
        extra = {"counsellor2": ("counsellor", False, True), "enrol": ("manager", False, False),
                 "renew": ("manager", True, True),
                 # issue 17: the practice admin of the main database (client organisations)
                 "practice_admin": ("practice_admin", False, True)}
        for name, (role, must_change, enrolled) in extra.items():
            password = "Een-lang-wachtwoord-nummer-" + str(len(people))
            user = users.create_user(Work(session, settings, Actor.system()),
                                        email=f"{name}@voorbeeld.nl", display_name=name.title(),
                                        role=role, password=password,
                                        must_change_password=must_change)
            if role == "counsellor":
                key_pairs.ensure_counsellor_key(Work(session, settings, Actor.system()),
                                                user, password)
            secret = enrol(session, settings, user) if enrolled else ""
            people[name] = Account(user.email, password, secret)
            ids[f"{name}_id"] = str(user.id)
        category = organisation.create_category(Work(session, settings, Actor.system()),
                                                code="fuzzcat", label_nl="Fuzz", label_en="Fuzz")
        open_case = session.execute(select(Case).where(Case.status == "open")
                                    .where(Case.id.in_(select(CaseContact.case_id)))
                                    .order_by(Case.reference)).scalars().first()
        closed_case = session.execute(select(Case).where(Case.status == "closed")
                                      .order_by(Case.reference)).scalars().first()
        assert open_case is not None and closed_case is not None
        contact_id = session.execute(select(CaseContact.id).where(
            CaseContact.case_id == open_case.id)).scalars().first()
        manager = users.find_by_email(session, people["manager"].email)
        assert manager is not None
        counsellor = users.find_by_email(session, people["counsellor"].email)
        assert counsellor is not None
        keys = unlocking.open_keys(session, settings, unlocking.unlock_with_password(
            Work(session, settings, Actor.system()), counsellor, people["counsellor"].password))
        actor = Actor(counsellor.id, "counsellor")
        review = reviewing.review(Work(session, settings, actor, keys=keys))
        activity = session.execute(select(Activity).order_by(Activity.id)).scalars().first()
        assert activity is not None
        # the demo's open round (with codes) and a pulse candidate of its released round
        open_round = session.execute(select(PulseRound).where(
            PulseRound.title == demo_pulse.AUTUMN)).scalar_one()
        pulse_views = pulse_signals.pulse_review(Work(session, settings, actor, keys=keys))
        assert pulse_views, "the demo's released pulse round should give a candidate"
        ids.update({
            "reference": open_case.reference, "closed_reference": closed_case.reference,
            "contact_id": str(contact_id), "category_id": str(category.id),
            "department_id": str(session.execute(select(Department.id)).scalars().first()),
            "signal_id": str(session.execute(select(ReleasedSignal.id)).scalars().first()),
            "token": review.open[0].token if review.open else "x" * 16,
            "thread_id": str(session.execute(select(ContactThread.id)).scalars().first()),
            "user_id": str(manager.id),
            "manager_id": str(manager.id), "counsellor_id": str(counsellor.id),
            # the demo finalised last year's annual report (version 1) and keeps activities
            "year": str(date.today().year - 1), "fmt": "csv",
            "activity_id": str(activity.id), "activity_year": str(activity.held_on.year),
            "round_id": str(open_round.id), "survey_token": open_round.public_token,
            "pulse_token": pulse_views[0].token,
            # this year's annual report is a draft (the texts form)
            "draft_year": str(date.today().year),
        })
        assert session.get(Category, category.id) is not None
        session.commit()
    return ids, people, receipt_code


class ErrorLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class Visit:
    app: Flask
    client: FlaskClient
    errors: ErrorLog
    world: World


# ------------------------------------------------------------------ the rules


def rules_with(method: str) -> list[tuple[str, str]]:
    app = create_app(make_settings(Path("/nonexistent"), "sqlite://"))
    rules = sorted((rule.endpoint, rule.rule) for rule in app.url_map.iter_rules()
                   if method in (rule.methods or set()) and rule.endpoint != "static")
    app_state(app).engine.dispose()
    return rules


ARGUMENT_FOR = {  # (endpoint, argument) -> world id, where the default would be wrong
    ("admin.set_user_active", "user_id"): "manager_id",
    ("admin.reset_password", "user_id"): "manager_id",
    ("vault.grant", "user_id"): "counsellor2_id",
    ("cases.reopen", "reference"): "closed_reference",
    ("reports.edit", "year"): "draft_year",
    ("survey.answer", "token"): "survey_token",
    ("survey.thanks", "token"): "survey_token",
    ("signals.pulse_dismiss", "token"): "pulse_token",
    ("signals.pulse_restore", "token"): "pulse_token",
    ("signals.pulse_release", "token"): "pulse_token",
}
PENDING_LOGIN = {"auth.login_code": "counsellor", "auth.login_enrol": "enrol",
                 "auth.login_new_password": "renew"}
HUB_PAGES = ("/start", "/admin/users", "/admin/departments", "/admin/categories",
             "/admin/categories/{category_id}", "/cases/{reference}",
             "/cases/{closed_reference}", "/signals", "/management/signals/{signal_id}",
             "/messages/{thread_id}", "/profile", "/vault", "/vault/colleagues", "/login",
             "/contact", "/cases/", "/practice/organisations")


def visitor_for(app: Flask, endpoint: str) -> str:
    allowed = allowed_roles_of(app, endpoint) or frozenset()
    if PUBLIC in allowed:
        return "anonymous"
    return next(role for role in ("counsellor", "manager", "admin", "practice_admin")
                if role in allowed)


def url_of(world: World, endpoint: str, rule: str) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        return world.ids.get(ARGUMENT_FOR.get((endpoint, name), name), "1")

    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", value, rule)


def log_in(client: FlaskClient, account: Account) -> None:
    first = post_form(client, "/login", {"email": account.email, "password": account.password})
    assert first.status_code == 302, first.get_data(as_text=True)[:500]
    if first.headers["Location"].endswith("/login/code"):
        second = post_form(client, "/login/code", {"code": pyotp.TOTP(account.totp_secret).now()})
        assert second.status_code == 302


def prepare(visit: Visit, endpoint: str) -> None:
    """Log in as a role that may use the endpoint, or stop at the login stage it serves."""
    world, client = visit.world, visit.client
    if endpoint in PENDING_LOGIN:
        account = world.accounts[PENDING_LOGIN[endpoint]]
        response = post_form(client, "/login", {"email": account.email,
                                                "password": account.password})
        assert response.status_code == 302
        if endpoint == "auth.login_new_password":
            post_form(client, "/login/code", {"code": pyotp.TOTP(account.totp_secret).now()})
        return
    role = visitor_for(visit.app, endpoint)
    if role != "anonymous":
        log_in(client, world.accounts[role])


# Where a form is that neither its own URL nor a hub page shows (endpoint -> pages).
FORM_PAGES = {
    "activities.delete": ("/activities?year={activity_year}",),
    "reports.correct": ("/reports/{year}",),
    "reports.finalise": ("/reports/{year}/preview",),
    "pulse.close_round": ("/pulse/{round_id}",),
    "pulse.issue_codes": ("/pulse/{round_id}",),
}


def _page(visit: Visit, path: str) -> str | None:
    response = visit.client.get(path)
    return response.get_data().decode("utf-8", "replace") if response.status_code == 200 else None


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 120, 40)).save(out, format="PNG")
    return out.getvalue()


def set_the_stage(visit: Visit, endpoint: str) -> str | None:
    """After ``prepare``: bring this test's copy of the world into the state in which the
    endpoint's form is shown (a form that is only there for a dismissed candidate, a stored
    photo, an unacknowledged signal, ...). Returns the page that holds the form when no GET
    shows it (the conversation page of an anonymous sender is the answer to a POST)."""
    world, client = visit.world, visit.client
    ids = world.ids
    if endpoint == "contact.answer":
        response = post_form(client, "/contact/replies", {"code": world.receipt_code})
        assert response.status_code == 200
        return str(response.get_data(as_text=True))
    if endpoint == "signals.restore":  # the restore button is shown for a dismissed candidate
        response = post_form(client, f"/signals/{ids['token']}/dismiss", {}, form_page="/signals")
        assert response.status_code == 302
    elif endpoint == "messages.remove_photo":  # and the remove button for a stored photo
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', _page(visit, "/profile") or "")
        assert token
        response = client.post("/profile/photo", content_type="multipart/form-data", data={
            "csrf_token": token.group(1), "photo": (io.BytesIO(_png()), "photo.png")})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
    elif endpoint == "reports.finalise":  # a draft of a finished year: start a correction
        response = post_form(client, f"/reports/{ids['year']}/correction", {},
                             form_page=f"/reports/{ids['year']}")
        assert response.status_code == 302
    elif endpoint == "management.acknowledge":
        # The demo manager acknowledged the demo's signal; this copy goes back to before that.
        with app_state(visit.app).engine.begin() as connection:
            connection.execute(text("UPDATE released_signals SET acknowledged_at = NULL, "
                                    "acknowledged_by = NULL WHERE id = :id"),
                               {"id": int(ids["signal_id"])})
    elif endpoint == "signals.pulse_restore":  # shown for a dismissed pulse candidate
        response = post_form(client, f"/signals/pulse/{ids['pulse_token']}/dismiss", {},
                             form_page="/signals")
        assert response.status_code == 302
    elif endpoint == "pulse.results_page":  # the release form is there once the round closed
        response = post_form(client, f"/pulse/{ids['round_id']}/close", {"confirmed": "1"},
                             form_page=f"/pulse/{ids['round_id']}")
        assert response.status_code == 302
    elif endpoint == "vault.unlock":  # the locked page: a counsellor without access yet
        post_form(client, "/logout", {}, form_page="/start")
        log_in(client, world.accounts["counsellor2"])
    return None


def find_form(visit: Visit, endpoint: str, url: str, methods: set[str],
              shown: str | None = None) -> tuple[Form | None, str]:
    """The form that posts to ``url`` and a CSRF token of this session: on the page ``shown``
    (from ``set_the_stage``), the URL itself, the endpoint's ``FORM_PAGES`` or a hub page."""
    pages = [url] if "GET" in methods else []
    pages += [page.format(**visit.world.ids)
              for page in (*FORM_PAGES.get(endpoint, ()), *HUB_PAGES)]
    token = ""
    candidates: list[tuple[str, str | None]] = [(url, shown)] if shown is not None else []
    candidates += [(page, None) for page in pages]
    for page, given in candidates:
        body = given if given is not None else _page(visit, page)
        if body is None:
            continue
        for form in forms_on(body):
            for item in form.fields:
                if item.name == "csrf_token" and item.value:
                    token = item.value
            action = urlsplit(form.action).path or page.split("?")[0]
            if action == url:
                return form, token
    if not token:
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                          visit.client.get("/login").get_data(as_text=True))
        token = found.group(1) if found else ""
    return None, token



def database_digest(app: Flask) -> dict[str, str]:
    digests = {}
    with app_state(app).engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            if table.name in VOLATILE_TABLES:
                continue
            order = ", ".join(column.name for column in table.primary_key.columns)
            rows = connection.execute(text(f"SELECT * FROM {table.name} ORDER BY {order}"))  # noqa: S608 - our own table names
            digests[table.name] = hashlib.sha256(repr(rows.all()).encode()).hexdigest()
    return digests
