"""/clients computed per organisation side by side, with a per-session copy of each part
(issue 17, web/practice/overviews.py and overview_copies.py).

Behaviour only: the parts equal each organisation's own start page data, every part is
audited in its own organisation's chain (copy or not) and the chains verify, a copy is never
shown once a case changed, logout and a lost grant drop the copy, and a copy is readable only
with its own session's cookie. Runs on SQLite and, with VP_TEST_POSTGRES_URL, on PostgreSQL
(where the parts run in threads).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from functools import partial

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.casework import case_input
from tests.organisationwork import PASSWORD, Client, create_client, main_work
from tests.support.forms import post_form
from tests.web.organisation_visits import enrolled, log_in
from vp_registry.app_state import organisation_state, practice_state
from vp_registry.config import Settings
from vp_registry.db.accounts import User
from vp_registry.db.audit import AuditEntry
from vp_registry.services.cases import lifecycle
from vp_registry.services.cases import overview as cases_overview
from vp_registry.services.infrastructure import audit
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.organisations import registry
from vp_registry.services.practice.overview import RECENT
from vp_registry.services.vault import key_pairs
from vp_registry.services.work import Work
from vp_registry.web.cases import page_markup
from vp_registry.web.practice import org_case_urls, org_url, overviews
from vp_registry.web.practice.client_sessions import open_in
from vp_registry.web.practice.overview_copies import COPIES, OverviewCopies
from vp_registry.web.speedups.template_i18n import format_date


@pytest.fixture(autouse=True)
def _no_copies_between_tests() -> Iterator[None]:
    COPIES._copies.clear()
    yield
    COPIES._copies.clear()


@pytest.fixture
def alfa(app: Flask, settings: Settings) -> Client:
    return create_client(app, settings, "alfa-overzicht")


@pytest.fixture
def beta(app: Flask, settings: Settings) -> Client:
    return create_client(app, settings, "beta-overzicht")


@pytest.fixture
def both(client: FlaskClient, alfa: Client, beta: Client) -> tuple[Client, Client]:
    for organisation in (alfa, beta):
        log_in(client, enrolled(organisation, organisation.counsellor_id, PASSWORD))
    return alfa, beta


def _page(browser: FlaskClient) -> str:
    response = browser.get("/clients")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _section(page: str, organisation: Client) -> str:
    """The part of /clients about one organisation."""
    start = page.index(f'href="/o/{organisation.slug}/start"')
    end = page.find("</section>", start)
    return page[start:end]


def _references(html: str) -> list[str]:
    return re.findall(r'/cases/([A-Za-z0-9-]+)"', html)


def _reads(session: Session) -> int:
    return len(session.execute(select(AuditEntry.seq).where(
        AuditEntry.action == "case.list")).all())


def _add_cases(organisation: Client, count: int) -> None:
    with organisation.factory() as session:
        work = organisation.work(session)
        department_id = lifecycle.read_case(work, organisation.reference).department_id
        for n in range(count):
            lifecycle.create_case(work, case_input(department_id, opened_on=date(2026, 4, n + 1)),
                                  today=date(2026, 11, 25))
        session.commit()


def test_each_part_is_its_organisations_own_overview(client: FlaskClient,
                                                     both: tuple[Client, Client]) -> None:
    _add_cases(both[0], RECENT + 2)  # more open cases than a part shows
    for _ in range(2):  # computed, then from the session's copy
        page = _page(client)
        for organisation in both:
            with organisation.factory() as session:
                own = cases_overview.overview(organisation.work(session), today=date.today(),
                                              recent=RECENT)
                session.rollback()
            part = _section(page, organisation)
            assert _references(part) == [c.reference for c in own.deadlines + own.recent]
            assert f"{own.open_count} open" in part or f"{own.open_count} openstaande" in part


def _add_integrity_reports(organisation: Client, today: date) -> None:
    """Open integrity reports: acknowledgement overdue, acknowledgement soon, feedback soon."""
    with organisation.factory() as session:
        work = organisation.work(session)
        department_id = lifecycle.read_case(work, organisation.reference).department_id
        for opened, acknowledged in ((20, None), (3, None), (85, 80)):
            lifecycle.create_case(work, case_input(
                department_id, opened_on=today - timedelta(days=opened), integrity_report=True,
                acknowledged_on=None if acknowledged is None
                else today - timedelta(days=acknowledged)), today=today)
        session.commit()


@pytest.mark.parametrize("language", ["nl", "en"])
def test_each_line_is_what_the_organisations_links_and_the_deadline_macro_write(
        app: Flask, client: FlaskClient, both: tuple[Client, Client], language: str) -> None:
    """Issue 17, session 9: the lines made once a page (web/practice/client_page.py) are byte
    for byte those of the template's org_url, org_case_urls and deadline_note macro."""
    today = date.today()
    _add_integrity_reports(both[0], today)
    client.set_cookie("vp_lang", language)
    page = _page(client)
    assert 'class="overdue"' in page and 'class="badge"' in page
    with app.test_request_context("/clients", headers={"Cookie": f"vp_lang={language}"}):
        note = page_markup.deadline  # the macro's successor (tests/web/test_case_page_markup.py)
        for organisation in both:
            with organisation.factory() as session:
                own = cases_overview.overview(organisation.work(session), today=today,
                                              recent=RECENT)
                session.rollback()
            link = org_case_urls(organisation.organisation)
            lines = [f'<li><a href="{link(c.reference)}">{c.reference}</a> {note(c, today)}</li>'
                     for c in own.deadlines]
            lines += [f'<li><a href="{link(c.reference)}">{c.reference}</a> · '
                      f'{format_date(c.opened_on)}</li>' for c in own.recent]
            part = page[page.index(f'href="{org_url(organisation.organisation, "home.start")}"'):]
            part = part[:part.index("</section>")]
            assert re.findall(r"<li>.*</li>", part) == lines
            assert lines and (organisation is not both[0] or len(own.deadlines) >= 2)
            assert f'href="{org_url(organisation.organisation, "cases.index", status="open")}"' \
                in part


def test_the_open_cases_read_with_the_session_are_the_overviews_own(
        app: Flask, client: FlaskClient, both: tuple[Client, Client]) -> None:
    """Issue 17, session 9: on PostgreSQL a part reads the open cases with its session's row
    (arrays, one statement); they are exactly what the overview reads on its own - order,
    versions, dates -, none when there is none; SQLite reads them on their own."""
    alfa, beta = both
    _add_cases(alfa, 3)  # opened on 1-3 April: newer than the first case
    with beta.factory() as session:  # beta's only open case erased: no open case at all
        work = beta.work(session)
        version = lifecycle.read_case(work, beta.reference).version
        lifecycle.erase_case(work, beta.reference, version)
        session.commit()
    with app.test_request_context("/clients"):
        for organisation, count in ((alfa, 4), (beta, 0)):
            token = client.get_cookie(f"vp_session__{organisation.slug}")
            assert token is not None
            state = organisation_state(organisation.organisation)
            opened = open_in(organisation.organisation, state, token.value, with_open=True)
            assert opened is not None and opened.unlocked
            try:
                own = [tuple(row) for row in cases_overview.open_cases(opened.work)]
                assert len(own) == count
                if state.engine.dialect.name == "postgresql":
                    assert opened.open_rows is not None
                    assert [tuple(row) for row in opened.open_rows] == own
                else:
                    assert opened.open_rows is None
            finally:
                opened.work.close()


def test_every_part_is_audited_in_its_own_chain_copy_or_not(
        client: FlaskClient, settings: Settings, both: tuple[Client, Client]) -> None:
    before = {}
    for organisation in both:
        with organisation.factory() as session:
            before[organisation.slug] = _reads(session)
    for _ in range(3):
        _page(client)
    assert len(COPIES) == 2  # the later two came from the copies
    for organisation in both:
        with organisation.factory() as session:
            assert _reads(session) == before[organisation.slug] + 3
            assert audit.verify(session, settings.audit_key).ok


def test_a_copy_is_used_only_while_nothing_changed(
        client: FlaskClient, both: tuple[Client, Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    alfa, _beta = both
    made: list[int] = []
    real = cases_overview.overview

    def counted(*args: object, **kwargs: object) -> cases_overview.Overview:
        made.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cases_overview, "overview", counted)
    _page(client)
    assert len(made) == 2
    _page(client)
    assert len(made) == 2  # both parts from their copies
    assert _references(_section(_page(client), alfa)).count(alfa.reference) == 1  # recent
    with alfa.factory() as session:  # the case becomes an integrity report: listing only
        work = alfa.work(session)
        case = lifecycle.read_case(work, alfa.reference)
        lifecycle.update_case(work, alfa.reference, case.version, case_input(
            case.department_id, integrity_report=True), today=date(2026, 11, 25))
        session.commit()
    made.clear()
    part = _section(_page(client), alfa)
    assert made == [1]  # alfa's part made afresh, beta's from its copy
    assert _references(part).count(alfa.reference) == 2  # now also under the deadlines


def test_a_new_or_closed_case_is_never_missed(client: FlaskClient,
                                              both: tuple[Client, Client]) -> None:
    alfa, _beta = both
    first = _references(_section(_page(client), alfa))
    _add_cases(alfa, 1)
    second = _references(_section(_page(client), alfa))
    assert len(second) == len(first) + 1


def test_logout_drops_the_copy_and_a_lost_grant_too(client: FlaskClient,
                                                    both: tuple[Client, Client]) -> None:
    alfa, beta = both
    _page(client)
    assert {slug for slug, _ in COPIES._copies} == {alfa.slug, beta.slug}
    post_form(client, f"/o/{alfa.slug}/logout", {}, form_page=f"/o/{alfa.slug}/start")
    assert {slug for slug, _ in COPIES._copies} == {beta.slug}  # at logout, not later
    with beta.factory() as session:
        user = session.get(User, beta.counsellor_id)
        assert user is not None
        key_pairs.remove_access(Work(session, beta.settings, Actor.system()), user)
        session.commit()
    page = _page(client)
    assert beta.reference not in page
    assert len(COPIES) == 0


def test_a_copy_opens_only_with_its_own_sessions_cookie(client: FlaskClient,
                                                        both: tuple[Client, Client]) -> None:
    alfa, _beta = both
    _page(client)
    kept = b"".join(copy.sealed for copy in COPIES._copies.values())
    assert alfa.reference.encode() not in kept  # ciphertext only in the worker's memory
    token = client.get_cookie(f"vp_session__{alfa.slug}")
    assert token is not None
    other = OverviewCopies()
    other._copies = COPIES._copies
    for slug, wrong in ((alfa.slug, "y" * 43), ("beta-overzicht", token.value)):
        assert all(other.get(slug, wrong, match) is None for match in (b"", b"x" * 32))


def test_parts_side_by_side_keep_their_order_and_raise_after_all_ended() -> None:
    ended: list[int] = []

    def task(n: int) -> int:
        ended.append(n)
        if n == 3:
            raise RuntimeError("part 3")
        return n

    assert overviews._each([partial(int, n) for n in range(8)], side_by_side=True) == list(
        range(8))
    with pytest.raises(RuntimeError, match="part 3"):
        overviews._each([partial(task, n) for n in range(6)], side_by_side=True)
    assert sorted(ended) == list(range(6))


def test_organisations_on_their_own_host_are_said_to_be_apart(
        app: Flask, settings: Settings, client: FlaskClient, alfa: Client) -> None:
    log_in(client, enrolled(alfa, alfa.counsellor_id, PASSWORD))
    page = _page(client)
    assert "eigen webadres" not in page and "address of their own" not in page
    with main_work(app, settings) as work:
        registry.create_organisation(work, practice_state(app).databases, slug="eigen-host",
                                     name="Eigen Host B.V.", host="vp.eigen-host.example")
    page = _page(client)
    assert alfa.organisation.name in page
    assert "eigen webadres" in page or "address of their own" in page
    assert "Eigen Host" not in page and "eigen-host.example" not in page  # named nowhere
    anonymous = app.test_client()  # no session here: the page says nothing about hosts
    page = _page(anonymous)
    assert "eigen webadres" not in page and "address of their own" not in page
