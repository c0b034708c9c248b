"""Free text from a form, cleaned the same way wherever it is stored: case and conversation
fields, the contact channel, the counsellors' profiles and the public page text."""

from __future__ import annotations

from vp_registry.core.taxonomy import N_
from vp_registry.services.errors import ValidationFailed


def clean(text: str | None, limit: int, field: str) -> str | None:
    """Normalised line ends, NUL characters dropped (never meaningful in a text, and
    PostgreSQL refuses them), stripped; ``None`` when nothing is left. Longer than ``limit``
    (after cleaning) is a form error at ``field``."""
    if text is None:
        return None
    text = text.replace("\r\n", "\n").replace("\x00", "").strip()
    if not text:
        return None
    if len(text) > limit:
        raise ValidationFailed(N_("Use at most %(limit)s characters."), field=field, limit=limit)
    return text
