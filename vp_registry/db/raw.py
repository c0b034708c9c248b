"""A hot Core statement run on the database driver's own cursor (issue 15, session 9).

SQLAlchemy's own Python per executed statement - the compiled cache's look-up, the parameters
built, an execution context and a result object - costs ~15 us of CPU (SQLite, quiet machine)
where the driver's ``cursor.execute`` costs ~4: on the audited request path, whose statements
are fixed, that is paid on every page. :class:`RawStatement` compiles a Core statement once per
dialect (the SQL SQLAlchemy itself would send: the same placeholders and, on PostgreSQL, the
same casts, so psycopg prepares it alike) and runs it on the connection's DBAPI cursor, inside
the connection's transaction, with what SQLAlchemy would do around it:

- the parameters converted by the columns' own bind processors (SQLite's dates and times as
  text exactly as SQLAlchemy writes them), the statement's literal values as it binds them;
- the result's values converted by the given types' result processors;
- the engine's ``before_cursor_execute`` listeners called (tests count statements with them,
  and tests/reliability/killpoint.py stops a process between two of them);
- a driver error raised as SQLAlchemy's wrapped exception (``DBAPIError.instance``), and a
  lost connection invalidated, as SQLAlchemy's own handling does.

On PostgreSQL a statement outside a transaction (a read, an audited read's append) runs as
libpq's prepared statement, below psycopg's cursor (db/raw_psycopg.py, session 11: ~55 us of
the cursor's Python less per statement); the listeners still see the cursor that would run
it.

Only for statements whose parameters are plain values and whose result is a few scalars;
everything else goes through SQLAlchemy.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from typing import Any, NoReturn, cast

from sqlalchemy import Connection, Select
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, ResourceClosedError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import TypeEngine

from vp_registry.db.raw_psycopg import PreparedSql

_Processor = Callable[[Any], Any] | None


class _Compiled:
    """The statement's SQL for one dialect, its parameters' order (positional drivers) or
    None (named), their bind processors, the literal values and the result processors."""

    def __init__(self, statement: ClauseElement, dialect: Dialect,
                 result_types: Sequence[TypeEngine[Any]], prefix: str) -> None:
        compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
        self.sql = prefix + compiled.string
        binds = compiled.binds
        order = compiled.positiontup
        self.order: list[str] | None = None if order is None else list(order)
        names = self.order if self.order is not None else [
            name for name in binds if f"%({name})s" in self.sql]
        self.literals = {name: binds[name].value for name in names if not binds[name].required}
        self.processors: dict[str, Callable[[Any], Any]] = {}
        for name in names:
            processor = binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self.processors[name] = processor
        self.results: list[_Processor] = [
            kind.dialect_impl(dialect).result_processor(dialect, None) for kind in result_types]
        # psycopg converts every type we read itself: then the driver's rows are the result
        self.rows_as_fetched = all(processor is None for processor in self.results)
        self.prepared = PreparedSql(self.sql) if dialect.driver == "psycopg" else None

    def parameters(self, given: Mapping[str, Any]) -> Any:
        values = {**self.literals, **given}
        for name, processor in self.processors.items():
            values[name] = processor(values[name])
        if self.order is None:
            return values
        return tuple(values[name] for name in self.order)

    def row(self, raw: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(value if processor is None else processor(value)
                     for processor, value in zip(self.results, raw, strict=True))


class RawStatement:
    """A Core statement compiled once per dialect and run on the DBAPI cursor (see above).

    ``result_types``: the types of the columns it returns, in order (none: no result); or
    ``named``: a select's rows as named tuples of its columns (their keys and types), read
    by attribute as SQLAlchemy's rows are. ``prefix``: text sent before the statement's SQL
    (db/lazy_begin.STANDALONE). ``binary``: on psycopg, results in PostgreSQL's binary
    format - the same Python values, but ``bytea`` (ciphertext) as its bytes, not as hex
    text twice their size that the server writes and the driver decodes (issue 15, session
    10: the case list's 25 rows ~30 us of client and ~25 us of server CPU less)."""

    def __init__(self, statement: ClauseElement,
                 result_types: Sequence[TypeEngine[Any]] = (), *, named: bool = False,
                 prefix: str = "", binary: bool = False) -> None:
        self._statement = statement
        self._prefix = prefix
        self._binary = binary
        self._named: Any = None  # a namedtuple class
        if named:
            columns = list(cast(Select[Any], statement).selected_columns)
            result_types = [column.type for column in columns]
            fields = [str(column.key) for column in columns]
            self._named = namedtuple("RawRow", fields)  # type: ignore[misc]
        self._result_types = tuple(result_types)
        self._compiled: dict[tuple[str, str, str], _Compiled] = {}  # per dialect and driver

    def compiled(self, dialect: Dialect) -> _Compiled:
        key = (dialect.name, dialect.driver, dialect.paramstyle)
        found = self._compiled.get(key)
        if found is None:
            found = self._compiled[key] = _Compiled(
                self._statement, dialect, self._result_types, self._prefix)
        return found

    def rows(self, connection: Connection,
             parameters: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Run it in the connection's transaction; its rows (an empty list when it returns
        none)."""
        dialect = connection.dialect
        compiled = self.compiled(dialect)
        bound = compiled.parameters(parameters or {})
        dbapi_connection: Any = connection.connection.dbapi_connection
        if dbapi_connection is None:  # invalidated (SQLAlchemy would not run it either)
            raise ResourceClosedError("the connection was invalidated")
        cursor = (dbapi_connection.cursor(binary=True)
                  if self._binary and dialect.driver == "psycopg" else dbapi_connection.cursor())
        try:
            if connection.dispatch.before_cursor_execute:
                connection.dispatch.before_cursor_execute(
                    connection, cursor, compiled.sql, bound, None, False)
            fetched = (None if compiled.prepared is None else
                       compiled.prepared.rows(dbapi_connection, bound, self._binary))
            if fetched is None:
                cursor.execute(compiled.sql, bound)
                fetched = (cast(list[tuple[Any, ...]], cursor.fetchall())
                           if self._result_types else [])
        except dialect.loaded_dbapi.Error as error:
            _raise_wrapped(connection, error, cursor, compiled.sql, bound)
        finally:
            with suppress(dialect.loaded_dbapi.Error):  # a connection invalidated just now
                cursor.close()
        named = self._named
        if compiled.rows_as_fetched:
            return fetched if named is None else [named._make(row) for row in fetched]
        if named is not None:
            return [named._make(compiled.row(row)) for row in fetched]
        return [compiled.row(row) for row in fetched]


def _raise_wrapped(connection: Connection, error: Any, cursor: Any, sql: str,
                   parameters: Any) -> NoReturn:
    """Raise ``error`` as SQLAlchemy would from its own execution: wrapped in its exception
    class (OperationalError, IntegrityError, ...) and, for a lost connection, with the
    connection invalidated (the pool does not hand it out again)."""
    dialect = connection.dialect
    lost = dialect.is_disconnect(error, connection.connection.dbapi_connection, cursor)
    if lost:
        connection.invalidate(error)
    raise DBAPIError.instance(sql, parameters, error, dialect.loaded_dbapi.Error,
                              connection_invalidated=lost, dialect=dialect) from error
