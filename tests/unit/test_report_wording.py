"""The annual report speaks the app's language: the UI glossary (top of messages.po) holds for
the report's own Dutch texts too, and every label the report shares with a page of the app
reads the same in both (a case is a "melding", the other-category "Overig")."""

from __future__ import annotations

import pytest

from tests.unit.test_translations import FORBIDDEN, catalogue
from vp_registry.core import taxonomy
from vp_registry.core.report import _LABELS, _WORDS

TAXONOMY_LABELS = {
    "relation": taxonomy.RELATION_LABELS,
    "outcome": taxonomy.OUTCOME_LABELS,
    "referral": taxonomy.REFERRAL_LABELS,
    "channel": taxonomy.CHANNEL_LABELS,
    "gender": taxonomy.GENDER_LABELS,
    "employment": taxonomy.EMPLOYMENT_LABELS,
    "activity": taxonomy.ACTIVITY_LABELS,
    "action": taxonomy.SUGGESTED_ACTION_LABELS,
}


def test_the_report_covers_every_label_kind() -> None:
    assert set(_LABELS["nl"]) == set(_LABELS["en"]) == set(TAXONOMY_LABELS)


@pytest.mark.parametrize("kind", sorted(TAXONOMY_LABELS))
def test_report_labels_are_the_ui_labels(kind: str) -> None:
    ui = TAXONOMY_LABELS[kind]
    assert _LABELS["en"][kind] == ui
    assert _LABELS["nl"][kind] == {member: catalogue()[english].string
                                   for member, english in ui.items()}


def test_report_texts_follow_the_glossary() -> None:
    problems = [f"{key}: {dutch!r}" for key, dutch in _WORDS["nl"].items()
                if FORBIDDEN.search(dutch)]
    problems += [f"{kind}: {dutch!r}" for kind, labels in _LABELS["nl"].items()
                 for dutch in labels.values() if FORBIDDEN.search(dutch)]
    assert not problems, "see the glossary at the top of messages.po:\n" + "\n".join(problems)
