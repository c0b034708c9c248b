"""The organisation's vault: wrapped keys only, never a usable key (docs/design.md I-2).

Key hierarchy as stored here (see docs/vault-and-cases.md):

* ``vault.recovery_public_key`` - X25519 public key whose private half *is* the recovery key
  (printed once by ``vp-registry init``, kept offline).
* ``vault.recovery_sealed_key`` - the vault key sealed to that public key. Sealing needs no
  secret, so key rotation re-seals it without the recovery key.
* ``counsellor_keys`` - per counsellor an X25519 key pair whose private key is wrapped under
  Argon2id(password, own salt). ``vault_grants`` holds the vault key sealed to that public key,
  so a colleague (or the recovery key) can grant access without knowing the password.
* ``vault.box_*`` - the vault's X25519 key pair for anonymous messages; the private key is
  wrapped under the vault key.
* ``vault_rotations`` - progress of a key rotation, so an interrupted one can be resumed.

Every wrapped or sealed blob has the key version it was made for in a column beside it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from vp_registry.db import Base, utcnow

VAULT_ROW_ID = 1


class Vault(Base):
    """One row (id=1). ``key_version`` 0 means the vault key has not been created yet."""

    __tablename__ = "vault"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    key_version: Mapped[int] = mapped_column(Integer, default=0)
    recovery_public_key: Mapped[bytes] = mapped_column(LargeBinary)
    recovery_sealed_key: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    recovery_key_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    box_public_key: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    box_private_wrapped: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    box_key_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    key_created_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Raised at every erasure and key rotation: a case-listing cache written by a request that
    # started before is discarded (services.cases.listing_cache).
    listing_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class CounsellorKey(Base):
    """A counsellor's personal key pair; the private key is wrapped under their password."""

    __tablename__ = "counsellor_keys"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    salt: Mapped[bytes] = mapped_column(LargeBinary)
    kdf_params: Mapped[str] = mapped_column(String(200))
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    private_key_wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    # Version of the wrapping format of private_key_wrapped (bound into its associated data).
    key_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class VaultGrant(Base):
    """The vault key sealed to one counsellor's public key: that counsellor's access."""

    __tablename__ = "vault_grants"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("counsellor_keys.user_id", ondelete="CASCADE"), primary_key=True,
        autoincrement=False,
    )
    sealed_key: Mapped[bytes] = mapped_column(LargeBinary)
    key_version: Mapped[int] = mapped_column(Integer, index=True)
    # Who granted it: a counsellor's user id, or None for the recovery key / the demo.
    granted_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    granted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class VaultRotation(Base):
    """One key rotation. While it runs, ``previous_key_wrapped`` holds the old vault key
    wrapped under the new one, so holders of the new key can still open rows not yet
    re-wrapped; it is erased when the rotation finishes."""

    __tablename__ = "vault_rotations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    from_version: Mapped[int] = mapped_column(Integer)
    to_version: Mapped[int] = mapped_column(Integer, unique=True)
    previous_key_wrapped: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    rows_rewrapped: Mapped[int] = mapped_column(Integer, default=0)
