"""The Dutch catalogue is complete, clean and in step with the source.

Extraction runs in-process with the mapping in ``babel.cfg`` and the keywords of the Makefile's
``translations-extract`` target, so a string that is added, changed or marked in the code or the
templates without a Dutch translation fails here. Fix: ``make translations-extract``, translate
the new entries in ``vp_registry/translations/nl/LC_MESSAGES/messages.po``, run the tests again.
"""

from __future__ import annotations

import itertools
import re
import shlex
from collections.abc import Iterator
from functools import cache
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "vp_registry" / "translations" / "nl" / "LC_MESSAGES" / "messages.po"

# Python %-placeholders: %(name)s, %(num)d, %s, %% ... and a lone "%" that would break formatting.
PLACEHOLDER = re.compile(r"%(?:\([A-Za-z_][A-Za-z0-9_]*\))?[-#0 +]*\d*(?:\.\d+)?[a-zA-Z%]|%")


@cache
def catalogue() -> Catalog:
    with CATALOGUE.open("rb") as handle:
        return read_po(handle, locale="nl")


def messages() -> Iterator[Message]:
    return (message for message in catalogue() if message.id)


def forms(message: Message) -> list[tuple[str, str]]:
    """(English, Dutch) pairs: one for a simple message, one per plural form otherwise."""
    if isinstance(message.id, tuple | list):
        singular, plural = message.id[0], message.id[1]
        strings = [str(text) for text in message.string or ()]
        return [(singular, strings[0]), *((plural, text) for text in strings[1:])]
    return [(message.id, str(message.string))]


def describe(message: Message) -> str:
    return repr(message.id)[:100]


def makefile_keywords() -> dict[str, object]:
    """The -k options of BABEL_KEYWORDS in the Makefile, on top of Babel's defaults."""
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    found = re.search(r"^BABEL_KEYWORDS\s*:?=\s*(.+)$", text, re.MULTILINE)
    assert found, "the Makefile no longer defines BABEL_KEYWORDS"
    words = shlex.split(found.group(1))
    extra = [word for flag, word in itertools.pairwise(words) if flag == "-k"]
    assert {"_l", "N_", "lazy_gettext", "ngettext:1,2"} <= set(extra), extra
    keywords: dict[str, object] = dict(DEFAULT_KEYWORDS)
    keywords.update(parse_keywords(extra))
    return keywords


@cache
def extracted() -> dict[str, str | tuple[str, ...]]:
    """Every msgid in the source tree now: singular id -> id (a tuple for plural messages)."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle, "babel.cfg")  # type: ignore[no-untyped-call]
    found: dict[str, str | tuple[str, ...]] = {}
    for _filename, _lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=makefile_keywords()  # type: ignore[arg-type]
    ):
        assert context is None, f"pgettext is not used in this project: {message!r}"
        key = message if isinstance(message, str) else message[0]
        if key:
            found[key] = message if isinstance(message, str) else tuple(message)
    return found


def test_catalogue_header() -> None:
    cat = catalogue()
    assert str(cat.locale) == "nl"
    assert not cat.fuzzy, "the catalogue header is marked fuzzy: pybabel compile would skip it"
    assert cat.num_plurals == 2
    assert cat.plural_expr.replace(" ", "") == "(n!=1)"
    assert "Glossary" in cat.header_comment, "keep the glossary at the top of messages.po"


def test_every_message_is_translated_and_not_fuzzy() -> None:
    problems = [f"fuzzy: {describe(m)}" for m in messages() if m.fuzzy]
    problems += [f"empty: {describe(m)}" for m in messages()
                 if any(not dutch.strip() for _english, dutch in forms(m))]
    assert not problems, "\n".join(problems)


def test_placeholders_match() -> None:
    problems = []
    for message in messages():
        for english, dutch in forms(message):
            wanted, got = set(PLACEHOLDER.findall(english)), set(PLACEHOLDER.findall(dutch))
            if wanted != got:
                problems.append(f"{describe(message)}: {sorted(wanted)} != {sorted(got)}")
    assert not problems, "\n".join(problems)


def test_babel_checks_and_compilation() -> None:
    cat = catalogue()
    errors = [f"{describe(message)}: {problems}" for message, problems in cat.check()]
    assert not errors, "\n".join(errors)
    compiled = BytesIO()
    write_mo(compiled, cat)
    compiled.seek(0)
    assert len(read_mo(compiled)) == len(cat)


def test_every_extracted_message_is_in_the_catalogue() -> None:
    cat = catalogue()
    missing = sorted(repr(mid)[:100] for key, mid in extracted().items()
                     if key not in cat or cat[key].id != mid)
    assert not missing, (
        f"{len(missing)} message(s) not in the Dutch catalogue; run `make translations-extract` "
        "and translate them in vp_registry/translations/nl/LC_MESSAGES/messages.po:\n"
        + "\n".join(missing)
    )


def test_catalogue_has_no_stale_messages() -> None:
    current = extracted()
    stale = sorted(describe(m) for m in messages() if str(m.id if isinstance(m.id, str)
                                                          else m.id[0]) not in current)
    assert not stale, (
        "no longer in the source; run `make translations-extract` to drop them:\n"
        + "\n".join(stale)
    )


@pytest.mark.parametrize(("english", "dutch"), [
    ("Bullying", "Pesten"),
    ("Sexism and sexual harassment", "Seksisme en seksuele intimidatie"),
    ("Exclusion and discrimination", "Uitsluiting en discriminatie"),
    ("Aggression and violence", "Agressie en geweld"),
    ("Integrity", "Integriteit"),
    ("Work pressure", "Werkdruk"),
    ("Other", "Overig"),
    ("Confidential counsellor", "Vertrouwenspersoon"),
    ("Functional administrator", "Functioneel beheerder"),
    ("Cases", "Meldingen"),
    ("Signals", "Signalen"),
    ("Department", "Afdeling"),
    ("VP registry", "Vertrouwenspersonen"),
])
def test_glossary_terms(english: str, dutch: str) -> None:
    assert catalogue()[english].string == dutch


# The one glossary of the UI, the annual report and the command line (docs/glossary.md): the
# words in backticks on the bullet lines of its section "Words we do not use".
GLOSSARY = ROOT / "docs" / "glossary.md"


def forbidden_words() -> list[str]:
    text = GLOSSARY.read_text(encoding="utf-8")
    section = text.split("## Words we do not use", 1)[1].split("\n## ", 1)[0]
    return [word for line in section.splitlines() if line.startswith("- ")
            for word in re.findall(r"`([^`]+)`", line.split(":", 1)[0])]


FORBIDDEN = re.compile(r"\b(?:" + "|".join(map(re.escape, forbidden_words())) + r")\b",
                       re.IGNORECASE)


def test_the_glossary_lists_the_words_we_do_not_use() -> None:
    assert {"u", "casus", "categorie", "onthullingscontrole", "VP-registratie"} <= set(
        forbidden_words())
    assert "docs/glossary.md" in catalogue().header_comment


def test_glossary_is_followed() -> None:
    problems = [f"{describe(m)}: {dutch!r}" for m in messages()
                for _english, dutch in forms(m) if FORBIDDEN.search(dutch)]
    assert not problems, "see docs/glossary.md:\n" + "\n".join(problems)
