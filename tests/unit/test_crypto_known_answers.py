"""Known answers: bytes written by the single-module ``core/crypto.py`` (before the package
split, issue 13) must stay readable and every deterministic output must stay the same - a
ciphertext format or a derivation that changes would lock counsellors out of their cases.

The blobs below were produced by that module with fixed keys; any change to a format byte, the
associated data, the padding, the wrapping purpose encoding or the sealed-box KDF fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from vp_registry.core import crypto

KEY = bytes(range(32))
WRAPPING_KEY = bytes(range(100, 132))
PRIVATE_KEY = bytes(range(200, 232))

TEXT_BLOB = bytes.fromhex(
    "01aad4321d96509a51f8818c52d99a0f63b665f8b088e1f378d4099a341cd56a777aa8b87154c76e134f86da"
    "8549a1b6ce6e90298bde7860d7a1eb2c5cd3e2f8a014b270484315a4450fba4be0296e48ed06323b40380434"
    "293b8ab3f818f764f16dd7f2091ae0e1be54f417a48937b4f2ab7b718d3a05b27a7e3b44500974ec4dadd83e"
    "57f3122861f6adf895d2fc57798eb9668416cee401462c99148cd2ec6e4ffbd3b3af790c4f858593ef28214d"
    "f4da79dd68bb1bf9c3b6050b9d857eea69e109c6b589ccd4487fd5715f1293e119d9162e447e86008bbfd0dc"
    "ef0352f34d77bf9f30dceba1b3c91d71c8b7541d133fd62406f01bc4396ec4feb532ee3664781086fd187838"
    "204bc1dbf72ceb58d0608147b6ed6ba1f210e81f27"
)
JSON_BLOB = bytes.fromhex(
    "012deac60bcc229667c6c7a55261d3cde5450fff8ff9f6313681aaed08bc3e35b7a0264739b42fb212804c63"
    "3fa9106cc1a1ce6dffeb655b75859af849e8e68edb4d87a03bbca1187105c636b86aa9d23e37536841a416d6"
    "cd3f6fded2c055e6d77ecd472048c3c0857781e97cedcc9fdbbdd1f288c106ff8033db6c7bf0b277ea1c41d2"
    "eef9fc5ab1b5380ec5f427c0c990531acc6c3c04f644494828c30943c54a4bacbaf18d4d453c21defcdea7ec"
    "6a5ab899ace15e061a9a76f210c0e80a4015161e68e2a958e05ce76ab2e7f179e6cd7f0e8d5ed0b2c1f9f0a0"
    "9a79fc185dcd7a366a9ee65c6f660ff9d0b18b1b98b5fe3a379fc6cb429013d2daf2f8d6da4cc0841a7658b2"
    "2b038f9b58fa2dd3de664e892e5bbba5f5798303bc"
)
WRAPPED_KEY = bytes.fromhex(
    "010e651b19b383333bc2762597f5892b39fb6eb66ccea0e66220be11c1522728c9bf51f323348df775fcd3d5"
    "299329cdc16c3531a6e882f1c1995925ba"
)
SEALED = bytes.fromhex(
    "029d41b914e6fef0005bd52fc780e016d125ef774476d112c88450a00ffd8b945dcea200bfe22b1872598fde"
    "d367de6e30385282a51a346f42d8ff99d066e2d2660824bcacfde7045e0aca30"
)


def test_field_ciphertexts_written_before_still_decrypt() -> None:
    crypter = crypto.RecordCrypter(KEY, 2)
    assert crypter.decrypt_text("cases", "details", 42, TEXT_BLOB) == "Gesprek op dinsdag é"
    assert crypter.decrypt_json("cases", "listing", 42, JSON_BLOB) == \
        {"categories": ["p", "s"], "department": 7}
    # the same plaintexts still give blobs of the same lengths (padding classes unchanged)
    assert len(crypter.encrypt_text("cases", "details", 42, "Gesprek op dinsdag é")) == \
        len(TEXT_BLOB)
    assert len(crypter.encrypt_json("cases", "listing", 42,
                                    {"categories": ["p", "s"], "department": 7})) == \
        len(JSON_BLOB)


def test_wrapped_keys_and_sealed_boxes_written_before_still_open() -> None:
    assert crypto.unwrap_key(WRAPPING_KEY, WRAPPED_KEY, purpose="data-key", key_version=3) == KEY
    assert crypto.unseal(PRIVATE_KEY, SEALED, b"thread-9") == b"anoniem bericht"
    public = X25519PrivateKey.from_private_bytes(PRIVATE_KEY).public_key().public_bytes_raw()
    assert len(crypto.seal(public, b"anoniem bericht", b"thread-9")) == len(SEALED)


def test_deterministic_outputs_are_unchanged() -> None:
    assert crypto.derive_key("wachtwoord é", b"zout-van-16-byte", crypto.FAST_KDF_FOR_TESTS) == \
        bytes.fromhex("6ac4101618eda8334881b6237d22baf555c18044fa8ac87b0151fbc14a9e57e0")
    assert crypto.derive_subkey(KEY, "blind-index") == \
        bytes.fromhex("39d4b5dfbcdaf6c30dd24749bc2aa045815a7d8732f1469d75692d523cbf012b")
    assert crypto.key_from_token("A" * 43, "session-vault") == \
        bytes.fromhex("dff4be528f9100e0cb9a9acad022ee92c42fe11bfab7f1659c34ecfb7e7ec4a9")
    assert crypto.hash_token("A" * 43) == \
        "0f007385b6f9d4b7eeb2748605afe1a984a0a3bfa3f014d09e2a784ce9e5cd1a"
    assert crypto.format_recovery_key(KEY) == \
        "000G-40R4-0M30-E209-185G-R38E-1W81-24GK-2GAH-C5RR-34D1-P70X-3RFG-BMYT"
    assert crypto.blind_index(KEY, "Jan-Willem O'Brien") == \
        "ab8a943c6ec52e0f506695a20a7e0c5dae6e76cef2bf988276a66ee1361f407c"
    assert crypto.associated_data("cases", "listing", 42, 2) == \
        b'{"column":"listing","ctx":"vp-registry/field","kv":2,"row":"42","table":"cases"}'
    padded = crypto.padded_json({"notes": "abc", "c": [1]},
                                crypto.SizeClass(fixed=32, free_text=("notes",)))
    assert len(padded) == 288
    assert padded.rstrip(b"\x00") == b'\xff\x01{"c":[1],"notes":"abc"}\x80'


def test_every_public_name_of_the_package_is_exported() -> None:
    """A public name added to a submodule but not to ``__all__`` would be invisible to mypy's
    ``crypto.X`` users; a name in ``__all__`` must be importable."""
    package = Path(crypto.__file__).parent
    public = set()
    for path in package.glob("*.py"):
        if path.name == "__init__.py":
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                names = [node.name]
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names = [node.target.id]
            elif isinstance(node, ast.Assign):
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            else:
                continue
            public.update(name for name in names if not name.startswith("_"))
    assert public == set(crypto.__all__)
    assert all(hasattr(crypto, name) for name in crypto.__all__)
