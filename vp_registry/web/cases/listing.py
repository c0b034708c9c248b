"""The case list's rows, worked out in Python once per request.

A row's texts (status, department, categories, dates, deadline) are computed here so that the
template's loop only writes them out: per row no macro calls, translations, locale look-ups,
date formatting through Flask-Babel or URL building from the template. The labels that are
the same for every row are translated once per page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from flask import request
from markupsafe import Markup, escape

from vp_registry.services.cases.records import CaseSummary
from vp_registry.web.speedups import session_memory, template_i18n, urls
from vp_registry.web.speedups.gettext import gettext as _
from vp_registry.web.speedups.template_i18n import format_date
from vp_registry.web.speedups.widgets import escaped_text
from vp_registry.web.templating import category_label


@dataclass(frozen=True, slots=True)
class DeadlineNote:
    """The next whistleblower deadline of an open integrity report, as shown beside it."""

    text: str
    css_class: str  # "overdue" or "badge"


@dataclass(frozen=True, slots=True)
class CaseRow:
    """One line of the case list, ready to print."""

    reference: str
    url: str
    opened: str
    status: str
    department: str
    categories: str
    deadline: DeadlineNote | None


def deadline_note(case: CaseSummary, today: date,
                  date_text: Callable[[date], str] = format_date) -> DeadlineNote | None:
    """The first deadline not yet met of an open integrity report (overdue or not), or None.
    Also the case pages' span of it (``case_deadline``, web/cases/page_markup.py)."""
    deadlines = case.deadlines
    if deadlines is None or not case.is_open:
        return None
    upcoming = deadlines.next_open()
    if upcoming is None:
        return None
    kind, deadline = upcoming
    due = date_text(deadline.due_on)
    if deadline.overdue(today):
        if kind == "acknowledge":
            return DeadlineNote(_("Acknowledgement overdue since %(date)s", date=due), "overdue")
        return DeadlineNote(_("Feedback overdue since %(date)s", date=due), "overdue")
    if kind == "acknowledge":
        return DeadlineNote(_("Acknowledge by %(date)s", date=due), "badge")
    return DeadlineNote(_("Feedback by %(date)s", date=due), "badge")


def category_labels(categories: Iterable[Any]) -> dict[str, str]:
    """Category code -> label in the request's language."""
    return {category.code: category_label(category) for category in categories}


def case_rows(items: Iterable[CaseSummary], *, department_names: Mapping[int, str],
              category_names: Mapping[str, str], today: date) -> list[CaseRow]:
    """The rows of a page of the case list. Unknown departments show empty, unknown category
    codes as they are."""
    i18n = template_i18n.current()
    date_text = i18n.format_date if i18n is not None else format_date
    case_url = urls.url_builder("cases.view", "reference")  # one url_for per page
    status = {True: _("Open"), False: _("Closed")}
    return [
        CaseRow(
            reference=case.reference,
            url=case_url(case.reference),
            opened=date_text(case.opened_on),
            status=status[case.is_open],
            department=department_names.get(case.department_id, ""),
            categories=", ".join(category_names.get(code, code) for code in case.categories),
            deadline=deadline_note(case, today, date_text),
        )
        for case in items
    ]


def rows_markup(rows: Iterable[CaseRow], opened: Any, status: Any, department: Any,
                categories: Any, deadline: Any) -> Markup:
    """The list's table rows as the template's loop wrote them, byte for byte (issue 15,
    session 7: the loop's ~275 autoescaped outputs were a sixth of the list's CPU). Every
    value is escaped as Jinja's autoescape does (``markupsafe.escape``); the column labels
    come from the template (translations, trusted like it)."""
    labels = _labels(opened, status, department, categories, deadline)
    return Markup("".join(_row_markup(row, labels) for row in rows))  # noqa: S704  # nosec B704 # escaped in _row_markup


def _labels(*labels: Any) -> tuple[str, ...]:
    return tuple(str(escape(label)) for label in labels)


def _row_markup(row: CaseRow, labels: tuple[str, ...]) -> str:
    """One row of :func:`rows_markup`, every value escaped (``labels``: escaped already)."""
    note = row.deadline
    shown = (f'<span class="{escaped_text(note.css_class)}">{escaped_text(note.text)}'
             "</span>") if note else ""
    return ("\n    <tr>\n"
            f'      <td class="card-title"><a href="{escaped_text(row.url)}">'
            f"{escaped_text(row.reference)}</a></td>\n"
            f'      <td data-label="{labels[0]}">{escaped_text(row.opened)}</td>\n'
            f'      <td data-label="{labels[1]}">{escaped_text(row.status)}</td>\n'
            f'      <td data-label="{labels[2]}">{escaped_text(row.department)}</td>\n'
            f'      <td data-label="{labels[3]}">{escaped_text(row.categories)}</td>\n'
            f'      <td data-label="{labels[4]}">{shown}</td>\n'
            "    </tr>\n  ")


class RowsMarkup:
    """The template's ``rows_markup(rows, labels...)`` for a page of summaries, each row
    written once per web session and what it was written with (issue 15, session 10: the
    rows' texts, URLs and escaping were a tenth of a list page's CPU, for the same rows page
    after page).

    A row's markup is made of its summary and of what ``made_with`` holds: the language and
    its date format, the script root and host (the case's URL), the day (a deadline's
    overdue or not), the column labels and the organisation's department and category names
    (renamed or added elsewhere: another ``made_with``, all rows written afresh). It is kept
    in the session's memory (web/speedups/session_memory.KeptRows: per organisation and web
    session, dropped at logout, at a lock and after the idle timeout) by the summary, which
    services/cases/listing.DecodedRows gives again - the same object - only while the case's
    row is unchanged in every column the list reads; a summary decrypted afresh is a new
    object, and its row is written afresh. Nothing is kept that the session's memory did not
    hold already, but as the page shows it.
    """

    def __init__(self, *, department_names: Mapping[int, str], category_names: Mapping[str, str],
                 today: date, kept: session_memory.KeptRows | None) -> None:
        self.department_names = department_names
        self.category_names = category_names
        self.today = today
        self.kept = kept

    def __call__(self, items: Sequence[CaseSummary], opened: Any, status: Any, department: Any,
                 categories: Any, deadline: Any) -> Markup:
        labels = _labels(opened, status, department, categories, deadline)
        found = self._kept(labels)
        written = [_kept_markup(found, item) for item in items]  # decided once per row
        missing = [item for item, text in zip(items, written, strict=True) if text is None]
        if missing:  # (case_rows builds the page's case URL even for no row)
            rows = iter(case_rows(missing, department_names=self.department_names,
                                  category_names=self.category_names, today=self.today))
            for index, text in enumerate(written):
                if text is None:
                    written[index] = text = _row_markup(next(rows), labels)
                    if self.kept is not None:
                        if len(found) >= self.kept.LIMIT:
                            found.clear()
                        found[id(items[index])] = (items[index], text)  # the summary held
        return Markup("".join(cast(list[str], written)))  # noqa: S704  # nosec B704 # escaped in _row_markup

    def _kept(self, labels: tuple[str, ...]) -> dict[int, tuple[Any, str]]:
        """The session's kept rows, when written with what this page's rows are made of."""
        if self.kept is None:
            return {}
        i18n = template_i18n.current()
        made_with = (i18n.locale_id if i18n else None, i18n.date_format if i18n else None,
                     request.script_root, request.host, self.today, labels,
                     self.department_names, self.category_names)
        return self.kept.rows_for(made_with)


def _kept_markup(found: dict[int, tuple[Any, str]], item: CaseSummary) -> str | None:
    """The kept markup of this very summary (a kept summary is held: its id names no other)."""
    hit = found.get(id(item))
    return hit[1] if hit is not None and hit[0] is item else None
