"""Components cached by their constraint set, shared across audits and threads."""

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


class _ComponentCache:
    """LRU cache of components keyed by their constraint set (thread-safe)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[frozenset[_Constraint], _Component] = OrderedDict()
        self._lock = threading.Lock()

    def get(
        self, key: frozenset[_Constraint], build: Callable[[], _Component]
    ) -> _Component:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        made = build()
        with self._lock:
            self._items[key] = made
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return made

    def recent(self, count: int, exclude: _Component) -> list[_Component]:
        """The ``count`` most recently used components other than ``exclude``, newest first."""
        with self._lock:
            found: list[_Component] = []
            for item in reversed(self._items.values()):
                if item is not exclude:
                    found.append(item)
                    if len(found) == count:
                        break
            return found

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_CACHE: Final = _ComponentCache(_CACHE_SIZE)


def clear_cache() -> None:
    """Forget cached components (for benchmarks and tests)."""
    _CACHE.clear()
