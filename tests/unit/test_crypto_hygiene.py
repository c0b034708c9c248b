"""No unsafe cryptography in the application (issue 7): an AST scan of ``vp_registry/`` and
``migrations/`` that refuses

- ECB mode, and CBC/CTR/CFB/OFB or any raw ``Cipher(...)``: only authenticated encryption
  (AES-GCM through ``AESGCM``) is allowed, so there is no "CBC without MAC";
- a static IV or nonce: ``AESGCM(...).encrypt/decrypt`` whose nonce is a literal or a
  constant, and any name ending in ``nonce``/``iv`` assigned a constant;
- Fernet (AES-128-CBC + HMAC, with its own key handling) anywhere, so never for case data;
- the ``random`` module (not a cryptographic generator) for anything: keys, ids, references
  and codes come from ``secrets`` / ``os.urandom``;
- MD5 and SHA-1 (``hashlib.md5/sha1``, ``hashlib.new("md5")``) unless explicitly marked
  ``usedforsecurity=False``;
- PyCryptodome / PyCrypto imports (``Crypto.*``): one vetted library, ``cryptography``.

Ruff's bandit rules (S304, S305, S311, S324) catch some of this too; this test does not depend
on the rule selection and knows our own AEAD call shapes. Tests and benchmarks are not scanned
(they may use ``random`` for data).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCANNED = [*sorted((ROOT / "vp_registry").rglob("*.py")),
           *sorted((ROOT / "migrations").rglob("*.py"))]
WEAK_MODES = {"ECB", "CBC", "CTR", "CFB", "CFB8", "OFB", "MODE_ECB", "MODE_CBC", "MODE_CTR",
              "MODE_CFB", "MODE_OFB"}
WEAK_HASHES = {"md5", "sha1", "md4", "md2"}


def _is_constant(node: ast.AST) -> bool:
    """A literal, or an expression built only from literals (b"\\x00" * 12, bytes(12))."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.BinOp):
        return _is_constant(node.left) and _is_constant(node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
            node.func.id in {"bytes", "bytearray"}:
        return all(_is_constant(arg) for arg in node.args)
    return False


def _module_constants(tree: ast.Module) -> set[str]:
    names = set()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, ast.AnnAssign) and node.value is not None else [])
        value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
        if value is not None and _is_constant(value):
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _aead_receiver(node: ast.Call) -> bool:
    """``AESGCM(key).encrypt(...)`` or ``ChaCha20Poly1305(key).decrypt(...)``."""
    func = node.func
    return isinstance(func, ast.Attribute) and func.attr in {"encrypt", "decrypt"} and \
        isinstance(func.value, ast.Call) and _call_name(func.value) in {
            "AESGCM", "AESCCM", "ChaCha20Poly1305", "AESOCB3"}


def problems_in(source: str, name: str = "<source>") -> list[str]:
    tree = ast.parse(source, name)
    constants = _module_constants(tree)
    found: list[str] = []

    def report(node: ast.AST, what: str) -> None:
        found.append(f"{name}:{getattr(node, 'lineno', 0)}: {what}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            modules = [node.module or ""] if isinstance(node, ast.ImportFrom) else [
                alias.name for alias in node.names]
            imported = {alias.name for alias in node.names}
            for module in modules:
                if module == "random" or module.startswith("random."):
                    report(node, "the random module is not for secrets: use secrets")
                if module == "Crypto" or module.startswith(("Crypto.", "Cryptodome")):
                    report(node, "PyCrypto(dome): use the cryptography package")
                if module.endswith("fernet") or "Fernet" in imported:
                    report(node, "Fernet (AES-CBC): use AES-GCM field encryption")
            if isinstance(node, ast.ImportFrom) and imported & WEAK_MODES:
                report(node, f"unauthenticated cipher mode {sorted(imported & WEAK_MODES)}")
            if isinstance(node, ast.ImportFrom) and (node.module or "").endswith(
                    "ciphers") and "Cipher" in imported:
                report(node, "raw Cipher(): use AESGCM")
        elif isinstance(node, ast.Attribute):
            if node.attr in WEAK_MODES:
                report(node, f"unauthenticated cipher mode {node.attr}")
            if node.attr == "Fernet":
                report(node, "Fernet (AES-CBC): use AES-GCM field encryption")
        elif isinstance(node, ast.Call):
            called = _call_name(node)
            keywords = {kw.arg: kw.value for kw in node.keywords}
            not_for_security = isinstance(keywords.get("usedforsecurity"), ast.Constant) and \
                keywords["usedforsecurity"].value is False  # type: ignore[attr-defined]
            if called in WEAK_HASHES and isinstance(node.func, ast.Attribute) and \
                    isinstance(node.func.value, ast.Name) and node.func.value.id == "hashlib" \
                    and not not_for_security:
                report(node, f"hashlib.{called} is broken for security")
            if called == "new" and isinstance(node.func, ast.Attribute) and \
                    isinstance(node.func.value, ast.Name) and node.func.value.id == "hashlib" \
                    and node.args and isinstance(node.args[0], ast.Constant) and \
                    str(node.args[0].value).lower() in WEAK_HASHES and not not_for_security:
                report(node, f"hashlib.new({node.args[0].value!r}) is broken for security")
            if _aead_receiver(node) and node.args:
                nonce = node.args[0]
                if _is_constant(nonce) or (isinstance(nonce, ast.Name)
                                           and nonce.id in constants):
                    report(node, "static nonce: use a fresh os.urandom(12) per encryption")
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                label = target.id if isinstance(target, ast.Name) else (
                    target.attr if isinstance(target, ast.Attribute) else "")
                named = label.lower().endswith(("nonce", "_iv")) or label.lower() == "iv"
                if named and node.value is not None and _is_constant(node.value):
                    report(node, f"static IV/nonce {label}")
    return found


def test_the_application_uses_no_unsafe_cryptography() -> None:
    assert len(SCANNED) > 50
    found = [problem for path in SCANNED
             for problem in problems_in(path.read_text(encoding="utf-8"),
                                        str(path.relative_to(ROOT)))]
    assert found == []


@pytest.mark.parametrize("source", [
    "from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes\n"
    "c = Cipher(algorithms.AES(k), modes.ECB())",
    "from cryptography.hazmat.primitives.ciphers.modes import CBC",
    "x = modes.CBC(iv)",
    "from Crypto.Cipher import AES\nAES.new(k, AES.MODE_ECB)",
    "NONCE = b'\\x00' * 12\nAESGCM(key).encrypt(NONCE, data, aad)",
    "AESGCM(key).encrypt(b'123456789012', data, aad)",
    "AESGCM(key).decrypt(bytes(12), blob, aad)",
    "iv = b'0000000000000000'",
    "self.nonce = bytes(12)",
    "from cryptography.fernet import Fernet",
    "import cryptography.fernet",
    "import random\nkey = random.getrandbits(256)",
    "from random import choice",
    "import hashlib\nhashlib.md5(data).hexdigest()",
    "import hashlib\nhashlib.sha1(password)",
    "import hashlib\nhashlib.new('MD5', data)",
])
def test_each_unsafe_pattern_is_caught(source: str) -> None:
    assert problems_in(source), source


@pytest.mark.parametrize("source", [
    "nonce = os.urandom(12)\nAESGCM(key).encrypt(nonce, data, aad)",
    "AESGCM(key).decrypt(blob[1:13], blob[13:], aad)",
    "import secrets\nkey = secrets.token_bytes(32)",
    "import hashlib\nhashlib.sha256(data)",
    "import hashlib\nhashlib.md5(data, usedforsecurity=False)",
    "PREFIX = bytes([0]) + bytes(12)",  # the benchmark-only null cipher's blob prefix
])
def test_safe_patterns_pass(source: str) -> None:
    assert problems_in(source) == [], source
