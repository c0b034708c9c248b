"""The counsellors' personal key pairs, wrapped under their passwords."""

from __future__ import annotations

from sqlalchemy import delete

from vp_registry.config import Settings
from vp_registry.core import crypto
from vp_registry.core.crypto import DecryptionError, KdfParams
from vp_registry.core.taxonomy import Role
from vp_registry.db.accounts import User
from vp_registry.db.vault import CounsellorKey, VaultGrant
from vp_registry.services.vault.keyring import COUNSELLOR_KEY_FORMAT, PURPOSE_COUNSELLOR_PRIVATE
from vp_registry.services.work import Work


def is_counsellor(user: User) -> bool:
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


def counsellor_private_key(row: CounsellorKey, password: str) -> bytes:
    wrapping = _private_wrap(password, row.salt, KdfParams.from_json(row.kdf_params))
    return crypto.unwrap_key(wrapping, row.private_key_wrapped,
                             purpose=PURPOSE_COUNSELLOR_PRIVATE, key_version=row.key_version)


def rewrap_private(settings: Settings, row: CounsellorKey, private: bytes, password: str) -> None:
    row.salt = crypto.new_salt()
    row.kdf_params = settings.password_kdf.to_json()
    row.key_version = COUNSELLOR_KEY_FORMAT
    row.private_key_wrapped = crypto.wrap_key(
        _private_wrap(password, row.salt, settings.password_kdf), private,
        purpose=PURPOSE_COUNSELLOR_PRIVATE, key_version=COUNSELLOR_KEY_FORMAT,
    )


def ensure_counsellor_key(work: Work, user: User, password: str) -> None:
    """Give a counsellor a key pair at a login with their (final) password, if they have none."""
    session, settings = work.session, work.settings
    if not is_counsellor(user) or session.get(CounsellorKey, user.id) is not None:
        return
    session.add(_new_counsellor_key(settings, user.id, password))
    session.flush()


def replace_counsellor_key(
    work: Work, user: User, password: str
) -> None:
    """New key pair for a password chosen without the old one (after an admin reset): any
    grant sealed to the old pair is dropped, so access must be granted again."""
    session, settings = work.session, work.settings
    if not is_counsellor(user):
        return
    session.execute(delete(VaultGrant).where(VaultGrant.user_id == user.id))
    session.execute(delete(CounsellorKey).where(CounsellorKey.user_id == user.id))
    session.add(_new_counsellor_key(settings, user.id, password))
    session.flush()


def change_password(
    work: Work, user: User, current: str, new: str
) -> None:
    """Re-wrap the counsellor's private key under the new password (the grant stays valid)."""
    session, settings = work.session, work.settings
    row = session.get(CounsellorKey, user.id)
    if row is None:
        ensure_counsellor_key(work, user, new)
        return
    try:
        private = counsellor_private_key(row, current)
    except DecryptionError:
        # The pair was wrapped under another password (cannot normally happen): start afresh.
        replace_counsellor_key(work, user, new)
        return
    rewrap_private(settings, row, private, new)
    session.flush()


def remove_access(work: Work, user: User) -> None:
    """Drop a counsellor's key pair and grant (admin password reset, docs/design.md I-2)."""
    session = work.session
    had_grant = session.get(VaultGrant, user.id) is not None
    session.execute(delete(VaultGrant).where(VaultGrant.user_id == user.id))
    session.execute(delete(CounsellorKey).where(CounsellorKey.user_id == user.id))
    session.flush()
    if had_grant:
        work.audit("vault.access_removed", target_type="user", target_id=user.id)
