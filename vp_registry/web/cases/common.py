"""What the case and vault views share: the request's vault keys and the locked page.

The vault key lives only in the server-side session row (sealed under the cookie's token).
:func:`current_keys` opens it once per request. A counsellor whose session holds no current
key - no grant yet, granted after logging in, keys rotated since, or a grant revoked since
(checked on every request, in the statement that loads the vault) - gets the explanation
page from :func:`locked_page`, never an error.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import g, render_template, request, session
from flask_login import current_user

from vp_registry.app_state import app_state
from vp_registry.core.crypto import DecryptionError
from vp_registry.db.vault import CounsellorKey
from vp_registry.services.cases import listing_cache as case_listing_cache
from vp_registry.services.cases.search_index import SearchIndex
from vp_registry.services.errors import NoGrant, VaultLocked
from vp_registry.services.vault import grants, store, unlocking
from vp_registry.services.vault.keyring import VaultKeys
from vp_registry.web.cases.forms import UnlockForm
from vp_registry.web.database import db_session
from vp_registry.web.sessions import drop_vault_key, session_vault_key
from vp_registry.web.speedups import csrf, session_memory

View = TypeVar("View", bound=Callable[..., Any])


def current_keys() -> VaultKeys | None:
    """The unlocked vault keys of this request, or None (opened once per request)."""
    if "vault_keys" not in g:
        keys: VaultKeys | None = None
        try:
            key = session_vault_key(session)
            if key is not None:  # the one guard: the user holds a grant at this moment
                keys = unlocking.open_keys(db_session(), app_state().settings, key,
                                           holder=current_user.id, read=_session_vault_read())
        except NoGrant:
            drop_vault_key(session)  # revoked: the session forgets the key
        except (VaultLocked, DecryptionError):
            keys = None
        if keys is None:  # locked: what this session decrypted before goes (issue 15)
            session_memory.forget_session()
        else:  # the session's CSRF token, signed once per session (issue 15, session 10)
            csrf.establish()
        g.vault_keys = keys
    return cast(VaultKeys | None, g.vault_keys)


def _session_vault_read() -> unlocking.VaultRead | None:
    """The vault-and-grant columns read with the session row at the start of this request
    (web/sessions.py; issue 15, session 8), for a GET or HEAD only: such a request changes
    no grant or vault before its keys are opened, so they are what the statement would read
    now. A POST (unlocking, granting, rotating in this request) reads them afresh."""
    read: unlocking.VaultRead | None = g.pop("web_session_vault", None)
    return read if request.method in ("GET", "HEAD") else None


def listing_cache() -> case_listing_cache.ListingCache:
    """The vault's encrypted case-listing index (issue 15): the first list after a login
    reads it instead of decrypting every case."""
    return case_listing_cache.ListingIndex()


def search_index() -> SearchIndex:
    """The vault's encrypted free-text search index (issue 15): a search reads it instead of
    decrypting every case's text fields and notes."""
    return SearchIndex()


def vault_state() -> str:
    """Why this counsellor cannot open the case files, for the explanation page."""
    db = db_session()
    found = store.get_vault(db)
    if found is None:
        return "not_initialised"
    if found.key_version == 0:
        return "no_key_yet"
    if db.get(CounsellorKey, current_user.id) is None:
        return "no_key_pair"
    if not grants.has_access(db, current_user.id):
        return "no_access"
    return "locked"


def locked_page() -> tuple[str, int]:
    """The explanation (and, where it helps, the unlock form) instead of a case page."""
    db_session().rollback()  # nothing of a refused request is stored
    return render_template(
        "cases/locked.html", state=vault_state(), form=UnlockForm(),
        # the path only: a query string may hold a search (issue 11, item 3)
        next_url=request.path if request.method == "GET" else None,
    ), 200


def needs_vault(view: View) -> View:
    """Case pages need the vault key: without it the explanation page answers instead (the
    one handler of access errors, web.access)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_keys() is None:
            raise VaultLocked()
        return view(*args, **kwargs)

    return cast(View, wrapper)
