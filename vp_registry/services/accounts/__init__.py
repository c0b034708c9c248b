"""Accounts and the organisation they work in: users, login (password, then TOTP), web-session
ends, password policy and hashing, one-time codes, departments and categories.

Import the module you need (``from vp_registry.services.accounts import users``); this
package re-exports nothing.
"""
