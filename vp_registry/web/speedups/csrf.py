"""A web session's CSRF token signed once, not on every page (issue 15, session 10).

Flask-WTF's ``generate_csrf`` keeps a random raw token in the session and, once per
request, signs it with the secret key and the current second (itsdangerous: JSON, base64,
an HMAC - ~4 % of a case page's CPU). Checking a form, it verifies the signature and
compares the signed raw token with the session's; the second only matters against
``WTF_CSRF_TIME_LIMIT``, which this application sets to None (app.py: the token lives as
long as the server-side session). So every token signed for a session is accepted for that
session's whole life, and one signed earlier is as good as one signed now.

:func:`establish` runs when a request's vault keys opened (web/cases/common.current_keys)
and sets the request's token (Flask-WTF's per-request ``g.csrf_token``, which every later
``generate_csrf`` of the request gives - the forms' hidden fields, the templates'
``csrf_token()``, the kept header's): the token this worker signed before for the same web
session, kept in the session's memory (web/speedups/session_memory.py: per organisation
and web session, dropped at logout, at a lock and after the idle timeout) with the raw
token and the secret it was signed for, and reused only while both are the session's and
the application's now; or else one signed now by ``generate_csrf`` itself, and kept.

Nothing changes (``generate_csrf`` signs at each request as before) when a time limit is
configured (a kept token would expire earlier than a fresh one), and for a request whose
vault did not open (a login, an account page, a locked vault: the session memory is looked
up only behind the vault). A kept token of another session is never in reach: the memory
is per session, and a new session at login has a new raw token.
"""

from __future__ import annotations

from flask import current_app, g, session
from flask_wtf.csrf import generate_csrf

from vp_registry.web.speedups import session_memory


def establish() -> None:
    """This request's CSRF token, once its vault keys opened: the session's kept one, or a
    new one kept (see the module's text)."""
    config = current_app.config
    name = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    if name in g or config.get("WTF_CSRF_TIME_LIMIT", 3600) is not None:
        return  # signed already in this request, or tokens expire: signed as before
    secret = config.get("WTF_CSRF_SECRET_KEY", current_app.secret_key)
    raw = session.get(name)
    kept = session_memory.csrf()
    if kept is not None and raw is not None and kept[0] == raw and kept[1] == secret:
        setattr(g, name, kept[2])  # what generate_csrf gives for the rest of the request
        return
    token = generate_csrf()
    session_memory.keep_csrf((session[name], secret, token))
