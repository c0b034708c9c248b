"""Opening the vault: a web session's key checked against the grant, a counsellor's
password, the recovery key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, Executable, FromClause, Table, bindparam, select
from sqlalchemy.orm import Session

from vp_registry.config import Settings
from vp_registry.core import crypto
from vp_registry.core.crypto import PURPOSE_X25519_PRIVATE, DecryptionError
from vp_registry.core.taxonomy import N_
from vp_registry.db.accounts import User
from vp_registry.db.vault import VAULT_ROW_ID, CounsellorKey, Vault, VaultGrant, VaultRotation
from vp_registry.services.errors import NoGrant, ValidationFailed, VaultLocked
from vp_registry.services.vault.key_pairs import (
    counsellor_private_key,
    is_counsellor,
    rewrap_private,
)
from vp_registry.services.vault.keyring import (
    PURPOSE_VAULT_PREVIOUS,
    VaultKeys,
    field_cipher,
    grant_aad,
    recovery_aad,
    unseal_key,
)
from vp_registry.services.vault.store import VaultNotReady, get_vault, require_vault
from vp_registry.services.work import Work


def _check_key(key_version: int, box_private_wrapped: bytes | None,
               box_key_version: int | None, vault_key: bytes) -> None:
    """A key is the current vault key iff it unwraps the message private key."""
    if key_version == 0 or box_private_wrapped is None:
        raise VaultLocked()
    try:
        crypto.unwrap_key(vault_key, box_private_wrapped, purpose=PURPOSE_X25519_PRIVATE,
                          key_version=box_key_version or 0)
    except (DecryptionError, ValueError):
        raise VaultLocked() from None


def open_keys(session: Session, settings: Settings, vault_key: bytes | None, *,
              holder: int | None = None, read: VaultRead | None = None) -> VaultKeys:
    """Turn the key held by a session (or unlocked by a command) into :class:`VaultKeys`.

    ``holder`` is the user on whose behalf a web session's key is used: they must hold a grant
    at this moment, or :class:`NoGrant` is raised (a grant revoked during a session stops
    access on the next request, not at the next login). Raises VaultLocked for no key or a key
    that is not the current one (e.g. the session was opened before a key rotation).

    ``read``: the vault, rotation and grant columns already read in this transaction with the
    session row (:data:`VAULT_READ_COLUMNS`, issue 15) for this same ``holder`` - then no
    statement runs here. Without it (or for another holder) the statement runs.
    """
    if vault_key is None:
        raise VaultLocked()
    found: Any
    if read is not None and holder is not None and read.holder == holder:
        found = read
        if read.key_version is None:
            raise VaultNotReady()
    else:
        if session.autoflush:  # as the ORM statement did (nothing to flush on a page that reads)
            session.flush()
        found = session.connection().execute(_OPEN_FOR[holder is not None],
                                             {"holder": holder}).first()
        if found is None:
            raise VaultNotReady()
    if holder is not None and found.grantee is None:
        raise NoGrant()
    _check_key(found.key_version, found.box_private_wrapped, found.box_key_version, vault_key)
    keys = {found.key_version: vault_key}
    if found.previous_key_wrapped is not None:
        keys[found.from_version] = crypto.unwrap_key(
            vault_key, found.previous_key_wrapped, purpose=PURPOSE_VAULT_PREVIOUS,
            key_version=found.from_version,
        )
    return VaultKeys(found.key_version, keys, field_cipher(settings))


_VAULT, _ROTATION, _GRANT = (cast(Table, model.__table__)
                             for model in (Vault, VaultRotation, VaultGrant))


def _open_statement(*, with_grant: bool) -> Executable:
    """The vault, an unfinished rotation and (for a web session) the holder's grant in one
    statement, columns only: this runs on every request that decrypts, so it is built once
    (SQLAlchemy's statement construction cost more CPU than its execution), over the tables'
    columns and run on the connection (issue 15, session 7: the ORM's handling of a statement
    of mapped columns cost more than the statement)."""
    vault, rotation, grant = _VAULT, _ROTATION, _GRANT
    query = (select(vault.c.key_version, vault.c.box_private_wrapped, vault.c.box_key_version,
                    rotation.c.from_version, rotation.c.previous_key_wrapped)
             .select_from(vault.outerjoin(rotation, rotation.c.finished_at.is_(None)))
             .where(vault.c.id == VAULT_ROW_ID))
    if not with_grant:
        return query
    return (query.add_columns(grant.c.user_id.label("grantee"))
            .outerjoin(grant, grant.c.user_id == bindparam("holder")))


_OPEN_FOR = {True: _open_statement(with_grant=True), False: _open_statement(with_grant=False)}

# The same columns as the statement above, to be read with another row in one statement
# (issue 15: the web session's row reads them, so a page that decrypts runs one statement
# less; clients' /clients parts likewise). Add them to a select whose FROM is
# :func:`with_vault_and_grant`, and give the row to :meth:`VaultRead.of_row`.
VAULT_READ_COLUMNS = (
    _VAULT.c.key_version.label("vault_key_version"),
    _VAULT.c.box_private_wrapped.label("vault_box_private_wrapped"),
    _VAULT.c.box_key_version.label("vault_box_key_version"),
    _ROTATION.c.from_version.label("vault_from_version"),
    _ROTATION.c.previous_key_wrapped.label("vault_previous_key_wrapped"),
    _GRANT.c.user_id.label("vault_grantee"),
)


def with_vault_and_grant(from_clause: FromClause, holder: ColumnElement[Any]) -> FromClause:
    """``from_clause`` outer-joined to the vault row, an unfinished rotation and the grant of
    ``holder`` (a column of ``from_clause``, e.g. the session row's user id): one row in,
    one row out."""
    return (from_clause
            .outerjoin(_VAULT, _VAULT.c.id == VAULT_ROW_ID)
            .outerjoin(_ROTATION, _ROTATION.c.finished_at.is_(None))
            .outerjoin(_GRANT, _GRANT.c.user_id == holder))


@dataclass(frozen=True, slots=True)
class VaultRead:
    """The vault-and-grant columns for ``holder``, read with another row
    (:data:`VAULT_READ_COLUMNS`); ``key_version`` None: there is no vault row."""

    holder: int
    key_version: int | None
    box_private_wrapped: bytes | None
    box_key_version: int | None
    from_version: int | None
    previous_key_wrapped: bytes | None
    grantee: int | None

    @classmethod
    def of_row(cls, row: Any, holder: int) -> VaultRead:
        return cls(holder, row.vault_key_version, row.vault_box_private_wrapped,
                   row.vault_box_key_version, row.vault_from_version,
                   row.vault_previous_key_wrapped, row.vault_grantee)


def message_public_key(session: Session) -> bytes | None:
    """Public key that anonymous messages are sealed to (issue 6); None before the first grant."""
    vault = get_vault(session)
    return vault.box_public_key if vault is not None else None


def unwrap_message_private_key(session: Session, keys: VaultKeys) -> bytes:
    vault = require_vault(session)
    if vault.box_private_wrapped is None or vault.box_key_version is None:
        raise VaultLocked()
    return crypto.unwrap_key(keys.key(vault.box_key_version), vault.box_private_wrapped,
                             purpose=PURPOSE_X25519_PRIVATE, key_version=vault.box_key_version)


def unlock_with_password(
    work: Work, user: User, password: str
) -> bytes | None:
    """The vault key for a counsellor who typed their (already verified) password.

    Returns None when the counsellor has no grant. Raises DecryptionError when the password
    does not open the key pair (the caller verified the login password first, so this means
    the stored key material is damaged). Re-wraps the private key when the Argon2 cost
    parameters have risen since it was wrapped.
    """
    session, settings = work.session, work.settings
    if not is_counsellor(user):
        return None
    row = session.get(CounsellorKey, user.id)
    grant = session.get(VaultGrant, user.id)
    if row is None or grant is None:
        return None
    private = counsellor_private_key(row, password)
    vault_key = unseal_key(private, grant.sealed_key, grant_aad(user.id, grant.key_version))
    if row.kdf_params != settings.password_kdf.to_json():
        rewrap_private(settings, row, private, password)
        session.flush()
    return vault_key


def recovery_private_key(text: str) -> bytes:
    try:
        return crypto.parse_recovery_key(text)
    except crypto.InvalidRecoveryKey as error:
        raise ValidationFailed(N_("The recovery key is not valid: %(reason)s."),
                               reason=str(error)) from None


def check_recovery_key(vault: Vault, private: bytes) -> None:
    """Prove the typed key is this vault's recovery key (seal a probe to its public key)."""
    probe = crypto.random_key()
    try:
        opened = crypto.unseal(private, crypto.seal(vault.recovery_public_key, probe))
    except DecryptionError:
        opened = b""
    if opened != probe:
        raise ValidationFailed(N_("This recovery key does not belong to this installation."))


def unlock_with_recovery(session: Session, recovery_text: str) -> bytes:
    vault = require_vault(session)
    private = recovery_private_key(recovery_text)
    check_recovery_key(vault, private)
    if vault.key_version == 0 or vault.recovery_sealed_key is None:
        raise VaultLocked(N_("The vault key has not been created yet: use 'vault recover'."))
    try:
        return unseal_key(private, vault.recovery_sealed_key,
                           recovery_aad(vault.recovery_key_version or 0))
    except DecryptionError:
        raise ValidationFailed(
            N_("This recovery key does not belong to this installation.")
        ) from None
