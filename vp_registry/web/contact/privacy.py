"""What the anonymous pages keep about their visitors: nothing that points at a person.

* **Request logs.** werkzeug's development server and gunicorn's access log write the client
  address with every request line. :class:`AnonymousPathsFilter` drops the lines of the public
  pages (``/counsellors``, ``/contact``) from both loggers, so neither the address nor the
  fact that someone from that address opened the contact form reaches a log file. The app
  itself never logs an address. (A reverse proxy in front of the app has its own access log:
  docs/anonymous-contact.md says how to keep these paths out of it.)
* **Throttling** is in memory only (:mod:`vp_registry.services.memory_throttle`): addresses
  are held as keyed hashes and forgotten after an hour of quiet, never written anywhere.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Final

from flask import Flask, current_app, request

from vp_registry.config import Settings
from vp_registry.services.memory_throttle import BackOff, Window

ANONYMOUS_PREFIXES: Final = ("/counsellors", "/contact")
REQUEST_LOGGERS: Final = ("werkzeug", "gunicorn.access")
# A request line as werkzeug and gunicorn write it: METHOD /path[?query] ...
_REQUEST_LINE: Final = re.compile(
    r"\b[A-Z]{3,10} (?:https?://[^/\s]+)?/(?:counsellors|contact)(?:[/?#\s\"]|$)"
)
SENDS_PER_HOUR: Final = 10
EXTENSION: Final = "vp_contact_throttles"


class AnonymousPathsFilter(logging.Filter):
    """Drop request-log records about the anonymous pages (they carry the client address)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed record: judge its raw template
            message = str(record.msg)
        return _REQUEST_LINE.search(message) is None


def install_log_filter() -> None:
    """Attach the filter to the request loggers once per process (idempotent)."""
    for name in REQUEST_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, AnonymousPathsFilter) for f in logger.filters):
            logger.addFilter(AnonymousPathsFilter())


@dataclass(frozen=True)
class Throttles:
    """Per-process, in-memory limits of the anonymous pages."""

    codes: BackOff  # wrong receipt codes: free attempts, then exponential back-off
    sends: Window  # new messages and answers: at most SENDS_PER_HOUR per address


def init_app(app: Flask, settings: Settings) -> None:
    install_log_filter()
    app.extensions[EXTENSION] = Throttles(
        codes=BackOff(free_attempts=settings.throttle_free_attempts,
                      base_seconds=settings.throttle_base_seconds,
                      max_seconds=settings.throttle_max_seconds,
                      window_seconds=settings.throttle_window_seconds),
        sends=Window(limit=SENDS_PER_HOUR, seconds=3600),
    )


def throttles() -> Throttles:
    found: Throttles = current_app.extensions[EXTENSION]
    return found


def client_address() -> str | None:
    """The address the request came from: used for in-memory throttling only, never stored."""
    return request.remote_addr
