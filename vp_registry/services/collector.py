"""Python's cyclic garbage collector paused around bulk in-memory work (issue 15).

The annual report and the signals' basis build tens of thousands of small objects at once
(rows, the facts of every case, the disclosure tables): each allocation counts towards a
collection, and a full collection walks every live object of the process. Measured on
``bench_report --service 10000``: about a third of the preview's CPU time went to the
collector, which found nothing to free (these objects are freed by reference counting when
the request ends). :func:`paused_gc` switches the collector off for such a block and back
on after it - nested and from several threads alike; reference counting is unaffected, and
whatever cyclic garbage the block leaves is collected as usual afterwards.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class _Pauses:
    """How many blocks are pausing the collector, and whether it ran before the first."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.active = 0
        self.was_enabled = False


_PAUSES = _Pauses()


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection inside the block (re-enabled when the last block ends,
    if it was enabled when the first began)."""
    with _PAUSES.lock:
        if _PAUSES.active == 0:
            _PAUSES.was_enabled = gc.isenabled()
            gc.disable()
        _PAUSES.active += 1
    try:
        yield
    finally:
        with _PAUSES.lock:
            _PAUSES.active -= 1
            if _PAUSES.active == 0 and _PAUSES.was_enabled:
                gc.enable()
