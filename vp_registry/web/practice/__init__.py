"""The practice's pages (issue 17), in the main database's URL space only.

``/practice/organisations`` (role ``practice_admin``): the client organisations, and creating
one. ``/clients`` and ``/clients/hours``: the counsellor's overview across clients, from the
sessions this browser holds in each organisation (web/practice/client_sessions.py). Under an
organisation's prefix (``/o/<slug>/clients``) or host these pages do not exist: a plain 404.

Also here: the template helpers of the header (the organisation's name, the counsellor's
switcher) and of links into another organisation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask import Blueprint, abort, request, url_for
from flask_login import user_logged_out

from vp_registry.web.organisation import COOKIE_PREFIX, current_organisation
from vp_registry.web.speedups.urls import url_builder

if TYPE_CHECKING:
    from vp_registry.services.organisations.registry import Organisation

blueprint = Blueprint("practice", __name__)
PREFIX = "/o/"


@blueprint.before_request
def _home_only() -> None:
    if not current_organisation().is_home:
        abort(404)


def main_url(endpoint: str, **values: Any) -> str:
    """A URL of the main database's URL space, from any organisation's request (url_for
    puts the current organisation's prefix in front)."""
    path = url_for(endpoint, **values)
    root = request.script_root
    return path[len(root):] if root and path.startswith(root + "/") else path


def org_url(organisation: Organisation, endpoint: str, **values: Any) -> str:
    """A URL of ``organisation``'s pages under its prefix (the home organisation: none)."""
    path = main_url(endpoint, **values)
    return path if organisation.is_home else f"{PREFIX}{organisation.slug}{path}"


def org_case_urls(organisation: Organisation) -> Callable[[str], str]:
    """``reference -> org_url(organisation, "cases.view", reference=reference)``, with one
    ``url_for`` for all of them (web/speedups/urls.py): ``/clients`` links every shown case
    of every organisation."""
    build = url_builder("cases.view", "reference")
    root = request.script_root
    prefix = "" if organisation.is_home else f"{PREFIX}{organisation.slug}"

    def url(reference: str) -> str:
        path = build(reference)
        return prefix + (path[len(root):] if root and path.startswith(root + "/") else path)

    return url


def header_organisation() -> Organisation | None:
    """The organisation the header names: a client organisation, never the home one (an
    installation with one organisation looks as it always did)."""
    organisation = current_organisation()
    return None if organisation.is_home else organisation


def shows_switcher() -> bool:
    """Whether a counsellor's header offers the overview of all clients: on a client
    organisation's pages served under /o/<slug>/ (its own host has no cookies of the
    others), or at home once the browser holds another organisation's session cookie."""
    organisation = current_organisation()
    if not organisation.is_home:
        return request.script_root.startswith(PREFIX)
    return any(name.startswith(COOKIE_PREFIX) for name in request.cookies)


for _helper in (main_url, org_url, org_case_urls, header_organisation, shows_switcher):
    blueprint.add_app_template_global(_helper)


def init_blueprint() -> Blueprint:
    """The blueprint with its views (imported here: they import this module)."""
    from vp_registry.web.practice import clients, organisations  # noqa: F401 - the views
    from vp_registry.web.practice.overviews import drop_at_logout

    user_logged_out.connect(drop_at_logout)  # the same receiver once, however many apps
    return blueprint
