"""No server log names a client (issue 11, item 2; DESIGN I-9), proven on real servers.

The development server (``vp-registry run``) and gunicorn with the shipped settings
(``-c python:vp_registry.gunicorn_conf``) run as subprocesses on 127.0.0.1 - the address every
request here comes from. Chromium visits the anonymous pages (counsellors page, form, sending
a message, reading the replies with the receipt code, and the static files they load), and
hand-made requests get every status: 200, 302, 400 (a form whose session expired), 404, 405,
413, 429 and a malformed request line. Then the servers' whole output (stdout and stderr):

* holds no "127.0.0.1" apart from the server's own URL in its start-up lines;
* holds no request line of the anonymous pages (their moment is an anonymous event);
* does hold the other request lines (so the log was really written), uncoloured.
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.casework import department
from tests.reliability.harness import cli_environment
from tests.reliability.webclient import HOST, Browser, GunicornServer, free_port
from tests.support.browser import DESKTOP, submit
from tests.support.sessions import db_session_for
from vp_registry.config import Settings
from vp_registry.db.accounts import User

VP_REGISTRY = Path(sys.executable).parent / "vp-registry"
WRONG_CODE = "een twee drie vier vijf zes"
ANSI = "\x1b["


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(default_locale="en")


@pytest.fixture
def env(app: Any, settings: Settings, database_url: str,
        counsellor_with_vault: Callable[..., User]) -> dict[str, str]:
    """The database the servers use: a vault (so the form is open) and one department."""
    counsellor_with_vault(display_name="Marieke de Boer")
    with app.app_context(), db_session_for(app) as session:
        department(session, "Magazijn", settings)
        session.commit()
    return cli_environment(settings, database_url)


@contextmanager
def dev_server(env: dict[str, str], log: Path) -> Iterator[int]:
    """``vp-registry run`` on a free port of 127.0.0.1; yields the port."""
    port = free_port()
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(VP_REGISTRY), "run", "--host", HOST, "--port", str(port), "--no-reload"],
            env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError("vp-registry run exited:\n" + log.read_text(errors="replace"))
            try:
                with socket.create_connection((HOST, port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("vp-registry run did not start:\n"
                                       + log.read_text(errors="replace")) from None
                time.sleep(0.2)
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def browse_the_anonymous_pages(chromium_browser: Any, port: int) -> None:
    """A visitor in Chromium: counsellors page, form, send, then the replies with the code."""
    context = chromium_browser.new_context(base_url=f"http://{HOST}:{port}", viewport=DESKTOP,
                                           locale="en-GB")
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto("/counsellors")
        page.locator("a[href$='/contact?kind=message']").click()
        page.wait_for_url(re.compile(r"/contact\?kind=message$"))
        page.fill("#message", "Ik word bij de pauze steeds overgeslagen.")
        submit(page)
        words = page.locator(".receipt-code span").all_inner_texts()
        assert len(words) == 6, page.content()[:2000]
        page.goto("/contact/replies")
        page.fill("#code", " ".join(w.strip() for w in words))
        submit(page)
        assert page.locator("#message").count() == 1  # the thread page, with its answer form
    finally:
        context.close()


def raw_request(port: int, method: str, path: str, *, body: bytes = b"",
                headers: dict[str, str] | None = None) -> int:
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.putrequest(method, path)
        for name, value in {"Content-Length": str(len(body)), **(headers or {})}.items():
            connection.putheader(name, value)
        connection.endheaders()
        try:
            for start in range(0, len(body), 65536):
                connection.send(body[start:start + 65536])
        except OSError:
            pass  # the server answered (413) before reading the whole body
        return connection.getresponse().status
    finally:
        connection.close()


def malformed_request(port: int) -> bytes:
    with socket.create_connection((HOST, port), timeout=10) as raw:
        raw.sendall(b"GARBAGE /\x01 NOT-HTTP\r\n\r\n")
        return raw.recv(200)


def every_status(port: int) -> dict[str, int]:
    """Requests that get every status, most of them on the anonymous pages."""
    form = "application/x-www-form-urlencoded"
    statuses = {
        "static": raw_request(port, "GET", "/static/style.css"),
        "login": raw_request(port, "GET", "/login"),
        "redirect": raw_request(port, "GET", "/start"),
        "expired form": raw_request(port, "POST", "/contact", body=b"csrf_token=old&message=x",
                                    headers={"Content-Type": form}),
        "missing": raw_request(port, "GET", "/contact/nothing-here"),
        "missing elsewhere": raw_request(port, "GET", "/nothing-here"),
        "method": raw_request(port, "DELETE", "/counsellors"),
        "too large": raw_request(port, "POST", "/contact", body=b"m=" + b"x" * (3 << 20),
                                 headers={"Content-Type": form}),
    }
    visitor = Browser(port)
    try:
        for _ in range(30):  # wrong receipt codes until the in-memory back-off answers 429
            answer = visitor.post("/contact/replies", {"code": WRONG_CODE})
            if answer.status == 429:
                break
        statuses["throttled"] = answer.status
    finally:
        visitor.close()
    assert b"400" in malformed_request(port), "no answer to a malformed request"
    return statuses


EXPECTED = {"static": 200, "login": 200, "redirect": 302, "expired form": 400, "missing": 404,
            "missing elsewhere": 404, "method": 405, "too large": 413, "throttled": 429}


def check_log(text: str, port: int) -> None:
    own_url = f"http://{HOST}:{port}"
    assert own_url in text, "the server's start-up lines are missing:\n" + text[:3000]
    leaks = [line for line in text.replace(own_url, "<server>").splitlines() if HOST in line]
    assert not leaks, "a log line names the client address:\n" + "\n".join(leaks[:20])
    requests = [line for line in text.splitlines() if re.search(r'"[A-Z]+ /', line)]
    anonymous = [line for line in requests if re.search(r"/(contact|counsellors)\b", line)]
    assert not anonymous, "request lines of the anonymous pages:\n" + "\n".join(anonymous)
    assert any('"GET /static/style.css HTTP/1.1" 200' in line for line in requests), requests
    assert any('"GET /nothing-here HTTP/1.1" 404' in line for line in requests), requests
    assert any('"GET /start HTTP/1.1" 302' in line for line in requests), requests
    assert not [line for line in requests if ANSI in line], "coloured request lines"


def test_the_development_server_logs_no_client_address_for_any_request(
    env: dict[str, str], chromium_browser: Any, tmp_path: Path
) -> None:
    log = tmp_path / "run.log"
    with dev_server(env, log) as port:
        browse_the_anonymous_pages(chromium_browser, port)
        assert every_status(port) == EXPECTED
    check_log(log.read_text(errors="replace"), port)


def test_gunicorn_with_the_shipped_settings_logs_no_client_address_for_any_request(
    env: dict[str, str], chromium_browser: Any, tmp_path: Path
) -> None:
    log = tmp_path / "gunicorn.log"
    with GunicornServer(env, workers=1, log=log,
                        extra_args=["-c", "python:vp_registry.gunicorn_conf"]) as server:
        browse_the_anonymous_pages(chromium_browser, server.port)
        assert every_status(server.port) == EXPECTED
    text = log.read_text(errors="replace")
    check_log(text, server.port)
    assert "Invalid request" in text  # gunicorn reported the malformed line, without the ip
