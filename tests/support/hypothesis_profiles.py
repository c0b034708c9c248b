"""Hypothesis profiles, chosen once for the run (loaded by ``pytest_plugins``).

- ``dev`` (the default): the edit-test loop on a shared 2-core machine; no deadline (a busy
  machine is not a slow function), the local example database in .hypothesis/ so a failure
  found once is tried first next time.
- ``ci`` (when ``CI=true``, as .ci/run sets it): no deadline, no example database (a fresh clone
  has none to keep), twice the default number of examples for the properties that do not set
  their own, the reproduction blob printed with every failure, and derandomized: the same
  examples every run, so a CI result is reproducible and its time predictable (the attacker
  property took 11 s of CPU with one seed and 645 s with another). ``dev`` keeps exploring.

``HYPOTHESIS_PROFILE=ci`` (or ``dev``) chooses explicitly. A test that sets ``max_examples``
itself keeps its number under both profiles.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "ci", deadline=None, database=None, print_blob=True, max_examples=200, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow])

PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or (
    "ci" if os.environ.get("CI", "").lower() == "true" else "dev")
settings.load_profile(PROFILE)
