"""The psychological-safety pulse (issue 16): rounds, invitation codes, responding, results,
release and comments. See docs/design.md "Pulse survey" and docs/decisions.md."""
