"""Load benchmark: gunicorn with 2 workers on PostgreSQL, 20 logged-in clients.

Run from the repository root: ``python benchmarks/bench_load.py [--clients 20] [--rounds 3]``.

1. Starts a throwaway PostgreSQL server (``scripts/pg-test-server``; or uses
   ``VP_TEST_POSTGRES_URL``), creates a database with production settings (real Argon2
   parameters, AES-256-GCM), a vault, one counsellor per client with vault access, and
   ``--cases`` encrypted cases with a conversation each.
2. Starts ``gunicorn --workers 2 'vp_registry:create_app()'`` on 127.0.0.1 only.
3. Logs every client in (password + TOTP), then runs timed phases with the same clients (the
   trivial and case-work phases alternate ``--rounds`` times, so that other load on the machine
   weighs on both alike; the paced phase comes last):
   - base: a trivial endpoint (``/static/style.css``, with the session cookie, so the session
     lookup is included as in every request), each client sending its next request as soon
     as the last one was answered (saturation);
   - cases: the case list (a random page) and single case pages, half each, at saturation;
   - paced: the same mix, each client waiting 0.5-1.5 s between clicks like a person.
4. Prints requests/second and p50/p95/p99 latency per phase and the ratio cases/base; exits 1
   when a request failed, and says whether the targets (p95 <= 100 ms, case-work throughput
   >= 30% of the base) were met. At saturation, latency is clients / throughput (Little's
   law), so the p95 target is judged on the paced phase and reported for both. Traffic goes
   only to 127.0.0.1; every phase is bounded in time.

The clients run in the same 2-core machine as the server and the database: what is measured
is the whole system on that machine.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pyotp  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from tests.reliability.webclient import Browser, GunicornServer  # noqa: E402
from vp_registry.config import Settings  # noqa: E402
from vp_registry.core import crypto  # noqa: E402
from vp_registry.db import make_engine  # noqa: E402
from vp_registry.services.accounts import authentication, organisation, users  # noqa: E402
from vp_registry.services.cases import conversations, lifecycle, queries  # noqa: E402
from vp_registry.services.cases.records import CaseInput, ContactInput  # noqa: E402
from vp_registry.services.infrastructure import schema  # noqa: E402
from vp_registry.services.infrastructure.audit import Actor  # noqa: E402
from vp_registry.services.vault import grants, key_pairs, store, unlocking  # noqa: E402
from vp_registry.services.work import Work  # noqa: E402

P95_TARGET_MS = 100.0
RATIO_TARGET = 0.30
PASSWORD = "Belasting-test-wachtwoord-2026"  # noqa: S105 - synthetic accounts only
DEPARTMENTS = ("Productie", "Magazijn en logistiek", "Monteurs buitendienst", "Engineering",
               "Kantoor")
CATEGORIES = ("pesten", "seksisme", "uitsluiting", "agressie", "integriteit", "werkdruk")


# ------------------------------------------------------------------ database


@contextmanager
def postgres_server() -> Iterator[str]:
    """The URL of a PostgreSQL server: VP_TEST_POSTGRES_URL, or a throwaway one."""
    given = os.environ.get("VP_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    started = subprocess.run([str(ROOT / "scripts" / "pg-test-server"), "start"],
                             capture_output=True, text=True, check=True)
    values = dict(line.split("=", 1) for line in started.stdout.split())
    try:
        yield values["VP_TEST_POSTGRES_URL"]
    finally:
        subprocess.run([str(ROOT / "scripts" / "pg-test-server"), "stop",
                        values["PG_TEST_DIR"]], capture_output=True, check=False)


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    name = "vp_bench_" + uuid.uuid4().hex[:10]
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.engine.make_url(server_url).set(database=name).render_as_string(
            hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def production_settings(url: str, instance: Path) -> Settings:
    return Settings(environment="production", secret_key=secrets.token_urlsafe(48),
                    audit_key=secrets.token_urlsafe(48), backup_key=secrets.token_urlsafe(48),
                    database_url=url, instance_path=str(instance)).validated()


def seed(settings: Settings, clients: int, case_count: int) -> tuple[list[dict[str, str]],
                                                                      list[str]]:
    """Counsellors with vault access (email, TOTP secret) and the case references."""
    engine = make_engine(settings.database_url)
    schema.upgrade(engine)
    people: list[dict[str, str]] = []
    references: list[str] = []
    rng = random.Random(20260515)
    with Session(engine) as session:
        organisation.ensure_default_categories(session)
        departments = [organisation.create_department(
            Work(session, settings, Actor.system()), name=name, headcount=60).id
            for name in DEPARTMENTS]
        recovery = store.create_vault(Work(session, settings, Actor.system()))
        assert recovery is not None
        recovery_text = crypto.format_recovery_key(recovery)
        for number in range(clients):
            user = users.create_user(
                Work(session, settings, Actor.system()), email=f"vp{number}@bench.example",
                display_name=f"Vertrouwenspersoon {number}", role="counsellor",
                password=PASSWORD, must_change_password=False)
            secret = pyotp.random_base32(32)
            authentication.complete_enrolment(Work(session, settings, Actor.system()), user, secret,
                                        pyotp.TOTP(secret).now(), None)
            user.totp_last_step = 0
            key_pairs.ensure_counsellor_key(Work(session, settings, Actor.system()), user, PASSWORD)
            grants.recover_access(Work(session, settings, Actor.system()), recovery_text, user)
            people.append({"email": user.email, "secret": secret})
        session.commit()
        first = users.find_by_email(session, people[0]["email"])
        assert first is not None
        work = Work(session, settings, Actor.system())
        keys = unlocking.open_keys(session, settings,
                                   unlocking.unlock_with_password(work, first, PASSWORD))
        actor = Actor(first.id, "counsellor")
        today = date.today()
        for number in range(case_count):
            opened = today - timedelta(days=rng.randrange(700))
            record = lifecycle.create_case(Work(session, settings, actor, keys=keys), CaseInput(
                opened_on=opened, department_id=rng.choice(departments),
                categories=(rng.choice(CATEGORIES),), relation="colleague", consent=False,
                narrative=f"Synthetische casus {number}: " + "tekst " * rng.randrange(5, 80),
                next_steps="Vervolggesprek.", minutes_spent=15), today=today)
            conversations.add_contact(Work(session, settings, actor, keys=keys),
                                      record.reference, ContactInput(
                held_on=opened, minutes=45, channel="phone", notes="Gesprek " * 20),
                today=today)
            references.append(record.reference)
            if number % 200 == 199:
                session.commit()
        session.commit()
    engine.dispose()
    return people, references


# ------------------------------------------------------------------- clients


def _client_process(port: int, people: list[dict[str, str]], references: list[str],
                    phases: list[tuple[str, float]], pages: int, ready: Any, start: Any,
                    out: Any) -> None:
    """One load process: a thread per client, all logged in, then the timed phases."""
    browsers = [Browser(port) for _ in people]
    for browser, person in zip(browsers, people, strict=True):
        browser.login(person["email"], PASSWORD, person["secret"])
    ready.wait(timeout=600)  # every process has logged its clients in
    while start.value == 0.0:  # the parent sets the common start time right after
        time.sleep(0.01)
    start_at = start.value
    results: dict[str, list[tuple[float, int]]] = {name: [] for name, _ in phases}
    lock = threading.Lock()

    def run(browser: Browser, seed_value: int) -> None:
        rng = random.Random(seed_value)
        begin = start_at
        for name, seconds in phases:
            while time.time() < begin:
                time.sleep(0.001)
            end = begin + seconds
            found: list[tuple[float, int]] = []
            kind = name.split("#")[0]
            while time.time() < end:
                if kind == "base":
                    path = "/static/style.css"
                elif rng.random() < 0.5:  # "cases" and "paced": the same mix
                    path = f"/cases/?page={rng.randrange(1, pages + 1)}"
                else:
                    path = f"/cases/{rng.choice(references)}"
                began = time.perf_counter()
                try:
                    status = browser.get(path).status
                except OSError:
                    status = 599
                found.append((time.perf_counter() - began, status))
                if kind == "paced":  # a person reads the page before the next click
                    time.sleep(rng.uniform(0.5, 1.5))
            with lock:
                results[name].extend(found)
            begin = end + 2.0  # a pause between phases

    threads = [threading.Thread(target=run, args=(browser, number))
               for number, browser in enumerate(browsers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for browser in browsers:
        browser.close()
    out.put(results)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=5.0,
                        help="length of each saturation phase")
    parser.add_argument("--rounds", type=int, default=6,
                        help="base and case-work phases alternate this many times, so that "
                             "other load on the machine weighs on both alike")
    parser.add_argument("--paced-seconds", type=float, default=30.0)
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--processes", type=int, default=2,
                        help="load-generating processes (the clients are spread over them)")
    args = parser.parse_args()
    print(f"platform: {platform.platform()}, python {platform.python_version()}, "
          f"{os.cpu_count()} cpus")
    with postgres_server() as server_url, fresh_database(server_url) as url, \
            tempfile.TemporaryDirectory() as tmp:
        settings = production_settings(url, Path(tmp))
        began = time.perf_counter()
        people, references = seed(settings, args.clients, args.cases)
        print(f"seeded {len(references)} cases and {len(people)} counsellors in "
              f"{time.perf_counter() - began:.1f} s")
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("VP_") and k != "DATABASE_URL"}
        env.update({"DATABASE_URL": url, "VP_INSTANCE_PATH": tmp,
                    "VP_CONFIG": str(Path(tmp) / "none.py"),
                    "VP_SECRET_KEY": settings.secret_key, "VP_AUDIT_KEY": settings.audit_key,
                    "VP_BACKUP_KEY": settings.backup_key})
        log = Path(tmp) / "gunicorn.log"
        phases = [(f"{kind}#{number}", args.seconds) for number in range(args.rounds)
                  for kind in ("base", "cases")] + [("paced#0", args.paced_seconds)]
        pages = max(1, -(-len(references) // queries.PAGE_SIZE))
        with GunicornServer(env, workers=args.workers, log=log) as server:
            queue: multiprocessing.Queue[Any] = multiprocessing.Queue()
            groups = [group for group in (people[i::args.processes]
                                          for i in range(args.processes)) if group]
            ready = multiprocessing.Barrier(len(groups) + 1)
            start = multiprocessing.Value("d", 0.0)
            workers = [multiprocessing.Process(target=_client_process, args=(
                server.port, group, references, phases, pages, ready, start, queue))
                for group in groups]
            for worker in workers:
                worker.start()
            began = time.perf_counter()
            ready.wait(timeout=600)
            start.value = time.time() + 1.0
            print(f"{len(people)} clients logged in ({time.perf_counter() - began:.1f} s); "
                  f"{args.rounds} x ({args.seconds:.0f} s trivial, {args.seconds:.0f} s case "
                  f"work), then {args.paced_seconds:.0f} s paced")
            collected = [queue.get(timeout=600) for _ in workers]
            for worker in workers:
                worker.join(60)
            errors = server.server_errors()
        summary: dict[str, dict[str, float]] = {}
        failed = 0
        answered: dict[str, int] = {}  # per phase, for the per-round ratios
        for name, _seconds in phases:
            samples = [sample for result in collected for sample in result[name]]
            failed += sum(1 for _latency, status in samples if status != 200)
            answered[name] = sum(1 for _latency, status in samples if status == 200)
        for kind in ("base", "cases", "paced"):
            names = [name for name, _seconds in phases if name.split("#")[0] == kind]
            seconds = sum(length for name, length in phases if name in names)
            samples = [sample for result in collected for name in names
                       for sample in result[name]]
            latencies = [latency for latency, status in samples if status == 200]
            summary[kind] = {
                "requests": len(samples), "rps": len(latencies) / seconds,
                "p50_ms": 1000 * statistics.median(latencies),
                "p95_ms": 1000 * percentile(latencies, 0.95),
                "p99_ms": 1000 * percentile(latencies, 0.99),
            }
        base, work, paced = summary["base"], summary["cases"], summary["paced"]
        ratio = work["rps"] / base["rps"]
        per_round = [answered[f"cases#{n}"] / max(1, answered[f"base#{n}"])
                     for n in range(args.rounds)]
        for name, label in (("base", "trivial endpoint (/static/style.css)"),
                            ("cases", "case list + case pages"),
                            ("paced", "the same, 0.5-1.5 s between clicks")):
            row = summary[name]
            print(f"{label:38s} {row['rps']:7.1f} req/s  p50 {row['p50_ms']:6.1f} ms  "
                  f"p95 {row['p95_ms']:6.1f} ms  p99 {row['p99_ms']:6.1f} ms  "
                  f"({int(row['requests'])} requests)")
        print(f"case-work throughput / trivial throughput: {ratio:.0%} "
              f"(target >= {RATIO_TARGET:.0%}); per round "
              + ", ".join(f"{value:.0%}" for value in per_round)
              + f" (median {statistics.median(per_round):.0%})")
        print("requests answered per phase: " + ", ".join(
            f"{name} {answered[name]}" for name, _seconds in phases))
        print(f"case-work p95 with clients that wait for nothing: {work['p95_ms']:.1f} ms; "
              f"with 0.5-1.5 s between clicks: {paced['p95_ms']:.1f} ms "
              f"(target <= {P95_TARGET_MS:.0f} ms)")
        print(f"targets: ratio {'met' if ratio >= RATIO_TARGET else 'NOT met'}; p95 "
              f"{'met' if paced['p95_ms'] <= P95_TARGET_MS else 'NOT met'} at a human pace, "
              f"{'met' if work['p95_ms'] <= P95_TARGET_MS else 'NOT met'} at saturation "
              f"(20 clients that never wait need >= 200 req/s for 100 ms: Little's law)")
        print("json: " + json.dumps({"clients": args.clients, "workers": args.workers,
                                     "cases": len(references), **{
                                         f"{n}_{k}": round(v, 2) for n, row in summary.items()
                                         for k, v in row.items()}, "ratio": round(ratio, 3),
                                     "ratio_per_round": [round(v, 3) for v in per_round]}))
        if errors or failed:
            print(f"FAILED: {failed} requests did not answer 200; server log: {errors[:5]}",
                  file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
