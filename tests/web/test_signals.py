"""Signal pages through the test client: the counsellor reviews, sets aside, previews and
releases (or is refused); management sees bands only, exports exactly the table it sees,
acknowledges and records follow-up, which the counsellor then sees."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.casework import unlock
from tests.signalwork import END, WINDOW, Organisation, add_case, day_in, seed
from tests.support.forms import AuthActions, post_form
from tests.support.sessions import db_session_for
from vp_registry.config import Settings
from vp_registry.core.disclosure import DisclosureRules, Figure, cell_set
from vp_registry.db.accounts import User
from vp_registry.db.audit import AuditEntry
from vp_registry.db.disclosure import DisclosureFigure
from vp_registry.db.signals import ReleasedSignal
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.signals import ledger
from vp_registry.services.work import Work

TOKEN = re.compile(r"/signals/([0-9a-f]{32})/release")
RULES = DisclosureRules()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Pages answer in English by default here: these tests read the English source strings
    (the Dutch catalogue is tested in tests/unit/test_translations.py)."""
    return settings.with_overrides(default_locale="en")


@pytest.fixture
def org(app: Flask, settings: Settings, counsellor: User) -> Organisation:
    with app.app_context(), db_session_for(app) as session:
        keys = unlock(session, settings, counsellor)
        return seed(session, settings, Actor(counsellor.id, "counsellor"), keys)


@pytest.fixture
def manager_client(app: Flask, create_user: Callable[..., User]) -> FlaskClient:
    other = app.test_client()
    assert AuthActions(other).login(create_user("manager")).status_code == 302
    return other


def _text(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined, no-any-return]


def _tokens(page: str) -> list[str]:
    return TOKEN.findall(page)


def _magazijn_token(client: FlaskClient) -> str:
    page = _text(client.get("/signals"))
    for token in _tokens(page):
        release_page = _text(client.get(f"/signals/{token}/release"))
        if "Magazijn en logistiek" in release_page and "bullying" in release_page \
                and "Concentration" not in release_page:
            return token
    raise AssertionError("no release link for the Magazijn concentration")


def _release(client: FlaskClient, token: str, **extra: object) -> object:
    data = {"actions": ["team_talk", "training"],
            "context": "Meerdere signalen over de omgang in het magazijn.", "step": "release"}
    data.update(extra)
    return post_form(client, f"/signals/{token}/release", data,
                     form_page=f"/signals/{token}/release")


def _count(app: Flask, model: type) -> int:
    with app.app_context(), db_session_for(app) as session:
        if model is DisclosureFigure:  # released figures, not a review's answers (issue 12)
            return len(ledger.load_ledger(session, reviews=False))
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def _audit_actions(app: Flask) -> list[str]:
    with app.app_context(), db_session_for(app) as session:
        return list(session.execute(select(AuditEntry.action)).scalars())


def _release_a_table_the_magazijn_band_would_expose(
    app: Flask, settings: Settings, counsellor: User, org: Organisation
) -> None:
    """An earlier table (row total exact, werkdruk "< 3", pesten "3+") plus a werkdruk case:
    the Magazijn candidate's "3-4" would then pin werkdruk at Magazijn to 1-2 cases."""
    with app.app_context(), db_session_for(app) as session:
        keys = unlock(session, settings, counsellor)
        actor = Actor(counsellor.id, "counsellor")
        add_case(session, settings, actor, keys, org.magazijn, day_in(WINDOW[1], 2),
                 ("werkdruk",))
        pesten = cell_set([org.magazijn], ["pesten"], WINDOW)
        werkdruk = cell_set([org.magazijn], ["werkdruk"], WINDOW)
        counts = {(org.magazijn, "pesten", q): 1 for q in WINDOW}
        counts[(org.magazijn, "werkdruk", WINDOW[1])] = 1
        ledger.release(Work(session, settings, actor), kind="report", reference="earlier table",
                       figures=[Figure.exact(pesten | werkdruk, 5, "Magazijn · total"),
                                Figure.protected(werkdruk, RULES, "Magazijn · werkdruk"),
                                Figure.at_least_k(pesten, RULES, "Magazijn · pesten")],
                       true_counts=counts)
        session.commit()


def test_the_counsellor_reviews_candidates_with_exact_counts(
    client: FlaskClient, org: Organisation
) -> None:
    page = _text(client.get("/signals"))
    assert "4 cases of bullying in Magazijn en logistiek since" in page
    assert "4 cases of work pressure in Productie" in page
    assert "2 cases since" in page and "name the same person involved" in page
    # three releasable candidates (two concentrations and a rise); recurrence is not one
    assert len(_tokens(page)) == 3
    assert "never released to management" in page
    assert re.search(r"VP-\d{4}-[0-9A-Z]{4}", page), "the counsellor sees the case references"


def test_without_the_vault_key_the_page_explains_instead(
    client: FlaskClient, create_user: Callable[..., User]
) -> None:
    user = create_user("counsellor")
    assert AuthActions(client).login(user).status_code == 302
    response = client.get("/signals")
    assert response.status_code == 200
    assert "Access to the case files" in _text(response)


def test_set_aside_and_review_again(app: Flask, client: FlaskClient, org: Organisation
                                    ) -> None:
    token = _tokens(_text(client.get("/signals")))[0]
    response = post_form(client, f"/signals/{token}/dismiss", {}, form_page="/signals")
    assert response.status_code == 302
    page = _text(client.get("/signals"))
    assert token not in _tokens(page)
    assert f"/signals/{token}/restore" in page
    assert post_form(client, f"/signals/{token}/restore", {},
                     form_page="/signals").status_code == 302
    assert token in _tokens(_text(client.get("/signals")))
    actions = _audit_actions(app)
    assert "signal.dismiss" in actions and "signal.restore" in actions


def test_preview_then_release(app: Flask, client: FlaskClient, org: Organisation) -> None:
    token = _magazijn_token(client)
    page = _text(client.get(f"/signals/{token}/release"))
    assert "What management will see" in page
    # '3+': the review's rise answer covers the window (issue 12, session 8)
    assert "3+ cases of bullying in Magazijn en logistiek in" in page
    assert 'value="release"' not in page, "no release button before a preview"

    # a preview without any suggested action keeps what was typed and says what is missing
    response = post_form(client, f"/signals/{token}/release",
                         {"context": "Eigen tekst blijft staan", "step": "preview"})
    page = _text(response)
    assert "Suggest at least one action" in page and "Eigen tekst blijft staan" in page
    assert 'value="release"' not in page

    response = post_form(client, f"/signals/{token}/release",
                         {"actions": ["team_talk"], "context": "Eerst met het team praten.",
                          "step": "preview"})
    page = _text(response)
    assert "it can be released" in page and 'value="release"' in page
    assert "A conversation with the team" in page and "Eerst met het team praten." in page
    assert _count(app, DisclosureFigure) == 0

    response = _release(client, token)
    assert response.status_code == 302  # type: ignore[attr-defined]
    location = response.headers["Location"]  # type: ignore[attr-defined]
    assert re.search(r"/signals/released/\d+$", location)
    page = _text(client.get(location))
    assert "3+" in page and "Meerdere signalen over de omgang in het magazijn." in page
    assert "Management has not acknowledged this signal yet." in page
    assert _count(app, DisclosureFigure) == 1 and _count(app, ReleasedSignal) == 1
    assert "signal.release" in _audit_actions(app)
    # released candidates leave the list of candidates to review
    assert token not in _tokens(_text(client.get("/signals")))


def test_a_refused_release_says_why_and_releases_nothing(
    app: Flask, settings: Settings, client: FlaskClient, counsellor: User, org: Organisation
) -> None:
    """A table released earlier (row total exact, werkdruk "< 3", pesten "3+") plus this
    signal's "3-4" would pin werkdruk at Magazijn to 1-2 cases."""
    _release_a_table_the_magazijn_band_would_expose(app, settings, counsellor, org)
    before = _count(app, DisclosureFigure)
    token = _magazijn_token(client)
    page = _text(client.get(f"/signals/{token}/release"))
    assert "Disclosure control would refuse this release." in page

    response = _release(client, token)
    page = _text(response)
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert "Disclosure control refused this release. Nothing was released." in page
    assert "Magazijn · werkdruk" in page and "holds 1-2 cases" in page
    assert 'value="release"' not in page
    assert _count(app, DisclosureFigure) == before
    assert _count(app, ReleasedSignal) == 0
    assert "disclosure.refused" in _audit_actions(app)


def test_management_sees_bands_exports_what_it_sees_and_records_follow_up(
    app: Flask, client: FlaskClient, manager_client: FlaskClient, org: Organisation
) -> None:
    _release(client, _magazijn_token(client))
    page = _text(manager_client.get("/management/signals"))
    assert "3+ cases of bullying in Magazijn en logistiek" in page or "3+" in page
    assert "4 cases" not in page
    assert not re.search(r"VP-\d{4}-[0-9A-Z]{4}", page), "no case reference for management"
    assert '<svg class="chart"' in page and 'role="img"' in page
    cards = _cards(page)
    assert len(cards) == 1
    card = cards[0]
    assert [card["Department"], card["Category"], card["Number of cases"]] == [
        "Magazijn en logistiek", "Bullying", "3+"]

    response = manager_client.get("/management/signals.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    exported = list(csv.reader(io.StringIO(_text(response).lstrip("\ufeff")), delimiter=";"))
    header = ["Period", "Department", "Category", "Cases", "Suggested actions", "Context",
              "Follow-up"]
    assert exported[0] == header and len(exported) == 2
    assert exported[1][:4] == [card["Period"], card["Department"], card["Category"],
                               card["Number of cases"]]
    assert "signal.export" in _audit_actions(app)

    # the filtered view and its export match too
    response = manager_client.get(f"/management/signals?category=werkdruk&period={END}")
    assert "No signals match." in _text(response)
    exported = list(csv.reader(io.StringIO(_text(manager_client.get(
        f"/management/signals.csv?category=werkdruk&period={END}")).lstrip("\ufeff")),
        delimiter=";"))
    assert exported == [header]

    detail = re.search(r'href="(/management/signals/\d+)"', page)
    assert detail
    url = detail.group(1)
    assert post_form(manager_client, f"{url}/acknowledge", {}, form_page=url).status_code == 302
    assert "Acknowledged on" in _text(manager_client.get(url))

    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    response = post_form(manager_client, f"{url}/follow-up",
                         {"done_on": tomorrow, "description": "Teamoverleg ingepland"},
                         form_page=url)
    assert response.status_code == 200
    assert "The date cannot be in the future." in _text(response)
    assert "Teamoverleg ingepland" in _text(response), "what was typed is kept"

    response = post_form(manager_client, f"{url}/follow-up",
                         {"done_on": date.today().isoformat(),
                          "description": "Teamgesprek gehouden; training gepland."},
                         form_page=url)
    assert response.status_code == 302
    signal_id = url.rsplit("/", 1)[1]
    counsellor_view = _text(client.get(f"/signals/released/{signal_id}"))
    assert "Teamgesprek gehouden; training gepland." in counsellor_view
    assert "1 follow-up recorded" in _text(client.get("/signals"))
    card = _cards(_text(manager_client.get("/management/signals")))[0]
    assert "Teamgesprek gehouden; training gepland." in card["Last follow-up"]


def test_csv_cells_cannot_start_a_formula(
    app: Flask, client: FlaskClient, manager_client: FlaskClient, org: Organisation
) -> None:
    _release(client, _magazijn_token(client), context="=HYPERLINK(\"http://x\")")
    exported = _text(manager_client.get("/management/signals.csv"))
    assert "'=HYPERLINK" in exported


def test_each_side_reaches_only_its_own_pages(
    client: FlaskClient, manager_client: FlaskClient, org: Organisation
) -> None:
    assert client.get("/management/signals").status_code == 403
    assert client.get("/management/signals.csv").status_code == 403
    assert manager_client.get("/signals").status_code == 403
    assert manager_client.get("/signals/released/1").status_code == 403


def test_the_admin_audit_page_shows_no_kind_category_or_quarter_of_a_signal(
    app: Flask, settings: Settings, client: FlaskClient, counsellor: User, org: Organisation,
    create_user: Callable[..., User]
) -> None:
    """Issue 11, item 6: the admin reads the audit log, and is not a reader of signals. After
    a refused and a released candidate, its signal and disclosure entries carry opaque
    references only - no kind, category, quarter or count; the counsellor's signal pages keep
    the detail."""
    _release_a_table_the_magazijn_band_would_expose(app, settings, counsellor, org)
    refused = _magazijn_token(client)
    assert "Disclosure control refused this release" in _text(_release(client, refused))
    released = next(t for t in _tokens(_text(client.get("/signals"))) if t != refused)
    response = _release(client, released)
    assert response.status_code == 302  # type: ignore[attr-defined]
    shown = _text(client.get(response.headers["Location"]))  # type: ignore[attr-defined]
    assert re.search(r"\d+-\d+|\d+\+", shown), "the counsellor's page keeps the detail"

    admin = app.test_client()
    assert AuthActions(admin).login(create_user("admin")).status_code == 302
    page = html.unescape(_text(admin.get("/admin/audit")))
    rows = [" ".join(re.sub(r"<[^>]+>", " ", row).split())
            for row in re.findall(r"<tr>(.*?)</tr>", page, re.S)]
    signal_rows = [row for row in rows if re.search(r"\b(signal|disclosure)\.", row)
                   and "earlier table" not in row]
    assert {re.search(r"\b((?:signal|disclosure)\.\w+)", row).group(1)  # type: ignore[union-attr]
            for row in signal_rows} >= {"disclosure.refused", "disclosure.release",
                                        "signal.release"}, rows
    words = re.compile(r"pesten|werkdruk|bullying|work pressure|concentration|rise|recurrence|"
                       r"\d{4}-?Q[1-4]|Q[1-4]|figures\W*\d|problems\W*\d|Magazijn|Productie", re.I)
    leaks = [row for row in signal_rows if words.search(row)]
    assert not leaks, leaks


# ------------------------------------------------- the manager's view (issue 14)


def _cards(page: str) -> list[dict[str, str]]:
    """The signal cards of the manager's overview: title link, and the facts by their term."""
    found = []
    ends = r"</li>\s*(?=<li class=\"panel|</ul>)"
    for card in re.findall(r'<li class="panel signal-card[^"]*">(.*?)' + ends, page, re.S):
        clean = lambda cell: " ".join(html.unescape(re.sub(r"<[^>]+>", "", cell)).split())  # noqa: E731
        facts = {clean(t): clean(d) for t, d in
                 re.findall(r"<dt>(.*?)</dt>\s*<dd[^>]*>(.*?)</dd>", card, re.S)}
        link = re.search(r'<a href="(/management/signals/\d+)">(.*?)</a>', card, re.S)
        assert link, card
        facts["href"], facts["title"] = link.group(1), clean(link.group(2))
        found.append(facts)
    return found


def test_the_manager_start_page_shows_unread_signals_and_follow_up_due(
    app: Flask, client: FlaskClient, manager_client: FlaskClient, org: Organisation
) -> None:
    assert "No signal has been released yet." in _text(manager_client.get("/start"))
    _release(client, _magazijn_token(client))
    start = _text(manager_client.get("/start"))
    new = re.search(r'<section[^>]*id="new-signals".*?</section>', start, re.S)
    assert new, "no section with the unread signals"
    assert "Magazijn en logistiek" in new.group(0) and "3+" in new.group(0)
    assert "Bullying" in new.group(0)
    detail = re.search(r'href="(/management/signals/\d+)"', new.group(0))
    assert detail
    url = detail.group(1)

    # read: it moves to the follow-up still to record
    page = _text(manager_client.get(url))
    assert re.search(r'<button type="submit" class="primary">\s*Mark as read\s*</button>', page)
    assert post_form(manager_client, f"{url}/acknowledge", {}, form_page=url).status_code == 302
    start = _text(manager_client.get("/start"))
    assert 'id="new-signals"' not in start
    due = re.search(r'<section[^>]*id="follow-up-due".*?</section>', start, re.S)
    assert due and "Magazijn en logistiek" in due.group(0) and url in due.group(0)

    # followed up: nothing new
    assert post_form(manager_client, f"{url}/follow-up",
                     {"done_on": date.today().isoformat(), "description": "Teamgesprek."},
                     form_page=url).status_code == 302
    start = _text(manager_client.get("/start"))
    assert 'id="new-signals"' not in start and 'id="follow-up-due"' not in start
    assert "Nothing new: every released signal has been read and followed up." in start


def test_the_manager_overview_is_a_list_of_signal_cards(
    app: Flask, client: FlaskClient, manager_client: FlaskClient, org: Organisation
) -> None:
    _release(client, _magazijn_token(client))
    page = _text(manager_client.get("/management/signals"))
    assert "<table" not in page.split("<main", 1)[1]
    cards = _cards(page)
    assert len(cards) == 1
    card = cards[0]
    assert card["Department"] == "Magazijn en logistiek" and card["Category"] == "Bullying"
    assert card["Number of cases"] == "3+" and card["Status"] == "Not yet read"
    assert card["Period"] and card["Last follow-up"] == "None yet"
    assert card["title"].startswith("3+ cases of bullying in Magazijn en logistiek")

    # the export holds the same signals (and the texts the signal's page shows)
    exported = list(csv.reader(io.StringIO(_text(manager_client.get(
        "/management/signals.csv")).lstrip("\ufeff")), delimiter=";"))
    assert [row[:4] for row in exported[1:]] == [
        [card["Period"], card["Department"], card["Category"], card["Number of cases"]]]

    url = card["href"]
    assert post_form(manager_client, f"{url}/acknowledge", {}, form_page=url).status_code == 302
    for done, text in ((date.today() - timedelta(days=3), "Eerste teamgesprek gehouden."),
                       (date.today(), "Toolbox-sessie gepland.")):
        post_form(manager_client, f"{url}/follow-up",
                  {"done_on": done.isoformat(), "description": text}, form_page=url)
    card = _cards(_text(manager_client.get("/management/signals")))[0]
    assert card["Status"] == "2 follow-ups recorded"
    assert "Toolbox-sessie gepland." in card["Last follow-up"]
    assert "Eerste teamgesprek" not in card["Last follow-up"]
    assert " | " not in card["Last follow-up"]
