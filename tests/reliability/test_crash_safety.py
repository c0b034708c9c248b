"""Crash safety (issue 7): a real ``vp-registry`` process killed with SIGKILL at random points
of key rotation, retention purge, department import and demo generation leaves a consistent
database, and running the command again finishes the job.

Method: seed a database, run the command once on a copy to count its database steps (every
SQL statement and COMMIT) and to record what an uninterrupted run leaves; then, on the seeded
database, start the command, SIGKILL it just before a random step (``killpoint.py`` pauses it
there), check consistency, repeat, and finally run the unmodified console script to
completion. Consistent means: the audit chain verifies, every remaining case and conversation
decrypts, no orphaned key, conversation or case. The end state must equal the uninterrupted
run's. The random seed is printed; set ``VP_TEST_CRASH_SEED`` to replay a run.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tests.casework import case_input, create_vault, department, grant, unlock
from tests.reliability.harness import (
    VP_REGISTRY,
    Cli,
    ForkServer,
    Snapshot,
    cli_environment,
    cloned,
    inspect_database,
)
from tests.support.sessions import db_session_for
from vp_registry.app_state import app_state
from vp_registry.config import Settings
from vp_registry.core.report import ReportTexts
from vp_registry.db import make_engine
from vp_registry.db.accounts import User
from vp_registry.db.cases import CaseKey
from vp_registry.services.accounts import organisation
from vp_registry.services.cases import conversations, lifecycle
from vp_registry.services.cases.records import Closing, ContactInput
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.reports import drafts, finalising
from vp_registry.services.work import Work

pytestmark = pytest.mark.slow

KILLS = 3  # kill points per command and test run


@pytest.fixture
def rng() -> random.Random:
    seed = int(os.environ.get("VP_TEST_CRASH_SEED") or random.SystemRandom().randrange(2**32))
    print(f"crash-safety seed: VP_TEST_CRASH_SEED={seed}")
    return random.Random(seed)


@pytest.fixture(scope="module")
def fork_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ForkServer]:
    server = ForkServer(tmp_path_factory.mktemp("fork-server"))
    yield server
    server.close()


@pytest.fixture
def cli(settings: Settings, tmp_path: Path, fork_server: ForkServer) -> Cli:
    return Cli(settings, tmp_path, fork_server)


def _seed_cases(app: Flask, settings: Settings, create_user: Callable[..., User], *,
                open_cases: int, due_cases: int = 0, recent_cases: int = 0) -> str:
    """A vault, a counsellor with access and encrypted cases, each with a conversation.
    Returns the recovery key. ``due_cases`` are closed long enough ago for retention."""
    setup = create_vault(app, settings)
    user = create_user("counsellor")
    grant(app, settings, user, setup.recovery_key)
    today = date.today()
    with app.app_context(), db_session_for(app) as session:
        keys = unlock(session, settings, user)
        actor = Actor(user.id, "counsellor")
        dept = department(session, "Magazijn en logistiek", settings).id
        plan = ([("open", today - timedelta(days=n % 200), None) for n in range(open_cases)]
                + [("due", today - timedelta(days=3 * 366 + n), 20) for n in range(due_cases)]
                + [("recent", today - timedelta(days=40), 30) for _ in range(recent_cases)])
        for number, (kind, opened, closed_after) in enumerate(plan):
            record = lifecycle.create_case(Work(session, settings, actor, keys=keys), case_input(
                dept, opened_on=opened, narrative=f"{kind} casus {number}"), today=today)
            conversations.add_contact(Work(session, settings, actor, keys=keys),
                                      record.reference, ContactInput(
                held_on=opened, minutes=30 + number, channel="phone",
                notes=f"gesprek {number}"), today=today)
            if closed_after is not None:
                lifecycle.close_case(Work(session, settings, actor, keys=keys),
                                     record.reference, 1, Closing(
                    closed_on=opened + timedelta(days=closed_after), outcome="advice"),
                    today=today)
        # retention waits for the finalised annual report of every year a case counts in
        for year in sorted({opened.year for kind, opened, _ in plan if kind == "due"}):
            draft = drafts.save_texts(Work(session, settings, actor, keys=keys),
                                      year, 0, ReportTexts(),
                                      "nl", today=today)
            finalising.finalise(Work(session, settings, actor, keys=keys),
                                year, draft.revision, today=today)
        session.commit()
    app_state(app).engine.dispose()  # the subprocesses get the database to themselves
    return setup.recovery_key


def _crash_and_finish(cli: Cli, url: str, settings: Settings, recovery_key: str,
                      rng: random.Random, *args: str, stdin: str = ""
                      ) -> tuple[Snapshot, Snapshot, list[int]]:
    """Returns (what an uninterrupted run leaves, what crashes + a final run leave, the
    steps killed at; negative: the run finished before reaching that step)."""
    with cloned(url, cli.workdir) as calibration:
        total = cli.count_steps(calibration, *args, stdin=stdin)
        expected = inspect_database(calibration, settings, recovery_key)
    points: list[int] = []
    finished = False
    for _ in range(KILLS):
        step = rng.randint(1, total)
        killed = cli.kill_at(url, step, *args, stdin=stdin)
        points.append(step if killed else -step)
        inspect_database(url, settings, recovery_key)  # consistent after every kill
        if not killed:
            finished = True
            break
    if not finished:
        cli.finish(url, *args, stdin=stdin)
    assert points[0] > 0, "the first run on the seeded database must be killed"
    return expected, inspect_database(url, settings, recovery_key), points


def test_key_rotation_killed_at_random_points_resumes(
    app: Flask, settings: Settings, create_user: Callable[..., User], database_url: str,
    cli: Cli, rng: random.Random
) -> None:
    recovery_key = _seed_cases(app, settings, create_user, open_cases=36)
    before = inspect_database(database_url, settings, recovery_key)
    expected, final, points = _crash_and_finish(
        cli, database_url, settings, recovery_key, rng,
        "keys", "rotate", "--recovery-key-stdin", "--batch-size", "4",
        stdin=recovery_key + "\n")
    assert expected.vault_version == final.vault_version == before.vault_version + 1, points
    assert not final.rotation_active and final.rows_on_old_versions == 0, points
    assert final.cases == before.cases, points  # data untouched, only keys re-wrapped


def test_retention_purge_killed_at_random_points_reruns(
    app: Flask, settings: Settings, create_user: Callable[..., User], database_url: str,
    cli: Cli, rng: random.Random
) -> None:
    recovery_key = _seed_cases(app, settings, create_user, open_cases=6, due_cases=24,
                               recent_cases=4)
    before = inspect_database(database_url, settings, recovery_key)
    expected, final, points = _crash_and_finish(cli, database_url, settings, recovery_key,
                                                rng, "retention", "purge")
    kept = {ref: case for ref, case in before.cases.items()
            if not (case.narrative or "").startswith("due")}
    assert len(kept) == 10 and expected.cases == kept, "the uninterrupted purge is the baseline"
    assert final.cases == kept, points


def _department_csv(parents: int, children_each: int) -> str:
    lines = ["name,headcount,parent,active",
             "Magazijn en logistiek,31,,yes",  # exists: updated
             "Productie,150,,ja"]              # exists: updated
    for parent in range(parents):
        lines.append(f"Afdeling {parent:03d},{20 + parent},Productie,yes")
        lines.extend(f"Team {parent:03d}-{child},{5 + child},Afdeling {parent:03d},"
                     f"{'nee' if child == 0 else 'ja'}" for child in range(children_each))
    return "\n".join(lines) + "\n"


def test_department_import_killed_at_random_points_reruns(
    app: Flask, settings: Settings, database_url: str, cli: Cli, rng: random.Random,
    tmp_path: Path
) -> None:
    with app.app_context(), db_session_for(app) as session:
        organisation.create_department(Work(session, settings, Actor.system()),
                                       name="Magazijn en logistiek", headcount=27)
        organisation.create_department(Work(session, settings, Actor.system()),
                                       name="Productie", headcount=140)
        session.commit()
    app_state(app).engine.dispose()
    csv_file = tmp_path / "afdelingen.csv"
    csv_file.write_text(_department_csv(40, 4), encoding="utf-8")
    expected, final, points = _crash_and_finish(cli, database_url, settings, "", rng,
                                                "departments", "import", str(csv_file))
    assert len(expected.departments) == 2 + 40 + 40 * 4
    assert ("Magazijn en logistiek", 31, True, None) in expected.departments
    assert final.departments == expected.departments, points


def test_demo_generation_killed_at_random_points_reruns(
    app: Flask, settings: Settings, database_url: str, cli: Cli, rng: random.Random
) -> None:
    recovery_key = create_vault(app, settings).recovery_key
    app_state(app).engine.dispose()
    expected, final, points = _crash_and_finish(cli, database_url, settings, recovery_key,
                                                rng, "demo")
    assert len(expected.cases) > 20 and expected.users and expected.departments
    assert (len(final.cases), final.users, final.departments) == (
        len(expected.cases), expected.users, expected.departments), points
    # the demo's random references differ between runs; the decrypted contents do not
    assert sorted(map(repr, final.cases.values())) == sorted(
        map(repr, expected.cases.values())), points


def _rotated_keys(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.execute(select(func.count()).select_from(CaseKey).where(
            CaseKey.vault_key_version == 2)).scalar_one())


def test_unmodified_console_script_killed_mid_rotation_resumes(
    app: Flask, settings: Settings, create_user: Callable[..., User], database_url: str,
    cli: Cli, rng: random.Random
) -> None:
    """No step counter: the installed ``vp-registry`` is killed from outside as soon as the
    test sees a partly re-wrapped database (plus a random few milliseconds)."""
    cases_total = 40
    recovery_key = _seed_cases(app, settings, create_user, open_cases=cases_total)
    before = inspect_database(database_url, settings, recovery_key)
    args = [str(VP_REGISTRY), "keys", "rotate", "--recovery-key-stdin", "--batch-size", "1"]
    process = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, text=True,
                               env=cli_environment(settings, database_url))
    engine = make_engine(database_url)
    try:
        assert process.stdin is not None
        process.stdin.write(recovery_key + "\n")
        process.stdin.close()
        deadline = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < deadline:
            if _rotated_keys(engine) > 0:
                time.sleep(rng.uniform(0, 0.01))
                process.send_signal(signal.SIGKILL)
                break
            time.sleep(0.002)
        code = process.wait(120)
        progress = _rotated_keys(engine)
    finally:
        engine.dispose()
        if process.poll() is None:
            process.kill()
            process.wait()
    middle = inspect_database(database_url, settings, recovery_key)
    assert middle.vault_version == 2
    cli.finish(database_url, "keys", "rotate", "--recovery-key-stdin", stdin=recovery_key + "\n")
    final = inspect_database(database_url, settings, recovery_key)
    assert not final.rotation_active and final.rows_on_old_versions == 0
    assert final.cases == before.cases
    assert code == -signal.SIGKILL, "the rotation ended before the test could kill it"
    # killed mid-way: the rerun resumes (version 2); killed after it finished: a new one (3)
    assert final.vault_version == (2 if middle.rotation_active else 3), progress
