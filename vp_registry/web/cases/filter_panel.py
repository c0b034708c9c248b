"""The case list's filter panel without a filter, rendered once per web session and what it
offers, then reused (issue 15, session 8): building the filter form and writing its six
fields cost about a quarter of the list's view, for the same markup page after page.

Kept only when the session keeps no filter: the panel then holds no input of the user at
all - the organisation's categories, departments and case years as choices, the labels of
the request's language, every field at its default. It is kept in the web session's memory
in this worker (web/speedups/session_memory.py: per organisation and web session, dropped at
logout, at a lock and after the idle timeout), under the language and script root, and
reused only while the departments and categories (the application's directory) and the
case years are the ones it was made from - identical objects, or equal ones when the
application's short caches read them again - so a department renamed or a category added
elsewhere shows at once. The CSRF token is never kept: a mark in its place is filled in at
each request (web/speedups/header.py). The output is byte for byte the template's
(tests/web/test_filter_panel.py).
"""

from __future__ import annotations

from flask import g, request
from markupsafe import Markup

from vp_registry.web.cases import case_form
from vp_registry.web.speedups import header, session_memory, template_i18n

_CAPTURE = "_vp_filter_panel_capture"


def kept() -> Markup | None:
    """The unfiltered panel as this session kept it, or None: then the template renders it
    (and :func:`keep` keeps it)."""
    g.pop(_CAPTURE, None)
    panels = session_memory.panels()
    if panels is None:
        return None
    state = template_i18n.current()
    key = ("filter panel", state.locale_id if state else None, request.script_root)
    directory, years = case_form.directory(), case_form.case_years()
    found = panels.get(key)
    if found is not None and (found[0] is directory or found[0] == directory) \
            and (found[1] is years or found[1] == years):
        if found[0] is not directory or found[1] is not years:
            panels[key] = (directory, years, found[2])  # the same choices, read again
        return header.filled(found[2])
    setattr(g, _CAPTURE, (panels, key, directory, years))
    return None


def panel_csrf() -> str:
    """The panel's CSRF token: its mark while the panel is rendered to be kept."""
    return header.CSRF_MARK if g.get(_CAPTURE) is not None else header.current_csrf()


def keep(markup: Markup) -> Markup:
    """The rendered panel: kept when :func:`kept` asked for it, and given back filled in."""
    capture = g.pop(_CAPTURE, None)
    if capture is None:
        return markup
    panels, key, directory, years = capture
    pieces = header.pieces_of(str(markup))
    session_memory.keep_panel(panels, key, (directory, years, pieces))
    return header.filled(pieces)

