"""The two questions the auditor asks of a unit in one component - can it be 0, can it reach
k-1? - and the explanation of a disclosed unit (LP first, MILP only where the LP does not
decide)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from vp_registry.core.disclosure import highs as _highs
from vp_registry.core.disclosure.cells import (
    _FloatArray,
    _IntArray,
)
from vp_registry.core.disclosure.solver import (
    _EPS,
    _LP_MARGIN,
    _LPSolution,
    _Solver,
)


class _Component(_Solver):
    """A component with the auditor's questions (see :class:`_Solver` for what it holds)."""

    def can_zero(self, idx: _IntArray, objective: _FloatArray) -> tuple[bool, _IntArray | None]:
        """Can the unit be 0? Also returns the integer table that shows it (if any)."""
        status, x, _ = self.lp(objective, zero=idx)
        if status != 0:
            return False, None
        witness = self._integral(x)
        if witness is None:
            mstatus, witness = self.milp(objective, zero=idx)
            if mstatus != 0:
                return False, None
        if witness is not None and not self.add_witness(witness):
            witness = None  # a MILP solution that does not check out is not pooled
        return True, witness

    def can_reach(
        self, idx: _IntArray, k: int, objective: _FloatArray
    ) -> tuple[bool, _IntArray | None]:
        """Can the unit reach k? Also returns the integer table that shows it (if any)."""
        if bool(self.atom_unbounded[idx].any()):
            return True, None
        status, x, _ = self.lp(objective, at_least=(idx, k))
        if status != 0:
            return False, None
        witness = self._integral(x)
        if witness is None:
            mstatus, witness = self.milp(objective, at_least=(idx, k))
            if mstatus != 0:
                return False, None
        if witness is not None and not self.add_witness(witness):
            witness = None
        return True, witness

    def decide(
        self, idx: _IntArray, k: int, objective: _FloatArray, *,
        zero_known: bool = False, reach_known: bool = False,
    ) -> tuple[bool, list[_IntArray], dict[float, _LPSolution]]:
        """Is the unit disclosed? Safe when its values include all of 0..k-1 or are all >= k.

        Returns the verdict, the integer tables found on the way and the LPs solved (keyed 1.0
        for the minimum, -1.0 for the maximum, for :meth:`explain`). The LP minimum settles
        "min >= k" when it is above k-1; otherwise the unit must be able to be 0 (integral LP
        vertex, LP with the unit fixed, MILP) and then to reach k-1 (LP maximum, LP with the
        bound, MILP). A question the solver cannot answer counts as disclosed.
        ``zero_known``/``reach_known``: a consistent table already showed it (the question is
        skipped; :meth:`explain` solves a skipped LP itself, the same LP). With HiGHS called
        directly (:mod:`.highs`) the minimum and maximum are merged LPs without duals and are
        not returned: :meth:`explain` solves the unmerged ones for a disclosed unit, so the
        explanation is the plain path's.
        """
        unit = np.zeros(self.n)
        unit[idx] = 1.0
        solved: dict[float, _LPSolution] = {}
        found: list[_IntArray] = []
        if not zero_known:
            verdict = self._decide_zero(idx, k, objective, unit, solved, found)
            if verdict is not None:
                return verdict, found, solved
        if reach_known or bool(self.atom_unbounded[idx].any()):
            return False, found, solved
        return self._decide_reach(idx, k, objective, unit, solved, found), found, solved

    def _keep(self, witness: _IntArray | None, found: list[_IntArray]) -> None:
        if witness is not None and self.add_witness(witness):
            found.append(witness)

    def _decide_zero(
        self, idx: _IntArray, k: int, objective: _FloatArray, unit: _FloatArray,
        solved: dict[float, _LPSolution], found: list[_IntArray],
    ) -> bool | None:
        """The verdict when the minimum decides it (all >= k, or never 0); None: can be 0."""
        status, x, _ = found_lp = self.lp(unit, merge=_highs.DIRECT)
        if not _highs.DIRECT:
            solved[1.0] = found_lp  # the unmerged LP, whose duals explain() would solve
        if status != 0 or x is None:
            return True
        low = float(x[idx].sum())
        if low > k - 1 + _LP_MARGIN:
            return False  # every consistent table gives it k or more
        if low <= _LP_MARGIN:
            witness = self._integral(x)
            if witness is not None and int(witness[idx].sum()) == 0:
                self._keep(witness, found)
                return None
            zero, witness = self.can_zero(idx, objective)
            if witness is not None:
                found.append(witness)
            if zero:
                return None
        # the integer minimum decides: k or more is safe, 1..k-1 is disclosed
        mstatus, witness = self.milp(unit)
        if mstatus != 0 or witness is None:
            return True
        self._keep(witness, found)
        return int(witness[idx].sum()) < k

    def _decide_reach(
        self, idx: _IntArray, k: int, objective: _FloatArray, unit: _FloatArray,
        solved: dict[float, _LPSolution], found: list[_IntArray],
    ) -> bool:
        """The verdict for a unit that can be 0: disclosed unless it can reach k-1."""
        status, x, _ = found_lp = self.lp(-unit, merge=_highs.DIRECT)
        if not _highs.DIRECT:
            solved[-1.0] = found_lp
        if status == 0 and x is not None:
            if float(x[idx].sum()) < k - 1 - _LP_MARGIN:
                return True
            witness = self._integral(x)
            if witness is not None and int(witness[idx].sum()) >= k - 1:
                self._keep(witness, found)
                return False
        reach, witness = self.can_reach(idx, k - 1, objective)
        if witness is not None:
            found.append(witness)
        return not reach

    def explain(
        self, idx: _IntArray, solved: Mapping[float, _LPSolution] | None = None
    ) -> tuple[int, int | None, set[int]]:
        """For a disclosed unit: its exact integer (min, max) and the binding constraint rows.

        The LP optimum gives both the bound (when its vertex is integral, as it usually is) and
        the duals that name the figures holding the unit away from 0 and from k; MILP is used
        only for a fractional vertex. ``solved`` holds LPs :meth:`decide` already solved
        (keyed 1.0 for the minimum, -1.0 for the maximum).
        """
        c = np.zeros(self.n)
        c[idx] = 1.0
        rows: set[int] = set()
        bounds: list[int | None] = []
        for sign in (1.0, -1.0):
            objective = sign * c
            earlier = solved.get(sign) if solved is not None else None
            status, x, duals = (
                earlier if earlier is not None else self.lp(objective, merge=False)
            )
            if status == 0:
                rows |= {int(r) for r in np.flatnonzero(duals > _EPS)}
                witness = self._integral(x)
                if witness is None:
                    mstatus, witness = self.milp(objective)
                    if mstatus != 0:
                        witness = None
                bounds.append(int(witness[idx].sum()) if witness is not None else None)
            else:
                bounds.append(None)
        return bounds[0] or 0, bounds[1], rows
