"""A candidate's release to management: the figures it publishes, the auditor's decision
(for every band it could have had) and the released row."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from itertools import pairwise
from typing import Final

from vp_registry.core.disclosure import (
    AuditResult,
    CellKey,
    DisclosureProblem,
    DisclosureRules,
    Figure,
    RuleConstraint,
    cell_set,
    is_complete,
    period_label,
)
from vp_registry.core.disclosure import audit as audit_figures
from vp_registry.core.disclosure.auditor import decide
from vp_registry.core.signals import (
    CONCENTRATION,
    RECURRENCE,
    RISE,
    RiseRule,
    SignalCandidate,
)
from vp_registry.core.taxonomy import N_, SuggestedAction
from vp_registry.db import utcnow
from vp_registry.db.signals import ReleasedSignal
from vp_registry.services.errors import ValidationFailed
from vp_registry.services.signals import ledger, reviewing
from vp_registry.services.signals.refusals import (
    AlreadyReleased,
    NotReleasable,
    RefusalReason,
    SignalRefused,
)
from vp_registry.services.signals.reviewing import (
    CandidateView,
    SignalBasis,
    current_basis,
    find_view,
)
from vp_registry.services.work import Work

MAX_CONTEXT: Final = 4000
MAX_OTHER_ACTION: Final = 300
LEDGER_KIND: Final = "signal"


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
    """The rule a reader applies to the figures (a rise: ``now - 2 x before >= k + 1``, one
    inequality since session 8, ``core.signals.RiseRule``), kept in the ledger next to them
    so that the auditor knows it too (issue 12)."""

    @property
    def first_quarter(self) -> str:
        return self.quarters[0]

    @property
    def last_quarter(self) -> str:
        return self.quarters[-1]

    @property
    def period_label(self) -> str:
        return period_label(self.quarters)


def publication(basis: SignalBasis, candidate: SignalCandidate,
                ledger_constraints: Sequence[RuleConstraint] = ()) -> Publication:
    """The figures a candidate releases: its count as a band over its atomic cells.

    A concentration publishes the band of its window - or ``k+`` where a published rule
    (a rise or a review's rise answer, ``ledger_constraints``) touches the window: every band
    would conflict with one of the rise answers (``core.disclosure.silences``), ``k+`` is the
    review's own answer; a rise publishes the band of its last
    quarter (:func:`rise_bands`) and, because "a rise" says something about the quarter
    before, that quarter too (a band, or ``< k``), and the rise rule over both, so the
    auditor sees everything a reader learns.
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
        if any(not main.cells.isdisjoint(rule.atoms) for rule in ledger_constraints):
            main = replace(main, low=rules.k, high=None)  # the review's answer, no band
        previous_quarter = previous = None
        figures: tuple[Figure, ...] = (main,)
        constraints: tuple[RuleConstraint, ...] = ()
    elif candidate.kind == RISE:
        previous_quarter, last = candidate.periods
        quarters = (last,)
        rise = reviewing.the_rise_rule(basis)
        main = _in_rise_band(band(quarters), candidate.count, rules, rise)
        previous = band((previous_quarter,))
        figures = (main, previous)
        constraints = (reviewing.rise_rules(rise, main.cells, previous.cells, main.label)[0],)
    else:  # pragma: no cover - KINDS is closed
        raise NotReleasable()
    return Publication(
        kind=candidate.kind, group_key=group.key, group_label=group.label,
        category=candidate.category, quarters=quarters, band=main.display,
        band_low=main.low, band_high=main.high, previous_quarter=previous_quarter,
        previous_band=previous.display if previous is not None else None, figures=figures,
        constraints=constraints,
    )


def rise_bands(rules: DisclosureRules, rise: RiseRule) -> list[tuple[int, int | None]]:
    """The bands a rise's last quarter is shown in (issue 12, session 8): the signal bands,
    the lowest merged until the rise rule leaves the quarter before every value below k
    (its highest count must be a rise after k - 1). With k = 3 and ``now - 2 x before >= 4``
    "3-4" would say "up from 0" (4 - 2 x 1 < 4), so a rise shows "3-9" or "10+". Public
    rules only."""
    edges = rules.band_edges
    bands: list[tuple[int, int | None]] = [
        (low, nxt - 1) for low, nxt in pairwise(edges)] + [(edges[-1], None)]
    while len(bands) > 1 and (high := bands[0][1]) is not None and not rise.fires(
            high, rules.k - 1):
        bands = [(bands[0][0], bands[1][1]), *bands[2:]]
    return bands


def _in_rise_band(figure: Figure, count: int, rules: DisclosureRules, rise: RiseRule
                  ) -> Figure:
    """``figure`` (the last quarter's band) as the rise band holding ``count``."""
    for low, high in rise_bands(rules, rise):
        if low <= count and (high is None or count <= high):
            return replace(figure, low=low, high=high)
    return figure  # below k: no rise (the auditor refuses an untrue figure)


def _alternatives(published: Publication, rules: DisclosureRules, rise: RiseRule
                  ) -> list[tuple[Figure, ...]]:
    """Every set of figures this candidate could have published, its own included.

    The same cells with every band the published rule allows: a concentration any band from
    k on (only ``k+`` where :func:`publication` publishes that); a rise any of its bands
    (:func:`rise_bands`) for its last quarter and, for the quarter before, ``< k`` or any
    band with which the last quarter can still be a rise (``rise``: the published rule,
    ``core.signals.RiseRule``). Structure only, never the counts.
    """
    k = rules.k
    edges = rules.band_edges
    bands: list[tuple[int, int | None]] = [
        (low, nxt - 1) for low, nxt in pairwise(edges)] + [(edges[-1], None)]
    main = published.figures[0]
    if published.kind != RISE:
        if main.interval == (k, None):  # k+: the only figure it could have (publication)
            return [(main,)]
        return [(replace(main, low=low, high=high),) for low, high in bands]
    before = published.figures[1]
    out: list[tuple[Figure, ...]] = []
    for now_low, now_high in rise_bands(rules, rise):
        for b_low, b_high in [(0, k - 1), *bands]:
            if not rise.possible(now_high, b_low):
                continue  # not a rise for any counts in these bands
            out.append((replace(main, low=now_low, high=now_high),
                        replace(before, low=b_low, high=b_high)))
    return out


def held(published: Publication, ledger_figures: Sequence[Figure], k: int) -> bool:
    """Did the review of the concentration's window hold its slot (issue 12)? Then the
    ledger has ``k+`` (or a band) on exactly its cells: the review's answer "a candidate
    existed" (``services.signals.reviewing.review_answers``)."""
    cells = published.figures[0].cells
    return any(f.cells == cells and f.low >= k for f in ledger_figures)


def rise_held(published: Publication, ledger_constraints: Sequence[RuleConstraint]) -> bool:
    """Did the review hold the rise's slot (issue 12, session 8)? Then the ledger has the
    rise's rule on exactly its two quarters: the review's answer "it rose"."""
    rule = published.constraints[0]
    return any(rule.same_rule(r) for r in ledger_constraints)


def _unheld(published: Publication, ledger_figures: Sequence[Figure],
            ledger_constraints: Sequence[RuleConstraint], k: int) -> AuditResult | None:
    """The refusal of a candidate whose review slot was not held (no candidate offered)."""
    main = published.figures[0]
    if published.kind == CONCENTRATION and not held(published, ledger_figures, k):
        return AuditResult(False, [DisclosureProblem(
            "unheld", main.cells, main.label, "the review did not hold this group and period")])
    if published.kind == RISE and not rise_held(published, ledger_constraints):
        return AuditResult(False, [DisclosureProblem(
            "unheld_rise", main.cells, published.group_label,
            "the review did not hold this group's rise")])
    return None


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
    published = publication(basis, candidate, ledger_constraints)
    rules, counts, naming = basis.rules, basis.counts(), basis.naming()
    unheld = _unheld(published, ledger_figures, ledger_constraints, rules.k)
    if unheld is not None:
        return published, unheld
    known = [*ledger_constraints, *published.constraints]  # the rule, same cells for every band
    # the candidate's own components (core/disclosure/scope.py), explained for a refusal;
    # release() approves with the full audit, as always
    result = decide(published.figures, ledger_figures, counts, rules, naming=naming,
                    constraints=known)
    if not result.ok:
        return published, result
    for alternative in _alternatives(published, rules, reviewing.the_rise_rule(basis)):
        if alternative == published.figures:
            continue
        # the decision only, like the true bands' above (core/disclosure/scope.py)
        other = audit_figures(alternative, ledger_figures, counts, rules, naming=naming,
                              constraints=known, decision=True)
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
        elif problem.kind == "unheld":
            reasons.append(RefusalReason(
                N_("Management may assume that every signal review offers every candidate, so "
                   "even a review without this signal would tell them something: that "
                   "‘%(cell)s’ had fewer than %(k)s cases. Together with what was released "
                   "before (for example an annual report's exact total), that could give away a "
                   "small count. So this group and period are not reviewed at all - decided "
                   "from what is public only, whatever the actual number: the missing signal "
                   "tells nobody anything."),
                {"cell": problem.label, "k": k}))
        elif problem.kind == "unheld_rise":
            reasons.append(RefusalReason(
                N_("Management may assume that every signal review offers every candidate, so "
                   "even a review without a rise for ‘%(group)s’ would tell them something "
                   "about its last two quarters. Together with what was released before, that "
                   "could give away a small count. So this group's rise is not reviewed at "
                   "all - decided from what is public only, whatever the actual numbers: the "
                   "missing signal tells nobody anything."),
                {"group": problem.label}))
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


def preview(work: Work, token: str, draft: ReleaseDraft, *, today: date | None = None
            ) -> Preview:
    """What management would see, and whether disclosure control would let it go."""
    basis = current_basis(work, today or date.today())
    view = find_view(work, basis, token)
    if view.released is not None:
        raise AlreadyReleased()
    # the due reviews' answers, unwritten (their rise rules too)
    earlier, earlier_rules = reviewing.reviewed_ledger(work, basis)
    published, result = audit_release(basis, view.candidate, earlier, earlier_rules)
    reasons = refusal_reasons(result.problems, basis.rules.k, earlier)
    return Preview(view, published, draft, result.ok, tuple(reasons))


def release(work: Work, token: str, draft: ReleaseDraft, *, today: date | None = None
            ) -> ReleasedSignal:
    """Release a candidate to management through disclosure control (audited).

    Raises SignalRefused (nothing released, the refusal audited), AlreadyReleased,
    NotReleasable, ValidationFailed or NotFound.
    """
    draft = validate_draft(draft)
    basis = current_basis(work, today or date.today())
    view = find_view(work, basis, token)
    if view.released is not None:
        raise AlreadyReleased()
    candidate = view.candidate
    publication(basis, candidate)  # NotReleasable, ValidationFailed before anything is written
    reviewing.record_reviews(work, basis)  # the due reviews' answers first (issue 12)
    earlier = ledger.load_ledger(work.session)
    # the figures as published against the ledger's rules now (publication: a concentration
    # next to a rise answer is 'k+')
    published, decided = audit_release(basis, candidate, earlier,
                                       ledger.load_constraints(work.session))
    reference = f"{LEDGER_KIND}:{candidate.kind}:{candidate.category}:{published.last_quarter}"
    if not decided.ok:  # for some band it could have had: refused whatever its own band
        # audited as the ledger does: an opaque subject, no count
        work.audit("disclosure.refused", target_type=LEDGER_KIND, target_id=view.token[:12])
        raise SignalRefused(refusal_reasons(decided.problems, basis.rules.k, earlier))
    try:
        entry = ledger.release(work, kind=LEDGER_KIND, reference=reference[:80],
                               figures=published.figures,
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
        disclosure_release_id=entry.id, released_at=utcnow(), released_by=work.actor.user_id,
    )
    work.session.add(row)
    work.flush()
    work.audit("signal.release", target_type="signal", target_id=row.id,
               disclosure_release=entry.id)  # no count: it tells the kind
    return row
