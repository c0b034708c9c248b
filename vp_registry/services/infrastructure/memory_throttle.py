"""Rate limits per client address held only in this process's memory (issue 6).

The anonymous contact channel may not store client addresses anywhere - not in the database,
not in a log. So its throttling lives in memory, keyed by an HMAC of the address under a
random key made when the process starts: even a memory dump shows no address in the clear,
and the keys mean nothing to another process or after a restart.

Two kinds:

* :class:`BackOff` - wrong receipt codes: the failures of the last ``window_seconds`` count
  (a sliding window, so behind a company NAT a wrong code now and then never locks the
  address out; issue 11, item 6a); the one that reaches the free attempts, and every further
  one, locks the address out for base * 2^n seconds, capped. A correct code does not reset
  the count (otherwise an attacker would interleave their own valid code with guesses).
* :class:`Window` - sending: at most N events per address in a sliding window.

Both forget an address once its entry has expired, and hold at most ``max_entries`` entries
(the oldest are dropped first), so memory stays bounded whatever arrives. With several
worker processes each has its own counts: a limit of N is at most N x workers overall
(documented in docs/anonymous-contact.md).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

Clock = Callable[[], float]
DEFAULT_MAX_ENTRIES: Final = 50_000


class _Keyed:
    def __init__(self, max_entries: int, clock: Clock) -> None:
        self._secret = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._max_entries = max_entries
        self._clock = clock

    def key(self, address: str | None) -> str:
        raw = (address or "unknown").encode("utf-8", "replace")
        return hmac.new(self._secret, raw, hashlib.sha256).hexdigest()[:32]


@dataclass
class _Failures:
    times: deque[float]  # the failures within the window, oldest first
    locked_until: float
    last: float


class BackOff(_Keyed):
    def __init__(self, *, free_attempts: int, base_seconds: float, max_seconds: float,
                 window_seconds: float | None = None, max_entries: int = DEFAULT_MAX_ENTRIES,
                 clock: Clock = time.monotonic) -> None:
        super().__init__(max_entries, clock)
        self.free_attempts = free_attempts
        self.base_seconds = base_seconds
        self.max_seconds = max_seconds
        self.window_seconds = max_seconds if window_seconds is None else window_seconds
        # beyond this many failures in the window the lock-out is at its cap anyway
        self._kept = free_attempts + max(1, math.ceil(math.log2(
            max(max_seconds, base_seconds) / max(base_seconds, 1e-9)))) + 1
        self._entries: OrderedDict[str, _Failures] = OrderedDict()

    def _expire(self, now: float) -> None:
        # An address is forgotten once its last failure left the window and its lock ended.
        while self._entries:
            key, entry = next(iter(self._entries.items()))
            if (now - entry.last < self.window_seconds or entry.locked_until > now) and \
                    len(self._entries) <= self._max_entries:
                break
            del self._entries[key]

    def wait_seconds(self, address: str | None) -> int:
        """Seconds this address must still wait (0: it may try now)."""
        now = self._clock()
        with self._lock:
            self._expire(now)
            entry = self._entries.get(self.key(address))
            if entry is None or entry.locked_until <= now:
                return 0
            return max(1, math.ceil(entry.locked_until - now))

    def failure(self, address: str | None) -> None:
        now = self._clock()
        key = self.key(address)
        with self._lock:
            entry = self._entries.pop(key, None) or _Failures(deque(), 0.0, now)
            while entry.times and now - entry.times[0] >= self.window_seconds:
                entry.times.popleft()
            entry.times.append(now)
            while len(entry.times) > self._kept:
                entry.times.popleft()
            entry.last = now
            excess = len(entry.times) - self.free_attempts
            if excess >= 0:
                entry.locked_until = now + min(self.max_seconds, self.base_seconds * 2**excess)
            self._entries[key] = entry  # most recent last
            self._expire(now)

    def __len__(self) -> int:
        return len(self._entries)


class Window(_Keyed):
    def __init__(self, *, limit: int, seconds: float, max_entries: int = DEFAULT_MAX_ENTRIES,
                 clock: Clock = time.monotonic) -> None:
        super().__init__(max_entries, clock)
        self.limit = limit
        self.seconds = seconds
        self._entries: OrderedDict[str, deque[float]] = OrderedDict()

    def _expire(self, now: float) -> None:
        while self._entries:
            key, events = next(iter(self._entries.items()))
            if events and now - events[-1] < self.seconds and \
                    len(self._entries) <= self._max_entries:
                break
            del self._entries[key]

    def wait_seconds(self, address: str | None) -> int:
        now = self._clock()
        with self._lock:
            self._expire(now)
            events = self._entries.get(self.key(address))
            if events is None:
                return 0
            while events and now - events[0] >= self.seconds:
                events.popleft()
            if len(events) < self.limit:
                return 0
            return max(1, math.ceil(events[0] + self.seconds - now))

    def record(self, address: str | None) -> None:
        now = self._clock()
        key = self.key(address)
        with self._lock:
            events = self._entries.pop(key, None) or deque()
            events.append(now)
            while len(events) > self.limit:
                events.popleft()
            self._entries[key] = events
            self._expire(now)

    def __len__(self) -> int:
        return len(self._entries)
