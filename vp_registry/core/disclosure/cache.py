"""Components cached by their constraint set, shared across audits and threads - within one
organisation: each organisation has its own cache (issue 17), so no component, witness table,
eviction or timing is shared between organisations served by one process.
The namespace comes from a function the application registers (:func:`set_namespace`; this
package stays free of Flask); without one it is "" (one organisation, benchmarks, tests)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Final

from vp_registry.core.disclosure.component import (
    _Component,
)
from vp_registry.core.disclosure.solver import (
    _Constraint,
)

_CACHE_SIZE: Final = 256


_DONORS: Final = 3


def _no_namespace() -> str:
    return ""


_namespace: Callable[[], str] = _no_namespace


def set_namespace(provider: Callable[[], str]) -> None:
    """Register the function that names the current organisation (the application's)."""
    global _namespace
    _namespace = provider


class _ComponentCache:
    """LRU cache of components keyed by their constraint set, one per organisation, each of
    its own size: no organisation's work evicts another's entries (thread-safe)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._spaces: dict[str, OrderedDict[frozenset[_Constraint], _Component]] = {}
        self._lock = threading.Lock()

    def _space(self) -> OrderedDict[frozenset[_Constraint], _Component]:
        """The current organisation's entries (call with the lock held)."""
        return self._spaces.setdefault(_namespace(), OrderedDict())

    def get(
        self, key: frozenset[_Constraint], build: Callable[[], _Component]
    ) -> _Component:
        with self._lock:
            items = self._space()
            found = items.get(key)
            if found is not None:
                items.move_to_end(key)
                return found
        made = build()
        with self._lock:
            items = self._space()
            items[key] = made
            while len(items) > self._size:
                items.popitem(last=False)
        return made

    def recent(self, count: int, exclude: _Component) -> list[_Component]:
        """The ``count`` most recently used components of the current organisation other
        than ``exclude``, newest first."""
        with self._lock:
            found: list[_Component] = []
            for item in reversed(self._space().values()):
                if item is not exclude:
                    found.append(item)
                    if len(found) == count:
                        break
            return found

    def clear(self) -> None:
        with self._lock:
            self._spaces.clear()


_CACHE: Final = _ComponentCache(_CACHE_SIZE)


class _VerdictCache:
    """Per organisation: whether the units of a component shape (``scope.shape_key``: rows
    and units by position, no names, no counts) include a narrowed one - the decision audits'
    answer (``audit(decision=True)``), shared by every slot or total of the same shape."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._spaces: dict[str, OrderedDict[bytes, bool]] = {}
        self._lock = threading.Lock()

    def get(self, key: bytes) -> bool | None:
        with self._lock:
            items = self._spaces.setdefault(_namespace(), OrderedDict())
            found = items.get(key)
            if found is not None:
                items.move_to_end(key)
            return found

    def put(self, key: bytes, disclosed: bool) -> None:
        with self._lock:
            items = self._spaces.setdefault(_namespace(), OrderedDict())
            items[key] = disclosed
            while len(items) > self._size:
                items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._spaces.clear()


_VERDICTS: Final = _VerdictCache(16 * 1024)


def clear_cache() -> None:
    """Forget cached components and verdicts (for benchmarks and tests)."""
    _CACHE.clear()
    _VERDICTS.clear()
