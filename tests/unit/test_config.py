"""Settings fail fast: a missing or weak secret stops the app at start-up."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest

from vp_registry.config import ConfigurationError, Settings, load_settings

STRONG = secrets.token_urlsafe(48)
OTHER = secrets.token_urlsafe(48)


def production(**overrides: object) -> Settings:
    values: dict[str, object] = {"secret_key": STRONG, "audit_key": OTHER}
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def test_strong_production_settings_validate() -> None:
    assert production().validated().session_cookie_secure is True


@pytest.mark.parametrize("secret", ["", "short", "a" * 64])
def test_missing_or_weak_secret_key_is_refused_in_production(secret: str) -> None:
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        production(secret_key=secret).validated()


def test_error_message_never_contains_the_secret() -> None:
    with pytest.raises(ConfigurationError) as error:
        production(secret_key="weak-but-secret-value").validated()
    assert "weak-but-secret-value" not in str(error.value)


def test_audit_key_must_differ_from_secret_key() -> None:
    with pytest.raises(ConfigurationError, match="AUDIT_KEY"):
        production(audit_key=STRONG).validated()


def test_development_accepts_a_placeholder_but_not_nothing() -> None:
    Settings(environment="development", secret_key="dev", audit_key="dev2").validated()
    with pytest.raises(ConfigurationError):
        Settings(environment="development", secret_key="", audit_key="x").validated()


@pytest.mark.parametrize("k", [2, 11])
def test_disclosure_threshold_outside_3_to_10_is_refused(k: int) -> None:
    with pytest.raises(ConfigurationError, match="DISCLOSURE_K"):
        production(disclosure_k=k, band_edges=(k, k + 2, k + 7)).validated()


def test_null_cipher_is_refused_in_production() -> None:
    with pytest.raises(ConfigurationError, match="FIELD_CIPHER"):
        production(field_cipher="null").validated()


def test_settings_are_frozen() -> None:
    settings = production()
    with pytest.raises(AttributeError):
        settings.secret_key = "other"  # type: ignore[misc]


def test_load_settings_reads_instance_file_then_environment(tmp_path: Path) -> None:
    (tmp_path / "config.py").write_text(
        f"SECRET_KEY = {STRONG!r}\nAUDIT_KEY = {OTHER!r}\nDISCLOSURE_K = 4\n"
        "BAND_EDGES = (4, 6, 10)\n"
    )
    settings = load_settings(str(tmp_path), environ={"DATABASE_URL": "sqlite://",
                                                      "VP_SESSION_IDLE_MINUTES": "20"})
    assert settings.disclosure_k == 4
    assert settings.database_url == "sqlite://"
    assert settings.session_idle_minutes == 20


def test_unknown_setting_is_refused(tmp_path: Path) -> None:
    (tmp_path / "config.py").write_text(f"SECRET_KEY = {STRONG!r}\nSECRT_KEY = 'typo'\n")
    with pytest.raises(ConfigurationError, match="SECRT_KEY"):
        load_settings(str(tmp_path), environ={})


def test_missing_configuration_stops_start_up(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="SECRET_KEY is missing"):
        load_settings(str(tmp_path), environ={})


def test_config_example_documents_every_setting() -> None:
    from dataclasses import fields

    example = (Path(__file__).resolve().parents[2] / "config.example.py").read_text()
    documented = set(re.findall(r"^#? ?([A-Z_]+) = ", example, flags=re.MULTILINE))
    internal = {"INSTANCE_PATH", "TESTING"}
    expected = {item.name.upper() for item in fields(Settings)} - internal
    assert expected - documented == set()
