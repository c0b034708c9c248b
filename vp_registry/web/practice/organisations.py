"""The practice admin's page: the client organisations, and creating one (issue 17).

Creating one registers it in the main database (its row, its own database at the schema's
head), then makes its first admin and its vault in that new database; the recovery key is in
the answer to that POST only - shown once, like ``vp-registry init`` prints it, never stored
and never in a redirect, a flash message or a log. The practice admin reads no case, no
signal and no figure of any organisation: these views open no organisation's database
except to set up a new, empty one.
"""

from __future__ import annotations

from flask import render_template

from vp_registry.app_state import organisation_state, practice_state
from vp_registry.core import crypto
from vp_registry.core.taxonomy import Role
from vp_registry.services.errors import DomainError
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.organisations import registry
from vp_registry.services.organisations.databases import OrganisationDatabases
from vp_registry.services.organisations.registry import Organisation
from vp_registry.services.practice import onboarding
from vp_registry.services.practice.onboarding import FirstAdmin
from vp_registry.services.work import unit_of_work
from vp_registry.web.access import roles
from vp_registry.web.database import current_work
from vp_registry.web.forms import show_error
from vp_registry.web.practice import blueprint
from vp_registry.web.practice.forms import OrganisationForm


def _databases() -> OrganisationDatabases:
    return practice_state().databases


def _list_page(form: OrganisationForm) -> str:
    found = registry.list_organisations(current_work().session)
    return render_template("practice/organisations.html", organisations=found, form=form,
                           home_name=practice_state().settings.organisation_name)


@blueprint.get("/practice/organisations")
@roles(Role.PRACTICE_ADMIN)
def organisations() -> str:
    return _list_page(OrganisationForm())


def _first_admin(form: OrganisationForm) -> FirstAdmin:
    return FirstAdmin(email=form.admin_email.data or "", display_name=form.admin_name.data or "",
                      password=form.admin_password.data or "")


def _set_up(organisation: Organisation, admin: FirstAdmin) -> bytes:
    """The first admin and the vault, committed in the new organisation's database; the
    database goes again if that fails (the registry row rolls back with the request)."""
    state = organisation_state(organisation)
    try:
        with unit_of_work(state.session_factory, state.settings, Actor.system()) as work:
            return onboarding.set_up(work, admin)
    except BaseException:
        _databases().drop_database(organisation)
        raise


@blueprint.post("/practice/organisations")
@roles(Role.PRACTICE_ADMIN)
def create_organisation() -> str:
    form = OrganisationForm()
    if not form.validate_on_submit():
        return _list_page(form)
    admin = _first_admin(form)
    work = current_work()
    try:
        onboarding.check_first_admin(admin)
        organisation = registry.create_organisation(
            work, _databases(), slug=form.slug.data or "", name=form.name.data or "",
            host=form.host.data or None, settings=form.overrides())
    except DomainError as error:
        show_error(form, error, "disclosure_k" if error.field == "settings" else "name")
        return _list_page(form)
    recovery_key = _set_up(organisation, admin)
    return render_template(
        "practice/organisation_created.html", organisation=organisation,
        admin_email=admin.email,
        recovery_groups=crypto.format_recovery_key(recovery_key).split("-"))

