"""A raw statement on PostgreSQL run as libpq's prepared statement (issue 15, session 11).

psycopg's ``Cursor.execute`` costs ~55-90 us of CPU for a statement that libpq itself sends
and reads in ~17 (this machine): the cursor's Python - its query conversion and
prepared-statement bookkeeping, the generator that drives the round trip, the result's
checks - runs on each of the three statements of every audited page. db/raw.RawStatement
runs its fixed statements through psycopg's own lower parts instead: libpq's connection
(``psycopg.pq``) to prepare the statement once per connection and execute it, and psycopg's
``Transformer`` to turn the parameters into text and the result into Python values - the
same adapters the cursor uses, so the values are the cursor's. Measured: 94 -> 36 us per
statement (the audit head's read, loaded machine).

Only outside a transaction, in autocommit (db/lazy_begin.py: a read, and the audited read's
one-statement append - the statements of every audited page): psycopg deallocates every
prepared statement of its connection, ours included, after a ``ROLLBACK`` (to a savepoint
too) or a ``DROP``/``ALTER``, and a statement that finds its name gone is prepared again -
which only a statement outside a transaction can do (inside one, the failure has aborted
the transaction). Everything else goes through the cursor, as before. A connection keeps at
most :data:`KEPT_STATEMENTS` of them, the least recently used deallocated first (the case
list's pages are one statement each).
"""

from __future__ import annotations

import itertools
import re
import weakref
from collections import OrderedDict
from typing import Any, NoReturn

import psycopg
from psycopg import abc, errors, pq
from psycopg.adapt import PyFormat, Transformer

KEPT_STATEMENTS = 100
_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")
_NAMES = itertools.count(1)
_READY = (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK)
_NO_SUCH_STATEMENT = b"26000"  # invalid_sql_statement_name: not prepared on this connection
# psycopg connection -> the names prepared on it, least recently used first
_PREPARED: weakref.WeakKeyDictionary[psycopg.Connection[Any], OrderedDict[bytes, None]] = (
    weakref.WeakKeyDictionary())


class PreparedSql:
    """One statement's SQL with libpq's ``$n`` placeholders, its parameters' order and the
    names it is prepared under: one per set of parameter types, as psycopg's own cursor
    prepares it (a None has no type; the server then infers one from the statement)."""

    def __init__(self, sql: str) -> None:
        order: list[str] = []

        def numbered(found: re.Match[str]) -> str:
            if found.group(0) == "%%":
                return "%"
            if found.group(1) not in order:
                order.append(found.group(1))
            return f"${order.index(found.group(1)) + 1}"

        self.sql = _PLACEHOLDER.sub(numbered, sql).encode()
        self.order = tuple(order)
        self._names: dict[tuple[int, ...], bytes] = {}
        self._formats = [PyFormat.AUTO] * len(order)  # as the cursor dumps "%s"

    def rows(self, connection: psycopg.Connection[Any], parameters: dict[str, Any],
             binary: bool) -> list[tuple[Any, ...]] | None:
        """The statement's rows; None when the cursor must run it (see above). Raises
        psycopg's error for a failed statement, as the cursor would."""
        pgconn = connection.pgconn
        if not connection.autocommit or pgconn.transaction_status != pq.TransactionStatus.IDLE:
            return None
        transformer = Transformer(connection)
        values = transformer.dump_sequence([parameters[name] for name in self.order],
                                           self._formats)
        run = (transformer, values, 1 if binary else 0)
        result = self._execute(connection, *run)
        if (result.status == pq.ExecStatus.FATAL_ERROR
                and result.error_field(pq.DiagnosticField.SQLSTATE) == _NO_SUCH_STATEMENT):
            _PREPARED.pop(connection, None)  # deallocated behind our back: prepare again
            result = self._execute(connection, *run)
        if result.status not in _READY:
            _raise_failed(connection, result)
        transformer.set_pgresult(result)
        return transformer.load_rows(0, result.ntuples, tuple)

    def _execute(self, connection: psycopg.Connection[Any], transformer: abc.Transformer,
                 values: Any, result_format: int) -> pq.abc.PGresult:
        pgconn = connection.pgconn
        types = tuple(transformer.types or ())
        name = self._names.get(types)
        if name is None:
            name = self._names[types] = b"vp_raw_%d" % next(_NAMES)
        prepared = _PREPARED.get(connection)
        if prepared is None:
            prepared = _PREPARED[connection] = OrderedDict()
        if name in prepared:
            prepared.move_to_end(name)
        else:
            done = pgconn.prepare(name, self.sql, param_types=types)
            if done.status != pq.ExecStatus.COMMAND_OK:
                _raise_failed(connection, done)
            prepared[name] = None
            if len(prepared) > KEPT_STATEMENTS:
                oldest, _ = prepared.popitem(last=False)
                pgconn.exec_(b"DEALLOCATE " + oldest)
        return pgconn.exec_prepared(name, values, param_formats=transformer.formats,
                                    result_format=result_format)


def _raise_failed(connection: psycopg.Connection[Any], result: pq.abc.PGresult) -> NoReturn:
    """psycopg's error for a failed statement; a lost connection as the cursor raises it."""
    if connection.pgconn.status == pq.ConnStatus.BAD:
        raise errors.OperationalError(connection.pgconn.get_error_message())
    raise errors.error_from_result(result, encoding=connection.info.encoding)
