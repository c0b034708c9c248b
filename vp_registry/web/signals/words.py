"""Signals in words, in the reader's language (Flask-Babel).

The counsellor reads candidates with exact numbers ("4 cases of bullying in Magazijn since
October 2025"); management reads released signals with bands only ("3-4 cases of bullying in
Magazijn, Q4 2025 to Q3 2026"). Both are built here from structured parts, never by
translating a finished English sentence.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from flask_babel import format_date, get_locale, ngettext
from flask_babel import gettext as _

from vp_registry.core.disclosure import ORGANISATION, OTHER_DEPARTMENTS, parse_quarter
from vp_registry.core.pulse.disclosure import OTHER_GROUPS
from vp_registry.core.signals import CONCENTRATION, RECURRENCE, RISE, SignalCandidate
from vp_registry.core.taxonomy import N_, SUGGESTED_ACTION_LABELS, SuggestedAction
from vp_registry.db.organisation import Category
from vp_registry.db.signals import ReleasedSignal
from vp_registry.services.pulse.signals import (
    PULSE_CATEGORY,
    PULSE_FALL,
    PULSE_KINDS,
    PULSE_LOW,
    PulseCandidate,
)
from vp_registry.services.signals.management import actions_of
from vp_registry.services.signals.refusals import RefusalReason
from vp_registry.web.templating import category_label

KIND_LABELS = {
    CONCENTRATION: N_("Concentration"),
    RISE: N_("Rise"),
    RECURRENCE: N_("Same person"),
    PULSE_LOW: N_("Low safety score"),
    PULSE_FALL: N_("Falling safety score"),
}
_SPECIAL_GROUPS = {OTHER_DEPARTMENTS: N_("Other departments"),
                   ORGANISATION: N_("Whole organisation"),
                   OTHER_GROUPS: N_("Other groups together")}  # a pulse round's hidden groups


def kind_text(kind: str) -> str:
    return str(_(KIND_LABELS[kind])) if kind in KIND_LABELS else kind


def quarter_text(quarter: str) -> str:
    year, number = parse_quarter(quarter)
    return str(_("Q%(number)s %(year)s", number=number, year=year))


def period_text(first: str, last: str) -> str:
    if first == last:
        return quarter_text(first)
    return str(_("%(start)s to %(end)s", start=quarter_text(first), end=quarter_text(last)))


def month_text(year: int, month: int) -> str:
    return str(format_date(date(year, month, 1), "MMMM yyyy"))


def group_text(key: str | None, label: str | None) -> str:
    if key in _SPECIAL_GROUPS:
        return str(_(_SPECIAL_GROUPS[key]))
    return label or ""


def category_text(code: str | None, categories: Mapping[str, Category]) -> str:
    if code is None:
        return ""
    if code == PULSE_CATEGORY:
        return str(_("Psychological safety (pulse survey)"))
    return category_label(categories[code]) if code in categories else code


def _in_sentence(label: str) -> str:
    """"Pesten" -> "pesten" inside a sentence (the first letter only)."""
    return label[:1].lower() + label[1:]


def candidate_sentence(candidate: SignalCandidate, categories: Mapping[str, Category]) -> str:
    """The counsellor's words for a candidate, with the exact count."""
    parts = candidate.explanation_parts
    count = candidate.count
    category = _in_sentence(category_text(candidate.category, categories))
    group = group_text(candidate.group_key, candidate.group_label)
    if candidate.kind == CONCENTRATION:
        return str(ngettext(
            "%(num)s case of %(category)s in %(group)s since %(since)s",
            "%(num)s cases of %(category)s in %(group)s since %(since)s",
            count, category=category, group=group,
            since=month_text(int(parts["since_year"]), int(parts["since_month"]))))
    if candidate.kind == RISE:
        return str(ngettext(
            "%(num)s case of %(category)s in %(group)s in %(quarter)s, up from %(previous)s "
            "in %(previous_quarter)s",
            "%(num)s cases of %(category)s in %(group)s in %(quarter)s, up from %(previous)s "
            "in %(previous_quarter)s",
            count, category=category, group=group,
            quarter=quarter_text(str(parts["quarter"])), previous=parts["previous_count"],
            previous_quarter=quarter_text(str(parts["previous_quarter"]))))
    return str(ngettext(
        "%(num)s case since %(since)s names the same person involved",
        "%(num)s cases since %(since)s name the same person involved",
        count, since=month_text(int(parts["since_year"]), int(parts["since_month"]))))


def published_sentence(*, kind: str, band: str, category: str, group: str, first: str,
                       last: str, previous_quarter: str | None, previous_band: str | None,
                       round_title: str = "") -> str:
    """Management's words for a signal: the band, never an exact count (a pulse signal: the
    released safety score)."""
    if kind in PULSE_KINDS:
        return pulse_sentence(kind=kind, score=band, group=group, round_title=round_title,
                              previous=previous_band)
    category = _in_sentence(category)
    if kind == RISE and previous_quarter and previous_band:
        return str(_("%(band)s cases of %(category)s in %(group)s in %(quarter)s, up from "
                     "%(previous)s in %(previous_quarter)s",
                     band=band, category=category, group=group, quarter=quarter_text(last),
                     previous=previous_band, previous_quarter=quarter_text(previous_quarter)))
    return str(_("%(band)s cases of %(category)s in %(group)s in %(period)s",
                 band=band, category=category, group=group, period=period_text(first, last)))


def signal_sentence(row: ReleasedSignal, categories: Mapping[str, Category]) -> str:
    return published_sentence(
        kind=row.kind, band=row.band, category=category_text(row.category, categories),
        group=group_text(row.group_key, row.group_label), first=row.first_quarter,
        last=row.last_quarter, previous_quarter=row.previous_quarter,
        previous_band=row.previous_band, round_title=row.period_label)


# ----------------------------------------------------------------- pulse signals (issue 16)


def is_pulse(kind: str) -> bool:
    return kind in PULSE_KINDS


def score_text(score: object) -> str:
    """A released score ("3.4", stored language-neutral) in the reader's language."""
    shown = str(score)
    return shown.replace(".", ",") if str(get_locale() or "") == "nl" else shown


def pulse_sentence(*, kind: str, score: str, group: str, round_title: str,
                   previous: str | None) -> str:
    """Words for a pulse signal: the released score (and the previous round's), no count."""
    if kind == PULSE_FALL and previous:
        return str(_("Safety score %(score)s in %(group)s in the pulse round ‘%(round)s’, "
                     "down from %(previous)s in the previous round",
                     score=score_text(score), group=group, round=round_title,
                     previous=score_text(previous)))
    return str(_("Safety score %(score)s (on a scale of 1 to 7) in %(group)s in the pulse "
                 "round ‘%(round)s’", score=score_text(score), group=group, round=round_title))


def pulse_candidate_sentence(candidate: PulseCandidate) -> str:
    group = group_text(candidate.group_key, candidate.group_label)
    previous = (None if candidate.previous_score is None or candidate.kind != PULSE_FALL
                else f"{candidate.previous_score:f}")
    return pulse_sentence(kind=candidate.kind, score=f"{candidate.score:f}", group=group,
                          round_title=candidate.round_title, previous=previous)


def figure_heading(kind: str) -> str:
    """The heading of a signal's figure: cases (a band) or a pulse round's safety score."""
    return str(_("Safety score (1 to 7)") if kind in PULSE_KINDS else _("Number of cases"))


def signal_period_text(row: ReleasedSignal) -> str:
    """A case signal's quarters, or a pulse signal's round and the quarter it closed in."""
    if row.kind in PULSE_KINDS:
        return str(_("%(round)s (%(quarter)s)", round=row.period_label,
                     quarter=quarter_text(row.last_quarter)))
    return period_text(row.first_quarter, row.last_quarter)


def action_texts(row: ReleasedSignal) -> list[str]:
    """Suggested actions in words; "other" is shown as the counsellor's own text."""
    texts = []
    for code in actions_of(row):
        if code == SuggestedAction.OTHER.value:
            if row.other_action:
                texts.append(row.other_action)
            continue
        labels = {a.value: text for a, text in SUGGESTED_ACTION_LABELS.items()}
        texts.append(str(_(labels[code])) if code in labels else code)
    return texts


def reason_text(reason: RefusalReason) -> str:
    return str(_(reason.message, **dict(reason.params)))
