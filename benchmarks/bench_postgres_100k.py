"""A 100,000-case organisation on PostgreSQL (issue 15): case list, free-text search, annual
report preview and signal candidates.

Method: a throwaway PostgreSQL server (``bench_bulk.postgres_server``: ``scripts/pg-test-server``,
or ``VP_BENCH_POSTGRES_URL`` / ``VP_TEST_POSTGRES_URL``), a fresh database, the organisation
and logged-in counsellor of ``bench_cases.build`` (40 departments, the default categories),
then ``--cases`` cases spread over ``--years`` years, one to three conversations each, with the
texts of ``bench_cases`` (narrative, next steps, involved person, notes). Seeding is a bulk
insert of real encrypted rows: each case gets its own data key wrapped by the vault key and
its listing, details and conversations are encrypted by ``services/cases/codec`` exactly as
``lifecycle.create_case`` does (only the per-case statements and the audit entries are left
out) - so every measured request decrypts what a real organisation would hold.

Measured, median server time of full requests through the WSGI app (session, vault key,
indexes, decryption, template; ``bench_cases.requests_of``) and the CPU time of this process
(which runs the app; PostgreSQL's own CPU is not in it):

* ``list``, ``list category`` (warm), ``list category, cold`` (first after a login),
  ``list category, rebuild`` (after an erasure or rotation), ``list dept+cat+year``,
  ``list text`` (free-text search), ``case page``;
* the first search after seeding (the encrypted search index built from every case, once);
* service level: ``cases.facts.case_facts`` for the report year, ``reports.finalising.preview``
  (alone, and with the page's HTML and charts) and ``signals.reviewing.current_basis`` (every
  case's facts and the candidates).

Targets at 10,000 cases (issue 15): list cold <= 150 ms, search <= 300 ms, report figures
<= 0.5 s; this benchmark shows where 100,000 cases stand against them. Without PostgreSQL
binaries it says so and exits 0 (``--database sqlite`` runs the same on SQLite).

Run from the repository root: ``python benchmarks/bench_postgres_100k.py [--cases 100000]
[--years 10] [--repeat 5] [--database postgresql|sqlite] [--services-only]`` (only the service
lines, no web requests: the report's before/after).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from datetime import time as day_time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_bulk import fresh_database, postgres_server
from bench_cases import (
    CATEGORIES,
    PASSWORD,
    TODAY,
    Organisation,
    _sentence,
    build,
    measure,
    platform_info,
    requests_of,
)
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from vp_registry.app_state import app_state
from vp_registry.core.casework import new_reference
from vp_registry.core.report import ReportTexts
from vp_registry.core.taxonomy import CaseStatus
from vp_registry.db.accounts import User
from vp_registry.db.cases import Case, CaseContact, CaseKey
from vp_registry.render.html import render_fragment
from vp_registry.services.accounts import organisation
from vp_registry.services.cases import codec
from vp_registry.services.cases import facts as case_facts
from vp_registry.services.cases.records import CaseInput, ContactInput
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.record_keys import new_record_key, random_id
from vp_registry.services.reports import drafts, finalising
from vp_registry.services.signals import reviewing
from vp_registry.services.vault import unlocking
from vp_registry.services.vault.keyring import VaultKeys
from vp_registry.services.work import Work

CHUNK = 2000
TARGETS_MS = {"list category, cold": 150.0, "list text": 300.0}
REPORT_TARGET_S = 0.5


# ------------------------------------------------------------------ seeding


def _reference(year: int, taken: set[str]) -> str:
    while True:  # as lifecycle does, against the references of this run
        reference = new_reference(year)
        if reference not in taken:
            taken.add(reference)
            return reference


def _columns(row: Any) -> dict[str, Any]:
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}


def encrypted_case(keys: VaultKeys, rng: random.Random, department_ids: list[int], years: int,
                   taken: set[str]) -> tuple[dict[str, Any], dict[str, Any],
                                             list[dict[str, Any]]]:
    """One case as ``lifecycle.create_case``, ``add_contact`` and ``close_case`` would store
    it (the case, its wrapped data key, its conversations), encrypted through ``codec``."""
    opened = TODAY - timedelta(days=rng.randrange(years * 365))
    data = CaseInput(
        opened_on=opened, department_id=rng.choice(department_ids),
        categories=tuple(rng.sample(CATEGORIES, rng.choice((1, 1, 2, 3)))),
        relation=rng.choice(("colleague", "manager", "subordinate", "external")),
        consent=rng.random() < 0.5, involved_person=_sentence(rng, 2),
        narrative=_sentence(rng, 60), next_steps=_sentence(rng, 15),
        gender=rng.choice((None, "woman", "man")), minutes_spent=rng.randrange(0, 120),
        integrity_report=rng.random() < 0.03)
    closed = (min(TODAY, opened + timedelta(days=rng.randrange(10, 90)))
              if opened < TODAY - timedelta(days=120) and rng.random() < 0.995 else None)
    outcome = rng.choice(("advice", "informal", "mediation", "no_follow_up")) if closed else None
    crypter, wrapped, vault_version = new_record_key(keys)
    moment = datetime.combine(opened, day_time(9))
    row = Case(id=random_id(), reference=_reference(opened.year, taken),
               status=(CaseStatus.CLOSED if closed else CaseStatus.OPEN).value,
               opened_on=opened, closed_on=closed, version=2 if closed else 1,
               data_key_version=codec.DATA_KEY_VERSION, created_at=moment, updated_at=moment)
    codec.encode_case(crypter, row, codec.listing_values(data, outcome),
                      codec.details_values(data, None, None))
    talks = []
    for _ in range(rng.choice((1, 1, 2, 3))):
        talk = CaseContact(id=random_id(), case_id=row.id, version=1, created_at=moment,
                           updated_at=moment,
                           held_on=min(TODAY, opened + timedelta(days=rng.randrange(60))))
        codec.encode_contact(crypter, talk, ContactInput(
            held_on=talk.held_on, minutes=rng.choice((30, 45, 60, 90)),
            channel=rng.choice(("in_person", "phone", "video", "email")),
            notes=_sentence(rng, 40)))
        talks.append(_columns(talk))
    key = {"case_id": row.id, "wrapped_key": wrapped, "vault_key_version": vault_version}
    return _columns(row), key, talks


def seed(org: Organisation, total: int, years: int, seed_value: int) -> None:
    """Insert ``total`` encrypted cases, ``CHUNK`` per transaction (executemany)."""
    rng = random.Random(seed_value)
    app = org.app
    with app.app_context():
        settings = app_state(app).settings
        session = app_state(app).session_factory()
        user = session.execute(select(User).where(User.email == "vp@bench.example")).scalar_one()
        keys = unlocking.open_keys(session, settings, unlocking.unlock_with_password(
            Work(session, settings, Actor.system()), user, PASSWORD))
        department_ids = [d.id for d in organisation.list_departments(session)]
        taken: set[str] = set()
        for start in range(0, total, CHUNK):
            cases, case_keys, talks = [], [], []
            for _ in range(min(CHUNK, total - start)):
                case, key, conversations = encrypted_case(keys, rng, department_ids, years,
                                                          taken)
                cases.append(case)
                case_keys.append(key)
                talks.extend(conversations)
            session.execute(insert(Case.__table__), cases)
            session.execute(insert(CaseKey.__table__), case_keys)
            session.execute(insert(CaseContact.__table__), talks)
            session.commit()
            org.references.extend(case["reference"] for case in cases[:5])
        org.created = total
        session.close()


# ------------------------------------------------------------------ the service level


def timed(action: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds of ``runs`` calls."""
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        action()
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return statistics.median(walls), statistics.median(cpus)


def services(org: Organisation, runs: int) -> dict[str, tuple[float, float]]:
    """The report year's case facts, the report preview and the signal basis."""
    app, year = org.app, org.year
    results: dict[str, tuple[float, float]] = {}
    with app.app_context():
        settings = app_state(app).settings
        session: Session = app_state(app).session_factory()
        user = session.execute(select(User).where(User.email == "vp@bench.example")).scalar_one()
        keys = unlocking.open_keys(session, settings, unlocking.unlock_with_password(
            Work(session, settings, Actor.system()), user, PASSWORD))
        work = Work(session, settings, Actor(user.id, "counsellor"), keys=keys)
        if drafts.get_draft(work, year) is None:
            drafts.save_texts(work, year, 0, ReportTexts("Inleiding.", "Aanbevelingen."), "nl")
            session.commit()
        in_year = len(case_facts.case_facts(session, keys, year=year))
        print(f"report year {year}: {in_year} cases counted", flush=True)
        results[f"case facts {year}"] = timed(
            lambda: case_facts.case_facts(session, keys, year=year), runs)
        results[f"report preview {year}"] = timed(lambda: finalising.preview(work, year), runs)
        results["report preview page"] = timed(  # with its HTML and charts (issue 15)
            lambda: render_fragment(finalising.preview(work, year)), runs)
        results["signal basis (all cases)"] = timed(
            lambda: reviewing.current_basis(work, date.today()), runs)
        session.rollback()
        session.close()
    return results


# ------------------------------------------------------------------ the run


def first_search(org: Organisation) -> tuple[float, float]:
    """The first search after seeding: the search index built from every case."""
    run = requests_of(org)["list text"][0]
    return timed(run, 1)


def report(web: dict[str, tuple[float, float]], service: dict[str, tuple[float, float]],
           built: tuple[float, float], total: int) -> None:
    print()
    print(f"{'request (' + str(total) + ' cases)':<34}{'server ms':>12}{'CPU ms':>10}  target")
    for name, (wall, cpu) in web.items():
        target = TARGETS_MS.get(name)
        verdict = "" if target is None else (
            f"  <= {target:.0f} ms at 10k: {'met' if wall <= target else 'not met'}")
        print(f"{name:<34}{wall:12.1f}{cpu:10.1f}{verdict}")
    print(f"{'list text, index built (once)':<34}{built[0]:12.1f}{built[1]:10.1f}")
    for name, (wall, cpu) in service.items():
        verdict = (f"  <= {REPORT_TARGET_S * 1000:.0f} ms at 10k: "
                   f"{'met' if wall <= REPORT_TARGET_S * 1000 else 'not met'}"
                   if "preview" in name else "")
        print(f"{name:<34}{wall:12.1f}{cpu:10.1f}{verdict}")


def run(database_url: str | None, directory: Path, args: argparse.Namespace) -> None:
    org = build(directory, "aes-256-gcm", database_url)
    began = time.perf_counter()
    seed(org, args.cases, args.years, args.seed)
    with org.app.app_context():
        session = app_state(org.app).session_factory()
        stored = session.execute(select(func.count()).select_from(CaseContact)).scalar_one()
        session.close()
    time.sleep(app_state(org.app).case_years.ttl)  # plain SQL: the year filter's cache sees it
    print(f"seeded {args.cases} encrypted cases ({stored} conversations, {args.years} years) in "
          f"{time.perf_counter() - began:.1f} s; load {os.getloadavg()[0]:.1f}", flush=True)
    if args.services_only:  # issue 15: the report's before/after without the web requests
        built, web = (0.0, 0.0), {}
    else:
        built = first_search(org)
        web = measure({"aes-256-gcm": org}, args.repeat)["aes-256-gcm"]
    service = services(org, max(3, args.repeat // 2))
    report(web, service, built, args.cases)
    print(f"load average at the end: {os.getloadavg()[0]:.2f} (1 min)")
    app_state(org.app).engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20261204)
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--services-only", action="store_true",
                        help="only the service lines (case facts, preview, signal basis)")
    args = parser.parse_args()
    print(f"platform: {platform_info()}; load {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="vp-bench-100k-") as directory:
        if args.database == "sqlite":
            run(None, Path(directory), args)
            return 0
        with postgres_server() as server:
            if server is None:
                print("skipped: no PostgreSQL server binaries (apt-get install postgresql) and "
                      "no VP_BENCH_POSTGRES_URL")
                return 0
            run(fresh_database(server, "vp_bench_100k"), Path(directory), args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
