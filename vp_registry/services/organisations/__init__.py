"""Organisations (issue 17): one installation serving several client organisations, each in a
database of its own (docs/design.md "Organisations (issue 17)").

``registry``: the practice registry in the main database; ``databases``: an engine per
organisation; ``settings``: the installation's settings with an organisation's overrides.
"""
