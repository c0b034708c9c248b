"""Deny by default (docs/design.md I-6), and one answer to access errors.

Every view declares who may use it with ``@roles(...)`` or ``@public``. A single
``before_request`` hook refuses any endpoint without a declaration, so a forgotten decorator
fails closed. ``tests/web/test_authorisation.py`` walks the URL map against a table.

An access error (:class:`~vp_registry.services.errors.AccessDenied`: no vault key in this
session, no grant) raised anywhere gets one application-wide answer, the explanation page;
no area registers its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, current_app, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from vp_registry.core.taxonomy import Role
from vp_registry.services.errors import AccessDenied
from vp_registry.web.cases.common import locked_page

PUBLIC = "public"
ANY_ROLE = frozenset(role.value for role in Role)  # the practice admin too (issue 17)
View = TypeVar("View", bound=Callable[..., Any])


def roles(*allowed: Role) -> Callable[[View], View]:
    def decorate(view: View) -> View:
        view.allowed_roles = frozenset(role.value for role in allowed)  # type: ignore[attr-defined]
        return view

    return decorate


def authenticated(view: View) -> View:
    view.allowed_roles = ANY_ROLE  # type: ignore[attr-defined]
    return view


def public(view: View) -> View:
    view.allowed_roles = frozenset({PUBLIC})  # type: ignore[attr-defined]
    return view


def allowed_roles_of(app: Flask, endpoint: str) -> frozenset[str] | None:
    if endpoint == "static":
        return frozenset({PUBLIC})
    view = app.view_functions.get(endpoint)
    return getattr(view, "allowed_roles", None)


def enforce_access() -> Response | None:
    endpoint = request.endpoint
    if endpoint is None:  # no route matched: the 404/405 handlers answer
        return None
    allowed = allowed_roles_of(current_app, endpoint)
    if allowed is None:
        current_app.logger.error("refused endpoint without role declaration: %s", endpoint)
        abort(403)
    if PUBLIC in allowed:
        return None
    if not current_user.is_authenticated:
        if request.method == "GET":
            # the path only: a query string may hold what was typed (issue 11, item 3)
            return redirect(url_for("auth.login", next=request.path))
        abort(401)
    if current_user.role not in allowed:
        abort(403)
    return None


def _access_denied(_error: AccessDenied) -> tuple[str, int]:
    """The explanation page (200), whatever area raised it; nothing of the request is stored."""
    return locked_page()


def init_app(app: Flask) -> None:
    app.before_request(enforce_access)
    app.register_error_handler(AccessDenied, _access_denied)
