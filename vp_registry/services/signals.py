"""Structural signals: the counsellor's candidates, their release, and management's view.

* **Candidates** are computed on request from the decrypted cases (``core.signals``) with the
  department groups of disclosure control (``core.disclosure.merge_departments``) and the
  threshold ``k`` of the settings. They exist only in memory and on the counsellor's page.
  Each has an opaque *token*: an HMAC of its identity under a key derived from the vault key,
  so URLs, forms and the dismissal table never show which department and category it concerns.
* **Dismissal** stores only that digest (remembered until the next vault key rotation, after
  which the candidate may be shown again - see docs/decisions.md).
* **Release** rebuilds the candidate from the current cases (nothing the browser sends is
  trusted but the token and the counsellor's texts), turns its count into a band over the
  atomic cells (department ids of the group x category x quarters), and hands the figures with
  the true counts to :func:`vp_registry.services.ledger.release`: the auditor checks them
  against the whole ledger and refuses when a protected cell could be narrowed. Only then is a
  :class:`~vp_registry.db.signals.ReleasedSignal` stored - with the band, never the count.
  Recurrence candidates are never releasable.
* **Management** reads released signals, acknowledges them and records follow-up. Nothing
  here gives a manager anything derived from cases except what passed the ledger.

Every function takes the session, settings and actor explicitly, flushes and never commits.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from vp_registry.config import Settings
from vp_registry.core import crypto
from vp_registry.core.disclosure import (
    ORGANISATION,
    OTHER_DEPARTMENTS,
    AuditResult,
    CellKey,
    DepartmentGrouping,
    DisclosureProblem,
    DisclosureRules,
    Figure,
    Naming,
    RuleConstraint,
    cell_set,
    is_complete,
    merge_departments,
    parse_quarter,
    period_label,
    quarter_of,
    trailing_quarters,
)
from vp_registry.core.disclosure import audit as audit_figures
from vp_registry.core.facts import CaseFacts
from vp_registry.core.signals import (
    CONCENTRATION,
    RECURRENCE,
    RISE,
    SignalCandidate,
    detect_signals,
)
from vp_registry.core.taxonomy import N_, SuggestedAction
from vp_registry.db import utcnow
from vp_registry.db.accounts import User
from vp_registry.db.cases import Case
from vp_registry.db.organisation import Category
from vp_registry.db.signals import ReleasedSignal, SignalDismissal, SignalFollowUp
from vp_registry.services import audit, cases, ledger, organisation
from vp_registry.services.audit import Actor
from vp_registry.services.errors import Conflict, DomainError, NotFound, ValidationFailed
from vp_registry.services.vault import VaultKeys

if TYPE_CHECKING:
    from vp_registry.core.report import ReleasedSignalFacts

WINDOW_QUARTERS: Final = 4  # the trailing window of a concentration: 12 months
TOKEN_CHARS: Final = 32
PURPOSE_SIGNAL_DIGEST: Final = "signal-candidate"
MAX_CONTEXT: Final = 4000
MAX_OTHER_ACTION: Final = 300
MAX_FOLLOW_UP: Final = 4000
EARLIEST_FOLLOW_UP: Final = date(2000, 1, 1)
LEDGER_KIND: Final = "signal"


# ------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class RefusalReason:
    """One reason the auditor refused, as an English source string with its parameters."""

    message: str
    params: Mapping[str, Any] = field(default_factory=dict)


class SignalRefused(DomainError):
    """Disclosure control refused the release; ``reasons`` say why in a counsellor's words."""

    message = N_("Disclosure control refused this release. Nothing was released.")

    def __init__(self, reasons: Sequence[RefusalReason]) -> None:
        super().__init__()
        self.reasons = tuple(reasons)


class AlreadyReleased(Conflict):
    message = N_("This signal has already been released.")


class NotReleasable(ValidationFailed):
    message = N_("This candidate can not be released: it stays with the confidential "
                 "counsellor.")


# ---------------------------------------------------------------------- the basis


@dataclass(frozen=True)
class SignalBasis:
    """Everything a candidate is computed from, for one request."""

    facts: list[CaseFacts]
    grouping: DepartmentGrouping
    rules: DisclosureRules
    today: date
    candidates: list[SignalCandidate]
    category_labels: Mapping[str, str]
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
             today: date, category_labels: Mapping[str, str]) -> SignalBasis:
    """Candidates of decrypted cases, with what a release needs (also for benchmarks)."""
    return SignalBasis(facts, grouping, rules, today,
                       compute_candidates(facts, grouping, rules, today), category_labels)


def _basis(session: Session, settings: Settings, keys: VaultKeys, today: date) -> SignalBasis:
    rules = ledger.rules_from(settings)
    facts = cases.case_facts(session, keys)
    grouping = merge_departments(organisation.department_facts(session), rules)
    return basis_of(facts, grouping, rules, today, _category_labels(session))


def _digest(keys: VaultKeys, candidate_key: str) -> str:
    subkey = crypto.derive_subkey(keys.current, PURPOSE_SIGNAL_DIGEST)
    return hmac.new(subkey, candidate_key.encode("utf-8"), hashlib.sha256).hexdigest()


def token_of(keys: VaultKeys, candidate: SignalCandidate) -> str:
    return _digest(keys, candidate.key)[:TOKEN_CHARS]


# ----------------------------------------------------------------- the review page


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


def review(session: Session, settings: Settings, actor: Actor, keys: VaultKeys, *,
           today: date | None = None) -> Review:
    """The counsellor's candidate signals (decrypts every case; audited as ``signal.review``)."""
    basis = _basis(session, settings, keys, today or date.today())
    views = _views(session, keys, basis)
    window = tuple(window_before(basis.today))
    # no count or kind in the log: the admin reads it, and they are derived from cases
    audit.record(session, settings.audit_key, actor, "signal.review")
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


def _find(session: Session, keys: VaultKeys, basis: SignalBasis, token: str) -> CandidateView:
    if len(token) != TOKEN_CHARS:
        raise NotFound(N_("This candidate signal no longer exists (the cases or the period "
                          "changed). Look at the current candidates."))
    for view in _views(session, keys, basis):
        if hmac.compare_digest(view.token, token):
            return view
    raise NotFound(N_("This candidate signal no longer exists (the cases or the period "
                      "changed). Look at the current candidates."))


def find_candidate(session: Session, settings: Settings, keys: VaultKeys, token: str, *,
                   today: date | None = None) -> CandidateView:
    basis = _basis(session, settings, keys, today or date.today())
    return _find(session, keys, basis, token)


# -------------------------------------------------------------------- dismissal


def dismiss(session: Session, settings: Settings, actor: Actor, keys: VaultKeys, token: str,
            *, today: date | None = None) -> CandidateView:
    """Remember that the counsellor set this candidate aside (audited, no content)."""
    basis = _basis(session, settings, keys, today or date.today())
    view = _find(session, keys, basis, token)
    if view.released is not None:
        raise AlreadyReleased()
    digest = _digest(keys, view.candidate.key)
    if not view.dismissed:
        session.add(SignalDismissal(digest=digest, key_version=keys.version,
                                    dismissed_by=actor.user_id))
        session.flush()
    audit.record(session, settings.audit_key, actor, "signal.dismiss",
                 target_type="signal_candidate", target_id=view.token[:12])
    return replace(view, dismissed=True)


def restore(session: Session, settings: Settings, actor: Actor, keys: VaultKeys, token: str,
            *, today: date | None = None) -> CandidateView:
    """Undo a dismissal: the candidate shows among the open ones again (audited)."""
    basis = _basis(session, settings, keys, today or date.today())
    view = _find(session, keys, basis, token)
    digest = _digest(keys, view.candidate.key)
    row = session.execute(
        select(SignalDismissal).where(SignalDismissal.digest == digest)).scalar_one_or_none()
    if row is not None:
        session.delete(row)
        session.flush()
    audit.record(session, settings.audit_key, actor, "signal.restore",
                 target_type="signal_candidate", target_id=view.token[:12])
    return replace(view, dismissed=False)


# ---------------------------------------------------------------------- release


@dataclass(frozen=True, kw_only=True)
class ReleaseDraft:
    """What the counsellor adds to a signal for management."""

    context: str = ""
    actions: tuple[str, ...] = ()
    other_action: str | None = None


def validate_draft(draft: ReleaseDraft) -> ReleaseDraft:
    allowed = [a.value for a in SuggestedAction]
    actions = tuple(a for a in allowed if a in set(draft.actions))
    if len(actions) != len(set(draft.actions)):
        raise ValidationFailed(N_("Choose suggested actions from the list."), field="actions")
    context = (draft.context or "").strip()
    if len(context) > MAX_CONTEXT:
        raise ValidationFailed(N_("Use at most %(max)s characters."), field="context",
                               max=MAX_CONTEXT)
    other = (draft.other_action or "").strip() or None
    if other is not None and len(other) > MAX_OTHER_ACTION:
        raise ValidationFailed(N_("Use at most %(max)s characters."), field="other_action",
                               max=MAX_OTHER_ACTION)
    if other is not None and SuggestedAction.OTHER.value not in actions:
        actions = (*actions, SuggestedAction.OTHER.value)
    if SuggestedAction.OTHER.value in actions and other is None:
        raise ValidationFailed(N_("Describe the other action."), field="other_action")
    if not actions:
        raise ValidationFailed(
            N_("Suggest at least one action, so that management knows what it can do."),
            field="actions")
    return ReleaseDraft(context=context, actions=actions, other_action=other)


@dataclass(frozen=True)
class Publication:
    """Exactly what management will see of a signal (after disclosure control)."""

    kind: str
    group_key: str
    group_label: str
    category: str
    quarters: tuple[str, ...]
    band: str
    band_low: int
    band_high: int | None
    previous_quarter: str | None
    previous_band: str | None
    figures: tuple[Figure, ...]
    constraints: tuple[RuleConstraint, ...] = ()
    """The rule a reader applies to the figures (a rise: now >= 2 x before, now - before >= 2),
    kept in the ledger next to them so that the auditor knows it too (issue 12)."""

    @property
    def first_quarter(self) -> str:
        return self.quarters[0]

    @property
    def last_quarter(self) -> str:
        return self.quarters[-1]

    @property
    def period_label(self) -> str:
        return period_label(self.quarters)


def publication(basis: SignalBasis, candidate: SignalCandidate) -> Publication:
    """The figures a candidate releases: its count as a band over its atomic cells.

    A concentration publishes the band of its window; a rise publishes the band of its last
    quarter and, because "a rise" says something about the quarter before, that quarter too
    (a band, or ``< k``), so the auditor sees everything a reader learns.
    """
    if not candidate.releasable or candidate.kind == RECURRENCE:
        raise NotReleasable()
    if candidate.group_key is None or candidate.category is None:
        raise NotReleasable()
    if not is_complete(candidate.periods, basis.today):
        raise ValidationFailed(N_("Only complete quarters can be released."))
    group = basis.grouping.groups[candidate.group_key]
    category_label = basis.category_labels.get(candidate.category, candidate.category)
    counts = basis.counts()
    rules = basis.rules

    def band(quarters: Sequence[str]) -> Figure:
        cells = cell_set(group.department_ids, [candidate.category or ""], quarters)
        value = sum(counts.get(cell, 0) for cell in cells)
        label = f"{group.label} · {category_label} · {period_label(quarters)}"
        return Figure.band(cells, value, rules, label)

    if candidate.kind == CONCENTRATION:
        quarters: tuple[str, ...] = candidate.periods
        main = band(quarters)
        previous_quarter = previous = None
        figures: tuple[Figure, ...] = (main,)
        constraints: tuple[RuleConstraint, ...] = ()
    elif candidate.kind == RISE:
        previous_quarter, last = candidate.periods
        quarters = (last,)
        main = band(quarters)
        previous = band((previous_quarter,))
        figures = (main, previous)
        constraints = RuleConstraint.rise(main, previous)
    else:  # pragma: no cover - KINDS is closed
        raise NotReleasable()
    return Publication(
        kind=candidate.kind, group_key=group.key, group_label=group.label,
        category=candidate.category, quarters=quarters, band=main.display,
        band_low=main.low, band_high=main.high, previous_quarter=previous_quarter,
        previous_band=previous.display if previous is not None else None, figures=figures,
        constraints=constraints,
    )


def _alternatives(published: Publication, rules: DisclosureRules) -> list[tuple[Figure, ...]]:
    """Every set of figures this candidate could have published, its own included.

    The same cells with every band the published rule allows: a concentration any band from
    k on; a rise any band from k on for its last quarter and, for the quarter before, ``< k``
    or any band with which the last quarter can still be a rise (now >= 2 x before and
    now - before >= 2). Structure only, never the counts.
    """
    k = rules.k
    edges = rules.band_edges
    bands: list[tuple[int, int | None]] = [
        (low, nxt - 1) for low, nxt in pairwise(edges)] + [(edges[-1], None)]
    main = published.figures[0]
    if published.kind != RISE:
        return [(replace(main, low=low, high=high),) for low, high in bands]
    before = published.figures[1]
    out: list[tuple[Figure, ...]] = []
    for now_low, now_high in bands:
        for b_low, b_high in [(0, k - 1), *bands]:
            if now_high is not None and (now_high < 2 * b_low or now_high - b_low < 2):
                continue  # not a rise for any counts in these bands
            out.append((replace(main, low=now_low, high=now_high),
                        replace(before, low=b_low, high=b_high)))
    return out


def audit_release(
    basis: SignalBasis, candidate: SignalCandidate, ledger_figures: Sequence[Figure],
    ledger_constraints: Sequence[RuleConstraint] = (),
) -> tuple[Publication, AuditResult]:
    """The release decision for a candidate, simulatable (issue 12; DB-free).

    Refused when releasing it would let management narrow a small count for SOME band it
    could have had - not only for its true band - so a refusal (nothing released) tells a
    reader nothing about which band that was. The auditor's verdict for each alternative is a
    function of the figures and the ledger only; the true counts are at most a witness.
    """
    published = publication(basis, candidate)
    rules, counts, naming = basis.rules, basis.counts(), basis.naming()
    known = [*ledger_constraints, *published.constraints]  # the rule, same cells for every band
    result = audit_figures(published.figures, ledger_figures, counts, rules, naming=naming,
                           constraints=known)
    if not result.ok:
        return published, result
    for alternative in _alternatives(published, rules):
        if alternative == published.figures:
            continue
        other = audit_figures(alternative, ledger_figures, counts, rules, naming=naming,
                              constraints=known)
        problems = [p for p in other.problems if p.kind == "disclosure"]
        if problems:
            return published, AuditResult(False, [
                DisclosureProblem("simulated", frozenset(), published.group_label,
                                  "refused for another band this candidate could have had",
                                  figures=alternative)],
                units_checked=result.units_checked)
    return published, result


def _figure_names(figures: Sequence[Figure], ledger_cells: set[frozenset[CellKey]]) -> str:
    names: list[str] = []
    for f in figures:
        text = f"‘{f.label}’ ({f.display})"
        if f.cells in ledger_cells:
            text += " *"
        if text not in names:
            names.append(text)
    return "; ".join(names[:5]) + ("; …" if len(names) > 5 else "")


def refusal_reasons(problems: Sequence[DisclosureProblem], k: int,
                    ledger_figures: Sequence[Figure] = ()) -> list[RefusalReason]:
    """The auditor's problems in a counsellor's words (source strings for translation)."""
    earlier = {f.cells for f in ledger_figures}
    reasons: list[RefusalReason] = []
    for problem in problems:
        figures = _figure_names(problem.figures, earlier)
        if problem.kind == "disclosure":
            if problem.low is not None and problem.low == problem.high:
                amount = str(problem.low)
            else:
                amount = f"{problem.low or 0}-{problem.high if problem.high is not None else '…'}"
            reasons.append(RefusalReason(
                N_("Together with what was released before, management could work out that "
                   "‘%(cell)s’ holds %(amount)s cases (from: %(figures)s). Fewer than %(k)s "
                   "cases must never be recognisable, not even that there were any."),
                {"cell": problem.label, "amount": amount, "figures": figures, "k": k}))
        elif problem.kind == "simulated":
            reasons.append(RefusalReason(
                N_("Disclosure control decides only from what is already public - earlier "
                   "releases, the rules and which figures would be shown - never from the "
                   "actual number. For at least one number this signal could have had, "
                   "management could then work out a small count, so it is refused whatever "
                   "the actual number is: the refusal itself tells nobody anything."), {}))
        elif problem.kind == "changed_figure":
            reasons.append(RefusalReason(
                N_("‘%(cell)s’ was released before with another number. A released figure is "
                   "never changed, because comparing the two would tell more than either does."),
                {"cell": problem.label}))
        else:
            reasons.append(RefusalReason(
                N_("The cases of a period that was already reported have changed since (a case "
                   "was probably added, changed or erased there). Releasing now would show "
                   "management that something changed: ‘%(cell)s’."),
                {"cell": problem.label}))
    return reasons


@dataclass(frozen=True)
class Preview:
    view: CandidateView
    publication: Publication
    draft: ReleaseDraft
    ok: bool
    reasons: tuple[RefusalReason, ...]


def preview(session: Session, settings: Settings, keys: VaultKeys, token: str,
            draft: ReleaseDraft, *, today: date | None = None) -> Preview:
    """What management would see, and whether disclosure control would let it go."""
    basis = _basis(session, settings, keys, today or date.today())
    view = _find(session, keys, basis, token)
    if view.released is not None:
        raise AlreadyReleased()
    earlier = ledger.load_ledger(session)
    published, result = audit_release(basis, view.candidate, earlier,
                                      ledger.load_constraints(session))
    reasons = refusal_reasons(result.problems, basis.rules.k, earlier)
    return Preview(view, published, draft, result.ok, tuple(reasons))


def release(session: Session, settings: Settings, actor: Actor, keys: VaultKeys, token: str,
            draft: ReleaseDraft, *, today: date | None = None) -> ReleasedSignal:
    """Release a candidate to management through disclosure control (audited).

    Raises SignalRefused (nothing released, the refusal audited), AlreadyReleased,
    NotReleasable, ValidationFailed or NotFound.
    """
    draft = validate_draft(draft)
    basis = _basis(session, settings, keys, today or date.today())
    view = _find(session, keys, basis, token)
    if view.released is not None:
        raise AlreadyReleased()
    published = publication(basis, view.candidate)
    candidate = view.candidate
    reference = f"{LEDGER_KIND}:{candidate.kind}:{candidate.category}:{published.last_quarter}"
    earlier = ledger.load_ledger(session)
    _, decided = audit_release(basis, candidate, earlier, ledger.load_constraints(session))
    if not decided.ok:  # for some band it could have had: refused whatever its own band
        audit.record(session, settings.audit_key, actor, "disclosure.refused",
                     target_type=LEDGER_KIND, target_id=view.token[:12])  # as the ledger does
        raise SignalRefused(refusal_reasons(decided.problems, basis.rules.k, earlier))
    try:
        entry = ledger.release(session, settings, actor, kind=LEDGER_KIND,
                               reference=reference[:80], figures=published.figures,
                               true_counts=basis.counts(), naming=basis.naming(),
                               constraints=published.constraints,
                               audit_subject=view.token[:12])  # the admin reads the log
    except ledger.ReleaseRefused as refused:
        raise SignalRefused(refusal_reasons(refused.result.problems, basis.rules.k,
                                            earlier)) from None
    row = ReleasedSignal(
        candidate_key=candidate.key, kind=candidate.kind, group_key=published.group_key,
        group_label=published.group_label, category=published.category,
        first_quarter=published.first_quarter, last_quarter=published.last_quarter,
        period_label=published.period_label, band=published.band,
        band_low=published.band_low, band_high=published.band_high,
        previous_quarter=published.previous_quarter, previous_band=published.previous_band,
        context=draft.context, actions=",".join(draft.actions), other_action=draft.other_action,
        disclosure_release_id=entry.id, released_at=utcnow(), released_by=actor.user_id,
    )
    session.add(row)
    session.flush()
    audit.record(session, settings.audit_key, actor, "signal.release", target_type="signal",
                 target_id=row.id, disclosure_release=entry.id)  # no count: it tells the kind
    return row


# ------------------------------------------------------------------- management


@dataclass(frozen=True)
class SignalFilter:
    period: str | None = None  # last quarter "YYYY-Qn"
    group: str | None = None
    category: str | None = None


def released_signals(session: Session, criteria: SignalFilter | None = None
                     ) -> list[ReleasedSignal]:
    """Released signals, newest period first (then group and category)."""
    criteria = criteria or SignalFilter()
    query = select(ReleasedSignal)
    if criteria.period:
        query = query.where(ReleasedSignal.last_quarter == criteria.period)
    if criteria.group:
        query = query.where(ReleasedSignal.group_key == criteria.group)
    if criteria.category:
        query = query.where(ReleasedSignal.category == criteria.category)
    query = query.order_by(ReleasedSignal.last_quarter.desc(), ReleasedSignal.group_label,
                           ReleasedSignal.category, ReleasedSignal.id)
    return list(session.execute(query).scalars())


@dataclass(frozen=True)
class FilterOptions:
    periods: list[str]
    groups: list[tuple[str, str]]  # (key, label)
    categories: list[str]


def filter_options(session: Session) -> FilterOptions:
    rows = released_signals(session)
    periods = sorted({r.last_quarter for r in rows}, reverse=True)
    groups = sorted({(r.group_key, r.group_label) for r in rows}, key=lambda g: g[1].lower())
    categories = sorted({r.category for r in rows})
    return FilterOptions(periods, groups, categories)


def get_signal(session: Session, signal_id: int) -> ReleasedSignal:
    row = session.get(ReleasedSignal, signal_id)
    if row is None:
        raise NotFound()
    return row


def follow_ups(session: Session, signal_ids: Iterable[int]) -> dict[int, list[SignalFollowUp]]:
    ids = list(set(signal_ids))
    found: dict[int, list[SignalFollowUp]] = {i: [] for i in ids}
    if not ids:
        return found
    for row in session.execute(
        select(SignalFollowUp).where(SignalFollowUp.signal_id.in_(ids))
        .order_by(SignalFollowUp.done_on, SignalFollowUp.id)
    ).scalars():
        found[row.signal_id].append(row)
    return found


def user_names(session: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    ids = sorted({i for i in user_ids if i is not None})
    if not ids:
        return {}
    return {user_id: name for user_id, name in session.execute(
        select(User.id, User.display_name).where(User.id.in_(ids)))}


def acknowledge(session: Session, settings: Settings, actor: Actor, signal_id: int
                ) -> ReleasedSignal:
    """Management has seen the signal (once; later calls change nothing)."""
    row = get_signal(session, signal_id)
    if row.acknowledged_at is None:
        row.acknowledged_at = utcnow()
        row.acknowledged_by = actor.user_id
        session.flush()
        audit.record(session, settings.audit_key, actor, "signal.acknowledge",
                     target_type="signal", target_id=row.id)
    return row


def add_follow_up(session: Session, settings: Settings, actor: Actor, signal_id: int, *,
                  done_on: date | None, description: str, today: date | None = None
                  ) -> SignalFollowUp:
    """Record what management did about a signal, and when (acknowledges it too)."""
    today = today or date.today()
    row = get_signal(session, signal_id)
    text = (description or "").strip()
    if not text:
        raise ValidationFailed(N_("Describe what was done."), field="description")
    if len(text) > MAX_FOLLOW_UP:
        raise ValidationFailed(N_("Use at most %(max)s characters."), field="description",
                               max=MAX_FOLLOW_UP)
    if done_on is None:
        raise ValidationFailed(N_("Enter the date."), field="done_on")
    if done_on > today:
        raise ValidationFailed(N_("The date cannot be in the future."), field="done_on")
    if done_on < EARLIEST_FOLLOW_UP:
        raise ValidationFailed(N_("Enter a date after %(date)s."), field="done_on",
                               date=EARLIEST_FOLLOW_UP.isoformat())
    acknowledge(session, settings, actor, row.id)
    entry = SignalFollowUp(signal_id=row.id, done_on=done_on, description=text,
                           recorded_at=utcnow(), recorded_by=actor.user_id)
    session.add(entry)
    session.flush()
    audit.record(session, settings.audit_key, actor, "signal.follow_up", target_type="signal",
                 target_id=row.id)
    return entry


def record_export(session: Session, settings: Settings, actor: Actor, *, rows: int,
                  fmt: str = "csv") -> None:
    """An export repeats figures that were already released; it is audited, adds none."""
    audit.record(session, settings.audit_key, actor, "signal.export", rows=rows, format=fmt)


def actions_of(row: ReleasedSignal) -> list[str]:
    return [a for a in row.actions.split(",") if a]


def report_facts(session: Session, year: int, locale: str = "nl") -> list[ReleasedSignalFacts]:
    """Signals released in ``year`` with their latest follow-up, for the annual report
    (category and special group names in the report's language ``locale``)."""
    from vp_registry.core import report  # the report's own input type and vocabulary

    labels = {c.code: c.label_en if locale == "en" else c.label_nl
              for c in session.execute(select(Category)).scalars()}
    special = {ORGANISATION: report.text(locale, "whole_organisation"),
               OTHER_DEPARTMENTS: report.text(locale, "other_departments")}
    rows = [r for r in released_signals(session) if r.released_at.year == year]
    rows.sort(key=lambda r: (r.released_at, r.id))
    notes = follow_ups(session, (r.id for r in rows))
    facts = []
    for row in rows:
        actions = [a for a in actions_of(row) if a != SuggestedAction.OTHER.value]
        if row.other_action:
            actions.append(row.other_action)
        latest = notes[row.id][-1] if notes[row.id] else None
        facts.append(report.ReleasedSignalFacts(
            period=row.period_label, group=special.get(row.group_key, row.group_label),
            category=labels.get(row.category, row.category), band=row.band,
            context=row.context, suggested_actions=tuple(actions),
            follow_up=latest.description if latest else None,
            follow_up_on=latest.done_on if latest else None,
        ))
    return facts
