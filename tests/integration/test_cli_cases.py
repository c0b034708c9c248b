"""``vp-registry init`` (recovery key), ``vault recover``, ``retention purge``, ``keys rotate``
and ``demo`` through Click's test runner."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from tests.casework import case_input, department, unlock
from tests.support.sessions import db_session_for
from vp_registry.config import Settings
from vp_registry.core.report import ReportTexts
from vp_registry.db.accounts import User
from vp_registry.db.audit import AuditEntry
from vp_registry.db.cases import Case, CaseKey
from vp_registry.services.cases import facts as case_facts
from vp_registry.services.cases import lifecycle, listing, queries, records
from vp_registry.services.demo.cases import DEMO_CASES
from vp_registry.services.demo.seed import DEMO_USERS
from vp_registry.services.infrastructure import rotation
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.reports import drafts, finalising
from vp_registry.services.vault import key_pairs, unlocking
from vp_registry.services.work import Work

GROUP = r"[0-9A-Z]{4}"
KEY_LINES = re.compile(rf"^ +((?:{GROUP}  ){{6}}{GROUP})$", re.MULTILINE)


def _recovery_key(output: str) -> str:
    lines = KEY_LINES.findall(output)
    assert len(lines) == 2, output
    return "-".join(" ".join(lines).split())


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The commands answer in the default locale: English here (the tests read English
    source strings; the Dutch catalogue is tested elsewhere)."""
    return settings.with_overrides(default_locale="en")


@pytest.fixture
def recovery_key(runner: FlaskCliRunner) -> str:
    result = runner.invoke(args=["init"])
    assert result.exit_code == 0, result.output
    return _recovery_key(result.output)


def _with_key_pair(app: Flask, settings: Settings, user: User) -> None:
    """What the first login does: the counsellor's key pair under their password."""
    with app.app_context(), db_session_for(app) as session:
        fresh = session.get(User, user.id)
        assert fresh is not None
        key_pairs.ensure_counsellor_key(Work(session, settings, Actor.system()),
                                        fresh, user.test_password)  # type: ignore[attr-defined]
        session.commit()


def _seed(app: Flask, settings: Settings, user: User, count: int) -> None:
    with app.app_context(), db_session_for(app) as session:
        keys = unlock(session, settings, user)
        dept = department(session, "Werkplaats", settings).id
        for number in range(count):
            work = Work(session, settings, Actor(user.id, "counsellor"), keys=keys)
            record = lifecycle.create_case(work,
                                           case_input(dept, opened_on=date(2025, 2, 1 + number)),
                                           today=date(2026, 11, 25))
            if number % 2 == 0:
                work = Work(session, settings, Actor(user.id, "counsellor"), keys=keys)
                lifecycle.close_case(work, record.reference, 1, records.Closing(
                    closed_on=date(2025, 3, 1), outcome="advice"), today=date(2026, 11, 25))
        session.commit()


def test_init_shows_the_recovery_key_once(runner: FlaskCliRunner) -> None:
    first = runner.invoke(args=["init"])
    assert first.exit_code == 0
    key = _recovery_key(first.output)
    assert "WRITE THIS RECOVERY KEY DOWN" in first.output and "BEWAAR DEZE" in first.output
    again = runner.invoke(args=["init"])
    assert again.exit_code == 0 and key.split("-")[0] not in again.output
    assert not KEY_LINES.search(again.output)


def test_vault_recover(app: Flask, settings: Settings, runner: FlaskCliRunner,
                       create_user: Callable[..., User], recovery_key: str) -> None:
    user = create_user("counsellor")
    early = runner.invoke(args=["vault", "recover", "--email", user.email,
                                "--recovery-key-stdin"], input=recovery_key + "\n")
    assert early.exit_code == 1 and "log in once" in early.output
    _with_key_pair(app, settings, user)
    typo = recovery_key[:-1] + ("0" if recovery_key[-1] != "0" else "1")
    wrong = runner.invoke(args=["vault", "recover", "--email", user.email,
                                "--recovery-key-stdin"], input=typo + "\n")
    assert wrong.exit_code == 1 and "typing error" in wrong.output
    unknown = runner.invoke(args=["vault", "recover", "--email", "ghost@example.org",
                                  "--recovery-key-stdin"], input=recovery_key + "\n")
    assert unknown.exit_code == 1
    spaced = " ".join(recovery_key.lower().split("-"))  # as typed from paper
    result = runner.invoke(args=["vault", "recover", "--email", user.email,
                                 "--recovery-key-stdin"], input=spaced + "\n")
    assert result.exit_code == 0, result.output
    assert "vault key has been created" in result.output
    with app.app_context(), db_session_for(app) as session:
        assert unlock(session, settings, user).version == 1
    status = runner.invoke(args=["vault", "status"])
    assert "Key version: 1" in status.output and "access: 1" in status.output


def test_retention_purge_dry_run_then_for_real(
    app: Flask, settings: Settings, runner: FlaskCliRunner, create_user: Callable[..., User],
    recovery_key: str,
) -> None:
    user = create_user("counsellor")
    _with_key_pair(app, settings, user)
    runner.invoke(args=["vault", "recover", "--email", user.email, "--recovery-key-stdin"],
                  input=recovery_key + "\n")
    _seed(app, settings, user, 6)  # 3 closed in March 2025: due once 2025 is reported; 3 open
    nothing = runner.invoke(args=["retention", "purge", "--dry-run"])
    assert nothing.exit_code == 0 and "0 cases would be erased" in nothing.output
    with app.app_context(), db_session_for(app) as session:  # the 2025 annual report
        keys, actor = unlock(session, settings, user), Actor(user.id, "counsellor")
        version = drafts.save_texts(Work(session, settings, actor, keys=keys),
                                    2025, 0, ReportTexts(),
                                    "nl")
        finalising.finalise(Work(session, settings, actor, keys=keys), 2025, version.revision)
        session.commit()

    dry = runner.invoke(args=["retention", "purge", "--dry-run"])
    assert dry.exit_code == 0 and "3 cases would be erased" in dry.output
    with app.app_context(), db_session_for(app) as session:
        assert session.execute(select(func.count()).select_from(Case)).scalar_one() == 6
    real = runner.invoke(args=["retention", "purge"])
    assert real.exit_code == 0 and "3 cases erased" in real.output
    with app.app_context(), db_session_for(app) as session:
        assert session.execute(select(func.count()).select_from(Case)).scalar_one() == 3
        assert session.execute(select(func.count()).select_from(CaseKey)).scalar_one() == 3
    again = runner.invoke(args=["retention", "purge"])
    assert again.exit_code == 0 and "0 cases erased" in again.output


class Crash(Exception):
    pass


def test_keys_rotate_interrupted_then_resumed(
    app: Flask, settings: Settings, runner: FlaskCliRunner, create_user: Callable[..., User],
    recovery_key: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    user = create_user("counsellor")
    _with_key_pair(app, settings, user)
    runner.invoke(args=["vault", "recover", "--email", user.email, "--recovery-key-stdin"],
                  input=recovery_key + "\n")
    _seed(app, settings, user, 9)
    real_batch = rotation.rewrap_batch
    calls = {"n": 0}

    def crashing(*args: Any, **kwargs: Any) -> int:
        calls["n"] += 1
        if calls["n"] == 3:
            raise Crash("power cut")
        return real_batch(*args, **kwargs)

    monkeypatch.setattr(rotation, "rewrap_batch", crashing)
    password = user.test_password  # type: ignore[attr-defined]
    crashed = runner.invoke(args=["keys", "rotate", "--email", user.email, "--password-stdin",
                                  "--batch-size", "2"], input=password + "\n")
    assert crashed.exit_code != 0 and isinstance(crashed.exception, Crash)
    monkeypatch.setattr(rotation, "rewrap_batch", real_batch)
    with app.app_context(), db_session_for(app) as session:
        versions = list(session.execute(select(CaseKey.vault_key_version)).scalars())
        assert sorted(versions) == [1] * 5 + [2] * 4
    status = runner.invoke(args=["vault", "status"])
    assert "unfinished" in status.output

    wrong = runner.invoke(args=["keys", "rotate", "--email", user.email, "--password-stdin"],
                          input="Not-the-right-password-1\n")
    assert wrong.exit_code == 1 and "not correct" in wrong.output
    resumed = runner.invoke(args=["keys", "rotate", "--recovery-key-stdin", "--batch-size", "2"],
                            input=recovery_key + "\n")
    assert resumed.exit_code == 0, resumed.output
    assert "Resuming" in resumed.output and "0 rows on the old version" in resumed.output
    with app.app_context(), db_session_for(app) as session:
        keys = unlock(session, settings, user)
        assert keys.version == 2
        page = listing.list_cases(Work(session, settings, Actor(user.id, "counsellor"), keys=keys),
                                  queries.CaseFilter())
        assert page.total == 9
        for summary in page.items:
            work = Work(session, settings, Actor(user.id, "counsellor"), keys=keys)
            assert lifecycle.read_case(work, summary.reference).narrative
        assert rotation.rows_on_old_versions(session) == 0
    fresh = runner.invoke(args=["keys", "rotate", "--email", user.email, "--password-stdin"],
                          input=password + "\n")
    assert fresh.exit_code == 0 and "key version 3" in fresh.output


def test_keys_rotate_needs_a_secret(runner: FlaskCliRunner, recovery_key: str) -> None:
    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 1 and "--email" in result.output


def test_demo_gives_the_demo_counsellor_access_and_is_idempotent(
    app: Flask, settings: Settings, runner: FlaskCliRunner, recovery_key: str
) -> None:
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert not KEY_LINES.search(first.output)  # init already showed the key
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0 and "Cases: already present" in again.output
    with app.app_context(), db_session_for(app) as session:
        assert session.execute(select(func.count()).select_from(Case)).scalar_one() == \
            len(DEMO_CASES)
        counsellor = session.execute(select(User).where(
            User.email == DEMO_USERS[0].email)).scalar_one()
        key = unlocking.unlock_with_password(Work(session, settings, Actor.system()),
                                             counsellor, DEMO_USERS[0].password)
        keys = unlocking.open_keys(session, settings, key)
        facts = case_facts.case_facts(session, keys)
        assert len(facts) == len(DEMO_CASES)
        pesten_magazijn = [f for f in facts if "pesten" in f.categories
                           and (date.today() - f.opened_on).days <= 365
                           and f.department_id == department(session, "Magazijn en logistiek",
                                                             settings).id]
        assert len(pesten_magazijn) >= 4
        indexes = [f.involved_person_index for f in facts if f.involved_person_index]
        assert len(indexes) != len(set(indexes))  # a recurrence to find
        assert session.execute(select(AuditEntry).where(AuditEntry.action == "vault.grant")
                               ).first() is not None


def test_demo_on_a_fresh_database_creates_the_vault_and_shows_the_key(
    runner: FlaskCliRunner,
) -> None:
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    _recovery_key(result.output)
