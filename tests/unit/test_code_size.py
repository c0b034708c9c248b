"""Size guard rails for the restructuring (issue 13, section 4).

No module in ``vp_registry/`` is longer than 500 lines and no function longer than 60 (from its
``def`` line to its last line, docstring included), and ruff's complexity rules (C901, PLR0912,
PLR0915 in pyproject.toml) are only switched off for today's offenders. The allowlists below and
pyproject's per-file-ignores may only shrink: an entry that no longer offends fails the test, so
whoever shrinks a module or function also removes its entry.

- A module split into a package (``core/disclosure.py`` -> ``core/disclosure/``): the module's
  entry fails (the file is gone) and is removed; each new file must stay under the limit.
- A function entry ``path/module.py::Qualname`` also matches the function anywhere under
  ``path/module/`` after such a split. When it moves elsewhere, rename the entry's path in the
  same commit; never add a new function.
"""

from __future__ import annotations

import ast
import fnmatch
import json
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "vp_registry"
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60
COMPLEXITY_RULES = ("C901", "PLR0912", "PLR0915")

# Modules longer than MAX_MODULE_LINES on 2026-12-04. Only remove entries.
LONG_MODULES: frozenset[str] = frozenset()

# Functions longer than MAX_FUNCTION_LINES on 2026-12-04. Only remove entries (or rename the
# path when the function moves).
LONG_FUNCTIONS: frozenset[str] = frozenset()


def _modules() -> list[Path]:
    return sorted(path for path in PACKAGE.rglob("*.py") if "migrations" not in path.parts)


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _functions(tree: ast.AST, prefix: str = "") -> Iterator[tuple[str, int]]:
    """(qualified name, length in lines) of every function and method, nested ones included."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            name = prefix + node.name
            yield name, (node.end_lineno or node.lineno) - node.lineno + 1
            yield from _functions(node, name + ".")
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node, prefix + node.name + ".")
        else:
            yield from _functions(node, prefix)


def _long_functions() -> dict[str, int]:
    found = {}
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for name, length in _functions(tree):
            if length > MAX_FUNCTION_LINES:
                found[f"{_relative(path)}::{name}"] = length
    return found


def _allowed_by(entry: str, function: str) -> bool:
    """The entry names this function, as it is or under the package its module was split into."""
    entry_path, entry_name = entry.split("::", 1)
    path, name = function.split("::", 1)
    package = entry_path.removesuffix(".py") + "/"
    return entry_name == name and (path == entry_path or path.startswith(package))


def test_no_module_exceeds_the_line_limit() -> None:
    lengths = {_relative(path): len(path.read_text(encoding="utf-8").splitlines())
               for path in _modules()}
    too_long = {path: n for path, n in lengths.items()
                if n > MAX_MODULE_LINES and path not in LONG_MODULES}
    assert not too_long, f"split these modules (limit {MAX_MODULE_LINES} lines): {too_long}"
    shrunk = sorted(path for path in LONG_MODULES if lengths.get(path, 0) <= MAX_MODULE_LINES)
    assert not shrunk, f"no longer too long (or gone): remove from LONG_MODULES: {shrunk}"


def test_no_function_exceeds_the_line_limit() -> None:
    found = _long_functions()
    too_long = {name: n for name, n in found.items()
                if not any(_allowed_by(entry, name) for entry in LONG_FUNCTIONS)}
    assert not too_long, f"split these functions (limit {MAX_FUNCTION_LINES} lines): {too_long}"
    stale = sorted(entry for entry in LONG_FUNCTIONS
                   if not any(_allowed_by(entry, name) for name in found))
    assert not stale, f"no longer too long (or gone): remove from LONG_FUNCTIONS: {stale}"


def test_the_function_finder_measures_from_def_to_last_line() -> None:
    source = "class A:\n    def f(self):\n        def g():\n            pass\n        return 1\n"
    assert dict(_functions(ast.parse(source))) == {"A.f": 4, "A.f.g": 2}
    assert _allowed_by("vp_registry/core/x.py::h", "vp_registry/core/x/part.py::h")
    assert not _allowed_by("vp_registry/core/x.py::h", "vp_registry/core/xy.py::h")


def _complexity_ignores() -> dict[str, set[str]]:
    """pyproject's per-file-ignores entries under vp_registry/ and their complexity codes."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    ignores: dict[str, list[str]] = config["tool"]["ruff"]["lint"]["per-file-ignores"]
    return {pattern: set(codes) & set(COMPLEXITY_RULES) for pattern, codes in ignores.items()
            if pattern.startswith("vp_registry") and set(codes) & set(COMPLEXITY_RULES)}


def test_complexity_ignores_only_list_todays_offenders() -> None:
    """Every complexity code ignored for a vp_registry file is still needed there."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert set(COMPLEXITY_RULES) <= set(config["tool"]["ruff"]["lint"]["select"])
    # --isolated: ruff's defaults (complexity 10, 12 branches, 50 statements), no ignores.
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--output-format", "json",
         "--select", ",".join(COMPLEXITY_RULES), "vp_registry"],
        cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode in (0, 1), result.stderr
    offences = {(Path(item["filename"]).resolve().relative_to(ROOT).as_posix(), item["code"])
                for item in json.loads(result.stdout)}
    stale = sorted(f"{pattern}: {code}" for pattern, codes in _complexity_ignores().items()
                   for code in codes
                   if not any(fnmatch.fnmatch(path, pattern) and found == code
                              for path, found in offences))
    assert not stale, f"no longer needed: remove from pyproject's per-file-ignores: {stale}"
