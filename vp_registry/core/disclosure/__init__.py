"""Disclosure control: every figure that leaves the system goes through here (docs/design.md
I-3, section 4).

Small numbers identify people. This package decides how a table of case counts may be shown,
and an auditor proves, before anything is released, that no reader can work out that a small
cell holds between 1 and k-1 cases - not from the release, not from its totals, and not by
combining it with anything released before (the *ledger*). It is Flask-free and
database-free: the service layer persists the ledger and passes it in as a sequence of
:class:`Figure`.

Principle (issue 12, docs/design.md): **every decision to suppress, coarsen, withhold, refuse
or mark is computed only from what is already public** - earlier releases in the ledger, the
``< k`` pattern being published, public structure (departments, headcounts, periods) and the
rules - never from the true counts beyond what the release itself shows. This is
*simulatable auditing* (Kenthapadi, Mishra & Nissim, PODS 2005): a reader could have computed
every decision themselves, so a decision tells them nothing. The true counts serve the
auditor only as one consistent table among others (a witness).

Model
-----
* An **atom** (:data:`CellKey`) is ``(department_id, category, quarter)`` with the *raw*
  department id, so that figures published under different department groupings (a department
  split or merged between releases) are still comparable.
* A published :class:`Figure` is a claim "the sum of these atoms lies in ``[low, high]``":
  exact numbers (``low == high``), bands (``5-9``, ``10+``), protected marks (``< k`` =
  ``[0, k-1]``, so zero looks exactly like 1..k-1) and complementary suppressions (``k+``).
* A :class:`RuleConstraint` is a published rule a reader applies to released figures, with
  coefficients (a rise: ``now - 2 x before >= 0`` and ``now - before >= 2``); the ledger keeps
  them and :func:`audit` adds them to the constraint system (issue 12).
* A **department-level unit** (:class:`UnitFamilies`) is a product D x C x P where D is one
  department, a department set of some released figure (a merged group) or the difference of
  two nested such sets; C is one category, a category set of a figure or a nested difference
  ("all categories but bullying"); P likewise for quarters (so "the year minus Q1-Q3" = Q4 is
  a unit). Every such unit and every protected figure, whatever its true count, must keep
  consistent values that include all of 0..k-1 or are all at least k. Organisation-wide
  totals per category over whole years may be exact (docs/design.md section 4) and are
  flagged ``organisation_wide``; their department set (the whole organisation) is not a unit.

Auditing
--------
The outsider's knowledge is the set of non-negative integer atom tables that satisfy every
published interval. The verdict is a function of the published figures only (simulatable
auditing, issue 12; docs/design.md): EVERY published unit is checked, whatever its true value,
and it is safe when its consistent values include all of 0..k-1 (it can be 0 and can reach
k-1 - zero is protected like 1..k-1) or are all at least k. "Can" is shown by an atom no
finite figure bounds or by a *witness*: a non-negative integer table that satisfies every
figure (the true table is one of them, nothing more). The cheap witnesses are tried first,
for all units of a component at once with sparse
matrix products (units x atoms): the true table with the unit zeroed (one product gives, for
every unit and figure, how far the figure's sum drops), and a pool of tables known to satisfy
every figure - the true table, LP solutions found earlier, and the pools of the constraint sets
audited just before (typically the same ledger without the latest release), each carried over
atom by atom and checked against every figure before it joins. Then an LP (HiGHS, `highs.py`)
minimises all still-open units at once (its integral vertices certify many units in one go);
then, per unit, the LP minimum and maximum of the unit (a relaxation minimum above 0 or maximum
below k settles "cannot" for the integers too; for a disclosed unit the same LPs over the
unmerged atoms, through SciPy's ``linprog``, name the binding figures), and only where that is
not decisive an LP with the unit fixed and a MILP.
For the feasibility LPs and MILPs, atoms in exactly the same figures and with the same role in
the question are merged into one variable: exact, as a sum of non-negative integers takes every
non-negative integer value. The system is split into connected components (atoms linked by
figures) and results per component are cached (keyed by the component's constraints, never by
true counts; shared across threads - every cached witness is valid for those constraints, so a
race can only cost time), so the repeated audits during complementary suppression and signal
releases stay fast. A MILP that hits its time limit counts as "cannot": the auditor errs
towards refusing.

If the current counts no longer satisfy a ledger figure (a case added or erased in a reported
period), the shortcut "the truth is feasible" does not hold for that component: every unit
there is checked, and contradictory figures are refused as ``inconsistent``.

Suppression strategy (see :func:`protect_table`)
-----------------------------------------------
Department-level cells below k are shown as ``< k``; a cell set already in the ledger is
repeated with its earlier interval (or withheld if that is no longer true), never changed.
Complements are chosen column by column from public facts only (:func:`_protect_by_column`:
the exact column total, the number of groups, the ``< k`` pattern, the ledger), never by the
auditor's verdict on candidate values: "a complement appeared" or "the smallest cell was
hidden" would itself tell a reader about the hidden counts (issue 12). If the audit still
objects - typically because the ledger plus the protected marks alone pin a cell - the table
is not ``ok`` and the problems say why; nothing may be released. Tables with row totals or a
grand total are not offered: no release path needs them, and their complements could not be
chosen from the pattern alone without withholding most of the table.

Modules
-------
``cells`` (atoms, table positions, quarters), ``figures`` (rules, figures, published rules,
audit results), ``grouping`` (department groups, names), ``solver`` (one component's constraint
matrix, witness pool, LP/MILP), ``component`` (the two questions per unit, explanations),
``cache`` (components by constraint set), ``units`` (the units to check), ``checking`` (which
units of a component are disclosed), ``auditor`` (:func:`audit`), ``tables``
(:func:`protect_table` and the column rule).
"""

from __future__ import annotations

from vp_registry.core.disclosure.auditor import (
    audit,
)
from vp_registry.core.disclosure.cache import (
    clear_cache,
)
from vp_registry.core.disclosure.cells import (
    ORGANISATION,
    OTHER_DEPARTMENTS,
    TOTAL,
    CellKey,
    TableKey,
    cell_set,
    is_complete,
    parse_quarter,
    period_label,
    periods_of_year,
    quarter_end,
    quarter_of,
    trailing_quarters,
)
from vp_registry.core.disclosure.figures import (
    DEFAULT_RULES,
    K_MAX,
    K_MIN,
    AuditResult,
    DisclosureProblem,
    DisclosureRules,
    Figure,
    ProblemKind,
    RuleConstraint,
)
from vp_registry.core.disclosure.grouping import (
    DepartmentGroup,
    DepartmentGrouping,
    Naming,
    merge_departments,
)
from vp_registry.core.disclosure.tables import (
    ProtectedTable,
    protect_table,
)
from vp_registry.core.disclosure.units import (
    UnitFamilies,
    unit_families,
)

__all__ = [
    "DEFAULT_RULES",
    "K_MAX",
    "K_MIN",
    "ORGANISATION",
    "OTHER_DEPARTMENTS",
    "TOTAL",
    "AuditResult",
    "CellKey",
    "DepartmentGroup",
    "DepartmentGrouping",
    "DisclosureProblem",
    "DisclosureRules",
    "Figure",
    "Naming",
    "ProblemKind",
    "ProtectedTable",
    "RuleConstraint",
    "TableKey",
    "UnitFamilies",
    "audit",
    "cell_set",
    "clear_cache",
    "is_complete",
    "merge_departments",
    "parse_quarter",
    "period_label",
    "periods_of_year",
    "protect_table",
    "quarter_end",
    "quarter_of",
    "trailing_quarters",
    "unit_families",
]
