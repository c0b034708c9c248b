"""Domain errors, translated to a message at the edge (web view or CLI).

``message`` is an English source string marked for translation; ``params`` fill its
``%(name)s`` placeholders. Neither ever holds a secret or case content.
"""

from __future__ import annotations

from typing import Any

from vp_registry.core.taxonomy import N_


class DomainError(Exception):
    message: str = N_("The request could not be completed.")

    def __init__(
        self, message: str | None = None, *, field: str | None = None, **params: Any
    ) -> None:
        if message is not None:
            self.message = message
        self.field = field  # the form field the message belongs to, if any
        self.params = params
        super().__init__(self.message % params if params else self.message)


class NotFound(DomainError):
    message = N_("Not found.")


class ValidationFailed(DomainError):
    message = N_("The input is not valid.")


class Conflict(DomainError):
    message = N_("Someone else changed this in the meantime.")


class AuthenticationFailed(DomainError):
    message = N_("Unknown e-mail address or wrong password.")


class Throttled(DomainError):
    message = N_("Too many attempts. Try again in %(minutes)s minutes.")


class AccessDenied(Exception):
    """Not a user error but an access answer: this session may not open the case files.

    Not a :class:`DomainError`: the edge has one handler for it - the explanation page on the
    web (web.access), the message and exit code 1 in the CLI (cli.answer_access_errors) -
    never a form message. ``message`` and ``params`` as for a DomainError."""

    message: str = N_("You have no access to this.")

    def __init__(self, message: str | None = None, **params: Any) -> None:
        if message is not None:
            self.message = message
        self.params = params
        super().__init__(self.message % params if params else self.message)


class VaultLocked(AccessDenied):
    """This session holds no (current) vault key: the counsellor has no access (yet)."""

    message = N_("The case files are locked for this session.")


class NoGrant(AccessDenied):
    """The user on whose behalf a session's key is used holds no grant (any more): the caller
    treats the session as holding no key (issue 11)."""
