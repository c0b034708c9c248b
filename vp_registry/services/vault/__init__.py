"""The vault: who can open the cases, and how (docs/design.md I-2). See docs/vault-and-cases.md.

* ``vp-registry init`` calls :func:`store.create_vault`: a recovery key pair whose private
  half is the recovery key (printed once). The vault key itself does not exist yet.
* The vault key is created at the first grant - ``vp-registry vault recover`` with the
  recovery key (or the demo) - sealed to the recovery public key and to that counsellor.
  There is deliberately no automatic grant at a first login: only the holder of the recovery
  key decides who the first key holder is (bootstrapping rule, documented).
* Each counsellor has a personal X25519 key pair (:mod:`key_pairs`), created at a login with
  their password; the private key is wrapped under Argon2id(password, own salt). A grant
  (:mod:`grants`) is the vault key sealed to that public key, so a colleague holding the vault
  key can grant access without knowing the password, and key rotation can re-seal every grant
  and the recovery copy unattended.
* A request gets a :class:`keyring.VaultKeys` from the key in its server-side session
  (:func:`unlocking.open_keys`); services take it from the unit of work, never from a global.

Managers and admins never get a key pair or a grant. Modules: ``keyring`` (the unlocked keys
and the sealing formats), ``store`` (the vault row: creation, status, session keys
forgotten), ``unlocking``, ``key_pairs``, ``grants``. Nothing is re-exported here.
"""
