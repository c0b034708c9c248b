"""``vp-registry vault recover|status``, ``retention purge`` and ``keys rotate``.

Secrets are read from standard input (``--password-stdin``, ``--recovery-key-stdin``: the
first line) or typed at a hidden prompt; never from an option, which would end up in the
shell history and the process list. Every failure prints a clear message and exits non-zero.
"""

from __future__ import annotations

import sys
from contextlib import AbstractContextManager
from datetime import date

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy.orm import Session, sessionmaker

from vp_registry.app_state import app_state
from vp_registry.core import crypto
from vp_registry.core.taxonomy import N_
from vp_registry.messages import describe
from vp_registry.services.accounts import passwords, users
from vp_registry.services.contact import erasure
from vp_registry.services.errors import DomainError, VaultLocked
from vp_registry.services.infrastructure import retention, rotation
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.vault import grants, store, unlocking
from vp_registry.services.vault.keyring import VaultKeys
from vp_registry.services.work import Work, unit_of_work

RECOVERY_WARNING = (
    "BEWAAR DEZE HERSTELSLEUTEL NU, OP PAPIER, OP EEN VEILIGE PLEK (bijvoorbeeld een kluis).\n"
    "Hij wordt maar één keer getoond. Zonder deze sleutel zijn alle meldingen voorgoed\n"
    "onleesbaar als alle vertrouwenspersonen hun wachtwoord kwijt zijn. Met deze sleutel kan\n"
    "wie hem heeft alle meldingen lezen: bewaar hem dus niet op deze server.\n"
    "\n"
    "WRITE THIS RECOVERY KEY DOWN NOW, ON PAPER, AND KEEP IT SOMEWHERE SAFE (a safe).\n"
    "It is shown only once. Without it every case is lost for good if all confidential\n"
    "counsellors forget their passwords. Whoever holds it can read every case: do not keep it\n"
    "on this server."
)


PURGE_BATCH = 2000  # cases erased per transaction by retention purge
NO_ACCESS = N_("The e-mail address or password is not correct, or the account has no access "
               "to the case files.")


def _fail(text: str) -> None:
    click.secho(text, fg="red", err=True)
    sys.exit(1)


def _work(actor: Actor | None = None) -> AbstractContextManager[Work]:
    """The command's unit of work (services.work.unit_of_work, as a web request's): committed
    when the block ends normally - a batch job commits each batch itself, work.commit() - and
    rolled back on any error or exit, so nothing half-done is stored."""
    factory: sessionmaker[Session] = app_state().session_factory
    return unit_of_work(factory, app_state().settings, actor or Actor.system())


def _read_secret(from_stdin: bool, prompt: str) -> str:
    if from_stdin:
        return sys.stdin.readline().strip()
    return str(click.prompt(prompt, hide_input=True))


def print_recovery_key(private_key: bytes) -> None:
    """Show the recovery key once: 14 groups of 4, on two lines, with a plain warning."""
    groups = crypto.format_recovery_key(private_key).split("-")
    click.echo("")
    click.secho("=" * 72, bold=True)
    click.secho("HERSTELSLEUTEL", bold=True)  # the English paragraph names it too
    click.echo("")
    click.secho("    " + "  ".join(groups[:7]), bold=True)
    click.secho("    " + "  ".join(groups[7:]), bold=True)
    click.echo("")
    click.echo(RECOVERY_WARNING)
    click.secho("=" * 72, bold=True)
    click.echo("")


def create_vault_and_show_key() -> bool:
    """Create the vault if there is none, commit, and only then show the recovery key (once).
    Returns whether it was created."""
    with _work() as work:
        private = store.create_vault(work)
    if private is None:
        return False
    print_recovery_key(private)
    return True


# ---------------------------------------------------------------------- vault


@click.group("vault", cls=AppGroup)
def vault_group() -> None:
    """Toegang tot de meldingen / access to the case files."""


@vault_group.command("recover")
@click.option("--email", required=True,
              help="Vertrouwenspersoon die toegang krijgt / counsellor to give access.")
@click.option("--recovery-key-stdin", is_flag=True,
              help="Lees de herstelsleutel van stdin / read the recovery key from standard "
                   "input.")
def vault_recover(email: str, recovery_key_stdin: bool) -> None:
    """Geef toegang met de herstelsleutel / grant a counsellor access with the recovery key.

    The first time, this also creates the vault key. The counsellor must have logged in once;
    afterwards they open the case files with their own password.
    """
    recovery_key = _read_secret(recovery_key_stdin, _("Recovery key"))
    with _work() as work:
        user = users.find_by_email(work.session, email)
        if user is None:
            _fail(_("No account with e-mail address %(email)s.", email=email))
            return
        try:
            created = grants.recover_access(work, recovery_key, user)
        except DomainError as error:
            _fail(describe(error))
            return
    if created:
        click.echo(_("The vault key has been created."))
    click.echo(_("%(email)s now has access to the case files. They open them with their own "
                 "password (log in again, or use 'Open the case files').", email=email))


@vault_group.command("status")
def vault_status() -> None:
    """Toon de toestand van de kluis / show the state of the vault (no secrets)."""
    with _work() as work:
        state = store.status(work.session)
        left = rotation.rows_on_old_versions(work.session) if state.key_version else 0
    if not state.exists:
        _fail(_("There is no vault yet: run 'vp-registry init'."))
        return
    click.echo(_("Key version: %(version)s", version=state.key_version or "-"))
    click.echo(_("Counsellors with access: %(count)s", count=state.holders))
    if state.rotation_to is not None:
        click.echo(_("Key rotation from version %(old)s to %(new)s is unfinished: run "
                     "'vp-registry keys rotate' to resume it.", old=state.rotation_from,
                     new=state.rotation_to))
    click.echo(_("%(count)s rows on an old key version.", count=left))


# ------------------------------------------------------------------ retention


@click.group("retention", cls=AppGroup)
def retention_group() -> None:
    """Bewaartermijnen / retention."""


@retention_group.command("purge")
@click.option("--dry-run", is_flag=True,
              help="Toon alleen wat gewist zou worden / only show what would be erased.")
def retention_purge(dry_run: bool) -> None:
    """Wis meldingen waarvan de bewaartermijn voorbij is / erase cases past their retention.

    Needs no key: the case's wrapped data key and every ciphertext and row are deleted, so
    the case is unrecoverable at once. Safe to run from cron (it does nothing when nothing
    is due).
    """
    with _work() as work:
        references = (retention.purge(work, dry_run=True).references if dry_run
                      else _purge_in_batches(work))
        conversations = erasure.purge_inactive(
            work, erasure.retention_cutoff(work.settings, date.today()), dry_run=dry_run)
    for reference in references:
        click.echo(f"  {reference}")
    if dry_run:
        click.echo(_("%(count)s cases would be erased (dry run: nothing changed).",
                     count=len(references)))
        click.echo(_("%(count)s anonymous conversations would be erased.",
                     count=conversations))
    else:
        click.echo(_("%(count)s cases erased.", count=len(references)))
        click.echo(_("%(count)s anonymous conversations erased.", count=conversations))


def _purge_in_batches(work: Work) -> list[str]:
    """Erase the due cases a batch per transaction (a stopped purge keeps what it erased and
    the next run goes on from there), with a progress bar; returns the references."""
    today, erased = date.today(), []
    due = retention.due_cases(work, today=today)
    with click.progressbar(length=len(due), label=_("Cases"), file=sys.stderr) as bar:
        for start in range(0, len(due), PURGE_BATCH):
            batch = due[start:start + PURGE_BATCH]
            erased.extend(retention.erase(work, batch, today=today).references)
            work.commit()
            bar.update(len(batch))
    return erased


# ----------------------------------------------------------------------- keys


@click.group("keys", cls=AppGroup)
def keys_group() -> None:
    """Sleutelbeheer / key management."""


def unlock_keys(work: Work, email: str | None, password_stdin: bool,
                recovery_key_stdin: bool) -> tuple[VaultKeys, Actor]:
    """The vault keys for a command, and who acts: the counsellor whose password opened them,
    or the system with the recovery key. Either secret is read from stdin or a hidden prompt;
    a wrong one is refused with the same answer as an unknown account (VaultLocked)."""
    session, settings = work.session, work.settings
    if recovery_key_stdin or not email:
        key = unlocking.unlock_with_recovery(session, _read_secret(recovery_key_stdin,
                                                               _("Recovery key")))
        return unlocking.open_keys(session, settings, key), Actor.system()
    user = users.find_by_email(session, email)
    password = _read_secret(password_stdin, _("Password of %(email)s", email=email))
    if user is None or not user.active or not passwords.verify_password(
            user.password_hash, password, settings.password_kdf):
        raise VaultLocked(NO_ACCESS)  # the same answer for unknown account and password
    unlocked = unlocking.unlock_with_password(work, user, password)
    if unlocked is None:
        raise VaultLocked(NO_ACCESS)
    return unlocking.open_keys(session, settings, unlocked), users.actor_of(user)


@keys_group.command("rotate")
@click.option("--email", help="Vertrouwenspersoon die de rotatie uitvoert / counsellor who "
                              "runs the rotation.")
@click.option("--password-stdin", is_flag=True,
              help="Lees het wachtwoord van stdin / read the password from standard input.")
@click.option("--recovery-key-stdin", is_flag=True,
              help="Gebruik de herstelsleutel, van stdin / use the recovery key, from stdin.")
@click.option("--batch-size", default=rotation.DEFAULT_BATCH, show_default=True,
              type=click.IntRange(1, 100_000),
              help="Sleutels per transactie / keys per transaction.")
def keys_rotate(email: str | None, password_stdin: bool, recovery_key_stdin: bool,
                batch_size: int) -> None:
    """Vernieuw de kluissleutel / rotate the vault key (resumable).

    Creates a new key version, re-wraps every counsellor's access, the recovery copy and the
    message key, then every case's data key in batches (data is not re-encrypted). Each batch
    is committed: when interrupted, run the command again to resume. Counsellors who are
    logged in open the case files again with their password.
    """
    if not email and not recovery_key_stdin and not sys.stdin.isatty():
        _fail(_("Give --email (with --password-stdin) or --recovery-key-stdin."))
        return
    with _work() as work:
        session = work.session
        try:
            keys, actor = unlock_keys(work, email, password_stdin, recovery_key_stdin)
            work.actor = actor
            work.with_keys(keys)
            current = store.active_rotation(session)
            if current is None:
                current = rotation.start(work)
                click.echo(_("New key version %(version)s created; access, recovery copy and "
                             "message key re-wrapped.", version=current.to_version))
            else:
                click.echo(_("Resuming the rotation from version %(old)s to %(new)s.",
                             old=current.from_version, new=current.to_version))
            work.commit()
            total = rotation.data_keys_on(session, current.from_version)
            with click.progressbar(length=total, label=_("Case keys")) as bar:
                while done := rotation.rewrap_batch(work, current, batch_size):
                    work.commit()
                    bar.update(done)
            left = rotation.finish(work, current)
        except DomainError as error:
            _fail(describe(error))
            return
        except crypto.DecryptionError:
            _fail(_("A stored key could not be opened; nothing after the last completed batch "
                    "was changed. Check the password or recovery key and run again."))
            return
    click.echo(_("Rotation complete: key version %(version)s, %(count)s rows on the old version.",
                 version=current.to_version, count=left))


COMMANDS = [vault_group, retention_group, keys_group]
