"""The main menu: which items a role sees, and which one is the page the user is on.

An item is ``aria-current="page"`` when the request is for that item's own page, and
``aria-current="true"`` when the page belongs to the item's part of the app (a case under
"Cases", a year's report under "Annual report") and no item is the page itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request, url_for

from vp_registry.app_state import app_state
from vp_registry.core.taxonomy import N_, Role
from vp_registry.web.speedups import template_i18n
from vp_registry.web.speedups.gettext import gettext as _


@dataclass(frozen=True)
class _Entry:
    label: str  # English source, marked with N_
    endpoint: str
    section: tuple[str, ...] = ()  # further endpoints (or "blueprint." prefixes) of this part
    arguments: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class MenuItem:
    label: str
    url: str
    current: str | None  # "page", "true" or None: the value of aria-current


_START = _Entry(N_("Start"), "home.start")
_SECTIONS: dict[Role, tuple[_Entry, ...]] = {
    Role.COUNSELLOR: (
        _START,
        _Entry(N_("Cases"), "cases.index", ("cases.",)),
        _Entry(N_("New case"), "cases.create"),
        _Entry(N_("Colleagues"), "vault.colleagues", ("vault.",)),
        _Entry(N_("Signals"), "signals.index", ("signals.",)),
        _Entry(N_("Pulse"), "pulse.rounds_list", ("pulse.",)),
        _Entry(N_("Annual report"), "reports.index", ("reports.",)),
        _Entry(N_("Activities"), "activities.index", ("activities.",)),
        _Entry(N_("Messages"), "messages.index", ("messages.",)),
        _Entry(N_("Public profile"), "messages.profile",
               ("messages.upload_photo", "messages.remove_photo")),
    ),
    Role.MANAGER: (
        _START,
        _Entry(N_("Signals"), "management.overview", ("management.",)),
        _Entry(N_("Pulse results"), "pulse_results.released_rounds", ("pulse_results.",)),
        _Entry(N_("Annual reports"), "reports.published", ("reports.view", "reports.download")),
    ),
    Role.ADMIN: (
        _START,
        _Entry(N_("Accounts"), "admin.users",
               ("admin.create_user", "admin.reset_password", "admin.set_user_active")),
        _Entry(N_("Departments"), "admin.departments",
               ("admin.edit_department", "admin.import_departments")),
        _Entry(N_("Categories"), "admin.categories",
               ("admin.edit_category", "admin.delete_category")),
        _Entry(N_("Pulse"), "pulse.rounds_list", ("pulse.",)),
        _Entry(N_("Audit log"), "admin.audit_log"),
        _Entry(N_("Public page"), "contact.edit_text", (), (("locale", "nl"),)),
    ),
    Role.PRACTICE_ADMIN: (  # issue 17: the main database's client organisations
        _START,
        _Entry(N_("Organisations"), "practice.organisations", ("practice.",)),
    ),
}
_ACCOUNT = (_Entry(N_("Password"), "auth.change_password"),)


def _in_section(entry: _Entry, endpoint: str) -> bool:
    return any(endpoint == part or (part.endswith(".") and endpoint.startswith(part))
               for part in entry.section)


def _items(entries: tuple[_Entry, ...], endpoint: str) -> tuple[MenuItem, ...]:
    """The items for this page, built once per role's entries, page, language and script
    root in this application (issue 15): labels and URLs are the same for every request."""
    menus = app_state().menus
    state = template_i18n.current()  # the request's language without a Flask-Babel look-up
    key = (entries, endpoint, state.locale_id if state else None, request.script_root)
    found = menus.get(key)
    if found is None:
        found = menus[key] = tuple(_build(entries, endpoint))
    return found


def _build(entries: tuple[_Entry, ...], endpoint: str) -> list[MenuItem]:
    is_page = [entry.endpoint == endpoint for entry in entries]
    in_section = [not any(is_page) and _in_section(entry, endpoint) for entry in entries]
    marked_section = False
    items = []
    for entry, page, section in zip(entries, is_page, in_section, strict=True):
        current = "page" if page else None
        if section and not marked_section:
            current, marked_section = "true", True
        arguments: dict[str, Any] = dict(entry.arguments)
        items.append(MenuItem(_(entry.label), url_for(entry.endpoint, **arguments), current))
    return items


def main_menu(role: str) -> tuple[MenuItem, ...]:
    """The menu's parts of the app for ``role``, in order."""
    return _items(_SECTIONS.get(Role(role), ()), request.endpoint or "")


def account_menu() -> tuple[MenuItem, ...]:
    """The user's own links (the logout button is a form in the template)."""
    return _items(_ACCOUNT, request.endpoint or "")
