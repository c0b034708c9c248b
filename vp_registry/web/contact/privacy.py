"""What the anonymous pages keep about their visitors: nothing that points at a person.

* **Request logs.** No log line the application's servers write names a client, for any
  page or status, and the anonymous pages (``/counsellors``, ``/contact``) get no request
  line at all: that is how the lines are made (:mod:`vp_registry.web.request_log` for
  ``vp-registry run``, :mod:`vp_registry.gunicorn_conf` for gunicorn), not a filter over
  finished text. The app's own logging never names an address. (A reverse proxy in front
  of the app has its own access log: docs/operations.md says how to keep addresses out.)
* **Audit** entries of the channel carry their date only and no thread id
  (:func:`vp_registry.services.infrastructure.audit.record_dated`).
* **Throttling** is in memory only
  (:mod:`vp_registry.services.infrastructure.memory_throttle`): addresses are held as
  keyed hashes and forgotten after an hour of quiet, never written anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from flask import request

from vp_registry.app_state import app_state
from vp_registry.config import Settings
from vp_registry.services.infrastructure.memory_throttle import BackOff, Window

SENDS_PER_HOUR: Final = 10


@dataclass(frozen=True)
class Throttles:
    """Per-process, in-memory limits of the anonymous pages."""

    codes: BackOff  # wrong receipt codes: free attempts, then exponential back-off
    sends: Window  # new messages and answers: at most SENDS_PER_HOUR per address


def make_throttles(settings: Settings) -> Throttles:
    """The application's throttles (one set per process: see AppState)."""
    return Throttles(
        codes=BackOff(free_attempts=settings.throttle_free_attempts,
                      base_seconds=settings.throttle_base_seconds,
                      max_seconds=settings.throttle_max_seconds,
                      window_seconds=settings.throttle_window_seconds),
        sends=Window(limit=SENDS_PER_HOUR, seconds=3600),
    )


def throttles() -> Throttles:
    return app_state().contact_throttles


def client_address() -> str | None:
    """The address the request came from: used for in-memory throttling only, never stored."""
    return request.remote_addr
