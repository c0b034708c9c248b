"""The case form in sections (issue 14): what, where, who, follow-up and consent, each a
fieldset with a legend; the optional parts (annual-report details, whistleblower act) folded
in a <details> that is open when it holds a value or an error; the identifying fields carry
the consent hint in their accessible description (aria-describedby), so the reason they are
disabled is told, not only shown. Field names and ids stay as they were."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import lxml.html
from flask.testing import FlaskClient

from tests.support.forms import post_form
from vp_registry.db.accounts import User

SECTIONS = ["Wat speelt er?", "Waar speelt het?", "Wie zijn erbij betrokken?", "Vervolg",
            "Toestemming en gegevens van de melder"]
CONSENT_HINT = ("Alleen in te vullen als de melder toestemming geeft om gegevens vast te "
                "leggen.")
FIELD_NAMES = {"opened_on", "department_id", "categories", "relation", "consent",
               "reporter_name", "reporter_contact", "involved_person", "narrative",
               "next_steps", "gender", "employment_type", "minutes_spent", "integrity_report",
               "acknowledged_on", "feedback_on", "version", "csrf_token"}


def _form(response: Any) -> Any:
    assert response.status_code == 200
    page = lxml.html.fromstring(response.get_data(as_text=True))  # lxml: python-docx needs it
    return page.xpath("//main//form[@method='post']")[-1]


def _folded(form: Any) -> dict[str, bool]:
    """The summary text of each <details> in the form -> whether it is open."""
    return {" ".join(d.xpath("./summary")[0].text_content().split()): d.get("open") is not None
            for d in form.xpath(".//details")}


def test_the_form_has_its_sections_in_the_order_it_is_filled_in(
        client: FlaskClient, counsellor: User) -> None:
    form = _form(client.get("/cases/new"))
    legends = [" ".join(f.xpath("./legend")[0].text_content().split())
               for f in form.xpath("./fieldset")]
    assert legends == SECTIONS
    # every field is inside a section, under its old name and id
    names = {e.get("name") for e in form.xpath(".//input|.//select|.//textarea")}
    assert names == FIELD_NAMES
    outside = form.xpath("./input[not(@type='hidden')]|./select|./textarea|./div[@class='field']")
    assert outside == []
    where = {name: form.xpath(f".//*[@name='{name}']/ancestor::fieldset[last()]/legend")[0]
             .text_content().strip() for name in ("department_id", "consent", "gender",
                                                   "acknowledged_on", "next_steps")}
    assert where == {"department_id": "Waar speelt het?",
                     "consent": "Toestemming en gegevens van de melder",
                     "gender": "Wie zijn erbij betrokken?",
                     "acknowledged_on": "Vervolg", "next_steps": "Vervolg"}
    # the optional parts are folded when they are empty
    assert _folded(form) == {"Voor het jaarverslag (niet verplicht)": False,
                             "Wet bescherming klokkenluiders (niet verplicht)": False}
    assert form.xpath(".//details//*[@name='gender']")
    assert form.xpath(".//details//*[@name='integrity_report']")


def test_the_identifying_fields_are_described_by_the_consent_hint(
        client: FlaskClient, counsellor: User) -> None:
    form = _form(client.get("/cases/new"))
    hint = form.xpath(".//*[@id='identifying-hint']")
    assert hint and " ".join(hint[0].text_content().split()) == CONSENT_HINT
    for name in ("reporter_name", "reporter_contact"):
        described = form.xpath(f".//*[@id='{name}']")[0].get("aria-describedby", "").split()
        assert "identifying-hint" in described and "identifying-state" in described
        # the state (filled in by static/case-form.js) has a text for each state
    state = form.xpath(".//*[@id='identifying-state']")[0]
    assert state.get("data-off") and state.get("data-on")
    # the contact field keeps its own hint too
    assert "reporter_contact-hint" in form.xpath(
        ".//*[@id='reporter_contact']")[0].get("aria-describedby").split()


def test_an_optional_part_opens_when_it_holds_an_error_or_a_value(
        client: FlaskClient, counsellor: User, dept_id: int) -> None:
    opened = date.today() - timedelta(days=3)
    data = {"opened_on": opened.isoformat(), "department_id": str(dept_id),
            "categories": ["pesten"], "acknowledged_on": opened.isoformat()}
    # an acknowledgement date without the whistleblower box: an error inside the fold
    form = _form(post_form(client, "/cases/new", data))
    assert form.xpath(".//*[@id='acknowledged_on-error']")
    assert _folded(form) == {"Voor het jaarverslag (niet verplicht)": False,
                             "Wet bescherming klokkenluiders (niet verplicht)": True}
    # a value in the annual-report part opens it (nothing saved: the error is still there)
    form = _form(post_form(client, "/cases/new", {**data, "gender": "woman"}))
    assert _folded(form)["Voor het jaarverslag (niet verplicht)"] is True
