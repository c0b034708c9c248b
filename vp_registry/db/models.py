"""Import every model module so ``Base.metadata`` is complete (Alembic, tests, create_all)."""

from vp_registry.db.accounts import LoginThrottle, User, WebSession
from vp_registry.db.audit import AuditEntry, AuditHead, AuditPending
from vp_registry.db.cases import (
    Case,
    CaseContact,
    CaseErasure,
    CaseKey,
    CaseListingCache,
    CaseListingIndex,
    CaseSearchIndex,
    ErasedQuarter,
)
from vp_registry.db.contact import ContactPost, ContactThread, CounsellorProfile, PublicText
from vp_registry.db.disclosure import DisclosureConstraint, DisclosureFigure, DisclosureRelease
from vp_registry.db.organisation import Category, Department
from vp_registry.db.practice import Organisation
from vp_registry.db.pulse import (
    PulseAnswer,
    PulseCode,
    PulseComment,
    PulseGroupRow,
    PulseRelease,
    PulseResponse,
    PulseRound,
    PulseRoundDepartment,
    PulseStatementRow,
)
from vp_registry.db.reports import Activity, AnnualReportRow
from vp_registry.db.signals import ReleasedSignal, SignalDismissal, SignalFollowUp
from vp_registry.db.vault import CounsellorKey, Vault, VaultGrant, VaultRotation

__all__ = [
    "Activity",
    "AnnualReportRow",
    "AuditEntry",
    "AuditHead",
    "AuditPending",
    "Case",
    "CaseContact",
    "CaseErasure",
    "CaseKey",
    "CaseListingCache",
    "CaseListingIndex",
    "CaseSearchIndex",
    "Category",
    "ContactPost",
    "ContactThread",
    "CounsellorKey",
    "CounsellorProfile",
    "Department",
    "DisclosureConstraint",
    "DisclosureFigure",
    "DisclosureRelease",
    "ErasedQuarter",
    "LoginThrottle",
    "Organisation",
    "PublicText",
    "PulseAnswer",
    "PulseCode",
    "PulseComment",
    "PulseGroupRow",
    "PulseRelease",
    "PulseResponse",
    "PulseRound",
    "PulseRoundDepartment",
    "PulseStatementRow",
    "ReleasedSignal",
    "SignalDismissal",
    "SignalFollowUp",
    "User",
    "Vault",
    "VaultGrant",
    "VaultRotation",
    "WebSession",
]
