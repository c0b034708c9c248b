"""The two build steps pyproject.toml cannot express (everything else is declared there).

1. The package list: every ``vp_registry`` package found on disk, plus ``vp_registry.templates``
   and ``vp_registry.migrations``, which pyproject.toml maps onto the top-level ``templates/``
   and ``migrations/`` so a wheel carries them inside the package.
2. The Dutch catalogue is compiled into the build (``*.mo`` are build output, never
   committed): a wheel or a plain ``pip install .`` from a fresh clone speaks Dutch without a
   ``make translations`` first.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import find_namespace_packages, setup
from setuptools.command.build_py import build_py

# Package name -> top-level directory; the same mapping as [tool.setuptools.package-dir].
TOP_LEVEL_DATA = {"vp_registry.templates": "templates", "vp_registry.migrations": "migrations"}


def packages() -> list[str]:
    """Every package and data directory, as the namespace discovery of pyproject.toml would."""
    found = find_namespace_packages(include=["vp_registry", "vp_registry.*"])
    for name, directory in TOP_LEVEL_DATA.items():
        found += [name, *(f"{name}.{sub}" for sub in find_namespace_packages(where=directory))]
    return found


class BuildPyWithCatalogues(build_py):
    """``build_py`` that also compiles ``vp_registry/translations/*/LC_MESSAGES/*.po``."""

    def run(self) -> None:
        super().run()
        source = Path(self.get_package_dir("vp_registry")) / "translations"
        # Editable installs run the package from the source tree: compile in place there
        # (what ``make translations`` does); a wheel gets them in its build directory.
        built = Path(self.build_lib) / "vp_registry" / "translations"
        target = source if self.editable_mode else built
        for po_file in sorted(source.glob("*/LC_MESSAGES/*.po")):
            mo_file = target / po_file.relative_to(source).with_suffix(".mo")
            mo_file.parent.mkdir(parents=True, exist_ok=True)
            with po_file.open("rb") as handle:
                catalogue = read_po(handle)
            with mo_file.open("wb") as handle:
                write_mo(handle, catalogue, use_fuzzy=False)


setup(
    packages=packages(),
    cmdclass={"build_py": BuildPyWithCatalogues},
)
