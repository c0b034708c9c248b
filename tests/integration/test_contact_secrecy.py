"""Canary tests of the anonymous channel (issue 6; DESIGN I-1, I-5, I-8).

A visitor from a distinctive address (203.0.113.77, a documentation range) with a distinctive
browser sends a message full of unique markers, reads the reply and answers it; a counsellor
replies with markers too. Afterwards:

* the raw SQLite file and its -wal (or a pg_dump) hold no marker, no receipt code, no address
  and no browser name - and the chosen department and category appear no more often than
  before the message;
* the application log (captured at DEBUG) and the audit log hold no address, no browser name,
  no receipt code and no content;
* the request log of werkzeug with the application's request handler (``vp-registry run``)
  names no client and leaves out the anonymous pages entirely (gunicorn's logger:
  tests/unit/test_request_log.py; both servers for real: tests/browser/test_request_logs.py).
"""

from __future__ import annotations

import logging
import secrets
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.casework import department, unlock
from tests.contactwork import chain_channel_entries, code_from_page
from tests.integration.test_case_secrecy import database_bytes
from tests.support.forms import post_form
from tests.support.sessions import db_session_for
from vp_registry.config import Settings
from vp_registry.db.accounts import User
from vp_registry.db.audit import AuditEntry
from vp_registry.db.contact import ContactThread
from vp_registry.services.accounts import organisation
from vp_registry.services.contact import threads
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.work import Work

ADDRESS = "203.0.113.77"
BROWSER = "CanaryBrowser/7.7 (X11; Secret workstation WS-0042)"


@pytest.fixture
def counsellor(counsellor_with_vault: Callable[..., User]) -> User:
    return counsellor_with_vault(display_name="Marieke de Boer")


@pytest.fixture
def visitor(app: Flask, counsellor: User) -> FlaskClient:
    client = app.test_client()
    client.environ_base.update({"REMOTE_ADDR": ADDRESS, "HTTP_USER_AGENT": BROWSER})
    return client


def _everything(db: Any) -> str:
    entries = db.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars()
    return "\n".join(" ".join(str(value) for value in (
        e.actor_id, e.actor_role, e.action, e.target_type, e.target_id, e.details))
        for e in entries)


def test_markers_addresses_and_codes_never_reach_the_files_logs_or_audit(
    app: Flask, settings: Settings, visitor: FlaskClient, counsellor: User,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    tag = secrets.token_hex(6).upper()
    markers = {name: f"CANARY{tag}{name.upper()}" for name in (
        "message", "contact", "answer", "reply", "dept", "cat")}
    with app.app_context(), db_session_for(app) as db:
        dept = department(db, markers["dept"], settings)
        category = organisation.create_category(Work(db, settings, Actor.system()),
                                                code=f"cat{tag.lower()}",
                                                label_nl=markers["cat"], label_en=markers["cat"])
        db.commit()
        dept_id, category_code = dept.id, category.code
    before = database_bytes(settings)
    counts_before = {word: before.count(word.encode()) for word in (
        markers["dept"], category_code, "uitsluiting", "conversation")}

    # the anonymous visitor: counsellors page, form, send, read, answer
    assert visitor.get("/counsellors").status_code == 200
    response = post_form(visitor, "/contact", {
        "kind": "conversation", "message": markers["message"], "department_id": str(dept_id),
        "category": category_code, "contact": markers["contact"], "website": ""})
    code = code_from_page(response.get_data(as_text=True))
    with app.app_context(), db_session_for(app) as db:
        thread_id = db.execute(select(ContactThread.id)).scalar_one()
        keys = unlock(db, settings, counsellor)
        threads.reply(Work(db, settings, Actor(counsellor.id, "counsellor"), keys=keys), thread_id,
                      markers["reply"], author_name="Marieke de Boer")
        db.commit()
    page = post_form(visitor, "/contact/replies", {"code": code}).get_data(as_text=True)
    assert markers["reply"] in page
    wrong = post_form(visitor, "/contact/replies", {"code": "een twee drie vier vijf zes"})
    assert wrong.status_code == 200
    token = post_form(visitor, "/contact/replies", {"code": code}).get_data(as_text=True)
    csrf = token.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    response = visitor.post("/contact/replies/answer", data={
        "csrf_token": csrf, "code": code, "message": markers["answer"]})
    assert response.status_code == 200

    raw = database_bytes(settings)
    for name, marker in markers.items():
        if name in {"dept", "cat"}:
            continue
        assert marker.encode() not in raw, name
        assert marker.lower().encode() not in raw.lower(), name
    for word, count in counts_before.items():
        assert raw.count(word.encode()) == count, f"{word!r} appears in the message data"
    for secret in (ADDRESS, BROWSER, "CanaryBrowser", code, code.replace(" ", "")):
        assert secret.encode() not in raw, secret

    with app.app_context(), db_session_for(app) as db:
        chain_channel_entries(db, settings)
        audit_text = _everything(db)
    logged = caplog.text + "\n".join(str(r.__dict__) for r in caplog.records)
    for secret in (ADDRESS, BROWSER, "CanaryBrowser", code, *markers.values()):
        if secret in {markers["dept"], markers["cat"]}:
            continue  # the admin created them (audit names the category code, by design)
        assert secret not in logged, secret
        assert secret not in audit_text, secret
    assert "contact.receive" in audit_text and "anonymous" in audit_text


# ----------------------------------------------------------- request logs


def test_werkzeug_logs_no_request_line_of_the_anonymous_pages(
    real_server: str, counsellor: User, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for path in ("/counsellors", "/contact", "/contact?kind=conversation", "/contact/replies",
                 "/login"):
        with urllib.request.urlopen(real_server + path, timeout=10) as answer:  # noqa: S310
            assert answer.status == 200
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any('"GET /login HTTP/1.1" 200' in line for line in lines), lines  # logging works
    assert not [line for line in lines if "/contact" in line or "/counsellors" in line]
    assert not [line for line in lines if "127.0.0.1" in line], lines
