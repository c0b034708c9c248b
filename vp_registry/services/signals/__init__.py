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
  the true counts to :func:`vp_registry.services.signals.ledger.release`: the auditor checks them
  against the whole ledger and refuses when a protected cell could be narrowed. Only then is a
  :class:`~vp_registry.db.signals.ReleasedSignal` stored - with the band, never the count.
  Recurrence candidates are never releasable.
* **Management** reads released signals, acknowledges them and records follow-up. Nothing
  here gives a manager anything derived from cases except what passed the ledger.

Modules: ``reviewing`` (the basis, candidates, review, dismissal), ``publishing`` (what a
release publishes, the auditor's decision, release), ``management`` (management's side),
``refusals`` (the errors) and ``ledger`` (the only writer of released figures). A use case takes
the unit of work (:class:`~vp_registry.services.work.Work`) first, flushes and never commits;
pure reads take a session.
"""
