"""``vp-registry`` before there is any configuration: help works, commands say what is missing.

The first thing an operator types on a new machine is ``vp-registry --help``; it used to create
the application first and print a traceback. These run the installed console script in a
subprocess with no ``VP_*``/``DATABASE_URL`` variables, from an empty directory (so no
``instance/config.py`` either).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).with_name("vp-registry")


def run_cli(*args: str, cwd: Path, **extra_env: str) -> subprocess.CompletedProcess[str]:
    assert SCRIPT.is_file(), f"{SCRIPT} is missing: install the project (make install)"
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("VP_", "FLASK_")) and name != "DATABASE_URL"}
    env.update(extra_env)
    return subprocess.run([str(SCRIPT), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=60, check=False, stdin=subprocess.DEVNULL)


def assert_no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stdout + result.stderr, result.stderr


def test_help_needs_no_configuration_and_lists_every_command(tmp_path: Path) -> None:
    from vp_registry.cli import app_commands

    result = run_cli("--help", cwd=tmp_path)
    assert_no_traceback(result)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    listed = result.stdout.split("Commands:", 1)[1]
    names = {line.split()[0] for line in listed.splitlines() if line.strip()}
    assert {command.name for command in app_commands()} | {"init-config", "run"} <= names


@pytest.mark.parametrize("args", [["users", "--help"], ["report", "build", "--help"]])
def test_command_help_needs_no_configuration(args: list[str], tmp_path: Path) -> None:
    result = run_cli(*args, cwd=tmp_path)
    assert_no_traceback(result)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Usage: vp-registry {' '.join(args[:-1])} [OPTIONS]")
    assert result.stderr == ""


@pytest.mark.parametrize("args", [["init"], ["users", "list"]])
def test_commands_without_configuration_fail_with_one_clear_paragraph(
    args: list[str], tmp_path: Path
) -> None:
    result = run_cli(*args, cwd=tmp_path)
    assert_no_traceback(result)
    assert result.returncode == 1
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1, message
    assert "kan niet starten / cannot start" in message
    assert "SECRET_KEY is missing" in message and "AUDIT_KEY is missing" in message
    expected_file = tmp_path.resolve() / "instance" / "config.py"
    assert f"vp-registry init-config {expected_file}" in message
    assert not expected_file.exists()  # a failing command creates nothing


def test_broken_config_file_is_named_with_its_line_but_not_echoed(tmp_path: Path) -> None:
    config = tmp_path / "instance" / "config.py"
    config.parent.mkdir()
    config.write_text('ENVIRONMENT = "production"\nSECRET_KEY = "s3cret-do-not-print" +\n',
                      encoding="utf-8")
    result = run_cli("users", "list", cwd=tmp_path)
    assert_no_traceback(result)
    assert result.returncode == 1
    assert f"{config.resolve()} cannot be run (SyntaxError at line 2)" in result.stderr
    assert "s3cret-do-not-print" not in result.stderr


def test_bad_value_in_the_environment_is_a_message(tmp_path: Path) -> None:
    result = run_cli("users", "list", cwd=tmp_path, VP_SESSION_IDLE_MINUTES="thirty")
    assert_no_traceback(result)
    assert result.returncode == 1
    assert "SESSION_IDLE_MINUTES has an invalid value (expected int)" in result.stderr
    assert "thirty" not in result.stderr


def test_init_config_then_init_works_from_scratch(tmp_path: Path) -> None:
    """The way out the message names really works: init-config, then init."""
    written = run_cli("init-config", "--development", "instance/config.py", cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    initialised = run_cli("init", cwd=tmp_path)
    assert_no_traceback(initialised)
    assert initialised.returncode == 0, initialised.stderr
    assert (tmp_path / "instance" / "vp-registry.sqlite3").is_file()
