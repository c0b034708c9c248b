"""The psychological-safety pulse (issue 16): statements, scoring, and results under the
pulse disclosure rule. Flask- and database-free (tests/unit/test_core_is_framework_free.py)."""
