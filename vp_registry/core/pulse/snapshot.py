"""A released pulse result as canonical JSON (the pulse ledger, ``pulse_releases``) and back.

Managers and the annual report read a released result from its stored snapshot, never from a
new computation, so what they see is exactly what the ledger holds; two releases of the same
round are compared by their canonical text (docs/decisions.md "Pulse survey (issue 16)").
A snapshot holds shown figures only: a hidden group is its key, label, departments and
headcount with every figure null.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from typing import Any

from vp_registry.core.pulse.questions import Statement
from vp_registry.core.pulse.results import GroupResult, ItemResult, RoundResult

FORMAT = 1


def to_json(result: RoundResult) -> str:
    """Canonical JSON: sorted keys, no spaces, dates as ISO text."""
    value = asdict(result)
    value["opens_on"] = result.opens_on.isoformat()
    value["closes_on"] = result.closes_on.isoformat()
    value["format"] = FORMAT
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _group(value: dict[str, Any]) -> GroupResult:
    items = tuple(ItemResult(i["code"], i["mean"], tuple(i["bands"])) for i in value["items"])
    return GroupResult(value["label"], tuple(value["department_ids"]), value["responses"],
                       value["score"], items, value["shown"], value["key"],
                       value["headcount"])


def from_json(text: str) -> RoundResult:
    value = json.loads(text)
    if value.get("format") != FORMAT:
        raise ValueError("unknown pulse snapshot format")
    return RoundResult(
        value["round_id"], value["title"], date.fromisoformat(value["opens_on"]),
        date.fromisoformat(value["closes_on"]), value["open_round"], value["invited"],
        tuple(_group(g) for g in value["groups"]), _group(value["organisation"]),
        dict(value["trend"]), value["scope"], value["minimum"],
        tuple(Statement(**s) for s in value["statements"]), value["closed"])


def same_figures(first: str, second: str) -> bool:
    """Do two snapshots show the same figures? (The trend, derived from other released
    rounds, may differ.)"""
    one, two = json.loads(first), json.loads(second)
    one.pop("trend", None)
    two.pop("trend", None)
    return bool(one == two)
