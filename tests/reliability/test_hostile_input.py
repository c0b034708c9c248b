"""Hostile input (DESIGN I-7, section 3): every form, fuzzed with hypothesis.

The URL map is walked for every rule that accepts POST. For each, a fresh copy of one
demo world (``init`` + ``demo``, plus accounts in every login stage) is logged in as a role
that may use it, the form is found on its page (or on the pages that link to it) and parsed,
and hypothesis fills it with long strings, control characters, right-to-left text, HTML and
SQL fragments, template syntax, invalid dates, numbers out of range or of the wrong type,
missing, repeated and unknown fields. Then, for every example:

- no server error: never a 5xx, nothing logged as unhandled;
- HTML always escaped: no injected tag comes back raw, on the answer nor on the page a
  redirect leads to;
- nothing stored that was refused: an answer that shows a form error (or is a 4xx) leaves
  every table as it was (apart from the audit log, sessions, throttles and caches);
- what the user typed kept on error: every text field of the refused form shows the value
  that was sent (passwords excepted).

Finally an oversized body gets the friendly 413 and stores nothing. A new POST route is
fuzzed automatically; if its form cannot be found it is still fuzzed blind (no 5xx).
"""

from __future__ import annotations

import hashlib
import html
import io
import logging
import re
import secrets
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tests.conftest import POSTGRES_URL, _fresh_postgres_database
from tests.reliability.harness import cloned
from vp_registry import create_app
from vp_registry.config import Settings
from vp_registry.core.crypto import FAST_KDF_FOR_TESTS
from vp_registry.db import Base
from vp_registry.db.accounts import User
from vp_registry.db.cases import Case, CaseContact
from vp_registry.db.contact import ContactThread
from vp_registry.db.organisation import Category, Department
from vp_registry.db.signals import ReleasedSignal
from vp_registry.services import accounts, organisation, signals, vault
from vp_registry.services.audit import Actor
from vp_registry.services.demo import DEMO_USERS
from vp_registry.web.access import PUBLIC, allowed_roles_of

pytestmark = pytest.mark.slow

EXAMPLES = 12  # per POST rule; about 45 rules
VOLATILE_TABLES = {"audit_entries", "audit_head", "web_sessions", "login_throttles",
                   "case_listing_caches"}
SCRIPT = "<script>alert('vp')</script>"
IMG = '"><img src=x onerror=alert(1)>'
SVG = "<svg/onload=alert(1)>"
HTML_MARKERS = (SCRIPT, IMG, SVG)
HOSTILE = (
    SCRIPT, IMG, SVG, "' OR '1'='1' --", "'; DROP TABLE cases; --", "1; SELECT pg_sleep(5)",
    "{{ 7*7 }}", "{% raw %}", "${7*7}", "\u202egnp.exe\u202c", "\u200f\u061cمرحبا",
    "\x00", "a\x00b", "\x1b[31m", "\x07\x08\x0b\x0c", "\r\n\r\n", "\ufeff", "\u2028\u2029",
    "𝕏😀🏳️‍🌈", "Z̸̡̢a̴l̷g̵o", "../../etc/passwd", "%00", "%s%s%n", "\\", "null", "None",
    "undefined", "true", "[]", "{}", "-1", "0", "99999999999999999999", "NaN", "Infinity",
)
TEXT_TYPES = {"text", "email", "search", "tel", "url", "textarea", "number", "date"}
# Tried in every field of every form, deterministically, besides the random examples.
EDGES = ("99999999999999999999", "-99999999999999999999", "9223372036854775808",
         "9999-12-31", "0001-01-01", "0", "-1", SCRIPT, "x" * 25_000, "\u202e" + "é" * 10)


# ------------------------------------------------------------------- parsing forms


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


def _settings(tmp: Path, url: str) -> Settings:
    return Settings(environment="development", secret_key=secrets.token_urlsafe(48),
                    audit_key=secrets.token_urlsafe(48), backup_key=secrets.token_urlsafe(48),
                    database_url=url, instance_path=str(tmp / "instance"),
                    password_kdf=FAST_KDF_FOR_TESTS, testing=True)


def _enrol(session: Session, settings: Settings, user: User) -> str:
    secret = pyotp.random_base32(32)
    accounts.complete_enrolment(session, settings, user, secret, pyotp.TOTP(secret).now(), None)
    user.totp_last_step = 0
    return secret


def _build_world(app: Flask, settings: Settings) -> tuple[dict[str, str], dict[str, Account],
                                                          str]:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["init"]).exit_code == 0
    demo = runner.invoke(args=["demo"])
    assert demo.exit_code == 0, demo.output
    found = re.search(r"receipt code: ([a-z]+(?: [a-z]+){5})", demo.output)
    receipt_code = found.group(1) if found else "een twee drie vier vijf zes"
    people: dict[str, Account] = {}
    ids: dict[str, str] = {"locale": "nl", "version": "1"}
    factory = app.extensions["vp_session_factory"]
    with app.app_context(), factory() as session:
        for login in DEMO_USERS:
            user = accounts.find_by_email(session, login.email)
            assert user is not None
            people[login.role] = Account(login.email, login.password,
                                         _enrol(session, settings, user))
        extra = {"counsellor2": ("counsellor", False, True), "enrol": ("manager", False, False),
                 "renew": ("manager", True, True)}
        for name, (role, must_change, enrolled) in extra.items():
            password = "Een-lang-wachtwoord-nummer-" + str(len(people))
            user = accounts.create_user(session, settings, Actor.system(),
                                        email=f"{name}@voorbeeld.nl", display_name=name.title(),
                                        role=role, password=password,
                                        must_change_password=must_change)
            if role == "counsellor":
                vault.ensure_counsellor_key(session, settings, user, password)
            secret = _enrol(session, settings, user) if enrolled else ""
            people[name] = Account(user.email, password, secret)
            ids[f"{name}_id"] = str(user.id)
        category = organisation.create_category(session, settings, Actor.system(),
                                                code="fuzzcat", label_nl="Fuzz", label_en="Fuzz")
        open_case = session.execute(select(Case).where(Case.status == "open")
                                    .where(Case.id.in_(select(CaseContact.case_id)))
                                    .order_by(Case.reference)).scalars().first()
        closed_case = session.execute(select(Case).where(Case.status == "closed")
                                      .order_by(Case.reference)).scalars().first()
        assert open_case is not None and closed_case is not None
        contact_id = session.execute(select(CaseContact.id).where(
            CaseContact.case_id == open_case.id)).scalars().first()
        manager = accounts.find_by_email(session, people["manager"].email)
        assert manager is not None
        counsellor = accounts.find_by_email(session, people["counsellor"].email)
        assert counsellor is not None
        keys = vault.open_keys(session, settings, vault.unlock_with_password(
            session, settings, counsellor, people["counsellor"].password))
        review = signals.review(session, settings, Actor(counsellor.id, "counsellor"), keys)
        ids.update({
            "reference": open_case.reference, "closed_reference": closed_case.reference,
            "contact_id": str(contact_id), "category_id": str(category.id),
            "department_id": str(session.execute(select(Department.id)).scalars().first()),
            "signal_id": str(session.execute(select(ReleasedSignal.id)).scalars().first()),
            "token": review.open[0].token if review.open else "x" * 16,
            "thread_id": str(session.execute(select(ContactThread.id)).scalars().first()),
            "user_id": str(manager.id),
            "manager_id": str(manager.id), "counsellor_id": str(counsellor.id),
        })
        assert session.get(Category, category.id) is not None
        session.commit()
    return ids, people, receipt_code


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("hostile-world")
    databases = _fresh_postgres_database() if POSTGRES_URL else iter(
        [f"sqlite:///{tmp / 'world.sqlite3'}"])
    url = next(databases)
    settings = _settings(tmp, url)
    app = create_app(settings)
    try:
        ids, people, code = _build_world(app, settings)
    finally:
        app.extensions["vp_engine"].dispose()
    yield World(settings, url, ids, people, code)
    for _ in databases:  # drops the PostgreSQL database
        pass


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


@pytest.fixture
def visit(world: World, tmp_path: Path) -> Iterator[Visit]:
    with cloned(world.url, tmp_path) as url:
        app = create_app(world.settings.with_overrides(database_url=url))
        errors = ErrorLog()
        app.logger.addHandler(errors)
        try:
            yield Visit(app, app.test_client(), errors, world)
        finally:
            app.extensions["vp_engine"].dispose()


# ------------------------------------------------------------------ the rules


def _rules(method: str) -> list[tuple[str, str]]:
    app = create_app(_settings(Path("/nonexistent"), "sqlite://"))
    rules = sorted((rule.endpoint, rule.rule) for rule in app.url_map.iter_rules()
                   if method in (rule.methods or set()) and rule.endpoint != "static")
    app.extensions["vp_engine"].dispose()
    return rules


ARGUMENT_FOR = {  # (endpoint, argument) -> world id, where the default would be wrong
    ("admin.set_user_active", "user_id"): "manager_id",
    ("admin.reset_password", "user_id"): "manager_id",
    ("vault.grant", "user_id"): "counsellor2_id",
    ("cases.reopen", "reference"): "closed_reference",
}
PENDING_LOGIN = {"auth.login_code": "counsellor", "auth.login_enrol": "enrol",
                 "auth.login_new_password": "renew"}
HUB_PAGES = ("/start", "/admin/users", "/admin/departments", "/admin/categories",
             "/admin/categories/{category_id}", "/cases/{reference}",
             "/cases/{closed_reference}", "/signals", "/management/signals/{signal_id}",
             "/messages/{thread_id}", "/profile", "/vault", "/vault/colleagues", "/login",
             "/contact")


def _visitor(app: Flask, endpoint: str) -> str:
    allowed = allowed_roles_of(app, endpoint) or frozenset()
    if PUBLIC in allowed:
        return "anonymous"
    return next(role for role in ("counsellor", "manager", "admin") if role in allowed)


def _url(world: World, endpoint: str, rule: str) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        return world.ids.get(ARGUMENT_FOR.get((endpoint, name), name), "1")

    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", value, rule)


def _log_in(client: FlaskClient, account: Account) -> None:
    from tests.conftest import post_form

    first = post_form(client, "/login", {"email": account.email, "password": account.password})
    assert first.status_code == 302, first.get_data(as_text=True)[:500]
    if first.headers["Location"].endswith("/login/code"):
        second = post_form(client, "/login/code", {"code": pyotp.TOTP(account.totp_secret).now()})
        assert second.status_code == 302


def _prepare(visit: Visit, endpoint: str) -> None:
    """Log in as a role that may use the endpoint, or stop at the login stage it serves."""
    world, client = visit.world, visit.client
    if endpoint in PENDING_LOGIN:
        account = world.accounts[PENDING_LOGIN[endpoint]]
        from tests.conftest import post_form

        response = post_form(client, "/login", {"email": account.email,
                                                "password": account.password})
        assert response.status_code == 302
        if endpoint == "auth.login_new_password":
            post_form(client, "/login/code", {"code": pyotp.TOTP(account.totp_secret).now()})
        return
    role = _visitor(visit.app, endpoint)
    if role != "anonymous":
        _log_in(client, world.accounts[role])


def _find_form(visit: Visit, endpoint: str, url: str, methods: set[str]) -> tuple[Form | None,
                                                                                 str]:
    """The form that posts to ``url`` and a CSRF token of this session."""
    pages = [url] if "GET" in methods else []
    pages += [page.format(**visit.world.ids) for page in HUB_PAGES]
    token = ""
    for page in pages:
        response = visit.client.get(page)
        if response.status_code != 200:
            continue
        body = response.get_data(as_text=True)
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


# -------------------------------------------------------------- the strategies


def _repeat(text: str, count: int) -> str:
    return text * count


texts = st.one_of(
    st.text(max_size=120),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=60),
    st.sampled_from(HOSTILE),
    st.lists(st.sampled_from(HOSTILE), min_size=2, max_size=4).map("".join),
    st.builds(_repeat, st.sampled_from(["x", "é", "<", "\u202e", "😀", "ab "]),
              st.integers(200, 30_000)),
)
dates = st.one_of(
    st.dates().map(date.isoformat),
    st.sampled_from(["2026-02-30", "2026-13-01", "0000-00-00", "31-12-2026", "2026/01/01",
                     "9999-12-31", "0001-01-01", "1899-12-31", "2026-1-1", "", " ",
                     "2026-01-01T00:00", "２０２６-０１-０１", "yesterday"]),
    texts,
)
numbers = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["", "1e9", "0x10", "٣", "-0", "1,5", " 7 ", "2147483648", "-2147483649"]),
    texts,
)


def _field_values(item: FormField) -> st.SearchStrategy[Any]:
    if item.kind == "date":
        base: st.SearchStrategy[Any] = dates
    elif item.kind == "number" or item.name in {"version", "minutes", "headcount"}:
        base = numbers
    elif item.kind == "select":
        choices = item.options or [""]
        base = st.one_of(st.sampled_from(choices), texts)
        if item.multiple:
            return st.lists(base, max_size=4)
    elif item.kind in {"checkbox", "radio", "button", "submit"}:
        base = st.sampled_from([item.value or "y", "y", "0", "", SCRIPT])
    elif item.kind == "file":
        return st.one_of(st.none(), st.binary(max_size=4000),
                         st.sampled_from([b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
                                          b"GIF89a" + b"\xff" * 32, b"<svg onload=alert(1)>",
                                          b"name,headcount\n<b>x</b>,3\n"]))
    else:
        base = texts
    # sometimes missing, sometimes sent twice
    return st.one_of(base, st.none(), st.lists(base, min_size=2, max_size=2))


def _plausible(item: FormField) -> Any:
    """What a person would most likely send in this field (the page's own value first)."""
    if item.kind in {"checkbox", "radio"}:
        return item.value or "y"
    if item.value:
        return item.value
    if item.kind == "select":
        chosen = next((option for option in item.options if option not in {"", "0"}), "")
        return [chosen] if item.multiple else chosen
    if item.kind == "date":
        return date.today().isoformat()
    if item.kind == "number" or item.name in {"minutes", "headcount"}:
        return "30"
    if item.kind == "email":
        return "iemand@voorbeeld.nl"
    if item.kind == "file":
        return None
    return "Gewone tekst"


def _form_data(form: Form | None) -> st.SearchStrategy[dict[str, Any]]:
    fields = [item for item in (form.fields if form else [])
              if item.name != "csrf_token" and item.kind != "submit"]
    if not fields:  # blind: guessed field names
        guessed = st.dictionaries(st.sampled_from(["name", "text", "email", "password", "code",
                                                   "date", "version", "message", "id"]),
                                  st.one_of(texts, numbers, dates), max_size=5)
        return guessed
    # everything hostile at once (mostly refused) ...
    known = st.fixed_dictionaries({item.name: _field_values(item) for item in fields})
    extra = st.dictionaries(st.text(alphabet=string.ascii_letters + "_[]", min_size=1,
                                    max_size=12), texts, max_size=2)
    everything = st.builds(lambda a, b: {**b, **a}, known, extra)
    # ... or a plausible form with one or two hostile fields (often accepted and stored, so
    # the page that shows it afterwards is checked for escaping too)
    plausible = {item.name: _plausible(item) for item in fields}
    few = st.lists(st.sampled_from(fields), min_size=1, max_size=2, unique_by=lambda f: f.name)
    mutated = few.flatmap(lambda chosen: st.fixed_dictionaries(
        {item.name: _field_values(item) for item in chosen}).map(
            lambda hostile: {**plausible, **hostile}))
    return st.one_of(everything, mutated)


# ------------------------------------------------------------------- the checks


def _database_digest(app: Flask) -> dict[str, str]:
    digests = {}
    with app.extensions["vp_engine"].connect() as connection:
        for table in Base.metadata.sorted_tables:
            if table.name in VOLATILE_TABLES:
                continue
            order = ", ".join(column.name for column in table.primary_key.columns)
            rows = connection.execute(text(f"SELECT * FROM {table.name} ORDER BY {order}"))  # noqa: S608 - our own table names
            digests[table.name] = hashlib.sha256(repr(rows.all()).encode()).hexdigest()
    return digests


def _refused(status: int, body: str) -> bool:
    return status in {400, 401, 403, 404, 405, 409, 413, 422, 429} or (
        status == 200 and ('aria-invalid="true"' in body or "notice-error" in body
                           or 'class="error"' in body))


def _sent_texts(data: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for name, value in data.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str):
                found.append((name, item))
    return found


def _check_escaped(body: str, data: dict[str, Any], where: str) -> None:
    for name, value in _sent_texts(data):
        for marker in HTML_MARKERS:
            if marker in value:
                assert marker not in body, f"{marker!r} from field {name} unescaped on {where}"


def _check_kept(body: str, form: Form | None, data: dict[str, Any]) -> None:
    if form is None:
        return
    shown = html.unescape(body)
    kinds = {item.name: item.kind for item in form.fields}
    for name, value in data.items():
        if kinds.get(name) not in TEXT_TYPES or not isinstance(value, str):
            continue
        if f'name="{name}"' not in body:
            continue  # this answer does not show the form again
        typed = value.strip()
        if typed and "\x00" not in typed and "\r" not in typed:
            assert typed in shown, f"what was typed in {name} is not kept: {typed[:80]!r}"


def _encode(data: dict[str, Any], token: str, form: Form | None) -> dict[str, Any]:
    files = {item.name for item in (form.fields if form else []) if item.kind == "file"}
    encoded: dict[str, Any] = {"csrf_token": token}
    for name, value in data.items():
        if value is None:
            continue
        if name in files:
            if isinstance(value, bytes):
                encoded[name] = (io.BytesIO(value), "upload.bin")
            continue
        encoded[name] = value
    return encoded


def _fuzz(visit: Visit, endpoint: str, rule: str, methods: set[str]) -> None:
    _prepare(visit, endpoint)
    url = _url(visit.world, endpoint, rule)
    form, token = _find_form(visit, endpoint, url, methods)
    if endpoint not in {"auth.logout", "auth.set_language"} and form is None:
        print(f"{endpoint}: no form found for {url}, fuzzing blind")
    multipart = bool(form and "multipart" in form.enctype)

    statuses: list[int] = []

    @hypothesis_settings(max_examples=EXAMPLES, deadline=None, database=None,
                         suppress_health_check=list(HealthCheck))
    @given(data=_form_data(form))
    def one(data: dict[str, Any]) -> None:
        check(data)

    def check(data: dict[str, Any]) -> None:
        before = _database_digest(visit.app)
        payload = _encode(data, token, form)
        response = visit.client.post(url, data=payload,
                                     content_type="multipart/form-data" if multipart else None)
        body = response.get_data(as_text=True)
        statuses.append(response.status_code * (-1 if _refused(response.status_code, body)
                                                else 1))
        assert response.status_code < 500, (endpoint, response.status_code)
        assert not visit.errors.records, visit.errors.records[0].getMessage()
        _check_escaped(body, data, url)
        if _refused(response.status_code, body):
            assert _database_digest(visit.app) == before, f"{endpoint} stored refused input"
            if response.status_code == 200:
                _check_kept(body, form, data)
        location = response.headers.get("Location", "")
        if response.status_code in {301, 302, 303} and location.startswith("/") and \
                "logout" not in endpoint:
            followed = visit.client.get(location)
            assert followed.status_code < 500, (endpoint, location)
            _check_escaped(followed.get_data(as_text=True), data, location)

    one()
    fields = [item for item in (form.fields if form else [])
              if item.name != "csrf_token" and item.kind not in {"submit", "file"}]
    plausible = {item.name: _plausible(item) for item in fields}
    for edge in EDGES:  # every field at once; and only the numbers and dates
        check({item.name: edge for item in fields} or {"x": edge})
        check({**plausible, **{item.name: edge for item in fields
                               if item.kind in {"number", "date", "hidden"}
                               or item.name in {"minutes", "headcount", "version"}}})
    print(f"\n{endpoint}: form {'found' if form else 'NOT found'}, "
          f"{len(form.fields) if form else 0} fields; answers (negative: refused): "
          f"{sorted(statuses)}")
    # an oversized body: the friendly 413, nothing stored
    before = _database_digest(visit.app)
    limit = visit.world.settings.max_request_bytes
    response = visit.client.post(url, data={"csrf_token": token, "x": "y" * (limit + 10)})
    assert response.status_code == 413 and "Traceback" not in response.get_data(as_text=True)
    assert _database_digest(visit.app) == before
    assert not visit.errors.records, visit.errors.records[0].getMessage()


RULES = _rules("POST")
PAGES = _rules("GET")
QUERY_NAMES = ("page", "next", "sort", "q", "status", "year", "department", "category",
               "period", "group", "actor", "action", "date_from", "date_to", "code", "lang")


@pytest.mark.parametrize(("endpoint", "rule"), RULES, ids=[f"{e} {r}" for e, r in RULES])
def test_every_form_survives_hostile_input(visit: Visit, endpoint: str, rule: str) -> None:
    methods = next(set(r.methods or ()) for r in visit.app.url_map.iter_rules()
                   if r.rule == rule and r.endpoint == endpoint)
    _fuzz(visit, endpoint, rule, methods)


@pytest.mark.parametrize(("endpoint", "rule"), PAGES, ids=[f"{e} {r}" for e, r in PAGES])
def test_every_page_survives_hostile_query_strings(visit: Visit, endpoint: str,
                                                   rule: str) -> None:
    """Search and filter forms (GET) and any query parameter a page might read."""
    _prepare(visit, endpoint)
    url = _url(visit.world, endpoint, rule)
    first = visit.client.get(url)
    assert first.status_code < 500
    names = {item.name for form in forms_on(first.get_data(as_text=True), "get")
             for item in form.fields} | set(QUERY_NAMES)
    values = st.one_of(texts, numbers, dates)

    @hypothesis_settings(max_examples=EXAMPLES // 2, deadline=None, database=None,
                         suppress_health_check=list(HealthCheck))
    @given(query=st.dictionaries(st.sampled_from(sorted(names)), st.one_of(
        values, st.lists(values, min_size=2, max_size=3)), min_size=1, max_size=6))
    def one(query: dict[str, Any]) -> None:
        response = visit.client.get(url, query_string=query)
        assert response.status_code < 500, (endpoint, response.status_code)
        assert not visit.errors.records, visit.errors.records[0].getMessage()
        _check_escaped(response.get_data(as_text=True), query, url)

    one()
    for edge in EDGES:
        for query in ({name: edge for name in names}, {"page": edge}):
            response = visit.client.get(url, query_string=query)
            assert response.status_code < 500, (endpoint, query, response.status_code)
            assert not visit.errors.records, visit.errors.records[0].getMessage()


def test_the_walk_covers_every_route() -> None:
    """The parametrisations above come from the URL map itself: nothing can escape them."""
    assert len(RULES) >= 40 and len(PAGES) >= 40
    assert {endpoint for endpoint, _rule in RULES} >= {
        "auth.login", "cases.create", "cases.edit", "admin.create_user", "contact.send",
        "management.follow_up", "signals.release"}
    assert {endpoint for endpoint, _rule in PAGES} >= {"cases.index", "admin.audit_log",
                                                       "management.overview"}
