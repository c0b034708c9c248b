"""Candidate signals for the counsellor (docs/design.md section 5).

Pure functions over decrypted :class:`~vp_registry.core.facts.CaseFacts`: no Flask, no database,
no disclosure control. A candidate is what the counsellor reviews; whether any figure of it may
leave is decided afterwards by the disclosure module (docs/design.md section 4), never here.

Rules (all periods are whole calendar quarters, cases are counted by ``opened_on``):

* **End quarter.** The last complete quarter before ``today``; with
  ``include_current_quarter=True`` the running quarter instead.
* **Cells.** A case counts once in every (department group, category) cell of its categories.
  Departments are mapped to groups by ``group_of`` (department id -> group key, e.g. from
  ``disclosure.merge_departments``); a case whose department has no group is ignored for
  concentration and rise.
* **Concentration.** A cell with at least ``threshold`` cases in the trailing window of
  ``window_quarters`` quarters ending at the end quarter (default 4 quarters = 12 months). The
  threshold defaults to ``k`` and is never below ``k``: a lower value is raised to ``k``.
* **Rise.** A cell whose count ``now`` in the end quarter and ``before`` in the quarter before
  satisfy ONE linear inequality (issue 12, docs/decisions.md "A rise's absence"):
  ``now - rise_factor x before >= max(k + 1, rise_min_increase)`` (defaults 2 and 2, so
  ``now >= 2 x before + k + 1``). It implies the old three conditions (``now >= k``,
  ``now >= rise_factor x before``, ``now - before >= rise_min_increase``), and its absence is
  one linear fact too (``rise_factor x before - now >= 1 - max(k + 1, ...)``), which the
  disclosure ledger records like a silence (:class:`RiseRule`). Why ``k + 1`` and not ``k``:
  with ``k`` a review's "no rise" next to its "at least k cases over the window" would say
  that the window's other quarters hold at least one case (k cases in the last quarter alone
  would have been a rise), so the concentration slot could not be held; with ``k + 1`` both
  can be true of k cases in the last quarter. From zero, ``k + 1`` cases are therefore a
  rise; 6 after 1 and 8 after 2 are, 3 after 0, 4 after 1, 5 after 1 and 7 after 2 are not.
* **Recurrence** (counsellor only). At least ``recurrence_min_cases`` (default 2) cases with the
  same non-empty ``involved_person_index`` (a keyed blind index computed by the services). It
  looks at every case passed in, whatever its period or department grouping: it concerns a
  person, not a department, and is never released (``releasable=False``). It names case ids,
  never the person or the index.

``releasable=True`` only means the candidate may be *offered* for release; the counts in it are
exact and for the counsellor's eyes. Released figures go through disclosure control and are
shown in bands.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from types import MappingProxyType
from typing import Final

from vp_registry.core.facts import CaseFacts

CONCENTRATION: Final = "concentration"
RISE: Final = "rise"
RECURRENCE: Final = "recurrence"
KINDS: Final[tuple[str, ...]] = (CONCENTRATION, RISE, RECURRENCE)

K_MIN: Final = 3
K_MAX: Final = 10
MAX_FACTOR_DENOMINATOR: Final = 12  # rise_factor as a simple fraction (1.5, 2, 2.25, ...)


@dataclass(frozen=True)
class RiseRule:
    """The published rise rule as one integer inequality over the two quarters' counts:
    ``per_now x now - per_before x before >= low`` (issue 12). Integer coefficients, so the
    ledger can keep it and its absence (``per_before x before - per_now x now >= 1 - low``)
    as rules (``core.disclosure.RuleConstraint``)."""

    per_now: int
    per_before: int
    low: int

    def fires(self, now: int, before: int) -> bool:
        return self.per_now * now - self.per_before * before >= self.low

    def possible(self, now_high: int | None, before_low: int) -> bool:
        """Can some ``now <= now_high`` (None: unbounded) and ``before >= before_low`` be a
        rise (the bands a released rise could have had)?"""
        return now_high is None or self.fires(now_high, before_low)


def rise_rule(k: int, factor: float | Fraction = 2, min_increase: int = 2) -> RiseRule:
    """``now - factor x before >= max(k + 1, min_increase)``, scaled to integers (a factor
    p / q: ``q x now - p x before >= q x max(k + 1, min_increase)``). Raises ``ValueError``
    for a factor below 1 or not a simple fraction, or a minimum increase below 1."""
    exact = Fraction(factor).limit_denominator(MAX_FACTOR_DENOMINATOR)
    if abs(float(exact) - float(factor)) > 1e-9:
        raise ValueError(f"rise_factor must be a simple fraction (denominator at most "
                         f"{MAX_FACTOR_DENOMINATOR}), got {factor}")
    if exact < 1:
        raise ValueError(f"rise_factor must be at least 1, got {factor}")
    if min_increase < 1:
        raise ValueError(f"rise_min_increase must be at least 1, got {min_increase}")
    return RiseRule(exact.denominator, exact.numerator,
                    exact.denominator * max(k + 1, min_increase))

ExplanationValue = str | int


def _empty_parts() -> Mapping[str, ExplanationValue]:
    return MappingProxyType({})


@dataclass(frozen=True)
class SignalCandidate:
    """One candidate signal, as shown to the counsellor for review.

    ``explanation`` is an English sentence with a fixed shape per kind (the web layer may
    translate by format); ``explanation_parts`` holds the same numbers and names, read-only, so
    the web layer can build its own (Dutch) sentence.
    """

    kind: str  # one of KINDS
    group_key: str | None
    group_label: str | None
    category: str | None
    periods: tuple[str, ...]  # quarters covered, "YYYY-Qn", ascending
    count: int
    case_ids: tuple[int, ...]  # ascending
    releasable: bool
    explanation: str
    explanation_parts: Mapping[str, ExplanationValue] = field(
        default_factory=_empty_parts, hash=False
    )

    def __post_init__(self) -> None:
        # A private read-only copy: the candidate stays immutable even if the caller's dict changes.
        object.__setattr__(
            self, "explanation_parts", MappingProxyType(dict(self.explanation_parts))
        )

    @property
    def key(self) -> str:
        """Stable identity for remembering a dismissal: ``kind|group|category|periods``.

        A concentration's window moves every quarter, so a dismissal holds for that window only.
        Recurrence has neither group nor category, so its case ids are appended: two people
        with cases in the same quarters must not share a key.
        """
        key = "|".join(
            (self.kind, self.group_key or "", self.category or "", ",".join(self.periods))
        )
        if self.kind == RECURRENCE:
            key += "|" + ",".join(str(case_id) for case_id in self.case_ids)
        return key


# --- quarter arithmetic (private; a quarter is the integer year * 4 + quarter - 1) ---------


def _quarter_index(day: date) -> int:
    return day.year * 4 + (day.month - 1) // 3


def _quarter_label(index: int) -> str:
    return f"{index // 4}-Q{index % 4 + 1}"


def _quarter_first_month(index: int) -> int:
    return (index % 4) * 3 + 1


# --- detection ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Quarters:
    """The quarters a detection looks at (as quarter indexes)."""

    end: int  # the last complete quarter (or the current one, if asked)
    window_start: int  # the first quarter of a concentration's window

    @property
    def previous(self) -> int:  # the quarter a rise compares with
        return self.end - 1

    @property
    def earliest(self) -> int:
        return min(self.window_start, self.previous)

    def window(self) -> tuple[str, ...]:
        return tuple(_quarter_label(q) for q in range(self.window_start, self.end + 1))


Cell = tuple[str, str]  # (group key, category code)


@dataclass
class _Tally:
    """One pass over the cases: the case ids per cell in the window and in the end quarter,
    the count per cell in the previous quarter, and the cases per person index."""

    window_ids: defaultdict[Cell, list[int]] = field(default_factory=lambda: defaultdict(list))
    end_ids: defaultdict[Cell, list[int]] = field(default_factory=lambda: defaultdict(list))
    previous_counts: defaultdict[Cell, int] = field(default_factory=lambda: defaultdict(int))
    by_person: defaultdict[str, list[CaseFacts]] = field(
        default_factory=lambda: defaultdict(list))

    def add(self, case: CaseFacts, group: str, quarter: int, quarters: _Quarters) -> None:
        for category in dict.fromkeys(case.categories):  # a repeated category counts once
            cell = (group, category)
            if quarter >= quarters.window_start:
                self.window_ids[cell].append(case.case_id)
            if quarter == quarters.end:
                self.end_ids[cell].append(case.case_id)
            elif quarter == quarters.previous:
                self.previous_counts[cell] += 1


def _tally(cases: Sequence[CaseFacts], group_of: Mapping[int, str], quarters: _Quarters
           ) -> _Tally:
    tally = _Tally()
    for case in cases:
        if case.involved_person_index:
            tally.by_person[case.involved_person_index].append(case)
        group = group_of.get(case.department_id)
        if group is None:
            continue
        quarter = _quarter_index(case.opened_on)
        if quarters.earliest <= quarter <= quarters.end:
            tally.add(case, group, quarter, quarters)
    return tally


def detect_signals(
    cases: Sequence[CaseFacts],
    group_of: Mapping[int, str],
    group_labels: Mapping[str, str],
    *,
    k: int = 3,
    today: date,
    window_quarters: int = 4,
    threshold: int | None = None,
    include_current_quarter: bool = False,
    rise_factor: float | Fraction = 2,
    rise_min_increase: int = 2,
    recurrence_min_cases: int = 2,
) -> list[SignalCandidate]:
    """Return the candidate signals in ``cases``, most relevant (highest count) first.

    ``group_of`` maps department id -> group key; ``group_labels`` maps group key -> label
    (the key itself is used when a label is missing). See the module docstring for the rules.
    Raises ``ValueError`` for a setting outside its safe bounds.
    """
    _check_settings(k, window_quarters, recurrence_min_cases)
    rise = rise_rule(k, rise_factor, rise_min_increase)
    minimum = max(k, threshold if threshold is not None else k)
    end = _quarter_index(today) - (0 if include_current_quarter else 1)
    quarters = _Quarters(end=end, window_start=end - window_quarters + 1)
    tally = _tally(cases, group_of, quarters)

    window = quarters.window()
    candidates: list[SignalCandidate] = [
        _concentration(group, group_labels.get(group, group), category, window, ids,
                       quarters.window_start)
        for (group, category), ids in tally.window_ids.items() if len(ids) >= minimum]
    for (group, category), ids in tally.end_ids.items():
        now, before = len(ids), tally.previous_counts.get((group, category), 0)
        if rise.fires(now, before):
            candidates.append(
                _rise(group, group_labels.get(group, group), category, ids, before, end))
    candidates.extend(_recurrence(person_cases) for person_cases in tally.by_person.values()
                      if len(person_cases) >= recurrence_min_cases)
    candidates.sort(key=lambda c: (-c.count, KINDS.index(c.kind), c.key))
    return candidates


def _check_settings(k: int, window_quarters: int, recurrence_min_cases: int) -> None:
    if not K_MIN <= k <= K_MAX:
        raise ValueError(f"k must be between {K_MIN} and {K_MAX}, got {k}")
    if window_quarters < 1:
        raise ValueError(f"window_quarters must be at least 1, got {window_quarters}")
    if recurrence_min_cases < 2:
        raise ValueError(f"recurrence_min_cases must be at least 2, got {recurrence_min_cases}")


def _concentration(
    group: str,
    label: str,
    category: str,
    window: tuple[str, ...],
    ids: list[int],
    window_start: int,
) -> SignalCandidate:
    count = len(ids)
    return SignalCandidate(
        kind=CONCENTRATION,
        group_key=group,
        group_label=label,
        category=category,
        periods=window,
        count=count,
        case_ids=tuple(sorted(ids)),
        releasable=True,
        explanation=f"{count} cases of {category} in {label} since {window[0]}",
        explanation_parts={
            "count": count,
            "category": category,
            "group": label,
            "since": window[0],
            "until": window[-1],
            "since_year": window_start // 4,
            "since_month": _quarter_first_month(window_start),
            "quarters": len(window),
        },
    )


def _rise(
    group: str, label: str, category: str, ids: list[int], before: int, end: int
) -> SignalCandidate:
    count = len(ids)
    quarter, previous = _quarter_label(end), _quarter_label(end - 1)
    return SignalCandidate(
        kind=RISE,
        group_key=group,
        group_label=label,
        category=category,
        periods=(previous, quarter),
        count=count,
        case_ids=tuple(sorted(ids)),
        releasable=True,
        explanation=(
            f"{count} cases of {category} in {label} in {quarter}, up from {before} in {previous}"
        ),
        explanation_parts={
            "count": count,
            "previous_count": before,
            "category": category,
            "group": label,
            "quarter": quarter,
            "previous_quarter": previous,
            "year": end // 4,
            "month": _quarter_first_month(end),
        },
    )


def _recurrence(person_cases: list[CaseFacts]) -> SignalCandidate:
    count = len(person_cases)
    quarters = sorted({_quarter_index(case.opened_on) for case in person_cases})
    periods = tuple(_quarter_label(q) for q in quarters)
    return SignalCandidate(
        kind=RECURRENCE,
        group_key=None,
        group_label=None,
        category=None,
        periods=periods,
        count=count,
        case_ids=tuple(sorted(case.case_id for case in person_cases)),
        releasable=False,
        explanation=f"{count} cases name the same person since {periods[0]}",
        explanation_parts={
            "count": count,
            "since": periods[0],
            "until": periods[-1],
            "since_year": quarters[0] // 4,
            "since_month": _quarter_first_month(quarters[0]),
        },
    )
