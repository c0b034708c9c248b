"""The ``vp-registry`` command line (same as ``flask --app vp_registry``).

Commands call the same services as the web views and commit once at the end. Help texts are
bilingual (Dutch first); messages go through Flask-Babel in the configured default locale.
Every failure prints a clear message and exits non-zero.
"""

from __future__ import annotations

import secrets
import sys
from contextlib import AbstractContextManager
from pathlib import Path
from typing import IO, Any

import click
from flask import Flask
from flask.cli import AppGroup, FlaskGroup, ScriptInfo, with_appcontext
from flask_babel import gettext as _
from sqlalchemy.orm import Session, sessionmaker

from vp_registry import (
    cli_cases,
    cli_operations,
    cli_organisations,
    cli_pulse,
    cli_reports,
    cli_serve,
)
from vp_registry.app_state import (
    app_state,
    cli_organisation,
    current_organisation_or_none,
    organisation_state,
    practice_state,
)
from vp_registry.config import ConfigurationError, Settings, config_file_path
from vp_registry.core.private_files import write_private
from vp_registry.core.taxonomy import ROLE_LABELS, Role
from vp_registry.messages import describe
from vp_registry.services.accounts import department_import, organisation, users
from vp_registry.services.errors import AccessDenied, DomainError
from vp_registry.services.infrastructure import audit
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.organisations import registry
from vp_registry.services.organisations.registry import Organisation
from vp_registry.services.work import Work, unit_of_work


def command_work() -> AbstractContextManager[Work]:
    """The command's unit of work, made as a web request's is (services.work): the system acts,
    it commits when the block ends normally and rolls back on any error or exit."""
    factory: sessionmaker[Session] = app_state().session_factory
    settings: Settings = app_state().settings
    return unit_of_work(factory, settings, Actor.system())


def fail(text: str) -> None:
    click.secho(text, fg="red", err=True)
    sys.exit(1)


def read_password(password_stdin: bool, prompt: str) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt(prompt, hide_input=True, confirmation_prompt=True))


# ----------------------------------------------------------------------- init


@click.command("init")
@with_appcontext
@click.option("--admin-email", help="E-mail van de eerste beheerder / first admin's e-mail.")
@click.option("--admin-name", default="Functioneel beheerder", show_default=True,
              help="Naam van de eerste beheerder / first admin's name.")
@click.option("--password-stdin", is_flag=True,
              help="Lees het wachtwoord van stdin / read the password from standard input.")
def init_command(admin_email: str | None, admin_name: str, password_stdin: bool) -> None:
    """Maak of upgrade de database / create or upgrade the database (and the first admin)."""
    cli_organisations.upgrade_databases()
    with command_work() as work:
        added = organisation.ensure_default_categories(work.session)
        if admin_email:
            if users.find_by_email(work.session, admin_email) is not None:
                click.echo(_("An account for %(email)s already exists.", email=admin_email))
            else:
                password = read_password(password_stdin, _("Password for the first admin"))
                try:
                    users.create_user(work, email=admin_email, display_name=admin_name,
                                      role=Role.ADMIN.value, password=password,
                                      must_change_password=False)
                except DomainError as error:
                    fail(describe(error))
                click.echo(_("Admin account %(email)s created.", email=admin_email))
    click.echo(_("Database is up to date (%(added)s default categories added).", added=added))
    if cli_cases.create_vault_and_show_key():
        click.echo(_("The vault has been created. The first confidential counsellor gets access "
                     "after logging in once, with: vp-registry vault recover --email ADDRESS "
                     "--recovery-key-stdin"))


@click.command("init-config")
@click.option("--development", is_flag=True,
              help="Instellingen voor lokaal gebruik / settings for local use (http, demo).")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path),
                default=Path("instance/config.py"))
def init_config_command(development: bool, path: Path) -> None:
    """Schrijf een instance-config met nieuwe geheimen / write an instance config with new secrets.

    An existing file is never overwritten.
    """
    if path.exists():
        click.echo(f"{path}: bestaat al, ongewijzigd / exists, left unchanged.")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Generated by 'vp-registry init-config'. See config.example.py for every setting.",
        f"ENVIRONMENT = {'development' if development else 'production'!r}",
        f"SECRET_KEY = {secrets.token_urlsafe(48)!r}",
        f"AUDIT_KEY = {secrets.token_urlsafe(48)!r}",
        f"BACKUP_KEY = {secrets.token_urlsafe(48)!r}",
    ]
    write_private(path, ("\n".join(lines) + "\n").encode("utf-8"))  # 0600 from the start
    click.echo(f"{path}: geschreven met nieuwe geheimen / written with new random secrets.")


# ---------------------------------------------------------------------- users


@click.group("users", cls=AppGroup)
def users_group() -> None:
    """Accounts beheren / manage accounts."""


@users_group.command("create")
@click.option("--email", required=True)
@click.option("--name", "display_name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--password-stdin", is_flag=True,
              help="Lees het wachtwoord van stdin / read the password from standard input.")
def users_create(email: str, display_name: str, role: str, password_stdin: bool) -> None:
    """Maak een account / create an account (password must be changed at first login)."""
    if role == Role.PRACTICE_ADMIN.value and current_organisation_or_none() is not None:
        fail(_("A practice admin is an account of the practice itself: create it without "
               "--organisation (in the home organisation), never in a client organisation."))
    password = read_password(password_stdin, _("Temporary password"))
    with command_work() as work:
        try:
            users.create_user(work, email=email, display_name=display_name, role=role,
                              password=password)
        except DomainError as error:
            fail(describe(error))
    click.echo(_("Account %(email)s created.", email=email))


@users_group.command("list")
def users_list() -> None:
    """Toon alle accounts / list all accounts."""
    with command_work() as work:
        for user in users.list_users(work.session):
            state = _("active") if user.active else _("disabled")
            click.echo(f"{user.id:>4}  {user.role:<11} {state:<12} {user.email}  "
                       f"({user.display_name})")


@users_group.command("disable")
@click.argument("email")
def users_disable(email: str) -> None:
    """Blokkeer een account en beëindig zijn sessies / disable an account and end its sessions."""
    _set_active(email, False)
    click.echo(_("Account %(email)s disabled.", email=email))


@users_group.command("enable")
@click.argument("email")
def users_enable(email: str) -> None:
    """Heractiveer een account / re-enable an account."""
    _set_active(email, True)
    click.echo(_("Account %(email)s enabled.", email=email))


def _set_active(email: str, active: bool) -> None:
    """Enable or disable one account; an unknown address or a refusal ends the command."""
    with command_work() as work:
        user = users.find_by_email(work.session, email)
        if user is None:
            fail(_("No account with e-mail address %(email)s.", email=email))
            return
        try:
            users.set_active(work, user, active)
        except DomainError as error:
            fail(describe(error))


# ---------------------------------------------------------------- departments


@click.group("departments", cls=AppGroup)
def departments_group() -> None:
    """Afdelingen beheren / manage departments."""


@departments_group.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def departments_import(csv_file: Path) -> None:
    """Importeer afdelingen uit CSV / import departments from CSV (name,headcount,parent,active).

    All or nothing: when any line is wrong, nothing is imported and every bad line is listed.
    """
    try:
        text = csv_file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        fail(_("The file is not a UTF-8 CSV file. Save it as 'CSV UTF-8' and try again."))
        return
    with command_work() as work:
        report = department_import.import_departments(work, text)
        if not report.ok:  # nothing was written; fail() ends the unit of work without a commit
            for line, message, params in report.errors:
                click.secho(_("Line %(line)s: %(message)s", line=line,
                              message=_(message, **params)), fg="red", err=True)
            fail(_("Nothing was imported: correct the lines above and try again."))
    click.echo(_("Import complete: %(created)s added, %(updated)s updated.",
                 created=report.created, updated=report.updated))


# ---------------------------------------------------------------------- audit


@click.group("audit", cls=AppGroup)
def audit_group() -> None:
    """Auditlog / audit log."""


@audit_group.command("verify")
def audit_verify() -> None:
    """Controleer de hashketen van de auditlog / verify the audit log's hash chain."""
    with command_work() as work:
        result = audit.verify(work.session, work.settings.audit_key)
        waiting = audit.waiting_entries(work.session)
    if not result.ok:
        lane = f" of lane {result.lane}" if result.lane != 1 else ""
        fail(f"FAILED: entry {result.first_bad_seq}{lane}: {result.reason} "
             f"({result.entries} entries verified before it)")
    click.echo(f"OK: {result.entries} entries"
               + (f" (+{waiting} of the anonymous channel, waiting for the end of their day)"
                  if waiting else ""))


# ----------------------------------------------------------------------- demo


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Vul de database met fictieve demodata / fill the database with fictional demo data."""
    from vp_registry.services.demo import seed as demo

    cli_organisations.upgrade_databases()
    cli_cases.create_vault_and_show_key()  # when 'init' has not made it yet
    with command_work() as work:
        try:
            logins = demo.create_demo(work, progress=_echo_translated)
        except DomainError as error:
            fail(describe(error))
            return
    click.echo("")
    click.echo(_("The demo counsellor already has access to the case files: logging in "
                 "with the password below is enough."))
    click.echo("")
    click.secho(_("Demo logins (first login: set up two-step verification with an "
                  "authenticator app; the secret is also shown as text):"), bold=True)
    labels = {login.role: _(ROLE_LABELS[Role(login.role)]) for login in logins}
    width = max(len(label) for label in labels.values()) + 2
    for login in logins:
        click.echo(f"  {labels[login.role]:<{width}}{login.email:<34}{login.password}")
    if current_organisation_or_none() is None:  # the home demo: also the practice's clients
        _client_demo()


def _client_demo() -> None:
    """Two client organisations served by an external counsellor (issue 17)."""
    from vp_registry.services.demo import clients

    click.echo("")
    made = clients.create_client_demo(practice_state().databases, practice_state().settings,
                                      organisation_state, _echo_translated)
    click.secho(_("The external counsellor of the client organisations (an account in each; "
                  "log in at each address):"), bold=True)
    for client in made:
        click.echo(f"  {client.name}: /o/{client.slug}/")
    login = clients.EXTERNAL_COUNSELLOR
    click.echo(f"  {_(ROLE_LABELS[Role.COUNSELLOR])}  {login.email}  {login.password}")


def _echo_translated(message: str, **values: object) -> None:
    """A progress line of the demo in the configured language (the message is marked N_)."""
    click.echo(_(message, **values))


COMMANDS = [init_command, users_group, departments_group, audit_group,
            demo_command]


ORGANISATION_OPTION = "organisation"
INSTALLATION_COMMANDS = frozenset({"organisations"})  # act on the practice, not on one


def _chosen_organisation(ctx: click.Context, command: click.Command) -> Organisation | None:
    """The organisation ``--organisation`` names (None: the home organisation); an unknown or
    deleted one ends the command with a clear message."""
    info = ctx.ensure_object(ScriptInfo)
    slug = info.data.get(ORGANISATION_OPTION)
    if not slug:
        return None
    with info.load_app().app_context():
        if command.name in INSTALLATION_COMMANDS:
            fail(_("'%(command)s' acts on the installation: leave out --organisation.",
                   command=command.name))
        with practice_state().session_factory() as session:
            found = registry.find_organisation(session, str(slug))
        if found is None:
            fail(_("There is no organisation %(slug)s (vp-registry organisations list).",
                   slug=slug))
    return found


def answer_access_errors(command: click.Command) -> click.Command:
    """The CLI's one answer to an access error (no vault key, no grant) raised in ``command``
    or its subcommands: the message in red and exit code 1, as the web's one handler shows
    the explanation page. The command's application context has ended by then: translate in
    the same application's context. The command acts for the organisation ``--organisation``
    chose (app_state() gives that organisation's state while it runs)."""
    invoke = command.invoke

    def answering(ctx: click.Context) -> Any:
        token = cli_organisation.set(_chosen_organisation(ctx, command))
        try:
            return invoke(ctx)
        except AccessDenied as error:
            with ctx.ensure_object(ScriptInfo).load_app().app_context():
                fail(describe(error))
            raise  # not reached: fail() exits
        finally:
            cli_organisation.reset(token)

    command.invoke = answering  # type: ignore[method-assign]
    return command


_APP_COMMANDS = [answer_access_errors(command) for command in (
    *COMMANDS, *cli_operations.COMMANDS, *cli_cases.COMMANDS, *cli_reports.COMMANDS,
    *cli_pulse.COMMANDS, *cli_organisations.COMMANDS)]


def app_commands() -> list[click.Command]:
    """Every command that works on the application (all but ``init-config``)."""
    return list(_APP_COMMANDS)


def register_commands(app: Flask) -> None:
    for command in app_commands():
        app.cli.add_command(command)


class ConfigurationProblem(click.ClickException):
    """No usable configuration: one clear paragraph and exit code 1, never a traceback."""

    def show(self, file: IO[Any] | None = None) -> None:
        click.secho(self.format_message(), fg="red", err=True)


def configuration_problem(error: ConfigurationError) -> ConfigurationProblem:
    """Say what is wrong, where the settings were looked for and how to put it right."""
    config_file = config_file_path()
    text = (f"vp-registry kan niet starten / cannot start: {error}. "
            f"Configuratiebestand / config file {config_file}")
    if config_file.is_file():
        text += (": pas het aan / correct it (config.example.py beschrijft elke instelling / "
                 "documents every setting).")
    else:
        text += (" bestaat niet / does not exist. Schrijf er een met nieuwe geheimen / write one "
                 f"with new secrets: vp-registry init-config {config_file} (of gebruik / or use "
                 "VP_CONFIG, VP_INSTANCE_PATH, VP_* en/and DATABASE_URL).")
    return ConfigurationProblem(text)


def _create_app() -> Flask:
    from vp_registry.app import create_app

    try:
        return create_app()
    except ConfigurationError as error:
        raise configuration_problem(error) from None


class RegistryGroup(FlaskGroup):
    """The ``vp-registry`` group: its commands are known without creating the application.

    FlaskGroup asks the application for its commands, so ``--help`` (and every command name
    it resolves) needed a valid configuration and printed a traceback without one. Here the
    commands are registered on the group itself; a command creates the application only when
    it runs (``with_appcontext``), and a configuration problem is then a clear message.
    """

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self._load_plugin_commands()
        return click.Group.get_command(self, ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugin_commands()
        return click.Group.list_commands(self, ctx)


def _remember_organisation(ctx: click.Context, _param: click.Parameter,
                           value: str | None) -> None:
    if value:
        ctx.ensure_object(ScriptInfo).data[ORGANISATION_OPTION] = value.strip()


ORGANISATION = click.Option(
    ["--organisation"], metavar="SLUG", envvar="VP_REGISTRY_ORGANISATION", expose_value=False,
    callback=_remember_organisation, is_eager=True,
    help="Organisatie waarop de opdracht werkt / the organisation the command acts on "
         "(default: the home organisation).")

main = RegistryGroup(create_app=_create_app, add_default_commands=True, params=[ORGANISATION],
                     help="vp-registry: registratie voor vertrouwenspersonen / registry for "
                          "confidential counsellors.")
# init-config needs no application at all (there may be no configuration yet); the others
# create it when they run, so listing them and their --help need no configuration either.
main.add_command(init_config_command)
for _command in app_commands():
    main.add_command(_command)
# Flask's own ``run`` (added with the default commands) logs every client address.
main.add_command(cli_serve.run_command)
