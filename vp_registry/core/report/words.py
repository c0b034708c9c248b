"""The report's words, through the same Dutch catalogue as the UI (issue 13).

English is the source language: :data:`WORDS` maps a key to its English source string, marked
with ``N_`` so ``make translations-extract`` finds it; the Dutch is in
``vp_registry/translations/nl/LC_MESSAGES/messages.po`` like every string of the app. The core
stays Flask-free: the catalogue is loaded with ``babel.support.Translations`` (the compiled
``messages.mo`` when it is up to date, else compiled in memory from ``messages.po``), and a
report is worded in its own language whatever the reader's (a Dutch report stays Dutch).
Placeholders are ``str.format`` fields (``{year}``); ``{pct}`` is the percent sign, kept out of
the msgids so that no ``%`` looks like a Python %-placeholder.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from gettext import NullTranslations
from io import BytesIO
from pathlib import Path
from typing import Any, Final

from babel.dates import get_month_names
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from vp_registry.core.taxonomy import (
    ACTIVITY_LABELS,
    CHANNEL_LABELS,
    EMPLOYMENT_LABELS,
    GENDER_LABELS,
    N_,
    OUTCOME_LABELS,
    REFERRAL_LABELS,
    RELATION_LABELS,
    SUGGESTED_ACTION_LABELS,
)

LOCALES: Final = ("nl", "en")
NOT_AVAILABLE_MARK: Final = "."
"""A figure that does not exist (e.g. a category that did not exist in an earlier year)."""
CATALOGUES: Final = Path(__file__).resolve().parents[2] / "translations"

LABELS: Final[dict[str, Mapping[Any, str]]] = {
    "relation": RELATION_LABELS, "outcome": OUTCOME_LABELS, "referral": REFERRAL_LABELS,
    "channel": CHANNEL_LABELS, "gender": GENDER_LABELS, "employment": EMPLOYMENT_LABELS,
    "activity": ACTIVITY_LABELS, "action": SUGGESTED_ACTION_LABELS,
}
"""The report's labels are the UI's labels (core.taxonomy), translated the same way."""

WORDS: Final[dict[str, str]] = {
    "title": N_("Annual report of the confidential counsellor {year}"),
    "draft": N_("Draft"),
    "version": N_("Version {version}"),
    "issued": N_("Finalised on {date}"),
    "drafted": N_("Draft of {date}"),
    "contents": N_("Contents"),
    "page": N_("Page"),
    "of": N_("of"),
    "legend": N_("How to read the marks"),
    "sheet_about": N_("About"),
    "tables": N_("Tables"),
    "file": N_("File"),
    "note": N_("Note"),
    "organisation": N_("Organisation"),
    "status": N_("Status"),
    "final": N_("Final"),
    "report_year": N_("Report year"),
    "chart_of": N_("Chart: {title}"),
    "made_with": N_("Made with vp-registry. This report contains anonymised, protected counts "
                    "only."),
    "empty_text": N_("(No text yet.)"),
    "toc_hint": N_("Choose 'Update field' (F9) in Word if the contents are empty here."),
    "correction_note": N_("This is a correction of the texts. Every figure and table is that of "
                          "version {version} of {date}: a correction recalculates no figure, so "
                          "that nothing about small numbers can be learnt from the difference "
                          "between versions."),
    "s_introduction": N_("Introduction"),
    "s_key_figures": N_("Key figures"),
    "s_categories": N_("Cases by type of undesirable behaviour"),
    "s_breakdowns": N_("Relation, outcome and contact"),
    "s_departments": N_("Cases by department"),
    "s_trends": N_("Trends over the years"),
    "s_signals": N_("Signals and follow-up"),
    "s_activities": N_("Activities and hours"),
    "s_recommendations": N_("Recommendations"),
    "mark_protected": N_("fewer than {k} (0 to {k1}). Zero is shown the same way, so the mark "
                         "does not say that anybody came."),
    "mark_complement": N_("{k} or more. Hidden so that a small number elsewhere in the table "
                          "cannot be worked out."),
    "mark_withheld": N_("not published."),
    "mark_na": N_("not available (for example a category that did not exist that year)."),
    "key_intro": N_("A case is the matter of one person who contacted the confidential "
                    "counsellor; a case can include several conversations. Small numbers can "
                    "identify people, so every number below {k} in a breakdown is hidden; only "
                    "the totals for the whole organisation are exact."),
    "key_table": N_("Key figures {year}"),
    "number": N_("Number"),
    "measure": N_("Key figure"),
    "carried_over": N_("Carried over from {previous}"),
    "opened": N_("New cases in {year}"),
    "closed": N_("Cases closed in {year}"),
    "open_at_end": N_("Open on 31 December {year}"),
    "conversations": N_("Conversations in {year}"),
    "key_note": N_("Carried over from {previous}: cases opened before {year} and not closed "
                   "before {year}."),
    "time_table": N_("Time spent in {year}"),
    "time": N_("Time"),
    "hours": N_("Hours"),
    "time_conversations": N_("Conversations"),
    "time_other": N_("Other work on cases"),
    "time_activities": N_("Activities"),
    "total": N_("Total"),
    "time_note": N_("Conversations: the length of the conversations in {year}. Other work on "
                    "cases: the time recorded besides the conversations (preparation, "
                    "administration, consultation) on the cases closed in {year}; time on an "
                    "open case counts in the year it is closed. Because of rounding the total "
                    "may differ from the sum."),
    "cat_table": N_("New cases by type of undesirable behaviour, {year}"),
    "category": N_("Type of behaviour"),
    "cases": N_("Cases"),
    "share": N_("{pct} of cases"),
    "cases_total": N_("Number of new cases"),
    "new_cases": N_("New cases"),
    "closed_cases": N_("Closed cases"),
    "conversations_plain": N_("Conversations"),
    "year": N_("Year"),
    "merged_with": N_("{group} (with {members})"),
    "merged_other": N_("{group} ({members})"),
    "and": N_("and"),
    "cat_note": N_("A case can be about more than one type of behaviour and then counts in "
                   "each. The numbers per type therefore add up to more than the number of "
                   "cases, and the percentages to more than 100{pct}."),
    "breakdown_intro": N_("These tables describe the whole organisation. A number below {k} is "
                          "shown as '< {k}'. Because the total is known, the bottom two lines "
                          "are then hidden as well ('x'), whatever their numbers, so that the "
                          "small number cannot be worked out. Where that is not enough, the "
                          "table is left out."),
    "relation_table": N_("New cases by relation to the person involved, {year}"),
    "relation": N_("Person involved is a"),
    "relation_note": N_("The person involved is the person or persons the case is about."),
    "outcome_table": N_("Closed cases by outcome, {year}"),
    "outcome": N_("Outcome"),
    "referral_table": N_("Referrals of closed cases, {year}"),
    "referral": N_("Referred to"),
    "referral_note": N_("Only cases with the outcome 'Referral'."),
    "referral_hidden": N_("Referrals are not broken down further because their number above is "
                          "hidden."),
    "channel_table": N_("Conversations by channel, {year}"),
    "channel": N_("Channel"),
    "gender_table": N_("New cases by gender of the reporter, {year}"),
    "gender": N_("Gender"),
    "employment_table": N_("New cases by employment type of the reporter, {year}"),
    "employment": N_("Employment type"),
    "opened_withheld": N_("{what}: not published, because the total of at least one kind of "
                          "behaviour is below {k}; with the total number of new cases that "
                          "number could be worked out."),
    "closed_withheld": N_("{what}: not published, because the number of cases closed is not "
                          "published; with the key figures it would let small numbers of new or "
                          "carried-over cases be worked out."),
    "too_small": N_("{what}: the numbers are too small to publish without making people "
                    "recognisable, so this table is left out."),
    "gender_what": N_("Gender"),
    "employment_what": N_("Employment type"),
    "relation_what": N_("Relation to the person involved"),
    "outcome_what": N_("Outcome"),
    "referral_what": N_("Referrals"),
    "channel_what": N_("Channel"),
    "not_recorded": N_("Not recorded"),
    "dept_table": N_("New cases by department and type of behaviour, {year}"),
    "department": N_("Department"),
    "whole_organisation": N_("Whole organisation"),
    "other_departments": N_("Other departments"),
    "dept_none": N_("The organisation has fewer than {size} employees. To keep people from "
                    "being recognised, this report therefore has no figures per department."),
    "dept_refused": N_("The figures per department cannot be published this year without making "
                       "small numbers traceable, also in combination with figures published "
                       "earlier. The table is therefore left out; the totals per type of "
                       "behaviour are in chapter 3."),
    "dept_erased": N_("A case of {year} was erased at the request of the person concerned "
                      "after figures about its period had been published. Counting that "
                      "period again would show where the case was, so this report has no "
                      "figures per department and no totals per type of behaviour."),
    "dept_note": N_("Departments with fewer than {size} employees are merged into their parent "
                    "department or into 'Other departments'. A case with several types of "
                    "behaviour counts in each column."),
    "dept_merged": N_("Merged: {groups}."),
    "fold_all_small": N_("Fewer than {k} cases came in per department and type of behaviour, so "
                         "there is no table here. The totals for the whole organisation are in "
                         "chapter 3."),
    "fold_all_withheld": N_("The numbers per department and type of behaviour are hidden, so "
                            "there is no table here. The totals for the whole organisation are "
                            "in chapter 3."),
    "fold_all_both": N_("Fewer than {k} cases came in per department and type of behaviour, or "
                        "the numbers are hidden, so there is no table here. The totals for the "
                        "whole organisation are in chapter 3."),
    "fold_rows_small": N_("In {names} fewer than {k} cases came in per type of behaviour."),
    "fold_rows_withheld": N_("In {names} the numbers per type of behaviour are hidden."),
    "fold_rows_both": N_("In {names} fewer than {k} cases came in per type of behaviour, or the "
                         "numbers are hidden."),
    "fold_columns_small": N_("For {names} fewer than {k} cases came in per department; the "
                             "totals are in chapter 3."),
    "fold_columns_withheld": N_("For {names} the numbers per department are hidden; the totals "
                                "are in chapter 3."),
    "fold_columns_both": N_("For {names} fewer than {k} cases came in per department, or the "
                            "numbers are hidden; the totals are in chapter 3."),
    "org_totals_exact": N_("The totals for the whole organisation can be given exactly: they "
                           "are about the whole organisation and a whole year, so they cannot "
                           "point to a person. Small numbers are shown as '< {k}' there too."),
    "trends_intro": N_("The figures of earlier years come from the finalised annual reports of "
                       "those years; they are not recalculated."),
    "trends_none": N_("There are no earlier finalised annual reports to compare with yet."),
    "trend_key_table": N_("Cases and conversations per year"),
    "trend_cat_table": N_("New cases by type of behaviour per year"),
    "trend_cat_note": N_("A case with several types of behaviour counts in each."),
    "signals_intro": N_("A signal is an anonymised notice to management that a type of "
                        "undesirable behaviour occurred more often in a department. Numbers are "
                        "shown in bands ({bands}), never exactly."),
    "signals_none": N_("No signals were given to management in {year}."),
    "signals_table": N_("Signals in {year} and their follow-up"),
    "period": N_("Period"),
    "context": N_("Context"),
    "actions": N_("Suggested approach"),
    "follow_up": N_("Follow-up by management"),
    "no_follow_up": N_("No follow-up recorded yet"),
    "activities_intro": N_("Besides the conversations the counsellor works on prevention: "
                           "information sessions, training, office hours and meetings with "
                           "management."),
    "activities_none": N_("No activities were recorded in {year}."),
    "act_table": N_("Activities by type, {year}"),
    "activity": N_("Type of activity"),
    "act_list": N_("List of activities, {year}"),
    "date": N_("Date"),
    "description": N_("Description"),
    "short_key_figures": N_("Key figures"),
    "short_time": N_("Time"),
    "short_categories": N_("Type of behaviour"),
    "short_relation": N_("Relation"),
    "short_outcome": N_("Outcome"),
    "short_referral": N_("Referral"),
    "short_channel": N_("Channel"),
    "short_gender": N_("Gender"),
    "short_employment": N_("Employment"),
    "short_departments": N_("Departments"),
    "short_trend_key_figures": N_("Trend key figures"),
    "short_trend_categories": N_("Trend behaviour"),
    "short_signals": N_("Signals"),
    "short_activities": N_("Activities"),
    "short_activity_list": N_("Activity list"),
    # the pulse section (issue 16, core/report/pulse_section.py)
    "s_pulse": N_("Pulse survey: how safe people feel"),
    "pulse_intro": N_("In a pulse round employees answer anonymously how safe they feel in "
                      "their team, on a scale from 1 (not at all) to 7 (completely): a higher "
                      "score means safer. Results of a department are published only when at "
                      "least {minimum} people answered; smaller departments are merged with "
                      "others or not shown ('x'). These are the figures released to management "
                      "after each round; they are not recalculated."),
    "pulse_none": N_("No results of a pulse round were released in {year}."),
    "pulse_rounds_table": N_("Pulse rounds in {year}"),
    "pulse_round": N_("Round"),
    "pulse_closed_on": N_("Closed on"),
    "pulse_responses": N_("Responses"),
    "pulse_rate": N_("Response rate"),
    "pulse_score": N_("Safety score"),
    "pulse_change": N_("Change"),
    "pulse_rounds_note": N_("Safety score: the mean score on the statements about "
                            "psychological safety in the team (1 to 7), for the whole "
                            "organisation. Change: compared with the previous round whose "
                            "results were released. Response rate: responses as a share of "
                            "the people invited."),
    "pulse_open_note": N_("Rounds without invitation codes ({rounds}) were open to everyone "
                          "with the link: one person could answer more than once."),
    "pulse_shown_note": N_("In {rounds} some departments had too few answers: there the "
                           "organisation's figures cover only the departments shown, so that "
                           "nothing about the others can be worked out."),
    "pulse_other_groups": N_("Other groups together"),
    "pulse_groups_table": N_("Safety score per department, {year}"),
    "pulse_groups_note": N_("x: fewer than {minimum} answers, or not shown so that the answers "
                            "of a smaller department cannot be worked out. '.': the department "
                            "was not part of the round. Change: the latest round compared "
                            "with the round before it."),
    "pulse_trend_table": N_("Safety score of the whole organisation per round"),
    "pulse_trend_note": N_("Including the latest earlier rounds whose results were released."),
    "pulse_signal_category": N_("Psychological safety (pulse survey)"),
    "short_pulse_rounds": N_("Pulse rounds"),
    "short_pulse_groups": N_("Pulse departments"),
    "short_pulse_trend": N_("Pulse trend"),
}


def check_locale(locale: str) -> str:
    if locale not in LOCALES:
        raise ValueError(f"unsupported report language {locale!r}; use one of {LOCALES}")
    return locale


@cache
def translations(locale: str) -> NullTranslations:
    """The catalogue of ``locale`` (English: the source strings themselves)."""
    if check_locale(locale) == "en":
        return NullTranslations()
    folder = CATALOGUES / locale / "LC_MESSAGES"
    source, compiled = folder / "messages.po", folder / "messages.mo"
    if compiled.exists() and compiled.stat().st_mtime >= source.stat().st_mtime:
        with compiled.open("rb") as handle:
            return Translations(handle)
    with source.open("rb") as handle:  # not compiled (or stale): compile in memory
        catalogue = read_po(handle, locale=locale)
    buffer = BytesIO()
    write_mo(buffer, catalogue)
    buffer.seek(0)
    return Translations(buffer)


def text(locale: str, key: str, **values: object) -> str:
    """One string of the report vocabulary in ``locale``, formatted with ``values``."""
    template, formatted = _template(locale, key)
    return template.format(pct="%", **values) if values or formatted else template


@cache
def _template(locale: str, key: str) -> tuple[str, bool]:
    """The translated template of ``key`` and whether it needs formatting without values
    (a report asks for each word many times; the catalogue does not change while running)."""
    template = translations(locale).gettext(WORDS[key])
    return template, "{pct}" in template


def labels(locale: str, dimension: str) -> dict[str, str]:
    """The labels of a taxonomy dimension (``"relation"``, ...) in ``locale``."""
    gettext = translations(locale).gettext
    return {str(value): gettext(label) for value, label in LABELS[dimension].items()}


def format_date(locale: str, day: date, *, long: bool = False) -> str:
    """``12 februari 2026`` / ``12 February 2026`` (long) or ``12-02-2026`` / ``2026-02-12``."""
    if long:
        month = get_month_names("wide", locale=check_locale(locale))[day.month]
        return f"{day.day} {month} {day.year}"
    return f"{day:%d-%m-%Y}" if locale == "nl" else day.isoformat()


def format_hours(locale: str, hours: Decimal) -> str:
    """One decimal, decimal comma in Dutch: ``12,5``; no thousands separator."""
    shown = f"{hours.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):f}"
    return shown.replace(".", ",") if locale == "nl" else shown


def minutes_to_hours(minutes: int) -> Decimal:
    return (Decimal(minutes) / 60).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def percent(part: int, whole: int) -> str:
    if whole <= 0:
        return NOT_AVAILABLE_MARK
    value = (Decimal(100 * part) / whole).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    return f"{value}%"
