"""Management's view of the pulse: the released results of each round, and nothing else.

Managers only. Everything here is a stored release (``released_results``: the figures the
counsellor released, exactly as previewed), never a new computation. A round that does not
exist or is not released answers 404 - the same answer for both, so an id tells a manager
nothing.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from vp_registry.core.taxonomy import Role
from vp_registry.services.pulse import results, rounds
from vp_registry.web.access import roles
from vp_registry.web.database import current_work
from vp_registry.web.pulse.views import template_helpers

blueprint = Blueprint("pulse_results", __name__, url_prefix="/management/pulse")
blueprint.context_processor(template_helpers)


@blueprint.get("")
@roles(Role.MANAGER)
def released_rounds() -> str:
    db = current_work().session
    found = [r for r in (results.released_results(db, row.id)
                         for row in rounds.list_rounds(db)) if r is not None]
    return render_template("pulse/released.html", results=found)


@blueprint.get("/<int:round_id>")
@roles(Role.MANAGER)
def released_round(round_id: int) -> str:
    found = results.released_results(current_work().session, round_id)
    if found is None:
        abort(404)
    return render_template("pulse/released_round.html", result=found)
