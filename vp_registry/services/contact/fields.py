"""Cleaning the free text of the contact channel and the public page before it is stored."""

from __future__ import annotations

from vp_registry.core.taxonomy import N_
from vp_registry.services.errors import ValidationFailed


def clean(text: str | None, limit: int, field: str, *, drop_nul: bool = False) -> str | None:
    """Normalised line ends, stripped, ``None`` when empty; too long is a form error.
    ``drop_nul``: the channel removes NUL characters (a sender's text is never trusted)."""
    if text is None:
        return None
    text = text.replace("\r\n", "\n")
    if drop_nul:
        text = text.replace("\x00", "")
    text = text.strip()
    if not text:
        return None
    if len(text) > limit:
        raise ValidationFailed(N_("Use at most %(limit)s characters."), field=field, limit=limit)
    return text
