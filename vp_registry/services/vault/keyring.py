"""The unlocked vault keys of one request or command, and the formats keys are sealed in."""

from __future__ import annotations

from typing import Final

from vp_registry.config import Settings
from vp_registry.core import crypto
from vp_registry.core.crypto import (
    PURPOSE_DATA_KEY,
    PURPOSE_X25519_PRIVATE,
    AesGcmCipher,
    DecryptionError,
    FieldCipher,
    NullCipher,
)
from vp_registry.services.errors import VaultLocked

PURPOSE_COUNSELLOR_PRIVATE: Final = "counsellor-private"

PURPOSE_VAULT_PREVIOUS: Final = "vault-previous"

PURPOSE_BLIND_INDEX: Final = "blind-index"

COUNSELLOR_KEY_FORMAT: Final = 1



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


def unseal_key(private_key: bytes, blob: bytes, aad: bytes) -> bytes:
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
