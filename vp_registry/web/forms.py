"""Shared form helpers."""

from __future__ import annotations

from flask_wtf import FlaskForm

from vp_registry.messages import describe
from vp_registry.services.errors import DomainError


def show_error(form: FlaskForm, error: DomainError, default_field: str) -> None:
    """Put a domain error's translated message under the field it concerns."""
    name = error.field if error.field and hasattr(form, error.field) else default_field
    getattr(form, name).errors.append(describe(error))
