"""Shared form helpers."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from babel import support
from flask import request
from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms.i18n import messages_path

from vp_registry.messages import describe
from vp_registry.services.errors import DomainError


@lru_cache(maxsize=8)
def _wtforms_catalogue(locale: str) -> support.NullTranslations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class Form(FlaskForm):  # type: ignore[misc]
    """Every form of the application: Flask-WTF's, with WTForms' own messages ("This field is
    required.") translated from a catalogue read once per language and process, where
    Flask-WTF reads and parses it again in every request that shows a form."""

    class Meta(FlaskForm.Meta):  # type: ignore[misc]
        def get_translations(self, form: Any) -> support.NullTranslations:
            return _wtforms_catalogue(str(get_locale() or "nl"))


def add_problems(form: FlaskForm, problems: Iterable[DomainError]) -> None:
    """Put each of a service's problems under the field it names, where the form's own
    checks left no message (one message a field; the first one is the most basic)."""
    for problem in problems:
        field = getattr(form, problem.field, None) if problem.field else None
        if field is not None and not field.errors:
            field.errors = [*field.errors, describe(problem)]


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
