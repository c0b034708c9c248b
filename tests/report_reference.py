"""The annual report's counting as it was before issue 15's speed work (HEAD d560035): one
plain pass per case, written for reading, not speed. The tests hold the fast paths to it
(``tests/unit/test_report_tally.py``, ``tests/integration/test_report_paths.py``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date

from vp_registry.core.disclosure import periods_of_year
from vp_registry.core.facts import CaseFacts
from vp_registry.core.report.tally import DIMENSIONS, Lines, Tally, _add_lines, line_name
from vp_registry.core.taxonomy import Outcome


def count_year(year: int, cases: Sequence[CaseFacts]) -> Tally:
    start, end = date(year, 1, 1), date(year, 12, 31)
    t = Tally(year, dimension={d: Counter() for d in DIMENSIONS})
    lines: Lines = Counter()
    quarters = periods_of_year(year)
    for case in cases:
        opened, closed = case.opened_on, case.closed_on
        if closed is not None and closed < opened:
            raise ValueError(f"case {case.case_id} is closed before it was opened")
        if opened < start and (closed is None or closed >= start):
            lines[("key:carried_over", 0)] += 1
        if opened <= end and (closed is None or closed > end):
            lines[("key:open_at_end", 3)] += 1
        if start <= opened <= end:
            _count_opened(t, lines, case, quarters)
        if closed is not None and start <= closed <= end:
            _count_closed(lines, case, (closed.month - 1) // 3)
        for contact in case.contacts:
            if start <= contact.held_on <= end:
                q = (contact.held_on.month - 1) // 3
                lines[("key:conversations", q)] += 1
                lines[("time:conversation_minutes", q)] += contact.minutes
                lines[(line_name("channel", contact.channel), q)] += 1
    _add_lines(t, lines)
    return t


def _count_opened(t: Tally, lines: Lines, case: CaseFacts, quarters: list[str]) -> None:
    q = (case.opened_on.month - 1) // 3
    quarter = quarters[q]
    lines[("key:opened", q)] += 1
    categories = tuple(dict.fromkeys(case.categories))
    if not categories:
        raise ValueError(f"case {case.case_id} has no category")
    t.case_departments.add(case.department_id)
    for category in categories:
        t.atoms[(case.department_id, category, quarter)] += 1
        t.category_totals[category] += 1
    lines[(line_name("relation", case.relation), q)] += 1
    lines[(line_name("gender", case.gender), q)] += 1
    lines[(line_name("employment", case.employment_type), q)] += 1


def _count_closed(lines: Lines, case: CaseFacts, q: int) -> None:
    lines[("key:closed", q)] += 1
    lines[("time:other_case_minutes", q)] += case.minutes_spent
    outcome = line_name("outcome", case.outcome)
    lines[(outcome, q)] += 1
    if outcome == f"outcome:{Outcome.REFERRAL}":
        lines[(line_name("referral", case.referral), q)] += 1
