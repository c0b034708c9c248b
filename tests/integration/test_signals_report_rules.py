"""The report service hands the ledger's published rules (a released rise's inequalities) to
the report's disclosure control (issue 12, session 7): the preview and the finalise build the
department table with ``ledger.load_constraints``, so a total the rules would let a reader
narrow is withheld when the report is built, not only refused by the approval's safety stop
(the core side: tests/unit/test_disclosure_report_rules.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.reportwork import seed_year
from vp_registry.config import Settings
from vp_registry.core.disclosure import Figure, RuleConstraint, cell_set
from vp_registry.core.report import ReportTexts, build_report
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.reports import drafts, finalising
from vp_registry.services.signals import ledger
from vp_registry.services.vault.keyring import VaultKeys
from vp_registry.services.work import Work

YEAR = 2025
TODAY = date(2026, 11, 25)
TEXTS = ReportTexts("Inleiding.", "Aanbevelingen.")


def test_the_report_is_built_with_the_ledgers_rules(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed_year(db, settings, actor, keys, YEAR, today=TODAY)
    drafts.save_texts(Work(db, settings, actor, keys=keys), YEAR, 0, TEXTS, "nl", today=TODAY)
    db.commit()
    rules = RuleConstraint.rise(Figure(cell_set([1], ["pesten"], ["2025-Q2"]), 0, None, "nu"),
                                Figure(cell_set([1], ["pesten"], ["2025-Q1"]), 0, None, "voor"))
    monkeypatch.setattr(ledger, "load_constraints", lambda session: list(rules))
    seen: list[Any] = []
    build = build_report

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(kwargs.get("constraints"))
        return build(*args, **kwargs)

    monkeypatch.setattr(finalising, "build_report", spy)
    finalising.preview(Work(db, settings, actor, keys=keys), YEAR, today=TODAY)
    # the ledger's rules, then the due review's rise answers (computed in memory, session 8)
    assert len(seen) == 1 and seen[0][:len(rules)] == list(rules)
    assert all(r.label.startswith(("rise: ", "no rise: ")) for r in seen[0][len(rules):])
