"""Where the CPU of one request goes (issue 15): cProfile over repeated requests in-process.

Run from the repository root:
``python benchmarks/profile_request.py [--path case_page|case_list|static] [--requests 200]
[--database postgresql]``.

Builds the same organisation as bench_lean.py (SQLite, production settings: real Argon2 and
AES-256-GCM), logs one counsellor in through the Flask test client (password + TOTP), warms
up, then profiles ``--requests`` GETs of the chosen page. Prints the CPU per request, the
number of SQL statements per request (counted with a SQLAlchemy event listener on the
application's engine), and the functions with the most cumulative time, grouped into the
areas of the issue (session, vault unwrap, statements, audit, template, Babel).
Not a test and not part of ``make bench`` (the file is not named bench_*).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import re
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import pyotp  # noqa: E402
from bench_load import (  # noqa: E402
    PASSWORD,
    fresh_database,
    postgres_server,
    production_settings,
    seed,
)
from sqlalchemy import event  # noqa: E402

from vp_registry import create_app  # noqa: E402
from vp_registry.app_state import app_state  # noqa: E402

CSRF = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
AREAS = {
    "session open/save (web/sessions.py)": "web/sessions.py",
    "vault unwrap (services/vault/)": "services/vault/",
    "audit (services/infrastructure/audit.py)": "services/infrastructure/audit.py",
    "SQL execution (sqlalchemy)": "sqlalchemy/engine/base.py",
    "template rendering (jinja2)": "jinja2/environment.py",
    "Babel (flask_babel)": "flask_babel/",
    "crypto (core/crypto/)": "core/crypto/",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--path", choices=("case_page", "case_list", "static"),
                        default="case_page")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--gc-freeze", action="store_true",
                        help="gc.freeze() after the warm-up (as a server could after start)")
    parser.add_argument("--sort", default="cumulative", choices=("cumulative", "tottime"))
    parser.add_argument("--filter", default="",
                        help="only functions whose file matches this regular expression")
    parser.add_argument("--show-statements", action="store_true",
                        help="print the SQL statements of one request first")
    parser.add_argument("--dump", default="",
                        help="also write the profile to this file (pstats; e.g. callees)")
    parser.add_argument("--cpu-timer", action="store_true",
                        help="time functions by this process's CPU (time.process_time) instead "
                             "of the wall clock: on PostgreSQL, waiting for the server drops out")
    parser.add_argument("--no-profile", action="store_true",
                        help="only the timed requests, no cProfile (to sample the process "
                             "from outside, e.g. with py-spy)")
    parser.add_argument("--show-plans", action="store_true",
                        help="PostgreSQL: after the requests, the pooled connection's prepared "
                             "statements with their generic and custom plan counts")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite",
                        help="postgresql: VP_TEST_POSTGRES_URL or a throwaway server from "
                             "scripts/pg-test-server (as bench_lean.py)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        url = f"sqlite:///{tmp}/profile.sqlite3"
        if args.database == "postgresql":
            url = stack.enter_context(fresh_database(stack.enter_context(postgres_server())))
        settings = production_settings(url, Path(tmp))
        people, references = seed(settings, 1, args.cases)
        app = create_app(settings)
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = CSRF.search(page)
        assert token is not None
        client.post("/login", data={"csrf_token": token.group(1), "email": people[0]["email"],
                                    "password": PASSWORD})
        page = client.get("/login/code").get_data(as_text=True)
        token = CSRF.search(page)
        assert token is not None
        done = client.post("/login/code", data={"csrf_token": token.group(1), "code":
                                                pyotp.TOTP(people[0]["secret"]).now()})
        assert done.status_code == 302, done.status_code
        path = {"case_page": f"/cases/{references[0]}", "case_list": "/cases/",
                "static": "/static/style.css"}[args.path]
        for _ in range(20):
            answer = client.get(path)
            assert answer.status_code == 200, answer.status_code
        if args.gc_freeze:
            gc.collect()
            gc.freeze()
        if args.show_statements:
            shown: list[str] = []

            def show(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
                shown.append(" ".join(statement.split())[:150])

            event.listen(app_state(app).engine, "before_cursor_execute", show)
            client.get(path)
            event.remove(app_state(app).engine, "before_cursor_execute", show)
            print(f"statements of one GET {path}:")
            print("\n".join(f"  {line}" for line in shown))
        began = time.process_time()
        for _ in range(args.requests):
            client.get(path)
        plain = (time.process_time() - began) / args.requests
        if args.show_plans and args.database == "postgresql":
            with app_state(app).engine.connect() as connection:
                for head, generic, custom in connection.exec_driver_sql(
                        "SELECT left(regexp_replace(statement, '\\s+', ' ', 'g'), 90), "
                        "generic_plans, custom_plans FROM pg_prepared_statements "
                        "ORDER BY generic_plans + custom_plans DESC"):
                    print(f"  generic {generic:5d}  custom {custom:5d}  {head}")
        if args.no_profile:
            print(f"{path}: {1000 * plain:.2f} ms CPU per request through the test client")
            app_state(app).engine.dispose()
            return 0
        statements = 0

        def count(*_args: Any) -> None:
            nonlocal statements
            statements += 1

        event.listen(app_state(app).engine, "before_cursor_execute", count)
        profile = (cProfile.Profile(time.process_time) if args.cpu_timer
                   else cProfile.Profile())
        began = time.process_time()
        profile.enable()
        for _ in range(args.requests):
            client.get(path)
        profile.disable()
        cpu = (time.process_time() - began) / args.requests
        event.remove(app_state(app).engine, "before_cursor_execute", count)
        app_state(app).engine.dispose()
    stats = pstats.Stats(profile)
    if args.dump:
        stats.dump_stats(args.dump)
    total = stats.total_tt  # type: ignore[attr-defined]
    print(f"{path}: {1000 * plain:.2f} ms CPU per request through the test client "
          f"({1000 * cpu:.2f} ms under the profiler), "
          f"{statements / args.requests:.1f} SQL statements per request")
    entries = stats.stats  # type: ignore[attr-defined]
    for area, marker in AREAS.items():
        # the largest cumulative time of a function in that file: the area's entry point
        cumulative = max((value[3] for key, value in entries.items() if marker in key[0]),
                         default=0.0)
        print(f"  {area:40s} {100 * cumulative / total:5.1f} % (largest cumulative entry)")
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats(args.sort).print_stats(args.filter,
                                                                            args.top)
    print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
