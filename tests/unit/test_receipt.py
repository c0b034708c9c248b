"""Receipt codes (issue 6): the word list's promises and the tolerant reading of a code."""

from __future__ import annotations

import math
import re
from collections import Counter

import pytest

from vp_registry.core import receipt


def test_the_word_list_holds_2048_distinct_plain_words() -> None:
    words = receipt.words()
    assert len(words) == receipt.LIST_SIZE == 2048
    assert len(set(words)) == 2048
    assert all(re.fullmatch(r"[a-z]{4,8}", word) for word in words)
    assert receipt.BITS == receipt.WORD_COUNT * math.log2(receipt.LIST_SIZE) == 66


def test_no_two_words_share_a_prefix_or_sound_alike() -> None:
    words = receipt.words()
    assert len({word[:4] for word in words}) == 2048

    def fold(word: str) -> str:
        word = word.replace("ij", "ei").replace("ou", "au").replace("dt", "t")
        word = word.replace("ch", "g")
        word = re.sub(r"(.)\1", r"\1", word)
        return re.sub(r"d$", "t", word)

    assert len({fold(word) for word in words}) == 2048
    assert not any(ch in word for word in words for ch in "yqxc")


def test_the_list_keeps_out_words_that_do_not_belong_in_a_receipt() -> None:
    unwanted = {"dood", "moord", "seks", "pesten", "kanker", "wapen", "haat", "geweld",
                "islam", "bijbel", "klote", "neuken", "misbruik", "agressie", "anoniem"}
    assert unwanted.isdisjoint(receipt.words())


def test_new_codes_are_six_random_listed_words() -> None:
    codes = [receipt.new_code() for _ in range(300)]
    assert len(set(codes)) == 300
    counts: Counter[str] = Counter()
    for code in codes:
        parts = code.split(" ")
        assert len(parts) == 6 and all(part in receipt.words() for part in parts)
        counts.update(parts)
    assert len(counts) > 500  # 1800 draws from 2048 words: far from a handful


@pytest.mark.parametrize("typed", [
    "aanbod potlood zwager eiland kaas taart",
    "AANBOD POTLOOD ZWAGER EILAND KAAS TAART",
    " aanbod-potlood-zwager\\neiland, kaas.taart ",
    "aanb potlx zwag eila kaasje taartje",
    "Aanbód pôtlood zwager eiland kaas taart",
])
def test_a_code_is_read_the_way_people_copy_it(typed: str) -> None:
    assert receipt.canonical(typed.replace("\\n", "\n")) == \
        "aanbod potlood zwager eiland kaas taart"


@pytest.mark.parametrize("typed", [
    "", "aanbod potlood zwager eiland kaas", "aanbod potlood zwager eiland kaas taart taart",
    "aan potlood zwager eiland kaas taart", "qqqq potlood zwager eiland kaas taart",
    "x" * 300, "123456 123456 123456 123456 123456 123456",
])
def test_what_cannot_be_a_code_is_none(typed: str) -> None:
    assert receipt.canonical(typed) is None
