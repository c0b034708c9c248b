"""Why a signal is not released: the auditor's refusal and the candidate's state."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from vp_registry.core.taxonomy import N_
from vp_registry.services.errors import Conflict, DomainError, ValidationFailed


@dataclass(frozen=True)
class RefusalReason:
    """One reason the auditor refused, as an English source string with its parameters."""

    message: str
    params: Mapping[str, Any] = field(default_factory=dict)


class SignalRefused(DomainError):
    """Disclosure control refused the release; ``reasons`` say why in a counsellor's words."""

    message = N_("Disclosure control refused this release. Nothing was released.")

    def __init__(self, reasons: Sequence[RefusalReason]) -> None:
        super().__init__()
        self.reasons = tuple(reasons)


class AlreadyReleased(Conflict):
    message = N_("This signal has already been released.")


class NotReleasable(ValidationFailed):
    message = N_("This candidate can not be released: it stays with the confidential "
                 "counsellor.")
