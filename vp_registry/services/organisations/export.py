"""An organisation's whole database in one file that only its recovery key opens (issue 17).

When a contract ends, the client organisation takes its registry with it: every table of its
database (what a backup holds: ``services/infrastructure/backup.py``'s dump - cases and
conversations as the ciphertext they are, accounts, vault and grants, the audit chain, the
ledger, signals, reports, activities, contact, pulse), compressed and encrypted with
AES-256-GCM under a fresh random file key. The file key is sealed (X25519, the vault's sealed
box) to the organisation's **recovery public key**, which its vault row holds in plaintext: so
writing an export needs no secret at all, and reading one needs the recovery key printed once
when the organisation was created. The installation's BACKUP_KEY does not open it, nor does
anything of another organisation.

File layout::

    MAGIC | header length (4 bytes) | header (JSON) | AES-256-GCM(file key, gzip(payload))

The header names the format and holds the sealed file key, nothing of the organisation; the
AES-GCM associated data is MAGIC + header, so neither can be swapped or edited. The payload is
JSON: the backup manifest (schema revision, row counts, SHA-256 of the content), the
organisation's slug, name and settings at export time, and the tables. Importing writes the
tables into an empty database with the backup's loader (the schema revision of the export,
then upgraded to the current one).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine

from vp_registry.core import crypto
from vp_registry.core.private_files import write_private
from vp_registry.core.taxonomy import N_
from vp_registry.services.errors import DomainError
from vp_registry.services.infrastructure import backup

MAGIC: Final = b"VPREGISTRY-EXPORT-1\n"
FORMAT_VERSION: Final = 1
_LENGTH: Final = struct.Struct(">I")
_MAX_HEADER: Final = 4096
_SEAL_AAD: Final = MAGIC + b"file-key"
# The practice registry belongs to the installation, not to one organisation (empty in a
# client organisation's database anyway).
PRACTICE_TABLES: Final = frozenset({"organisations"})

Progress = Callable[[str, int], object]


class ExportError(DomainError):
    message = N_("The export could not be read: the file is damaged, or this is not the "
                 "recovery key of the organisation it was made from.")


@dataclass(frozen=True)
class ExportedOrganisation:
    """Who the export was made from (inside the encrypted payload, never in the header)."""

    slug: str
    name: str
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ExportSummary:
    """What an export holds: the dump's manifest, the organisation and the file's digest."""

    manifest: backup.Manifest
    organisation: ExportedOrganisation
    file_sha256: str
    size: int


@dataclass(frozen=True)
class OpenedExport:
    manifest: backup.Manifest
    organisation: ExportedOrganisation
    tables: dict[str, list[dict[str, Any]]]


def _recovery_public_key(tables: dict[str, list[dict[str, Any]]]) -> bytes:
    """The vault's recovery public key, from the dump itself (the snapshot being exported)."""
    rows = tables.get("vault") or []
    if len(rows) != 1:
        raise ExportError(N_("This organisation has no vault yet: an export could never be "
                             "opened. Create its vault first."))
    value = backup.decode_value(rows[0]["recovery_public_key"])
    if not isinstance(value, bytes):
        raise ExportError(N_("This organisation has no vault yet: an export could never be "
                             "opened. Create its vault first."))
    return value


def _header(sealed_key: bytes) -> bytes:
    return json.dumps({"format": FORMAT_VERSION,
                       "sealed_key": base64.b64encode(sealed_key).decode()},
                      sort_keys=True, separators=(",", ":")).encode()


def export_database(engine: Engine, output: Path, organisation: ExportedOrganisation, *,
                    progress: Progress | None = None) -> ExportSummary:
    """Write the whole database behind ``engine`` (one consistent snapshot) to ``output``
    (0600, atomically), encrypted so that only the recovery key of its vault opens it."""
    manifest, tables = backup.dump(engine, progress, skip=PRACTICE_TABLES)
    recipient = _recovery_public_key(tables)
    payload = json.dumps({"manifest": manifest.__dict__,
                          "organisation": organisation.__dict__, "tables": tables},
                         separators=(",", ":")).encode()
    file_key = crypto.random_key()
    header = _header(crypto.seal(recipient, file_key, _SEAL_AAD))
    sealed = crypto.DEFAULT_CIPHER.encrypt(file_key, gzip.compress(payload), MAGIC + header)
    blob = MAGIC + _LENGTH.pack(len(header)) + header + sealed
    write_private(output, blob)
    return ExportSummary(manifest, organisation, hashlib.sha256(blob).hexdigest(), len(blob))


def _split(blob: bytes) -> tuple[bytes, bytes]:
    if not blob.startswith(MAGIC):
        raise ExportError(N_("This is not a vp-registry organisation export."))
    start = len(MAGIC) + _LENGTH.size
    if len(blob) < start:
        raise ExportError()
    (length,) = _LENGTH.unpack(blob[len(MAGIC):start])
    if length > _MAX_HEADER or len(blob) < start + length:
        raise ExportError()
    return blob[start:start + length], blob[start + length:]


def _file_key(header: bytes, recovery_private: bytes) -> bytes:
    try:
        document = json.loads(header)
        if document["format"] != FORMAT_VERSION:
            raise ExportError(N_("This export has format %(version)s, which this version "
                                 "cannot read."), version=document["format"])
        sealed = base64.b64decode(document["sealed_key"], validate=True)
        return crypto.unseal(recovery_private, sealed, _SEAL_AAD)
    except ExportError:
        raise
    except (crypto.DecryptionError, ValueError, KeyError, TypeError) as error:
        raise ExportError() from error


def read_export(path: Path, recovery_private: bytes) -> OpenedExport:
    """Open an export with the raw recovery key (``crypto.parse_recovery_key``); any damage,
    truncation or a wrong key is the same :class:`ExportError`."""
    try:
        blob = path.read_bytes()
    except OSError as error:
        raise ExportError(N_("The export file cannot be opened: %(reason)s"),
                          reason=error.strerror or "") from error
    header, sealed = _split(blob)
    file_key = _file_key(header, recovery_private)
    try:
        plain = crypto.DEFAULT_CIPHER.decrypt(file_key, sealed, MAGIC + header)
        document = json.loads(gzip.decompress(plain))
        manifest = backup.Manifest(**document["manifest"])
        organisation = ExportedOrganisation(**document["organisation"])
        tables: dict[str, list[dict[str, Any]]] = document["tables"]
    except (crypto.DecryptionError, OSError, ValueError, KeyError, TypeError) as error:
        raise ExportError() from error
    if manifest.format_version != backup.FORMAT_VERSION or not backup.content_matches(
            manifest, tables):
        raise ExportError(N_("The export's content does not match its manifest."))
    if any(tables.get(name) for name in PRACTICE_TABLES):  # made by hand: anyone can seal
        raise ExportError()  # to a public key; an organisation's export has no registry
    return OpenedExport(manifest, organisation, tables)


def import_database(engine: Engine, opened: OpenedExport, *, upgrade: backup.Upgrade,
                    progress: Progress | None = None) -> backup.Manifest:
    """Write an opened export into the EMPTY database behind ``engine``: ``upgrade`` (the
    organisation's migration runner) brings it to the export's schema revision first, then to
    the current one."""
    backup.load(engine, opened.manifest, opened.tables, progress, upgrade=upgrade)
    return opened.manifest
