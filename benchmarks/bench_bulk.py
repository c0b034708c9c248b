"""Bulk key rotation and retention purge on PostgreSQL (issue 15): ``vp-registry keys rotate``
and ``vp-registry retention purge`` over 100,000 cases, each within 30 s, and both resumable
after SIGKILL.

Method: a throwaway PostgreSQL server (``scripts/pg-test-server``; or ``VP_BENCH_POSTGRES_URL``
/ ``VP_TEST_POSTGRES_URL``), a fresh database, the vault, ten real cases (closed three years
ago, one conversation each) and a final annual report of their year; then the cases, their
data keys and conversations are cloned by SQL to ``--cases`` rows (clones do not decrypt -
their ciphertexts are bound to the template's id - but neither command decrypts content:
rotation re-wraps the data keys, which are not bound to the row, and retention shreds).

Runs, each the real console script in a subprocess:

1. ``keys rotate --recovery-key-stdin``, SIGKILLed once some batches are committed, then run
   again: it resumes and finishes (shown: rows re-wrapped before the kill, none left after).
2. ``keys rotate`` once more, uninterrupted: the timed run.
3. ``retention purge``, SIGKILLed after some batches, then run again to the end (the timed
   figure is the whole purge of the seeded cases in one uninterrupted run on a fresh copy).

Run from the repository root: ``python benchmarks/bench_bulk.py [--cases 100000]``. Wall
time, one run each (a run is minutes of seeding; the figures are what the operator waits).
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, func, insert, select, text, update  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from vp_registry.config import Settings  # noqa: E402
from vp_registry.core import crypto  # noqa: E402
from vp_registry.core.report import ReportTexts  # noqa: E402
from vp_registry.db import make_engine  # noqa: E402
from vp_registry.db.cases import Case, CaseContact, CaseKey  # noqa: E402
from vp_registry.db.reports import FINAL, AnnualReportRow  # noqa: E402
from vp_registry.services.accounts import organisation  # noqa: E402
from vp_registry.services.cases import conversations, lifecycle  # noqa: E402
from vp_registry.services.cases.records import CaseInput, Closing, ContactInput  # noqa: E402
from vp_registry.services.infrastructure import schema  # noqa: E402
from vp_registry.services.infrastructure.audit import Actor  # noqa: E402
from vp_registry.services.reports import drafts  # noqa: E402
from vp_registry.services.vault import store, unlocking  # noqa: E402
from vp_registry.services.work import Work  # noqa: E402

VP_REGISTRY = Path(sys.executable).parent / "vp-registry"
TEMPLATES = 10
CHUNK = 5000
TARGET_S = 30.0


# ------------------------------------------------------------------ PostgreSQL


@contextmanager
def postgres_server() -> Iterator[str | None]:
    """A server URL: the given one, or a throwaway server (None when there is none)."""
    given = os.environ.get("VP_BENCH_POSTGRES_URL") or os.environ.get("VP_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    started = subprocess.run([str(ROOT / "scripts" / "pg-test-server"), "start"],
                             capture_output=True, text=True, check=False)
    if started.returncode != 0:
        print("no PostgreSQL server:", started.stderr.strip())
        yield None
        return
    values = dict(line.split("=", 1) for line in started.stdout.split() if "=" in line)
    try:
        yield values["VP_TEST_POSTGRES_URL"]
    finally:
        subprocess.run([str(ROOT / "scripts" / "pg-test-server"), "stop",
                        values["PG_TEST_DIR"]], capture_output=True, check=False)


def fresh_database(server_url: str, name: str) -> str:
    admin = make_engine(server_url)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server_url.rsplit("/", 1)[0] + f"/{name}"


# ------------------------------------------------------------------ seeding


def _templates(session: Session, settings: Settings, recovery: str, year: int) -> None:
    """Ten real closed cases of ``year`` with a conversation each, and that year reported."""
    keys = unlocking.open_keys(session, settings,
                               unlocking.unlock_with_recovery(session, recovery))
    work = Work(session, settings, Actor.system(), keys=keys)
    department = organisation.create_department(work, name="Productie", headcount=140).id
    today = date.today()
    for number in range(TEMPLATES):
        opened = date(year, 3, 1 + number)
        record = lifecycle.create_case(work, CaseInput(
            opened_on=opened, department_id=department, categories=("werkdruk",),
            relation="colleague", consent=False, narrative=f"Bulk {number}: " + "tekst " * 40,
            next_steps="Vervolggesprek.", minutes_spent=30), today=today)
        conversations.add_contact(work, record.reference, ContactInput(
            held_on=opened, minutes=45, channel="phone", notes="Gesprek " * 20), today=today)
        version = lifecycle.read_case(work, record.reference).version
        lifecycle.close_case(work, record.reference, version, Closing(
            closed_on=date(year, 6, 1), outcome="advice", referral=None), today=today)
    drafts.save_texts(work, year, 0, ReportTexts(), "nl", today=today)
    # the annual report is final (what retention waits for); finalising it is not measured
    session.execute(update(AnnualReportRow).where(AnnualReportRow.year == year)
                    .values(status=FINAL))


def _clone(session: Session, count: int) -> None:
    """Copy the template cases (with their key and conversation) to ``count`` rows."""
    cases = [dict(row._mapping) for row in session.execute(select(Case.__table__))]
    keys = {row.case_id: dict(row._mapping) for row in session.execute(
        select(CaseKey.__table__))}
    contacts = {row.case_id: dict(row._mapping) for row in session.execute(
        select(CaseContact.__table__))}
    next_id = 1 << 40
    for start in range(TEMPLATES, count, CHUNK):
        case_rows, key_rows, contact_rows = [], [], []
        for number in range(start, min(start + CHUNK, count)):
            template = cases[number % len(cases)]
            case_id, next_id = next_id, next_id + 2
            case_rows.append({**template, "id": case_id, "reference": f"BK-{number:07d}"})
            key_rows.append({**keys[template["id"]], "case_id": case_id})
            contact_rows.append({**contacts[template["id"]], "id": case_id + 1,
                                 "case_id": case_id})
        session.execute(insert(Case.__table__), case_rows)
        session.execute(insert(CaseKey.__table__), key_rows)
        session.execute(insert(CaseContact.__table__), contact_rows)
        session.commit()


def seed(url: str, settings: Settings, count: int) -> str:
    """The seeded database; returns the recovery key."""
    engine = make_engine(url)
    schema.upgrade(engine)
    with Session(engine) as session:
        organisation.ensure_default_categories(session)
        system = Work(session, settings, Actor.system())
        recovery_raw = store.create_vault(system)
        assert recovery_raw is not None
        recovery = crypto.format_recovery_key(recovery_raw)
        store.create_vault_key(system, store.require_vault(session))
        session.commit()
        _templates(session, settings, recovery, date.today().year - 3)
        session.commit()
        _clone(session, count)
    engine.dispose()
    return recovery


# ------------------------------------------------------------------ the commands


def environment(settings: Settings, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VP_") and k != "DATABASE_URL"}
    env.update({
        "VP_INSTANCE_PATH": settings.instance_path,
        "VP_CONFIG": str(Path(settings.instance_path) / "no-config-file.py"),
        "VP_ENVIRONMENT": settings.environment, "VP_SECRET_KEY": settings.secret_key,
        "VP_AUDIT_KEY": settings.audit_key, "VP_BACKUP_KEY": settings.backup_key,
        "VP_DEFAULT_LOCALE": "en", "DATABASE_URL": url, "PYTHONUNBUFFERED": "1",
    })
    return env


def run(env: dict[str, str], args: list[str], stdin: str = "") -> float:
    """Run ``vp-registry ARGS`` to the end; returns the wall seconds."""
    start = time.perf_counter()
    done = subprocess.run([str(VP_REGISTRY), *args], input=stdin, env=env, text=True,
                          capture_output=True, check=False)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"vp-registry {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return took


def kill_midway(env: dict[str, str], args: list[str], stdin: str, engine: Engine,
                progressed: Any) -> int:
    """Start the command, SIGKILL it once ``progressed(engine)`` is > 0; returns that value."""
    process = subprocess.Popen([str(VP_REGISTRY), *args], stdin=subprocess.PIPE, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
    assert process.stdin is not None
    process.stdin.write(stdin)
    process.stdin.close()
    deadline = time.monotonic() + 120
    done = 0
    while time.monotonic() < deadline and process.poll() is None:
        done = progressed(engine)
        if done:
            break
        time.sleep(0.05)
    if process.poll() is not None:
        raise SystemExit(f"vp-registry {' '.join(args)} ended before it could be killed")
    process.send_signal(signal.SIGKILL)
    process.wait()
    return done


def _vault_version(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT key_version FROM vault")).scalar_one())


def _keys_on(engine: Engine, version: int) -> int:
    """Data keys of cases wrapped under vault key ``version`` (committed)."""
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(CaseKey).where(
            CaseKey.vault_key_version == version)).scalar_one())


def _left_old(engine: Engine) -> int:
    with engine.connect() as connection:
        current = connection.execute(text("SELECT key_version FROM vault")).scalar_one()
        return int(connection.execute(select(func.count()).select_from(CaseKey).where(
            CaseKey.vault_key_version != current)).scalar_one())


def _cases(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(Case)).scalar_one())


def bench(server: str, count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(environment="production", secret_key=secrets.token_urlsafe(48),
                            audit_key=secrets.token_urlsafe(48),
                            backup_key=secrets.token_urlsafe(48),
                            database_url=server, instance_path=tmp).validated()
        url = fresh_database(server, "vp_bench_bulk")
        started = time.perf_counter()
        recovery = seed(url, settings, count)
        print(f"seeded {count} cases in {time.perf_counter() - started:.1f} s")
        env, engine = environment(settings, url), make_engine(url)
        rotate = ["keys", "rotate", "--recovery-key-stdin", "--batch-size", "1000"]
        new_version = _vault_version(engine) + 1
        before = kill_midway(env, rotate, recovery + "\n", engine,
                             lambda e: _keys_on(e, new_version))
        resumed = run(env, rotate, recovery + "\n")
        print(f"keys rotate: SIGKILL after {before} of {count} keys re-wrapped; the rerun "
              f"resumed and finished in {resumed:.1f} s, {_left_old(engine)} left on the old "
              "version")
        took = run(env, rotate, recovery + "\n")
        print(f"keys rotate, {count} cases: {took:.1f} s (target <= {TARGET_S:.0f} s) "
              f"{'OK' if took <= TARGET_S else 'TOO SLOW'}")
        purge = ["retention", "purge"]
        left = kill_midway(env, purge, "", engine, lambda e: count - _cases(e))
        resumed = run(env, purge)
        print(f"retention purge: SIGKILL after {left} of {count} cases erased; the rerun "
              f"finished in {resumed:.1f} s, {_cases(engine)} cases left")
        engine.dispose()
        url = fresh_database(server, "vp_bench_bulk")
        seed(url, settings, count)
        env, engine = environment(settings, url), make_engine(url)
        took = run(env, purge)
        print(f"retention purge, {count} cases: {took:.1f} s (target <= {TARGET_S:.0f} s) "
              f"{'OK' if took <= TARGET_S else 'TOO SLOW'}; {_cases(engine)} cases left")
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    args = parser.parse_args()
    with postgres_server() as server:
        if server is None:
            print("skipped: no PostgreSQL (set VP_BENCH_POSTGRES_URL)")
            return 0
        print(f"machine: {os.cpu_count()} CPUs; load {os.getloadavg()[0]:.1f}")
        bench(server, args.cases)
    return 0


if __name__ == "__main__":
    sys.exit(main())
