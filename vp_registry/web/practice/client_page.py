"""What ``/clients`` prints of each organisation's part, made in one pass (issue 17, session 9).

The page links every organisation's start page, open cases and shown cases, and writes each
shown case's opening date and deadline note. Through the template's ``org_url`` and
``deadline_note`` macro that was a ``url_for`` per link and a macro call per case (~0.2 ms
per organisation). Here what is the same for every organisation is made once a page - each
endpoint's path (an organisation's only differs by its prefix), the case-link builder, the
request's date format - and every line becomes a plain record the template prints as it is.
The output is byte for byte what the macros wrote (tests/web/test_practice_overview.py
compares it with the macros' output, Dutch and English).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from flask import request

from vp_registry.services.cases.records import CaseSummary
from vp_registry.services.organisations.registry import Organisation
from vp_registry.services.practice.overview import ClientOverview
from vp_registry.web.cases.listing import DeadlineNote, deadline_note
from vp_registry.web.practice import PREFIX, main_url
from vp_registry.web.speedups import template_i18n
from vp_registry.web.speedups.template_i18n import format_date
from vp_registry.web.speedups.urls import url_builder


@dataclass(frozen=True, slots=True)
class CaseLine:
    """A shown case: its reference, link and what follows it (opening date or deadline)."""

    reference: str
    url: str
    opened: str
    note: DeadlineNote | None


@dataclass(frozen=True, slots=True)
class ClientPart:
    """One organisation's part as printed; ``found`` None: its case files cannot be opened
    in this session (the part names the organisation and where to see why)."""

    name: str
    start_url: str
    status_url: str
    open_url: str
    found: ClientOverview | None
    deadlines: list[CaseLine]
    recent: list[CaseLine]


class _Links:
    """The page's links into the organisations, each endpoint asked of ``url_for`` once."""

    def __init__(self) -> None:
        self.start = main_url("home.start")
        self.status = main_url("vault.status")
        self.open = main_url("cases.index", status="open")
        build, root = url_builder("cases.view", "reference"), request.script_root

        def case(reference: str) -> str:  # as org_case_urls, without the organisation's prefix
            path = build(reference)
            return path[len(root):] if root and path.startswith(root + "/") else path

        self.case = case


def client_parts(parts: Sequence[tuple[Organisation, ClientOverview | None]],
                 today: date) -> list[ClientPart]:
    """The printed parts, in the order given."""
    links = _Links()
    i18n = template_i18n.current()
    date_text = i18n.format_date if i18n is not None else format_date
    return [_part(organisation, found, links, today, date_text)
            for organisation, found in parts]


def _part(organisation: Organisation, found: ClientOverview | None, links: _Links,
          today: date, date_text: Callable[[date], str]) -> ClientPart:
    prefix = "" if organisation.is_home else f"{PREFIX}{organisation.slug}"

    def lines(cases: list[CaseSummary], *, notes: bool) -> list[CaseLine]:
        return [CaseLine(case.reference, prefix + links.case(case.reference),
                         "" if notes else date_text(case.opened_on),
                         deadline_note(case, today, date_text) if notes else None)
                for case in cases]

    return ClientPart(
        name=organisation.name, start_url=prefix + links.start,
        status_url=prefix + links.status, open_url=prefix + links.open, found=found,
        deadlines=lines(found.deadlines, notes=True) if found is not None else [],
        recent=lines(found.recent, notes=False) if found is not None else [])
