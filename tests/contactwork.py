"""Helpers for the anonymous contact channel tests (issue 6): plain functions, no fixtures."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from vp_registry.config import Settings
from vp_registry.services.contact.channel import Submission
from vp_registry.services.infrastructure import audit
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.work import Work

RECEIPT_WORDS = re.compile(r'<p class="receipt-code"[^>]*>(.*?)</p>', re.S)
SPAN = re.compile(r"<span>([a-z]+)</span>")


def submission(**overrides: Any) -> Submission:
    values: dict[str, Any] = {
        "kind": "message",
        "message": "Mijn voorman maakt elke ochtend grappen over mijn accent.",
        "department_id": None,
        "category": "pesten",
        "contact": None,
    }
    values.update(overrides)
    return Submission(**values)


def as_sender(db: Session, settings: Settings) -> Work:
    """The unit of work of an anonymous sender (the channel's services name nobody)."""
    return Work(db, settings, Actor.anonymous())


def code_from_page(page: str) -> str:
    """The receipt code as the receipt page shows it (six words in boxes)."""
    match = RECEIPT_WORDS.search(page)
    assert match, "no receipt code on the page"
    words = SPAN.findall(match.group(1))
    assert len(words) == 6, words
    return " ".join(html.unescape(word) for word in words)


def without_csrf(page: str) -> str:
    """A page with its CSRF tokens blanked, to compare two answers byte for byte."""
    return re.sub(r'(name="csrf_token"[^>]*?value=")[^"]+"', r'\1"', page)


def chain_channel_entries(session: Session, settings: Settings) -> int:
    """Move the anonymous channel's waiting audit entries into the chain now, as the first
    append of the next day would (they hold their date only: services/infrastructure/audit.py)."""
    moved = audit.chain_waiting(session, settings.audit_key,
                                before=date.today() + timedelta(days=2))
    session.commit()
    return moved
