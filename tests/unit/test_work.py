"""The unit of work's savepoint: a conflict never costs the caller its transaction."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar, cast

import pytest
from sqlalchemy import Integer, String, create_engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from vp_registry.config import Settings
from vp_registry.services.errors import Conflict, VaultLocked
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.work import Work


class _Base(DeclarativeBase):
    pass


class _Row(_Base):
    __tablename__ = "row"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String, unique=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}


@pytest.fixture
def work(tmp_path: Any) -> Iterator[Work]:
    engine = create_engine(f"sqlite:///{tmp_path / 'work.db'}")
    _Base.metadata.create_all(engine)
    session = sessionmaker(engine)()
    session.add(_Row(id=1, name="first"))
    session.commit()
    yield Work(session, cast(Settings, None), Actor.system())
    session.close()
    engine.dispose()


def _names(session: Session) -> list[str]:
    return sorted(session.scalars(text("SELECT name FROM row")))


def test_a_stale_write_raises_the_conflict_and_keeps_what_the_caller_did_before(
        work: Work) -> None:
    work.session.add(_Row(id=2, name="before"))
    row = work.session.get(_Row, 1)
    assert row is not None
    work.session.execute(text("UPDATE row SET version = version + 1 WHERE id = 1"))
    with pytest.raises(Conflict), work.conflicts(Conflict):
        row.name = "changed"
    work.commit()
    assert _names(work.session) == ["before", "first"]


def test_another_flush_error_propagates_and_the_caller_can_still_commit(work: Work) -> None:
    work.session.add(_Row(id=2, name="before"))
    with pytest.raises(IntegrityError), work.conflicts(Conflict):
        work.session.add(_Row(id=3, name="first"))  # the unique name is taken
    work.commit()  # before the fix: PendingRollbackError, the whole transaction lost
    assert _names(work.session) == ["before", "first"]


def test_a_unique_key_taken_meanwhile_can_be_the_conflict(work: Work) -> None:
    with pytest.raises(Conflict), work.conflicts(Conflict, on=(IntegrityError,)):
        work.session.add(_Row(id=3, name="first"))
    work.commit()
    assert _names(work.session) == ["first"]


def test_keys_are_opened_once_and_their_absence_is_an_access_error(work: Work) -> None:
    calls: list[int] = []

    def open_keys() -> None:
        calls.append(1)

    lazy = Work(work.session, work.settings, work.actor, open_keys=open_keys)
    assert lazy.keys_or_none() is None and lazy.keys_or_none() is None
    assert calls == [1]
    with pytest.raises(VaultLocked):
        _ = lazy.keys
