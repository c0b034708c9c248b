"""``vp-registry organisations`` and ``vp-registry db upgrade`` (issue 17).

``organisations create`` registers a client organisation in the main database, creates its
own database at the schema's head, then - in that database - its first administrator and its
vault, and shows the vault's recovery key once (as ``vp-registry init`` does for the home
organisation). ``organisations list`` shows the active ones. ``export``, ``import`` and
``delete`` come from cli_organisation_data.py. ``db upgrade`` runs the migrations on the main
database and on every organisation's database.

Every other command acts on one organisation: ``vp-registry --organisation SLUG COMMAND``
(or ``VP_REGISTRY_ORGANISATION``), the home organisation by default (cli.py).
"""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from vp_registry import cli_organisation_data
from vp_registry.app_state import cli_organisation, practice_state
from vp_registry.messages import describe
from vp_registry.services.errors import DomainError
from vp_registry.services.infrastructure import schema
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.organisations import registry
from vp_registry.services.organisations.registry import Organisation
from vp_registry.services.practice import onboarding
from vp_registry.services.work import unit_of_work

SETTING_OPTIONS = {  # option -> the setting it overrides (names as in config.py)
    "min_cell_count": "DISCLOSURE_K",
    "min_department_size": "MIN_DEPARTMENT_SIZE",
    "min_organisation_size": "MIN_ORGANISATION_SIZE",
    "registry_start": "REGISTRY_START",
    "retention_months": "RETENTION_MONTHS",
}


def _fail(text: str) -> None:
    click.secho(text, fg="red", err=True)
    sys.exit(1)


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt(_("Temporary password for the first admin"), hide_input=True,
                            confirmation_prompt=True))


def _overrides(values: dict[str, object], settings: tuple[str, ...]) -> dict[str, object]:
    """The settings options and every ``--setting NAME=VALUE``, by config.py name."""
    chosen: dict[str, object] = {SETTING_OPTIONS[name]: value for name, value in values.items()
                                 if value is not None}
    for item in settings:
        name, equals, value = item.partition("=")
        if not equals or not name.strip():
            _fail(_("Write a setting as NAME=VALUE, for example DISCLOSURE_K=5."))
        chosen[name.strip().upper()] = value.strip()
    return chosen


def _register(slug: str, name: str, host: str | None,
              overrides: dict[str, object]) -> Organisation:
    state = practice_state()
    with unit_of_work(state.session_factory, state.settings, Actor.system()) as work:
        try:
            return registry.create_organisation(work, state.databases, slug=slug, name=name,
                                                host=host, settings=overrides)
        except DomainError as error:
            _fail(describe(error))
            raise  # not reached


def _set_up(organisation: Organisation, admin: onboarding.FirstAdmin | None) -> bytes | None:
    """The first admin and the vault, in the new organisation's own database."""
    from vp_registry.app_state import organisation_state
    from vp_registry.services.vault import store

    state = organisation_state(organisation)
    token = cli_organisation.set(organisation)
    try:
        with unit_of_work(state.session_factory, state.settings, Actor.system()) as work:
            if admin is not None:
                return onboarding.set_up(work, admin)
            return store.create_vault(work)
    finally:
        cli_organisation.reset(token)


@click.group("organisations", cls=AppGroup)
def organisations_group() -> None:
    """Organisaties (opdrachtgevers) / client organisations of this installation."""


@organisations_group.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="Naam / the organisation's name.")
@click.option("--host", help="Eigen hostnaam / a host name that selects it (optional).")
@click.option("--admin-email", help="E-mail van de eerste beheerder / first admin's e-mail.")
@click.option("--admin-name", default="Functioneel beheerder", show_default=True,
              help="Naam van de eerste beheerder / first admin's name.")
@click.option("--password-stdin", is_flag=True,
              help="Lees het wachtwoord van stdin / read the password from standard input.")
@click.option("--min-cell-count", type=int, help="k (DISCLOSURE_K) of this organisation.")
@click.option("--min-department-size", type=int, help="MIN_DEPARTMENT_SIZE.")
@click.option("--min-organisation-size", type=int, help="MIN_ORGANISATION_SIZE.")
@click.option("--registry-start", help="REGISTRY_START (YYYY-MM-DD).")
@click.option("--retention-months", type=int, help="RETENTION_MONTHS.")
@click.option("--setting", "settings", multiple=True, metavar="NAME=VALUE",
              help="Een andere instelling / any other per-organisation setting.")
def organisations_create(slug: str, name: str, host: str | None, admin_email: str | None,
                         admin_name: str, password_stdin: bool, settings: tuple[str, ...],
                         **setting_options: object) -> None:
    """Maak een organisatie met eigen database / create an organisation with its own database.

    The vault's recovery key is shown once: keep it offline. The first admin changes the
    temporary password at the first login.
    """
    from vp_registry.cli_cases import print_recovery_key

    overrides = _overrides(setting_options, settings)
    admin = None
    if admin_email:
        admin = onboarding.FirstAdmin(admin_email, admin_name, _read_password(password_stdin))
        try:
            onboarding.check_first_admin(admin)
        except DomainError as error:
            _fail(describe(error))
    organisation = _register(slug, name, host, overrides)
    click.echo(_("Organisation %(slug)s created with its own database.", slug=slug))
    try:
        private = _set_up(organisation, admin)
    except DomainError as error:
        _fail(describe(error) + " " + _(
            "The organisation exists: finish with vp-registry --organisation %(slug)s init "
            "--admin-email ADDRESS", slug=slug))
        return
    if admin is not None:
        click.echo(_("Admin account %(email)s created.", email=admin.email))
    if private is not None:
        print_recovery_key(private)
    click.echo(_("Its pages: /o/%(slug)s/ (or its host name).", slug=slug))
    if organisation.host and not practice_state().settings.organisation_hosts:
        click.echo(_("Host names select an organisation only with ORGANISATION_HOSTS = True "
                     "in the configuration."))


@organisations_group.command("list")
def organisations_list() -> None:
    """Toon de organisaties / list the active organisations."""
    state = practice_state()
    with state.session_factory() as session:
        found = registry.list_organisations(session)
    for organisation in found:
        where = "/" if organisation.is_home else f"/o/{organisation.slug}/"
        name = organisation.name or state.settings.organisation_name
        click.echo(f"{organisation.slug:<24} {where:<28} {organisation.host or '-':<30} {name}")


@click.group("db", cls=AppGroup)
def database_group() -> None:
    """Database-schema / the database schema."""


@database_group.command("upgrade")
def database_upgrade() -> None:
    """Upgrade de hoofddatabase en die van elke organisatie / upgrade every database."""
    upgraded = upgrade_databases()
    click.echo(_("Every database is up to date (%(count)s organisations).", count=upgraded))


def upgrade_databases() -> int:
    """The command's organisation's database; for the home organisation (the default) the
    main database and then every client organisation's. Returns how many were upgraded."""
    state = practice_state()
    chosen = cli_organisation.get()
    if chosen is not None and not chosen.is_home:
        state.databases.upgrade(chosen)
        return 1
    schema.upgrade(state.engine)  # the main database first: it holds the registry
    with state.session_factory() as session:
        found = registry.list_organisations(session)
    for organisation in found:
        if not organisation.is_home:
            state.databases.upgrade(organisation)
    return len(found)


COMMANDS = [organisations_group, database_group]

cli_organisation_data.register(organisations_group)  # export, import, delete (orgs-life)
