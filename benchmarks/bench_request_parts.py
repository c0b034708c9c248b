"""What the per-request work of a logged-in page costs, part by part (issue 15).

Run from the repository root: ``python benchmarks/bench_request_parts.py [--calls 2000]``.

Builds a small organisation as bench_lean.py does (SQLite in a temporary directory, production
settings: real Argon2 and AES-256-GCM), logs one counsellor in through the Flask test client,
then measures in-process, as CPU time per call (median of ``--rounds`` rounds):

- session: ``open_session`` of the logged-in cookie (the session row and its user, one
  statement);
- vault keys: ``services.vault.unlocking.open_keys`` with the holder's grant check (one
  statement, one key unwrap);
- audited commit: a new database session that queues its audit entries, one ``case.read``
  entry, commit (the head lock, the entry, the head moved);
- case read: ``services.cases.lifecycle.read_case`` of one case with its conversations (one
  statement, the data key unwrapped, the fields decrypted; its audit entry queued, then
  rolled back);
- case page template: ``render_template("cases/view.html", ...)`` of that case, as the view
  renders it (the form with its CSRF token, the menu, every translated text);
- whole page: one GET of the case page through the test client (everything above, and Flask,
  the hooks, the session, the security headers).

Prints the medians and the statements per call. Not a test (no timing is asserted anywhere).
Before/after figures of the changes that made these parts cheaper are in their commit
messages (3b58e23, 14f250d, 4b39bc9, cf59593).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import pyotp  # noqa: E402
from bench_load import PASSWORD, production_settings, seed  # noqa: E402
from flask import Flask, render_template, request  # noqa: E402
from sqlalchemy import event, select  # noqa: E402

from vp_registry import create_app  # noqa: E402
from vp_registry.app_state import app_state  # noqa: E402
from vp_registry.db.accounts import User  # noqa: E402
from vp_registry.services.cases import lifecycle  # noqa: E402
from vp_registry.services.infrastructure import audit  # noqa: E402
from vp_registry.services.infrastructure.audit import Actor  # noqa: E402
from vp_registry.services.vault import unlocking  # noqa: E402
from vp_registry.services.work import Work  # noqa: E402
from vp_registry.web.cases import case_form  # noqa: E402
from vp_registry.web.cases.forms import VersionForm  # noqa: E402
from vp_registry.web.sessions import COOKIE_NAME  # noqa: E402

CSRF = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')


def _log_in(app: Flask, email: str, secret: str) -> str:
    client = app.test_client()
    for path, data in (("/login", {"email": email, "password": PASSWORD}),
                       ("/login/code", {"code": pyotp.TOTP(secret).now()})):
        token = CSRF.search(client.get(path).get_data(as_text=True))
        assert token is not None
        client.post(path, data={"csrf_token": token.group(1), **data})
    cookie = client.get_cookie(COOKIE_NAME)
    assert cookie is not None
    return cookie.value


def _measure(app: Flask, call: Callable[[], Any], calls: int, rounds: int
             ) -> tuple[float, float]:
    """Median CPU microseconds per call over ``rounds``, and statements per call."""
    statements = 0

    def count(*_args: Any) -> None:
        nonlocal statements
        statements += 1

    engine = app_state(app).engine
    results = []
    event.listen(engine, "before_cursor_execute", count)
    for _ in range(rounds):
        began = time.process_time()
        for _ in range(calls):
            call()
        results.append((time.process_time() - began) / calls * 1e6)
    event.remove(engine, "before_cursor_execute", count)
    return statistics.median(results), statements / (calls * rounds)


def _report(name: str, cpu: float, statements: float, rounds: int) -> None:
    print(f"{name:26s} {cpu:7.0f} us CPU per call (median of {rounds}), "
          f"{statements:.1f} statements")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = production_settings(f"sqlite:///{tmp}/parts.sqlite3", Path(tmp))
        people, references = seed(settings, 1, 5)
        app = create_app(settings)
        cookie = _log_in(app, people[0]["email"], people[0]["secret"])
        reference = references[0]
        factory = app_state(app).session_factory
        with app.app_context():
            db = factory()
            user = db.execute(select(User).where(User.email == people[0]["email"])).scalar_one()
            key = unlocking.unlock_with_password(Work(db, settings, Actor.system()), user,
                                                 PASSWORD)
            db.commit()
            user_id, role = user.id, user.role  # read once: a rollback expires the object

            def open_keys() -> None:
                unlocking.open_keys(db, settings, key, holder=user_id)
                db.rollback()

            def audited_commit() -> None:
                session = factory()
                audit.defer_appends(session)
                audit.record(session, settings.audit_key, Actor(user_id, role),
                             "case.read", target_type="case", target_id="VP-2026-AAAA")
                session.commit()
                session.close()

            keys = unlocking.open_keys(db, settings, key, holder=user_id)
            db.rollback()

            def read_case() -> Any:
                session = factory()
                audit.defer_appends(session)  # queued as in a request, dropped by the rollback
                record = lifecycle.read_case(Work(session, settings, Actor(user_id, role),
                                                  keys=keys), reference)
                session.rollback()
                session.close()
                return record

            record = read_case()
            client = app.test_client()
            client.set_cookie(COOKIE_NAME, cookie)
            with app.test_request_context(f"/cases/{reference}",
                                          headers={"Cookie": f"{COOKIE_NAME}={cookie}"}):
                app.preprocess_request()  # the request's user, as the view has it

                def render_page() -> str:
                    form = VersionForm()
                    form.version.data = str(record.version)
                    return render_template("cases/view.html", record=record,
                                           version_form=form, **case_form.lookups())

                interface = app.session_interface
                parts = {
                    "session (open_session)": lambda: interface.open_session(app, request),
                    "vault keys (open_keys)": open_keys,
                    "audited commit": audited_commit,
                    "case read (read_case)": read_case,
                    "case page template": render_page,
                }
                for name, call in parts.items():
                    _report(name, *_measure(app, call, args.calls, args.rounds), args.rounds)
            assert audit.verify(db, settings.audit_key).ok
            db.close()
        # outside every context above: each request has its own (as in a server)
        _report("whole case page (GET)", *_measure(
            app, lambda: client.get(f"/cases/{reference}"), args.calls, args.rounds),
            args.rounds)
        app_state(app).engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
