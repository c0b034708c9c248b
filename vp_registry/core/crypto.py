"""All cryptography of the registry in one small, framework-free module (docs/design.md I-1, I-2).

Rules that hold throughout:

* Every failure to decrypt, unwrap or unseal raises :class:`DecryptionError` with one generic
  message, so an error never tells an attacker *why* (wrong key, tampered, moved ciphertext).
* Programming errors (a key of the wrong length, an empty purpose) raise ``ValueError`` /
  ``TypeError``; their messages never contain key material or plaintext.
* Nothing here logs. Nothing here touches Flask or a database.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Any, Final, Protocol

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = [
    "DEFAULT_CIPHER",
    "FAST_KDF_FOR_TESTS",
    "FREE_TEXT",
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

KEY_BYTES: Final = 32
NONCE_BYTES: Final = 12
SALT_BYTES: Final = 16
_TAG_BYTES: Final = 16
_MIN_TOKEN_BYTES: Final = 16

# Format bytes: the first byte of every blob, so the algorithm can change later without guessing.
_FMT_NULL: Final = 0x00
_FMT_AES_GCM: Final = 0x01
_FMT_SEALED: Final = 0x02

# Wrap purposes used by the app (any name matching _PURPOSE_RE is accepted).
PURPOSE_VAULT_BY_PASSWORD: Final = "vault-by-password"  # noqa: S105 - a label, not a secret
PURPOSE_VAULT_BY_RECOVERY: Final = "vault-by-recovery"
PURPOSE_DATA_KEY: Final = "data-key"
PURPOSE_SESSION_VAULT: Final = "session-vault"
PURPOSE_X25519_PRIVATE: Final = "x25519-private"

# No "/" in a purpose, so "vp-registry/wrap/<purpose>/v<n>" can never mean two things.
_PURPOSE_RE: Final = re.compile(r"[a-z0-9][a-z0-9._-]*")


class CryptoError(Exception):
    """Base class of every crypto failure the caller is expected to handle."""


class DecryptionError(CryptoError):
    """Wrong key, tampered or moved ciphertext: deliberately one message without detail."""

    def __init__(self) -> None:
        super().__init__("decryption failed")


class InvalidRecoveryKey(CryptoError):
    """The typed recovery key is malformed; the message says what to fix, never the key."""


# --------------------------------------------------------------------------- helpers


def _check_key(key: bytes, what: str = "key") -> None:
    """Refuse anything but a 256-bit key: AES-128/192 would be accepted silently otherwise."""
    if not isinstance(key, bytes) or len(key) != KEY_BYTES:
        raise ValueError(f"{what} must be {KEY_BYTES} bytes")


def _check_purpose(purpose: str) -> bytes:
    if not isinstance(purpose, str) or not _PURPOSE_RE.fullmatch(purpose):
        raise ValueError("purpose must match [a-z0-9][a-z0-9._-]*")
    return purpose.encode("ascii")


def _check_version(key_version: int) -> None:
    if isinstance(key_version, bool) or not isinstance(key_version, int) or key_version < 0:
        raise ValueError("key_version must be a non-negative int")


def _hkdf(secret: bytes, info: bytes, salt: bytes | None = None) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=salt, info=info).derive(secret)


def random_key() -> bytes:
    """A fresh 256-bit key from the OS CSPRNG (vault keys, data keys, recovery key)."""
    return secrets.token_bytes(KEY_BYTES)


# --------------------------------------------------------------------------- password KDF


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost parameters; stored as JSON next to the salt so costs can rise later."""

    time_cost: int = 3
    memory_kib: int = 65536
    parallelism: int = 1

    def __post_init__(self) -> None:
        for value in (self.time_cost, self.memory_kib, self.parallelism):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError("KDF parameters must be ints")
        if self.time_cost < 1 or self.parallelism < 1 or self.memory_kib < 8 * self.parallelism:
            raise ValueError("KDF parameters below Argon2 minimums")

    def to_json(self) -> str:
        return json.dumps(
            {
                "alg": "argon2id",
                "time_cost": self.time_cost,
                "memory_kib": self.memory_kib,
                "parallelism": self.parallelism,
            },
            sort_keys=True,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, s: str) -> KdfParams:
        """Strict parse: a stored value we did not write is an error, not a default."""
        try:
            data = json.loads(s)
        except (TypeError, ValueError):
            raise ValueError("invalid KDF parameters") from None
        expected = {"alg", "time_cost", "memory_kib", "parallelism"}
        if not isinstance(data, dict) or set(data) != expected or data["alg"] != "argon2id":
            raise ValueError("invalid KDF parameters")
        return cls(
            time_cost=data["time_cost"],
            memory_kib=data["memory_kib"],
            parallelism=data["parallelism"],
        )


FAST_KDF_FOR_TESTS: Final = KdfParams(time_cost=1, memory_kib=8, parallelism=1)
"""Argon2 minimum cost. FOR TESTS ONLY: a key derived with it is trivially brute-forced."""


def new_salt() -> bytes:
    """A fresh 128-bit salt; each counsellor's vault-wrapping key has its own."""
    return secrets.token_bytes(SALT_BYTES)


def derive_key(password: str, salt: bytes, params: KdfParams) -> bytes:
    """Argon2id(password) -> 256-bit key that wraps the vault key for one counsellor.

    The password is NFKC-normalised (NIST SP 800-63B) so the same password typed on another
    keyboard or OS still opens the vault.
    """
    if not password:
        raise ValueError("password must not be empty")
    if len(salt) < SALT_BYTES:
        raise ValueError(f"salt must be at least {SALT_BYTES} bytes")
    return hash_secret_raw(
        secret=unicodedata.normalize("NFKC", password).encode("utf-8"),
        salt=salt,
        time_cost=params.time_cost,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        hash_len=KEY_BYTES,
        type=Type.ID,
    )


# --------------------------------------------------------------------------- field encryption


def associated_data(table: str, column: str, row_id: int | str, key_version: int) -> bytes:
    """Bind a ciphertext to its place: moving it to another row/column/table/version fails.

    Canonical JSON (sorted keys, fixed separators) is unambiguous: ("a", "bc") != ("ab", "c").
    ``row_id`` is compared as text, so 7 and "7" name the same row.

    The one encoder of this format. An integer row id (every case, conversation and record)
    fills a per-(table, column) template made from the same JSON parts instead of running the
    JSON encoder: listing 10,000 cases needs 10,000 of these, and the encoder was a third of
    the cost of a decryption. ``tests/unit/test_associated_data.py`` checks both paths give
    the same bytes, and that ciphertexts written before still decrypt.
    """
    if type(row_id) is int and type(key_version) is int and key_version >= 0:
        template = _FIELD_TEMPLATES.get((table, column)) or _field_template(table, column)
        return template % (key_version, row_id)
    if not table or not column:
        raise ValueError("table and column must not be empty")
    if isinstance(row_id, bool) or not isinstance(row_id, int | str) or row_id == "":
        raise ValueError("row_id must be an int or a non-empty str")
    _check_version(key_version)
    return json.dumps(
        {
            "ctx": "vp-registry/field",
            "table": table,
            "column": column,
            "row": str(row_id),
            "kv": key_version,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    ).encode("ascii")


_FIELD_TEMPLATES: Final[dict[tuple[str, str], bytes]] = {}
_MAX_FIELD_TEMPLATES: Final = 256  # tables and columns are names in the code: a few dozen


def _field_template(table: str, column: str) -> bytes:
    """``associated_data``'s bytes with ``%d`` for key version and row id: the keys in sorted
    order (column, ctx, kv, row, table), each name JSON-encoded as the reference does."""
    if not table or not column:
        raise ValueError("table and column must not be empty")

    def name(value: str) -> bytes:
        return json.dumps(value, ensure_ascii=True).encode("ascii").replace(b"%", b"%%")

    template = (b'{"column":' + name(column) + b',"ctx":"vp-registry/field","kv":%d,'
                b'"row":"%d","table":' + name(table) + b"}")
    if len(_FIELD_TEMPLATES) < _MAX_FIELD_TEMPLATES:
        _FIELD_TEMPLATES[(table, column)] = template
    return template


# --------------------------------------------------------------------------- padding
#
# A ciphertext is as long as its plaintext plus a constant, so without padding its length
# tells which choices a record holds (issue 11, item 5b: the listing's length narrowed a
# case's categories from 63 sets to 2-5). Every plaintext the registry encrypts goes through
# pad() first:
#
#     0xFF 0x01 || plaintext || 0x80 || 0x00 ... 0x00     (ISO/IEC 7816-4 padding)
#
# to a size class (:class:`SizeClass`). 0xFF never starts UTF-8 text or JSON, so plaintexts
# written before padding existed (which are one or the other) still decrypt: unpad() returns
# them unchanged. The marker and padding are inside the authenticated ciphertext.

_PAD_MARKER: Final = b"\xff\x01"
_PAD_OVERHEAD: Final = len(_PAD_MARKER) + 1
FREE_TEXT_MIN_BUCKET: Final = 256


def _bucket(length: int) -> int:
    """Free text: the smallest power of two >= length, at least 256 bytes."""
    size = FREE_TEXT_MIN_BUCKET
    while size < length:
        size *= 2
    return size


@dataclass(frozen=True)
class SizeClass:
    """The padded size of a plaintext: ``fixed`` bytes for everything but free text (choices,
    ids, dates, flags, short names - and the padding's own 3 bytes), plus a power-of-two
    bucket (at least 256 bytes) for the total length of the free-text values named in
    ``free_text`` (keys of a JSON object; "*" means the whole plaintext is free text).

    So two records whose choices differ but whose free text falls in the same bucket have
    equal lengths. A fixed part longer than ``fixed`` (a catalogue grown far beyond the
    defaults) takes the next multiple of ``fixed``: still a class, never the exact length.
    """

    fixed: int
    free_text: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.fixed < _PAD_OVERHEAD and not self.free_text:
            raise ValueError("a size class needs room for its padding")

    def size(self, fixed_part: int, free_part: int) -> int:
        fixed_total = -(-(fixed_part + _PAD_OVERHEAD) // self.fixed) * self.fixed \
            if self.fixed else 0
        if not self.free_text:
            return fixed_total
        if not self.fixed:  # all free text: the overhead goes into the bucket
            return _bucket(free_part + _PAD_OVERHEAD)
        return fixed_total + _bucket(free_part)


SHORT_VALUES: Final = SizeClass(fixed=256)
"""Default class: choices and short values in 256 bytes (larger ones in 256-byte steps)."""
FREE_TEXT: Final = SizeClass(fixed=0, free_text=("*",))
"""A plaintext that is all free text: padded to a power-of-two bucket (at least 256 bytes)."""


def pad(plaintext: bytes, size: int) -> bytes:
    """``plaintext`` marked and padded to ``size`` bytes (or more if it does not fit)."""
    padding = max(size - len(plaintext) - _PAD_OVERHEAD, 0)
    return _PAD_MARKER + plaintext + b"\x80" + bytes(padding)


def unpad(data: bytes) -> bytes:
    """The plaintext inside :func:`pad`; an unpadded (older) plaintext is returned as it is."""
    if data[:1] != _PAD_MARKER[:1]:
        return data
    end = data.rstrip(b"\x00")
    if data[:2] != _PAD_MARKER or len(end) < len(_PAD_MARKER) + 1 or end[-1:] != b"\x80":
        raise DecryptionError()
    return end[len(_PAD_MARKER):-1]


def _json_bytes(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def padded_json(value: object, size_class: SizeClass = SHORT_VALUES) -> bytes:
    """Canonical JSON of ``value``, padded to its size class (the plaintext to encrypt or
    seal). Free text is measured as it appears in the JSON (quotes and escapes included)."""
    data = _json_bytes(value)
    free = 0
    if isinstance(value, dict):
        free = sum(len(_json_bytes(value[key])) for key in size_class.free_text
                   if isinstance(value.get(key), str))
    elif "*" in size_class.free_text:
        free = len(data)
    return pad(data, size_class.size(len(data) - free, free))


def unpadded_json(data: bytes) -> Any:
    """The value inside :func:`padded_json` (or inside older, unpadded JSON)."""
    try:
        return json.loads(unpad(data).decode("utf-8"))
    except ValueError:  # includes UnicodeDecodeError and JSONDecodeError
        raise DecryptionError() from None


class FieldCipher(Protocol):
    """The single seam where the field algorithm lives (swappable only for benchmarks)."""

    name: str

    def encrypt(self, key: bytes, plaintext: bytes, aad: bytes) -> bytes: ...

    def decrypt(self, key: bytes, blob: bytes, aad: bytes) -> bytes: ...


class AesGcmCipher:
    """AES-256-GCM; blob = format byte || 96-bit random nonce || ciphertext+tag.

    The format byte is authenticated too (prepended to the associated data).
    """

    name: str = "aes-256-gcm"
    _HEADER: Final = bytes([_FMT_AES_GCM])

    def encrypt(self, key: bytes, plaintext: bytes, aad: bytes) -> bytes:
        _check_key(key)
        nonce = os.urandom(NONCE_BYTES)
        return self._HEADER + nonce + AESGCM(key).encrypt(nonce, plaintext, self._HEADER + aad)

    def decrypt(self, key: bytes, blob: bytes, aad: bytes) -> bytes:
        _check_key(key)
        blob = bytes(blob)
        if len(blob) < 1 + NONCE_BYTES + _TAG_BYTES or blob[:1] != self._HEADER:
            raise DecryptionError()
        nonce, ct = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
        try:
            return AESGCM(key).decrypt(nonce, ct, self._HEADER + aad)
        except InvalidTag:
            raise DecryptionError() from None


class NullCipher:
    """BENCHMARK ONLY - NO PROTECTION: stores the plaintext as is.

    Same blob shape as AesGcmCipher (format byte || zero nonce || plaintext) so a benchmark can
    measure the cost of encryption. Never configure it in the application.
    """

    name: str = "null"
    _PREFIX: Final = bytes([_FMT_NULL]) + bytes(NONCE_BYTES)

    def encrypt(self, key: bytes, plaintext: bytes, aad: bytes) -> bytes:
        return self._PREFIX + plaintext

    def decrypt(self, key: bytes, blob: bytes, aad: bytes) -> bytes:
        if blob[: len(self._PREFIX)] != self._PREFIX:
            raise DecryptionError()
        return blob[len(self._PREFIX) :]


DEFAULT_CIPHER: FieldCipher = AesGcmCipher()


class RecordCrypter:
    """Encrypts/decrypts the sensitive fields of ONE record (a case or its contacts) under that
    record's data key; every field is bound to table, column, row id and key version."""

    __slots__ = ("_cipher", "_key", "key_version")

    def __init__(
        self, data_key: bytes, key_version: int, cipher: FieldCipher = DEFAULT_CIPHER
    ) -> None:
        _check_key(data_key, "data_key")
        _check_version(key_version)
        self._key = data_key
        self._cipher = cipher
        self.key_version = key_version

    def __repr__(self) -> str:  # never show the key
        return f"RecordCrypter(key_version={self.key_version}, cipher={self._cipher.name!r})"

    def _aad(self, table: str, column: str, row_id: int | str) -> bytes:
        return associated_data(table, column, row_id, self.key_version)

    def encrypt_text(
        self, table: str, column: str, row_id: int | str, value: str | None,
        size_class: SizeClass = FREE_TEXT,
    ) -> bytes | None:
        """None stays None (an empty optional field); "" is encrypted like any text. Padded
        to ``size_class`` (default: free text, a power-of-two bucket)."""
        if value is None:
            return None
        data = value.encode("utf-8")
        size = size_class.size(0, len(data)) if size_class.free_text else \
            size_class.size(len(data), 0)
        aad = self._aad(table, column, row_id)
        return self._cipher.encrypt(self._key, pad(data, size), aad)

    def decrypt_text(
        self, table: str, column: str, row_id: int | str, blob: bytes | None
    ) -> str | None:
        if blob is None:
            return None
        plaintext = self._cipher.decrypt(self._key, bytes(blob), self._aad(table, column, row_id))
        try:
            return unpad(plaintext).decode("utf-8")
        except UnicodeDecodeError:
            raise DecryptionError() from None

    def encrypt_json(self, table: str, column: str, row_id: int | str, value: object,
                     size_class: SizeClass = SHORT_VALUES) -> bytes:
        """For structured fields (category code lists, ints, small records); value must be
        JSON-serialisable. Padded to ``size_class`` (:func:`padded_json`)."""
        aad = self._aad(table, column, row_id)
        return self._cipher.encrypt(self._key, padded_json(value, size_class), aad)

    def decrypt_json(self, table: str, column: str, row_id: int | str, blob: bytes) -> Any:
        plaintext = self._cipher.decrypt(self._key, bytes(blob), self._aad(table, column, row_id))
        return unpadded_json(plaintext)


# --------------------------------------------------------------------------- key wrapping


def _wrap_aad(purpose: str, key_version: int) -> bytes:
    p = _check_purpose(purpose)
    _check_version(key_version)
    return b"vp-registry/wrap/" + p + b"/v" + str(key_version).encode("ascii")


def wrap_key(wrapping_key: bytes, key: bytes, *, purpose: str, key_version: int) -> bytes:
    """Encrypt a 256-bit key under another; purpose and version are bound as associated data,
    so a data key can never be unwrapped as, say, the vault key."""
    _check_key(wrapping_key, "wrapping_key")
    _check_key(key)
    return AesGcmCipher().encrypt(wrapping_key, key, _wrap_aad(purpose, key_version))


def unwrap_key(wrapping_key: bytes, wrapped: bytes, *, purpose: str, key_version: int) -> bytes:
    _check_key(wrapping_key, "wrapping_key")
    key = AesGcmCipher().decrypt(wrapping_key, bytes(wrapped), _wrap_aad(purpose, key_version))
    if len(key) != KEY_BYTES:
        raise DecryptionError()
    return key


def derive_subkey(master_key: bytes, purpose: str) -> bytes:
    """HKDF-SHA256 so one secret yields independent keys (blind index, audit HMAC, ...)."""
    if len(master_key) < KEY_BYTES:
        raise ValueError(f"master_key must be at least {KEY_BYTES} bytes")
    return _hkdf(master_key, b"vp-registry/" + _check_purpose(purpose))


# --------------------------------------------------------------------------- blind index


def normalise_name(name: str) -> str:
    """Fold a name so trivial variants match: case, accents, spacing, punctuation.

    Unicode compatibility caseless form (NFKD(casefold(NFKD(x)))), combining marks dropped;
    dashes and underscores separate words ("Jan-Willem" == "jan willem"); other punctuation and
    symbols are dropped ("O'Brien" == "obrien", "Vries." == "vries").
    """
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", name).casefold())
    out: list[str] = []
    for ch in folded:
        if unicodedata.combining(ch):
            continue
        if ch.isalnum():
            out.append(ch)
        elif ch.isspace() or unicodedata.category(ch) in ("Pd", "Pc"):
            out.append(" ")
    return " ".join("".join(out).split())


def blind_index(index_key: bytes, name: str) -> str:
    """Keyed hash of a normalised name: lets a counsellor find earlier cases of the same person
    without the name being stored in plaintext or as an unkeyed (dictionary-attackable) hash."""
    if len(index_key) < KEY_BYTES:
        raise ValueError(f"index_key must be at least {KEY_BYTES} bytes")
    normalised = normalise_name(name)
    if not normalised:
        raise ValueError("name is empty after normalisation")
    return hmac.new(index_key, normalised.encode("utf-8"), hashlib.sha256).hexdigest()


# --------------------------------------------------------------------------- recovery key

_CROCKFORD: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CROCKFORD_DECODE: Final = {c: i for i, c in enumerate(_CROCKFORD)} | {"O": 0, "I": 1, "L": 1}
_CHECKSUM_BYTES: Final = 3  # 32 + 3 bytes = 280 bits = exactly 56 characters = 14 groups of 4
RECOVERY_KEY_CHARS: Final = (KEY_BYTES + _CHECKSUM_BYTES) * 8 // 5
_IGNORED_IN_RECOVERY_KEY: Final = re.compile(r"[\s\-\u2010-\u2015\u2212]+")


def _recovery_checksum(key: bytes) -> bytes:
    return hashlib.sha256(b"vp-registry/recovery-key/" + key).digest()[:_CHECKSUM_BYTES]


def format_recovery_key(key: bytes) -> str:
    """Crockford base32 of key + 24-bit checksum, as 14 groups of 4 - easy to write on paper."""
    _check_key(key)
    n = int.from_bytes(key + _recovery_checksum(key), "big")
    chars = [_CROCKFORD[(n >> (5 * i)) & 31] for i in reversed(range(RECOVERY_KEY_CHARS))]
    return "-".join("".join(chars[i : i + 4]) for i in range(0, RECOVERY_KEY_CHARS, 4))


def parse_recovery_key(text: str) -> bytes:
    """Tolerant parse: any case, spaces/dashes ignored, O->0 and I/L->1.

    Raises InvalidRecoveryKey on wrong length, an invalid character (by position, never by
    value) or a checksum mismatch (almost always a mistyped character).
    """
    compact = _IGNORED_IN_RECOVERY_KEY.sub("", text).upper()
    if len(compact) != RECOVERY_KEY_CHARS:
        raise InvalidRecoveryKey(
            f"a recovery key has {RECOVERY_KEY_CHARS} characters "
            f"(14 groups of 4), this one has {len(compact)}"
        )
    n = 0
    for i, ch in enumerate(compact):
        value = _CROCKFORD_DECODE.get(ch)
        if value is None:
            raise InvalidRecoveryKey(
                f"character {i % 4 + 1} of group {i // 4 + 1} is not a valid recovery-key character"
            )
        n = (n << 5) | value
    raw = n.to_bytes(KEY_BYTES + _CHECKSUM_BYTES, "big")
    key, checksum = raw[:KEY_BYTES], raw[KEY_BYTES:]
    if not hmac.compare_digest(checksum, _recovery_checksum(key)):
        raise InvalidRecoveryKey("the recovery key contains a typing error (checksum mismatch)")
    return key


# --------------------------------------------------------------------------- sealed box

_SEAL_HEADER: Final = bytes([_FMT_SEALED])
_X25519_BYTES: Final = 32
_SEAL_OVERHEAD: Final = 1 + _X25519_BYTES + NONCE_BYTES + _TAG_BYTES


def generate_x25519_keypair() -> tuple[bytes, bytes]:
    """(private_raw, public_raw) for the vault; the private key is kept wrapped by the vault key."""
    private = X25519PrivateKey.generate()
    return private.private_bytes_raw(), private.public_key().public_bytes_raw()


def _seal_key(shared: bytes, eph_pub: bytes, recipient_pub: bytes) -> bytes:
    return _hkdf(shared, b"vp-registry/seal/v1", salt=eph_pub + recipient_pub)


def seal(public_key: bytes, plaintext: bytes, aad: bytes = b"") -> bytes:
    """Anonymous encryption to the vault's public key: the server can accept a message without
    being able to read it (docs/design.md I-2). blob = format || eph_pub || nonce || ct+tag."""
    if len(public_key) != _X25519_BYTES:
        raise ValueError("public_key must be 32 bytes")
    recipient = X25519PublicKey.from_public_bytes(public_key)
    ephemeral = X25519PrivateKey.generate()
    eph_pub = ephemeral.public_key().public_bytes_raw()
    key = _seal_key(ephemeral.exchange(recipient), eph_pub, public_key)
    nonce = os.urandom(NONCE_BYTES)
    header = _SEAL_HEADER + eph_pub
    return header + nonce + AESGCM(key).encrypt(nonce, plaintext, header + aad)


def unseal(private_key: bytes, blob: bytes, aad: bytes = b"") -> bytes:
    if len(private_key) != _X25519_BYTES:
        raise ValueError("private_key must be 32 bytes")
    blob = bytes(blob)
    if len(blob) < _SEAL_OVERHEAD or blob[:1] != _SEAL_HEADER:
        raise DecryptionError()
    eph_pub = blob[1 : 1 + _X25519_BYTES]
    nonce = blob[1 + _X25519_BYTES : 1 + _X25519_BYTES + NONCE_BYTES]
    ct = blob[1 + _X25519_BYTES + NONCE_BYTES :]
    private = X25519PrivateKey.from_private_bytes(private_key)
    try:
        # exchange() raises ValueError for a low-order (all-zero shared secret) point
        shared = private.exchange(X25519PublicKey.from_public_bytes(eph_pub))
        key = _seal_key(shared, eph_pub, private.public_key().public_bytes_raw())
        return AESGCM(key).decrypt(nonce, ct, _SEAL_HEADER + eph_pub + aad)
    except (InvalidTag, ValueError):
        raise DecryptionError() from None


# --------------------------------------------------------------------------- session tokens


def new_token(nbytes: int = 32) -> str:
    """URL-safe random token for cookies; at least 128 bits."""
    if nbytes < _MIN_TOKEN_BYTES:
        raise ValueError(f"a token needs at least {_MIN_TOKEN_BYTES} random bytes")
    return secrets.token_urlsafe(nbytes)


def hash_token(token: str) -> str:
    """SHA-256 hex of a token, so the database can look a session up without holding the token
    (a plain hash suffices: tokens are high-entropy, not passwords)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def key_from_token(token: str, purpose: str) -> bytes:
    """Key only the cookie holder can derive, e.g. to wrap the vault key in the session row.

    Domain-separated from derive_subkey and from hash_token (which the database does hold).
    """
    if len(token) < 22:  # token_urlsafe(16)
        raise ValueError("token too short")
    return _hkdf(token.encode("utf-8"), b"vp-registry/token/" + _check_purpose(purpose))
