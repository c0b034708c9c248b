"""Free text is cleaned by one function everywhere it is stored (services.cleaning, issue 13):
line ends normalised, NUL characters dropped, stripped, empty is None, too long a form error."""

from __future__ import annotations

from datetime import date

import pytest

from vp_registry.core.taxonomy import Channel
from vp_registry.services.cases.records import ContactInput
from vp_registry.services.cases.validation import validate_contact
from vp_registry.services.cleaning import clean
from vp_registry.services.errors import ValidationFailed


def test_clean_normalises_drops_nul_and_strips() -> None:
    assert clean("  first\r\nsec\x00ond \x00", 20, "notes") == "first\nsecond"
    assert clean(None, 20, "notes") is None
    assert clean(" \r\n\x00 ", 20, "notes") is None


def test_too_long_is_a_form_error_at_its_field() -> None:
    assert clean("x" * 5 + "\x00", 5, "notes") == "xxxxx"  # the limit counts what is kept
    with pytest.raises(ValidationFailed) as refused:
        clean("x" * 6, 5, "notes")
    assert refused.value.field == "notes" and refused.value.params == {"limit": 5}


def test_case_text_loses_its_nul_characters_too() -> None:
    """The case forms used their own copy, which kept NUL characters (the channel's did not)."""
    day = date(2026, 3, 2)
    contact = ContactInput(held_on=day, minutes=30, channel=next(iter(Channel)).value,
                           notes="talked\x00 about it")
    assert validate_contact(contact, day, day).notes == "talked about it"
