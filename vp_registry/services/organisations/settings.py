"""An organisation's settings: the installation's, with that organisation's overrides.

Only settings that belong to one organisation may be overridden - its disclosure rules, the
registry's start, retention, the pulse threshold, language and time zone. Secrets, the
database, sessions and password hashing stay the installation's. Overrides are stored in the
registry row as a JSON object of upper-case setting names (as in ``config.py``) and validated
with the same :meth:`Settings.validated` as the configuration file, when stored and whenever
they are used.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from vp_registry.config import ConfigurationError, Settings, coerce_setting

if TYPE_CHECKING:
    from vp_registry.services.organisations.registry import Organisation

OVERRIDABLE: Final = frozenset({
    "disclosure_k", "min_department_size", "min_organisation_size", "band_edges",
    "pulse_min_responses", "registry_start", "retention_months", "default_locale", "time_zone",
})


class InvalidOverrides(ValueError):
    """An override that is unknown or out of bounds; the message names settings, never values."""


def parse_overrides(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Overrides by lower-case field name, coerced to the setting's type; unknown names
    raise :class:`InvalidOverrides`."""
    defaults = Settings()
    parsed: dict[str, Any] = {}
    for key, value in raw.items():
        name = str(key).lower()
        if name not in OVERRIDABLE:
            raise InvalidOverrides(f"{str(key).upper()} cannot be set per organisation")
        try:
            parsed[name] = coerce_setting(value, getattr(defaults, name))
        except (ValueError, TypeError) as error:
            raise InvalidOverrides(f"{name.upper()} has an invalid value") from error
    if "disclosure_k" in parsed and "band_edges" not in parsed:
        parsed["band_edges"] = None  # derived from k in apply_overrides
    return parsed


def apply_overrides(settings: Settings, overrides: Mapping[str, Any], *,
                    name: str | None = None, slug: str | None = None) -> Settings:
    """``settings`` with ``overrides`` (from :func:`parse_overrides`), validated; a k without
    band edges keeps the installation's edges above k. A client organisation's ``name``
    becomes ORGANISATION_NAME, and its ``slug`` goes into the TOTP issuer, so that a
    counsellor's authenticator app tells the organisations' codes apart."""
    values = dict(overrides)
    if values.get("band_edges", ...) is None:
        k = int(values["disclosure_k"])
        values["band_edges"] = (k, *(edge for edge in settings.band_edges if edge > k))
    if name:
        values["organisation_name"] = name
    if slug:
        values["totp_issuer"] = f"{settings.totp_issuer} {slug}"
    try:
        return settings.with_overrides(**values).validated()
    except ConfigurationError as error:
        raise InvalidOverrides(str(error)) from error


def validate_overrides(settings: Settings, raw: Mapping[str, Any]) -> str:
    """The JSON text to store for ``raw`` overrides, after checking them against
    ``settings``; :class:`InvalidOverrides` names what is wrong."""
    parsed = parse_overrides(raw)
    apply_overrides(settings, parsed)
    stored = {key.upper(): (list(value) if isinstance(value, tuple) else value)
              for key, value in parsed.items() if value is not None}
    return json.dumps(stored, sort_keys=True, separators=(",", ":"))


def settings_for(settings: Settings, organisation: Organisation) -> Settings:
    """The installation's settings with ``organisation``'s overrides (validated) and, for a
    client organisation, its name as ORGANISATION_NAME. The home organisation's settings are
    the installation's, unchanged."""
    if organisation.is_home and not organisation.settings:
        return settings
    client = not organisation.is_home
    return apply_overrides(settings, parse_overrides(organisation.settings),
                           name=organisation.name if client else None,
                           slug=organisation.slug if client else None)
