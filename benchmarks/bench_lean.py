"""The lean request path (issue 15): what a request costs next to a bare Flask page.

Run from the repository root: ``python benchmarks/bench_lean.py [--rounds 5] [--seconds 5]``.

Serves, with gunicorn (2 sync workers, 127.0.0.1 only), in turn and in the same run:

- hello-world: a bare Flask app answering ``/`` with a short text - the floor;
- static: ``/static/style.css`` of vp-registry, sent with a logged-in counsellor's cookie;
- case list: ``/cases/`` logged in (``--cases`` encrypted cases);
- case page: ``/cases/<reference>`` logged in.

vp-registry is served with the shipped settings (``-c python:vp_registry.gunicorn_conf``: the
access log without addresses, ``gc.freeze()`` at worker start), as production must be
(``--config none`` for gunicorn's defaults). Each target is loaded with ``wrk``
(``--connections`` connections, 2 threads) for ``--seconds``;
the four targets alternate ``--rounds`` times so that other load on the (shared) machine weighs
on all alike. Reported: requests/second per round, and per target the median over rounds of its
ratio to hello-world *of the same round*. Targets of issue 15: static >= 50 %, case list and
case page >= 15 %.

``wrk`` is a Debian package: when it is missing the benchmark says so and, when running as root
with apt-get available, installs it (``apt-get install -y wrk``); otherwise it stops with exit
status 1 and the command to run. The database is SQLite in a temporary directory, or PostgreSQL
with ``--database postgresql`` (``VP_TEST_POSTGRES_URL`` or a throwaway server from
scripts/pg-test-server, as in bench_load.py). Every wrk run is bounded in time; traffic goes
only to 127.0.0.1.

Besides requests/second, each run reports the gunicorn workers' own CPU time per request
(user + system from ``/proc``, divided by the requests wrk counted): on a shared machine the
rate moves with other load, the CPU per request much less.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_load import PASSWORD, fresh_database, postgres_server, production_settings, seed  # noqa: E402

from tests.reliability.webclient import GUNICORN, HOST, Browser, free_port  # noqa: E402

TARGETS = {"static": 0.50, "case_list": 0.15, "case_page": 0.15}
HELLO_APP = '''from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
'''
RATE = re.compile(r"^Requests/sec:\s+([0-9.]+)", re.MULTILINE)
COUNT = re.compile(r"^\s*(\d+) requests in", re.MULTILINE)
TICKS = os.sysconf("SC_CLK_TCK")
NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
ERRORS = re.compile(r"Socket errors:.*")


def ensure_wrk() -> str:
    """The path of wrk; installs the Debian package when missing and allowed."""
    found = shutil.which("wrk")
    if found:
        print(f"wrk: {found}")
        return found
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        print("wrk is not installed; install it with: apt-get install -y wrk", file=sys.stderr)
        raise SystemExit(1)
    print("wrk is not installed: running apt-get install -y wrk")
    subprocess.run([apt, "install", "-y", "wrk"], check=True, stdout=subprocess.DEVNULL,
                   timeout=600)
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit("apt-get install -y wrk did not provide wrk")
    return found


@contextmanager
def gunicorn(app: str, env: Mapping[str, str], workers: int, log: Path,
             chdir: Path | None = None, probe: str = "/",
             extra: tuple[str, ...] = ()) -> Iterator[int]:
    """gunicorn serving ``app`` on a free port of 127.0.0.1; yields the port (its master's
    process id is in :data:`MASTERS`)."""
    port = free_port()
    args = [str(GUNICORN), "--workers", str(workers), "--bind", f"{HOST}:{port}",
            "--worker-class", "sync", "--timeout", "60", "--error-logfile", "-"]
    if chdir is not None:
        args += ["--chdir", str(chdir)]
    args += extra
    with log.open("wb") as sink:
        process = subprocess.Popen([*args, app], env=dict(env), stdout=sink,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError("gunicorn exited:\n" + log.read_text(errors="replace"))
            connection = http.client.HTTPConnection(HOST, port, timeout=5)
            try:
                connection.request("GET", probe)
                if connection.getresponse().status == 200:
                    break
            except OSError:
                pass
            finally:
                connection.close()
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not answer:\n" + log.read_text(errors="replace"))
            time.sleep(0.2)
        MASTERS[port] = process.pid
        yield port
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


MASTERS: dict[int, int] = {}


def workers_cpu(port: int) -> float:
    """CPU seconds (user + system) used so far by the gunicorn workers serving ``port``:
    their own cost per request, whatever else runs on the machine (wrk included)."""
    master = MASTERS[port]
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    total = 0
    for child in children:
        try:
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # a worker that just exited
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def postmaster_of(url: str) -> int:
    """The process id of the PostgreSQL server behind ``url`` (the parent of a backend): its
    processes' CPU is on the same cores as the workers' (session 9)."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            backend = int(connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
            status = Path(f"/proc/{backend}/status").read_text()
    finally:
        engine.dispose()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("PPid:")))


def server_cpu(postmaster: int | None) -> float:
    """CPU seconds used so far by the database server's processes (the postmaster and its
    children: the workers' backends above all); 0 without a server (SQLite)."""
    if postmaster is None:
        return 0.0
    children = Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split()
    total = 0
    for pid in (str(postmaster), *children):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # a backend that just exited
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICKS


SERVER: list[int | None] = [None]  # the PostgreSQL postmaster's pid, when measured


def run_wrk(wrk: str, port: int, path: str, cookie: str | None, connections: int,
            seconds: float) -> tuple[float, float]:
    """Requests/second of 2xx answers, and the workers' CPU milliseconds per request; raises
    when any answer was not 2xx/3xx. On PostgreSQL the server's CPU milliseconds per request
    go to :data:`SERVER_MS` (the same request count)."""
    args = [wrk, "-t2", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s"]
    if cookie:
        args += ["-H", f"Cookie: {cookie}"]
    args.append(f"http://{HOST}:{port}{path}")
    began, server_began = workers_cpu(port), server_cpu(SERVER[0])
    done = subprocess.run(args, capture_output=True, text=True, check=True,
                          timeout=seconds + 60)
    used = workers_cpu(port) - began
    server_used = server_cpu(SERVER[0]) - server_began
    rate, count = RATE.search(done.stdout), COUNT.search(done.stdout)
    bad = NON_2XX.search(done.stdout)
    if (rate is None or count is None or (bad and int(bad.group(1)) > 0)
            or ERRORS.search(done.stdout)):
        raise RuntimeError(f"wrk on {path} did not get clean answers:\n{done.stdout}")
    SERVER_MS.append(1000 * server_used / max(1, int(count.group(1))))
    return float(rate.group(1)), 1000 * used / max(1, int(count.group(1)))


SERVER_MS: list[float] = []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "postgres"),
                        default="sqlite", help="postgresql (or postgres): VP_TEST_POSTGRES_URL "
                        "or a throwaway server from scripts/pg-test-server")
    parser.add_argument("--config", choices=("shipped", "none"), default="shipped",
                        help="serve vp-registry with -c python:vp_registry.gunicorn_conf "
                             "(as docs/operations.md says production must), or without")
    args = parser.parse_args()
    if args.database == "postgres":
        args.database = "postgresql"
    wrk = ensure_wrk()
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    print(f"platform: {platform.platform()}, python {platform.python_version()}, "
          f"{os.cpu_count()} cpus ({cpu}); database {args.database}; vp-registry served "
          + ("with the shipped gunicorn settings (access log, gc.freeze at worker start)"
             if args.config == "shipped" else "without gunicorn settings"))
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        server = postgres_server() if args.database == "postgresql" else nullcontext("")
        with server as server_url:
            database = (fresh_database(server_url) if args.database == "postgresql"
                        else nullcontext(f"sqlite:///{tmp / 'bench.sqlite3'}"))
            with database as url:
                settings = production_settings(url, tmp)
                people, references = seed(settings, 1, args.cases)
                if args.database == "postgresql":
                    SERVER[0] = postmaster_of(url)
                env = {k: v for k, v in os.environ.items()
                       if not k.startswith("VP_") and k != "DATABASE_URL"}
                env.update({"DATABASE_URL": url, "VP_INSTANCE_PATH": tmp_name,
                            "VP_CONFIG": str(tmp / "none.py"),
                            "VP_SECRET_KEY": settings.secret_key,
                            "VP_AUDIT_KEY": settings.audit_key,
                            "VP_BACKUP_KEY": settings.backup_key})
                extra = (("-c", "python:vp_registry.gunicorn_conf")
                         if args.config == "shipped" else ())
                hello_dir = tmp / "hello"
                hello_dir.mkdir()
                (hello_dir / "hello_app.py").write_text(HELLO_APP)
                with gunicorn("hello_app:app", env, args.workers, tmp / "hello.log",
                              chdir=hello_dir) as hello_port, \
                        gunicorn("vp_registry:create_app()", env, args.workers,
                                 tmp / "vp.log", probe="/login", extra=extra) as vp_port:
                    browser = Browser(vp_port)
                    browser.login(people[0]["email"], PASSWORD, people[0]["secret"])
                    cookie = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
                    for path in ("/static/style.css", "/cases/", f"/cases/{references[0]}"):
                        answer = browser.get(path)
                        if answer.status != 200:
                            raise RuntimeError(f"{path} answered {answer.status}")
                    browser.close()
                    plan = [("hello", hello_port, "/", None),
                            ("static", vp_port, "/static/style.css", cookie),
                            ("case_list", vp_port, "/cases/", cookie),
                            ("case_page", vp_port, f"/cases/{references[0]}", cookie)]
                    rates: dict[str, list[float]] = {name: [] for name, *_ in plan}
                    cpu_ms: dict[str, list[float]] = {name: [] for name, *_ in plan}
                    db_ms: dict[str, list[float]] = {name: [] for name, *_ in plan}
                    for number in range(args.rounds):
                        for name, port, path, sent in plan:
                            rate, used = run_wrk(wrk, port, path, sent, args.connections,
                                                 args.seconds)
                            rates[name].append(rate)
                            cpu_ms[name].append(used)
                            db_ms[name].append(SERVER_MS[-1])
                        print(f"round {number + 1}: " + ", ".join(
                            f"{name} {rates[name][-1]:.0f} req/s {cpu_ms[name][-1]:.2f} ms"
                            + (f" + db {db_ms[name][-1]:.2f} ms" if SERVER[0] else "")
                            for name in rates) + " (workers' [+ database server's] CPU per "
                            "request); load " + " ".join(f"{v:.2f}" for v in os.getloadavg()))
    ratios = {name: statistics.median(rates[name][n] / rates["hello"][n]
                                      for n in range(args.rounds)) for name in TARGETS}
    per_request = {name: statistics.median(values) for name, values in cpu_ms.items()}
    floor = per_request["hello"]
    print(f"hello-world: median {statistics.median(rates['hello']):.0f} req/s (the floor), "
          f"workers' CPU {per_request['hello']:.2f} ms per request")
    for name, target in TARGETS.items():
        ratio = ratios[name]
        print(f"{name:10s} median {statistics.median(rates[name]):7.0f} req/s, "
              f"{ratio:6.1%} of hello-world (median of per-round ratios; target >= "
              f"{target:.0%}: {'met' if ratio >= target else 'NOT met'}); workers' CPU "
              f"{per_request[name]:.2f} ms per request ({floor / per_request[name]:.1%} of "
              "hello-world's)" + (f"; database server's CPU {statistics.median(db_ms[name]):.2f}"
                                  " ms per request" if SERVER[0] else ""))
    print("json: " + json.dumps({
        "database": args.database, "config": args.config, "workers": args.workers,
        "connections": args.connections,
        "cases": args.cases, "cpus": os.cpu_count(), "cpu": cpu,
        "rps": {name: [round(v, 1) for v in values] for name, values in rates.items()},
        "cpu_ms": {name: [round(v, 3) for v in values] for name, values in cpu_ms.items()},
        "db_cpu_ms": {name: [round(v, 3) for v in values] for name, values in db_ms.items()},
        "load": [round(v, 2) for v in os.getloadavg()],
        "ratio": {name: round(value, 4) for name, value in ratios.items()}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
