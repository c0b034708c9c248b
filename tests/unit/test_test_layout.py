"""The test suite's own layout (issue 13): helpers and shared fixtures live in tests/support/,
and no module imports a conftest file (pytest loads those itself; importing one runs it twice
under two names and hides where a helper lives)."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
IMPORTS_A_CONFTEST = re.compile(r"^\s*(?:from|import)\s+tests(?:\.\w+)*\.conftest\b", re.M)


def test_no_module_imports_a_conftest() -> None:
    offenders = sorted(str(path.relative_to(TESTS)) for path in TESTS.rglob("*.py")
                       if IMPORTS_A_CONFTEST.search(path.read_text(encoding="utf-8")))
    assert offenders == [], f"import from tests.support.* instead: {offenders}"


def test_the_root_conftest_only_loads_the_support_plugins() -> None:
    source = (TESTS / "conftest.py").read_text(encoding="utf-8")
    plugins = re.search(r"^pytest_plugins = \[([^\]]*)\]", source, re.M)
    assert plugins, "tests/conftest.py loads the support plugins with pytest_plugins"
    assert set(re.findall(r'"([\w.]+)"', plugins.group(1))) == {
        "tests.support.fixtures", "tests.support.hypothesis_profiles", "tests.support.cpu_time"}
    assert "def " not in source and "import pytest" not in source
