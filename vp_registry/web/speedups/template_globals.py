"""A Jinja template whose two walks over its globals per page run at C speed (issue 15,
session 10).

A template's globals are a ``ChainMap`` (its own over the environment's ~40: Jinja's
``Environment.make_globals``). At every render Jinja copies them into the page's context
(``dict(chainmap)``: a Python-level ``ChainMap.__getitem__`` per name), and at every
``{% from ... import ... %}`` it compares the context's global names with the imported
template's (``set - chainmap.keys()``: a Python-level membership test per name through the
maps). Both cost ~20 µs each on this machine - some 3 % of a case page.

:class:`FlatGlobalsTemplate` does the same two things with dictionary merges and a set
difference over the maps, which give the same result: the copy holds the same names in the
same order with the same values (the first map holding a name wins, as in ``ChainMap``),
taken at the same moment (each render), so a global changed after a template was loaded is
seen as before. Everything else is Jinja's ``Template``.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping, MutableMapping
from typing import Any

from jinja2 import Template
from jinja2.runtime import Context, new_context


def _flat(globals_: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """``dict(globals_)``: for a ChainMap, its maps merged from the last to the first."""
    if not isinstance(globals_, ChainMap):
        return globals_
    merged: dict[str, Any] = {}
    for mapping in reversed(globals_.maps):
        merged.update(mapping)
    return merged


class FlatGlobalsTemplate(Template):
    """``jinja2.Template`` with its globals copied and compared at C speed (same results)."""

    def new_context(self, vars: dict[str, Any] | None = None, shared: bool = False,
                    locals: Mapping[str, Any] | None = None) -> Context:
        return new_context(self.environment, self.name, self.blocks, vars, shared,
                           _flat(self.globals), locals)

    def _get_default_module(self, ctx: Context | None = None) -> Any:
        globals_ = self.globals
        if ctx is not None and isinstance(globals_, ChainMap) and not self.environment.is_async:
            # Jinja: keys = ctx.globals_keys - self.globals.keys()
            keys = ctx.globals_keys.difference(*globals_.maps)
            if keys:
                return self.make_module({key: ctx.parent[key] for key in keys})
            ctx = None  # no new global: the module made once (Jinja's own path)
        return super()._get_default_module(ctx)
