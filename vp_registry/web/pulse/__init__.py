"""Pulse survey pages (issue 16): rounds for the counsellor and admin (:mod:`.views`), results,
release and comments for the counsellor (:mod:`.results`), the public answering page
(:mod:`.public`) and the released results for management (:mod:`.management`)."""

from __future__ import annotations

from flask import Blueprint


def blueprints() -> tuple[Blueprint, ...]:
    """The pulse blueprints, with every route of each registered."""
    from vp_registry.web.pulse import management, public, results

    # results.blueprint is the rounds' blueprint (views), with the results' routes added
    return results.blueprint, public.blueprint, management.blueprint
