"""Templates compiled once per language, with their constant texts already translated.

A page of ~40-90 translated texts paid, on every request, a template call per text: Jinja's
``context.call``, the catalogue look-up, ``Markup`` and ``%`` formatting. The texts of a
template never change for a language, so :class:`LocalisedEnvironment` (the application's
Jinja environment) keeps one overlay environment per language, and that overlay compiles
each template with the request's catalogue in hand:

* ``_("text")`` / ``gettext("text")`` with a constant text and no variables becomes the
  translated text itself - a constant that Jinja joins with the template's own markup at
  compile time (as autoescaped output it is ``Markup``: the catalogue is trusted like the
  templates, exactly as Jinja's newstyle gettext treats it at run time);
* with variables (``_("Case %(reference)s", reference=...)``) it becomes the translated
  format string ``%`` the variables: still formatted per request, with each variable escaped
  as before (``Markup.__mod__``), but without the look-up and the call.

Everything else is unchanged: ``ngettext`` (its plural form depends on the number at run
time), a text given as a variable, and every call in a template that assigns ``_``,
``gettext`` or ``ngettext`` itself in the same or an enclosing scope (a loop variable, a
``{% set %}``, a macro argument or an import named like them: then the name does not mean
the global there) keep the run-time callables of :mod:`.template_i18n`. A format that would
fail (``%(name)s`` without the variable) is left to fail at run time as before.

The language is the one Flask-Babel chose for the request (:func:`.template_i18n.current`),
so ``force_locale`` and the locale cookie work as before; outside a request, or with
:attr:`LocalisedEnvironment.compile_translations` off, templates load as plain Jinja does.
The compiled templates hold only the application's own texts (no organisation, user or case
data), so one set per language serves every organisation. ``tests/web/test_template_i18n.py``
renders pages of every role in both languages both ways and asserts the same HTML.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, MutableMapping
from typing import Any

from flask import Flask
from flask.templating import Environment
from jinja2 import nodes
from jinja2.environment import Template, create_cache
from jinja2.visitor import NodeTransformer

from vp_registry.web.speedups import template_i18n
from vp_registry.web.speedups.template_globals import FlatGlobalsTemplate

GETTEXT_NAMES = frozenset({"_", "gettext"})
SHADOWING_NAMES = GETTEXT_NAMES | {"ngettext"}
# nodes whose body is a scope of its own: a name assigned inside stays inside
_SCOPES = (nodes.Template, nodes.Macro, nodes.CallBlock, nodes.For, nodes.With,
           nodes.Block, nodes.FilterBlock, nodes.Scope, nodes.OverlayScope)


class Translator:
    """The catalogue of one language, as the run-time callables read it."""

    def __init__(self, translations: Any) -> None:
        self._translations = translations

    def gettext(self, message: str) -> str:
        return str(self._translations.ugettext(message))


def _assigns_gettext(node: nodes.Node) -> bool:
    """Does this node itself (not a nested scope) bind ``_``, ``gettext`` or ``ngettext``?"""
    if isinstance(node, nodes.Name):
        return node.ctx in ("store", "param") and node.name in SHADOWING_NAMES
    if isinstance(node, nodes.Import):
        return node.target in SHADOWING_NAMES
    if isinstance(node, nodes.FromImport):
        return any((name if isinstance(name, str) else name[1]) in SHADOWING_NAMES
                   for name in node.names)
    return False


def scope_assigns(scope: nodes.Node) -> bool:
    """Does the scope bind one of the names anywhere outside its nested scopes?"""
    pending = list(scope.iter_child_nodes())
    while pending:
        node = pending.pop()
        if _assigns_gettext(node):
            return True
        if not isinstance(node, _SCOPES):  # a nested scope's names stay inside it
            pending.extend(node.iter_child_nodes())
    return False


class _Resolver(NodeTransformer):
    """Replaces constant gettext calls by their translation (see the module's docstring)."""

    def __init__(self, translator: Translator) -> None:
        self.translator = translator
        self.shadowed: list[bool] = [False]

    def generic_visit(self, node: nodes.Node, *args: Any, **kwargs: Any) -> nodes.Node:
        if isinstance(node, _SCOPES):
            self.shadowed.append(self.shadowed[-1] or scope_assigns(node))
            try:
                return super().generic_visit(node, *args, **kwargs)
            finally:
                self.shadowed.pop()
        return super().generic_visit(node, *args, **kwargs)

    def visit_Call(self, node: nodes.Call) -> nodes.Node:
        node = self.generic_visit(node)  # type: ignore[assignment]
        message = _constant_message(node)
        if message is None or self.shadowed[-1]:
            return node
        text = self.translator.gettext(message)
        if not node.kwargs:
            try:
                value = text % {}  # what the run-time path does: "%%" -> "%"
            except (KeyError, TypeError, ValueError):
                return node  # fails at run time, as before
            return nodes.MarkSafeIfAutoescape(nodes.Const(value), lineno=node.lineno)
        variables = nodes.Dict([nodes.Pair(nodes.Const(keyword.key), keyword.value,
                                           lineno=node.lineno)
                                for keyword in node.kwargs], lineno=node.lineno)
        return nodes.Mod(nodes.MarkSafeIfAutoescape(nodes.Const(text), lineno=node.lineno),
                         variables, lineno=node.lineno)


def _constant_message(node: nodes.Call) -> str | None:
    """The message of ``_("...")``/``gettext("...", name=value...)``, else None."""
    if not (isinstance(node.node, nodes.Name) and node.node.name in GETTEXT_NAMES
            and node.node.ctx == "load"):
        return None
    if node.dyn_args is not None or node.dyn_kwargs is not None or len(node.args) != 1:
        return None
    argument = node.args[0]
    if not (isinstance(argument, nodes.Const) and isinstance(argument.value, str)):
        return None
    return str(argument.value)


def resolve_translations(tree: nodes.Template, translator: Translator) -> nodes.Template:
    """The template's syntax tree with its constant texts translated."""
    resolved = _Resolver(translator).visit(tree)
    if not isinstance(resolved, nodes.Template):  # the root is never replaced
        raise TypeError(resolved)
    return resolved


class LocalisedEnvironment(Environment):
    """Flask's environment that loads each template from the overlay of the request's
    language; the overlays compile with :func:`resolve_translations`."""

    compile_translations = True
    # the globals copied and compared at C speed (issue 15, session 10; same results)
    template_class = FlatGlobalsTemplate
    _locale_id: str | None = None
    _translator: Translator | None = None
    _by_locale: dict[str, LocalisedEnvironment]
    _lock: threading.Lock

    @classmethod
    def replacing(cls, environment: Environment) -> LocalisedEnvironment:
        """The same environment (globals, filters, policies, loader: the same objects), of
        this class, with an empty template cache."""
        localised = object.__new__(cls)
        localised.__dict__.update(environment.__dict__)
        localised.extensions = {key: extension.bind(localised)
                                for key, extension in environment.extensions.items()}
        localised.cache = create_cache(localised._cache_capacity())
        localised._by_locale = {}
        localised._lock = threading.Lock()
        return localised

    def _load_template(self, name: str,
                       globals: MutableMapping[str, Any] | None) -> Template:
        if self._locale_id is None and self.compile_translations:
            state = template_i18n.current()
            if state is not None:
                return self.for_locale(state.locale_id, state.translations)._load_template(
                    name, globals)
        return super()._load_template(name, globals)

    def for_locale(self, locale_id: str, translations: Any) -> LocalisedEnvironment:
        """The overlay of one language (made at its first request)."""
        found: LocalisedEnvironment | None = self._by_locale.get(locale_id)
        if found is None:
            with self._lock:
                found = self._by_locale.get(locale_id)
                if found is None:
                    found = self.overlay(cache_size=self._cache_capacity())
                    found._locale_id = locale_id
                    found._translator = Translator(translations)
                    found.linked_to = self
                    self._by_locale[locale_id] = found
        return found

    def _cache_capacity(self) -> int:
        capacity = getattr(self.cache, "capacity", None)
        return capacity if isinstance(capacity, int) else 400

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        if self._translator is not None:
            tree = resolve_translations(tree, self._translator)
        return tree

    def locales(self) -> Iterator[str]:
        """The languages compiled so far (for tests and benchmarks)."""
        return iter(tuple(self._by_locale))


def init_app(app: Flask) -> None:
    """Make the application's environment a :class:`LocalisedEnvironment` (after every
    extension has configured it, before the first template is loaded)."""
    environment = app.jinja_env
    if not isinstance(environment, LocalisedEnvironment):
        app.jinja_env = LocalisedEnvironment.replacing(environment)

