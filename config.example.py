# vp-registry configuration: copy to instance/config.py (or point VP_CONFIG at it) and edit.
# Every setting can also be given as an environment variable VP_<NAME> (DATABASE_URL as is).
# `vp-registry init-config instance/config.py` writes a file with fresh random secrets.
# The application refuses to start when a required secret is missing or weak.

# "production" (default) or "development". Development allows plain-http cookies and
# placeholder secrets: never use it on a server that others can reach.
ENVIRONMENT = "production"

# Signs session data and CSRF tokens and derives the key that encrypts TOTP secrets.
# At least 32 random characters: python -c 'import secrets; print(secrets.token_urlsafe(48))'
SECRET_KEY = "change-me"

# Keys the HMAC chain of the audit log. Different from SECRET_KEY. Keep a copy offline:
# without it `vp-registry audit verify` cannot prove the log is intact.
AUDIT_KEY = "change-me-too"

# Encrypts backups made with `vp-registry backup create`. Keep a copy offline.
BACKUP_KEY = ""

# Database. Empty: SQLite in the instance folder (WAL, foreign keys, secure_delete).
# Production: PostgreSQL with psycopg 3, e.g.
# DATABASE_URL = "postgresql+psycopg://vp:PASSWORD@127.0.0.1:5432/vp_registry"
DATABASE_URL = ""

# Argon2id parameters for login hashes and the keys that unlock the vault. The minimum is
# 64 MiB and 3 passes; raising them rehashes each password at its next login.
# PASSWORD_KDF = {"time_cost": 3, "memory_kib": 65536, "parallelism": 1}

# Sessions: idle timeout (minutes) and absolute lifetime (hours).
SESSION_IDLE_MINUTES = 30
SESSION_ABSOLUTE_HOURS = 8

# Largest request body in bytes (larger requests get a friendly 413 page).
MAX_REQUEST_BYTES = 2 * 1024 * 1024

# "nl" (default) or "en": the language for visitors who have not chosen one, and for the CLI.
DEFAULT_LOCALE = "nl"

# The organisation's time zone (an IANA name): the pages show times in it (the database keeps UTC).
TIME_ZONE = "Europe/Amsterdam"

# Shown on the pages and in reports.
ORGANISATION_NAME = "Voorbeeld Techniek B.V."

# Login throttling: failed attempts allowed per account and per client address before
# exponential back-off starts (first lock-out, doubling up to the maximum, in seconds).
# An account's failures add up until it logs in; a client address's count only within the
# last THROTTLE_WINDOW_SECONDS (a sliding window, 60-86400), so behind a company NAT an
# occasional typo never locks everyone out. Wrong receipt codes use the same numbers.
THROTTLE_FREE_ATTEMPTS = 5
THROTTLE_BASE_SECONDS = 30
THROTTLE_MAX_SECONDS = 3600
THROTTLE_WINDOW_SECONDS = 900

# Disclosure control (DESIGN section 4). k: cells with fewer cases are shown as "< k"
# (allowed 3-10). Departments smaller than MIN_DEPARTMENT_SIZE are merged; organisations
# smaller than MIN_ORGANISATION_SIZE get no department breakdown. BAND_EDGES start at k.
DISCLOSURE_K = 3
MIN_DEPARTMENT_SIZE = 10
MIN_ORGANISATION_SIZE = 50
BAND_EDGES = (3, 5, 10)
# The pulse survey (issue 16): a department group's results are shown only with at least this
# many responses (allowed DISCLOSURE_K to 100). Departments with fewer people than this (or
# than MIN_DEPARTMENT_SIZE) are merged when a round is created.
PULSE_MIN_RESPONSES = 5
# The registry's first day (public; empty: not known). No case may be opened before it. The
# disclosure auditor then knows the quarters before it are empty (overlapping signal windows
# nest), and the annual report of its first year can show "carried over" (none). Without it
# that key figure is shown only when it repeats last year's published report.
# REGISTRY_START = "2025-01-01"

# Closed cases are crypto-shredded this many months after closing, once their year is
# counted in a finalised annual report (`vp-registry retention purge`, e.g. from cron).
RETENTION_MONTHS = 12

# Name of the issuer shown in authenticator apps.
TOTP_ISSUER = "vp-registry"

# How many reverse proxies (nginx, a load balancer) stand in front of the app and append the
# client's address to X-Forwarded-For and the scheme to X-Forwarded-Proto. 0 (default): none
# is trusted and the client address is the TCP peer; behind one proxy that address is the
# proxy's, so login throttling per client address then throttles all clients together. Set
# 1 for one proxy that overwrites X-Forwarded-For. Never set it higher than the number of
# proxies: clients could then forge their address. See docs/operations.md.
TRUSTED_PROXIES = 0

# Client organisations (issue 17) are served under /o/<slug>/. With True, the host name an
# organisation was registered with (vp-registry organisations create --host) selects it too
# (the proxy must pass the Host header); every request then costs one registry look-up by
# host. False (default): host names select nothing. See docs/operations.md "Organisations".
ORGANISATION_HOSTS = False

# Field cipher. Only "aes-256-gcm" is allowed in production ("null" exists for benchmarks).
FIELD_CIPHER = "aes-256-gcm"
