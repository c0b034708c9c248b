"""Field encryption: AES-256-GCM blobs bound by their associated data to table, column, row
and key version, and :class:`RecordCrypter`, which seals one record's fields under its data key.
"""

from __future__ import annotations

import json
import os
from typing import Any, Final, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from vp_registry.core.crypto.padding import (
    FREE_TEXT,
    SHORT_VALUES,
    SizeClass,
    pad,
    padded_json,
    unpad,
    unpadded_json,
)
from vp_registry.core.crypto.primitives import (
    _FMT_AES_GCM,
    _FMT_NULL,
    _TAG_BYTES,
    NONCE_BYTES,
    DecryptionError,
    _check_key,
    _check_version,
)

# --------------------------------------------------------------------------- associated data


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


# --------------------------------------------------------------------------- ciphers


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
