"""Read and append the disclosure ledger; the only writer of released figures.

Every release (signal, annual report, export) goes through ``release``: the auditor checks
the candidate figures against the whole ledger with the true counts, and only a release that
passes is appended. Nothing here updates or deletes a ledger row.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from vp_registry.config import Settings
from vp_registry.core.disclosure import (
    AuditResult,
    CellKey,
    DisclosureRules,
    Figure,
    Naming,
    RuleConstraint,
    audit,
)
from vp_registry.db.disclosure import DisclosureConstraint, DisclosureFigure, DisclosureRelease
from vp_registry.services.work import Work


def rules_from(settings: Settings) -> DisclosureRules:
    return DisclosureRules(
        k=settings.disclosure_k,
        min_department_size=settings.min_department_size,
        min_organisation_size=settings.min_organisation_size,
        band_edges=tuple(settings.band_edges),
        first_quarter=(None if (start := settings.registry_start_date) is None
                       else f"{start.year}-Q{(start.month - 1) // 3 + 1}"),
    )


def _encode_cells(cells: frozenset[CellKey]) -> str:
    return json.dumps(sorted([list(cell) for cell in cells]), separators=(",", ":"))


def _decode_cells(text: str) -> frozenset[CellKey]:
    return frozenset((int(d), str(c), str(q)) for d, c, q in json.loads(text))


def _encode_terms(rule: RuleConstraint) -> str:
    terms = sorted([w, sorted([list(cell) for cell in cells])] for cells, w in rule.terms)
    return json.dumps(terms, separators=(",", ":"))


def _decode_terms(text: str) -> tuple[tuple[frozenset[CellKey], int], ...]:
    return tuple((frozenset((int(d), str(c), str(q)) for d, c, q in cells), int(w))
                 for w, cells in json.loads(text))


def load_constraints(session: Session) -> list[RuleConstraint]:
    """The published rules released so far (a rise's inequalities), oldest first."""
    rows = session.execute(
        select(DisclosureConstraint).order_by(DisclosureConstraint.id)).scalars()
    return [RuleConstraint(_decode_terms(row.terms), row.low, row.label) for row in rows]


REVIEW_KIND: Final = "review"
"""The kind of a signal review's answers (issue 12, ``reviewing.record_reviews``): public
facts the ledger keeps like releases, though nobody released them."""


def load_ledger(session: Session, *, reviews: bool = True) -> list[Figure]:
    """Every figure of the ledger, oldest first; ``reviews=False``: only released ones
    (without the reviews' answers)."""
    query = select(DisclosureFigure).order_by(DisclosureFigure.id)
    if not reviews:
        query = query.join(DisclosureRelease,
                           DisclosureRelease.id == DisclosureFigure.release_id).where(
            DisclosureRelease.kind != REVIEW_KIND)
    return [Figure(_decode_cells(row.cells), row.low, row.high, row.label,
                   row.organisation_wide) for row in session.execute(query).scalars()]


def check(
    work: Work, candidate: Sequence[Figure],
    true_counts: Mapping[CellKey, int], *, naming: Naming | None = None,
    constraints: Sequence[RuleConstraint] = (),
) -> AuditResult:
    """Would releasing ``candidate`` (with the rules it publishes, ``constraints``) be safe,
    given everything released before - figures and rules?

    ``naming`` names departments, groups and categories in the explanation of a refusal.
    """
    session = work.session
    return audit(candidate, load_ledger(session), true_counts, rules_from(work.settings),
                 naming=naming, constraints=[*load_constraints(session), *constraints])


class ReleaseRefused(Exception):
    def __init__(self, result: AuditResult) -> None:
        super().__init__(result.explanation)
        self.result = result


@dataclass(frozen=True)
class Approval:
    """Figures the auditor passed, ready to append (see :func:`approve`)."""

    kind: str
    reference: str
    subject: str
    figures: tuple[Figure, ...]
    constraints: tuple[RuleConstraint, ...]


def approve(
    work: Work, *, kind: str, reference: str,
    figures: Sequence[Figure], true_counts: Mapping[CellKey, int],
    naming: Naming | None = None, audit_subject: str | None = None,
    constraints: Sequence[RuleConstraint] = (),
) -> Approval:
    """The auditor's decision; writes nothing but a refusal's audit entry. Raises
    ReleaseRefused (with a plain explanation) when unsafe.

    The audit entries name ``audit_subject`` (default: ``reference``) and hold no count: the
    admin reads them, and the number of problems or figures follows from the cases (a rise
    releases two figures, a concentration one). A caller whose reference says more than an
    admin may read - a signal's kind, category and quarter - passes an opaque subject.
    """
    subject = reference if audit_subject is None else audit_subject
    result = check(work, figures, true_counts, naming=naming, constraints=constraints)
    if not result.ok:
        work.audit("disclosure.refused", target_type=kind, target_id=subject)
        raise ReleaseRefused(result)
    return Approval(kind, reference, subject, tuple(figures), tuple(constraints))


def append(work: Work, approval: Approval) -> DisclosureRelease:
    """Append approved figures (no audit entry: :func:`record_release` after the caller's
    savepoint, so that a rolled-back release is never logged as released)."""
    session = work.session
    entry = DisclosureRelease(kind=approval.kind, reference=approval.reference,
                              released_by=work.actor.user_id)
    session.add(entry)
    work.flush()  # the release's id, for its figures
    for figure in approval.figures:
        session.add(DisclosureFigure(release_id=entry.id, cells=_encode_cells(figure.cells),
                                     low=figure.low, high=figure.high, label=figure.label[:300],
                                     organisation_wide=figure.organisation_wide))
    for rule in approval.constraints:
        session.add(DisclosureConstraint(release_id=entry.id, terms=_encode_terms(rule),
                                         low=rule.low, label=rule.label[:300]))
    work.flush()
    return entry


def record_release(work: Work, approval: Approval, entry: DisclosureRelease) -> None:
    work.audit("disclosure.release", target_type=approval.kind, target_id=approval.subject,
               release=entry.id)


def release(
    work: Work, *, kind: str, reference: str,
    figures: Sequence[Figure], true_counts: Mapping[CellKey, int],
    naming: Naming | None = None, audit_subject: str | None = None,
    constraints: Sequence[RuleConstraint] = (),
) -> DisclosureRelease:
    """Audit, then append and log (:func:`approve`, :func:`append`, :func:`record_release`).
    Raises ReleaseRefused when unsafe."""
    approval = approve(work, kind=kind, reference=reference, figures=figures,
                       true_counts=true_counts, naming=naming, audit_subject=audit_subject,
                       constraints=constraints)
    entry = append(work, approval)
    record_release(work, approval, entry)
    return entry
