"""The case crypter's associated data is byte for byte that of core.crypto.associated_data."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vp_registry.core import crypto
from vp_registry.services.cases import _AAD_TEMPLATES, _CaseCrypter

KEY = bytes(range(32))


@pytest.mark.parametrize(("table", "column"), sorted(_AAD_TEMPLATES))
@given(row_id=st.integers(min_value=0, max_value=2**63), key_version=st.integers(0, 10**6))
def test_template_equals_the_reference(table: str, column: str, row_id: int,
                                       key_version: int) -> None:
    crypter = _CaseCrypter(KEY, key_version)
    assert crypter._aad(table, column, row_id) == \
        crypto.associated_data(table, column, row_id, key_version)


@given(row_id=st.one_of(st.text(min_size=1), st.integers(max_value=-1)))
def test_anything_else_takes_the_reference(row_id: int | str) -> None:
    crypter = _CaseCrypter(KEY, 3)
    assert crypter._aad("cases", "details", row_id) == \
        crypto.associated_data("cases", "details", row_id, 3)
    assert crypter._aad("other", "column", 7) == crypto.associated_data("other", "column", 7, 3)


def test_interoperates_with_the_plain_record_crypter() -> None:
    blob = crypto.RecordCrypter(KEY, 2).encrypt_json("cases", "listing", 42, {"a": 1})
    assert _CaseCrypter(KEY, 2).decrypt_json("cases", "listing", 42, blob) == {"a": 1}
    with pytest.raises(crypto.DecryptionError):
        _CaseCrypter(KEY, 2).decrypt_json("cases", "listing", 43, blob)
