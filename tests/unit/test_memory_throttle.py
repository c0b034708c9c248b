"""In-memory throttling of the anonymous pages (issue 6): back-off, window, bounded memory,
and no address kept in the clear."""

from __future__ import annotations

from vp_registry.services.infrastructure.memory_throttle import BackOff, Window


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_back_off_after_the_free_attempts_doubles_and_is_capped() -> None:
    clock = Clock()
    throttle = BackOff(free_attempts=3, base_seconds=30, max_seconds=300, clock=clock)
    for _ in range(2):
        throttle.failure("203.0.113.77")
        assert throttle.wait_seconds("203.0.113.77") == 0
    throttle.failure("203.0.113.77")  # the third failure starts the lock-out
    assert throttle.wait_seconds("203.0.113.77") == 30
    assert throttle.wait_seconds("198.51.100.1") == 0  # other addresses are not affected
    clock.now += 31
    assert throttle.wait_seconds("203.0.113.77") == 0
    throttle.failure("203.0.113.77")
    assert throttle.wait_seconds("203.0.113.77") == 60
    for _ in range(5):
        throttle.failure("203.0.113.77")
    assert throttle.wait_seconds("203.0.113.77") == 300  # capped
    clock.now += 301  # quiet for the longest lock-out: forgotten, free attempts again
    assert throttle.wait_seconds("203.0.113.77") == 0
    assert len(throttle) == 0


def test_occasional_wrong_codes_behind_one_address_never_lock_it_out() -> None:
    """Issue 11, item 6a: behind a company NAT many senders share one address. Failures count
    within a sliding window only, so a wrong code now and then over hours locks nobody out,
    while a burst from the same address still does."""
    clock = Clock()
    throttle = BackOff(free_attempts=5, base_seconds=30, max_seconds=3600, window_seconds=900,
                       clock=clock)
    nat = "192.0.2.10"
    for _ in range(60):  # a wrong code every seven minutes, for seven hours
        assert throttle.wait_seconds(nat) == 0
        throttle.failure(nat)
        clock.now += 7 * 60
    for _ in range(4):  # a burst: the three of the last quarter plus these reach five
        throttle.failure(nat)
        clock.now += 5
    assert throttle.wait_seconds(nat) > 0
    clock.now += 900  # a quiet window later everything is forgotten
    assert throttle.wait_seconds(nat) == 0
    assert len(throttle) == 0


def test_window_allows_n_events_per_period() -> None:
    clock = Clock()
    window = Window(limit=3, seconds=3600, clock=clock)
    for _ in range(3):
        assert window.wait_seconds("203.0.113.77") == 0
        window.record("203.0.113.77")
        clock.now += 10
    assert window.wait_seconds("203.0.113.77") == 3600 - 30
    assert window.wait_seconds("198.51.100.1") == 0
    clock.now += 3600 - 30
    assert window.wait_seconds("203.0.113.77") == 0


def test_memory_is_bounded_and_holds_no_address_in_the_clear() -> None:
    clock = Clock()
    throttle = BackOff(free_attempts=1, base_seconds=30, max_seconds=3600, max_entries=100,
                       clock=clock)
    for number in range(1000):
        throttle.failure(f"10.0.{number // 256}.{number % 256}")
    assert len(throttle) <= 100
    throttle.failure("203.0.113.77")
    held = repr(throttle.__dict__) + repr(list(throttle._entries))
    assert "203.0.113.77" not in held and "10.0." not in held
    window = Window(limit=1, seconds=60, max_entries=10, clock=clock)
    for number in range(50):
        window.record(f"192.0.2.{number}")
    assert len(window) <= 10
