"""A real HTTP client and a real gunicorn server, for the multi-process tests and the load
benchmark (``benchmarks/bench_load.py``). Standard library only; loopback only.

- :class:`GunicornServer` starts ``gunicorn -w N 'vp_registry:create_app()'`` on a free port
  of 127.0.0.1 with the given environment, waits until it answers, and stops it.
- :class:`Browser` keeps one session cookie, fetches CSRF tokens like a browser does (from
  the form page), logs in with password and TOTP, and never follows redirects by itself.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlencode

import pyotp

GUNICORN = Path(sys.executable).parent / "gunicorn"
HOST = "127.0.0.1"
CSRF = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
REFERENCE = re.compile(r"VP-\d{4}-[0-9A-Z]{4}")
COOKIE = "vp_session"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


class GunicornServer:
    """``with GunicornServer(env, workers=3) as server:`` - ``server.port`` answers."""

    def __init__(self, env: Mapping[str, str], *, workers: int = 3, log: Path,
                 extra_args: Iterable[str] = ()) -> None:
        self.port = free_port()
        self.log = log
        self.args = [str(GUNICORN), "--workers", str(workers), "--bind", f"{HOST}:{self.port}",
                     "--worker-class", "sync", "--timeout", "60", "--graceful-timeout", "10",
                     "--error-logfile", "-", *extra_args, "vp_registry:create_app()"]
        self.env = dict(env)
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> GunicornServer:
        with self.log.open("wb") as sink:
            self.process = subprocess.Popen(self.args, env=self.env, stdout=sink,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited:\n" + self.log.read_text(errors="replace"))
            connection = http.client.HTTPConnection(HOST, self.port, timeout=5)
            try:
                connection.request("GET", "/login")
                if connection.getresponse().status == 200:
                    return self
            except OSError:
                pass
            finally:
                connection.close()
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("gunicorn did not answer:\n"
                                   + self.log.read_text(errors="replace"))
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()

    def server_errors(self) -> list[str]:
        """Lines of the log that report an unhandled exception or a worker failure."""
        text = self.log.read_text(errors="replace")
        return [line for line in text.splitlines()
                if "unhandled" in line.lower() or "Traceback" in line
                or "WORKER TIMEOUT" in line or "Worker failed" in line]


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: str

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


class Browser:
    """One visitor with its own session cookie and keep-alive connection."""

    def __init__(self, port: int, *, timeout: float = 30) -> None:
        self.port = port
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.connection: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def request(self, method: str, path: str, body: str | None = None) -> Response:
        headers = {"Host": f"{HOST}:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(HOST, self.port,
                                                             timeout=self.timeout)
            try:
                self.connection.request(method, path, body=body, headers=headers)
                raw = self.connection.getresponse()
                data = raw.read().decode("utf-8", errors="replace")
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()  # a connection the server closed while idle: reconnect, but
                if attempt == 2 or method != "GET":  # never send a form twice
                    raise
        for name, value in raw.getheaders():
            if name.lower() == "set-cookie":
                pair = value.split(";", 1)[0]
                key, _, cookie = pair.partition("=")
                expired = "max-age=0" in value.lower() or "expires=thu, 01 jan 1970" in \
                    value.lower()
                if expired:
                    self.cookies.pop(key.strip(), None)
                else:
                    self.cookies[key.strip()] = cookie.strip()
        return Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, data)

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def csrf_token(self, path: str) -> str:
        page = self.get(path)
        match = CSRF.search(page.body)
        if match is None:
            raise AssertionError(f"no CSRF token on {path}: {page.status}")
        return match.group(1)

    def post(self, path: str, data: Mapping[str, Any] | Iterable[tuple[str, Any]], *,
             form_page: str | None = None) -> Response:
        items = list(data.items()) if isinstance(data, Mapping) else list(data)
        fields: list[tuple[str, str]] = [("csrf_token", self.csrf_token(form_page or path))]
        for key, value in items:
            if isinstance(value, list | tuple):
                fields.extend((key, str(item)) for item in value)
            elif value is not None:
                fields.append((key, str(value)))
        return self.request("POST", path, urlencode(fields))

    def login(self, email: str, password: str, totp_secret: str) -> None:
        first = self.post("/login", {"email": email, "password": password})
        if first.status != 302 or not first.location.endswith("/login/code"):
            raise AssertionError(f"password step failed for {email}: {first.status}")
        second = self.post("/login/code", {"code": pyotp.TOTP(totp_secret).now()})
        if second.status != 302:
            raise AssertionError(f"code step failed for {email}: {second.status}")


def case_form(department_id: int, narrative: str, *, version: str = "",
              day: date | None = None) -> dict[str, Any]:
    """A complete, valid case form as a counsellor fills it in."""
    return {
        "opened_on": (day or date.today()).isoformat(), "department_id": str(department_id),
        "categories": ["pesten"], "relation": "colleague", "consent": "y",
        "reporter_name": "Melder", "reporter_contact": "06-12345678",
        "involved_person": "", "narrative": narrative, "next_steps": "Vervolggesprek.",
        "gender": "", "employment_type": "", "minutes_spent": "10", "version": version,
    }


def contact_form(notes: str, *, day: date | None = None) -> dict[str, Any]:
    return {"held_on": (day or date.today()).isoformat(), "minutes": "30", "channel": "phone",
            "notes": notes}
