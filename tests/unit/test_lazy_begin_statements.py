"""db/lazy_begin.needs_transaction: which statements may run outside a transaction (issue 15,
session 10). Only a plain read and a statement that says it is standalone may."""

from __future__ import annotations

import pytest

from vp_registry.db.lazy_begin import STANDALONE, needs_transaction


@pytest.mark.parametrize("statement", [
    "SELECT 1",
    "  select id FROM cases WHERE reference = %(reference)s",
    "SELECT web_sessions.data FROM web_sessions WHERE web_sessions.token_hash = %(t)s",
    f"{STANDALONE}WITH moved AS (UPDATE audit_head SET last_seq = 2) INSERT INTO x SELECT 1",  # noqa: S608 - a fixed text
])
def test_reads_and_standalone_statements_run_on_their_own(statement: str) -> None:
    assert not needs_transaction(statement)


@pytest.mark.parametrize("statement", [
    "INSERT INTO things VALUES (1)",
    "UPDATE cases SET version = 2",
    "DELETE FROM web_sessions",
    "WITH added AS (INSERT INTO x VALUES (1) RETURNING id) UPDATE y SET z = 1",
    "SELECT last_seq FROM audit_head WHERE id = 1 FOR UPDATE OF audit_head",
    "SELECT id FROM cases FOR NO KEY UPDATE",
    "select id from cases for share",
    "SELECT id FROM cases FOR KEY SHARE",
    'SAVEPOINT "sa_savepoint_1"',
    "SET LOCAL statement_timeout = 1000",
    "LOCK TABLE cases",
    "CREATE TEMPORARY TABLE t (id INTEGER)",
    "/* standalone */INSERT INTO things VALUES (1)",  # the marker exactly, or nothing
])
def test_everything_else_begins_the_transaction(statement: str) -> None:
    assert needs_transaction(statement)
