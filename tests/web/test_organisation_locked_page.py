"""The vault's explanation page names the organisation in the command it asks for (issue 17):
in a client organisation ``vault recover`` without ``--organisation`` would act on the home
organisation's vault."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.organisationwork import main_work
from tests.web.organisation_visits import account, log_in
from vp_registry.app_state import practice_state
from vp_registry.config import Settings
from vp_registry.services.organisations import registry
from vp_registry.services.organisations.settings import settings_for


def test_a_client_counsellor_is_shown_the_command_for_its_organisation(
        app: Flask, settings: Settings, client: FlaskClient) -> None:
    databases = practice_state(app).databases
    with main_work(app, settings) as work:  # a new client: no vault opened yet
        organisation = registry.create_organisation(work, databases, slug="nieuw-bv",
                                                    name="Nieuw B.V.")
    counsellor = account(databases.session_factory(organisation),
                         settings_for(settings, organisation), "/o/nieuw-bv", "counsellor",
                         "vp@nieuw.example.org")
    log_in(client, counsellor)
    page = client.get("/o/nieuw-bv/cases/").get_data(as_text=True)
    assert ("vp-registry --organisation nieuw-bv vault recover --email vp@nieuw.example.org"
            " --recovery-key-stdin") in page


def test_the_home_organisations_command_is_as_before(
        app: Flask, settings: Settings, client: FlaskClient) -> None:
    counsellor = account(practice_state(app).session_factory, settings, "", "counsellor",
                         "vp@thuis.example.org")
    log_in(client, counsellor)
    page = client.get("/cases/").get_data(as_text=True)
    assert "vp-registry vault recover --email vp@thuis.example.org --recovery-key-stdin" in page
    assert "--organisation" not in page
