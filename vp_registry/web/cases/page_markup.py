"""The case pages' small pieces of markup, written in Python (issue 15, session 11).

They were Jinja macros of ``cases/_macros.html``: a macro call costs a ``Macro`` object's
argument handling, a generator, a ``LoopContext`` for its loop and the joining of its output
(~8-10 µs), and the case page made six of them (status, deadline, categories, the narrative,
the next steps, and one per conversation for its notes). These write the same HTML - every
text escaped as ``{{ ... }}`` escapes it, the translated labels as the templates' ``_()``
gives them (the catalogue is trusted like the templates) - at the cost of a function call.
The template globals: ``case_status_label``, ``case_deadline``, ``case_category_list``,
``case_multiline``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from markupsafe import Markup, escape

from vp_registry.services.cases.records import CaseSummary
from vp_registry.web.cases.listing import deadline_note
from vp_registry.web.speedups.gettext import gettext as _
from vp_registry.web.templating import category_label

_DASH = Markup("—")
_NOTE = Markup('<span class="{}">{}</span>')


def status_label(case: CaseSummary) -> Markup:
    """"Open" or "Closed", translated."""
    return Markup(_("Open") if case.is_open else _("Closed"))  # noqa: S704  # nosec B704


def deadline(case: CaseSummary, today: date) -> Markup:
    """The next whistleblower deadline (:func:`.listing.deadline_note`) as a span, or
    nothing."""
    note = deadline_note(case, today)
    return _NOTE.format(note.css_class, note.text) if note else Markup()


def category_list(codes: Iterable[str], categories_by_code: Mapping[str, Any]) -> Markup:
    """The categories' labels in the request's language, a code without a category as it
    is, separated by commas."""
    return Markup(", ".join([  # noqa: S704  # nosec B704 # each part escaped
        escape(category_label(categories_by_code[code]) if code in categories_by_code else code)
        for code in codes]))


def multiline(text: str | None) -> Markup:
    """Free text with its line breaks as ``<br>`` (each line escaped), or a dash when empty.
    Escaping leaves line breaks as they are, so the escaped text's breaks are replaced (not
    ``Markup.join``: ~3 us a text, twice this)."""
    if not text:
        return _DASH
    return Markup(str.replace(escape(text), "\n", "<br>"))  # noqa: S704  # nosec B704
