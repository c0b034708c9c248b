"""Cases and conversations (docs/design.md I-2): one module per job.

``records`` (plain values), ``codec`` (rows <-> records, the only place case columns are
encrypted), ``validation``, ``rows`` (loading and decrypting), ``lifecycle`` and
``conversations`` (the use cases), ``queries``, ``search``, ``listing_cache`` and ``listing``
(the case list), ``shredding`` (erasure) and ``facts`` (for signals and reports). Import the
module you need: ``from vp_registry.services.cases import lifecycle``.
"""
