"""Dutch text outside the catalogue follows the glossary too (messages.po, top): the command
line's bilingual help (``"Toegang tot de meldingen / access to the case files."``), the recovery
key warning and the demo command's progress lines say "melding", never "casus".

The demo's case narratives are a counsellor's own prose and are not checked.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.test_translations import FORBIDDEN, ROOT

PACKAGE = ROOT / "vp_registry"
CLI_MODULES = sorted(PACKAGE.glob("cli*.py"))
DEMO_MODULES = sorted((PACKAGE / "services" / "demo").glob("[!_]*.py"))


def strings(node: ast.AST) -> Iterator[tuple[int, str]]:
    for found in ast.walk(node):
        if isinstance(found, ast.Constant) and isinstance(found.value, str):
            yield found.lineno, found.value


def progress_lines(tree: ast.AST) -> Iterator[tuple[int, str]]:
    for call in ast.walk(tree):
        if (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
                and call.func.id == "progress"):
            yield from strings(call)


def test_the_modules_exist() -> None:
    assert len(CLI_MODULES) >= 4 and len(DEMO_MODULES) >= 5


@pytest.mark.parametrize("path", CLI_MODULES + DEMO_MODULES, ids=lambda p: p.name)
def test_glossary_is_followed(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = strings(tree) if path in CLI_MODULES else progress_lines(tree)
    problems = [f"{path.name}:{line}: {text!r}" for line, text in found
                if FORBIDDEN.search(text)]
    assert not problems, "see the glossary at the top of messages.po:\n" + "\n".join(problems)
