"""Benchmark: does a wrong secret cost what a right one costs? (issue 11, item 7)

Run from the repository root::

    python benchmarks/bench_timing.py [--repeat 9] [--memory-kib 65536] [--time-cost 3]

Two checks that must not reveal, by their duration, what exists:

* **receipt codes** (anonymous contact): the right code, an unknown (well-formed) code, a
  malformed one and an empty one - ``contact.read_as_sender``;
* **logins** (first step): the right password, a wrong one, an unknown account and a disabled
  account - ``authentication.check_password``.

Each kind is measured ``--repeat`` times, interleaved (so load from other processes hits every
kind alike), with the production Argon2id parameters by default (64 MiB, t=3). The first round
is a warm-up and dropped. Reported: the median per kind and, per check, the ratio of the
slowest to the fastest median of the *refused* kinds and of the fastest refused kind to the
accepted one. Targets: refused kinds within 1.5x of each other and at least 0.6x of the
accepted one (which does a little more work afterwards). Exits 1 when a target is missed.

The tests prove the structure (one real derivation per attempt, the same steps:
``tests/integration/test_contact.py::test_right_unknown_and_malformed_codes_take_the_same_steps``
and ``tests/integration/test_accounts.py::test_every_login_attempt_verifies_one_argon2id_hash_
with_the_configured_parameters``); this benchmark measures it, and is not a pass/fail test
because a loaded machine makes any wall-clock assertion flaky.
"""

from __future__ import annotations

import argparse
import contextlib
import platform
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vp_registry.config import Settings
from vp_registry.core.crypto import KdfParams, format_recovery_key
from vp_registry.db import make_engine, make_session_factory
from vp_registry.services.accounts import authentication, organisation, users
from vp_registry.services.contact import channel, receipts
from vp_registry.services.contact.channel import Submission
from vp_registry.services.contact.receipts import WrongCode
from vp_registry.services.errors import AuthenticationFailed
from vp_registry.services.infrastructure import schema
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.vault import grants, key_pairs, store
from vp_registry.services.work import Work

PASSWORD = "Benchmark-wachtwoord-voor-de-timing-1"  # noqa: S105 - a fictional test account
MAX_SPREAD = 1.5
MIN_REFUSED_TO_ACCEPTED = 0.6


def _medians(kinds: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in kinds}
    for _ in range(repeat + 1):
        for name, attempt in kinds.items():
            start = time.perf_counter()
            attempt()
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values[1:]) for name, values in samples.items()}


def _report(title: str, medians: dict[str, float], accepted: str) -> bool:
    refused = [value for name, value in medians.items() if name != accepted]
    spread = max(refused) / min(refused)
    to_accepted = min(refused) / medians[accepted]
    print(f"\n{title}")
    for name, value in medians.items():
        print(f"  {name:<10} median {value * 1000:8.1f} ms")
    ok = spread < MAX_SPREAD and to_accepted > MIN_REFUSED_TO_ACCEPTED
    print(f"  refused slowest/fastest {spread:.2f} (target < {MAX_SPREAD}); "
          f"fastest refused/accepted {to_accepted:.2f} (target > {MIN_REFUSED_TO_ACCEPTED})"
          f"  {'OK' if ok else 'MISSED'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--memory-kib", type=int, default=65536)
    parser.add_argument("--time-cost", type=int, default=3)
    args = parser.parse_args()
    kdf = KdfParams(time_cost=args.time_cost, memory_kib=args.memory_kib)
    print(f"Python {platform.python_version()} on {platform.machine()}, Argon2id "
          f"{kdf.memory_kib} KiB, t={kdf.time_cost}, {args.repeat} rounds per kind")
    with tempfile.TemporaryDirectory() as directory:
        settings = Settings(
            environment="development", secret_key=secrets.token_urlsafe(48),
            audit_key=secrets.token_urlsafe(48),
            database_url=f"sqlite:///{Path(directory) / 'bench.db'}",
            instance_path=directory, password_kdf=kdf, testing=True)
        engine = make_engine(settings.effective_database_url)
        schema.upgrade(engine)
        session = make_session_factory(engine)()
        organisation.ensure_default_categories(session)
        user = users.create_user(Work(session, settings, Actor.system()), email="vp@bench.example",
                                    display_name="Bench", role="counsellor", password=PASSWORD,
                                    must_change_password=False)
        other = users.create_user(Work(session, settings, Actor.system()),
                                     email="off@bench.example", display_name="Off",
                                     role="manager", password=PASSWORD,
                                     must_change_password=False)
        users.set_active(Work(session, settings, Actor.system()), other, False)
        recovery = store.create_vault(Work(session, settings, Actor.system()))
        key_pairs.ensure_counsellor_key(Work(session, settings, Actor.system()), user, PASSWORD)
        grants.recover_access(Work(session, settings, Actor.system()),
                             format_recovery_key(recovery or b""), user)  # opens the channel
        code = channel.submit(Work(session, settings, Actor.anonymous()), Submission(
            kind="message", message="Een bericht voor de benchmark.", department_id=None,
            category=None, contact=None), today=date.today())
        session.commit()

        def read(text: str) -> Callable[[], object]:
            def attempt() -> None:
                with contextlib.suppress(WrongCode):
                    receipts.read_as_sender(Work(session, settings, Actor.anonymous()), text)
                session.rollback()
            return attempt

        def login(email: str, password: str) -> Callable[[], object]:
            def attempt() -> None:
                with contextlib.suppress(AuthenticationFailed):
                    authentication.check_password(Work(session, settings, Actor.system()),
                                                  email, password, None)
                session.rollback()  # no throttle counts kept between rounds
            return attempt

        codes_ok = _report("receipt codes (receipts.read_as_sender)", _medians({
            "right": read(code), "unknown": read(" ".join(reversed(code.split(" ")))),
            "malformed": read("hallo"), "empty": read(""),
        }, args.repeat), "right")
        logins_ok = _report("logins (authentication.check_password)", _medians({
            "right": login(user.email, PASSWORD),
            "wrong": login(user.email, "not-the-password-at-all"),
            "unknown": login("nobody@bench.example", "not-the-password-at-all"),
            "disabled": login(other.email, PASSWORD),
        }, args.repeat), "right")
        session.close()
        engine.dispose()
    return 0 if codes_ok and logins_ok else 1


if __name__ == "__main__":
    sys.exit(main())
