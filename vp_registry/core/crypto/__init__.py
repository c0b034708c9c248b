"""All cryptography of the registry, framework-free (docs/design.md I-1, I-2), one job per module:

* :mod:`.primitives` - sizes, format bytes, key purposes, the errors and the shared checks;
* :mod:`.kdf` - Argon2id password keys (:class:`KdfParams`, :func:`derive_key`);
* :mod:`.padding` - size classes, padding inside the encryption (:func:`pad`, :func:`padded_json`);
* :mod:`.fields` - the associated-data encoder, the field ciphers and :class:`RecordCrypter`;
* :mod:`.keys` - random keys, key wrapping and HKDF subkeys;
* :mod:`.names` - the blind index of names;
* :mod:`.recovery` - the recovery key on paper;
* :mod:`.sealing` - the X25519 sealed box for the anonymous channel;
* :mod:`.tokens` - session tokens and keys derived from them.

Callers use ``from vp_registry.core import crypto`` and ``crypto.X``: the public API is
re-exported here (``__all__``). Every failure to decrypt raises :class:`DecryptionError` with one
generic message; nothing in this package logs or touches Flask or a database.
"""

from __future__ import annotations

from vp_registry.core.crypto.fields import (
    DEFAULT_CIPHER,
    AesGcmCipher,
    FieldCipher,
    NullCipher,
    RecordCrypter,
    associated_data,
)
from vp_registry.core.crypto.kdf import (
    FAST_KDF_FOR_TESTS,
    KdfParams,
    derive_key,
    new_salt,
)
from vp_registry.core.crypto.keys import (
    derive_subkey,
    random_key,
    unwrap_key,
    wrap_key,
)
from vp_registry.core.crypto.names import (
    blind_index,
    normalise_name,
)
from vp_registry.core.crypto.padding import (
    FREE_TEXT,
    FREE_TEXT_MIN_BUCKET,
    SHORT_VALUES,
    SizeClass,
    pad,
    padded_json,
    unpad,
    unpadded_json,
)
from vp_registry.core.crypto.primitives import (
    KEY_BYTES,
    NONCE_BYTES,
    PURPOSE_DATA_KEY,
    PURPOSE_SESSION_VAULT,
    PURPOSE_VAULT_BY_PASSWORD,
    PURPOSE_VAULT_BY_RECOVERY,
    PURPOSE_X25519_PRIVATE,
    SALT_BYTES,
    CryptoError,
    DecryptionError,
    InvalidRecoveryKey,
)
from vp_registry.core.crypto.recovery import (
    RECOVERY_KEY_CHARS,
    format_recovery_key,
    parse_recovery_key,
)
from vp_registry.core.crypto.sealing import (
    generate_x25519_keypair,
    seal,
    unseal,
)
from vp_registry.core.crypto.tokens import (
    hash_token,
    key_from_token,
    new_token,
)

__all__ = [
    "DEFAULT_CIPHER",
    "FAST_KDF_FOR_TESTS",
    "FREE_TEXT",
    "FREE_TEXT_MIN_BUCKET",
    "KEY_BYTES",
    "NONCE_BYTES",
    "PURPOSE_DATA_KEY",
    "PURPOSE_SESSION_VAULT",
    "PURPOSE_VAULT_BY_PASSWORD",
    "PURPOSE_VAULT_BY_RECOVERY",
    "PURPOSE_X25519_PRIVATE",
    "RECOVERY_KEY_CHARS",
    "SALT_BYTES",
    "SHORT_VALUES",
    "AesGcmCipher",
    "CryptoError",
    "DecryptionError",
    "FieldCipher",
    "InvalidRecoveryKey",
    "KdfParams",
    "NullCipher",
    "RecordCrypter",
    "SizeClass",
    "associated_data",
    "blind_index",
    "derive_key",
    "derive_subkey",
    "format_recovery_key",
    "generate_x25519_keypair",
    "hash_token",
    "key_from_token",
    "new_salt",
    "new_token",
    "normalise_name",
    "pad",
    "padded_json",
    "parse_recovery_key",
    "random_key",
    "seal",
    "unpad",
    "unpadded_json",
    "unseal",
    "unwrap_key",
    "wrap_key",
]
