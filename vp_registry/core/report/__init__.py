"""The annual report (jaarverslag): figures for one year, already through disclosure control.

Flask-free and database-free (docs/design.md section 6). The services decrypt the cases into
:class:`~vp_registry.core.facts.CaseFacts` and call :func:`build_report`; the result is an
:class:`AnnualReport` of frozen dataclasses that the renderers (``vp_registry.render``) print as
HTML, PDF, DOCX, CSV and XLSX without computing anything. Every figure in it is a display
string that already passed disclosure control, so all formats show the same text, and a
suppressed cell carries only its mark (``value=None``): its true count is nowhere in the
object. ``report.figures`` lists what the report releases (for the disclosure ledger),
``report.aggregates`` the organisation-wide figures to freeze at finalisation, and
:func:`report_true_counts` the true counts of those figures' cells, which the service passes
to the auditor when it appends ``report.figures`` to the ledger (never to a reader).

Which cases count where (all dates inclusive, ``Y`` is the report year)
---------------------------------------------------------------------
* *opened in Y*: ``opened_on`` in Y; *closed in Y*: ``closed_on`` in Y; *carried over*
  from Y-1: opened before Y and not closed before Y; *open on 31 December*: opened by then and
  not closed by then. Conversations: contacts whose ``held_on`` is in Y, of any case.
* Categories, departments, relation, gender and employment type describe the cases
  **opened in Y** (the same population as the signals and the ledger's atoms, whose quarter is
  that of ``opened_on``). Outcome and referral describe the cases **closed in Y**; the
  referral table breaks down the outcome "referral" and counts only those cases. Channels count
  the conversations held in Y.
* A case with several categories counts once in each; the report says so in a note, and the
  category table ends with the number of cases rather than a sum.

Hours (decision)
----------------
``ContactFacts.minutes`` is the length of a conversation; ``CaseFacts.minutes_spent`` is the
*other* time recorded on the case (preparation, administration, consultation), which the case
form must describe as time *besides* the conversations. ``minutes_spent`` has no date, so it
counts in the year the case is closed: a case's time then lands in exactly one report, and in
a report whose figures no longer change. Section 2 shows conversations, other case work and
activities separately and their total, in hours with one decimal (rounded half up, the total
from the unrounded minutes).

Disclosure control (decisions, docs/design.md section 4)
------------------------------------------------
* **Department x category table** (cases opened in Y, groups from ``merge_departments``):
  built and audited against the ledger by ``disclosure.protect_table``; its bottom row holds
  the organisation-wide totals per category and year, which are exact. No row totals and no
  grand total: a department's sum over categories counts case-category pairs, not cases (so it
  would mislead), and every extra total forces more complementary suppression (on the 10,000
  case benchmark 10 hidden cells instead of 2) and doubles the auditor's work. When the
  organisation is too small for a breakdown, a sentence replaces the table. The column rule
  decides from public facts only; if the auditor still objects, the report is refused (never
  silently reduced to organisation totals: that choice would depend on hidden counts).
* **Organisation-wide figures shown exactly**: the key figures (carried over, opened, closed,
  open at year end, conversations, hours) and the totals per category - the "organisation-
  wide totals per year" that docs/design.md section 4 allows to be exact - with two exceptions
  (issue 12, simulatable: decided by the ``< k`` pattern only). A category total below k is
  ``< k`` (``disclosure.protect_table``). Next to such a hidden category total the number of
  cases *opened* is withheld (``x``): a case has one category or more, so the opened count
  bounds the sum of the category totals and, with the visible ones, gives the hidden ones
  away (an opened count of 0 pins every department to 0). So is everything that gives it
  away: *open at year end* (= carried over + opened - closed), *closed* (closed - carried
  over <= opened) with the outcome and referral tables (their lines add up to it), the
  shares of the category table, the relation, gender and employment tables (their lines add
  up to it), and the trend's "new cases" (the frozen aggregates hold ``None``).
* *Carried over from Y-1* counts cases opened before Y: an exact organisation total over
  earlier periods whose department figures (signals, last year's table) may be ``< k``. It
  is shown only when it is public already: the final report of Y-1 published *open at year
  end* (the same cases), or the public ``REGISTRY_START`` lies in Y (none; a case opened
  before it refuses the report). Otherwise it is withheld, and with it *open at year end*
  and *closed* (closed - opened <= carried over). Decided from earlier reports and settings.
* **Corrections** (version 2 on) repeat every figure and table of the version they correct,
  whatever changed in the cases since, and release nothing new; only the texts change, and
  the introduction says so (``correction``). Whether a figure could be repeated, or had to
  be marked, withheld or refused, would tell a reader comparing versions that 1..k-1 cases
  were registered late or moved.
* **Organisation-level breakdowns are protected like department cells** (conservative: a
  count of 1 or 2 "managers as the person involved" in a small organisation points at a
  person). Relation, outcome, referral, channel, gender and employment type tables are
  partitions of a published exact total (each ends with a "not recorded" row where the field is
  optional). A line below k is shown as ``< k``. Because the total is public, the hidden lines
  add up to a number anybody can work out; so whenever a line is below k, the bottom two
  lines ("not recorded" and the one above it) are withheld (``x``) whatever their values -
  chosen by position, never by value (issue 12: the old rule added ``k+`` lines until the
  hidden ones were no longer pinned, which told a reader about them).
  :func:`partition_is_safe` checks, on what the table shows only, that every hidden line and
  every sum of hidden lines can still take all of 0..min(k-1, total) or lies at or above k;
  otherwise the table is left out with a sentence.
* **Gender and employment type** are optional (``include_gender``/``include_employment``) and
  are shown only when, after that protection, at least one recorded value (not "not recorded")
  is still exact; otherwise a sentence says they are too small to publish.
* **Referral** is shown only when the outcome "referral" is exact: it is that line's
  breakdown, and under a hidden line it would give the hidden value away.
* Charts are drawn only from tables without any hidden cell (categories, trends, activities).
* Earlier years in the trends (at most :data:`MAX_EARLIER_YEARS`, the latest) come from their
  frozen aggregates, never from cases (erased
  cases are never recomputed); they were released with their own report and are not released
  again. Released signals are shown with the band they were released with.

The ledger
----------
Department x category figures use the real atoms ``(department_id, category, "YYYY-Qn")``.
Organisation-level figures that are not counts per category (key figures, hours in minutes,
and every line of the breakdowns above) use atoms of the pseudo-department
:data:`ORGANISATION_LEVEL` (``-1``, never a database id) with the "category" ``"<dimension>:
<value>"`` (e.g. ``"relation:manager"``; category codes cannot contain ``:``), over the four
quarters of the year, and are flagged ``organisation_wide``. They share no atom with a
department table, so the auditor keeps them apart; their protection is the partition rule
above. A figure of this report already in the ledger with another interval makes
:func:`build_report` raise :class:`ReportRefused` (a released figure is never changed; a
correction never gets there, it releases no figure).

Where (issue 13: one step per function): :mod:`.model` (inputs and the finished report),
:mod:`.words` (the vocabulary, through the app's Dutch catalogue), :mod:`.tally` (counting),
:mod:`.cells` (cells and the organisation-level release), :mod:`.partitions` (relation,
outcome, ...), :mod:`.departments` (section 5), :mod:`.sections` (trends, signals,
activities), :mod:`.building` (:func:`build_report`), :mod:`.correction`, :mod:`.storage`.
"""

from vp_registry.core.report.building import build_report
from vp_registry.core.report.model import (
    AGGREGATES_FORMAT,
    MAX_EARLIER_YEARS,
    NOT_RECORDED,
    ORGANISATION_LEVEL,
    REPORT_FORMAT,
    WITHHELD_MARK,
    ActivityFacts,
    AnnualReport,
    Block,
    CategoryTotal,
    ChartKind,
    FrozenAggregates,
    ReleasedSignalFacts,
    ReportCell,
    ReportRefused,
    ReportRow,
    ReportSection,
    ReportTable,
    ReportTexts,
)
from vp_registry.core.report.partitions import partition_is_safe, protect_partition
from vp_registry.core.report.tally import report_true_counts
from vp_registry.core.report.words import (
    LOCALES,
    NOT_AVAILABLE_MARK,
    format_date,
    format_hours,
    minutes_to_hours,
    text,
)

__all__ = [
    "AGGREGATES_FORMAT", "LOCALES", "MAX_EARLIER_YEARS", "NOT_AVAILABLE_MARK", "NOT_RECORDED",
    "ORGANISATION_LEVEL", "REPORT_FORMAT", "WITHHELD_MARK", "ActivityFacts", "AnnualReport",
    "Block", "CategoryTotal", "ChartKind", "FrozenAggregates", "ReleasedSignalFacts",
    "ReportCell", "ReportRefused", "ReportRow", "ReportSection", "ReportTable", "ReportTexts",
    "build_report", "format_date", "format_hours", "minutes_to_hours", "partition_is_safe",
    "protect_partition", "report_true_counts", "text",
]
