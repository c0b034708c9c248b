"""Why an annual report action is refused: the year, a conflict, no draft, or the auditor."""

from __future__ import annotations

from vp_registry.core.taxonomy import N_
from vp_registry.services.errors import Conflict, DomainError, NotFound, ValidationFailed


class YearNotOver(ValidationFailed):
    message = N_("The annual report of %(year)s can be finalised once the year is over, from "
                 "1 January %(next)s.")


class ReportBlocked(DomainError):
    """The report cannot be released as it is. ``explanation`` is for the counsellor only: it
    may describe small numbers, so it is never logged and never shown to anybody else."""

    message = N_("The annual report cannot be released as it is: it would make a small number "
                 "traceable, or change a figure that was released before.")

    def __init__(self, explanation: str) -> None:
        super().__init__()
        self.explanation = explanation

    def __repr__(self) -> str:  # never the explanation
        return "ReportBlocked()"


class ReportConflict(Conflict):
    message = N_("Someone else changed this annual report in the meantime. Check it and try "
                 "again.")


class AlreadyFinal(Conflict):
    message = N_("This annual report has been finalised and cannot be changed. Start a "
                 "correction to make a new version.")


class NoDraft(NotFound):
    message = N_("There is no draft of this annual report. Save its texts first.")
