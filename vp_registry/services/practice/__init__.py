"""The practice's own view across its client organisations (issue 17).

An external counsellor serves several client organisations, each with its own database and
vault (docs/design.md, "Organisations"). These services take one unit of work per
organisation - :class:`ClientWork` - whose session and vault keys come from that organisation
alone, and never combine keys or rows of two organisations: every figure shown for a client
is computed in that client's own database with that client's own keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vp_registry.services.organisations.registry import Organisation
    from vp_registry.services.work import Work


@dataclass(frozen=True)
class ClientWork:
    """One client organisation and a unit of work in its own database, acting as the
    counsellor's account there, with the keys that organisation's session unlocked."""

    organisation: Organisation
    work: Work
    # the vault's listing index as read with the session's row in this unit of work
    # (services/cases/listing_cache.IndexRead), or None: the overview reads it itself
    index_read: Any = None
    # the open cases as read with the session's row (services/cases/overview.open_cases_of),
    # or None: the overview reads them itself
    open_rows: Any = None
