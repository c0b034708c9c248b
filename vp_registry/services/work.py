"""The unit of work: one transaction, who acts in it, the configuration and the vault keys.

Every use case takes a :class:`Work` first (cosmicpython's ``uow``; Indico's operations that
flush and never commit). A web request and a CLI command open its session with the same function,
:func:`new_session`, and end it in one place: :meth:`Work.commit` or :meth:`Work.rollback`.
Services never commit and never roll back their caller: a write that may meet a concurrent
change runs inside :meth:`Work.conflicts`, a savepoint whose failure becomes the service's
``Conflict`` while the caller's transaction - and the audit entries queued in it - stay.

Access errors (no vault key in this session, no grant) are :class:`AccessDenied`, not
``DomainError``: the edge has one handler for them (the explanation page), never a form
message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session, SessionTransaction, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from vp_registry.config import Settings
from vp_registry.services.errors import DomainError, VaultLocked
from vp_registry.services.infrastructure import audit
from vp_registry.services.infrastructure.audit import Actor

if TYPE_CHECKING:
    from vp_registry.services.vault.keyring import VaultKeys

KeysOpener = Callable[[], "VaultKeys | None"]


def _no_keys() -> VaultKeys | None:
    return None


class Work:
    """One transaction and its context. Services flush; only the creator commits."""

    def __init__(self, session: Session, settings: Settings, actor: Actor, *,
                 keys: VaultKeys | None = None, open_keys: KeysOpener | None = None) -> None:
        self.session = session
        self.settings = settings
        self.actor = actor
        self._keys = keys
        self._open_keys = open_keys if keys is None and open_keys is not None else _no_keys
        self._keys_opened = keys is not None

    # ---------------------------------------------------------------- the vault keys

    @property
    def keys(self) -> VaultKeys:
        """The unlocked vault keys; :class:`VaultLocked` (an access error) without them."""
        keys = self.keys_or_none()
        if keys is None:
            raise VaultLocked()
        return keys

    def keys_or_none(self) -> VaultKeys | None:
        """The keys if this session holds them, opened at most once (lazily: most pages
        never need them, and opening costs a key unwrap)."""
        if not self._keys_opened:
            self._keys = self._open_keys()
            self._keys_opened = True
        return self._keys

    def with_keys(self, keys: VaultKeys) -> Work:
        """This unit of work acting with keys just unlocked (the CLI's password step)."""
        self._keys, self._keys_opened = keys, True
        return self

    # ---------------------------------------------------------------- writing

    def flush(self) -> None:
        self.session.flush()

    @contextmanager
    def conflicts(self, conflict: Callable[[], DomainError], *,
                  on: tuple[type[Exception], ...] = (StaleDataError,)) -> Iterator[None]:
        """Changes made in this block are flushed in a savepoint; a concurrent change
        (``on``: by default a version check that finds another revision; pass
        ``IntegrityError`` too where a concurrent insert of the same unique key is the
        conflict) rolls back the savepoint only and raises ``conflict()``. The caller's
        transaction and the audit entries queued before the block stay, so a conflict page
        that shows content still records that it was read."""
        savepoint = self.session.begin_nested()
        try:
            yield
            self.session.flush()
        except on:
            self._roll_back(savepoint)
            raise conflict() from None
        except BaseException:
            self._roll_back(savepoint)
            raise
        savepoint.commit()

    def _roll_back(self, savepoint: SessionTransaction) -> None:
        # A failed flush deactivates the savepoint without closing it: roll it back all the
        # same, or the caller's commit raises PendingRollbackError.
        if savepoint.is_active or self.session.get_nested_transaction() is savepoint:
            savepoint.rollback()

    def audit(self, action: str, **target: Any) -> None:
        """Queue an audit entry for this actor (appended when the work commits)."""
        audit.record(self.session, self.settings.audit_key, self.actor, action, **target)

    # ---------------------------------------------------------------- the end

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()

    def close(self) -> None:
        self.session.rollback()
        self.session.close()


def new_session(factory: sessionmaker[Session]) -> Session:
    """The session of a unit of work, web request or CLI command alike: its audit entries
    are queued and appended at the commit (the head-row lock is held only then)."""
    session = factory()
    audit.defer_appends(session)
    return session


def begin(factory: sessionmaker[Session], settings: Settings, actor: Actor, *,
          keys: VaultKeys | None = None, open_keys: KeysOpener | None = None) -> Work:
    """A new unit of work on a new session (a web request builds its Work on the request's
    session from :func:`new_session`, see ``web.database.current_work``)."""
    return Work(new_session(factory), settings, actor, keys=keys, open_keys=open_keys)


@contextmanager
def unit_of_work(factory: sessionmaker[Session], settings: Settings, actor: Actor, *,
                 keys: VaultKeys | None = None) -> Iterator[Work]:
    """A CLI command's unit of work: commit when the block ends normally, roll back on any
    error (nothing half-done is stored), close always."""
    work = begin(factory, settings, actor, keys=keys)
    try:
        yield work
        work.commit()
    except BaseException:
        work.rollback()
        raise
    finally:
        work.close()
