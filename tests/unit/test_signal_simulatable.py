"""A signal's release decision is the same whatever band it has (issue 12, simulatable).

Before, a signal was refused only when its own band let management narrow a small count, so
"nothing was released" told a reader that the band was one of those. Now
``services.signals.publishing.audit_release`` refuses when SOME band the candidate could have had
would narrow one, and the counsellor's refusal text says so.
"""

from __future__ import annotations

from datetime import date, timedelta

from vp_registry.core.disclosure import DisclosureRules, Figure, audit, cell_set, merge_departments
from vp_registry.core.facts import CaseFacts, DepartmentFacts
from vp_registry.services.signals import publishing, reviewing

RULES = DisclosureRules()
DEPARTMENTS = [DepartmentFacts(1, "A", 30), DepartmentFacts(2, "B", 30)]
# an earlier figure over the first three quarters of A's window: 3-4 pesten cases
LEDGER = [Figure(cell_set([1], ["p"], ["2026-Q1", "2026-Q2", "2026-Q3"]), 3, 4, "A · p · Q1-Q3")]


def _basis(q4_cases: int) -> reviewing.SignalBasis:
    facts: list[CaseFacts] = []

    def add(dept: int, day: date, n: int) -> None:
        for i in range(n):
            facts.append(CaseFacts(len(facts) + 1, day + timedelta(days=i), None, dept, ("p",)))

    add(1, date(2026, 1, 5), 2)
    add(1, date(2026, 4, 5), 1)
    add(1, date(2026, 10, 5), q4_cases)
    return reviewing.basis_of(facts, merge_departments(DEPARTMENTS, RULES), RULES,
                              date(2027, 1, 2), {"p": "Pesten"})


def _reviewed(basis: reviewing.SignalBasis, ledger: list[Figure]) -> list[Figure]:
    """The ledger with the review's answers (issue 12: a concentration is offered only in a
    slot the review held, whose 'k+' the ledger then holds)."""
    return [*ledger, *reviewing.review_answers(basis, ledger).figures]


def _concentration(basis: reviewing.SignalBasis) -> reviewing.SignalCandidate:
    return next(c for c in basis.candidates if c.kind == "concentration" and c.group_key == "1")


def test_a_signal_is_refused_for_a_band_it_could_have_had() -> None:
    # 3 + 8 = 11 cases: '10+' alone narrows nothing (Q4 >= 6), but with '3-4' Q4 would be 0 or
    # 1 - so releasing only when the band is '10+' would tell management which band it is
    basis = _basis(8)
    candidate = _concentration(basis)
    published = publishing.publication(basis, candidate)
    assert published.band == "10+"
    assert audit(published.figures, LEDGER, basis.counts(), RULES).ok  # its own band is fine
    _, decided = publishing.audit_release(basis, candidate, _reviewed(basis, LEDGER))
    assert not decided.ok
    [reason] = publishing.refusal_reasons(decided.problems, RULES.k, LEDGER)
    assert "only from what is already public" in reason.message
    assert "whatever the actual number is" in reason.message


def test_the_decision_does_not_depend_on_the_band() -> None:
    verdicts = set()
    for q4 in (0, 1, 2, 4, 8, 20):
        basis = _basis(q4)
        candidate = _concentration(basis)
        verdicts.add(publishing.audit_release(basis, candidate, _reviewed(basis, LEDGER))[1].ok)
    assert verdicts == {False}
    # without the earlier figure every band is safe: released whatever the band
    basis = _basis(8)
    assert publishing.audit_release(basis, _concentration(basis), _reviewed(basis, []))[1].ok
