"""A gunicorn worker freezes what the application built at its start (issue 15).

Every request allocates thousands of objects (ORM rows, template output), so the cyclic
garbage collector runs often; a full collection walked every object of the loaded
application too (SQLAlchemy's and Jinja's caches, the catalogue) - part of the CPU of every
page. ``post_worker_init`` in the shipped gunicorn settings runs after the worker has loaded
the application and moves everything alive then into the permanent generation
(``gc.freeze()``), which collections skip. (The figures: benchmarks/profile_request.py
``--gc-freeze`` and benchmarks/bench_lean.py, which serves with these settings.)
"""

from __future__ import annotations

import gc

from vp_registry import gunicorn_conf


def test_worker_start_freezes_the_loaded_application() -> None:
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        gunicorn_conf.post_worker_init(object())
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()  # the test process goes on collecting as before
