"""vp_registry.core must stay free of Flask, SQLAlchemy and the app layers (testable alone)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "vp_registry" / "core"
FORBIDDEN_TOP = {"flask", "sqlalchemy", "werkzeug", "jinja2"}
FORBIDDEN_APP = ("vp_registry.db", "vp_registry.services", "vp_registry.web")


def _is_forbidden(module: str) -> bool:
    top = module.split(".")[0]
    if top in FORBIDDEN_TOP or top.startswith("flask_"):
        return True
    return any(module == p or module.startswith(p + ".") for p in FORBIDDEN_APP)


def forbidden_imports(source: str, module_name: str) -> list[str]:
    """Imported module names in source that core may not use; relative imports are resolved."""
    package = module_name.split(".")[:-1]
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            prefix = ".".join(base + (node.module.split(".") if node.module else []))
            # "from vp_registry import db" imports the module vp_registry.db
            names = [prefix] + [f"{prefix}.{alias.name}" for alias in node.names]
        else:
            continue
        found += [name for name in names if _is_forbidden(name)]
    return found


def _core_modules() -> list[Path]:
    return sorted(CORE.rglob("*.py"))


def test_core_has_modules() -> None:
    assert (CORE / "crypto" / "__init__.py") in _core_modules()


@pytest.mark.parametrize("path", _core_modules(), ids=lambda p: str(p.relative_to(CORE)))
def test_core_module_is_framework_free(path: Path) -> None:
    rel = path.relative_to(CORE.parent.parent).with_suffix("")
    module_name = ".".join(rel.parts)
    if path.name == "__init__.py":
        module_name += ".__init__"
    assert forbidden_imports(path.read_text(encoding="utf-8"), module_name) == []


@pytest.mark.parametrize(
    "source",
    [
        "import flask",
        "from flask import Flask",
        "import flask_login",
        "from flask_wtf.csrf import CSRFProtect",
        "import sqlalchemy.orm as orm",
        "from werkzeug.security import x",
        "import jinja2",
        "from vp_registry.db import models",
        "from vp_registry import services",
        "from ..web import app",
        "from .. import db",
        "def f():\n    import flask",
    ],
)
def test_checker_catches_forbidden(source: str) -> None:
    assert forbidden_imports(source, "vp_registry.core.crypto")


@pytest.mark.parametrize(
    "source",
    ["import os", "from cryptography.hazmat import x", "from . import taxonomy", "import flasky"],
)
def test_checker_allows_other_imports(source: str) -> None:
    assert forbidden_imports(source, "vp_registry.core.crypto") == []
