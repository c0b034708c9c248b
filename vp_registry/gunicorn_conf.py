"""gunicorn settings for vp-registry: access and error logs that name no client.

    gunicorn -c python:vp_registry.gunicorn_conf --workers 4 'vp_registry:create_app()'

(options on the command line win over these; docs/operations.md has the systemd unit.)

* The access log goes to standard output (journald) in :data:`access_log_format`, which has
  no ``%(h)s`` (address), no user agent and no referrer.
* :class:`NoAddressLogger` makes that hold for any format an operator may set: its address
  atom ``%(h)s`` is ``-``, and it offers no header or environment atoms at all (no
  ``%({x-forwarded-for}i)s``, no ``%({remote_addr}e)s``). It writes no line for the anonymous
  pages (:func:`~vp_registry.web.request_log.is_anonymous_path`), whatever the status, and
  gunicorn's one error message with an address in it ("Invalid request from ip=...") loses
  the address.

Issue 11, item 2; docs/design.md I-9. The reverse proxy has its own log: docs/operations.md.

* :func:`post_worker_init` freezes what the worker has built when the application is loaded
  (``gc.freeze()``, issue 15): the garbage collector, which runs often because every request
  allocates thousands of objects, then no longer walks the whole application on each full
  collection. No request has run yet, so nothing of a session or a key is among them.
"""

from __future__ import annotations

import gc
import re
import traceback
from typing import Any, Final

from gunicorn.glogging import Logger

from vp_registry.web.request_log import is_anonymous_path

_INVALID_REQUEST_FROM: Final = re.compile(r"^Invalid request from ip=\S*?: ")


class NoAddressLogger(Logger):  # type: ignore[misc]  # gunicorn has no type hints
    """gunicorn's logger without client addresses (see the module's documentation)."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any
              ) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        found = {name: value for name, value in atoms.items() if not name.startswith("{")}
        found["h"] = "-"
        return found

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if is_anonymous_path(environ.get("PATH_INFO")):
            return
        if self.cfg.access_log_format != access_log_format or not self.access_log_enabled:
            super().access(resp, req, environ, request_time)
            return
        # The shipped format needs four atoms: built alone, not gunicorn's ~60 (every header
        # and environment variable) for each request (issue 15); the same line.
        status = resp.status
        sent = getattr(resp, "sent", None)
        atoms = {
            "r": f"{environ['REQUEST_METHOD']} {environ['RAW_URI']} {environ['SERVER_PROTOCOL']}",
            "s": status.split(None, 1)[0] if isinstance(status, str) else status,
            "b": str(sent) if sent is not None and str(sent) else "-",
            "M": request_time.seconds * 1000 + int(request_time.microseconds / 1000),
        }
        try:
            self.access_log.info(access_log_format, atoms)
        except Exception:  # as gunicorn's own access()
            self.error(traceback.format_exc())

    def warning(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        if isinstance(msg, str):
            msg = _INVALID_REQUEST_FROM.sub("Invalid request: ", msg)
        super().warning(msg, *args, **kwargs)


logger_class = NoAddressLogger
accesslog = "-"
# request line, status, bytes, duration in ms; journald adds the time
access_log_format = '"%(r)s" %(s)s %(b)s %(M)sms'
errorlog = "-"
worker_class = "sync"  # the work is CPU-bound: docs/operations.md
timeout = 60


def post_worker_init(_worker: Any) -> None:
    """After the worker loaded the application: keep it out of every garbage collection."""
    gc.collect()
    gc.freeze()
