"""Generic error pages that leak nothing (no stack trace, no exception text)."""

from __future__ import annotations

from flask import Flask, current_app, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from vp_registry.core.taxonomy import N_
from vp_registry.services.errors import NotFound
from vp_registry.web.database import current_work

TITLES = {
    400: N_("The request could not be handled"),
    401: N_("Please log in"),
    403: N_("No access"),
    404: N_("Page not found"),
    405: N_("The request could not be handled"),
    413: N_("Too much data"),
    429: N_("Too many requests"),
    500: N_("Something went wrong"),
}
EXPLANATIONS = {
    400: N_("The page received something it could not use. Go back and try again."),
    401: N_("This page is only available after logging in."),
    403: N_("Your account has no access to this page."),
    404: N_("This page does not exist (any more). Check the address or use the menu."),
    405: N_("The request could not be handled. Go back and try again."),
    413: N_("What you sent is larger than allowed. Shorten the text or send a smaller file."),
    429: N_("Too many requests in a short time. Wait a moment and try again."),
    500: N_("An unexpected error occurred. Nothing was saved. Please try again later."),
}


def render_error(code: int, explanation: str | None = None) -> tuple[str, int]:
    status = code if code in TITLES else 500
    return render_template(
        "errors/error.html",
        code=status,
        title=_(TITLES[status]),
        explanation=explanation or _(EXPLANATIONS[status]),
    ), status


def _http_error(error: HTTPException) -> tuple[str, int]:
    return render_error(error.code or 500)


def _csrf_error(_error: CSRFError) -> tuple[str, int]:
    return render_error(400, _("The form had expired or was sent from elsewhere. "
                               "Reload the page and try again."))


def _server_error(error: Exception) -> tuple[str, int]:
    # The traceback goes to the log for the operator; never request data or form content.
    current_app.logger.error("unhandled %s on endpoint %s", type(error).__name__,
                             request.endpoint, exc_info=error)
    return render_error(500)


def _not_found(_error: NotFound) -> tuple[str, int]:
    """A record that does not exist (an unknown id in any area): the 404 page, and nothing of
    the request is stored. One handler for the whole application."""
    current_work().rollback()
    return render_error(404)


def init_app(app: Flask) -> None:
    app.register_error_handler(NotFound, _not_found)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _server_error)
