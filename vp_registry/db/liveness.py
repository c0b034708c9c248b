"""A pooled PostgreSQL connection is checked before use when something says it may be dead,
not at every checkout (issue 15, session 8).

SQLAlchemy's ``pool_pre_ping`` sends a statement (one round trip, and the server's CPU for
it) at every checkout - every web request on PostgreSQL. :func:`install` replaces it by a
ping only when

- the connection was last checked in more than :data:`IDLE_PING_SECONDS` ago (a firewall or
  the server's idle timeout may have dropped it silently), or
- its socket is readable while the connection is idle: the server said something unasked.
  A backend that ends (``pg_terminate_backend``, a server shut down or restarted, a crash
  of the backend) sends its error and closes the socket, and that is what an idle
  connection's socket has to read. Asking costs one ``poll`` system call, no round trip.

A ping that fails raises :class:`~sqlalchemy.exc.DisconnectionError`, and the pool takes a
new connection (up to three attempts), as with ``pool_pre_ping``.

The failure mode it leaves (docs/decisions.md, issue 15, session 8): a connection that dies
without a word to the client - the server's host gone or the network cut without a reset -
within ``IDLE_PING_SECONDS`` of its last use, or a backend that dies between the checkout
and the request's first statement (which ``pool_pre_ping`` has too, between its ping and
the statement). That request's first statement fails: the request answers with the error
page (its unit of work rolled back: "nothing was saved"), SQLAlchemy recognises the
disconnect and invalidates the pool, so every older connection is replaced at its next
checkout; the next request works.
"""

from __future__ import annotations

import select
import time
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import DisconnectionError

IDLE_PING_SECONDS = 30.0
_LAST_USED = "vp_last_checkin"


def _has_something_to_read(dbapi_connection: Any) -> bool:
    """Whether the idle connection's socket is readable (or cannot be asked: then True)."""
    pgconn = getattr(dbapi_connection, "pgconn", None)
    if pgconn is None:
        return True
    try:
        descriptor = pgconn.socket
        poller = select.poll()
        poller.register(descriptor, select.POLLIN | select.POLLERR | select.POLLHUP)
        return bool(poller.poll(0))
    except Exception:  # a closed connection has no socket to ask
        return True


def needs_ping(dbapi_connection: Any, record_info: dict[str, Any]) -> bool:
    last = record_info.get(_LAST_USED)
    if last is None or time.monotonic() - float(last) >= IDLE_PING_SECONDS:
        return True
    return _has_something_to_read(dbapi_connection)


def install(engine: Engine) -> Engine:
    """Check ``engine``'s pooled connections as above (instead of ``pool_pre_ping``)."""

    def connected(_dbapi_connection: Any, record: Any) -> None:
        record.info[_LAST_USED] = time.monotonic()  # a new connection needs no ping

    def checked_in(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_LAST_USED] = time.monotonic()

    def checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if not needs_ping(dbapi_connection, record.info):
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise DisconnectionError("the pooled connection is gone") from error
        if not alive:
            raise DisconnectionError("the pooled connection is gone")

    event.listen(engine, "connect", connected)
    event.listen(engine, "checkin", checked_in)
    event.listen(engine, "checkout", checked_out)
    return engine
