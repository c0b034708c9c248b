"""Request logs that name no client (issue 11, item 2; docs/design.md I-9).

No request line the application's servers write carries a client address, whatever the path
or status: not the development server's (``vp-registry run``), not gunicorn's access or error
log (with the shipped settings, :mod:`vp_registry.gunicorn_conf`). This is how the lines are
*made*, not a filter over finished text: the address never enters them.

* :class:`NoAddressRequestHandler` replaces werkzeug's request handler for ``vp-registry
  run``. werkzeug writes ``ADDRESS - - [time] "METHOD /path HTTP/1.1" status size`` with
  ANSI colours by status; this handler writes ``"METHOD /path HTTP/1.1" status size`` - no
  address, no colours - and every other message of the handler (a malformed request, a
  dropped connection) without the address too. ``request.remote_addr`` stays what it was:
  the in-memory throttles need it, no log does.
* The anonymous pages (:func:`is_anonymous_path`: ``/counsellors``, ``/contact``, the pulse
  survey's ``/survey`` and everything below them) get no request line at all, whatever their
  status: the moment of a visit to the contact form or a survey is itself an anonymous
  event, which is stored with its date only (the audit log's ``contact.*`` entries). The
  decision is made on the decoded path of the request (``PATH_INFO``), so ``/%63ontact`` or
  ``//contact`` do not slip through.
"""

from __future__ import annotations

import re
import sys
import traceback
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from werkzeug.serving import WSGIRequestHandler

ANONYMOUS_PREFIXES: Final = ("/counsellors", "/contact", "/survey")
ORGANISATION_PREFIX: Final = "/o/"  # web/organisation.py PREFIX (not imported: no cycle here)
_SLASHES: Final = re.compile(r"/{2,}")


def is_anonymous_path(path: str | None) -> bool:
    """Whether a (decoded) request path belongs to the anonymous pages."""
    if not path:
        return False
    path = _SLASHES.sub("/", path)
    if path.startswith(ORGANISATION_PREFIX):  # an organisation's pages (issue 17), any slug
        path = "/" + path[len(ORGANISATION_PREFIX):].partition("/")[2]
    return any(path == prefix or path.startswith(prefix + "/") for prefix in ANONYMOUS_PREFIXES)


def _decoded_path(target: str) -> str:
    """The path of a raw request target (``/a%2Fb?x``, ``http://host/a``), percent-decoded."""
    try:
        return unquote(urlsplit(target).path)
    except ValueError:
        return target


class NoAddressRequestHandler(WSGIRequestHandler):
    """werkzeug's request handler, with log lines that name no client (see module doc)."""

    def _request_path(self) -> str:
        environ = getattr(self, "environ", None)
        if environ and "PATH_INFO" in environ:
            return str(environ["PATH_INFO"])
        return _decoded_path(getattr(self, "path", "") or "")

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if is_anonymous_path(self._request_path()):
            return
        try:
            line = f"{self.command} {self.path} {self.request_version}"
        except AttributeError:  # the request line could not be parsed
            line = self.requestline
        self.log("info", '"%s" %s %s', line.translate(self._control_char_table), code, size)

    def log(self, type: str, message: str, *args: Any) -> None:
        """Every message of the handler, without ``address - -`` in front."""
        from werkzeug._internal import _log

        _log(type, f"[{self.log_date_time_string()}] {message}\n", *args)

    def handle(self) -> None:
        """An error in the handler itself is reported without the client's address
        (``socketserver`` would print ``... from ('ADDRESS', PORT)`` to stderr)."""
        try:
            super().handle()
        except Exception:
            print("Error handling a request:\n" + traceback.format_exc(), file=sys.stderr)
