"""Form widgets that write the same HTML as WTForms' own, for less CPU.

WTForms 3.3's ``Select`` writes every option through ``html_params`` (a ``string.Formatter``
pass per attribute) and looks up ``render_option``'s signature on every render: the case
list's five filter selects cost more than the rest of the page. :class:`Select` writes plain
options (no attributes of their own) directly, escaping plain strings without a ``Markup``
object each; anything else goes the WTForms way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from markupsafe import Markup, escape
from wtforms import SelectChoice, widgets


def escaped_text(text: Any) -> str:
    """``str(markupsafe.escape(text))``: a plain string by five replacements (0.4 µs instead
    of 1.6: no ``Markup`` object per option), anything else (a number, a lazy or ``Markup``
    label with its own ``__html__``) by ``escape`` itself."""
    if type(text) is not str:
        return str(escape(text))
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("'", "&#39;").replace('"', "&#34;"))


class Select(widgets.Select):  # type: ignore[misc]
    """``wtforms.widgets.Select`` with the same output (attributes in WTForms' sorted order:
    ``<option selected value="...">``).

    The options of a list of plain choices are written once and kept (:func:`_options`), keyed
    by the choices themselves - values, labels and the labels' types - and the field's coerce:
    the same choices give the same options whoever asks, so nothing is shared but what the key
    holds. Which option is selected is decided at each call (the field's data is not kept).
    """

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        options = None if self.multiple else _options(field)
        if options is None:
            choices = () if self.multiple or field.has_groups() else field.iter_choices()
            if not choices or any(choice.render_kw for choice in choices):
                return cast(Markup, super().__call__(field, **kwargs))
            options = tuple(_option(field.coerce, choice.value, choice.label)
                            for choice in choices)
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for name in dir(flags):
            if name in self.validation_attrs and name not in kwargs:
                kwargs[name] = getattr(flags, name)
        data = field.data
        html = [_select_tag(field.name, kwargs),
                *[selected if value == data else plain for value, plain, selected in options],
                "</select>"]
        return Markup("".join(html))  # noqa: S704  # nosec B704 # escaped in _option


def _select_tag(name: str, attributes: dict[str, Any]) -> str:
    """``<select ...>`` as WTForms writes it (``html_params``: a Markup format per attribute),
    kept per name and attributes when they are plain strings, numbers and flags."""
    try:
        # with the values' types: 1 and True, a str and its Markup are equal, written apart
        key = (name, *sorted((item, type(value), value) for item, value in attributes.items()))
        found = _TAGS.get(key)
    except TypeError:  # an unhashable or unorderable attribute value
        return f"<select {widgets.html_params(name=name, **attributes)}>"
    if found is None:
        found = f"<select {widgets.html_params(name=name, **attributes)}>"
        if all(type(value) in (str, int, bool) for value in attributes.values()):
            if len(_TAGS) >= _MAX_KEPT:
                _TAGS.clear()
            _TAGS[key] = found
    return found


_TAGS: dict[tuple[Any, ...], str] = {}
_Options = tuple[tuple[Any, str, str], ...]  # (coerced value, option, option selected)
_KEPT: dict[tuple[Any, ...], _Options] = {}
_MAX_KEPT = 512


def _option(coerce: Callable[[Any], Any], value: Any, label: Any) -> tuple[Any, str, str]:
    """An option, written unselected and selected, with its value as the field compares it
    (WTForms: ``coerce(value) == data``)."""
    shown = str(value) if isinstance(value, bool) else value
    shown = escaped_text(shown).replace('"', "&quot;")  # as html_params
    text = escaped_text(label or value)
    try:
        coerced = coerce(value)
    except (TypeError, ValueError):
        coerced = _NEVER
    return (coerced, f'<option value="{shown}">{text}</option>',
            f'<option selected value="{shown}">{text}</option>')


_NEVER = object()  # a value that cannot be coerced is never selected (WTForms would raise)


def _options(field: Any) -> _Options | None:
    """The kept options of a field whose choices are a list of plain ``SelectChoice``s
    (None: anything else, written at each call)."""
    choices = getattr(field, "_choices", None)
    if type(choices) is not list or getattr(field, "_choices_callable", None) is not None:
        return None
    key: list[Any] = [field.coerce]
    for choice in choices:
        if type(choice) is not SelectChoice or choice.render_kw or choice.optgroup is not None:
            return None
        label = choice.label
        # the types too: 1 and True are equal keys but different options
        key.append((type(choice.value), choice.value, type(label),
                    label if type(label) is str else str(label)))
    kept_key = tuple(key)
    try:
        found = _KEPT.get(kept_key)
    except TypeError:  # an unhashable value: written at each call
        return None
    if found is None:
        found = tuple(_option(field.coerce, choice.value, choice.label) for choice in choices)
        if len(_KEPT) >= _MAX_KEPT:
            _KEPT.clear()
        _KEPT[kept_key] = found
    return found
