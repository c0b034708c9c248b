"""The vault: who can open the cases, and how (docs/design.md I-2). See docs/vault-and-cases.md.

* ``vp-registry init`` calls :func:`create_vault`: a recovery key pair whose private half is
  the recovery key (printed once). The vault key itself does not exist yet.
* The vault key is created at the first grant - ``vp-registry vault recover`` with the
  recovery key (or the demo) - sealed to the recovery public key and to that counsellor.
  There is deliberately no automatic grant at a first login: only the holder of the recovery
  key decides who the first key holder is (bootstrapping rule, documented).
* Each counsellor has a personal X25519 key pair, created at a login with their password; the
  private key is wrapped under Argon2id(password, own salt). A grant is the vault key sealed
  to that public key, so a colleague holding the vault key can grant access without knowing
  the password, and key rotation can re-seal every grant and the recovery copy unattended.
* A request gets a :class:`VaultKeys` from the key in its server-side session
  (:func:`open_keys`); services take it as an argument, never from a global.

Managers and admins never get a key pair or a grant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from vp_registry.config import Settings
from vp_registry.core import crypto
from vp_registry.core.crypto import (
    PURPOSE_DATA_KEY,
    PURPOSE_X25519_PRIVATE,
    AesGcmCipher,
    DecryptionError,
    FieldCipher,
    KdfParams,
    NullCipher,
)
from vp_registry.core.taxonomy import N_, Role
from vp_registry.db import utcnow
from vp_registry.db.accounts import User, WebSession
from vp_registry.db.cases import CaseListingCache
from vp_registry.db.vault import VAULT_ROW_ID, CounsellorKey, Vault, VaultGrant, VaultRotation
from vp_registry.services import audit
from vp_registry.services.audit import Actor
from vp_registry.services.errors import DomainError, NotFound, ValidationFailed
from vp_registry.services.errors import VaultLocked as VaultLocked  # its home moved; re-exported

PURPOSE_COUNSELLOR_PRIVATE: Final = "counsellor-private"
PURPOSE_VAULT_PREVIOUS: Final = "vault-previous"
PURPOSE_BLIND_INDEX: Final = "blind-index"
COUNSELLOR_KEY_FORMAT: Final = 1


class NoGrant(Exception):  # an access check's answer, not an error to show (no DomainError)
    """The user on whose behalf a session's key is used holds no grant (any more). An access
    check, not a user error: the caller treats the session as holding no key (issue 11)."""


class VaultNotReady(DomainError):
    message = N_("The vault has not been set up yet. Run 'vp-registry init' first.")


# ------------------------------------------------------------------ unlocked keys


class VaultKeys:
    """The unlocked vault key(s) for one request or command.

    Normally one version; during a key rotation also the previous one, so rows not yet
    re-wrapped stay readable. The repr never shows key material.
    """

    __slots__ = ("_blind_index_key", "_keys", "cipher", "version")

    def __init__(self, version: int, keys: dict[int, bytes], cipher: FieldCipher) -> None:
        if version not in keys:
            raise ValueError("the current vault key is missing")
        self.version = version
        self._keys = dict(keys)
        self.cipher = cipher
        self._blind_index_key: bytes | None = None

    def __repr__(self) -> str:
        return f"VaultKeys(version={self.version}, versions={sorted(self._keys)})"

    @property
    def current(self) -> bytes:
        return self._keys[self.version]

    def key(self, version: int) -> bytes:
        try:
            return self._keys[version]
        except KeyError:
            raise VaultLocked() from None

    def wrap_data_key(self, data_key: bytes) -> tuple[bytes, int]:
        wrapped = crypto.wrap_key(self.current, data_key, purpose=PURPOSE_DATA_KEY,
                                  key_version=self.version)
        return wrapped, self.version

    def unwrap_data_key(self, wrapped: bytes, version: int) -> bytes:
        return crypto.unwrap_key(self.key(version), wrapped, purpose=PURPOSE_DATA_KEY,
                                 key_version=version)

    @property
    def blind_index_key(self) -> bytes:
        """Key of the keyed blind index of names (recurrence signal); derived, never stored."""
        if self._blind_index_key is None:
            self._blind_index_key = crypto.derive_subkey(self.current, PURPOSE_BLIND_INDEX)
        return self._blind_index_key


def field_cipher(settings: Settings) -> FieldCipher:
    """AES-256-GCM; the null cipher only for benchmarks (settings refuse it in production)."""
    if settings.field_cipher == NullCipher.name:
        return NullCipher()
    return AesGcmCipher()


# ------------------------------------------------------------- associated data


def grant_aad(user_id: int, key_version: int) -> bytes:
    return f"vp-registry/{crypto.PURPOSE_VAULT_BY_PASSWORD}/user/{user_id}/v{key_version}".encode()


def recovery_aad(key_version: int) -> bytes:
    return f"vp-registry/{crypto.PURPOSE_VAULT_BY_RECOVERY}/v{key_version}".encode()


def _unseal_key(private_key: bytes, blob: bytes, aad: bytes) -> bytes:
    key = crypto.unseal(private_key, blob, aad)
    if len(key) != crypto.KEY_BYTES:
        raise DecryptionError()
    return key


def seal_grant(public_key: bytes, user_id: int, vault_key: bytes, key_version: int) -> bytes:
    return crypto.seal(public_key, vault_key, grant_aad(user_id, key_version))


def seal_recovery(public_key: bytes, vault_key: bytes, key_version: int) -> bytes:
    return crypto.seal(public_key, vault_key, recovery_aad(key_version))


def wrap_box_private(vault_key: bytes, private_key: bytes, key_version: int) -> bytes:
    return crypto.wrap_key(vault_key, private_key, purpose=PURPOSE_X25519_PRIVATE,
                           key_version=key_version)


# ----------------------------------------------------------------- the vault row


def get_vault(session: Session) -> Vault | None:
    return session.get(Vault, VAULT_ROW_ID)


def require_vault(session: Session) -> Vault:
    vault = get_vault(session)
    if vault is None:
        raise VaultNotReady()
    return vault


def create_vault(session: Session, settings: Settings, actor: Actor) -> bytes | None:
    """Create the vault if there is none; returns the recovery key (raw) to show ONCE.

    Returns None when the vault already exists (the recovery key is never shown again).
    """
    if get_vault(session) is not None:
        return None
    private, public = crypto.generate_x25519_keypair()
    session.add(Vault(id=VAULT_ROW_ID, key_version=0, recovery_public_key=public))
    session.flush()
    audit.record(session, settings.audit_key, actor, "vault.create")
    return private


def _create_vault_key(session: Session, settings: Settings, actor: Actor, vault: Vault) -> bytes:
    """Generate the vault key (version 1) and the message key pair; seal it for recovery."""
    vault_key = crypto.random_key()
    box_private, box_public = crypto.generate_x25519_keypair()
    vault.key_version = 1
    vault.recovery_sealed_key = seal_recovery(vault.recovery_public_key, vault_key, 1)
    vault.recovery_key_version = 1
    vault.box_public_key = box_public
    vault.box_private_wrapped = wrap_box_private(vault_key, box_private, 1)
    vault.box_key_version = 1
    vault.key_created_at = utcnow()
    session.flush()
    audit.record(session, settings.audit_key, actor, "vault.key_create", key_version=1)
    return vault_key


def _verify_key(vault: Vault, vault_key: bytes) -> None:
    """A key is the current vault key iff it unwraps the message private key."""
    if vault.key_version == 0 or vault.box_private_wrapped is None:
        raise VaultLocked()
    try:
        crypto.unwrap_key(vault_key, vault.box_private_wrapped, purpose=PURPOSE_X25519_PRIVATE,
                          key_version=vault.box_key_version or 0)
    except (DecryptionError, ValueError):
        raise VaultLocked() from None


def active_rotation(session: Session) -> VaultRotation | None:
    return session.execute(
        select(VaultRotation).where(VaultRotation.finished_at.is_(None))
    ).scalar_one_or_none()


def open_keys(session: Session, settings: Settings, vault_key: bytes | None, *,
              holder: int | None = None) -> VaultKeys:
    """Turn the key held by a session (or unlocked by a command) into :class:`VaultKeys`.

    ``holder`` is the user on whose behalf a web session's key is used: they must hold a grant
    at this moment, or :class:`NoGrant` is raised (a grant revoked during a session stops
    access on the next request, not at the next login). Raises VaultLocked for no key or a key
    that is not the current one (e.g. the session was opened before a key rotation).
    """
    if vault_key is None:
        raise VaultLocked()
    # The vault, an unfinished rotation and the holder's grant in one statement: this runs on
    # every request that decrypts.
    query = (select(Vault, VaultRotation).select_from(Vault)
             .outerjoin(VaultRotation, VaultRotation.finished_at.is_(None))
             .where(Vault.id == VAULT_ROW_ID))
    if holder is not None:
        query = (query.add_columns(VaultGrant.user_id)
                 .outerjoin(VaultGrant, VaultGrant.user_id == holder))
    found = session.execute(query).first()
    if found is None:
        raise VaultNotReady()
    vault, rotation = found[0], found[1]
    granted: tuple[object, ...] = tuple(found)[2:]
    if holder is not None and (not granted or granted[0] is None):
        raise NoGrant()
    _verify_key(vault, vault_key)
    keys = {vault.key_version: vault_key}
    if rotation is not None and rotation.previous_key_wrapped is not None:
        keys[rotation.from_version] = crypto.unwrap_key(
            vault_key, rotation.previous_key_wrapped, purpose=PURPOSE_VAULT_PREVIOUS,
            key_version=rotation.from_version,
        )
    return VaultKeys(vault.key_version, keys, field_cipher(settings))


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


# ------------------------------------------------------- counsellor key pairs


def _is_counsellor(user: User) -> bool:
    return user.role == Role.COUNSELLOR.value


def _private_wrap(password: str, salt: bytes, params: KdfParams) -> bytes:
    return crypto.derive_key(password, salt, params)


def _new_counsellor_key(settings: Settings, user_id: int, password: str) -> CounsellorKey:
    private, public = crypto.generate_x25519_keypair()
    salt = crypto.new_salt()
    wrapping = _private_wrap(password, salt, settings.password_kdf)
    return CounsellorKey(
        user_id=user_id, salt=salt, kdf_params=settings.password_kdf.to_json(),
        public_key=public, key_version=COUNSELLOR_KEY_FORMAT,
        private_key_wrapped=crypto.wrap_key(wrapping, private, purpose=PURPOSE_COUNSELLOR_PRIVATE,
                                            key_version=COUNSELLOR_KEY_FORMAT),
    )


def _counsellor_private_key(row: CounsellorKey, password: str) -> bytes:
    wrapping = _private_wrap(password, row.salt, KdfParams.from_json(row.kdf_params))
    return crypto.unwrap_key(wrapping, row.private_key_wrapped,
                             purpose=PURPOSE_COUNSELLOR_PRIVATE, key_version=row.key_version)


def _rewrap_private(settings: Settings, row: CounsellorKey, private: bytes, password: str) -> None:
    row.salt = crypto.new_salt()
    row.kdf_params = settings.password_kdf.to_json()
    row.key_version = COUNSELLOR_KEY_FORMAT
    row.private_key_wrapped = crypto.wrap_key(
        _private_wrap(password, row.salt, settings.password_kdf), private,
        purpose=PURPOSE_COUNSELLOR_PRIVATE, key_version=COUNSELLOR_KEY_FORMAT,
    )


def ensure_counsellor_key(session: Session, settings: Settings, user: User, password: str) -> None:
    """Give a counsellor a key pair at a login with their (final) password, if they have none."""
    if not _is_counsellor(user) or session.get(CounsellorKey, user.id) is not None:
        return
    session.add(_new_counsellor_key(settings, user.id, password))
    session.flush()


def replace_counsellor_key(
    session: Session, settings: Settings, user: User, password: str
) -> None:
    """New key pair for a password chosen without the old one (after an admin reset): any
    grant sealed to the old pair is dropped, so access must be granted again."""
    if not _is_counsellor(user):
        return
    session.execute(delete(VaultGrant).where(VaultGrant.user_id == user.id))
    session.execute(delete(CounsellorKey).where(CounsellorKey.user_id == user.id))
    session.add(_new_counsellor_key(settings, user.id, password))
    session.flush()


def change_password(
    session: Session, settings: Settings, user: User, current: str, new: str
) -> None:
    """Re-wrap the counsellor's private key under the new password (the grant stays valid)."""
    row = session.get(CounsellorKey, user.id)
    if row is None:
        ensure_counsellor_key(session, settings, user, new)
        return
    try:
        private = _counsellor_private_key(row, current)
    except DecryptionError:
        # The pair was wrapped under another password (cannot normally happen): start afresh.
        replace_counsellor_key(session, settings, user, new)
        return
    _rewrap_private(settings, row, private, new)
    session.flush()


def remove_access(session: Session, settings: Settings, actor: Actor, user: User) -> None:
    """Drop a counsellor's key pair and grant (admin password reset, docs/design.md I-2)."""
    had_grant = session.get(VaultGrant, user.id) is not None
    session.execute(delete(VaultGrant).where(VaultGrant.user_id == user.id))
    session.execute(delete(CounsellorKey).where(CounsellorKey.user_id == user.id))
    session.flush()
    if had_grant:
        audit.record(session, settings.audit_key, actor, "vault.access_removed",
                     target_type="user", target_id=user.id)


# ----------------------------------------------------------------- unlocking


def unlock_with_password(
    session: Session, settings: Settings, user: User, password: str
) -> bytes | None:
    """The vault key for a counsellor who typed their (already verified) password.

    Returns None when the counsellor has no grant. Raises DecryptionError when the password
    does not open the key pair (the caller verified the login password first, so this means
    the stored key material is damaged). Re-wraps the private key when the Argon2 cost
    parameters have risen since it was wrapped.
    """
    if not _is_counsellor(user):
        return None
    row = session.get(CounsellorKey, user.id)
    grant = session.get(VaultGrant, user.id)
    if row is None or grant is None:
        return None
    private = _counsellor_private_key(row, password)
    vault_key = _unseal_key(private, grant.sealed_key, grant_aad(user.id, grant.key_version))
    if row.kdf_params != settings.password_kdf.to_json():
        _rewrap_private(settings, row, private, password)
        session.flush()
    return vault_key


def _recovery_private_key(text: str) -> bytes:
    try:
        return crypto.parse_recovery_key(text)
    except crypto.InvalidRecoveryKey as error:
        raise ValidationFailed(N_("The recovery key is not valid: %(reason)s."),
                               reason=str(error)) from None


def _check_recovery_key(vault: Vault, private: bytes) -> None:
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
    private = _recovery_private_key(recovery_text)
    _check_recovery_key(vault, private)
    if vault.key_version == 0 or vault.recovery_sealed_key is None:
        raise VaultLocked(N_("The vault key has not been created yet: use 'vault recover'."))
    try:
        return _unseal_key(private, vault.recovery_sealed_key,
                           recovery_aad(vault.recovery_key_version or 0))
    except DecryptionError:
        raise ValidationFailed(
            N_("This recovery key does not belong to this installation.")
        ) from None


# ------------------------------------------------------------------ granting


@dataclass(frozen=True)
class CounsellorAccess:
    user_id: int
    display_name: str
    email: str
    active: bool
    has_key_pair: bool
    has_access: bool
    granted_at: datetime | None
    password_changed_at: datetime


def access_overview(session: Session) -> list[CounsellorAccess]:
    counsellors = session.execute(
        select(User).where(User.role == Role.COUNSELLOR.value).order_by(User.display_name)
    ).scalars()
    pairs = set(session.execute(select(CounsellorKey.user_id)).scalars())
    grants = {g.user_id: g for g in session.execute(select(VaultGrant)).scalars()}
    return [
        CounsellorAccess(
            user_id=u.id, display_name=u.display_name, email=u.email, active=u.active,
            has_key_pair=u.id in pairs, has_access=u.id in grants,
            granted_at=grants[u.id].granted_at if u.id in grants else None,
            password_changed_at=u.password_changed_at,
        )
        for u in counsellors
    ]


def has_access(session: Session, user_id: int) -> bool:
    return session.get(VaultGrant, user_id) is not None


def _grantee_key(session: Session, grantee: User) -> CounsellorKey:
    """The key pair to seal a grant to; raises when this account cannot get access."""
    if not _is_counsellor(grantee) or not grantee.active:
        raise ValidationFailed(N_("Only an active confidential counsellor can get access."))
    row = session.get(CounsellorKey, grantee.id)
    if row is None:
        raise ValidationFailed(
            N_("%(name)s must log in once before access can be granted."),
            name=grantee.display_name,
        )
    return row


def _grant(
    session: Session, vault: Vault, vault_key: bytes, grantee: User, granted_by: int | None
) -> None:
    row = _grantee_key(session, grantee)
    grant = session.get(VaultGrant, grantee.id)
    if grant is None:
        grant = VaultGrant(user_id=grantee.id)
        session.add(grant)
    grant.sealed_key = seal_grant(row.public_key, grantee.id, vault_key, vault.key_version)
    grant.key_version = vault.key_version
    grant.granted_by = granted_by
    grant.granted_at = utcnow()
    session.flush()


def grant_access(
    session: Session, settings: Settings, actor: Actor, keys: VaultKeys, grantee: User
) -> None:
    """A counsellor holding the vault key gives a colleague access."""
    if grantee.id == actor.user_id:
        raise ValidationFailed(N_("You already have access."))
    vault = require_vault(session)
    if keys.version != vault.key_version:
        raise VaultLocked()
    _grant(session, vault, keys.current, grantee, actor.user_id)
    audit.record(session, settings.audit_key, actor, "vault.grant",
                 target_type="user", target_id=grantee.id, key_version=vault.key_version)


def recover_access(
    session: Session, settings: Settings, actor: Actor, recovery_text: str, grantee: User
) -> bool:
    """Grant a counsellor access with the recovery key (``vp-registry vault recover``).

    The first time, this creates the vault key. Returns True when it did.
    """
    vault = require_vault(session)
    private = _recovery_private_key(recovery_text)
    _check_recovery_key(vault, private)
    created = False
    if vault.key_version == 0:
        _grantee_key(session, grantee)  # refuse before creating anything
        vault_key = _create_vault_key(session, settings, actor, vault)
        created = True
    else:
        vault_key = unlock_with_recovery(session, recovery_text)
    _grant(session, vault, vault_key, grantee, None)
    audit.record(session, settings.audit_key, actor, "vault.recover",
                 target_type="user", target_id=grantee.id, key_version=vault.key_version)
    return created


def bootstrap_for_demo(
    session: Session, settings: Settings, user: User, password: str
) -> bytes:
    """Demo only: create the vault key if it does not exist yet and grant it to ``user``.

    When the key exists, ``user`` must already hold a grant (the password opens it).
    """
    vault = require_vault(session)
    ensure_counsellor_key(session, settings, user, password)
    if vault.key_version == 0:
        vault_key = _create_vault_key(session, settings, Actor.system(), vault)
        _grant(session, vault, vault_key, user, None)
        audit.record(session, settings.audit_key, Actor.system(), "vault.grant",
                     target_type="user", target_id=user.id, key_version=vault.key_version)
        return vault_key
    unlocked = unlock_with_password(session, settings, user, password)
    if unlocked is None:
        raise VaultLocked(N_("The vault already exists and the demo counsellor has no access. "
                             "Grant it with 'vp-registry vault recover' first."))
    return unlocked


def get_counsellor(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or not _is_counsellor(user):
        raise NotFound()
    return user


def forget_session_keys(session: Session) -> int:
    """Remove the vault key from every web session (after a key rotation started): the old
    key is useless and must not linger; counsellors unlock again with their password. The
    sessions' case-listing caches (keyed with the old vault key) go as well."""
    rows = list(session.execute(
        select(WebSession).where(WebSession.vault_key_sealed.is_not(None))
    ).scalars())
    for row in rows:
        row.vault_key_sealed = None
    invalidate_listing_caches(session)
    session.flush()
    return len(rows)


def invalidate_listing_caches(session: Session) -> None:
    """Delete every session's case-listing cache and raise the epoch, so that a cache being
    written by a request that started earlier is discarded (see cases.ListingCache). Needs
    no key: retention calls it when it erases cases."""
    session.execute(update(Vault).where(Vault.id == VAULT_ROW_ID)
                    .values(listing_epoch=Vault.listing_epoch + 1))
    session.execute(delete(CaseListingCache))


@dataclass(frozen=True)
class VaultStatus:
    exists: bool
    key_version: int
    holders: int
    rotation_from: int | None
    rotation_to: int | None


def status(session: Session) -> VaultStatus:
    vault = get_vault(session)
    if vault is None:
        return VaultStatus(False, 0, 0, None, None)
    rotation = active_rotation(session)
    holders = len(list(session.execute(select(VaultGrant.user_id)).scalars()))
    return VaultStatus(True, vault.key_version, holders,
                       rotation.from_version if rotation else None,
                       rotation.to_version if rotation else None)
