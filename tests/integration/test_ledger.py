"""The disclosure ledger service: the only writer of released figures (DESIGN I-3, §4).

Append-only; a refused release leaves it exactly as it was (and is audited); a figure released
once is never released again with another value.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.signalwork import TODAY, WINDOW, seed
from vp_registry.config import Settings
from vp_registry.core.disclosure import (
    DisclosureProblem,
    DisclosureRules,
    Figure,
    cell_set,
    quarter_of,
)
from vp_registry.core.signals import CONCENTRATION
from vp_registry.db.accounts import User
from vp_registry.db.audit import AuditEntry
from vp_registry.db.disclosure import DisclosureFigure, DisclosureRelease
from vp_registry.services.cases import facts as case_facts
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.signals import ledger, publishing, refusals, reviewing
from vp_registry.services.signals.publishing import ReleaseDraft
from vp_registry.services.vault.keyring import VaultKeys
from vp_registry.services.work import Work

RULES = DisclosureRules()
Q1 = cell_set([7], ["pesten"], ["2026-Q1"])
Q2 = cell_set([7], ["pesten"], ["2026-Q2"])
HALF_YEAR = Q1 | Q2
DRAFT = ReleaseDraft(context="", actions=("team_talk",))


@pytest.fixture
def actor(create_user: Callable[..., User]) -> Actor:
    return Actor(create_user("counsellor").id, "counsellor")


def _rows(db: Session) -> list[tuple[object, ...]]:
    return [tuple(row) for row in db.execute(
        select(DisclosureFigure.id, DisclosureFigure.release_id, DisclosureFigure.cells,
               DisclosureFigure.low, DisclosureFigure.high, DisclosureFigure.label,
               DisclosureFigure.organisation_wide).order_by(DisclosureFigure.id))]


def _actions(db: Session, action: str) -> int:
    return int(db.execute(select(func.count()).select_from(AuditEntry)
                          .where(AuditEntry.action == action)).scalar_one())


def test_rules_come_from_the_settings(settings: Settings) -> None:
    rules = ledger.rules_from(settings.with_overrides(disclosure_k=5, band_edges=(5, 10, 20)))
    assert (rules.k, rules.band_edges) == (5, (5, 10, 20))
    assert rules.band_label(12) == "10-19"
    # the registry's start (public) tells the auditor which quarters are empty (issue 12)
    assert rules.first_quarter is None
    started = ledger.rules_from(settings.with_overrides(registry_start="2026-05-10"))
    assert started.first_quarter == "2026-Q2"


def test_release_appends_and_load_returns_exactly_what_was_released(
    db: Session, settings: Settings, actor: Actor
) -> None:
    first = Figure.band(Q1, 4, RULES, "Magazijn · pesten · 2026-Q1")
    entry = ledger.release(Work(db, settings, actor), kind="signal", reference="signal:test",
                           figures=[first], true_counts={(7, "pesten", "2026-Q1"): 4})
    db.commit()
    assert (entry.kind, entry.reference, entry.released_by) == ("signal", "signal:test",
                                                                actor.user_id)
    assert ledger.load_ledger(db) == [first]
    assert first.display == "3-4"
    assert _actions(db, "disclosure.release") == 1

    before = _rows(db)
    second = Figure.protected(Q2, RULES, "Magazijn · pesten · 2026-Q2")
    ledger.release(Work(db, settings, actor), kind="report", reference="report-2026",
                   figures=[second], true_counts={(7, "pesten", "2026-Q1"): 4,
                                                  (7, "pesten", "2026-Q2"): 1})
    db.commit()
    after = _rows(db)
    assert after[: len(before)] == before, "an earlier ledger row changed"
    assert ledger.load_ledger(db) == [first, second]
    assert db.execute(select(func.count()).select_from(DisclosureRelease)).scalar_one() == 2


def test_a_refused_release_leaves_the_ledger_unchanged_and_is_audited(
    db: Session, settings: Settings, actor: Actor
) -> None:
    counts = {(7, "pesten", "2026-Q1"): 1, (7, "pesten", "2026-Q2"): 4}
    ledger.release(Work(db, settings, actor), kind="export", reference="half-year",
                   figures=[Figure.exact(HALF_YEAR, 5, "Magazijn · pesten · first half")],
                   true_counts=counts)
    db.commit()
    before = _rows(db)
    releases = db.execute(select(func.count()).select_from(DisclosureRelease)).scalar_one()

    # 2026-Q2 as "3-4" next to the half year's exact 5 would pin 2026-Q1 to 1-2 cases
    with pytest.raises(ledger.ReleaseRefused) as refused:
        ledger.release(Work(db, settings, actor), kind="signal", reference="signal:q2",
                       figures=[Figure.band(Q2, 4, RULES, "Magazijn · pesten · 2026-Q2")],
                       true_counts=counts)
    db.commit()
    problem = refused.value.result.problems[0]
    assert problem.kind == "disclosure"
    assert (problem.low, problem.high) == (1, 2)
    assert "2026-Q1" in problem.label
    assert _rows(db) == before
    assert db.execute(select(func.count()).select_from(DisclosureRelease)).scalar_one() \
        == releases
    assert _actions(db, "disclosure.refused") == 1


def test_a_figure_is_never_re_released_with_another_value(
    db: Session, settings: Settings, actor: Actor
) -> None:
    ledger.release(Work(db, settings, actor), kind="signal", reference="a",
                   figures=[Figure.band(Q1, 4, RULES, "Q1")],
                   true_counts={(7, "pesten", "2026-Q1"): 4})
    db.commit()
    # the same figure with the same band may be repeated (e.g. a report after a signal)
    ledger.release(Work(db, settings, actor), kind="report", reference="b",
                   figures=[Figure.band(Q1, 3, RULES, "Q1")],
                   true_counts={(7, "pesten", "2026-Q1"): 3 + 1})
    db.commit()
    before = _rows(db)
    # a case was added later: 5 is a different band, and an exact 5 differs too
    for figure in (Figure.band(Q1, 5, RULES, "Q1"), Figure.exact(Q1, 5, "Q1")):
        with pytest.raises(ledger.ReleaseRefused) as refused:
            ledger.release(Work(db, settings, actor), kind="signal", reference="c",
                           figures=[figure], true_counts={(7, "pesten", "2026-Q1"): 5})
        assert "changed_figure" in {p.kind for p in refused.value.result.problems}
    db.rollback()
    assert _rows(db) == before


def test_check_does_not_write(db: Session, settings: Settings) -> None:
    result = ledger.check(Work(db, settings, Actor.anonymous()), [Figure.band(Q1, 4, RULES, "Q1")],
                          {(7, "pesten", "2026-Q1"): 4})
    assert result.ok
    assert _rows(db) == []


def test_a_review_records_each_held_slots_answer_once_per_quarter(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys,
) -> None:
    """Issue 12 (silences): before a release is decided, the quarter's review answers go into
    the ledger - '3+' where a candidate exists, '< 3' where none does - once; the review page
    (a GET) writes nothing, and nothing goes to the audit log (nobody released anything)."""
    work = Work(db, settings, actor, keys=keys)
    org = seed(db, settings, actor, keys)
    reviewing.review(work, today=TODAY)
    assert ledger.load_ledger(db) == []
    reviewing.record_reviews(work, reviewing.current_basis(work, TODAY))
    reviewing.record_reviews(work, reviewing.current_basis(work, TODAY))
    releases = list(db.execute(select(DisclosureRelease).where(
        DisclosureRelease.kind == reviewing.REVIEW_KIND)).scalars())
    assert [r.reference for r in releases] == [f"review-{quarter_of(TODAY)}"]
    by_cells = {f.cells: f.interval for f in ledger.load_ledger(db)}
    assert by_cells[cell_set([org.magazijn], ["pesten"], WINDOW)] == (3, None)
    assert by_cells[cell_set([org.monteurs], ["seksisme"], WINDOW)] == (0, 2)
    assert _actions(db, "disclosure.release") == 0


def test_a_slot_whose_silence_would_disclose_offers_no_candidate(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys,
) -> None:
    """Magazijn and Productie together had exactly 4 pesten cases in the window (released
    before): 'Magazijn below 3' would give Productie 2-4, 'at least 3' 0-1. The review holds
    neither slot, so Magazijn's concentration is refused with the reason, whatever its
    count; nothing is released."""
    work = Work(db, settings, actor, keys=keys)
    org = seed(db, settings, actor, keys)
    both = cell_set([org.magazijn, org.productie], ["pesten"], WINDOW)
    counts = reviewing.atom_counts(case_facts.case_facts(db, keys))
    ledger.release(work, kind="report", reference="earlier",
                   figures=[Figure.exact(both, 4, "Magazijn + Productie · pesten")],
                   true_counts=counts)
    view = next(v for v in reviewing.review(work, today=TODAY).open
                if v.candidate.kind == CONCENTRATION and v.candidate.category == "pesten")
    preview = publishing.preview(work, view.token, DRAFT, today=TODAY)
    assert not preview.ok
    assert [r.message for r in preview.reasons] == [
        r.message for r in publishing.refusal_reasons(
            [DisclosureProblem("unheld", frozenset(), "x", "")], 3)]
    with pytest.raises(refusals.SignalRefused):
        publishing.release(work, view.token, DRAFT, today=TODAY)
    assert not any(f.cells == cell_set([org.magazijn], ["pesten"], WINDOW)
                   for f in ledger.load_ledger(db))
