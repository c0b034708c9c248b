"""Translate domain errors for people (web pages and CLI output alike)."""

from __future__ import annotations

from flask_babel import gettext

from vp_registry.services.errors import AccessDenied, DomainError


def describe(error: DomainError | AccessDenied) -> str:
    """The error's message in the current locale, with its parameters filled in."""
    return str(gettext(error.message, **error.params))
