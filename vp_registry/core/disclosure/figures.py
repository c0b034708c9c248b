"""What is published and what the auditor answers: the rules (k, bands), figures (a sum of atoms
in an interval), published rules as constraints, and audit results."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise
from typing import Final, Literal

from vp_registry.core.disclosure.cells import (
    CellKey,
    parse_quarter,
)

K_MIN: Final = 3


K_MAX: Final = 10


ProblemKind = Literal[
    "disclosure", "changed_figure", "incorrect_figure", "inconsistent",
    "simulated",  # refused for another value the release could have had (services/signals)
    "unheld",  # a review slot whose silence would disclose: no candidate offered (silences)
    "unheld_rise",  # a rise slot whose absence would disclose: no rise offered (silences)
]


@dataclass(frozen=True)
class DisclosureRules:
    """The configurable thresholds, validated so that an unsafe setting cannot be built."""

    k: int = 3
    min_department_size: int = 10
    min_organisation_size: int = 50
    band_edges: tuple[int, ...] = (3, 5, 10)
    # The registry's first quarter ("YYYY-Qn", public: REGISTRY_START), or None when not
    # known. Department atoms before it hold no cases, and the auditor knows it (issue 12).
    first_quarter: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.k, bool) or not isinstance(self.k, int) or not K_MIN <= self.k <= K_MAX:
            raise ValueError(
                f"The disclosure threshold k must be a whole number from {K_MIN} to {K_MAX}; "
                f"got {self.k!r}. Below {K_MIN} single cases become recognisable."
            )
        if self.min_department_size < 1 or self.min_organisation_size < 1:
            raise ValueError("The minimum department and organisation sizes must be positive.")
        edges = tuple(self.band_edges)
        if not edges or edges[0] != self.k:
            raise ValueError(
                f"The signal bands must start at k={self.k} (got band edges {edges!r}), so that "
                "no band can contain a count below k."
            )
        if any(b <= a for a, b in pairwise(edges)):
            raise ValueError(f"The band edges must be strictly increasing; got {edges!r}.")
        object.__setattr__(self, "band_edges", edges)
        if self.first_quarter is not None:
            parse_quarter(self.first_quarter)  # ValueError: not a calendar quarter

    def band_interval(self, count: int) -> tuple[int, int | None]:
        """The band [low, high] (high None = open) holding ``count``; below k it is [0, k-1]."""
        if count < 0:
            raise ValueError(f"a count cannot be negative: {count}")
        if count < self.k:
            return 0, self.k - 1
        edges = self.band_edges
        for low, nxt in pairwise(edges):
            if count < nxt:
                return low, nxt - 1
        return edges[-1], None

    def band_label(self, count: int) -> str:
        """What a band shows: "3-4", "5-9", "10+", or "< 3" below k."""
        return _interval_text(*self.band_interval(count))


DEFAULT_RULES: Final = DisclosureRules()


def _interval_text(low: int, high: int | None) -> str:
    if high is None:
        return f"{low}+"
    if low == high:
        return str(low)
    if low == 0:
        return f"< {high + 1}"
    return f"{low}-{high}"


@dataclass(frozen=True)
class Figure:
    """One released quantity: the sum of ``cells`` lies in ``[low, high]``.

    ``organisation_wide`` marks an organisation-wide total per category over whole years, which
    docs/design.md section 4 allows to be exact; every other figure is department-level and its
    cell set is protected like any cell. The ledger must persist all five fields.
    """

    cells: frozenset[CellKey]
    low: int
    high: int | None
    label: str
    organisation_wide: bool = False

    @cached_property
    def unit_sets(self) -> tuple[frozenset[int], tuple[frozenset[int], ...],
                                 tuple[frozenset[str], ...], tuple[frozenset[str], ...], bool]:
        """Its department set, the department / category / quarter sets it adds to the
        auditor's unit families (``units.unit_families``: its own and each single one; none
        for an organisation-wide total) and whether its cells are a D x C x P product -
        computed once per figure object (the same ledger figures come back in every audit of
        a review; kept on the object, so nothing is shared between organisations)."""
        depts = frozenset(d for d, _, _ in self.cells)
        if self.organisation_wide:
            return depts, (), (), (), True
        cats = frozenset(c for _, c, _ in self.cells)
        quarters = frozenset(q for _, _, q in self.cells)
        return (depts, (depts, *(frozenset({d}) for d in depts)),
                (cats, *(frozenset({c}) for c in cats)),
                (quarters, *(frozenset({q}) for q in quarters)),
                len(self.cells) == len(depts) * len(cats) * len(quarters))

    @cached_property
    def categories(self) -> frozenset[str]:
        """The categories of its cells (computed once per figure object)."""
        return frozenset(c for _, c, _ in self.cells)

    def __post_init__(self) -> None:
        if not self.cells:
            raise ValueError(f"figure {self.label!r} has no cells")
        if self.low < 0 or (self.high is not None and self.high < self.low):
            raise ValueError(f"figure {self.label!r} has an invalid interval")
        if not isinstance(self.cells, frozenset):
            object.__setattr__(self, "cells", frozenset(self.cells))

    @classmethod
    def exact(
        cls,
        cells: Iterable[CellKey],
        value: int,
        label: str,
        *,
        organisation_wide: bool = False,
    ) -> Figure:
        return cls(frozenset(cells), value, value, label, organisation_wide)

    @classmethod
    def band(
        cls, cells: Iterable[CellKey], count: int, rules: DisclosureRules, label: str
    ) -> Figure:
        """The band holding ``count``; below k this is the protected mark ``< k``."""
        low, high = rules.band_interval(count)
        return cls(frozenset(cells), low, high, label)

    @classmethod
    def protected(cls, cells: Iterable[CellKey], rules: DisclosureRules, label: str) -> Figure:
        """``< k``: 0 to k-1 cases; zero looks exactly like 1 to k-1."""
        return cls(frozenset(cells), 0, rules.k - 1, label)

    @classmethod
    def at_least_k(cls, cells: Iterable[CellKey], rules: DisclosureRules, label: str) -> Figure:
        """``k+``: a complementary suppression of a figure that is not small."""
        return cls(frozenset(cells), rules.k, None, label)

    @property
    def interval(self) -> tuple[int, int | None]:
        return self.low, self.high

    @property
    def is_exact(self) -> bool:
        return self.low == self.high

    def is_protected(self, k: int) -> bool:
        """A ``< k`` mark (or narrower, from 0): it promises nothing more than "below k"."""
        return self.low == 0 and self.high is not None and 0 < self.high < k

    def contains(self, value: int) -> bool:
        return self.low <= value and (self.high is None or value <= self.high)

    @property
    def display(self) -> str:
        """What the reader sees: "7", "3-4", "10+", "3+" or "< 3" (never a small exact count)."""
        return _interval_text(self.low, self.high)


@dataclass(frozen=True)
class RuleConstraint:
    """A published rule a reader applies to released figures: ``sum(coefficient x sum of
    cells) >= low`` over the terms (issue 12: the auditor must know every rule a reader knows).

    A rise signal releases its last quarter ``now`` and the quarter ``before``. Until session 8
    it meant ``now >= 2 x before`` and ``now - before >= 2`` (:meth:`rise` gives both; ledgers
    keep them); since then one inequality, :meth:`linear_rise`, whose absence
    (:meth:`no_rise`) a review records too. The ledger keeps them next to the figures
    (``disclosure_constraints``).
    """

    terms: tuple[tuple[frozenset[CellKey], int], ...]
    low: int
    label: str

    def __post_init__(self) -> None:
        if not self.terms or any(not cells or coefficient == 0
                                 for cells, coefficient in self.terms):
            raise ValueError(f"rule {self.label!r} needs non-empty terms with coefficients")
        object.__setattr__(self, "terms", tuple(
            sorted(((frozenset(c), int(w)) for c, w in self.terms),
                   key=lambda t: (sorted(t[0]), t[1]))))

    @classmethod
    def rise(cls, now: Figure, before: Figure, *, factor: int = 2,
             increase: int = 2) -> tuple[RuleConstraint, RuleConstraint]:
        """``now >= factor x before`` and ``now - before >= increase`` (core/signals' rule)."""
        label = f"rise: {now.label} against {before.label}"
        return (cls(((now.cells, 1), (before.cells, -factor)), 0, label),
                cls(((now.cells, 1), (before.cells, -1)), increase, label))

    @classmethod
    def linear_rise(cls, now: frozenset[CellKey], before: frozenset[CellKey], *, per_now: int,
                    per_before: int, low: int, label: str) -> RuleConstraint:
        """The rise rule since session 8 (``core.signals.RiseRule``, one inequality):
        ``per_now x now - per_before x before >= low``."""
        return cls(((now, per_now), (before, -per_before)), low, f"rise: {label}")

    @classmethod
    def no_rise(cls, now: frozenset[CellKey], before: frozenset[CellKey], *, per_now: int,
                per_before: int, low: int, label: str) -> RuleConstraint:
        """Its absence, one linear fact over integers: ``per_before x before - per_now x now
        >= 1 - low`` (a review without that rise, issue 12)."""
        return cls(((now, -per_now), (before, per_before)), 1 - low, f"no rise: {label}")

    def same_rule(self, other: RuleConstraint) -> bool:
        """The same inequality (labels aside)."""
        return self.terms == other.terms and self.low == other.low

    @cached_property
    def categories(self) -> frozenset[str]:
        """The categories of its cells (computed once per rule object)."""
        return frozenset(c for cells, _ in self.terms for _, c, _ in cells)

    @cached_property
    def atoms(self) -> frozenset[CellKey]:
        """Every cell of its terms."""
        return frozenset(a for cells, _ in self.terms for a in cells)

    def coefficients(self) -> dict[CellKey, int]:
        out: dict[CellKey, int] = {}
        for cells, coefficient in self.terms:
            for cell in cells:
                out[cell] = out.get(cell, 0) + coefficient
        return {cell: w for cell, w in out.items() if w}

    def holds(self, counts: Mapping[CellKey, int]) -> bool:
        return sum(w * counts.get(c, 0) for c, w in self.coefficients().items()) >= self.low


@dataclass(frozen=True)
class DisclosureProblem:
    """Why a release is refused, with a plain-language ``explanation`` for the counsellor.

    ``low``/``high`` is the interval a reader could derive (for ``disclosure``); ``figures``
    are the published figures that together give it away (for choosing what to suppress).
    """

    kind: ProblemKind
    cells: frozenset[CellKey]
    label: str
    explanation: str
    low: int | None = None
    high: int | None = None
    figures: tuple[Figure, ...] = ()


@dataclass(frozen=True)
class AuditResult:
    ok: bool
    problems: list[DisclosureProblem]
    units_checked: int = 0

    @property
    def explanation(self) -> str:
        """All problems as one text; empty when the release is safe."""
        return "\n".join(p.explanation for p in self.problems)
