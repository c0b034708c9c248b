"""Canary tests of the pulse (issue 16; docs/design.md I-1, I-8, I-9): free text is sealed to
the vault, codes are stored as keyed hashes, and nothing of either reaches the database files
(SQLite file and WAL, or a pg_dump), a backup, the application log or the audit log. The web
side (request logs, pages) is in tests/web/test_pulse*.py."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.contactwork import chain_channel_entries
from tests.integration.test_case_secrecy import database_bytes
from tests.pulsework import answers, make_round, respond, toolbox
from vp_registry.config import Settings
from vp_registry.core.crypto import DecryptionError
from vp_registry.db.audit import AuditEntry
from vp_registry.db.pulse import PulseComment
from vp_registry.services.errors import VaultLocked
from vp_registry.services.infrastructure import backup
from vp_registry.services.pulse import codes, comments, rounds
from vp_registry.services.pulse.codes import CodeInvalid
from vp_registry.services.work import Work


def _audit_text(db: Session) -> str:
    return "\n".join(" ".join(str(v) for v in (e.actor_role, e.action, e.target_type,
                                                 e.target_id, e.details))
                     for e in db.execute(select(AuditEntry)).scalars())


def test_free_text_and_codes_never_reach_the_files_backup_logs_or_audit(
        db: Session, work: Work, settings: Settings, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    marker = f"CANARY{secrets.token_hex(6).upper()}PULSE"
    org = toolbox(db, settings)
    row = make_round(work, org)
    issued = codes.issue_codes(work, row.id, 5)
    db.commit()
    respond(db, settings, row, "Planning", answers(2), code=issued[0],
            free_text=f"De voorman schreeuwt. {marker}")
    db.commit()
    with pytest.raises(CodeInvalid):
        respond(db, settings, row, "Planning", code=issued[0])
    db.commit()  # the refusal's dated audit entry

    raw = database_bytes(settings)
    assert marker.encode() not in raw and marker.lower().encode() not in raw.lower()
    for code in issued:
        plain = codes.canonical(code) or ""
        assert plain.encode() not in raw and code.encode() not in raw, code
    archive = tmp_path / "pulse.vpbackup"
    backup.create_backup(db.get_bind().engine, settings.backup_key, archive)  # type: ignore[union-attr]
    assert marker.encode() not in archive.read_bytes()
    _, tables = backup.read_backup(archive, settings.backup_key)
    assert marker not in repr(tables["pulse_comments"]) and tables["pulse_comments"]

    chain_channel_entries(db, settings)
    logged = caplog.text + "\n".join(str(r.__dict__) for r in caplog.records)
    audited = _audit_text(db)
    for secret in (marker, *issued, *(codes.canonical(c) or "" for c in issued)):
        assert secret not in logged, secret
        assert secret not in audited, secret

    with pytest.raises(comments.CommentsNotYet):  # not while the round runs
        comments.read_comments(work, row.id)
    rounds.close_round(work, row.id)
    read = comments.read_comments(work, row.id)
    assert [(c.text, c.group_label) for c in read] == \
        [(f"De voorman schreeuwt. {marker}", "Planning")]


def test_comments_open_only_with_the_vault_and_only_in_their_own_row(
        db: Session, work: Work, settings: Settings) -> None:
    org = toolbox(db, settings)
    row = make_round(work, org, with_codes=False)
    respond(db, settings, row, "Planning", free_text="Meer overleg graag.")
    respond(db, settings, row, "Productie", free_text="Niets.")
    rounds.close_round(work, row.id)
    with pytest.raises(VaultLocked):
        comments.read_comments(Work(db, settings, work.actor), row.id)
    first, second = db.execute(select(PulseComment).order_by(PulseComment.id)).scalars()
    first.content, second.content = second.content, first.content  # swapped rows
    db.flush()
    with pytest.raises(DecryptionError):
        comments.read_comments(work, row.id)


def test_free_text_lengths_fall_in_size_classes(db: Session, work: Work,
                                                settings: Settings) -> None:
    org = toolbox(db, settings)
    row = make_round(work, org, with_codes=False)
    for text in ("Ja.", "Het overleg op maandag loopt vaak uit de hand." * 2):
        respond(db, settings, row, "Planning", free_text=text)
    lengths = {len(c) for c in db.execute(select(PulseComment.content)).scalars()}
    assert len(lengths) == 1  # both under the smallest bucket: the same length
