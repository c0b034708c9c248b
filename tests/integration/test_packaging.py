"""A built wheel (what a plain ``pip install .`` installs) runs the application.

``templates/`` and ``migrations/`` live at the repository top level, so a checkout or an
editable install finds them where a wheel would not: these tests build the wheel offline from a
copy of the source tree (without compiled catalogues, like a fresh clone), look inside it, install
it into a directory of its own and run the application from there, outside the repository: the
schema upgrade, the login page (Dutch, so the compiled catalogue is loaded) and a static file.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from babel.messages.mofile import read_mo

from vp_registry.db import make_engine
from vp_registry.services.infrastructure import schema

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "vp_registry"

pytestmark = pytest.mark.slow

# What a fresh clone does not have (.gitignore), plus top-level folders the build does not need.
ANYWHERE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo", "*.egg-info")
TOP_LEVEL = {".git", ".venv", "build", "dist", "instance", "test-artifacts", ".hypothesis",
             ".mypy_cache", ".pytest_cache", ".ruff_cache", "messages.pot", "tests", "benchmarks"}


def _not_in_a_clone(directory: str, names: list[str]) -> set[str]:
    ignored = set(ANYWHERE(directory, names))
    return ignored | (TOP_LEVEL & set(names)) if Path(directory) == ROOT else ignored


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None
         ) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=180, check=False)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built offline with the virtualenv's setuptools (no build isolation)."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=_not_in_a_clone)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
          "--disable-pip-version-check", "--quiet", "-w", str(work / "dist"), str(source)],
         cwd=work)
    [built] = (work / "dist").glob("vp_registry-*.whl")
    return built


def _files_under(directory: Path, pattern: str = "**/*") -> set[str]:
    return {path.relative_to(directory).as_posix() for path in directory.glob(pattern)
            if path.is_file() and "__pycache__" not in path.parts}


def test_wheel_carries_templates_migrations_static_files_and_catalogue(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        mo_bytes = archive.read(f"{PACKAGE}/translations/nl/LC_MESSAGES/messages.mo")

    def shipped(prefix: str) -> set[str]:
        return {name.removeprefix(prefix) for name in names if name.startswith(prefix)}

    assert _files_under(ROOT / "templates") <= shipped(f"{PACKAGE}/templates/")
    migrations = shipped(f"{PACKAGE}/migrations/")
    assert {"env.py", "script.py.mako"} <= migrations
    versions = _files_under(ROOT / "migrations" / "versions", "*.py")
    assert versions and {f"versions/{name}" for name in versions} <= migrations
    for directory in ("static", "data", "render/templates"):
        expected = _files_under(ROOT / PACKAGE / directory)
        assert expected and expected <= shipped(f"{PACKAGE}/{directory}/"), directory
    # Compiled at build time from the .po (the copy had no .mo), and really Dutch.
    message = read_mo(io.BytesIO(mo_bytes)).get("Log in")
    assert message is not None and message.string == "Inloggen"
    # Nothing lands at the top level of site-packages under a generic name (templates/, ...).
    top_level = {name.split("/")[0] for name in names}
    assert {name for name in top_level if not name.endswith(".dist-info")} == {PACKAGE}


RUN_INSTALLED = textwrap.dedent("""
    import json, secrets, sys
    from pathlib import Path

    import vp_registry
    from vp_registry import create_app
    from vp_registry.app_state import app_state
    from vp_registry.config import Settings
    from vp_registry.core.crypto import FAST_KDF_FOR_TESTS
    from vp_registry.services.infrastructure import schema

    work = Path(sys.argv[1])
    settings = Settings(
        environment="development", secret_key=secrets.token_urlsafe(48),
        audit_key=secrets.token_urlsafe(48), backup_key=secrets.token_urlsafe(48),
        database_url=f"sqlite:///{work / 'registry.sqlite3'}",
        instance_path=str(work / "instance"), password_kdf=FAST_KDF_FOR_TESTS, testing=True)
    app = create_app(settings)
    engine = app_state(app).engine
    schema.upgrade(engine)
    with engine.connect() as connection:
        revision = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    client = app.test_client()
    login = client.get("/login")
    style = client.get("/static/style.css")
    print(json.dumps({
        "module": vp_registry.__file__,
        "templates": app.template_folder,
        "migrations": schema.alembic_config(engine).get_main_option("script_location"),
        "revision": revision,
        "login_status": login.status_code,
        "login_html": login.get_data(as_text=True),
        "style_status": style.status_code,
    }))
""")


def test_installed_wheel_upgrades_the_schema_and_serves_the_login_page(
    wheel: Path, tmp_path: Path
) -> None:
    target = tmp_path / "site"
    _run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet",
          "--disable-pip-version-check", "--target", str(target), str(wheel)], cwd=tmp_path)
    assert (target / PACKAGE / "migrations" / "env.py").is_file()
    work = tmp_path / "run"  # outside the repository: nothing there to fall back on
    work.mkdir()
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("VP_", "FLASK_")) and name not in {"DATABASE_URL", "PYTHONPATH"}}
    env["PYTHONPATH"] = str(target)  # first on sys.path; the dependencies come from the venv
    result = _run([sys.executable, "-c", RUN_INSTALLED, str(work)], cwd=work, env=env)
    seen = json.loads(result.stdout.strip().splitlines()[-1])

    installed = target.resolve()
    for key in ("module", "templates", "migrations"):
        assert Path(seen[key]).resolve().is_relative_to(installed), (key, seen[key])
    head = ScriptDirectory.from_config(schema.alembic_config(make_engine("sqlite://")))
    assert seen["revision"] == head.get_current_head()
    assert seen["login_status"] == 200
    html = seen["login_html"]
    assert html.lstrip().lower().startswith("<!doctype html>")
    assert "Inloggen" in html and 'name="password"' in html and 'name="csrf_token"' in html
    assert seen["style_status"] == 200
