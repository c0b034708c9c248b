"""Shared form helpers."""

from __future__ import annotations

from flask import request
from flask_wtf import FlaskForm

from vp_registry.messages import describe
from vp_registry.services.errors import DomainError


def show_error(form: FlaskForm, error: DomainError, default_field: str) -> None:
    """Put a domain error's translated message under the field it concerns."""
    name = error.field if error.field and hasattr(form, error.field) else default_field
    getattr(form, name).errors.append(describe(error))


MAX_PAGE = 100_000


def page_number() -> int:
    """The list page asked for in ``?page=``: 1 when absent or not a number, and never
    beyond MAX_PAGE (a larger number overflows the database's integer OFFSET)."""
    asked = request.args.get("page", 1, type=int) or 1
    return min(MAX_PAGE, max(1, asked))
