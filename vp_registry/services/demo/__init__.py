"""Fictional demo data (``make demo``): ``seed.create_demo`` builds the company, its accounts
and, per area, the cases, signals, reports and contact messages of the other modules here.

Import the modules themselves (``from vp_registry.services.demo import seed``); this package
re-exports nothing.
"""
