"""50 client organisations x 2,000 cases on PostgreSQL (issue 17): does serving many
organisations from one installation slow one organisation's case list, and how long does the
counsellor's overview across clients take?

Method: a throwaway PostgreSQL server (``bench_bulk.postgres_server``), a fresh database, the
installation's main database (the home organisation) with 40 departments, a counsellor (TOTP
enrolled, vault key granted) and ``--cases`` encrypted cases, bulk-seeded through the real codec
as ``bench_postgres_100k.seed`` does (a data key per case wrapped by that organisation's vault
key; listing, details and conversations encrypted by ``services/cases/codec``). Then the same
for ``--organisations`` client organisations, each created by ``registry.create_organisation``
(its own schema, migrated) with its own vault, counsellor and cases.

Measured (median wall and CPU milliseconds of this process, which runs the WSGI app; the
server's CPU is not in it), each request through the WSGI app with the organisation's own
session cookie:

* ``single organisation``: the home organisation's case list before any client exists -
  today's installation (``list``: the first page, no filter; ``list category``: filtered,
  the vault's listing index warm; ``list category, cold``: the same as the first after a
  login, no session cache);
* ``home, with clients``: the same requests once the clients exist, and
  ``client first/middle/last``: the same for three client organisations under
  ``/o/<slug>/`` - these four in turn, request by request, so the machine's load hits them
  alike;
* ``overview``: ``services.practice.overview.client_overviews`` - the counsellor's open cases
  and deadlines across clients, each computed from that organisation's own vault (its
  sessions opened, the keys opened with the password, the listing index read, the shown and
  integrity cases decrypted), one after the other, no copies - for the home organisation alone
  and for every client; cold: every client's engine disposed first (new connections, as after
  a worker restart);
* ``GET /clients``: the real web request, one browser logged in as the counsellor of the home
  organisation and every client (51 cookies; after each login one filtered case list, so
  each vault's listing index holds every case, as once anybody filtered): warm (each part
  from the session's copy, still checked, audited and committed in its own organisation, the
  parts side by side) and with the copies dropped before each request (every part made
  afresh: the session checked, the keys opened, the open cases read, the vault's listing
  index decrypted, the cases it does not hold decrypted, audited and committed - the first
  ``/clients`` after the logins, or one after a case changed in every organisation).

Targets (the single organisation's, issue 15): a client's warm case list costs no more CPU
than 1.3 x the home organisation's (measured in turn with it); cold <= 150 ms wall; the whole
``GET /clients`` of 50 clients within that page target too (<= 150 ms wall), warm AND with
no copies. Without PostgreSQL binaries it says so and exits 0.

Run from the repository root: ``python benchmarks/bench_organisations.py [--organisations 50]
[--cases 2000] [--repeat 7]``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pyotp
from bench_bulk import fresh_database, postgres_server
from bench_cases import CATEGORIES, PASSWORD, TODAY, platform_info
from bench_postgres_100k import CHUNK, encrypted_case
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, insert
from sqlalchemy.orm import Session, sessionmaker

from vp_registry import create_app
from vp_registry.app_state import app_state, practice_state
from vp_registry.config import Settings
from vp_registry.core.crypto import FAST_KDF_FOR_TESTS, format_recovery_key
from vp_registry.db.cases import Case, CaseContact, CaseKey, CaseListingCache
from vp_registry.services.accounts import authentication, organisation, users
from vp_registry.services.infrastructure import schema
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.organisations import registry
from vp_registry.services.organisations.databases import OrganisationDatabases
from vp_registry.services.organisations.registry import Organisation
from vp_registry.services.organisations.settings import settings_for
from vp_registry.services.vault import grants, key_pairs, store, unlocking
from vp_registry.services.vault.keyring import VaultKeys
from vp_registry.services.work import Work

DEPARTMENTS = 40
COLD_TARGET_MS = 150.0
WARM_RATIO = 1.3
EMAIL = "vp@bench.example"

Timing = tuple[float, float]


@dataclass
class Member:
    """One organisation as the benchmark holds it."""

    organisation: Organisation | None  # None: the home organisation
    prefix: str
    settings: Settings
    factory: sessionmaker[Session]
    totp_secret: str
    user_id: int
    client: FlaskClient | None = None

    def keys(self, session: Session) -> VaultKeys:
        user = users.get_user(session, self.user_id)
        return unlocking.open_keys(session, self.settings, unlocking.unlock_with_password(
            Work(session, self.settings, Actor.system()), user, PASSWORD))


def installation(directory: Path, database_url: str) -> Flask:
    settings = Settings(
        environment="development", secret_key=secrets.token_urlsafe(48),
        audit_key=secrets.token_urlsafe(48), database_url=database_url,
        instance_path=str(directory), password_kdf=FAST_KDF_FOR_TESTS, testing=True)
    app = create_app(settings)
    app.config["WTF_CSRF_ENABLED"] = False  # the benchmark measures the case list, not forms
    schema.upgrade(app_state(app).engine)
    return app


def databases_of(app: Flask) -> OrganisationDatabases:
    return practice_state(app).databases


def populate(app: Flask, org: Organisation | None) -> Member:
    """Departments, a TOTP-enrolled counsellor with the vault key, in ``org``'s database."""
    main = app_state(app)
    own = main.settings if org is None else settings_for(main.settings, org)
    factory = main.session_factory if org is None else databases_of(app).session_factory(org)
    secret = pyotp.random_base32(32)
    with factory() as session:
        work = Work(session, own, Actor.system())
        organisation.ensure_default_categories(session)
        for n in range(DEPARTMENTS):
            organisation.create_department(work, name=f"Afdeling {n:02d}", headcount=20 + n)
        user = users.create_user(work, email=EMAIL, display_name="Bench", role="counsellor",
                                 password=PASSWORD, must_change_password=False)
        authentication.complete_enrolment(work, user, secret, pyotp.TOTP(secret).now(), None)
        user.totp_last_step = 0
        recovery = store.create_vault(work)
        key_pairs.ensure_counsellor_key(work, user, PASSWORD)
        grants.recover_access(work, format_recovery_key(recovery or b""), user)
        session.commit()
        prefix = "" if org is None else f"/o/{org.slug}"
        return Member(org, prefix, own, factory, secret, user.id)


def seed(member: Member, total: int, rng: random.Random) -> None:
    """``total`` encrypted cases over three years, ``CHUNK`` per transaction."""
    with member.factory() as session:
        keys = member.keys(session)
        department_ids = [d.id for d in organisation.list_departments(session)]
        taken: set[str] = set()
        for start in range(0, total, CHUNK):
            cases, case_keys, talks = [], [], []
            for _ in range(min(CHUNK, total - start)):
                case, key, conversations = encrypted_case(keys, rng, department_ids, 3, taken)
                cases.append(case)
                case_keys.append(key)
                talks.extend(conversations)
            session.execute(insert(Case.__table__), cases)
            session.execute(insert(CaseKey.__table__), case_keys)
            session.execute(insert(CaseContact.__table__), talks)
            session.commit()


def login(app: Flask, member: Member, browser: FlaskClient | None = None) -> FlaskClient:
    """Log ``member``'s counsellor in (in ``browser``: one browser in many organisations).
    A TOTP step is accepted once: a second login in the same 30 s waits for the next."""
    client = browser or app.test_client()
    for _attempt in range(2):
        client.post(f"{member.prefix}/login", data={"email": EMAIL, "password": PASSWORD})
        client.post(f"{member.prefix}/login/code",
                    data={"code": pyotp.TOTP(member.totp_secret).now()})
        if client.get(f"{member.prefix}/cases/").status_code == 200:
            break
        time.sleep(30.5 - time.time() % 30)
    else:
        raise SystemExit(f"benchmark login failed at {member.prefix or '/'}")
    if browser is None:
        member.client = client
    return client


def requests_of(member: Member) -> dict[str, Callable[[], None]]:
    client, prefix = member.client, member.prefix
    assert client is not None

    def filtered(**choices: Any) -> Callable[[], None]:
        def run() -> None:
            data = {key: str(value) for key, value in choices.items()} or {"clear": "1"}
            if client.post(f"{prefix}/cases/filter", data=data).status_code != 303:
                raise SystemExit(f"{prefix}/cases/filter: refused")
            if client.get(f"{prefix}/cases/").status_code != 200:
                raise SystemExit(f"{prefix}/cases/: refused")
        return run

    def cold(run: Callable[[], None]) -> Callable[[], None]:
        def both() -> None:
            with member.factory() as session:
                session.execute(delete(CaseListingCache))
                session.commit()
            run()
        return both

    return {"list": filtered(), "list category": filtered(category=CATEGORIES[0]),
            "list category, cold": cold(filtered(category=CATEGORIES[0]))}


def timed(action: Callable[[], object], runs: int) -> Timing:
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        action()
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return statistics.median(walls), statistics.median(cpus)


def measure(members: dict[str, Member], repeat: int) -> dict[str, dict[str, Timing]]:
    """Median (wall, CPU) per organisation and request; the organisations take turns request
    by request, so a change in the machine's load hits them alike."""
    plans = {name: requests_of(member) for name, member in members.items()}
    results: dict[str, dict[str, Timing]] = {name: {} for name in members}
    for request in next(iter(plans.values())):
        samples: dict[str, list[Timing]] = {name: [] for name in members}
        for name in members:
            plans[name][request]()  # warm up
        for _ in range(repeat):
            for name in members:
                samples[name].append(timed(plans[name][request], 1))
        for name in members:
            results[name][request] = (statistics.median(s[0] for s in samples[name]),
                                      statistics.median(s[1] for s in samples[name]))
    return results


def overview_across(app: Flask, members: list[Member], repeat: int) -> dict[str, Timing]:
    """orgs-web's overview over ``members``, each from its own vault: the sessions opened,
    the vault keys opened with the password (a web request unseals them from its session
    instead: cheaper), every overview computed. Cold: every organisation's engine disposed
    first (new connections, as after a worker restart); warm: again. Each organisation's
    work is committed, as the web request commits it (its audit entries; the listing index the
    first overview writes, which later ones read)."""
    try:
        from vp_registry.services.practice import ClientWork, overview
    except ImportError:
        print("overview across clients: services.practice.overview not in this tree, skipped")
        return {}

    def run() -> None:
        sessions = [member.factory() for member in members]
        try:
            clients = [ClientWork(member.organisation, Work(  # type: ignore[arg-type]
                session, member.settings, Actor(member.user_id, "counsellor"),
                keys=member.keys(session))) for member, session in zip(members, sessions,
                                                                       strict=True)]
            overview.client_overviews(clients, today=date.today())
            for session in sessions:
                session.commit()  # as the web request does: its audit entries, the index
        finally:
            for session in sessions:
                session.rollback()
                session.close()

    def cold() -> None:
        for member in members:
            if member.organisation is not None:
                databases_of(app).dispose(member.organisation)
        run()

    count = len(members)
    return {f"overview, cold ({count} org.)": timed(cold, max(3, repeat // 2)),
            f"overview, warm ({count} org.)": timed(run, repeat)}


def clients_page(app: Flask, members: list[Member], repeat: int) -> dict[str, Timing]:
    """``GET /clients`` as the web serves it, in one browser logged in as the counsellor of
    every organisation in ``members``: warm (each part from this session's copy, still
    checked, audited and committed in its organisation) and with the copies dropped (each
    part made afresh from its vault's listing index, as after a case changed everywhere)."""
    try:  # a tree before the copies (issue 17, session 7): every request is made afresh
        copies: Any = importlib.import_module("vp_registry.web.practice.overview_copies").COPIES
    except ImportError:
        copies = None
    browser = app.test_client()
    for member in members:
        login(app, member, browser)
        # a filtered list, as a counsellor's first: the vault's listing index holds every case
        browser.post(f"{member.prefix}/cases/filter", data={"category": CATEGORIES[0]})
        if browser.get(f"{member.prefix}/cases/").status_code != 200:
            raise SystemExit(f"{member.prefix}/cases/: refused")

    def get() -> None:
        response = browser.get("/clients")
        if response.status_code != 200 or response.get_data(as_text=True).count(
                'class="client"') != len(members):
            raise SystemExit("/clients did not show every organisation")

    def fresh() -> None:
        if copies is not None:
            copies._copies.clear()
        get()

    get()
    count = len(members)
    return {f"GET /clients, warm ({count} org.)": timed(get, repeat),
            f"GET /clients, no copies ({count} org.)": timed(fresh, repeat)}


def report(results: dict[str, dict[str, Timing]], overview: dict[str, Timing],
           cases: int) -> None:
    """Ratios against the home organisation measured in turn with the clients (same load)
    and against the single organisation measured before any client existed."""
    home, single = results["home, with clients"], results["single organisation"]
    print()
    print(f"{'case list (' + str(cases) + ' cases each)':<42}{'wall ms':>9}{'CPU ms':>9}"
          "   CPU vs home   vs single")
    for name, timings in results.items():
        for request, (wall, cpu) in timings.items():
            print(f"{name + ': ' + request:<42}{wall:9.1f}{cpu:9.1f}"
                  f"{cpu / home[request][1]:13.2f}x{cpu / single[request][1]:11.2f}x")
    for name, (wall, cpu) in overview.items():
        print(f"{name:<42}{wall:9.1f}{cpu:9.1f}")
    cold = max(t["list category, cold"][0] for t in results.values())
    warm = max(t[request][1] / home[request][1] for t in results.values()
               for request in ("list", "list category"))
    verdict = "met" if cold <= COLD_TARGET_MS else "not met"
    pages = {name.split(" (")[0].removeprefix("GET /clients, "): wall
             for name, (wall, _cpu) in overview.items() if name.startswith("GET /clients, ")}
    if pages:
        print(f"GET /clients warm and no copies <= {COLD_TARGET_MS:.0f} ms wall: "
              f"{'met' if max(pages.values()) <= COLD_TARGET_MS else 'not met'} ("
              + ", ".join(f"{name} {wall:.1f} ms" for name, wall in pages.items()) + ")")
    print(f"\ncold list <= {COLD_TARGET_MS:.0f} ms wall: {verdict} (worst {cold:.1f} ms); "
          f"warm list <= {WARM_RATIO} x the home organisation's CPU: "
          f"{'met' if warm <= WARM_RATIO else 'not met'} (worst {warm:.2f}x)")


def run(database_url: str, directory: Path, args: argparse.Namespace) -> None:
    app = installation(directory, database_url)
    rng = random.Random(args.seed)
    began = time.perf_counter()
    home = populate(app, None)
    seed(home, args.cases, rng)
    login(app, home)
    single = measure({"single organisation": home}, 2 * args.repeat)["single organisation"]
    alone = overview_across(app, [home], args.repeat)
    print(f"home: {args.cases} cases in {time.perf_counter() - began:.1f} s; "
          f"load {os.getloadavg()[0]:.1f}", flush=True)
    clients: list[Member] = []
    for n in range(args.organisations):
        with app.app_context(), app_state(app).session_factory() as session:
            org = registry.create_organisation(
                Work(session, app_state(app).settings, Actor.system()), databases_of(app),
                slug=f"klant-{n:02d}", name=f"Klant {n:02d} B.V.")
            session.commit()
        member = populate(app, org)
        seed(member, args.cases, rng)
        clients.append(member)
        print(f"  {org.slug}: {args.cases} cases ({time.perf_counter() - began:.0f} s, load "
              f"{os.getloadavg()[0]:.1f})", flush=True)
    picked: dict[str, Member] = {}
    for name, member in (("client first", clients[0]),
                         ("client middle", clients[len(clients) // 2]),
                         ("client last", clients[-1])):
        if member not in picked.values():  # one login per organisation (TOTP steps)
            picked[name] = member
    page = clients_page(app, [home, *clients], args.repeat)
    for member in picked.values():
        login(app, member)
    results = {"single organisation": single,
               **measure({"home, with clients": home, **picked}, args.repeat)}
    overview = {**alone, **overview_across(app, clients, args.repeat), **page}
    report(results, overview, args.cases)
    print(f"load average at the end: {os.getloadavg()[0]:.2f} (1 min); "
          f"{TODAY.isoformat()} synthetic dates")
    databases_of(app).dispose_all()
    app_state(app).engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--organisations", type=int, default=50)
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seed", type=int, default=20261204)
    args = parser.parse_args()
    print(f"platform: {platform_info()}; load {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="vp-bench-orgs-") as directory, \
            postgres_server() as server:
        if server is None:
            print("skipped: no PostgreSQL server binaries (apt-get install postgresql) and "
                  "no VP_BENCH_POSTGRES_URL")
            return 0
        run(fresh_database(server, "vp_bench_organisations"), Path(directory), args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
