"""What ``make demo`` prints (issue 14, words): every line in one language, the configured one
(Dutch by default, English with default_locale "en"), and no instruction to run ``vault
recover`` for a demo counsellor who already has access.

The commands are the ones of the Makefile's demo recipe (but ``init-config``, done by the
fixtures, and ``run``, the server), run in order through Click's test runner.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner

from vp_registry.config import Settings

ROOT = Path(__file__).resolve().parents[2]

# Words that give a line away as the other language (the demo's own Dutch names and e-mail
# addresses, the receipt code's Dutch words and the command names are left out of the check).
ENGLISH = re.compile(r"\b(new|total|cases?|signals?|released|candidates?|review|already|"
                     r"present|draft|finalised|activities|answered|reply|messages?|departments?|"
                     r"counsellor|manager|admin|logins?|vault|recovery|key)\b", re.IGNORECASE)
DUTCH = re.compile(r"\b(nieuw|totaal|meldingen|signalen|vrijgegeven|kandidaten|al aanwezig|"
                   r"concept|vastgesteld|activiteiten|beantwoord|berichten|afdelingen|"
                   r"vertrouwenspersoon|beheerder|kluis|herstelsleutel|toegang)\b", re.IGNORECASE)
NOT_CHECKED = re.compile(r"@voorbeeld\.nl|receipt code|ontvangstcode|^\s+[0-9A-Z]{4}(  |$)")


def demo_commands() -> list[list[str]]:
    """The vp-registry commands of the Makefile's demo recipe, but init-config and run."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^demo:.*?\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert recipe, "the Makefile has no demo target"
    commands = []
    for line in recipe.group(1).splitlines():
        found = re.search(r"/vp-registry ([a-z-]+)(.*)$", line)
        if found and found.group(1) not in {"init-config", "run"}:
            commands.append([found.group(1), *found.group(2).split()])
    assert ["demo"] in commands
    return commands


@pytest.fixture(params=["nl", "en"])
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    return dataclasses.replace(settings, default_locale=request.param)


def test_make_demo_speaks_one_language_per_line_and_needs_no_vault_recover(
    runner: FlaskCliRunner, settings: Settings,
) -> None:
    output = ""
    for args in demo_commands():
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
        output += result.output
    assert "vault recover" not in output, output
    assert "vertrouwenspersoon@voorbeeld.nl" in output
    other = ENGLISH if settings.default_locale == "nl" else DUTCH
    # The recovery key's warning (between the ==== rules) is in both languages on purpose,
    # a paragraph each: whoever keeps the key may not read Dutch.
    outside_warning = re.sub(r"^={20,}$.*?^={20,}$", "", output, flags=re.MULTILINE | re.DOTALL)
    mixed = [line for line in output.splitlines() if " / " in line]
    mixed += [line for line in outside_warning.splitlines()
              if other.search(line) and not NOT_CHECKED.search(line)]
    assert mixed == [], "\n".join(mixed)
