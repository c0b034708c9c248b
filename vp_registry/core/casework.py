"""Pure rules of case work: references, whistleblower deadlines, retention dates, search folding.

No Flask, no database, no crypto: the services call these with decrypted values.
"""

from __future__ import annotations

import calendar
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

# Crockford base32 without I, L, O, U: no look-alikes when read aloud or written down.
REFERENCE_ALPHABET: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_RANDOM_CHARS: Final = 4
REFERENCE_PATTERN: Final = re.compile(r"^VP-(\d{4})-([0-9A-HJKMNP-TV-Z]{4})$")

# Dutch whistleblower act (Wet bescherming klokkenluiders): acknowledge receipt within 7 days;
# feedback within 3 months. We count both from the day the case was opened, which is never
# later than the legal deadline (the law counts feedback from the acknowledgement).
ACKNOWLEDGE_DAYS: Final = 7
FEEDBACK_MONTHS: Final = 3
DEADLINE_SOON_DAYS: Final = 14


def new_reference(year: int) -> str:
    """A random case reference such as ``VP-2026-7KQ3`` (caller retries on a clash)."""
    if not 1000 <= year <= 9999:
        raise ValueError("year must have four digits")
    suffix = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_RANDOM_CHARS))
    return f"VP-{year}-{suffix}"


def normalise_reference(text: str) -> str | None:
    """Upper-case, trimmed reference if it has the right shape, else None."""
    candidate = text.strip().upper()
    return candidate if REFERENCE_PATTERN.match(candidate) else None


def add_months(day: date, months: int) -> date:
    """Same day ``months`` later; the last day of the month when that day does not exist."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


@dataclass(frozen=True)
class Deadline:
    due_on: date
    done_on: date | None

    def overdue(self, today: date) -> bool:
        return self.done_on is None and today > self.due_on

    def soon(self, today: date, days: int = DEADLINE_SOON_DAYS) -> bool:
        return self.done_on is None and today <= self.due_on <= today + timedelta(days=days)

    @property
    def done(self) -> bool:
        return self.done_on is not None


@dataclass(frozen=True)
class IntegrityDeadlines:
    acknowledge: Deadline
    feedback: Deadline

    def overdue(self, today: date) -> bool:
        return self.acknowledge.overdue(today) or self.feedback.overdue(today)

    def soon(self, today: date, days: int = DEADLINE_SOON_DAYS) -> bool:
        return self.acknowledge.soon(today, days) or self.feedback.soon(today, days)

    def next_open(self) -> tuple[str, Deadline] | None:
        """The first deadline not yet met: ("acknowledge" | "feedback", deadline)."""
        if not self.acknowledge.done:
            return "acknowledge", self.acknowledge
        if not self.feedback.done:
            return "feedback", self.feedback
        return None


def integrity_deadlines(
    opened_on: date, acknowledged_on: date | None, feedback_on: date | None
) -> IntegrityDeadlines:
    return IntegrityDeadlines(
        acknowledge=Deadline(opened_on + timedelta(days=ACKNOWLEDGE_DAYS), acknowledged_on),
        feedback=Deadline(add_months(opened_on, FEEDBACK_MONTHS), feedback_on),
    )


def watch_cutoffs(today: date, days: int = DEADLINE_SOON_DAYS) -> tuple[date, date]:
    """The latest opening dates for which an unmet acknowledgement, and an unmet feedback,
    deadline (:func:`integrity_deadlines`) is overdue or soon ``today``: an unmet deadline
    is either iff it falls due by ``today + days``, and its due date never goes back as the
    opening date goes on. (Issue 17, session 9: the start page decides which open integrity
    reports to watch without making their deadlines one by one.)"""
    limit = today + timedelta(days=days)
    feedback = add_months(limit, -FEEDBACK_MONTHS) - timedelta(days=3)  # below the last one
    while add_months(feedback + timedelta(days=1), FEEDBACK_MONTHS) <= limit:
        feedback += timedelta(days=1)
    return limit - timedelta(days=ACKNOWLEDGE_DAYS), feedback


def retention_ends_on(closed_on: date, retention_months: int) -> date:
    """The first day on which the retention period after closing has passed."""
    return add_months(closed_on, retention_months)


def expected_erasure_on(opened_on: date, closed_on: date, retention_months: int) -> date:
    """When a closed case will be erased, assuming each year is reported once it is over:
    the later of the end of retention and 1 January after the last year the case counts in."""
    return max(retention_ends_on(closed_on, retention_months),
               date(max(opened_on.year, closed_on.year) + 1, 1, 1))


def fold(text: str) -> str:
    """Case- and accent-insensitive form for free-text search ("Élise" finds "elise").

    The search folds every decrypted field and note it looks at, so this runs on megabytes:
    ASCII text (most of it) is only lower-cased, and combining marks are looked up once per
    distinct character and removed with ``str.replace`` instead of a Python loop over every
    character (issue 15). The result is that of ``"".join(ch for ch in
    NFKD(casefold(text)) if not combining(ch))`` (tests/unit/test_casework.py checks it).
    """
    if text.isascii():
        return text.lower()  # NFKD and casefold change no ASCII character but the capitals
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    if decomposed.isascii():
        return decomposed
    for mark in {ch for ch in set(decomposed) if unicodedata.combining(ch)}:
        decomposed = decomposed.replace(mark, "")
    return decomposed
