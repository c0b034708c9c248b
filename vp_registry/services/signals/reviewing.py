"""The counsellor's candidate signals: computed from the decrypted cases, reviewed,
dismissed and restored. A candidate lives in memory only; its token is an HMAC."""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from vp_registry.core import crypto
from vp_registry.core.disclosure import (
    CellKey,
    DepartmentGrouping,
    DisclosureRules,
    Figure,
    Naming,
    RuleConstraint,
    cell_set,
    merge_departments,
    parse_quarter,
    period_label,
    quarter_of,
    trailing_quarters,
)
from vp_registry.core.disclosure.silences import ReviewAnswers, RiseSlot, Slot, answers
from vp_registry.core.facts import CaseFacts
from vp_registry.core.signals import (
    CONCENTRATION,
    RISE,
    RiseRule,
    SignalCandidate,
    detect_signals,
    rise_rule,
)
from vp_registry.core.taxonomy import N_
from vp_registry.db.cases import Case
from vp_registry.db.disclosure import DisclosureRelease
from vp_registry.db.signals import ReleasedSignal, SignalDismissal
from vp_registry.services.accounts import organisation
from vp_registry.services.collector import paused_gc
from vp_registry.services.errors import NotFound
from vp_registry.services.reports import counting
from vp_registry.services.signals import ledger
from vp_registry.services.signals.refusals import AlreadyReleased
from vp_registry.services.vault.keyring import VaultKeys
from vp_registry.services.work import Work

WINDOW_QUARTERS: Final = 4  # the trailing window of a concentration: 12 months
TOKEN_CHARS: Final = 32
PURPOSE_SIGNAL_DIGEST: Final = "signal-candidate"
REVIEW_KIND: Final = ledger.REVIEW_KIND  # the ledger's rows of a review's answers (issue 12)


@dataclass(frozen=True)
class SignalBasis:
    """Everything a candidate is computed from, for one request."""

    facts: list[CaseFacts]
    grouping: DepartmentGrouping
    rules: DisclosureRules
    today: date
    candidates: list[SignalCandidate]
    category_labels: Mapping[str, str]
    # quarters a case was erased from after a release had counted them ("YYYY-Qn",
    # services.reports.counting.erased_quarters): no slot over them is held (issue 12, s. 8)
    erased_quarters: frozenset[str] = frozenset()
    _counts: dict[CellKey, int] = field(default_factory=dict, init=False, repr=False,
                                        compare=False)

    def counts(self) -> dict[CellKey, int]:
        """True atom counts, computed once per basis (read-only by convention)."""
        if not self._counts:
            self._counts.update(atom_counts(self.facts))
        return self._counts

    def naming(self) -> Naming:
        return Naming.from_grouping(self.grouping, self.category_labels)


def atom_counts(facts: Iterable[CaseFacts]) -> dict[CellKey, int]:
    """True counts per atom (department id, category, quarter opened): what the auditor needs."""
    counts: defaultdict[CellKey, int] = defaultdict(int)
    for case in facts:
        quarter = quarter_of(case.opened_on)
        for category in dict.fromkeys(case.categories):
            counts[(case.department_id, category, quarter)] += 1
    return dict(counts)


def compute_candidates(
    facts: Sequence[CaseFacts], grouping: DepartmentGrouping, rules: DisclosureRules,
    today: date,
) -> list[SignalCandidate]:
    """The candidate signals of ``facts`` with the disclosure grouping and threshold k."""
    group_of = {d: grouping.group_of(d) for d in grouping.department_ids}
    labels = {key: group.label for key, group in grouping.groups.items()}
    return detect_signals(facts, group_of, labels, k=rules.k, today=today,
                          window_quarters=WINDOW_QUARTERS)


def _category_labels(session: Session) -> dict[str, str]:
    """Dutch category names, used in the ledger's figure labels (the product is Dutch-first)."""
    return {c.code: c.label_nl for c in organisation.list_categories(session)}


def basis_of(facts: list[CaseFacts], grouping: DepartmentGrouping, rules: DisclosureRules,
             today: date, category_labels: Mapping[str, str],
             erased_quarters: Iterable[str] = ()) -> SignalBasis:
    """Candidates of decrypted cases, with what a release needs (also for benchmarks). A
    candidate over a quarter a case was erased from after a release is not releasable (issue
    12, session 8): the review holds no slot over it either (:func:`review_slots`)."""
    erased = frozenset(erased_quarters)
    candidates = [replace(c, releasable=False) if erased.intersection(c.periods) else c
                  for c in compute_candidates(facts, grouping, rules, today)]
    return SignalBasis(facts, grouping, rules, today, candidates, category_labels, erased)


def current_basis(work: Work, today: date) -> SignalBasis:
    """The basis of this request: every case decrypted with the work's vault keys."""
    session, rules = work.session, ledger.rules_from(work.settings)
    with paused_gc():  # every case's facts at once (services/collector.py)
        facts = counting.counted_case_facts(session, work.keys)
        grouping = merge_departments(organisation.department_facts(session), rules)
        return basis_of(facts, grouping, rules, today, _category_labels(session),
                        counting.erased_quarters(session))


def review_slots(basis: SignalBasis, on: date | None = None) -> list[Slot]:
    """The concentration slots of the review on ``on`` (default ``basis.today``): every group
    x category over its window, in the fixed order in which :func:`review_answers` decides
    them. None over a quarter a case was erased from after a release (issue 12, session 8:
    counted again, it would show where the case was; decided from that dates-only fact), so
    no concentration over it is offered."""
    window = window_before(on or basis.today)
    if basis.erased_quarters.intersection(window):
        return []
    when = period_label(window)
    return [
        Slot((key, category), cell_set(group.department_ids, [category], window),
             f"{group.label} · {basis.category_labels[category]} · {when}")
        for key, group in sorted(basis.grouping.groups.items())
        for category in sorted(basis.category_labels)
    ]


def the_rise_rule(basis: SignalBasis) -> RiseRule:
    """The rise rule this installation publishes (``core.signals``: its defaults, k)."""
    return rise_rule(basis.rules.k)


def rise_rules(rule: RiseRule, now: frozenset[CellKey], before: frozenset[CellKey],
               label: str) -> tuple[RuleConstraint, RuleConstraint]:
    """The rise rule over these cells, and its absence (issue 12, session 8)."""
    weights = {"per_now": rule.per_now, "per_before": rule.per_before, "low": rule.low}
    return (RuleConstraint.linear_rise(now, before, label=label, **weights),
            RuleConstraint.no_rise(now, before, label=label, **weights))


def rise_slots(basis: SignalBasis, on: date | None = None) -> list[RiseSlot]:
    """The rise slots of the review on ``on`` (default ``basis.today``): every group x
    category, its last complete quarter against the one before, in the fixed order of
    :func:`review_slots`; none over a quarter a case was erased from after a release."""
    window = window_before(on or basis.today, 2)
    if basis.erased_quarters.intersection(window):
        return []
    rule = the_rise_rule(basis)
    out: list[RiseSlot] = []
    for key, group in sorted(basis.grouping.groups.items()):
        for category in sorted(basis.category_labels):
            before, now = (cell_set(group.department_ids, [category], [q]) for q in window)
            label = (f"{group.label} · {basis.category_labels[category]} · "
                     f"{window[1]} / {window[0]}")
            out.append(RiseSlot((key, category), *rise_rules(rule, now, before, label)))
    return out


def review_answers(basis: SignalBasis, ledger_figures: Sequence[Figure],
                   ledger_constraints: Sequence[RuleConstraint] = (), *,
                   on: date | None = None) -> ReviewAnswers:
    """What the review on ``on`` (default ``basis.today``) makes public (issue 12,
    ``core.disclosure.silences``): the slots it holds and, per held slot, ``< k`` (silent) or
    ``k+`` (a candidate existed), for the ledger; the rise slots it holds and, per held one,
    the rise's rule or its absence's. A concentration or a rise is offered only in a held
    slot."""
    return answers(review_slots(basis, on), basis.counts(), ledger_figures, basis.rules,
                   ledger_constraints, rise_slots(basis, on))


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def due_reviews(session: Session, today: date) -> list[date]:
    """The quarter starts up to ``today`` whose review is not in the ledger yet: every one
    after the last recorded review, or only the current quarter's when none is recorded (the
    reviews before this rule existed cannot be recorded afterwards). A day before the last
    recorded review (a back-dated request) gets its own quarter's review only."""
    recorded = {parse_quarter(reference.removeprefix(REVIEW_KIND + "-"))
                for reference in session.execute(select(DisclosureRelease.reference).where(
                    DisclosureRelease.kind == REVIEW_KIND)).scalars()}
    current = _quarter_start(today)
    if not recorded or max(recorded) >= parse_quarter(quarter_of(current)):
        return [] if parse_quarter(quarter_of(current)) in recorded else [current]
    year, number = max(recorded)
    due: list[date] = []
    day = date(year, 3 * number - 2, 1)
    while day < current:
        day = date(day.year + 1, 1, 1) if day.month == 10 else date(day.year, day.month + 3, 1)
        due.append(day)
    return due


def pending_reviews(work: Work, basis: SignalBasis) -> list[tuple[str, ReviewAnswers]]:
    """The answers of every review due up to ``basis.today`` that the ledger lacks, each
    decided against the ledger plus the answers before it - in memory (issue 12)."""
    known = ledger.load_ledger(work.session)
    constraints = ledger.load_constraints(work.session)
    found: list[tuple[str, ReviewAnswers]] = []
    for day in due_reviews(work.session, basis.today):
        answered = review_answers(basis, known, constraints, on=day)
        found.append((f"{REVIEW_KIND}-{quarter_of(day)}", answered))
        known = [*known, *answered.figures]
        constraints = [*constraints, *answered.constraints]
    return found


def ledger_with_reviews(work: Work, basis: SignalBasis) -> list[Figure]:
    """The ledger as a release decided now must see it: with the due reviews' answers, not
    written (for a page that only shows what would happen)."""
    return reviewed_ledger(work, basis)[0]


def reviewed_ledger(work: Work, basis: SignalBasis
                    ) -> tuple[list[Figure], list[RuleConstraint]]:
    """The ledger's figures and rules with the due reviews' answers (their rise rules too),
    not written - what a page that only shows what would happen must decide against."""
    pending = pending_reviews(work, basis)
    return ([*ledger.load_ledger(work.session),
             *(f for _, answered in pending for f in answered.figures)],
            [*ledger.load_constraints(work.session),
             *(r for _, answered in pending for r in answered.constraints)])


def record_reviews(work: Work, basis: SignalBasis) -> None:
    """Put the answers of every review due up to ``basis.today`` into the ledger (issue 12):
    a reader may assume a review at every quarter start that offers every candidate, so its
    silences are public whether or not the counsellor looked. Before any release is decided.
    Not in the audit log: nobody released anything (the ledger row says when and in whose
    request it was recorded)."""
    for reference, answered in pending_reviews(work, basis):
        ledger.append(work, ledger.Approval(REVIEW_KIND, reference, reference,
                                            answered.figures, answered.constraints))


def offered(candidates: Iterable[SignalCandidate], held: ReviewAnswers
            ) -> list[SignalCandidate]:
    """The candidates a review offers: a concentration or a rise only in a held slot."""
    def slot(c: SignalCandidate) -> tuple[str, str]:
        return c.group_key or "", c.category or ""

    return [c for c in candidates
            if (c.kind != CONCENTRATION or held.holds(slot(c)))
            and (c.kind != RISE or held.holds_rise(slot(c)))]


def _digest(keys: VaultKeys, candidate_key: str) -> str:
    subkey = crypto.derive_subkey(keys.current, PURPOSE_SIGNAL_DIGEST)
    return hmac.new(subkey, candidate_key.encode("utf-8"), hashlib.sha256).hexdigest()


def token_of(keys: VaultKeys, candidate: SignalCandidate) -> str:
    return _digest(keys, candidate.key)[:TOKEN_CHARS]


@dataclass(frozen=True)
class CandidateView:
    token: str
    candidate: SignalCandidate
    references: tuple[str, ...]  # case references, for the counsellor only
    dismissed: bool
    released: ReleasedSignal | None

    @property
    def releasable(self) -> bool:
        return self.candidate.releasable and self.released is None


@dataclass(frozen=True)
class Review:
    open: list[CandidateView]
    dismissed: list[CandidateView]
    released: list[CandidateView]
    window: tuple[str, ...]
    breakdown_allowed: bool
    k: int


def _references(session: Session, case_ids: Iterable[int]) -> dict[int, str]:
    ids = sorted(set(case_ids))
    found: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for case_id, reference in session.execute(
                select(Case.id, Case.reference).where(Case.id.in_(chunk))):
            found[case_id] = reference
    return found


def _views(session: Session, keys: VaultKeys, basis: SignalBasis) -> list[CandidateView]:
    digests = {c.key: _digest(keys, c.key) for c in basis.candidates}
    dismissed = set(session.execute(
        select(SignalDismissal.digest).where(SignalDismissal.digest.in_(digests.values()))
    ).scalars()) if digests else set()
    released = {row.candidate_key: row for row in session.execute(
        select(ReleasedSignal).where(ReleasedSignal.candidate_key.in_(list(digests)))).scalars()
    } if digests else {}
    refs = _references(session, (i for c in basis.candidates for i in c.case_ids))
    return [
        CandidateView(
            token=digests[c.key][:TOKEN_CHARS], candidate=c,
            references=tuple(refs[i] for i in c.case_ids if i in refs),
            dismissed=digests[c.key] in dismissed,
            released=released.get(c.key) if c.releasable else None,
        )
        for c in basis.candidates
    ]


def review(work: Work, *, today: date | None = None) -> Review:
    """The counsellor's candidate signals (decrypts every case; audited as ``signal.review``)."""
    basis = current_basis(work, today or date.today())
    views = _views(work.session, work.keys, basis)
    window = tuple(window_before(basis.today))
    # no count or kind in the log: the admin reads it, and they are derived from cases
    work.audit("signal.review")
    return Review(
        open=[v for v in views if v.released is None and not v.dismissed],
        dismissed=[v for v in views if v.released is None and v.dismissed],
        released=[v for v in views if v.released is not None],
        window=window,
        breakdown_allowed=basis.grouping.breakdown_allowed,
        k=basis.rules.k,
    )


def window_before(today: date, n: int = WINDOW_QUARTERS) -> list[str]:
    """The ``n`` complete quarters before the one ``today`` is in (a concentration's window)."""
    year, number = parse_quarter(quarter_of(today))
    previous = f"{year - 1}-Q4" if number == 1 else f"{year}-Q{number - 1}"
    return trailing_quarters(previous, n)


def find_view(work: Work, basis: SignalBasis, token: str) -> CandidateView:
    """The candidate of ``basis`` whose token is ``token`` (compared in constant time)."""
    if len(token) != TOKEN_CHARS:
        raise NotFound(N_("This candidate signal no longer exists (the cases or the period "
                          "changed). Look at the current candidates."))
    for view in _views(work.session, work.keys, basis):
        if hmac.compare_digest(view.token, token):
            return view
    raise NotFound(N_("This candidate signal no longer exists (the cases or the period "
                      "changed). Look at the current candidates."))


def find_candidate(work: Work, token: str, *, today: date | None = None) -> CandidateView:
    return find_view(work, current_basis(work, today or date.today()), token)


def dismiss(work: Work, token: str, *, today: date | None = None) -> CandidateView:
    """Remember that the counsellor set this candidate aside (audited, no content)."""
    view = find_view(work, current_basis(work, today or date.today()), token)
    if view.released is not None:
        raise AlreadyReleased()
    digest = _digest(work.keys, view.candidate.key)
    if not view.dismissed:
        work.session.add(SignalDismissal(digest=digest, key_version=work.keys.version,
                                         dismissed_by=work.actor.user_id))
        work.flush()
    work.audit("signal.dismiss", target_type="signal_candidate", target_id=view.token[:12])
    return replace(view, dismissed=True)


def restore(work: Work, token: str, *, today: date | None = None) -> CandidateView:
    """Undo a dismissal: the candidate shows among the open ones again (audited)."""
    view = find_view(work, current_basis(work, today or date.today()), token)
    digest = _digest(work.keys, view.candidate.key)
    row = work.session.execute(
        select(SignalDismissal).where(SignalDismissal.digest == digest)).scalar_one_or_none()
    if row is not None:
        work.session.delete(row)
        work.flush()
    work.audit("signal.restore", target_type="signal_candidate", target_id=view.token[:12])
    return replace(view, dismissed=False)
