"""The annual report speaks the app's language: its words come from the same catalogue as
the UI (issue 13), the UI glossary (top of messages.po) holds for the report's Dutch texts
too, and every label the report shares with a page of the app reads the same in both (a case
is a "melding", the other-category "Overig")."""

from __future__ import annotations

from string import Formatter

import pytest

from tests.unit.test_translations import FORBIDDEN, catalogue
from vp_registry.core import taxonomy
from vp_registry.core.report.words import LABELS, WORDS, labels, text

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
    assert set(LABELS) == set(TAXONOMY_LABELS)


@pytest.mark.parametrize("kind", sorted(TAXONOMY_LABELS))
def test_report_labels_are_the_ui_labels(kind: str) -> None:
    ui = TAXONOMY_LABELS[kind]
    assert labels("en", kind) == {str(member): english for member, english in ui.items()}
    assert labels("nl", kind) == {str(member): catalogue()[english].string
                                  for member, english in ui.items()}


@pytest.mark.parametrize("key", sorted(WORDS))
def test_every_report_word_is_in_the_catalogue_in_dutch(key: str) -> None:
    """The Dutch of a report word is the catalogue's (no second vocabulary beside Babel),
    with the same ``str.format`` fields as the English source."""
    english = WORDS[key]
    assert english in catalogue(), english
    dutch = str(catalogue()[english].string)
    assert dutch.strip() and sorted(_fields(dutch)) == sorted(_fields(english))
    assert text("nl", key, **dict.fromkeys(_fields(english) - {"pct"}, "")) == (
        dutch.format(pct="%", **dict.fromkeys(_fields(english) - {"pct"}, "")))


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name}


def test_report_texts_follow_the_glossary() -> None:
    problems = [f"{key}: {dutch!r}" for key in WORDS
                if FORBIDDEN.search(dutch := str(catalogue()[WORDS[key]].string))]
    problems += [f"{kind}: {dutch!r}" for kind in LABELS
                 for dutch in labels("nl", kind).values() if FORBIDDEN.search(dutch)]
    assert not problems, "see the glossary at the top of messages.po:\n" + "\n".join(problems)
