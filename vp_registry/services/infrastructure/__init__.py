"""Infrastructure services: audit log, caches, throttles, schema, backup, key rotation,
retention and usage figures - the plumbing the case, signal and contact services share.

Import the modules themselves (``from vp_registry.services.infrastructure import audit``);
this package re-exports nothing.
"""
