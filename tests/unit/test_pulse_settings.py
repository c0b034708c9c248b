"""PULSE_MIN_RESPONSES (issue 16): default 5, never below the disclosure threshold k."""

from __future__ import annotations

import pytest

from vp_registry.config import ConfigurationError, Settings


def dev(**overrides: object) -> Settings:
    return Settings(environment="development", secret_key="dev", audit_key="dev2",
                    **overrides)  # type: ignore[arg-type]


def test_the_default_minimum_is_five() -> None:
    assert dev().validated().pulse_min_responses == 5


@pytest.mark.parametrize(("k", "minimum"), [(3, 2), (5, 4), (3, 0), (3, 101)])
def test_a_minimum_below_k_or_absurd_stops_the_start(k: int, minimum: int) -> None:
    with pytest.raises(ConfigurationError, match="PULSE_MIN_RESPONSES"):
        dev(disclosure_k=k, band_edges=(k,), pulse_min_responses=minimum).validated()


def test_a_minimum_equal_to_k_is_allowed() -> None:
    assert dev(disclosure_k=4, band_edges=(4, 8),
               pulse_min_responses=4).validated().pulse_min_responses == 4
