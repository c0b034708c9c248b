"""Signals through the services: candidates, dismissal, release through the ledger, refusal,
management's view (bands only), follow-up, and recurrence that never leaves the counsellor."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.signalwork import (
    END,
    PREVIOUS,
    TODAY,
    WINDOW,
    Organisation,
    add_case,
    organisation,
    seed,
)
from vp_registry.config import Settings
from vp_registry.core.disclosure import (
    Figure,
    audit,
    cell_set,
    periods_of_year,
)
from vp_registry.core.signals import CONCENTRATION, RECURRENCE, RISE
from vp_registry.db.accounts import User
from vp_registry.db.audit import AuditEntry
from vp_registry.db.disclosure import DisclosureFigure, DisclosureRelease
from vp_registry.db.signals import ReleasedSignal, SignalDismissal, SignalFollowUp
from vp_registry.services.cases import facts as case_facts
from vp_registry.services.errors import NotFound, ValidationFailed
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.signals import ledger, management, publishing, refusals, reviewing
from vp_registry.services.signals.publishing import ReleaseDraft
from vp_registry.services.vault.keyring import VaultKeys
from vp_registry.services.work import Work

DRAFT = ReleaseDraft(context="Sfeer in de ploeg staat onder druk.",
                     actions=("team_talk", "training"))


@pytest.fixture
def manager(create_user: Callable[..., User]) -> Actor:
    return Actor(create_user("manager").id, "manager")


@pytest.fixture
def org(db: Session, settings: Settings, actor: Actor, keys: VaultKeys) -> Organisation:
    return seed(db, settings, actor, keys)


def _actions(db: Session, action: str) -> list[AuditEntry]:
    return list(db.execute(select(AuditEntry).where(AuditEntry.action == action)).scalars())


def _find(review: reviewing.Review, kind: str, group: str | None = None) -> reviewing.CandidateView:
    everything = review.open + review.dismissed + review.released
    found = [v for v in everything if v.candidate.kind == kind
             and (group is None or v.candidate.group_key == group)]
    assert len(found) == 1, [v.candidate.explanation for v in everything]
    return found[0]


def _count(db: Session, model: type) -> int:
    if model is DisclosureFigure:  # what was released: not a signal review's answers (issue 12)
        return len(ledger.load_ledger(db, reviews=False))
    return int(db.execute(select(func.count()).select_from(model)).scalar_one())


def test_review_shows_real_candidates_with_exact_counts_for_the_counsellor(
    db: Session, org: Organisation, work: Work
) -> None:
    review = reviewing.review(work, today=TODAY)
    assert review.window == WINDOW
    magazijn = _find(review, CONCENTRATION, str(org.magazijn))
    assert magazijn.candidate.count == 4
    assert magazijn.candidate.periods == WINDOW
    assert len(magazijn.references) == 4
    assert magazijn.releasable
    assert _find(review, RISE, str(org.productie)).candidate.count == 4
    assert _find(review, CONCENTRATION, str(org.productie)).candidate.count == 4
    recurrence = _find(review, RECURRENCE)
    assert recurrence.candidate.count == 2 and not recurrence.releasable
    assert len({v.token for v in review.open}) == len(review.open) == 4
    assert all(len(v.token) == reviewing.TOKEN_CHARS for v in review.open)
    assert _actions(db, "signal.review")


def test_release_passes_the_auditor_and_records_banded_figures_only(
    db: Session, org: Organisation, work: Work
) -> None:
    view = _find(reviewing.review(work, today=TODAY), CONCENTRATION, str(org.magazijn))
    preview = publishing.preview(work, view.token, DRAFT, today=TODAY)
    assert preview.ok and preview.reasons == ()
    # '3+': the review's rise answer covers the window (issue 12, session 8)
    assert (preview.publication.band, preview.publication.quarters) == ("3+", WINDOW)
    assert _count(db, DisclosureFigure) == 0, "a preview must not release anything"

    row = publishing.release(work, view.token, DRAFT, today=TODAY)
    db.commit()
    assert (row.band, row.band_low, row.band_high) == ("3+", 3, None)
    assert (row.group_label, row.category, row.first_quarter, row.last_quarter) == \
        ("Magazijn en logistiek", "pesten", WINDOW[0], END)
    assert row.actions == "team_talk,training"
    # the ledger holds the band over the atomic cells: department x category x quarters
    figures = ledger.load_ledger(db, reviews=False)
    assert len(figures) == 1
    assert figures[0].cells == cell_set([org.magazijn], ["pesten"], WINDOW)
    assert figures[0].interval == (3, None)
    release = db.get(DisclosureRelease, row.disclosure_release_id)
    assert release is not None and release.kind == "signal"
    assert [e.target_id for e in _actions(db, "signal.release")] == [str(row.id)]
    # no column of the stored signal holds a case id or a reference
    refs = set(view.references) | {str(i) for i in view.candidate.case_ids}
    values = {str(getattr(row, c.name)) for c in ReleasedSignal.__table__.columns}
    assert not any(ref in value for ref in refs for value in values)

    again = reviewing.review(work, today=TODAY)
    assert _find(again, CONCENTRATION, str(org.magazijn)) in again.released
    with pytest.raises(refusals.AlreadyReleased):
        publishing.release(work, view.token, DRAFT, today=TODAY)


def test_a_rise_publishes_the_last_quarter_and_the_quarter_before(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys, org: Organisation,
    work: Work
) -> None:
    """Productie's werkdruk: 4 cases in END, none before (a rise: 4 - 2 x 0 >= 4; the seed).
    The review
    holds the concentration slot ('3+') and the rise slot, and records the rise's rule; the
    rise publishes END as a rise band ('3-9': with '3-4' the rule would say 'up from 0') and
    PREVIOUS as '< 3' (issue 12, session 8)."""
    view = _find(reviewing.review(work, today=TODAY), RISE, str(org.productie))
    row = publishing.release(work, view.token, DRAFT, today=TODAY)
    assert (row.band, row.last_quarter, row.previous_quarter, row.previous_band) == \
        ("3-9", END, PREVIOUS, "< 3")
    assert {f.interval for f in ledger.load_ledger(db, reviews=False)} == {(3, 9), (0, 2)}
    counts = reviewing.atom_counts(case_facts.case_facts(db, keys))
    rule = next(r for r in ledger.load_constraints(db) if r.label.startswith("rise: "))
    assert rule.holds(counts)


def test_a_concentration_next_to_a_rise_answer_is_published_as_at_least_k(
    db: Session, org: Organisation, work: Work
) -> None:
    """The review recorded "no rise" for Magazijn's pesten (one case a quarter) over END and
    PREVIOUS, inside the concentration's window: every band (3-4, 5-9, 10+) would conflict
    with one of the rise answers, so the concentration is released as '3+' - the review's
    own answer - whatever its count (issue 12, session 8)."""
    view = _find(reviewing.review(work, today=TODAY), CONCENTRATION, str(org.magazijn))
    row = publishing.release(work, view.token, DRAFT, today=TODAY)
    assert (row.band, row.band_low, row.band_high) == ("3+", 3, None)
    assert any(r.label.startswith("no rise: Magazijn") for r in ledger.load_constraints(db))


def test_a_release_that_would_narrow_a_protected_cell_is_refused(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys, work: Work
) -> None:
    """An annual-style table of 2025 is in the ledger (Magazijn: pesten "< 3", werkdruk
    suppressed to "3+", row total exact). A werkdruk signal over 2025 as "3-4" would pin
    pesten to 1-2 cases: refused, nothing released, the refusal explained and audited."""
    today = date(2026, 2, 10)  # window = 2025
    org = organisation(db, settings)
    add_case(db, settings, actor, keys, org.magazijn, date(2025, 4, 2), ("pesten",))
    for day in (date(2025, 1, 6), date(2025, 2, 6), date(2025, 8, 6), date(2025, 9, 6)):
        add_case(db, settings, actor, keys, org.magazijn, day, ("werkdruk",))
    for day in (date(2025, 1, 9), date(2025, 5, 9), date(2025, 10, 9)):
        add_case(db, settings, actor, keys, org.productie, day, ("pesten",))
    counts = reviewing.atom_counts(case_facts.case_facts(db, keys))
    rules = ledger.rules_from(settings)
    year = periods_of_year(2025)
    table = [  # the cells and Magazijn's row total (protect_table no longer makes row totals)
        Figure.protected(cell_set([org.magazijn], ["pesten"], year), rules, "Magazijn · pesten"),
        Figure.at_least_k(cell_set([org.magazijn], ["werkdruk"], year), rules,
                          "Magazijn · werkdruk"),
        Figure.exact(cell_set([org.magazijn], ["pesten", "werkdruk"], year), 5, "Magazijn"),
        Figure.exact(cell_set([org.productie], ["pesten"], year), 3, "Productie · pesten"),
    ]
    assert audit(table, [], counts, rules).ok
    ledger.release(Work(db, settings, actor), kind="report", reference="report-2025",
                   figures=table, true_counts=counts)
    db.commit()
    before = _count(db, DisclosureFigure)

    view = _find(reviewing.review(work, today=today), CONCENTRATION, str(org.magazijn))
    assert view.candidate.category == "werkdruk"
    preview = publishing.preview(work, view.token, DRAFT, today=today)
    assert not preview.ok
    with pytest.raises(refusals.SignalRefused) as refused:
        publishing.release(work, view.token, DRAFT, today=today)
    db.commit()
    messages = [reason.message % dict(reason.params) for reason in refused.value.reasons]
    assert any("pesten" in m and "1-2 cases" in m for m in messages), messages
    assert _count(db, DisclosureFigure) == before
    assert _count(db, ReleasedSignal) == 0
    assert len(_actions(db, "disclosure.refused")) == 1


def test_recurrence_is_never_releasable(db: Session, org: Organisation, work: Work) -> None:
    view = _find(reviewing.review(work, today=TODAY), RECURRENCE)
    with pytest.raises(refusals.NotReleasable):
        publishing.preview(work, view.token, DRAFT, today=TODAY)
    with pytest.raises(refusals.NotReleasable):
        publishing.release(work, view.token, DRAFT, today=TODAY)
    assert _count(db, DisclosureFigure) == 0
    assert _count(db, ReleasedSignal) == 0
    assert not _actions(db, "signal.release")


def test_dismissal_is_remembered_by_a_keyed_digest_and_can_be_undone(
    db: Session, org: Organisation, work: Work
) -> None:
    review = reviewing.review(work, today=TODAY)
    recurrence = _find(review, RECURRENCE)
    reviewing.dismiss(work, recurrence.token, today=TODAY)
    db.commit()
    review = reviewing.review(work, today=TODAY)
    assert _find(review, RECURRENCE) in review.dismissed
    assert len(review.open) == 3
    stored = db.execute(select(SignalDismissal)).scalar_one()
    assert stored.digest.startswith(recurrence.token)
    assert recurrence.candidate.key not in stored.digest
    audit_entry = _actions(db, "signal.dismiss")[0]
    assert audit_entry.target_id == recurrence.token[:12]
    # the admin reads the audit log: nothing derived from cases goes there
    for entry in _actions(db, "signal.dismiss") + _actions(db, "signal.review"):
        assert "recurrence" not in entry.details and "candidates" not in entry.details
        assert str(recurrence.candidate.case_ids[0]) not in entry.details

    reviewing.restore(work, recurrence.token, today=TODAY)
    db.commit()
    assert _find(reviewing.review(work, today=TODAY),
                 RECURRENCE) in reviewing.review(work, today=TODAY).open
    assert _actions(db, "signal.restore")


def test_an_unknown_token_is_not_found(org: Organisation, work: Work) -> None:
    for token in ("x", "0" * reviewing.TOKEN_CHARS):
        with pytest.raises(NotFound):
            reviewing.dismiss(work, token, today=TODAY)


@pytest.mark.parametrize(("draft", "field"), [
    (ReleaseDraft(actions=()), "actions"),
    (ReleaseDraft(actions=("bribe",)), "actions"),
    (ReleaseDraft(actions=("other",)), "other_action"),
    (ReleaseDraft(actions=("training",), context="x" * 4001), "context"),
])
def test_drafts_are_validated(draft: ReleaseDraft, field: str) -> None:
    with pytest.raises(ValidationFailed) as failed:
        publishing.validate_draft(draft)
    assert failed.value.field == field


def test_other_text_implies_the_other_action() -> None:
    draft = publishing.validate_draft(ReleaseDraft(actions=("training",), other_action=" Buddy "))
    assert draft.actions == ("training", "other") and draft.other_action == "Buddy"


def test_management_sees_bands_acknowledges_and_records_follow_up(
    db: Session, settings: Settings, manager: Actor, org: Organisation, work: Work
) -> None:
    view = _find(reviewing.review(work, today=TODAY), CONCENTRATION, str(org.magazijn))
    row = publishing.release(work, view.token, DRAFT, today=TODAY)
    db.commit()
    shown = management.released_signals(db)
    assert [s.id for s in shown] == [row.id]
    assert management.released_signals(db, management.SignalFilter(period=END,
                                                             category="pesten")) == shown
    assert management.released_signals(db, management.SignalFilter(category="werkdruk")) == []
    options = management.filter_options(db)
    assert options.periods == [END]
    assert options.groups == [(str(org.magazijn), "Magazijn en logistiek")]
    # what a manager can read has no exact count: only the band and its bounds
    published = {c.name for c in ReleasedSignal.__table__.columns}
    assert not {"count", "case_ids", "cases"} & published

    with pytest.raises(ValidationFailed):
        management.add_follow_up(Work(db, settings, manager), row.id, done_on=date(2030, 12, 1),
                                 description="Te vroeg", today=TODAY)
    with pytest.raises(ValidationFailed):
        management.add_follow_up(Work(db, settings, manager), row.id, done_on=TODAY,
                                 description="   ", today=TODAY)
    management.add_follow_up(Work(db, settings, manager), row.id, done_on=TODAY,
                             description="Teamgesprek gehouden met de ploeg.", today=TODAY)
    db.commit()
    assert row.acknowledged_by == manager.user_id and row.acknowledged_at is not None
    notes = management.follow_ups(db, [row.id])[row.id]
    assert [n.description for n in notes] == ["Teamgesprek gehouden met de ploeg."]
    assert _count(db, SignalFollowUp) == 1
    assert _actions(db, "signal.follow_up") and _actions(db, "signal.acknowledge")
    acknowledged_at = row.acknowledged_at
    management.acknowledge(Work(db, settings, manager), row.id)
    assert row.acknowledged_at == acknowledged_at
    assert len(_actions(db, "signal.acknowledge")) == 1
    with pytest.raises(NotFound):
        management.get_signal(db, row.id + 1000)


def test_report_facts_carry_the_band_and_the_latest_follow_up(
    db: Session, settings: Settings, manager: Actor, org: Organisation, work: Work
) -> None:
    pytest.importorskip("vp_registry.core.report", reason="the annual report's input types")
    view = _find(reviewing.review(work, today=TODAY), CONCENTRATION, str(org.magazijn))
    draft = ReleaseDraft(context="", actions=("team_talk", "other"), other_action="Buddy")
    row = publishing.release(work, view.token, draft, today=TODAY)
    management.add_follow_up(Work(db, settings, manager), row.id, done_on=TODAY,
                             description="Gesprek gevoerd", today=TODAY)
    db.commit()
    year = row.released_at.year
    facts = management.report_facts(db, year)
    assert len(facts) == 1
    fact = facts[0]
    assert (fact.band, fact.group, fact.category) == ("3+", "Magazijn en logistiek", "Pesten")
    assert fact.suggested_actions == ("team_talk", "Buddy")
    assert (fact.follow_up, fact.follow_up_on) == ("Gesprek gevoerd", TODAY)
    assert "count" not in {f.name for f in fields(fact)}
    assert management.report_facts(db, year - 1) == []
