"""Benchmark pulse results (issue 16): 5,000 responses x 50 departments, release check included.

Run from the repository root: ``python benchmarks/bench_pulse.py``. It measures

* **core**: ``core.pulse.results.compute_results`` on 5,000 in-memory responses (the seven
  safety statements and the three toolbox questions) over 50 groups - the rule, the means,
  bands, scores and the trend against an earlier round;
* **service** on SQLite (migrated schema, the responses stored as the answering page stores
  them: one row per response, one per answer): ``services.pulse.results.round_results`` (two
  GROUP BY queries and the rule) and ``release_results`` (the same, plus the check against an
  earlier release of the round and the ledger row) - each run in a savepoint that is rolled
  back, so every run is a first release; and ``released_results`` (a manager's read).

Prints CPU and wall medians over the runs and exits 1 when the median CPU or wall time of the
results with the release check exceeds the budget (default 1 s, the issue's target).
"""

from __future__ import annotations

import argparse
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vp_registry.app_state import app_state
from vp_registry.core.pulse.grouping import PulseGroup
from vp_registry.core.pulse.questions import round_statements
from vp_registry.core.pulse.results import Response, RoundMeta, compute_results

TODAY = date(2026, 11, 25)
STATEMENTS = round_statements(("tb1", "tb2", "tb3"))


def timed(run: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median CPU and wall seconds of ``runs`` calls."""
    cpu, wall = [], []
    for _ in range(runs):
        c0, w0 = time.process_time(), time.perf_counter()
        run()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return statistics.median(cpu), statistics.median(wall)


def answer_sets(n: int, groups: int, seed: int = 16) -> list[tuple[int, dict[str, int]]]:
    """(group index, answers): each group leans safer or less safe, answers spread 1..7."""
    rng = random.Random(seed)
    lean = [rng.uniform(-1.5, 1.5) for _ in range(groups)]
    out = []
    for _ in range(n):
        group = rng.randrange(groups)
        out.append((group, {s.code: min(7, max(1, round(rng.gauss(4.6 + lean[group], 1.3))))
                            for s in STATEMENTS}))
    return out


def core_benchmark(n: int, departments: int, runs: int) -> tuple[float, float]:
    groups = tuple(PulseGroup(str(i), f"Afdeling {i}", (i,), 120) for i in range(departments))
    responses = [Response(str(g), a) for g, a in answer_sets(n, departments)]
    earlier = compute_results(responses[: n // 2], groups, 5, statements=STATEMENTS)
    meta = RoundMeta(2, "Najaar", TODAY - timedelta(days=30), TODAY, False, n + 200)
    return timed(lambda: compute_results(responses, groups, 5, statements=STATEMENTS,
                                         meta=meta, previous=earlier), runs)


def service_benchmark(n: int, departments: int, runs: int) -> dict[str, tuple[float, float]]:
    """round_results / release_results / released_results on SQLite (setup not timed)."""
    from vp_registry.app import create_app
    from vp_registry.config import Settings
    from vp_registry.core.crypto import FAST_KDF_FOR_TESTS
    from vp_registry.db.pulse import PulseAnswer, PulseResponse
    from vp_registry.services.accounts import organisation as org_service
    from vp_registry.services.accounts import users
    from vp_registry.services.contact.sealing import random_id
    from vp_registry.services.infrastructure import schema
    from vp_registry.services.infrastructure.audit import Actor
    from vp_registry.services.pulse import results, rounds
    from vp_registry.services.work import Work

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            environment="development", secret_key=secrets.token_urlsafe(48),
            audit_key=secrets.token_urlsafe(48), database_url=f"sqlite:///{tmp}/bench.sqlite3",
            instance_path=tmp, password_kdf=FAST_KDF_FOR_TESTS, testing=True)
        app = create_app(settings)
        schema.upgrade(app_state(app).engine)
        session = app_state(app).session_factory()
        with app.app_context():
            system = Work(session, settings, Actor.system())
            ids = [org_service.create_department(system, name=f"Afdeling {i:02d}",
                                                 headcount=100 + i).id
                   for i in range(departments)]
            user = users.create_user(system, email="vp@example.org", display_name="VP",
                                     role="counsellor", password=secrets.token_urlsafe(24))
            work = Work(session, settings, Actor(user.id, "counsellor"))
            row = rounds.create_round(
                work, title="Najaar", opens_on=TODAY - timedelta(days=30), closes_on=TODAY,
                department_ids=ids, statement_codes=("tb1", "tb2", "tb3"),
                custom_statements=[], with_codes=False, today=TODAY - timedelta(days=30))
            keys = [g.key for g in rounds.groups_of(session, row.id)]
            for group, answers in answer_sets(n, len(keys)):
                response = PulseResponse(id=random_id(), round_id=row.id, group_key=keys[group])
                session.add(response)
                session.flush()
                session.add_all([PulseAnswer(response_id=response.id, code=code, value=value)
                                 for code, value in answers.items()])
            session.commit()
            after = TODAY + timedelta(days=1)

            def release() -> object:
                savepoint = session.begin_nested()
                try:
                    return results.release_results(work, row.id, today=after)
                finally:
                    savepoint.rollback()

            measured = {
                "round_results": timed(lambda: results.round_results(
                    session, settings, row.id, today=after), runs),
                "release_results": timed(release, runs),
            }
            results.release_results(work, row.id, today=after)
            session.commit()
            measured["released_results"] = timed(
                lambda: results.released_results(session, row.id), runs)
            measured["release check, released before"] = timed(
                lambda: results.release_results(work, row.id, today=after), runs)
            groups = len(keys)
        session.close()
        app_state(app).engine.dispose()
    print(f"service: {n} responses in {groups} groups of {departments} departments")
    return measured


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=5_000)
    parser.add_argument("--departments", type=int, default=50)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--budget", type=float, default=1.0, help="seconds (median)")
    args = parser.parse_args()
    cpu, wall = core_benchmark(args.responses, args.departments, args.runs)
    print(f"core compute_results: {args.responses} responses x {args.departments} groups: "
          f"median CPU {cpu * 1000:7.1f} ms, wall {wall * 1000:7.1f} ms")
    measured = service_benchmark(args.responses, args.departments, args.runs)
    for name, (cpu, wall) in measured.items():
        print(f"  {name:<32} median CPU {cpu * 1000:7.1f} ms, wall {wall * 1000:7.1f} ms")
    cpu, wall = measured["release_results"]
    if max(cpu, wall) > args.budget:
        print(f"FAILED: results with the release check took {max(cpu, wall):.2f} s "
              f"(budget {args.budget:.2f} s)")
        return 1
    print(f"ok: results with the release check within {args.budget:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
