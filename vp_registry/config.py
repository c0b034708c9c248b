"""Typed, frozen settings that fail fast (SecureDrop's sdconfig pattern).

Settings come from, in order: built-in defaults, the instance ``config.py`` (see
``config.example.py`` for every setting, documented), then ``VP_*`` environment variables and
``DATABASE_URL``. Tests build ``Settings`` directly and never touch files or the environment.
"""

from __future__ import annotations

import os
import runpy
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from vp_registry.core.crypto import KdfParams

MIN_SECRET_LENGTH = 32
DEVELOPMENT_PLACEHOLDER = "development-only-not-secret-development-only-not-secret"
PACKAGE_DIR = Path(__file__).resolve().parent


class ConfigurationError(RuntimeError):
    """Raised at start-up when a setting is missing, weak or out of bounds."""


def resource_dir(name: str) -> Path:
    """The run-time directory ``templates`` or ``migrations``.

    They live at the repository top level (docs/design.md section 6); a wheel ships them inside the
    package (pyproject.toml maps them there). The installed copy comes first, so a stray
    ``site-packages/templates`` of some other distribution is never picked up; a checkout or
    an editable install falls back to the top level.
    """
    packaged = PACKAGE_DIR / name
    if packaged.is_dir():
        return packaged
    checkout = PACKAGE_DIR.parent / name
    if checkout.is_dir() and (PACKAGE_DIR.parent / "pyproject.toml").is_file():
        return checkout
    raise FileNotFoundError(
        f"vp-registry's {name}/ is missing (looked in {packaged} and {checkout}): reinstall "
        "the package")


@dataclass(frozen=True)
class Settings:
    # "development" allows placeholder secrets and plain-http cookies (local use only).
    environment: str = "production"
    secret_key: str = ""
    # Key for the audit log's HMAC chain; separate from secret_key so rotating one leaves the other.
    audit_key: str = ""
    database_url: str = ""
    instance_path: str = "instance"
    # Password hashing (login) and password-derived wrapping keys (vault): Argon2id parameters.
    password_kdf: KdfParams = field(default_factory=KdfParams)
    session_idle_minutes: int = 30
    session_absolute_hours: int = 8
    max_request_bytes: int = 2 * 1024 * 1024
    default_locale: str = "nl"
    # The organisation's time zone (IANA name): times on the pages, such as the audit log's,
    # are shown in it; the database keeps UTC.
    time_zone: str = "Europe/Amsterdam"
    organisation_name: str = "Voorbeeld Techniek B.V."
    # Login throttling: failures allowed before back-off starts, first and maximum lock-out.
    throttle_free_attempts: int = 5
    throttle_base_seconds: int = 30
    throttle_max_seconds: int = 3600
    # A client address's failures count for this long (sliding window; accounts never forget).
    throttle_window_seconds: int = 900
    # Disclosure control (docs/design.md section 4)
    disclosure_k: int = 3
    min_department_size: int = 10
    min_organisation_size: int = 50
    band_edges: tuple[int, ...] = (3, 5, 10)
    # The pulse (issue 16): a group's results exist only with at least this many responses
    # (never below DISCLOSURE_K; docs/decisions.md "Pulse survey (issue 16)").
    pulse_min_responses: int = 5
    # The registry's first day (YYYY-MM-DD, public; empty: not known). No case may be opened
    # before it: the disclosure auditor knows the quarters before it are empty, and the annual
    # report may show "carried over" for its first year (none, issue 12); without it that
    # number is shown only when it repeats last year's report.
    registry_start: str = ""
    retention_months: int = 12
    # Null cipher is for benchmarks only; refused outside development.
    field_cipher: str = "aes-256-gcm"
    backup_key: str = ""
    totp_issuer: str = "vp-registry"
    # Reverse proxies in front of the app that append to X-Forwarded-For/-Proto (0: none are
    # trusted, the client address is the TCP peer; see docs/operations.md).
    trusted_proxies: int = 0
    # Organisations (issue 17): whether a request's host name may select a client organisation
    # (its registered host); off, organisations are reached under /o/<slug>/ only, and no
    # request costs a look-up by host.
    organisation_hosts: bool = False
    testing: bool = False

    @property
    def registry_start_date(self) -> date | None:
        """``registry_start`` as a date (None when not set); validated() checks the format."""
        return date.fromisoformat(self.registry_start) if self.registry_start else None

    @property
    def is_development(self) -> bool:
        return self.environment == "development"

    @property
    def session_cookie_secure(self) -> bool:
        return not (self.is_development or self.testing)

    def validated(self) -> Settings:
        """Return self, or raise ConfigurationError naming what is wrong (never its value)."""
        problems: list[str] = []
        if self.environment not in {"production", "development"}:
            problems.append("ENVIRONMENT must be 'production' or 'development'")
        problems += self._key_problems()
        problems += self._disclosure_problems()
        problems += self._hardening_problems()
        problems += self._operation_problems()
        problems += self._locale_problems()
        if problems:
            raise ConfigurationError("Invalid configuration: " + "; ".join(problems))
        return self

    def _key_problems(self) -> list[str]:
        """SECRET_KEY and AUDIT_KEY: present, strong outside development, and different."""
        problems: list[str] = []
        relaxed = self.is_development or self.testing
        for name in ("secret_key", "audit_key"):
            value: str = getattr(self, name)
            if not value:
                problems.append(f"{name.upper()} is missing")
            elif not relaxed and (len(value) < MIN_SECRET_LENGTH or value == DEVELOPMENT_PLACEHOLDER
                                  or len(set(value)) < 10):
                problems.append(
                    f"{name.upper()} is too weak: use at least {MIN_SECRET_LENGTH} random"
                    " characters (python -c 'import secrets; print(secrets.token_urlsafe(48))')"
                )
        if self.secret_key and self.secret_key == self.audit_key:
            problems.append("AUDIT_KEY must differ from SECRET_KEY")
        return problems

    def _disclosure_problems(self) -> list[str]:
        """The disclosure thresholds (docs/design.md section 4): none can be set unsafe."""
        problems: list[str] = []
        if not 3 <= self.disclosure_k <= 10:
            problems.append("DISCLOSURE_K must be between 3 and 10")
        if not self.band_edges or self.band_edges[0] != self.disclosure_k or list(
            self.band_edges
        ) != sorted(set(self.band_edges)):
            problems.append("BAND_EDGES must be increasing and start at DISCLOSURE_K")
        if self.min_department_size < 1 or self.min_organisation_size < 1:
            problems.append("MIN_DEPARTMENT_SIZE and MIN_ORGANISATION_SIZE must be positive")
        if not self.disclosure_k <= self.pulse_min_responses <= 100:
            problems.append("PULSE_MIN_RESPONSES must be between DISCLOSURE_K and 100")
        return problems

    def _hardening_problems(self) -> list[str]:
        """Password hashing and the field cipher: weakened only for tests (and development)."""
        problems: list[str] = []
        if self.password_kdf.memory_kib < 65536 and not self.testing:
            problems.append("PASSWORD_KDF memory must be at least 64 MiB (65536 KiB)")
        if self.password_kdf.time_cost < 3 and not self.testing:
            problems.append("PASSWORD_KDF time cost must be at least 3")
        if self.field_cipher != "aes-256-gcm" and not (self.testing or self.is_development):
            problems.append("FIELD_CIPHER must be 'aes-256-gcm' in production")
        return problems

    def _operation_problems(self) -> list[str]:
        """Sessions, throttling, the registry's start, retention and proxies within bounds."""
        problems: list[str] = []
        if not 5 <= self.session_idle_minutes <= 24 * 60:
            problems.append("SESSION_IDLE_MINUTES must be between 5 and 1440")
        if not 60 <= self.throttle_window_seconds <= 24 * 3600:
            problems.append("THROTTLE_WINDOW_SECONDS must be between 60 and 86400")
        if self.registry_start:
            try:
                date.fromisoformat(self.registry_start)
            except ValueError:
                problems.append("REGISTRY_START must be a date such as 2025-01-01 (or empty)")
        if self.retention_months < 1:
            problems.append("RETENTION_MONTHS must be at least 1")
        if not 0 <= self.trusted_proxies <= 5:
            problems.append("TRUSTED_PROXIES must be between 0 and 5")
        return problems

    def _locale_problems(self) -> list[str]:
        """A language the application speaks and a time zone the system knows."""
        problems: list[str] = []
        if self.default_locale not in {"nl", "en"}:
            problems.append("DEFAULT_LOCALE must be 'nl' or 'en'")
        if not _is_time_zone(self.time_zone):
            problems.append("TIME_ZONE must be a time zone name such as 'Europe/Amsterdam'")
        return problems

    def with_overrides(self, **overrides: Any) -> Settings:
        return replace(self, **overrides)

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return "sqlite:///" + str(Path(self.instance_path).resolve() / "vp-registry.sqlite3")


def _is_time_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ValueError, OSError, ZoneInfoNotFoundError):  # OSError: a directory ("Europe")
        return False
    return True


def _coerce(name: str, raw: Any, default: Any) -> Any:
    if isinstance(raw, str):
        if isinstance(default, bool):
            return raw.strip().lower() in {"1", "true", "yes", "on"}
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, tuple):
            return tuple(int(part) for part in raw.split(","))
        if isinstance(default, KdfParams):
            return KdfParams.from_json(raw)
    if isinstance(default, tuple) and isinstance(raw, list):
        return tuple(raw)
    if isinstance(default, KdfParams) and isinstance(raw, Mapping):
        return KdfParams(**raw)
    return raw


def coerce_setting(raw: Any, default: Any) -> Any:
    """``raw`` (text, or a JSON value) as a value of ``default``'s type; ValueError or
    TypeError when it is not one (an organisation's overrides, services/organisations)."""
    value = _coerce("", raw, default)
    expected = type(default)
    if isinstance(default, bool) or isinstance(value, bool):
        if type(value) is not type(default):
            raise TypeError("wrong type")
    elif isinstance(default, tuple):
        if not isinstance(value, tuple) or not all(
                isinstance(item, int) and not isinstance(item, bool) for item in value):
            raise TypeError("wrong type")
    elif not isinstance(value, expected):
        raise TypeError("wrong type")
    return value


def config_file_path(
    instance_path: str | None = None, environ: Mapping[str, str] | None = None
) -> Path:
    """The instance config file that ``load_settings`` reads (it need not exist)."""
    env = os.environ if environ is None else environ
    instance = Path(instance_path or env.get("VP_INSTANCE_PATH", "instance")).resolve()
    return Path(env.get("VP_CONFIG", instance / "config.py"))


def _failing_line(error: Exception, config_file: Path) -> int | str:
    """The config file's line where ``error`` arose; the message is not shown (may hold secrets)."""
    if isinstance(error, SyntaxError) and error.lineno:
        return error.lineno
    lines = [lineno for frame, lineno in traceback.walk_tb(error.__traceback__)
             if Path(frame.f_code.co_filename) == config_file]
    return lines[-1] if lines else "?"


def load_settings(
    instance_path: str | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Build validated settings from the instance config file and the environment.

    Every problem, including a config file that does not run or a value of the wrong type,
    is a ConfigurationError, so the command line can say what is wrong without a traceback.
    """
    env = os.environ if environ is None else environ
    instance = Path(instance_path or env.get("VP_INSTANCE_PATH", "instance")).resolve()
    values: dict[str, Any] = {"instance_path": str(instance)}
    config_file = config_file_path(str(instance), env)
    if config_file.is_file():
        try:
            namespace = runpy.run_path(str(config_file))
        except Exception as error:  # a typo in an operator-edited file: name file and line
            raise ConfigurationError(
                f"{config_file} cannot be run ({type(error).__name__} at line "
                f"{_failing_line(error, config_file)})") from error
        values.update({k.lower(): v for k, v in namespace.items() if k.isupper()})
    for item in fields(Settings):
        env_name = "DATABASE_URL" if item.name == "database_url" else "VP_" + item.name.upper()
        if env_name in env:
            values[item.name] = env[env_name]
    defaults = Settings()
    known = {item.name for item in fields(Settings)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigurationError("Unknown settings: " + ", ".join(name.upper() for name in unknown))
    coerced: dict[str, Any] = {}
    for name, raw in values.items():
        try:
            coerced[name] = _coerce(name, raw, getattr(defaults, name))
        except (ValueError, TypeError) as error:  # the value may be secret: not repeated
            raise ConfigurationError(
                f"{name.upper()} has an invalid value (expected "
                f"{type(getattr(defaults, name)).__name__})") from error
    return Settings(**coerced).validated()
