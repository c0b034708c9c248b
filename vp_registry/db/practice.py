"""The practice registry (issue 17): the organisations one installation serves.

The table lives in the main database, the home organisation's, which holds this registry and
nothing of another organisation. Every other organisation has a database of its own (a schema
on PostgreSQL, a file on SQLite: services/organisations/databases.py) with the whole schema,
this table included and empty there: one metadata, one line of migrations for all databases.

A deleted organisation keeps its row with the slug and the dates only (the name is blanked):
the slug is never given out again, and the registry holds no trace of who the client was.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from vp_registry.db import Base, utcnow


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    # A host name that selects this organisation (lower case, no port); NULL: by URL prefix only.
    host: Mapped[str | None] = mapped_column(String(253), unique=True, nullable=True)
    is_home: Mapped[bool] = mapped_column(Boolean, default=False)
    # JSON object: the organisation's overrides of disclosure and retention settings
    # (services/organisations/settings.py validates them).
    settings: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    __table_args__ = (
        # at most one home row (the migration makes exactly one in the main database)
        Index("uq_organisations_home", "is_home", unique=True,
              sqlite_where=text("is_home"), postgresql_where=text("is_home")),
    )
