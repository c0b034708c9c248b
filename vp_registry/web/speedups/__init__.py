"""The web's speed-ups: places that write exactly what Flask, Flask-Babel or WTForms would
write, with less CPU (issue 13, section 2; issue 15). Each stays only while it pays, which
``benchmarks/bench_web_speedups.py`` measures against the plain path (same output asserted
first; figures of the last run in its commit message and in docs/decisions.md):

* :mod:`.compiled_i18n` - templates compiled once per language with their constant texts
  translated (no call per text at all; case page render ~-30 %, issue 15 session 6);
* :mod:`.template_i18n` - the templates' ``_``/``gettext``/``ngettext``/``|dateformat`` take
  the request's catalogue once (a page of ~300 look-ups: 3x less CPU);
* :mod:`.widgets` - ``Select`` writes plain options directly (the case list's five filter
  selects: 3.8x);
* :mod:`.urls` - one ``url_for`` per page for a list of links to one endpoint (50 rows: 13x),
  and the templates' ``url_for`` remembering argument-less and static URLs per script root;
* :mod:`.gettext` - Python code's ``gettext``/``lazy_gettext`` (form labels) through the same
  request cache (20 labels and 5 texts in a fresh request: 2.1x).
* :mod:`.static` - static files answered by a WSGI middleware before Flask, with Flask's own
  ``send_from_directory`` and the security headers (no request context, no hook; issue 15).

Identical output is a test: tests/web/test_template_i18n.py and tests/web/test_speedups.py.
"""
