"""Use cases. Each takes an explicit SQLAlchemy Session (and actor/vault where needed), flushes,
and leaves committing to the caller: the request teardown or the CLI command."""
