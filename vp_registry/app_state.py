"""The application's shared state in one typed object.

Flask keeps per-application objects in ``app.extensions``, a dict of strings to anything: a
misspelt key or a wrong type shows up only at run time, in the one request that reads it.
Everything vp-registry keeps per application (the settings, the engine and its sessions, the
short read caches, the in-memory throttles of the anonymous pages, the built menus) is one
:class:`AppState`, made once by the application factory and read through :func:`app_state`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from flask import Flask, current_app

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from vp_registry.config import Settings
    from vp_registry.services.accounts.organisation import Directory
    from vp_registry.services.infrastructure.readcache import ReadCache
    from vp_registry.web.contact.privacy import Throttles
    from vp_registry.web.navigation import MenuItem

KEY: Final = "vp_registry"


@dataclass
class AppState:
    """What one application (one worker process) shares between its requests."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    directory: ReadCache[Directory]  # departments and categories of the case pages
    case_years: ReadCache[list[int]]  # the case list's year filter
    contact_throttles: Throttles  # anonymous pages: per address, in memory only
    menus: dict[tuple[Any, ...], tuple[MenuItem, ...]] = field(default_factory=dict)


def init_app(app: Flask, state: AppState) -> None:
    app.extensions[KEY] = state


def app_state(app: Flask | None = None) -> AppState:
    """The state of ``app`` (by default the current application)."""
    state: AppState = (app if app is not None else current_app).extensions[KEY]
    return state
