"""A pulse round's results: the counsellor's preview, the release, what managers read.

* :func:`round_results` - the protected result now (the counsellor's page), computed by
  :func:`vp_registry.core.pulse.results.results_from_tallies` from per-item histograms the
  database counts. A round still open shows no answer figures.
* :func:`release_results` - a counsellor releases a *closed* round's result: it is stored in
  the pulse ledger (``pulse_releases``) as canonical JSON. A round is released once; a second
  release is accepted only if its figures are identical (then nothing new is stored), so no
  reader ever holds two different releases of one round to subtract (late responses, a
  changed grouping or minimum).
* :func:`released_results` / :func:`released_rounds_in_year` - what managers and the annual
  report read: the stored snapshot, never a new computation.
"""

from __future__ import annotations

import hashlib
from datetime import date

from sqlalchemy import extract, func, select
from sqlalchemy.orm import Session

from vp_registry.config import Settings
from vp_registry.core.pulse import snapshot
from vp_registry.core.pulse.questions import SCALE_POINTS
from vp_registry.core.pulse.results import GroupTally, RoundMeta, RoundResult, results_from_tallies
from vp_registry.core.taxonomy import N_
from vp_registry.db.pulse import PulseAnswer, PulseRelease, PulseResponse, PulseRound
from vp_registry.services.errors import AccessDenied, DomainError
from vp_registry.services.pulse import rounds
from vp_registry.services.work import Work


class PulseReleaseRefused(DomainError):
    message = N_("These results cannot be released.")


class RoundStillOpen(PulseReleaseRefused):
    message = N_("Close the round first: results are released once nobody can answer any more.")


class ReleasedDifferently(PulseReleaseRefused):
    message = N_("The results of this round were released before with other figures. "
                 "Releasing them again would let readers subtract one release from the "
                 "other, so the earlier release stands.")


def tallies(session: Session, round_id: int) -> dict[str, GroupTally]:
    """Responses per group and, per statement, how many gave each answer (two GROUP BYs)."""
    counts: dict[str, int] = {}
    for key, n in session.execute(
            select(PulseResponse.group_key, func.count()).where(PulseResponse.round_id == round_id)
            .group_by(PulseResponse.group_key)):
        counts[key] = int(n)
    histograms: dict[str, dict[str, list[int]]] = {}
    for group_key, code, value, count in session.execute(
            select(PulseResponse.group_key, PulseAnswer.code, PulseAnswer.value, func.count())
            .join(PulseAnswer, PulseAnswer.response_id == PulseResponse.id)
            .where(PulseResponse.round_id == round_id)
            .group_by(PulseResponse.group_key, PulseAnswer.code, PulseAnswer.value)):
        if 1 <= value <= SCALE_POINTS:
            histograms.setdefault(group_key, {}).setdefault(code, [0] * SCALE_POINTS)[
                value - 1] += count
    return {key: GroupTally(int(n), {c: tuple(h) for c, h in histograms.get(key, {}).items()})
            for key, n in counts.items()}


def minimum_of(row: PulseRound, settings: Settings) -> int:
    """The round's minimum as set when it was created, or the setting if raised since."""
    return max(row.min_responses, settings.pulse_min_responses)


def _previous_release(session: Session, row: PulseRound) -> RoundResult | None:
    """The latest released round that closed before this one (for the trend)."""
    found = session.execute(
        select(PulseRelease.figures).join(PulseRound, PulseRound.id == PulseRelease.round_id)
        .where(PulseRound.closes_on < row.closes_on, PulseRound.id != row.id)
        .order_by(PulseRound.closes_on.desc(), PulseRelease.id.desc()).limit(1)).scalar()
    return snapshot.from_json(found) if found is not None else None


def round_results(session: Session, settings: Settings, round_id: int, *,
                  today: date | None = None) -> RoundResult:
    """The round's result as it would be released now (already protected)."""
    row = rounds.get_round(session, round_id)
    meta = RoundMeta(row.id, row.title, row.opens_on, row.closes_on, not row.with_codes,
                     row.codes_issued, rounds.state(row, today) == rounds.CLOSED)
    return results_from_tallies(tallies(session, row.id), rounds.groups_of(session, row.id),
                                minimum_of(row, settings),
                                statements=rounds.statements_of(session, row.id), meta=meta,
                                previous=_previous_release(session, row))


def _latest(session: Session, round_id: int) -> PulseRelease | None:
    return session.execute(select(PulseRelease).where(PulseRelease.round_id == round_id)
                           .order_by(PulseRelease.id.desc()).limit(1)).scalar_one_or_none()


def release_results(work: Work, round_id: int, *, today: date | None = None) -> RoundResult:
    """Release a closed round's result to management (counsellors only). Refusals:
    :class:`RoundStillOpen`, :class:`ReleasedDifferently` (audited as ``pulse.refused``)."""
    session = work.session
    if work.actor.role != "counsellor":
        raise AccessDenied()
    result = round_results(session, work.settings, round_id, today=today)
    if not result.closed:
        raise RoundStillOpen()
    figures = snapshot.to_json(result)
    earlier = _latest(session, round_id)
    if earlier is not None:
        if snapshot.same_figures(earlier.figures, figures):
            return snapshot.from_json(earlier.figures)
        work.audit("pulse.refused", target_type="pulse_round", target_id=round_id)
        raise ReleasedDifferently()
    session.add(PulseRelease(round_id=round_id, figures=figures,
                             digest=hashlib.sha256(figures.encode()).hexdigest(),
                             released_by=work.actor.user_id))
    session.flush()
    work.audit("pulse.release", target_type="pulse_round", target_id=round_id)
    return result


def released_results(session: Session, round_id: int) -> RoundResult | None:
    """What managers see of a round: its released result, or None."""
    row = _latest(session, round_id)
    return snapshot.from_json(row.figures) if row is not None else None


def released_rounds_in_year(session: Session, year: int) -> list[RoundResult]:
    """The released results of the rounds that closed in ``year``, in order of closing."""
    texts = session.execute(
        select(PulseRelease.figures).join(PulseRound, PulseRound.id == PulseRelease.round_id)
        .where(extract("year", PulseRound.closes_on) == year)
        .order_by(PulseRound.closes_on, PulseRound.id, PulseRelease.id)).scalars().all()
    latest: dict[int, RoundResult] = {}
    for text in texts:
        result = snapshot.from_json(text)
        latest[result.round_id] = result
    return sorted(latest.values(), key=lambda r: (r.closes_on, r.round_id))
