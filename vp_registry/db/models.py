"""Import every model module so ``Base.metadata`` is complete (Alembic, tests, create_all)."""

from vp_registry.db.accounts import LoginThrottle, User, WebSession
from vp_registry.db.audit import AuditEntry, AuditHead
from vp_registry.db.organisation import Category, Department

__all__ = [
    "AuditEntry",
    "AuditHead",
    "Category",
    "Department",
    "LoginThrottle",
    "User",
    "WebSession",
]
