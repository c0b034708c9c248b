"""Pulse services (issue 16) on SQLite and PostgreSQL: rounds, codes (single use, keyed hash,
throttled guessing, no link to a response), responding, results and their release."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tests.pulsework import (
    TODAY,
    Toolbox,
    answers,
    group_key,
    make_round,
    respond,
    respond_many,
    toolbox,
)
from tests.support.sessions import db_session_for
from vp_registry.config import Settings
from vp_registry.db.pulse import (
    PulseAnswer,
    PulseCode,
    PulseRelease,
    PulseResponse,
    PulseRoundDepartment,
)
from vp_registry.services.errors import Throttled, ValidationFailed
from vp_registry.services.infrastructure.memory_throttle import BackOff
from vp_registry.services.pulse import codes, responding, results, rounds
from vp_registry.services.pulse.codes import CodeInvalid
from vp_registry.services.pulse.responding import AnswerInvalid, RoundNotOpen
from vp_registry.services.pulse.results import ReleasedDifferently, RoundStillOpen
from vp_registry.services.work import Work


@pytest.fixture
def org(db: Session, settings: Settings) -> Toolbox:
    return toolbox(db, settings)


def test_a_round_fixes_its_groups_and_statements(db: Session, work: Work, org: Toolbox) -> None:
    row = make_round(work, org, custom=("Ik weet bij wie ik terecht kan.",))
    groups = {g.label: g.department_ids for g in rounds.groups_of(db, row.id)}
    assert groups == {"Inkoop": (org.inkoop,), "Kwaliteit": (org.kwaliteit,),
                      "Planning": (org.planning,),
                      "Productie": tuple(sorted((org.productie, org.lasserij))),
                      "Other departments": (org.kantine,)}
    assert [s.code for s in rounds.statements_of(db, row.id)][-3:] == ["ps7", "tb1", "c1"]
    assert len(row.public_token) >= 24 and row.min_responses == 5
    assert rounds.state(row) == rounds.OPEN


@pytest.mark.parametrize(("change", "field"), [
    ({"title": " "}, "title"),
    ({"closes_on": TODAY - timedelta(days=1)}, "closes_on"),
    ({"department_ids": ()}, "department_ids"),
    ({"department_ids": (999_999,)}, "department_ids"),
    ({"statement_codes": ("tb9",)}, "statement_codes"),
])
def test_a_round_with_bad_input_names_the_field(work: Work, org: Toolbox,
                                                change: dict[str, object], field: str) -> None:
    values: dict[str, object] = {"title": "Pulse", "opens_on": TODAY,
                                 "closes_on": TODAY + timedelta(days=7),
                                 "department_ids": org.all}
    values.update(change)
    with pytest.raises(ValidationFailed) as raised:
        rounds.create_round(work, **values)  # type: ignore[arg-type]
    assert raised.value.field == field


def test_codes_are_returned_once_and_stored_only_as_keyed_hashes(
        db: Session, work: Work, settings: Settings, org: Toolbox) -> None:
    row = make_round(work, org)
    issued = codes.issue_codes(work, row.id, 30)
    assert len(set(issued)) == 30 and all(len(c) == 14 and c[4] == c[9] == "-" for c in issued)
    stored = set(db.execute(select(PulseCode.digest)).scalars())
    assert stored == {codes.digest(settings, row.id, codes.canonical(c) or "") for c in issued}
    assert not any((codes.canonical(c) or "-") in digest for c in issued for digest in stored)
    other = settings.with_overrides(secret_key=settings.secret_key + "x")
    assert codes.digest(other, row.id, "ABCDEFGHJKMN") != \
        codes.digest(settings, row.id, "ABCDEFGHJKMN")
    assert row.codes_issued == 30


def test_a_code_is_used_once_and_a_wrong_code_is_refused(
        db: Session, work: Work, settings: Settings, org: Toolbox) -> None:
    row = make_round(work, org)
    code = codes.issue_codes(work, row.id, 1)[0]
    respond(db, settings, row, "Planning", code=code.lower().replace("-", " "))
    for wrong in (code, "ABCD-EFGH-JKMN", "", None, "x" * 500):
        with pytest.raises(CodeInvalid) as raised:
            respond(db, settings, row, "Planning", code=wrong)
        assert raised.value.field == "code"
    other = make_round(work, org, title="Other")
    other_code = codes.issue_codes(work, other.id, 1)[0]
    with pytest.raises(CodeInvalid):
        respond(db, settings, row, "Planning", code=other_code)
    assert db.execute(select(func.count()).select_from(PulseResponse)).scalar_one() == 1


def test_guessing_codes_is_throttled_per_client_in_memory(
        db: Session, work: Work, settings: Settings, org: Toolbox) -> None:
    row = make_round(work, org)
    good = codes.issue_codes(work, row.id, 1)[0]
    now = [1000.0]
    guard = BackOff(free_attempts=3, base_seconds=30, max_seconds=3600, window_seconds=900,
                    clock=lambda: now[0])
    token = row.public_token

    def attempt(code: str, client: str) -> None:
        responding.submit_response(db, settings, token, group_key=row_group, answers=answers(),
                                   code=code, guard=guard, client=client)

    row_group = rounds.groups_of(db, row.id)[0].key
    for _ in range(3):
        with pytest.raises(CodeInvalid):
            attempt("ABCD-EFGH-JKMN", "198.51.100.9")
    with pytest.raises(Throttled):  # even the right code waits while locked out
        attempt(good, "198.51.100.9")
    attempt(good, "198.51.100.10")  # another client is not held up
    now[0] += 31
    with pytest.raises(CodeInvalid):  # lock-out over; the good code was spent by now
        attempt(good, "198.51.100.9")


def test_bad_answers_name_every_wrong_statement_and_spend_no_code(
        db: Session, work: Work, settings: Settings, org: Toolbox) -> None:
    row = make_round(work, org)
    code = codes.issue_codes(work, row.id, 1)[0]
    values: dict[str, object] = dict(answers())
    values.pop("ps3")
    values["ps5"] = 8
    values["tb1"] = "4"
    with pytest.raises(AnswerInvalid) as raised:
        respond(db, settings, row, "Planning", values, code=code)  # type: ignore[arg-type]
    assert raised.value.codes == ("ps3", "ps5", "tb1") and raised.value.field == "ps3"
    with pytest.raises(AnswerInvalid) as raised:
        respond(db, settings, row, "Planning", answers(c9=3), code=code)
    assert raised.value.codes == ("c9",)
    with pytest.raises(AnswerInvalid) as raised:
        responding.submit_response(db, settings, row.public_token, group_key="nope",
                                   answers=answers(), code=code)
    assert raised.value.field == "group_key"
    respond(db, settings, row, "Planning", code=code)  # the code still works


def test_a_round_takes_answers_only_while_open(db: Session, work: Work, settings: Settings,
                                               org: Toolbox) -> None:
    row = make_round(work, org, with_codes=False, opens_on=TODAY + timedelta(days=2))
    assert responding.public_round(db, row.public_token).state == rounds.NOT_YET
    with pytest.raises(RoundNotOpen):
        respond(db, settings, row, "Planning", today=TODAY)
    respond(db, settings, row, "Planning", today=TODAY + timedelta(days=2))
    rounds.close_round(work, row.id, today=TODAY + timedelta(days=3))
    with pytest.raises(RoundNotOpen):
        respond(db, settings, row, "Planning", today=TODAY + timedelta(days=3))


def test_responses_have_random_ids_and_nothing_that_points_at_a_code(
        db: Session, work: Work, settings: Settings, org: Toolbox) -> None:
    row = make_round(work, org)
    respond_many(db, settings, row, {"Planning": 12, "Productie": 8})
    ids = sorted(db.execute(select(PulseResponse.id)).scalars())
    assert len(ids) == 20 and ids != list(range(ids[0], ids[0] + 20))  # no sequence
    assert ids[0] > 2**20  # random 53-bit ids, not a count from 1
    # every code used is gone: nothing "used" to set beside a response
    assert db.execute(select(func.count()).select_from(PulseCode)).scalar_one() == 0
    columns = {c["name"] for table in ("pulse_responses", "pulse_answers")
               for c in inspect(db.get_bind()).get_columns(table)}
    assert columns == {"id", "round_id", "group_key", "response_id", "code", "value"}
    assert db.execute(select(func.count()).select_from(PulseAnswer)).scalar_one() == 20 * 8


def test_results_are_withheld_while_open_and_released_once_closed(
        db: Session, work: Work, settings: Settings, org: Toolbox) -> None:
    row = make_round(work, org, with_codes=False)
    respond_many(db, settings, row, {"Planning": 6, "Productie": 7, "Inkoop": 2})
    preview = results.round_results(db, settings, row.id)
    assert not any(g.shown for g in preview.groups) and preview.organisation.responses == 15
    with pytest.raises(RoundStillOpen):
        results.release_results(work, row.id)
    rounds.close_round(work, row.id)
    released = results.release_results(work, row.id)
    shown = {g.label: g.responses for g in released.groups if g.shown}
    assert shown == {"Planning": 6, "Productie": 7}
    assert released.scope == "shown" and released.organisation.responses == 13
    assert released.open_round and results.released_results(db, row.id) == released
    assert [r.round_id for r in results.released_rounds_in_year(db, row.closes_on.year)] == \
        [row.id]
    assert results.release_results(work, row.id) == released  # the same figures: nothing new
    assert db.execute(select(func.count()).select_from(PulseRelease)).scalar_one() == 1


def test_a_second_release_with_other_figures_is_refused(
        db: Session, work: Work, settings: Settings, org: Toolbox) -> None:
    row = make_round(work, org, with_codes=False)
    respond_many(db, settings, row, {"Planning": 6, "Productie": 7})
    rounds.close_round(work, row.id)
    first = results.release_results(work, row.id)
    db.commit()
    # a late response slipped in (e.g. through a database edit): the round's figures changed
    row.closed = False
    respond(db, settings, row, "Planning")
    row.closed = True
    with pytest.raises(ReleasedDifferently):
        results.release_results(work, row.id)
    raised_minimum = Work(db, settings.with_overrides(pulse_min_responses=7), work.actor)
    with pytest.raises(ReleasedDifferently):
        results.release_results(raised_minimum, row.id)
    assert results.released_results(db, row.id) == first
    db.rollback()  # back to the release: figures as released again
    assert results.release_results(work, row.id) == first
    # re-grouped afterwards (e.g. an edit in the database): Inkoop moved into Planning
    moved = db.get(PulseRoundDepartment, (row.id, org.inkoop))
    assert moved is not None
    moved.group_key = group_key(db, row.id, "Planning")
    db.flush()
    with pytest.raises(ReleasedDifferently):
        results.release_results(work, row.id)
    with pytest.raises(ValidationFailed):
        rounds.update_round(work, row.id, title=row.title, opens_on=row.opens_on,
                            closes_on=row.closes_on + timedelta(days=5))


def test_two_overlapping_answers_with_one_code_store_one_response(
        app: Flask, db: Session, work: Work, settings: Settings, org: Toolbox) -> None:
    """A second session that began before the first answer committed cannot spend the code
    again: on PostgreSQL its DELETE finds the row gone (CodeInvalid), on SQLite its write is
    refused (the database changed under its snapshot). Either way: one response."""
    row = make_round(work, org)
    code = codes.issue_codes(work, row.id, 1)[0]
    key = rounds.groups_of(db, row.id)[0].key
    token = row.public_token
    db.commit()
    with app.app_context(), db_session_for(app) as first, db_session_for(app) as second:
        assert codes.unused_codes(second, row.id) == 1  # second's transaction has begun
        responding.submit_response(first, settings, token, group_key=key, answers=answers(),
                                   code=code)
        first.commit()
        with pytest.raises((CodeInvalid, OperationalError)):
            responding.submit_response(second, settings, token, group_key=key,
                                       answers=answers(), code=code)
        second.rollback()
    db.rollback()
    assert db.execute(select(func.count()).select_from(PulseResponse)).scalar_one() == 1


def test_before_the_vault_exists_a_round_offers_no_free_text_box(
        db: Session, settings: Settings) -> None:
    from vp_registry.services.infrastructure.audit import Actor

    system = Work(db, settings, Actor.system())
    row = make_round(system, toolbox(db, settings), with_codes=False)
    assert row.free_text and not responding.public_round(db, row.public_token).free_text
    with pytest.raises(AnswerInvalid) as raised:
        respond(db, settings, row, "Planning", free_text="Iets")
    assert raised.value.field == "free_text"
    respond(db, settings, row, "Planning")  # answering without a text works


def test_the_service_shows_exactly_what_compute_results_gives(
        db: Session, work: Work, settings: Settings, org: Toolbox) -> None:
    """The database's counting (two GROUP BYs) and the pure function the attacker test runs
    (core.pulse.results.compute_results) give the same RoundResult for the same responses."""
    from vp_registry.core.pulse.results import Response, RoundMeta, compute_results

    row = make_round(work, org, with_codes=False, custom=("Ik weet bij wie ik terecht kan.",))
    statements = rounds.statements_of(db, row.id)
    groups = rounds.groups_of(db, row.id)
    given: list[Response] = []
    for i in range(37):
        group = groups[(i * 7) % 4].key  # Inkoop, Kwaliteit, Planning, Productie
        values = {s.code: (i * 3 + j * 5) % 7 + 1 for j, s in enumerate(statements)}
        given.append(Response(group, values))
        responding.submit_response(db, settings, row.public_token, group_key=group,
                                   answers=values)
    rounds.close_round(work, row.id)
    service = results.round_results(db, settings, row.id)
    expected = compute_results(given, groups, 5, statements=statements, meta=RoundMeta(
        row.id, row.title, row.opens_on, row.closes_on, True, 0, True))
    assert service == expected
    assert any(g.shown for g in service.groups) and any(not g.shown for g in service.groups)
