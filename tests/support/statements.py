"""The SQL statements an engine sends inside a block, as its cursor listeners see them (raw
statements on the driver's cursor included: db/raw.py calls the same listeners)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, event

Entry = TypeVar("Entry")


@contextmanager
def sent_statements(engine: Engine, entry: Callable[[str, Any], Entry | None]
                    ) -> Iterator[list[Entry]]:
    """``entry(statement, parameters)`` of each statement sent, in order, as they are sent
    (None: not kept)."""
    seen: list[Entry] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        found = entry(statement, parameters)
        if found is not None:
            seen.append(found)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
