"""Files that hold registry data are readable by their owner only (issue 11, item 5c).

The database (and SQLite's ``-wal``, ``-shm`` and ``-journal`` files), backups, the instance
configuration and report files are *created* with mode 0600 - never created with the umask's
mode and tightened afterwards, which would leave them readable by anyone in between.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path
from typing import Final

PRIVATE_MODE: Final = 0o600
SQLITE_COMPANIONS: Final = ("-wal", "-shm", "-journal")


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, mode 0600.

    A temporary file in the same folder (``mkstemp`` creates it 0600) is written, flushed to
    disk and renamed over ``path``: a failed run never leaves half a file under the final
    name, and an existing file of another mode is replaced, not reused.
    """
    descriptor, temporary = tempfile.mkstemp(dir=path.resolve().parent,
                                             prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def make_private(path: Path) -> None:
    """Take group and other permissions away from an existing file (made by an older version
    or copied in by hand). Best effort: a file we do not own is left to the operator."""
    try:
        current = stat.S_IMODE(path.stat().st_mode)
        if current & 0o077:
            os.chmod(path, current & 0o700)
    except FileNotFoundError:
        return
    except PermissionError:
        return


def prepare_sqlite_file(database: str) -> None:
    """Create the SQLite database file 0600 before SQLite does (it would use 0644 minus the
    umask), and tighten an existing one and its companions. SQLite gives a new ``-wal``,
    ``-shm`` or ``-journal`` file the mode of the database file, so they follow."""
    path = Path(database)
    if not path.parent.is_dir():
        return  # SQLite reports the missing folder itself
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE))
    for file in (path, *(path.with_name(path.name + suffix) for suffix in SQLITE_COMPANIONS)):
        make_private(file)
