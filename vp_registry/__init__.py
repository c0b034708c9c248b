"""vp-registry: the registry of the Dutch vertrouwenspersoon (confidential counsellor)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from vp_registry.config import Settings


def create_app(settings: Settings | None = None) -> Flask:
    """Application factory (imported lazily so ``vp_registry.core`` stays Flask-free)."""
    from vp_registry.app import create_app as factory

    return factory(settings)
