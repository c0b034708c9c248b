"""The CLI answers an access error (no vault key, no grant) in one place (cli.answer_access_errors):
the message and exit code 1, whichever command raised it - never a traceback (issue 13)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskCliRunner

from vp_registry.cli import app_commands
from vp_registry.services.errors import VaultLocked
from vp_registry.services.vault import store


def test_an_access_error_in_any_command_prints_its_message_and_exits_1(
    runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    def locked(*_args: object) -> object:
        raise VaultLocked("No vault key here: %(reason)s.", reason="test")

    monkeypatch.setattr(store, "status", locked)  # 'vault status' catches no error itself
    result = runner.invoke(args=["vault", "status"])
    assert result.exit_code == 1
    assert "No vault key here: test." in result.output
    assert not isinstance(result.exception, VaultLocked)  # answered, not a traceback


def test_every_command_is_answered_once() -> None:
    """The answer is put around each top-level command once (a group's subcommands run
    inside it), however often an application registers the commands."""
    first, again = app_commands(), app_commands()
    assert [command.invoke for command in first] == [command.invoke for command in again]
    assert all(command.invoke.__qualname__.startswith("answer_access_errors")
               for command in first)
