"""Padding inside the encryption (issue 11, item 5b): the format, its size classes, and rows
written before it existed. The lengths of real case, conversation and contact rows are
compared in tests/integration/test_ciphertext_lengths.py."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vp_registry.core import crypto
from vp_registry.core.crypto import AesGcmCipher, DecryptionError, RecordCrypter, SizeClass

KEY = bytes(range(32))


def test_rows_written_before_padding_still_decrypt() -> None:
    crypter = RecordCrypter(KEY, 1)
    aad = crypto.associated_data("cases", "listing", 7, 1)
    old_json = AesGcmCipher().encrypt(KEY, b'{"categories":["pesten"],"department":3}', aad)
    assert crypter.decrypt_json("cases", "listing", 7, old_json) == {
        "categories": ["pesten"], "department": 3}
    aad = crypto.associated_data("activities", "description", 7, 1)
    old_text = AesGcmCipher().encrypt(KEY, b"Voorlichting ploeg B", aad)
    assert crypter.decrypt_text("activities", "description", 7, old_text) == \
        "Voorlichting ploeg B"
    assert crypto.unpadded_json(b'{"text":"hallo"}') == {"text": "hallo"}  # an old sealed post


def test_text_is_padded_to_power_of_two_buckets() -> None:
    crypter = RecordCrypter(KEY, 1)

    def size(text: str) -> int:
        blob = crypter.encrypt_text("t", "c", 1, text)
        assert blob is not None and crypter.decrypt_text("t", "c", 1, blob) == text
        return len(blob)

    assert size("") == size("a") == size("a" * 253)  # 256-byte bucket (3 bytes of padding)
    assert size("a" * 254) == size("a" * 509) == size("a" * 253) + 256
    assert size("é" * 300) == size("a" * 600)  # bytes count, not characters


def test_json_choices_fill_a_fixed_class_and_free_text_a_bucket() -> None:
    crypter = RecordCrypter(KEY, 1)
    size_class = SizeClass(fixed=128, free_text=("notes",))

    def size(value: dict[str, object]) -> int:
        blob = crypter.encrypt_json("t", "c", 1, value, size_class)
        assert crypter.decrypt_json("t", "c", 1, blob) == value
        return len(blob)

    few = size({"minutes": 1, "channel": "email", "notes": None})
    many = size({"minutes": 1440, "channel": "in_person", "notes": "x" * 250})
    assert few == many
    assert size({"minutes": 1, "channel": "email", "notes": "x" * 300}) == few + 256
    # a fixed part beyond its class takes the next multiple, never its exact length
    assert SizeClass(fixed=128).size(130, 0) == SizeClass(fixed=128).size(250, 0) == 256


def test_damaged_padding_is_refused() -> None:
    good = crypto.pad(b"{}", 64)
    assert crypto.unpad(good) == b"{}"
    for damaged in (good[:-1] + b"\x01", b"\xff\x02" + good[2:], b"\xff", b"\xff\x01",
                    good.replace(b"\x80", b"\x00")):
        with pytest.raises(DecryptionError):
            crypto.unpad(damaged)
    with pytest.raises(ValueError, match="room for its padding"):
        SizeClass(fixed=2)


@given(st.binary(max_size=600), st.integers(min_value=0, max_value=2048))
def test_pad_and_unpad_round_trip(plaintext: bytes, size: int) -> None:
    padded = crypto.pad(plaintext, size)
    assert len(padded) == max(size, len(plaintext) + 3)
    assert crypto.unpad(padded) == plaintext
