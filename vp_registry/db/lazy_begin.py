"""PostgreSQL: a unit of work's transaction begins at its first write, not at its first read
(issue 15, session 10).

Every unit of work here runs at READ COMMITTED, PostgreSQL's default, where each statement
reads its own snapshot whether it runs in a transaction or not. A transaction adds only the
atomicity of its writes and the locks held to its end, so a statement that merely reads gains
nothing from one - and a logged-in page that only reads (plus its audit entry) paid two round
trips for it, ``BEGIN`` and ``COMMIT``, a third of its statements.

:func:`install` therefore decides, before each statement on a connection that has no
transaction open, whether the statement needs one:

- a plain read (``SELECT`` without a locking clause) runs on its own, in psycopg's autocommit;
- a statement that begins with :data:`STANDALONE` is atomic on its own and runs on its own
  too: the audit log's one-statement append, which moves the chain's head only if nobody
  moved it since it was read (services/infrastructure/audit.py);
- anything else - an ``INSERT``/``UPDATE``/``DELETE`` (an ORM flush), ``SELECT ... FOR
  UPDATE``, a ``SAVEPOINT``, DDL - begins the transaction (psycopg sends ``BEGIN`` right
  before it), and from there on the unit of work is one transaction as before: every
  multi-step write commits or rolls back as one (I-7).

Once a transaction is open, every statement runs in it until the commit or rollback. Left as
they are: a connection given an isolation level of its own (the backup's ``REPEATABLE READ``
snapshot needs its transaction for the reads too; ``AUTOCOMMIT``), and a server-side cursor
(it needs a transaction).
"""

from __future__ import annotations

import re
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus
from sqlalchemy import Connection, Engine, event

# A comment, so that the statement stays what it is; psycopg prepares it alike.
STANDALONE = "/* standalone */ "

_LOCKING_CLAUSE = re.compile(r"\bFOR\s+(?:NO\s+KEY\s+UPDATE|UPDATE|KEY\s+SHARE|SHARE)\b",
                             re.IGNORECASE)


def needs_transaction(statement: str) -> bool:
    """Whether ``statement`` must run in the unit of work's transaction (see above)."""
    if statement.startswith(STANDALONE):
        return False
    head = statement.lstrip()[:6].upper()
    return head != "SELECT" or _LOCKING_CLAUSE.search(statement) is not None


def _before_statement(connection: Connection, cursor: Any, statement: str, *_rest: Any) -> None:
    dbapi_connection = connection.connection.dbapi_connection
    if (not isinstance(dbapi_connection, psycopg.Connection)
            or dbapi_connection.info.transaction_status != TransactionStatus.IDLE
            or "isolation_level" in connection.get_execution_options()):
        return
    alone = not isinstance(cursor, psycopg.ServerCursor) and not needs_transaction(statement)
    if dbapi_connection.autocommit != alone:
        dbapi_connection.autocommit = alone


def install(engine: Engine) -> Engine:
    """Begin transactions lazily on this (PostgreSQL) engine's connections."""
    event.listen(engine, "before_cursor_execute", _before_statement)
    return engine
