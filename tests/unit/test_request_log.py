"""The pieces that keep client addresses out of request logs (issue 11, item 2), without a
server: which paths are the anonymous pages, and gunicorn's logger with an operator's own
format. tests/browser/test_request_logs.py proves the whole on real servers."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from gunicorn.config import Config

from vp_registry import gunicorn_conf
from vp_registry.gunicorn_conf import NoAddressLogger
from vp_registry.web.request_log import is_anonymous_path

ADDRESS = "203.0.113.77"


@pytest.mark.parametrize(("path", "anonymous"), [
    ("/contact", True), ("/contact/", True), ("/contact/replies/answer", True),
    ("/counsellors", True), ("/counsellors/3/photo/1", True), ("//contact", True),
    ("/contactform", False), ("/login", False), ("/static/style.css", False), ("/", False),
    ("", False), (None, False),
])
def test_the_anonymous_pages_are_recognised_by_their_decoded_path(
    path: str | None, anonymous: bool
) -> None:
    assert is_anonymous_path(path) is anonymous


def _logger(tmp_path: Path, fmt: str) -> tuple[NoAddressLogger, Path]:
    config = Config()
    log = tmp_path / "access.log"
    config.set("accesslog", str(log))
    config.set("access_log_format", fmt)
    config.set("errorlog", str(tmp_path / "error.log"))
    return NoAddressLogger(config), log


def _close(logger: NoAddressLogger) -> None:
    for handler in [*logger.error_log.handlers, *logger.access_log.handlers]:
        handler.close()


def _request(logger: NoAddressLogger, path: str, status: str = "200 OK") -> None:
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": path, "PATH_INFO": path,
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": ADDRESS,
               "HTTP_X_FORWARDED_FOR": ADDRESS}
    response = SimpleNamespace(status=status, sent=10, headers=[("X-Client", ADDRESS)])
    request = SimpleNamespace(headers=[("X-FORWARDED-FOR", ADDRESS), ("X-REAL-IP", ADDRESS)])
    logger.access(response, request, environ, timedelta(milliseconds=5))


def test_gunicorns_logger_writes_no_address_whatever_the_format(tmp_path: Path) -> None:
    """An operator's format with the address, forwarded headers and the environment."""
    logger, log = _logger(tmp_path, '%(h)s %({x-forwarded-for}i)s %({x-real-ip}i)s '
                                    '%({remote_addr}e)s %({x-client}o)s "%(r)s" %(s)s')
    _request(logger, "/login")
    _request(logger, "/static/style.css", "304 Not Modified")
    _request(logger, "/contact", "400 Bad Request")
    _request(logger, "/counsellors/3/photo/1", "404 Not Found")
    logger.warning(f"Invalid request from ip={ADDRESS}: Invalid HTTP request line: 'x'")
    logger.warning("Invalid request from ip=2001:db8::7: Invalid HTTP Version")
    _close(logger)
    lines = log.read_text().splitlines()
    assert lines == ['- - - - - "GET /login HTTP/1.1" 200',
                     '- - - - - "GET /static/style.css HTTP/1.1" 304'], lines
    errors = (tmp_path / "error.log").read_text()
    assert ADDRESS not in errors and "2001:db8" not in errors
    assert errors.count("Invalid request: ") == 2, errors



def _lines(tmp_path: Path, name: str, fmt: str) -> list[str]:
    """The lines of three answers (200, 304 with nothing sent, 404 with no count)."""
    (tmp_path / name).mkdir()
    logger, log = _logger(tmp_path / name, fmt)
    for status, sent in (("200 OK", 10), ("304 Not Modified", 0), ("404 Not Found", None)):
        environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/cases/?page=2",
                   "PATH_INFO": "/cases/", "SERVER_PROTOCOL": "HTTP/1.1",
                   "REMOTE_ADDR": ADDRESS}
        logger.access(SimpleNamespace(status=status, sent=sent, headers=[]),
                      SimpleNamespace(headers=[]), environ,
                      timedelta(seconds=1, microseconds=2500))
    _close(logger)
    return log.read_text().splitlines()


def test_the_shipped_format_is_written_without_gunicorns_atoms(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shipped access log line is built from its four atoms alone (issue 15: gunicorn
    builds ~60, every header and environment variable, for each request) - and it is the
    line gunicorn's general path writes."""
    shipped = gunicorn_conf.access_log_format
    general = [line.split("|", 1)[1] for line in _lines(tmp_path, "general", "|" + shipped)]

    def refuse(*_args: Any) -> dict[str, Any]:
        raise AssertionError("gunicorn's atoms built for the shipped format")

    monkeypatch.setattr(NoAddressLogger, "atoms", refuse)
    assert _lines(tmp_path, "shipped", shipped) == general == [
        '"GET /cases/?page=2 HTTP/1.1" 200 10 1002ms',
        '"GET /cases/?page=2 HTTP/1.1" 304 0 1002ms',
        '"GET /cases/?page=2 HTTP/1.1" 404 - 1002ms']
