"""Run the real ``vp-registry`` command as a subprocess, kill it, and inspect what it left.

- :class:`Cli` runs the installed console script (``.venv/bin/vp-registry``) with the test's
  settings passed as environment variables, or - through the :class:`ForkServer` of
  ``killpoint.py`` - the same command with a step counter, to count its database steps and
  to stop it at one of them for a SIGKILL.
- :func:`inspect_database` is the consistency check: the audit chain verifies, every case has
  its key, every remaining case and conversation decrypts (with the recovery key), no row is
  orphaned. It returns a :class:`Snapshot` to compare runs with.
- :func:`cloned` (from tests/support/database.py) copies a database (SQLite file copy,
  PostgreSQL ``TEMPLATE``) so a command can be calibrated on a copy and then killed on another.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.support.database import cloned  # noqa: F401 - part of the harness
from vp_registry.config import Settings
from vp_registry.db import make_engine
from vp_registry.db.accounts import User
from vp_registry.db.cases import Case, CaseContact, CaseKey
from vp_registry.db.organisation import Department
from vp_registry.db.vault import Vault
from vp_registry.services.cases import lifecycle
from vp_registry.services.infrastructure import audit, rotation
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.vault import store, unlocking
from vp_registry.services.work import Work

KILLPOINT = Path(__file__).resolve().parent / "killpoint.py"
VP_REGISTRY = Path(sys.executable).parent / "vp-registry"
TIMEOUT = 120


def cli_environment(settings: Settings, database_url: str) -> dict[str, str]:
    """The test's settings as the environment of a ``vp-registry`` process (no config file)."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("VP_") and name != "DATABASE_URL"}
    env.update({
        "VP_INSTANCE_PATH": settings.instance_path,
        "VP_CONFIG": str(Path(settings.instance_path) / "no-config-file.py"),
        "VP_ENVIRONMENT": settings.environment,
        "VP_SECRET_KEY": settings.secret_key,
        "VP_AUDIT_KEY": settings.audit_key,
        "VP_BACKUP_KEY": settings.backup_key,
        "VP_PASSWORD_KDF": settings.password_kdf.to_json(),
        "VP_TESTING": "1" if settings.testing else "0",
        "VP_DEFAULT_LOCALE": "en",
        "DATABASE_URL": database_url,
        "PYTHONUNBUFFERED": "1",
    })
    return env


class ForkServer:
    """``killpoint.py --serve``: forks one ``vp-registry`` child process per run."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        env = {name: value for name, value in os.environ.items()
               if not name.startswith("VP_") and name != "DATABASE_URL"}
        self.process = subprocess.Popen([sys.executable, str(KILLPOINT)], text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        env=env)

    def _reply(self) -> dict[str, int]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line, "the fork server died"
        reply: dict[str, int] = json.loads(line)
        return reply

    def start(self, env: dict[str, str], args: tuple[str, ...], stdin: str,
              **extra: object) -> tuple[int, Path]:
        """Fork a child running ``vp-registry ARGS``; returns its pid and its output file."""
        run = uuid.uuid4().hex
        stdin_file = self.workdir / f"stdin-{run}"
        stdin_file.write_text(stdin, encoding="utf-8")
        output = self.workdir / f"output-{run}"
        request = {"env": env, "args": list(args), "stdin_file": str(stdin_file),
                   "output_file": str(output), **extra}
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        return self._reply()["pid"], output

    def wait(self) -> int:
        """The wait status of the child started last, once it has ended."""
        return self._reply()["status"]

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


@dataclass
class Cli:
    settings: Settings
    workdir: Path
    server: ForkServer

    def run(self, url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        """The unmodified console script, to completion."""
        return subprocess.run([str(VP_REGISTRY), *args], input=stdin, capture_output=True,
                              text=True, env=cli_environment(self.settings, url),
                              timeout=TIMEOUT, check=False)

    def finish(self, url: str, *args: str, stdin: str = "") -> str:
        """Run to completion (forked, without a pause); returns the output."""
        _pid, output = self.server.start(cli_environment(self.settings, url), args, stdin)
        status = self.server.wait()
        text = output.read_text(encoding="utf-8")
        assert os.waitstatus_to_exitcode(status) == 0, text
        return text

    def count_steps(self, url: str, *args: str, stdin: str = "") -> int:
        """Run to completion, counting steps; return how many database steps it took."""
        steps_file = self.workdir / f"steps-{uuid.uuid4().hex}"
        _pid, output = self.server.start(cli_environment(self.settings, url), args, stdin,
                                         steps_file=str(steps_file))
        status = self.server.wait()
        assert os.waitstatus_to_exitcode(status) == 0, output.read_text(encoding="utf-8")
        return int(steps_file.read_text(encoding="utf-8"))

    def kill_at(self, url: str, step: int, *args: str, stdin: str = "") -> bool:
        """Start the command, SIGKILL it just before database step ``step``. Returns False
        when the command finished (successfully) before reaching that step."""
        paused = self.workdir / f"paused-{uuid.uuid4().hex}"
        pid, output = self.server.start(cli_environment(self.settings, url), args, stdin,
                                        pause_at=step, paused_file=str(paused))
        deadline = time.monotonic() + TIMEOUT
        while not paused.exists():
            try:  # ended already? (signal 0 only probes; the server reaps its children)
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            assert time.monotonic() < deadline, "the command neither paused nor ended"
            time.sleep(0.002)
        if paused.exists():
            os.kill(pid, signal.SIGKILL)
            assert os.waitstatus_to_exitcode(self.server.wait()) == -signal.SIGKILL
            return True
        code = os.waitstatus_to_exitcode(self.server.wait())
        assert code == 0, output.read_text(encoding="utf-8")
        return False


class CaseState(NamedTuple):
    """One decrypted case as :func:`inspect_database` found it."""

    status: str
    opened_on: date
    closed_on: date | None
    department: str | None
    categories: tuple[str, ...]
    narrative: str | None
    reporter_name: str | None
    contacts: tuple[tuple[date, int, str], ...]


@dataclass
class Snapshot:
    """What a database holds, decrypted: for comparing a crashed-and-resumed run with an
    uninterrupted one."""

    cases: dict[str, CaseState] = field(default_factory=dict)
    departments: set[tuple[object, ...]] = field(default_factory=set)
    users: set[str] = field(default_factory=set)
    vault_version: int = 0
    rotation_active: bool = False
    rows_on_old_versions: int = 0
    audit_entries: int = 0


def _count(session: Session, query: sa.Select[Any]) -> int:
    return int(session.execute(query).scalar_one())


def inspect_database(url: str, settings: Settings, recovery_key: str) -> Snapshot:
    """Assert the database is consistent and return its decrypted contents."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            verified = audit.verify(session, settings.audit_key)
            assert verified.ok, f"audit chain broken: {verified}"
            snapshot = Snapshot(audit_entries=verified.entries)
            # no orphans: a case without its key, a key or conversation without its case
            assert _count(session, select(func.count()).select_from(Case).where(
                ~Case.id.in_(select(CaseKey.case_id)))) == 0, "a case lost its data key"
            assert _count(session, select(func.count()).select_from(CaseKey).where(
                ~CaseKey.case_id.in_(select(Case.id)))) == 0, "a data key without its case"
            assert _count(session, select(func.count()).select_from(CaseContact).where(
                ~CaseContact.case_id.in_(select(Case.id)))) == 0, "a conversation w/o case"
            snapshot.departments = {
                (d.name, d.headcount, d.active,
                 session.get(Department, d.parent_id).name if d.parent_id else None)  # type: ignore[union-attr]
                for d in session.execute(select(Department)).scalars()}
            snapshot.users = set(session.execute(select(User.email)).scalars())
            row = session.get(Vault, 1)
            references = list(session.execute(select(Case.reference)).scalars())
            if row is None or row.key_version == 0:
                assert not references, "cases exist but there is no vault key"
                return snapshot
            snapshot.vault_version = row.key_version
            snapshot.rotation_active = store.active_rotation(session) is not None
            snapshot.rows_on_old_versions = rotation.rows_on_old_versions(session)
            keys = unlocking.open_keys(session, settings,
                                   unlocking.unlock_with_recovery(session, recovery_key))
            for reference in references:
                record = lifecycle.read_case(Work(session, settings, Actor.system(), keys=keys),
                                             reference)
                department = session.get(Department, record.department_id)
                snapshot.cases[reference] = CaseState(
                    record.status, record.opened_on, record.closed_on,
                    department.name if department else None,
                    record.categories, record.narrative, record.reporter_name,
                    tuple(sorted((c.held_on, c.minutes, c.notes or "")
                                 for c in record.contacts)))
            session.rollback()  # read_case audits; this inspection must change nothing
            return snapshot
    finally:
        engine.dispose()
