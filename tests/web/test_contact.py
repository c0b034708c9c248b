"""The public counsellors page and the anonymous channel through the test client (issue 6):
no login, no JavaScript, no cookie but the CSRF session, receipt codes, identical refusals,
throttling, and the counsellor's side."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tests.casework import department
from tests.contactwork import chain_channel_entries, code_from_page, without_csrf
from tests.support.forms import AuthActions, csrf_token, post_form
from tests.support.sessions import db_session_for
from vp_registry.config import Settings
from vp_registry.db.accounts import User
from vp_registry.db.audit import AuditEntry, AuditPending
from vp_registry.db.cases import Case
from vp_registry.db.contact import ContactThread, CounsellorProfile
from vp_registry.services.contact import conversion, threads

PUBLIC_PAGES = ["/counsellors", "/contact", "/contact?kind=conversation", "/contact/replies"]
ADDRESS = "203.0.113.77"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Pages answer in English by default here: these tests read the English source strings
    (the Dutch catalogue is tested in tests/unit/test_translations.py)."""
    return settings.with_overrides(default_locale="en")


@pytest.fixture
def counsellor_user(counsellor_with_vault: Callable[..., User]) -> User:
    """A counsellor with access to the vault (which creates the message key pair)."""
    return counsellor_with_vault(display_name="Marieke de Boer")


def client_from(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


@pytest.fixture
def anonymous(app: Flask, counsellor_user: User) -> FlaskClient:
    """A visitor without an account, from a documentation address, channel open."""
    return client_from(app, ADDRESS)


def _send(client: FlaskClient, **fields: Any) -> Any:
    data = {"kind": "message", "message": "Ik word buitengesloten bij de lunch.",
            "department_id": "0", "category": "", "contact": "", "website": ""}
    data.update(fields)
    return post_form(client, "/contact", data)


def _code(client: FlaskClient, **fields: Any) -> str:
    response = _send(client, **fields)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return code_from_page(response.get_data(as_text=True))


def _thread_id(app: Flask) -> int:
    with app.app_context(), db_session_for(app) as session:
        return int(session.execute(select(ContactThread.id)).scalar_one())


# ------------------------------------------------------------ public pages


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_work_without_login_javascript_or_third_parties(
    anonymous: FlaskClient, path: str
) -> None:
    response = anonymous.get(path)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<script" not in page.lower()
    for url in re.findall(r'(?:src|href|action)="([^"]+)"', page):
        assert url.startswith(("/", "#", "tel:", "mailto:")), url
    cookies = [h.split("=", 1)[0] for h in response.headers.getlist("Set-Cookie")]
    assert set(cookies) <= {"vp_session"}, cookies  # the CSRF token's server-side session
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response.headers["Cache-Control"]


def test_the_counsellors_page_shows_profiles_and_the_general_text(
    app: Flask, settings: Settings, anonymous: FlaskClient, counsellor_user: User,
    create_user: Callable[..., User]
) -> None:
    hidden = create_user("counsellor", display_name="Verborgen Persoon")
    with app.app_context(), db_session_for(app) as session:
        session.add(CounsellorProfile(user_id=counsellor_user.id, public_name="Marieke de Boer",
                                      kind="internal", phone="06-12345678",
                                      email="vertrouwenspersoon@voorbeeld.nl",
                                      office_hours="Dinsdag 9-12 uur", visible=True,
                                      photo_version=0))
        session.add(CounsellorProfile(user_id=hidden.id, public_name="Verborgen Persoon",
                                      kind="external", visible=False, photo_version=0))
        session.commit()
    anonymous.set_cookie("vp_lang", "nl")
    page = anonymous.get("/counsellors").get_data(as_text=True)
    assert "Marieke de Boer" in page and "06-12345678" in page and "Dinsdag 9-12 uur" in page
    assert 'href="tel:0612345678"' in page
    assert "Verborgen Persoon" not in page
    assert "Luistert naar jouw verhaal, zonder oordeel." in page  # the Dutch default text
    assert 'href="/contact?kind=conversation"' in page and 'href="/contact?kind=message"' in page
    english = app.test_client()
    english.set_cookie("vp_lang", "en")
    assert "Listens to your story, without judging." in english.get("/counsellors").get_data(
        as_text=True)


def test_without_the_vault_key_pair_the_form_says_the_channel_is_closed(
    app: Flask, client: FlaskClient
) -> None:
    page = client.get("/contact").get_data(as_text=True)
    assert 'name="message"' not in page
    assert "/contact?kind=message" not in client.get("/counsellors").get_data(as_text=True)


# ------------------------------------------------------------------ sending


def test_send_read_reply_and_answer_with_the_receipt_code(
    app: Flask, settings: Settings, anonymous: FlaskClient, counsellor_user: User,
    client: FlaskClient
) -> None:
    with app.app_context(), db_session_for(app) as session:
        dept = department(session, "Productie ploeg B", settings)
        session.commit()
        dept_id = dept.id
    response = _send(anonymous, kind="conversation", department_id=str(dept_id),
                     category="uitsluiting", contact="06-11112222")
    page = response.get_data(as_text=True)
    code = code_from_page(page)
    assert "Write these six words down" in page
    assert 'name="language"' not in page  # no language switch that would lose the code
    # the counsellor sees it on the start page, reads it and replies
    assert AuthActions(client).login(counsellor_user).status_code == 302
    assert "1 new message" in client.get("/start").get_data(as_text=True)
    thread_id = _thread_id(app)
    listing = client.get("/messages").get_data(as_text=True)
    assert "Ik word buitengesloten bij de lunch." in listing and "Productie ploeg B" in listing
    thread_page = client.get(f"/messages/{thread_id}").get_data(as_text=True)
    assert "06-11112222" in thread_page and "Conversation requested" in thread_page
    response = post_form(client, f"/messages/{thread_id}/reply",
                         {"message": "Zullen we donderdag om 14 uur afspreken?"},
                         form_page=f"/messages/{thread_id}")
    assert response.status_code == 302
    assert "No new messages." in client.get("/start").get_data(as_text=True)
    # the visitor comes back with the code, typed in capitals with dashes
    response = post_form(anonymous, "/contact/replies", {"code": code.upper().replace(" ", "-")})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Zullen we donderdag om 14 uur afspreken?" in page and "Marieke de Boer" in page
    assert "Ik word buitengesloten" not in page  # their own words are not shown again
    token = re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', page)
    assert token is not None
    response = anonymous.post("/contact/replies/answer", data={
        "csrf_token": token.group(1), "code": code, "message": "Donderdag is goed."})
    assert response.status_code == 200
    assert "Your answer has been sent." in response.get_data(as_text=True)
    assert "1 new message" in client.get("/start").get_data(as_text=True)
    assert "Donderdag is goed." in client.get(f"/messages/{thread_id}").get_data(as_text=True)


def test_validation_keeps_what_was_typed(anonymous: FlaskClient) -> None:
    response = _send(anonymous, message="", contact="06-1234")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Write your message." in page
    assert 'value="06-1234"' in page
    response = _send(anonymous, message="x" * 5001)
    assert "Use at most 5000 characters." in response.get_data(as_text=True)
    assert "receipt-code" not in response.get_data(as_text=True)


def test_the_request_size_is_limited(anonymous: FlaskClient) -> None:
    token = csrf_token(anonymous, "/contact")
    response = anonymous.post("/contact", data={"csrf_token": token, "kind": "message",
                                                "message": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413


def test_the_honeypot_catches_naive_bots(app: Flask, anonymous: FlaskClient) -> None:
    response = _send(anonymous, website="http://spam.example")
    assert "receipt-code" not in response.get_data(as_text=True)
    assert "Leave this field empty." in response.get_data(as_text=True)
    with app.app_context(), db_session_for(app) as session:
        assert session.execute(select(ContactThread)).first() is None


def test_sending_is_limited_per_address(app: Flask, anonymous: FlaskClient) -> None:
    from vp_registry.web.contact.privacy import SENDS_PER_HOUR

    for _ in range(SENDS_PER_HOUR):
        assert _send(anonymous).status_code == 200
    assert _send(anonymous).status_code == 429
    elsewhere = client_from(app, "198.51.100.20")
    assert _send(elsewhere).status_code == 200


# ------------------------------------------------------------- wrong codes


def test_every_wrong_code_gets_the_same_answer(anonymous: FlaskClient) -> None:
    code = _code(anonymous)
    unknown = " ".join(reversed(code.split(" ")))
    answers = []
    for wrong in (unknown, "hallo daar", "een twee drie vier vijf zes"):
        response = post_form(anonymous, "/contact/replies", {"code": wrong})
        assert response.status_code == 200
        page = without_csrf(response.get_data(as_text=True))
        answers.append(page.replace(wrong, "WRONG").replace(code, "WRONG"))
    assert "This receipt code is not known." in answers[0]
    assert answers[0] == answers[1] == answers[2]


def test_wrong_codes_are_throttled_per_address_in_memory(
    app: Flask, settings: Settings, anonymous: FlaskClient
) -> None:
    code = _code(anonymous)
    wrong = " ".join(reversed(code.split(" ")))
    for _ in range(settings.throttle_free_attempts - 1):
        assert post_form(anonymous, "/contact/replies", {"code": wrong}).status_code == 200
    assert post_form(anonymous, "/contact/replies", {"code": wrong}).status_code == 200
    locked = post_form(anonymous, "/contact/replies", {"code": code})  # even the right one
    assert locked.status_code == 429
    assert "Too many attempts." in locked.get_data(as_text=True)
    answer = anonymous.post("/contact/replies/answer", data={
        "csrf_token": csrf_token(anonymous, "/contact/replies"), "code": code,
        "message": "Hallo"})
    assert answer.status_code == 429
    elsewhere = client_from(app, "198.51.100.20")
    response = post_form(elsewhere, "/contact/replies", {"code": code})
    assert response.status_code == 200 and "There is no reply yet." in response.get_data(
        as_text=True)
    # nothing of the throttle is in the database
    with app.app_context(), db_session_for(app) as session:
        from vp_registry.db.accounts import LoginThrottle

        assert session.execute(select(LoginThrottle)).first() is None


def test_an_answer_with_a_wrong_code_is_refused_like_a_wrong_code(
    app: Flask, anonymous: FlaskClient
) -> None:
    _code(anonymous)
    response = anonymous.post("/contact/replies/answer", data={
        "csrf_token": csrf_token(anonymous, "/contact/replies"),
        "code": "aanbod potlood zwager eiland kaas taart", "message": "Hallo"})
    assert response.status_code == 200
    assert "This receipt code is not known." in response.get_data(as_text=True)
    with app.app_context(), db_session_for(app) as session:
        assert threads.inbox(session).total == 1


# -------------------------------------------------------- counsellor side


@pytest.fixture
def counsellor(client: FlaskClient, counsellor_user: User) -> User:
    assert AuthActions(client).login(counsellor_user).status_code == 302
    return counsellor_user


def _pending(session: Session, action: str) -> int:
    """How many date-only entries of the channel wait for the end of their day."""
    return int(session.execute(select(func.count()).select_from(AuditPending)
                               .where(AuditPending.action == action)).scalar_one())


def test_turn_a_message_into_a_case_from_the_thread_page(
    app: Flask, settings: Settings, anonymous: FlaskClient, client: FlaskClient,
    counsellor: User
) -> None:
    with app.app_context(), db_session_for(app) as session:
        dept_id = department(session, "Magazijn en logistiek", settings).id
        session.commit()
    _code(anonymous, message="De chef scheldt ons uit als het druk is.",
          department_id=str(dept_id), category="agressie", contact="Bel 06-55554444")
    thread_id = _thread_id(app)
    form_page = client.get(f"/messages/{thread_id}/case").get_data(as_text=True)
    assert f'<option selected value="{dept_id}">' in form_page
    assert re.search(r'<input checked[^>]*value="agressie"', form_page)
    response = post_form(client, f"/messages/{thread_id}/case", {
        "opened_on": "", "department_id": str(dept_id), "categories": ["agressie"],
        "channel": "email", "minutes": "15"})
    assert response.status_code == 200 and "Enter a date." in response.get_data(as_text=True)
    with app.app_context(), db_session_for(app) as session:
        received = session.execute(select(ContactThread.received_on)).scalar_one()
    response = post_form(client, f"/messages/{thread_id}/case", {
        "opened_on": received.isoformat(), "department_id": str(dept_id),
        "categories": ["agressie"], "channel": "email", "minutes": "15"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    case_url = response.headers["Location"]
    case_page = client.get(case_url).get_data(as_text=True)
    assert "De chef scheldt ons uit als het druk is." in case_page
    assert "06-55554444" not in case_page  # no consent recorded: contact details stay out
    assert re.search(r"VP-\d{4}-[0-9A-Z]{4}", case_page)
    thread_page = client.get(f"/messages/{thread_id}").get_data(as_text=True)
    assert "This message became case" in thread_page
    again = client.get(f"/messages/{thread_id}/case")
    assert again.status_code == 302
    with app.app_context(), db_session_for(app) as session:
        assert len(list(session.execute(select(Case)).scalars())) == 1


def test_delete_a_message_as_spam(
    app: Flask, anonymous: FlaskClient, client: FlaskClient, counsellor: User
) -> None:
    code = _code(anonymous, message="Koop goedkope horloges!")
    thread_id = _thread_id(app)
    response = post_form(client, f"/messages/{thread_id}/delete", {})
    assert response.status_code == 200 and "Tick the box" in response.get_data(as_text=True)
    response = post_form(client, f"/messages/{thread_id}/delete", {"confirmed": "y"})
    assert response.status_code == 302
    assert client.get(f"/messages/{thread_id}").status_code == 404
    refused = post_form(anonymous, "/contact/replies", {"code": code})
    assert "This receipt code is not known." in refused.get_data(as_text=True)


def test_messages_need_the_vault_key(
    app: Flask, create_user: Callable[..., User], counsellor_user: User
) -> None:
    newcomer = create_user("counsellor")
    other = app.test_client()
    assert AuthActions(other).login(newcomer).status_code == 302
    page = other.get("/messages").get_data(as_text=True)
    assert "Access to the case files" in page


# ------------------------------------------------------------ profile, text


def _jpeg_with_exif(size: tuple[int, int] = (800, 600)) -> bytes:
    image = Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "SECRETCAMERA"  # Make
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_a_counsellor_edits_their_entry_and_photo(
    app: Flask, client: FlaskClient, counsellor: User, anonymous: FlaskClient
) -> None:
    form = client.get("/profile").get_data(as_text=True)
    assert 'value="Marieke de Boer"' in form
    response = post_form(client, "/profile", {
        "public_name": "Marieke de Boer", "kind": "internal", "phone": "06-12345678",
        "email": "marieke@voorbeeld.nl", "office_hours": "Dinsdag 9:00-12:00, kamer 2.14",
        "about": "Werkvoorbereider, al tien jaar in dienst.", "visible": "y"})
    assert response.status_code == 302
    response = post_form(client, "/profile", {"public_name": "M", "kind": "internal",
                                              "phone": "bel me"})
    assert "Enter a phone number" in response.get_data(as_text=True)
    token = csrf_token(client, "/profile")
    response = client.post("/profile/photo", data={
        "csrf_token": token, "photo": (io.BytesIO(_jpeg_with_exif()), "foto.jpg")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    public = anonymous.get("/counsellors").get_data(as_text=True)
    assert "Dinsdag 9:00-12:00, kamer 2.14" in public
    photo_url = re.search(r'src="(/counsellors/\d+/photo/\d+)"', public)
    assert photo_url is not None
    photo = anonymous.get(photo_url.group(1))
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    assert photo.headers["X-Content-Type-Options"] == "nosniff"
    assert b"SECRETCAMERA" not in photo.data
    assert Image.open(io.BytesIO(photo.data)).size == (400, 400)
    token = csrf_token(client, "/profile")
    response = client.post("/profile/photo", data={
        "csrf_token": token, "photo": (io.BytesIO(b"<svg onload=alert(1)>"), "x.jpg")},
        content_type="multipart/form-data")
    assert response.status_code == 200
    assert "Upload a JPEG or PNG photo." in response.get_data(as_text=True)
    response = post_form(client, "/profile/photo/remove", {}, form_page="/profile")
    assert response.status_code == 302
    assert anonymous.get(photo_url.group(1)).status_code == 404


def test_the_admin_edits_the_general_text(
    app: Flask, client: FlaskClient, create_user: Callable[..., User], anonymous: FlaskClient
) -> None:
    admin = create_user("admin")
    anonymous.set_cookie("vp_lang", "nl")  # the Dutch text is edited and read back
    assert AuthActions(client).login(admin).status_code == 302
    page = client.get("/admin/public-page/nl").get_data(as_text=True)
    assert "Luistert naar jouw verhaal" in page
    response = post_form(client, "/admin/public-page/nl", {
        "intro": "Welkom bij de vertrouwenspersonen van Voorbeeld Techniek.",
        "does": "- Luistert\n- Denkt mee", "does_not": "- Beslist niet voor jou",
        "confidentiality": "Alles blijft vertrouwelijk."})
    assert response.status_code == 302
    public = anonymous.get("/counsellors").get_data(as_text=True)
    assert "Welkom bij de vertrouwenspersonen van Voorbeeld Techniek." in public
    assert "<li>Denkt mee</li>" in public
    response = post_form(client, "/admin/public-page/nl", {
        "intro": "<script>alert(1)</script>", "does": "x", "does_not": "y",
        "confidentiality": "z"})
    assert "<script>alert(1)</script>" not in anonymous.get("/counsellors").get_data(
        as_text=True)
    assert client.get("/admin/public-page/de").status_code == 404


def test_the_admin_audit_page_shows_the_channel_by_date_only_and_no_thread(
    app: Flask, settings: Settings, anonymous: FlaskClient, client: FlaskClient,
    counsellor: User, create_user: Callable[..., User]
) -> None:
    """Issue 11, item 2: what the admin reads of the anonymous channel - a message sent, read,
    turned into a case - holds the date only and no thread id; the case's own entry is the
    case.create any new case gets."""
    with app.app_context(), db_session_for(app) as session:
        dept_id = department(session, "Magazijn en logistiek", settings).id
        session.commit()
    _code(anonymous, message="De chef scheldt ons uit.", department_id=str(dept_id),
          category="agressie")
    thread_id = _thread_id(app)
    assert client.get(f"/messages/{thread_id}").status_code == 200
    with app.app_context(), db_session_for(app) as session:
        received = session.execute(select(ContactThread.received_on)).scalar_one()
    response = post_form(client, f"/messages/{thread_id}/case", {
        "opened_on": received.isoformat(), "department_id": str(dept_id),
        "categories": ["agressie"], "channel": "email", "minutes": "15"})
    assert response.status_code == 302
    reference = response.headers["Location"].rsplit("/", 1)[1]
    with app.app_context(), db_session_for(app) as session:
        chain_channel_entries(session, settings)  # as the first append of tomorrow would

    admin = app.test_client()
    assert AuthActions(admin).login(create_user("admin")).status_code == 302
    page = admin.get("/admin/audit").get_data(as_text=True)
    rows = [" ".join(re.sub(r"<[^>]+>", " ", row).split())
            for row in re.findall(r"<tr>(.*?)</tr>", page, re.S)]
    channel = [row for row in rows if " contact." in row and "contact.create" not in row]
    actions = {re.search(r"contact\.\w+", row).group(0) for row in channel}  # type: ignore[union-attr]
    assert actions == {"contact.receive", "contact.read", "contact.convert"}, rows
    for row in channel:
        assert not re.search(r"\d\d:\d\d:\d\d", row), row
        assert str(thread_id) not in row and reference not in row, row
    assert [row for row in rows if "case.create" in row and reference in row]
    assert not [row for row in rows if "contact.create" in row and reference in row]


def test_a_conversion_that_meets_a_concurrent_change_keeps_the_read_it_shows(
    app: Flask, settings: Settings, anonymous: FlaskClient, client: FlaskClient,
    counsellor: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 13: the conversion page decrypts the conversation (audited ``contact.read``) and
    then writes the case in a savepoint. When another change of the thread stales that write,
    only the savepoint goes: the page shows the conflict with the conversation, its read stays
    recorded, and no case - nor its ``case.create`` - is left behind. (The service used to roll
    back the whole request, read entry included.)"""
    with app.app_context(), db_session_for(app) as session:
        dept_id = department(session, "Magazijn en logistiek", settings).id
        session.commit()
    _code(anonymous, message="De chef scheldt ons uit als het druk is.",
          contact="Bel 06-55554444")
    thread_id = _thread_id(app)
    token = csrf_token(client, f"/messages/{thread_id}/case")  # the form page: one read
    with app.app_context(), db_session_for(app) as session:
        received = session.execute(select(ContactThread.received_on)).scalar_one()
        reads_before = _pending(session, "contact.read")

    checked = conversion._case_input

    def concurrently_changed(session: Session, *args: Any) -> Any:
        # another request changes the thread after this one read it (same transaction here:
        # the row's version moves on under the loaded object, as a concurrent commit would)
        session.connection().execute(
            update(ContactThread.__table__).where(ContactThread.__table__.c.id == thread_id)
            .values(version=ContactThread.__table__.c.version + 1))
        return checked(session, *args)

    monkeypatch.setattr(conversion, "_case_input", concurrently_changed)
    response = client.post(f"/messages/{thread_id}/case", data={
        "csrf_token": token, "opened_on": received.isoformat(), "department_id": str(dept_id),
        "categories": ["agressie"], "channel": "email", "minutes": "15"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:2000]
    assert "This conversation changed in the meantime" in page
    assert "Bel 06-55554444" in page  # decrypted content shown...
    with app.app_context(), db_session_for(app) as session:
        assert _pending(session, "contact.read") == reads_before + 1  # ...and its read kept
        assert _pending(session, "contact.convert") == 0
        assert session.execute(select(Case)).first() is None
        created = select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "case.create")
        assert session.execute(created).scalar_one() == 0  # no entry for a case not made
