"""TEST ONLY: run the real ``vp-registry`` command line, counting its database steps.

A *step* is every SQL statement about to be sent and every COMMIT about to be issued; two
SQLAlchemy event listeners count them from outside (nothing in ``vp_registry`` knows about
them). Per run:

- ``steps_file``: at the end, the number of steps taken is written here (calibration);
- ``pause_at`` = N with ``paused_file``: just before step N the process creates the paused
  file and sleeps, so that the test can SIGKILL it exactly there.

``python killpoint.py --serve`` is a small fork server: it imports the command line once, then
for every JSON request on its standard input forks a child process that runs
``vp-registry ARGS`` (environment, standard input and output as requested) and reports the
child's pid and, when the child has ended, its wait status. The children are ordinary
processes: the test kills them with SIGKILL. Forking saves the second or two of imports per
run; the final run of every crash test uses the unmodified console script instead.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from vp_registry.app_state import app_state

_state: dict[str, Any] = {"steps": 0, "pause_at": 0, "paused_file": ""}


def _step(*_args: Any, **_kwargs: Any) -> None:
    _state["steps"] += 1
    if _state["steps"] == _state["pause_at"] and _state["paused_file"]:
        Path(_state["paused_file"]).write_text(str(_state["steps"]), encoding="utf-8")
        time.sleep(600)  # the test kills us here; the sleep only bounds a forgotten process


event.listen(Engine, "before_cursor_execute", _step)
event.listen(Engine, "commit", _step)


def _run_child(request: dict[str, Any]) -> int:
    """In the forked child: become ``vp-registry ARGS`` and return its exit code."""
    from vp_registry.cli import main

    stdin_fd = os.open(request["stdin_file"], os.O_RDONLY)
    output_fd = os.open(request["output_file"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(stdin_fd, 0)
    os.dup2(output_fd, 1)
    os.dup2(output_fd, 2)
    sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115 - lives as long as we do
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    os.environ.clear()
    os.environ.update(request["env"])
    _state.update(steps=0, pause_at=request.get("pause_at", 0),
                  paused_file=request.get("paused_file", ""))
    code = 0
    try:
        main(args=request["args"], prog_name="vp-registry")
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    except BaseException as error:  # reported like an unhandled exception would be
        print(f"unhandled: {error!r}", file=sys.stderr)
        code = 1
    if request.get("steps_file"):
        Path(request["steps_file"]).write_text(str(_state["steps"]), encoding="utf-8")
    sys.stdout.flush()
    sys.stderr.flush()
    return code


def _warm_up() -> None:
    """Import everything a command imports (the app factory imports its blueprints lazily),
    once, before forking. The app made here is thrown away; it never connects."""
    import secrets

    import vp_registry.cli  # noqa: F401
    from vp_registry import create_app
    from vp_registry.config import Settings
    from vp_registry.core.crypto import FAST_KDF_FOR_TESTS

    app = create_app(Settings(environment="development", secret_key=secrets.token_hex(32),
                              audit_key=secrets.token_hex(32), database_url="sqlite://",
                              password_kdf=FAST_KDF_FOR_TESTS, testing=True))
    app_state(app).engine.dispose()


def serve() -> None:
    _warm_up()

    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                code = _run_child(request)
            finally:
                os._exit(code)
        print(json.dumps({"pid": pid}), flush=True)
        _pid, status = os.waitpid(pid, 0)
        print(json.dumps({"status": status}), flush=True)


if __name__ == "__main__":
    serve()
