"""Unit tests for vp_registry.core.crypto (DESIGN I-1, I-2): no Flask, no database."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vp_registry.core import crypto
from vp_registry.core.crypto import (
    DEFAULT_CIPHER,
    KEY_BYTES,
    NONCE_BYTES,
    AesGcmCipher,
    CryptoError,
    DecryptionError,
    InvalidRecoveryKey,
    KdfParams,
    NullCipher,
    RecordCrypter,
    associated_data,
    blind_index,
    derive_key,
    derive_subkey,
    format_recovery_key,
    generate_x25519_keypair,
    hash_token,
    key_from_token,
    new_salt,
    new_token,
    normalise_name,
    parse_recovery_key,
    random_key,
    seal,
    unseal,
    unwrap_key,
    wrap_key,
)

# Module-level keys: hypothesis tests must not use function-scoped fixtures.
KEY = random_key()
OTHER_KEY = random_key()
AAD = associated_data("cases", "narrative", 7, 1)
PRIV, PUB = generate_x25519_keypair()


@pytest.fixture
def fast_kdf() -> KdfParams:
    """The only way tests get the insecure fast Argon2 parameters."""
    return crypto.FAST_KDF_FOR_TESTS


def flip_bit(blob: bytes, bit: int) -> bytes:
    out = bytearray(blob)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


# --------------------------------------------------------------------------- basics


def test_random_key_is_32_fresh_bytes() -> None:
    assert KEY_BYTES == 32
    assert len(random_key()) == 32
    assert random_key() != random_key()


def test_decryption_error_is_generic_crypto_error() -> None:
    assert issubclass(DecryptionError, CryptoError)
    assert issubclass(InvalidRecoveryKey, CryptoError)
    assert str(DecryptionError()) == "decryption failed"


# --------------------------------------------------------------------------- KDF


def test_default_kdf_params_are_strong() -> None:
    params = KdfParams()
    assert params.memory_kib >= 64 * 1024
    assert params.time_cost >= 3
    assert params.parallelism >= 1


def test_kdf_params_json_round_trip(fast_kdf: KdfParams) -> None:
    for params in (KdfParams(), fast_kdf, KdfParams(time_cost=4, memory_kib=131072, parallelism=2)):
        assert KdfParams.from_json(params.to_json()) == params


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"time_cost":3,"memory_kib":65536,"parallelism":1}',
        '{"alg":"scrypt","time_cost":3,"memory_kib":65536,"parallelism":1}',
        '{"alg":"argon2id","time_cost":"3","memory_kib":65536,"parallelism":1}',
        '{"alg":"argon2id","time_cost":0,"memory_kib":65536,"parallelism":1}',
        '{"alg":"argon2id","time_cost":3,"memory_kib":65536,"parallelism":1,"x":1}',
    ],
)
def test_kdf_params_from_json_is_strict(text: str) -> None:
    with pytest.raises(ValueError):
        KdfParams.from_json(text)


def test_derive_key_deterministic_per_salt_and_params(fast_kdf: KdfParams) -> None:
    salt = new_salt()
    assert len(salt) == 16
    key = derive_key("correct horse", salt, fast_kdf)
    assert len(key) == KEY_BYTES
    assert derive_key("correct horse", salt, fast_kdf) == key
    assert derive_key("correct horse", new_salt(), fast_kdf) != key
    assert derive_key("correct horsf", salt, fast_kdf) != key
    assert derive_key("correct horse", salt, replace(fast_kdf, time_cost=2)) != key


def test_derive_key_normalises_unicode(fast_kdf: KdfParams) -> None:
    salt = new_salt()
    composed, decomposed = "caf\u00e9", "cafe\u0301"
    assert derive_key(composed, salt, fast_kdf) == derive_key(decomposed, salt, fast_kdf)


def test_derive_key_rejects_empty_password_and_short_salt(fast_kdf: KdfParams) -> None:
    with pytest.raises(ValueError):
        derive_key("", new_salt(), fast_kdf)
    with pytest.raises(ValueError):
        derive_key("pw", b"short", fast_kdf)


# --------------------------------------------------------------------------- associated data


def test_associated_data_is_unambiguous() -> None:
    assert associated_data("a", "bc", 1, 1) != associated_data("ab", "c", 1, 1)
    assert associated_data("t", "c", 12, 1) != associated_data("t", "c", 1, 21)
    assert associated_data("t", "c", 7, 1) == associated_data("t", "c", "7", 1)
    assert associated_data("t", "c", 7, 1) != associated_data("t", "c", 7, 2)


@pytest.mark.parametrize(
    ("table", "column", "row_id", "version"),
    [("", "c", 1, 1), ("t", "", 1, 1), ("t", "c", "", 1), ("t", "c", True, 1), ("t", "c", 1, -1)],
)
def test_associated_data_rejects_bad_parts(
    table: str, column: str, row_id: int | str, version: int
) -> None:
    with pytest.raises(ValueError):
        associated_data(table, column, row_id, version)


# --------------------------------------------------------------------------- field ciphers


def test_aes_gcm_round_trip_layout_and_fresh_nonce() -> None:
    cipher = AesGcmCipher()
    assert DEFAULT_CIPHER.name == "aes-256-gcm"
    blob = cipher.encrypt(KEY, b"secret narrative", AAD)
    again = cipher.encrypt(KEY, b"secret narrative", AAD)
    assert cipher.decrypt(KEY, blob, AAD) == b"secret narrative"
    assert blob != again
    assert NONCE_BYTES == 12
    assert blob[0] == 0x01
    assert blob[1 : 1 + NONCE_BYTES] != again[1 : 1 + NONCE_BYTES]
    assert len(blob) == 1 + 12 + len(b"secret narrative") + 16
    assert b"secret narrative" not in blob


def test_aes_gcm_wrong_key_or_aad_fails() -> None:
    blob = AesGcmCipher().encrypt(KEY, b"x", AAD)
    with pytest.raises(DecryptionError):
        AesGcmCipher().decrypt(OTHER_KEY, blob, AAD)
    with pytest.raises(DecryptionError):
        AesGcmCipher().decrypt(KEY, blob, AAD + b"!")
    with pytest.raises(DecryptionError):
        AesGcmCipher().decrypt(KEY, blob[:20], AAD)


def test_aes_gcm_requires_256_bit_key() -> None:
    with pytest.raises(ValueError):
        AesGcmCipher().encrypt(KEY[:16], b"x", AAD)


@given(data=st.data(), plaintext=st.binary(max_size=64))
def test_aes_gcm_any_flipped_bit_fails(data: st.DataObject, plaintext: bytes) -> None:
    blob = AesGcmCipher().encrypt(KEY, plaintext, AAD)
    bit = data.draw(st.integers(0, len(blob) * 8 - 1))
    with pytest.raises(DecryptionError):
        AesGcmCipher().decrypt(KEY, flip_bit(blob, bit), AAD)


def test_null_cipher_round_trip_and_format_check() -> None:
    cipher = NullCipher()
    assert cipher.name == "null"
    blob = cipher.encrypt(KEY, b"plain", AAD)
    assert blob == bytes(1 + NONCE_BYTES) + b"plain"
    assert cipher.decrypt(KEY, blob, AAD) == b"plain"
    with pytest.raises(DecryptionError):
        cipher.decrypt(KEY, AesGcmCipher().encrypt(KEY, b"plain", AAD), AAD)
    with pytest.raises(DecryptionError):
        AesGcmCipher().decrypt(KEY, blob + bytes(16), AAD)


# --------------------------------------------------------------------------- RecordCrypter


@given(text=st.text(), row_id=st.one_of(st.integers(0, 2**63), st.text(min_size=1)))
def test_record_text_round_trip(text: str, row_id: int | str) -> None:
    rc = RecordCrypter(KEY, 3)
    blob = rc.encrypt_text("cases", "narrative", row_id, text)
    assert blob is not None
    assert rc.decrypt_text("cases", "narrative", row_id, blob) == text


def test_record_none_stays_none_and_empty_is_encrypted() -> None:
    rc = RecordCrypter(KEY, 1)
    assert rc.encrypt_text("cases", "notes", 1, None) is None
    assert rc.decrypt_text("cases", "notes", 1, None) is None
    blob = rc.encrypt_text("cases", "notes", 1, "")
    assert blob is not None and len(blob) > 1 + NONCE_BYTES
    assert rc.decrypt_text("cases", "notes", 1, blob) == ""


def test_record_json_round_trip() -> None:
    rc = RecordCrypter(KEY, 1)
    for value in (["pesten", "werkdruk"], 42, {"b": [1, 2], "a": None}, None, "Zoë"):
        blob = rc.encrypt_json("cases", "categories", 5, value)
        assert rc.decrypt_json("cases", "categories", 5, blob) == value


def test_record_accepts_memoryview_from_database() -> None:
    rc = RecordCrypter(KEY, 1)
    blob = rc.encrypt_text("cases", "narrative", 1, "x")
    assert blob is not None
    assert rc.decrypt_text("cases", "narrative", 1, memoryview(blob)) == "x"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("table", "column", "row_id", "version"),
    [
        ("contacts", "narrative", 7, 1),  # other table
        ("cases", "notes", 7, 1),  # other column
        ("cases", "narrative", 8, 1),  # other row
        ("cases", "narrative", 7, 2),  # other key version
    ],
)
def test_record_moved_ciphertext_fails(table: str, column: str, row_id: int, version: int) -> None:
    blob = RecordCrypter(KEY, 1).encrypt_text("cases", "narrative", 7, "Jan de Vries")
    with pytest.raises(DecryptionError):
        RecordCrypter(KEY, version).decrypt_text(table, column, row_id, blob)
    json_blob = RecordCrypter(KEY, 1).encrypt_json("cases", "narrative", 7, [1, 2])
    with pytest.raises(DecryptionError):
        RecordCrypter(KEY, version).decrypt_json(table, column, row_id, json_blob)


def test_record_wrong_key_fails_and_repr_hides_key() -> None:
    blob = RecordCrypter(KEY, 1).encrypt_text("cases", "narrative", 1, "geheim")
    with pytest.raises(DecryptionError):
        RecordCrypter(OTHER_KEY, 1).decrypt_text("cases", "narrative", 1, blob)
    text = repr(RecordCrypter(KEY, 1))
    assert KEY.hex() not in text and repr(KEY) not in text


def test_record_with_null_cipher_round_trips() -> None:
    rc = RecordCrypter(KEY, 1, cipher=NullCipher())
    blob = rc.encrypt_text("cases", "narrative", 1, "plain")
    assert blob is not None and b"plain" in blob
    assert rc.decrypt_text("cases", "narrative", 1, blob) == "plain"


def test_record_rejects_bad_key() -> None:
    with pytest.raises(ValueError):
        RecordCrypter(KEY[:31], 1)


# --------------------------------------------------------------------------- wrapping


def test_wrap_unwrap_round_trip() -> None:
    data_key = random_key()
    wrapped = wrap_key(KEY, data_key, purpose="data-key", key_version=4)
    assert data_key not in wrapped
    assert unwrap_key(KEY, wrapped, purpose="data-key", key_version=4) == data_key
    assert wrap_key(KEY, data_key, purpose="data-key", key_version=4) != wrapped


@pytest.mark.parametrize(
    ("wrapping_key", "purpose", "version"),
    [
        (OTHER_KEY, "data-key", 4),
        (KEY, "vault-by-password", 4),
        (KEY, "data-key", 5),
        (KEY, "data-key", 41),
    ],
    ids=["other-key", "other-purpose", "next-version", "other-version"],  # same on every worker
)
def test_unwrap_with_wrong_key_purpose_or_version_fails(
    wrapping_key: bytes, purpose: str, version: int
) -> None:
    wrapped = wrap_key(KEY, random_key(), purpose="data-key", key_version=4)
    with pytest.raises(DecryptionError):
        unwrap_key(wrapping_key, wrapped, purpose=purpose, key_version=version)


def test_wrapped_key_is_not_a_field_ciphertext() -> None:
    wrapped = wrap_key(KEY, random_key(), purpose="data-key", key_version=1)
    with pytest.raises(DecryptionError):
        RecordCrypter(KEY, 1).decrypt_text("cases", "narrative", 1, wrapped)


@given(data=st.data())
def test_wrapped_key_any_flipped_bit_fails(data: st.DataObject) -> None:
    wrapped = wrap_key(KEY, OTHER_KEY, purpose="session-vault", key_version=1)
    bit = data.draw(st.integers(0, len(wrapped) * 8 - 1))
    with pytest.raises(DecryptionError):
        unwrap_key(KEY, flip_bit(wrapped, bit), purpose="session-vault", key_version=1)


@pytest.mark.parametrize("purpose", ["", "Data-Key", "a/b", "data key"])
def test_wrap_rejects_bad_purpose(purpose: str) -> None:
    with pytest.raises(ValueError):
        wrap_key(KEY, OTHER_KEY, purpose=purpose, key_version=1)


# --------------------------------------------------------------------------- subkeys, tokens


def test_derive_subkey() -> None:
    a = derive_subkey(KEY, "blind-index")
    assert len(a) == KEY_BYTES
    assert derive_subkey(KEY, "blind-index") == a
    assert derive_subkey(KEY, "audit-hmac") != a
    assert derive_subkey(OTHER_KEY, "blind-index") != a
    with pytest.raises(ValueError):
        derive_subkey(KEY[:16], "blind-index")


def test_tokens() -> None:
    token = new_token()
    assert len(token) >= 43 and re.fullmatch(r"[A-Za-z0-9_-]+", token)
    assert new_token() != token
    assert hash_token(token) == hash_token(token)
    assert re.fullmatch(r"[0-9a-f]{64}", hash_token(token))
    assert token not in hash_token(token)
    key = key_from_token(token, "session-vault")
    assert len(key) == KEY_BYTES
    assert key_from_token(token, "session-vault") == key
    assert key_from_token(token, "other") != key
    assert key_from_token(new_token(), "session-vault") != key
    assert key.hex() != hash_token(token)
    with pytest.raises(ValueError):
        new_token(8)
    with pytest.raises(ValueError):
        key_from_token("short", "session-vault")


def test_session_vault_flow() -> None:
    """The vault key in a session row needs the cookie token: the DB row alone is useless."""
    vault_key, token = random_key(), new_token()
    row_id = hash_token(token)  # what the database stores to find the row
    row_vault = wrap_key(
        key_from_token(token, "session-vault"), vault_key, purpose="session-vault", key_version=1
    )
    cookie_key = key_from_token(token, "session-vault")
    assert unwrap_key(cookie_key, row_vault, purpose="session-vault", key_version=1) == vault_key
    with pytest.raises(DecryptionError):  # the stored hash is not the key
        unwrap_key(bytes.fromhex(row_id), row_vault, purpose="session-vault", key_version=1)


# --------------------------------------------------------------------------- blind index


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Jan  de Vries ", "jan de vries"),
        ("Jàn de Vries.", "jan de vries"),
        ("JAN\tDE\nVRIES", "jan de vries"),
        ("Zoë Çelik", "zoe celik"),
        ("Jan-Willem", "jan willem"),
        ("van 't Hof", "van t hof"),
        ("O'Brien", "obrien"),
        ("\u0133sselmeer", "ijsselmeer"),  # Dutch ij ligature
        ("Straße", "strasse"),
        ("...", ""),
    ],
)
def test_normalise_name(raw: str, expected: str) -> None:
    assert normalise_name(raw) == expected


def test_blind_index() -> None:
    key = derive_subkey(KEY, "blind-index")
    idx = blind_index(key, "Jan de Vries")
    assert re.fullmatch(r"[0-9a-f]{64}", idx)
    assert blind_index(key, "  jàn  DE vries. ") == idx
    assert blind_index(key, "Jan de Vriesch") != idx
    assert blind_index(derive_subkey(OTHER_KEY, "blind-index"), "Jan de Vries") != idx
    for empty in ("", "  ", "-.'"):
        with pytest.raises(ValueError):
            blind_index(key, empty)


# --------------------------------------------------------------------------- recovery key


@given(key=st.binary(min_size=32, max_size=32))
def test_recovery_key_round_trip(key: bytes) -> None:
    text = format_recovery_key(key)
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){13}", text)
    assert parse_recovery_key(text) == key


def test_recovery_key_parse_is_tolerant() -> None:
    key = random_key()
    text = format_recovery_key(key)
    assert parse_recovery_key(text.lower()) == key
    assert parse_recovery_key(text.replace("-", "")) == key
    assert parse_recovery_key(" " + text.replace("-", " ") + "\n") == key
    assert parse_recovery_key(text.replace("-", "\u2013")) == key  # en dash from a word processor
    confused = text.replace("0", "O").replace("1", "l")
    assert parse_recovery_key(confused) == key
    assert parse_recovery_key(text.replace("1", "I").lower()) == key


@pytest.mark.parametrize("key", [bytes(32), b"\xff" * 32, bytes(range(32))])
def test_recovery_key_every_single_wrong_character_is_detected(key: bytes) -> None:
    compact = format_recovery_key(key).replace("-", "")
    for i, original in enumerate(compact):
        for replacement in "0123456789ABCDEFGHJKMNPQRSTVWXYZ":
            if replacement == original:
                continue
            with pytest.raises(InvalidRecoveryKey, match="checksum"):
                parse_recovery_key(compact[:i] + replacement + compact[i + 1 :])


def test_recovery_key_adjacent_swap_is_detected() -> None:
    compact = format_recovery_key(bytes(range(32))).replace("-", "")
    for i in range(len(compact) - 1):
        if compact[i] != compact[i + 1]:
            swapped = compact[:i] + compact[i + 1] + compact[i] + compact[i + 2 :]
            with pytest.raises(InvalidRecoveryKey):
                parse_recovery_key(swapped)


def test_recovery_key_errors_are_clear_and_do_not_echo_input() -> None:
    compact = format_recovery_key(random_key()).replace("-", "")
    with pytest.raises(InvalidRecoveryKey, match="56 characters") as exc:
        parse_recovery_key(compact[:-1])
    assert compact[:8] not in str(exc.value)
    with pytest.raises(InvalidRecoveryKey, match="character 2 of group 1") as exc:
        parse_recovery_key(compact[0] + "U" + compact[2:])
    assert compact[:8] not in str(exc.value)


# --------------------------------------------------------------------------- sealed box


def test_seal_round_trip_and_fresh_ephemeral() -> None:
    assert len(PRIV) == len(PUB) == 32
    blob = seal(PUB, b"anonymous message", aad=b"signal")
    assert unseal(PRIV, blob, aad=b"signal") == b"anonymous message"
    assert b"anonymous message" not in blob
    again = seal(PUB, b"anonymous message", aad=b"signal")
    assert again[1:33] != blob[1:33]  # fresh ephemeral public key
    assert unseal(PRIV, seal(PUB, b"")) == b""


def test_unseal_wrong_private_key_or_aad_fails() -> None:
    blob = seal(PUB, b"m", aad=b"a")
    other_priv, _ = generate_x25519_keypair()
    with pytest.raises(DecryptionError):
        unseal(other_priv, blob, aad=b"a")
    with pytest.raises(DecryptionError):
        unseal(PRIV, blob, aad=b"b")
    with pytest.raises(DecryptionError):
        unseal(PRIV, blob[:40])


def test_unseal_low_order_ephemeral_point_fails() -> None:
    blob = bytearray(seal(PUB, b"m"))
    blob[1:33] = bytes(32)  # all-zero point: shared secret would be zero
    with pytest.raises(DecryptionError):
        unseal(PRIV, bytes(blob))


@given(data=st.data(), plaintext=st.binary(max_size=32))
def test_sealed_any_flipped_bit_fails(data: st.DataObject, plaintext: bytes) -> None:
    blob = seal(PUB, plaintext)
    bit = data.draw(st.integers(0, len(blob) * 8 - 1))
    with pytest.raises(DecryptionError):
        unseal(PRIV, flip_bit(blob, bit))


def test_x25519_private_key_wraps_under_vault_key() -> None:
    wrapped = wrap_key(KEY, PRIV, purpose="x25519-private", key_version=1)
    priv = unwrap_key(KEY, wrapped, purpose="x25519-private", key_version=1)
    assert unseal(priv, seal(PUB, b"hello")) == b"hello"
