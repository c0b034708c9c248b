"""Encrypted backups: round trip, damage detection, restore only into an empty database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.support.database import POSTGRES_URL, fresh_postgres_database
from tests.support.sessions import db_session_for
from vp_registry.app_state import app_state
from vp_registry.config import Settings
from vp_registry.db import make_engine
from vp_registry.db.accounts import User
from vp_registry.db.organisation import Department
from vp_registry.services.accounts import organisation
from vp_registry.services.infrastructure import audit, backup
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.work import Work


@pytest.fixture
def populated(app: Flask, settings: Settings, create_user: Callable[..., User]) -> Flask:
    create_user("admin")
    with db_session_for(app) as session:
        parent = organisation.create_department(Work(session, settings, Actor.system()),
                                                name="Productie", headcount=140)
        organisation.create_department(Work(session, settings, Actor.system()), name="Ploeg A",
                                       headcount=45, parent_id=parent.id)
        session.commit()
    return app


def _empty_target(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'restored.sqlite3'}"


def test_backup_round_trip_restores_every_row_and_the_audit_chain(
    populated: Flask, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "backup.vpb"
    made = backup.create_backup(app_state(populated).engine, settings.backup_key, path)
    assert b"Productie" not in path.read_bytes()
    target = make_engine(_empty_target(tmp_path))
    restored = backup.restore_backup(target, settings.backup_key, path)
    assert restored.row_counts == made.row_counts
    again, _ = backup.dump(target)
    assert again.sha256 == made.sha256
    with Session(target) as session:
        assert audit.verify(session, settings.audit_key).ok
        names = session.execute(select(User.email)).scalars().all()
        assert len(names) == 1
    target.dispose()


def test_damaged_backup_is_refused_with_a_clear_message(
    populated: Flask, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "backup.vpb"
    backup.create_backup(app_state(populated).engine, settings.backup_key, path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(backup.BackupError) as error:
        backup.read_backup(path, settings.backup_key)
    assert "damaged" in str(error.value)


def test_wrong_backup_key_is_refused(populated: Flask, settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "backup.vpb"
    backup.create_backup(app_state(populated).engine, settings.backup_key, path)
    with pytest.raises(backup.BackupError):
        backup.read_backup(path, "another-backup-key-that-is-long-enough-123")


def test_restore_refuses_a_database_that_is_not_empty(
    populated: Flask, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "backup.vpb"
    engine = app_state(populated).engine
    backup.create_backup(engine, settings.backup_key, path)
    with pytest.raises(backup.BackupError, match="not empty"):
        backup.restore_backup(engine, settings.backup_key, path)


def test_cli_create_verify_and_copy(
    populated: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "cli.vpb"
    result = runner.invoke(args=["backup", "create", "--output", str(path)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["backup", "verify", str(path)])
    assert result.exit_code == 0 and "OK:" in result.output
    path.write_bytes(b"not a backup")
    result = runner.invoke(args=["backup", "verify", str(path)])
    assert result.exit_code == 1
    result = runner.invoke(args=["database", "copy", "--to", _empty_target(tmp_path)])
    assert result.exit_code == 0, result.output


def test_sessions_are_not_backed_up(
    populated: Flask, settings: Settings, create_user: Callable[..., User]
) -> None:
    from tests.support.forms import AuthActions

    AuthActions(populated.test_client()).login(create_user("manager"))
    _manifest, tables = backup.dump(app_state(populated).engine)
    assert "web_sessions" not in tables and "login_throttles" not in tables


@pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL: set VP_TEST_POSTGRES_URL")
def test_restore_into_postgresql_moves_every_sequence_past_the_restored_rows(
    populated: Flask, settings: Settings, tmp_path: Path
) -> None:
    """New rows after a restore get fresh ids: the serial sequences were reset (setval)."""
    path = tmp_path / "backup.vpb"
    backup.create_backup(app_state(populated).engine, settings.backup_key, path)
    urls = fresh_postgres_database()
    target = make_engine(next(urls))
    try:
        backup.restore_backup(target, settings.backup_key, path)
        with Session(target) as session:
            highest = session.execute(select(func.max(Department.id))).scalar_one()
            added = organisation.create_department(Work(session, settings, Actor.system()),
                                                   name="Na herstel", headcount=12)
            session.commit()
            assert added.id > highest
            assert audit.verify(session, settings.audit_key).ok
    finally:
        target.dispose()
        urls.close()
