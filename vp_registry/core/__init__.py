"""Flask-free, database-free domain core: crypto, taxonomy, disclosure, signals, report figures.

Nothing in this package may import Flask or SQLAlchemy (a unit test enforces it), so every rule
that protects a visitor can be tested without an application.
"""
