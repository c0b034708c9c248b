"""Pulse candidate signals (issue 16): a department group whose safety score is low or falling.

A pulse signal is a released signal like a case signal (``db.signals.ReleasedSignal``): the
counsellor reviews it, sets it aside or releases it with context and suggested actions, and
management acknowledges it and records its follow-up on the same pages - only its figure is a
safety score instead of a band of cases. What is reused and what is new:

* **Candidates** come from the *protected* results of closed rounds
  (``services.pulse.results.round_results``; the released ones where released): a group that
  the results show (at least ``PULSE_MIN_RESPONSES`` answers, and shown under the
  organisation rule) and whose scale score is below :data:`LOW_SCORE`, or whose released
  change against the group's previous released round (``RoundResult.trend``) is at most
  ``-``:data:`FALL_MARGIN`. The decision uses the shown figures only, so whether a candidate
  exists is a function of figures management may see (simulatable: a hidden group is never a
  candidate, and "no signal" says nothing about it).
* **Releasable** only when the round's results are released and the candidate's figures are
  exactly the released ones: a pulse signal repeats released figures and adds none. Its ledger
  entry (``disclosure_releases``, kind :data:`LEDGER_KIND`) therefore holds no figure; it
  records that the signal was released.
* **Stored** as a ``released_signals`` row: ``kind`` :data:`PULSE_LOW` or :data:`PULSE_FALL`,
  ``category`` :data:`PULSE_CATEGORY` (category codes cannot contain ``:``), ``band`` the
  released score as text, ``band_low``/``band_high`` the score in tenths (never a count: the
  management chart leaves pulse rows out), the quarter in which the round closed as period,
  ``period_label`` the round's title, and for a fall the previous round's score in
  ``previous_band``. Tokens and dismissals work as for case candidates: an HMAC of the
  candidate's identity under a key derived from the vault key (``signal_dismissals``).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from vp_registry.config import Settings
from vp_registry.core import crypto
from vp_registry.core.disclosure import ORGANISATION, quarter_of
from vp_registry.core.pulse.disclosure import SCOPE_ALL
from vp_registry.core.pulse.results import GroupResult, RoundResult
from vp_registry.core.report.pulse_section import PulseFacts
from vp_registry.core.taxonomy import N_
from vp_registry.db import utcnow
from vp_registry.db.signals import ReleasedSignal, SignalDismissal
from vp_registry.services.errors import NotFound
from vp_registry.services.pulse import results as pulse_results
from vp_registry.services.pulse import rounds as pulse_rounds
from vp_registry.services.signals import ledger
from vp_registry.services.signals.publishing import ReleaseDraft, validate_draft
from vp_registry.services.signals.refusals import (
    AlreadyReleased,
    NotReleasable,
    RefusalReason,
    SignalRefused,
)
from vp_registry.services.vault.keyring import VaultKeys
from vp_registry.services.work import Work

LOW_SCORE: Final = Decimal("4.0")
"""A released score below this is *low*: under the middle of the 7-point scale (4, "neither
agree nor disagree"), so on average the team leans towards not feeling safe."""
FALL_MARGIN: Final = Decimal("0.5")
"""A released change of at most minus this against the group's previous released round is
*falling*: half a point on a 7-point scale of means is more than rounding or a single
changed answer in a group of the minimum size moves (one answer moves a mean of five people's
seven-item scores by at most 6/35 = 0.17)."""
PULSE_LOW: Final = "pulse_low"
PULSE_FALL: Final = "pulse_fall"
PULSE_KINDS: Final = (PULSE_LOW, PULSE_FALL)
PULSE_CATEGORY: Final = "pulse:safety"
LEDGER_KIND: Final = "pulse-signal"
TOKEN_CHARS: Final = 32
PURPOSE_PULSE_DIGEST: Final = "pulse-signal-candidate"


def tenths(score: float) -> Decimal:
    """A released score or change as shown: one decimal, rounded half up."""
    return Decimal(repr(float(score))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def group_key(group: GroupResult, organisation: bool = False) -> str:
    """The group's key in the round (department ids: public structure), short enough for the
    released row; the organisation as the case signals' "whole organisation"."""
    if organisation:
        return ORGANISATION
    if group.key and len(group.key) <= 40:
        return group.key
    ids = ",".join(str(i) for i in sorted(group.department_ids))
    return "pulse-" + hashlib.sha256(ids.encode("ascii")).hexdigest()[:16]


@dataclass(frozen=True)
class PulseCandidate:
    """A low or falling safety score of one shown group in one closed round."""

    kind: str
    round_id: int
    round_title: str
    closes_on: date
    group_key: str
    group_label: str
    score: Decimal
    change: Decimal | None
    released: bool  # the round's results are released (needed to release the signal)

    @property
    def key(self) -> str:
        return f"pulse|{self.kind}|{self.round_id}|{self.group_key}"

    @property
    def quarter(self) -> str:
        return quarter_of(self.closes_on)

    @property
    def previous_score(self) -> Decimal | None:
        return None if self.change is None else self.score - self.change


def candidates_of(result: RoundResult, *, released: bool) -> list[PulseCandidate]:
    """The candidates of one round's protected result (shown groups only; see the module)."""
    found = []
    groups = [(g, False) for g in result.groups]
    # "Total of the departments shown" is no department to signal; nor is an organisation figure
    # that is one group's own (a round without a breakdown: one group, the whole organisation)
    if result.scope == SCOPE_ALL and all(
            g.department_ids != result.organisation.department_ids for g in result.groups):
        groups.append((result.organisation, True))
    for group, whole in groups:
        if not group.shown or group.score is None:
            continue
        score = tenths(group.score)
        raw_change = result.trend.get(group.key)
        change = None if raw_change is None else tenths(raw_change)
        if score < LOW_SCORE:
            kind = PULSE_LOW
        elif change is not None and change <= -FALL_MARGIN:
            kind = PULSE_FALL
        else:
            continue
        found.append(PulseCandidate(
            kind=kind, round_id=result.round_id, round_title=result.title,
            closes_on=result.closes_on, group_key=group_key(group, whole),
            group_label=group.label, score=score, change=change, released=released))
    return found


def pulse_candidates(session: Session, settings: Settings) -> list[PulseCandidate]:
    """Candidates of every closed round, newest round first (counsellor only)."""
    found: list[PulseCandidate] = []
    for pulse_round in pulse_rounds.list_rounds(session):
        if pulse_rounds.state(pulse_round) != pulse_rounds.CLOSED:
            continue
        released = pulse_results.released_results(session, pulse_round.id)
        result = released or pulse_results.round_results(session, settings, pulse_round.id)
        found.extend(candidates_of(result, released=released is not None))
    found.sort(key=lambda c: (c.closes_on, c.round_id), reverse=True)
    return found


# -------------------------------------------------------------------- review and release


def _digest(keys: VaultKeys, candidate_key: str) -> str:
    subkey = crypto.derive_subkey(keys.current, PURPOSE_PULSE_DIGEST)
    return hmac.new(subkey, candidate_key.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class PulseView:
    token: str
    candidate: PulseCandidate
    dismissed: bool
    released: ReleasedSignal | None

    @property
    def releasable(self) -> bool:
        return self.candidate.released and self.released is None


def pulse_review(work: Work) -> list[PulseView]:
    """The counsellor's pulse candidates with their state (audited as ``signal.review``
    by the page's case review; no count or group in any log)."""
    candidates = pulse_candidates(work.session, work.settings)
    digests = {c.key: _digest(work.keys, c.key) for c in candidates}
    dismissed = set(work.session.execute(
        select(SignalDismissal.digest).where(SignalDismissal.digest.in_(digests.values()))
    ).scalars()) if digests else set()
    released = {row.candidate_key: row for row in work.session.execute(
        select(ReleasedSignal).where(ReleasedSignal.candidate_key.in_(list(digests)))
    ).scalars()} if digests else {}
    return [PulseView(digests[c.key][:TOKEN_CHARS], c, digests[c.key] in dismissed,
                      released.get(c.key)) for c in candidates]


def find_pulse_view(work: Work, token: str) -> PulseView:
    if len(token) == TOKEN_CHARS:
        for view in pulse_review(work):
            if hmac.compare_digest(view.token, token):
                return view
    raise NotFound(N_("This candidate signal no longer exists (the results changed). Look at "
                      "the current candidates."))


def set_aside(work: Work, token: str, *, dismissed: bool) -> PulseView:
    """Dismiss (``dismissed=True``) or restore a pulse candidate (audited, no content)."""
    view = find_pulse_view(work, token)
    if view.released is not None:
        raise AlreadyReleased()
    digest = _digest(work.keys, view.candidate.key)
    row = work.session.execute(
        select(SignalDismissal).where(SignalDismissal.digest == digest)).scalar_one_or_none()
    if dismissed and row is None:
        work.session.add(SignalDismissal(digest=digest, key_version=work.keys.version,
                                         dismissed_by=work.actor.user_id))
    elif not dismissed and row is not None:
        work.session.delete(row)
    work.flush()
    work.audit("signal.dismiss" if dismissed else "signal.restore",
               target_type="signal_candidate", target_id=view.token[:12])
    return PulseView(view.token, view.candidate, dismissed, None)


def refusal_reasons(view: PulseView) -> list[RefusalReason]:
    if view.candidate.released:
        return []
    return [RefusalReason(N_(
        "The results of this round have not been released yet. A pulse signal repeats the "
        "released figures only: release the round's results first."), {})]


def release(work: Work, token: str, draft: ReleaseDraft) -> ReleasedSignal:
    """Release a pulse candidate to management (audited); raises SignalRefused when the
    round's results are not released, AlreadyReleased, ValidationFailed or NotFound."""
    draft = validate_draft(draft)
    view = find_pulse_view(work, token)
    if view.released is not None:
        raise AlreadyReleased()
    candidate = view.candidate
    if candidate.kind not in PULSE_KINDS:  # pragma: no cover - candidates_of makes two kinds
        raise NotReleasable()
    if not candidate.released:
        work.audit("disclosure.refused", target_type=LEDGER_KIND, target_id=view.token[:12])
        raise SignalRefused(refusal_reasons(view))
    entry = ledger.release(work, kind=LEDGER_KIND, reference=f"pulse:{candidate.round_id}",
                           figures=(), true_counts={}, audit_subject=view.token[:12])
    row = signal_row(candidate, draft)
    row.disclosure_release_id, row.released_by = entry.id, work.actor.user_id
    work.session.add(row)
    work.flush()
    work.audit("signal.release", target_type="signal", target_id=row.id,
               disclosure_release=entry.id)
    return row


def signal_row(candidate: PulseCandidate, draft: ReleaseDraft) -> ReleasedSignal:
    """The released row of a candidate (management's view: the released figures only)."""
    score = int(candidate.score * 10)
    previous = candidate.previous_score if candidate.kind == PULSE_FALL else None
    return ReleasedSignal(
        candidate_key=candidate.key, kind=candidate.kind, group_key=candidate.group_key,
        group_label=candidate.group_label[:200], category=PULSE_CATEGORY,
        first_quarter=candidate.quarter, last_quarter=candidate.quarter,
        period_label=_short(candidate.round_title, 40), band=f"{candidate.score:f}",
        band_low=score, band_high=score,
        previous_quarter=None,  # a pulse fall compares rounds, not quarters
        previous_band=None if previous is None else f"{previous:f}",
        context=draft.context, actions=",".join(draft.actions),
        other_action=draft.other_action, released_at=utcnow())


def _short(title: str, limit: int) -> str:
    return title if len(title) <= limit else title[:limit - 1] + "…"


# ------------------------------------------------------------------ the annual report


def report_facts(session: Session, settings: Settings, year: int) -> PulseFacts:
    """The released pulse rounds the annual report of ``year`` shows (its section 8): the
    rounds that closed in the year and those of the two years before (for the trend), each
    as management saw it (``released_rounds_in_year``)."""
    rounds = tuple(pulse_results.released_rounds_in_year(session, year))
    earlier = tuple(r for y in (year - 2, year - 1)
                    for r in pulse_results.released_rounds_in_year(session, y))
    minimum = max([settings.pulse_min_responses, *(r.minimum for r in rounds)])
    return PulseFacts(rounds=rounds, earlier=earlier, minimum=minimum)
