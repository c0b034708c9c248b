"""A logged-in page's header, rendered once per web session and what it shows, then reused
(issue 15, session 8): the header (brand, menu, the user's name and role, the logout and
language forms) cost a case page ~15 % of its template's CPU, for the same markup page after
page.

``templates/base.html`` asks :func:`kept_header` first. The header is kept in the web
session's memory in this worker (web/speedups/session_memory.py: per organisation and web
session, dropped at logout, at a lock and after the idle timeout), under everything it is
made of: the page's template, the language, the script root, the endpoint (the menu's
current item), the user's id, role and name (read with the session row on every request, so
a change made by another request or worker is a new key), the client organisation's slug
and name, and whether the switcher shows. The two values that change within a session - the
CSRF token (signed with a time) and the page's path with its query (the language form's
``next``) - are never kept: the kept header has marks in their place, filled in at each
request, escaped as autoescape does (the output is byte for byte the template's:
tests/web/test_speedups_header.py).

Not kept: anonymous pages, a page whose template overrides a block of the header (the
public contact and pulse pages), and a page of a request whose vault keys did not open (its
session's memory was just dropped: web/cases/common.current_keys) - those render as before.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import g, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from vp_registry.web.speedups import session_memory, template_i18n

# Random per process: a page's text cannot contain them by chance or on purpose (letters
# and digits: autoescape leaves them as they are).
CSRF_MARK = "vpcsrf" + secrets.token_hex(12)
NEXT_MARK = "vpnext" + secrets.token_hex(12)
_HEADER_BLOCKS = ("home_url", "language", "nav_items")
_CAPTURE = "_vp_header_capture"


def _header_key(context: Context) -> tuple[Any, ...] | None:
    """Everything the header is made of (None: this page's header is not kept)."""
    user = current_user._get_current_object()  # one proxy look-up, not seven
    if not user.is_authenticated:
        return None
    if any(len(context.blocks.get(name, ())) > 1 for name in _HEADER_BLOCKS):
        return None  # the page's template overrides part of the header
    if "vault_keys" in g and g.vault_keys is None:
        return None  # the vault did not open: the session's memory was dropped (a lock)
    from vp_registry.web.practice import header_organisation, shows_switcher

    state = template_i18n.current()
    client = header_organisation()
    return (context.name, state.locale_id if state else None, request.script_root,
            request.endpoint, user.id, user.role, user.display_name,
            (client.slug, client.name) if client is not None else None, shows_switcher())


@pass_context
def kept_header(context: Context) -> Markup | None:
    """This page's header as kept for its session, or None: then the template renders it
    (and :func:`keep_header` keeps it, when it may be kept)."""
    g.pop(_CAPTURE, None)
    key = _header_key(context)
    if key is None:
        return None
    kept = session_memory.headers()
    if kept is None:
        return None
    pieces = kept.get(key)
    if pieces is None:
        setattr(g, _CAPTURE, (kept, key))
        return None
    return filled(pieces)


def header_csrf() -> str:
    """The header's CSRF token: its mark while the header is rendered to be kept."""
    return CSRF_MARK if g.get(_CAPTURE) is not None else current_csrf()


def header_next() -> str:
    """The language form's ``next`` (this page's path and query): a mark likewise."""
    return NEXT_MARK if g.get(_CAPTURE) is not None else request.full_path.rstrip("?")


def keep_header(markup: Markup) -> Markup:
    """The rendered header: kept (with its marks) when :func:`kept_header` asked for it,
    and given back filled in."""
    capture = g.pop(_CAPTURE, None)
    if capture is None:
        return markup
    kept, key = capture
    pieces = pieces_of(str(markup))
    session_memory.keep_header(kept, key, pieces)
    return filled(pieces)


def pieces_of(text: str) -> tuple[str, ...]:
    """The text between the marks, and the marks: ('text', mark, 'text', mark, ...) (also
    for web/cases/filter_panel.py)."""
    pieces: list[str] = []
    for part_index, part in enumerate(text.split(CSRF_MARK)):
        if part_index:
            pieces.append(CSRF_MARK)
        for index, piece in enumerate(part.split(NEXT_MARK)):
            if index:
                pieces.append(NEXT_MARK)
            pieces.append(piece)
    return tuple(pieces)


def filled(pieces: tuple[str, ...]) -> Markup:
    """The kept pieces with this request's CSRF token and path (escaped as autoescape)."""
    values: dict[str, str] = {}
    out = []
    for piece in pieces:
        if piece in (CSRF_MARK, NEXT_MARK):
            if piece not in values:
                values[piece] = str(escape(current_csrf() if piece == CSRF_MARK
                                           else request.full_path.rstrip("?")))
            piece = values[piece]
        out.append(piece)
    return Markup("".join(out))  # noqa: S704  # nosec B704 # template output, escaped values


def current_csrf() -> str:
    """This request's CSRF token, as the templates' ``csrf_token()`` gives it."""
    return str(generate_csrf())


def init_app(app: Any) -> None:
    app.jinja_env.globals.update(kept_header=kept_header, keep_header=keep_header,
                                 header_csrf=header_csrf, header_next=header_next)
