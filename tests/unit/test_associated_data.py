"""Associated data has one encoder (core.crypto.associated_data): its template path for integer
row ids gives the bytes of the canonical JSON, and ciphertexts written before the merge - by the
case module's own template crypter and by the plain RecordCrypter - still decrypt."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vp_registry.core import crypto

KEY = bytes(range(32))
SMALL = crypto.SizeClass(fixed=16)


def reference(table: str, column: str, row_id: int | str, key_version: int) -> bytes:
    """The format as first written (canonical JSON), independent of the code under test."""
    return json.dumps({"ctx": "vp-registry/field", "table": table, "column": column,
                       "row": str(row_id), "kv": key_version},
                      sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


@pytest.mark.parametrize(("table", "column"), [
    ("cases", "listing"), ("cases", "details"), ("case_contacts", "content"),
    ("activities", "description"), ("users", "totp_secret"), ('odd "%s" %d', "kolom é\\"),
])
@given(row_id=st.integers(min_value=-(2**63), max_value=2**63),
       key_version=st.integers(0, 10**6))
def test_integer_rows_give_the_canonical_json(table: str, column: str, row_id: int,
                                               key_version: int) -> None:
    assert crypto.associated_data(table, column, row_id, key_version) == \
        reference(table, column, row_id, key_version)


@given(table=st.text(min_size=1), column=st.text(min_size=1),
       row_id=st.one_of(st.text(min_size=1), st.integers()), key_version=st.integers(0, 99))
def test_any_names_and_rows_give_the_canonical_json(table: str, column: str,
                                                    row_id: int | str,
                                                    key_version: int) -> None:
    assert crypto.associated_data(table, column, row_id, key_version) == \
        reference(table, column, row_id, key_version)


@pytest.mark.parametrize(("table", "column", "row_id", "version"), [
    ("", "c", 1, 1), ("t", "", 1, 1), ("t", "c", True, 1), ("t", "c", 1, -1), ("t", "c", "", 1),
])
def test_bad_parts_are_refused_on_both_paths(table: str, column: str, row_id: int | str,
                                             version: int) -> None:
    with pytest.raises(ValueError):
        crypto.associated_data(table, column, row_id, version)


# Written before the merge (services/cases.py's _CaseCrypter for the first two, the plain
# RecordCrypter for the third), under KEY, padded to SMALL.
OLD_BLOBS = [
    ("cases", "listing", 4503599627370495, 1, {"department": 7},
     "01ee108ca4989f59bca17e4f4c17975a29b197c98f2bbf91a57aaf8233384eb6da04af201800222c6ddb65"
     "086b19df7f6eb19adb1e51cda6ed26ca2b02"),
    ("case_contacts", "content", 123456789, 1, {"notes": "Gesprek"},
     "01ecdf6919934f6f588358b736768e67f1a4e08798f43769c98c93b0f33243c1ad703c2aca04740ad2fdc1"
     "078e492dd83735fd654024c4669052dd30f1"),
    ("activities", "description", "a-7", 2, {"x": 1},
     "012f0e346e602a2d123ef25628dfc8585bf08c4a096b9b3a75d0c07dbf31eb59ad7769adc6732f9b653f37"
     "41e5"),
]


@pytest.mark.parametrize(("table", "column", "row_id", "version", "value", "blob"), OLD_BLOBS)
def test_ciphertexts_written_before_still_decrypt(table: str, column: str, row_id: int | str,
                                                  version: int, value: object,
                                                  blob: str) -> None:
    crypter = crypto.RecordCrypter(KEY, version)
    assert crypter.decrypt_json(table, column, row_id, bytes.fromhex(blob)) == value
    with pytest.raises(crypto.DecryptionError):  # still bound to its row
        crypter.decrypt_json(table, column, f"{row_id}0", bytes.fromhex(blob))


def test_an_integer_row_and_its_text_name_the_same_row() -> None:
    blob = crypto.RecordCrypter(KEY, 2).encrypt_json("cases", "listing", 42, {"a": 1})
    assert crypto.RecordCrypter(KEY, 2).decrypt_json("cases", "listing", "42", blob) == {"a": 1}
    with pytest.raises(crypto.DecryptionError):
        crypto.RecordCrypter(KEY, 2).decrypt_json("cases", "listing", 43, blob)
