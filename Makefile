# vp-registry: the two commands are `make demo` and `make test`.
#
#   make demo            virtualenv + install, instance config, database, demo data, serve on :5000
#   make test            ruff, mypy (strict on vp_registry/) and the whole pytest suite
#   make test-quick      the edit-test loop: unit and integration tests only (no browser, SQLite)
#   make test-postgres   the database tests on PostgreSQL (starts a throwaway server if needed)
#   make bench           every benchmarks/bench_*.py in turn
#   make check           security checks: bandit, pip-audit of constraints.txt, no unsafe crypto
#   make clean           remove build, cache and test artefacts (keeps .venv and instance/)
#
# Variables: PYTHON (interpreter for the venv), PYTEST_ARGS (extra pytest arguments, e.g.
# PYTEST_ARGS="-x -k login"), PYTEST_WORKERS (pytest-xdist processes: auto = one per core, 0 = no
# xdist, e.g. for --pdb), VP_INSTANCE_PATH (where the demo's config and SQLite live).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
INSTANCE := $(or $(VP_INSTANCE_PATH),instance)
TRANSLATIONS := vp_registry/translations
PYTEST_ARGS ?=
# The suite on every core (pytest-xdist). Each worker migrates its own template database, makes
# its own PostgreSQL databases and serves its browser tests on its own free ports. loadfile keeps
# a module's tests on one worker, so a module-scoped fixture (the reliability world, the built
# wheel, a rendered report) is built once, not once per worker.
PYTEST_WORKERS ?= auto
XDIST := -n $(PYTEST_WORKERS) --dist loadfile
DEMO_HOST ?= 127.0.0.1
DEMO_PORT ?= 5000

.PHONY: help venv install translations translations-extract demo test test-quick lint typecheck \
        pytest test-postgres bench check constraints clean

help:
	@sed -n '1,/^$$/s/^#   //p' $(firstword $(MAKEFILE_LIST))

# ------------------------------------------------------------------ virtualenv and install

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Re-install only when the project's dependencies or the pins change.
$(STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
	    -c constraints.txt -e '.[test]'
	touch $@

venv install: $(STAMP) translations

# Compiled catalogues (*.mo) are build output, never committed (.gitignore).
translations: $(STAMP)
	@if compgen -G '$(TRANSLATIONS)/*/LC_MESSAGES/*.po' >/dev/null; then \
	    $(BIN)/pybabel -q compile -d $(TRANSLATIONS) -D messages; \
	else \
	    echo "translations: no .po catalogues yet, nothing to compile"; \
	fi

# Extract every marked string into messages.pot (not committed) and merge it into the existing
# catalogues. The keywords are also in tests/unit/test_translations.py: keep them the same.
BABEL_KEYWORDS := -k _l -k N_ -k lazy_gettext -k ngettext:1,2 -k lazy_ngettext:1,2
translations-extract: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg $(BABEL_KEYWORDS) --sort-by-file --no-wrap \
	    --add-location=file --project vp-registry -o messages.pot .
	@if compgen -G '$(TRANSLATIONS)/*/LC_MESSAGES/messages.po' >/dev/null; then \
	    $(BIN)/pybabel update -i messages.pot -d $(TRANSLATIONS) --no-wrap --no-fuzzy-matching \
	        --ignore-obsolete; \
	else \
	    echo "no catalogue yet: pybabel init -i messages.pot -d $(TRANSLATIONS) -l nl"; \
	fi

# Re-pin every installed runtime and test dependency (run after changing pyproject.toml).
constraints: $(STAMP) $(CHECK_STAMP)
	{ echo "# Pinned versions of every runtime and test dependency, used by 'make install'"; \
	  echo "# (pip install -c constraints.txt -e '.[test]'). Regenerate: make constraints."; \
	  $(BIN)/python -m pip freeze --exclude-editable --disable-pip-version-check \
	    | grep -Eiv '^(#|-e |vp-registry|pip==|setuptools==|wheel==)'; } > constraints.txt.new
	mv constraints.txt.new constraints.txt

# ------------------------------------------------------------------------------ demo

# Safe to run again: init-config keeps an existing file, demo is idempotent. No separate
# 'init': demo upgrades the database and creates the vault itself, and its counsellor gets access
# at once, so the output does not send anyone to 'vault recover' (issue 14).
demo: install
	mkdir -p $(INSTANCE)
	VP_INSTANCE_PATH=$(INSTANCE) $(BIN)/vp-registry init-config --development $(INSTANCE)/config.py
	VP_INSTANCE_PATH=$(INSTANCE) $(BIN)/vp-registry demo
	@echo "Serving on http://$(DEMO_HOST):$(DEMO_PORT)/ (Ctrl-C stops)"
	VP_INSTANCE_PATH=$(INSTANCE) $(BIN)/vp-registry run --host $(DEMO_HOST) --port $(DEMO_PORT)

# ------------------------------------------------------------------------------ tests

lint: $(STAMP)
	$(BIN)/ruff check vp_registry tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

# pytest exits 5 when it collected no test: make treats that as a failure, as it should.
pytest: install
	$(BIN)/pytest $(XDIST) $(PYTEST_ARGS)

# All three run even when an earlier one fails, so one run shows every problem.
test: install
	@failed=""; \
	$(BIN)/ruff check vp_registry tests benchmarks || failed="$$failed ruff"; \
	$(BIN)/mypy || failed="$$failed mypy"; \
	$(BIN)/pytest $(XDIST) $(PYTEST_ARGS) || failed="$$failed pytest"; \
	if [ -n "$$failed" ]; then echo "make test: FAILED:$$failed" >&2; exit 1; fi; \
	echo "make test: ruff, mypy and pytest passed"

# For the edit-test loop: no ruff, no mypy, no browser, no web or reliability tests, SQLite even
# when VP_TEST_POSTGRES_URL is set. `make test` before a commit.
QUICK_TESTS ?= -m "not browser" tests/unit tests/integration
test-quick: install
	env -u VP_TEST_POSTGRES_URL $(BIN)/pytest $(XDIST) $(QUICK_TESTS) $(PYTEST_ARGS)

# The database tests on PostgreSQL. Uses VP_TEST_POSTGRES_URL when set; otherwise starts a
# throwaway server (scripts/pg-test-server) and always stops it again.
POSTGRES_TESTS ?= -m "not browser" tests/integration tests/web tests/reliability
test-postgres: install
	@if [ -n "$${VP_TEST_POSTGRES_URL:-}" ]; then \
	    echo "PostgreSQL: $${VP_TEST_POSTGRES_URL}"; \
	    $(BIN)/pytest $(XDIST) $(POSTGRES_TESTS) $(PYTEST_ARGS); \
	else \
	    server_env=$$(scripts/pg-test-server start); \
	    eval "$$server_env"; \
	    trap 'scripts/pg-test-server stop "$$PG_TEST_DIR"' EXIT; \
	    echo "PostgreSQL: $$VP_TEST_POSTGRES_URL (throwaway server in $$PG_TEST_DIR)"; \
	    VP_TEST_POSTGRES_URL="$$VP_TEST_POSTGRES_URL" $(BIN)/pytest $(XDIST) $(POSTGRES_TESTS) \
	        $(PYTEST_ARGS); \
	fi

# ------------------------------------------------------------------------- benchmarks

bench: install
	@status=0; shopt -s nullglob; scripts=(benchmarks/bench_*.py); \
	if [ $${#scripts[@]} -eq 0 ]; then echo "no benchmarks/bench_*.py"; exit 0; fi; \
	for script in "$${scripts[@]}"; do \
	    echo "=== $$script"; \
	    $(BIN)/python "$$script" || { echo "FAILED: $$script" >&2; status=1; }; \
	done; exit $$status

# --------------------------------------------------------------------------- security

# Security checks; all three run even when one fails, and any failure fails the target.
# - bandit: no finding of medium or high severity (-ll) in vp_registry/.
# - pip-audit: every pin in constraints.txt against PyPI's vulnerability data, through
#   scripts/dependency-audit, which says NOT AUDITED (and does not fail) when that source
#   cannot be reached from this machine; VP_AUDIT_STRICT=1 makes that a failure.
# - tests/unit/test_crypto_hygiene.py: no ECB/CBC, static nonce, Fernet, random, MD5/SHA-1
#   (also part of `make test`; ruff's S rules run there as well).
# The tools are pinned in constraints.txt like everything else.
CHECK_STAMP := $(VENV)/.check-installed
$(CHECK_STAMP): constraints.txt | $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt \
	    bandit pip-audit
	touch $@

check: install $(CHECK_STAMP)
	@failed=""; audit="dependency audit passed"; \
	echo "== bandit (medium and high severity)"; \
	$(BIN)/bandit -q -r vp_registry -ll || failed="$$failed bandit"; \
	echo "== pip-audit (constraints.txt)"; \
	status=0; $(BIN)/python scripts/dependency-audit || status=$$?; \
	if [ $$status -eq 3 ]; then audit="dependency audit NOT AUDITED (no vulnerability source)"; \
	elif [ $$status -ne 0 ]; then failed="$$failed pip-audit"; fi; \
	echo "== unsafe cryptography"; \
	$(BIN)/pytest -q -p no:cacheprovider tests/unit/test_crypto_hygiene.py \
	    || failed="$$failed crypto-hygiene"; \
	if [ -n "$$failed" ]; then echo "make check: FAILED:$$failed" >&2; exit 1; fi; \
	echo "make check: bandit and crypto hygiene passed; $$audit"

# ------------------------------------------------------------------------------ clean

clean:
	rm -rf build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis \
	    test-artifacts constraints.txt.new
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
	find $(TRANSLATIONS) -name '*.mo' -delete 2>/dev/null || true
