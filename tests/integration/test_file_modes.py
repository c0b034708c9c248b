"""Issue 11, item 5c: every file that holds registry data is readable by its owner only (0600).

The SQLite database and its write-ahead log and shared-memory files, backups, the instance
configuration and report files written by the command line. Every test runs under the usual
umask 022 (which would make a plainly created file world-readable), and the files must be
*created* private: with ``chmod`` switched off, nothing may rely on fixing the mode afterwards
(between the two calls the file would be readable by anyone).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import text

from tests.support.database import POSTGRES_URL
from vp_registry import cli
from vp_registry.db import make_engine


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.fixture
def no_chmod(monkeypatch: pytest.MonkeyPatch) -> None:
    """A file fixed up with chmod after it was written was readable in between."""
    monkeypatch.setattr(os, "chmod", lambda *args, **kwargs: None)
    monkeypatch.setattr(Path, "chmod", lambda *args, **kwargs: None)


def test_a_new_sqlite_database_and_its_wal_and_shm_files_are_private(
    tmp_path: Path, no_chmod: None
) -> None:
    path = tmp_path / "new.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            connection.execute(text("CREATE TABLE t (x TEXT)"))
            connection.execute(text("INSERT INTO t VALUES ('secret')"))
            connection.commit()
            files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
            assert all(file.exists() for file in files)  # WAL mode, connection still open
            assert {file.name: mode(file) for file in files} == {
                file.name: 0o600 for file in files}
    finally:
        engine.dispose()


def test_an_existing_world_readable_database_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        connection.execute(text("CREATE TABLE t (x TEXT)"))
        connection.commit()
    engine.dispose()
    path.chmod(0o644)  # made by an older version, or copied in by hand
    wal = path.with_name(path.name + "-wal")
    wal.touch(mode=0o644)
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            connection.execute(text("INSERT INTO t VALUES ('secret')"))
            connection.commit()
            assert mode(path) == 0o600
            assert mode(wal) == 0o600
    finally:
        engine.dispose()


@pytest.mark.skipif(bool(POSTGRES_URL), reason="the backup of this test's SQLite database")
def test_a_backup_is_created_private(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path, no_chmod: None
) -> None:
    path = tmp_path / "backup.vpb"
    result = runner.invoke(args=["backup", "create", "--output", str(path)])
    assert result.exit_code == 0, result.output
    assert mode(path) == 0o600
    path.write_bytes(b"an older backup")  # overwriting it keeps it private
    result = runner.invoke(args=["backup", "create", "--output", str(path)])
    assert result.exit_code == 0, result.output
    assert mode(path) == 0o600


def test_the_instance_configuration_is_created_private(tmp_path: Path, no_chmod: None) -> None:
    path = tmp_path / "instance" / "config.py"
    result = CliRunner().invoke(cli.init_config_command, ["--development", str(path)])
    assert result.exit_code == 0, result.output
    assert mode(path) == 0o600
    assert "SECRET_KEY" in path.read_text(encoding="utf-8")
