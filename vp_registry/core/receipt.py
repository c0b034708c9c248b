"""Receipt codes of the anonymous contact channel: six Dutch words, 66 bits (issue 6).

A code is six words drawn uniformly with :mod:`secrets` from a fixed list of 2048 words
(``vp_registry/data/receipt-words-nl.txt``): 2048^6 = 2^66 possible codes. That is far beyond
online guessing (which is throttled as well) and, because the code only ever reaches the
database through HKDF (the lookup id) and Argon2id (the key that opens the replies), beyond
offline guessing from a copy of the database.

Easy to write down and type back:

* every word is 4-8 lowercase letters a-z, and no two words share their first four letters,
  so a code is *read by prefix*: "potlod" or "potloot" still means "potlood";
* case, accents, punctuation, line breaks and extra spaces are ignored;
* words that sound alike when written from memory (ij/ei, ou/au, ch/g, doubled letters, a final
  d/t) never both occur, so a code read aloud or copied by hand has one meaning.

There is no check word: a mistyped code is refused like any other wrong code, and the
refusal must look the same for every wrong code (docs/design.md I-8, issue 6).
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from functools import cache
from importlib.resources import files
from typing import Final

WORD_COUNT: Final = 6
LIST_SIZE: Final = 2048
BITS: Final = 66  # WORD_COUNT * log2(LIST_SIZE)
PREFIX: Final = 4
_SEPARATORS: Final = re.compile(r"[^a-z]+")


@cache
def words() -> tuple[str, ...]:
    """The word list, validated once: a damaged list must stop the app, not weaken codes."""
    text = files("vp_registry").joinpath("data/receipt-words-nl.txt").read_text("utf-8")
    found = tuple(line.strip() for line in text.splitlines()
                  if line.strip() and not line.startswith("#"))
    if len(found) != LIST_SIZE or len(set(found)) != LIST_SIZE:
        raise RuntimeError("the receipt word list must hold 2048 distinct words")
    if any(not re.fullmatch(r"[a-z]{4,8}", word) for word in found):
        raise RuntimeError("receipt words must be 4-8 letters a-z")
    if len({word[:PREFIX] for word in found}) != LIST_SIZE:
        raise RuntimeError("receipt words must differ in their first four letters")
    return found


@cache
def _by_prefix() -> dict[str, str]:
    return {word[:PREFIX]: word for word in words()}


def new_code() -> str:
    """A fresh receipt code: six words separated by single spaces."""
    wordlist = words()
    return " ".join(secrets.choice(wordlist) for _ in range(WORD_COUNT))


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def canonical(text: str) -> str | None:
    """The code as issued ("word word ..."), or None when the text cannot be one.

    Tolerant of how people copy a code: any case, accents, separators; each word is
    recognised by its first four letters.
    """
    if len(text) > 200:
        return None
    tokens = [token for token in _SEPARATORS.split(_fold(text)) if token]
    if len(tokens) != WORD_COUNT:
        return None
    by_prefix = _by_prefix()
    found = [by_prefix.get(token[:PREFIX]) for token in tokens]
    if any(word is None or len(token) < PREFIX for word, token in zip(found, tokens, strict=True)):
        return None
    return " ".join(word for word in found if word is not None)


def groups(code: str) -> list[str]:
    """The words of a code, for showing it one word per box."""
    return code.split(" ")
