"""Padding inside the encryption, so a ciphertext's length does not tell what it holds.

A ciphertext is as long as its plaintext plus a constant, so without padding its length
tells which choices a record holds (issue 11, item 5b: the listing's length narrowed a
case's categories from 63 sets to 2-5). Every plaintext the registry encrypts goes through
pad() first:

    0xFF 0x01 || plaintext || 0x80 || 0x00 ... 0x00     (ISO/IEC 7816-4 padding)

to a size class (:class:`SizeClass`). 0xFF never starts UTF-8 text or JSON, so plaintexts
written before padding existed (which are one or the other) still decrypt: unpad() returns
them unchanged. The marker and padding are inside the authenticated ciphertext.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from vp_registry.core.crypto.primitives import DecryptionError

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
