"""The annual report (jaarverslag, issue 5): drafts, finalisation through the ledger, versions.

* **Draft.** The counsellor's texts (introduction, recommendations) are stored encrypted in the
  year's draft row (``db/reports.py``; data key wrapped by the vault key). The figures are never
  stored for a draft: every preview builds the report afresh from the decrypted cases of the
  year (``cases.case_facts(year=...)``), the departments (inactive ones included), every
  category (retired ones too: which rows the report has must not depend on the data, or a
  retired category's row would show that somebody reported it), the activities, the signals
  released in the year with management's follow-up, the frozen aggregates of earlier
  finalised reports and the ledger, through :func:`vp_registry.core.report.build_report`.
* **Finalise** (once the year is over): build the report once more, hand its figures and their
  true counts to :func:`vp_registry.services.signals.ledger.release` (the auditor checks them
  against every earlier release and refuses when a small count could be worked out), then freeze the
  report (``AnnualReport.to_json``: published figures and texts only) and its organisation-wide
  aggregates (for later years' trends) in the row. A final row never changes. From then on the
  year's closed cases can become due for retention (``services/infrastructure/retention.py``).
* **Correction**: a new draft version of the same year, starting from the last version's
  texts. It corrects the texts only: every figure and table is repeated exactly as the latest
  final version published it, whatever changed in the cases since (issue 12: whether a figure
  changed is itself a small count), in that version's language; the report says so.
  Finalising it goes through the same ledger, with no new figure.
* **Managers** read final versions only, from their frozen JSON (no vault key, no case).

A refusal's explanation can describe small numbers: it is for the counsellor's screen only,
never for a log, a manager or an audit entry (docs/design.md I-8).

Modules: ``archive`` (stored versions, reading), ``drafts`` (the texts, corrections),
``finalising`` (building, preview, finalisation through the ledger, downloads), ``refusals``
(the errors) and ``activities``. A use case takes the unit of work
(:class:`~vp_registry.services.work.Work`) first, flushes and never commits - a conflict is a
savepoint (``Work.conflicts``) that leaves the caller's transaction as it was; pure reads take a
session.
"""
