"""What the audit log's codes mean, in words an administrator reads (issue 14).

The log stores short action codes (``login.success``, ``case.read``) and subject types
(``user``, ``case``); the audit page shows a description per code and groups the codes into
kinds of event for its filter. A code recorded somewhere in the code base without a
description here is a test failure (tests/web/test_audit_page.py), so the page never falls
back to a raw code for an event the app records.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString


@dataclass(frozen=True)
class EventKind:
    """A group of actions for the filter: the codes that start with one of ``prefixes``."""

    code: str
    label: LazyString
    prefixes: tuple[str, ...]

    def holds(self, action: str) -> bool:
        return any(action == prefix or action.startswith(prefix + ".")
                   for prefix in self.prefixes)


EVENT_KINDS: tuple[EventKind, ...] = (
    EventKind("login", _l("Logging in and out"), ("login", "logout", "totp")),
    EventKind("accounts", _l("Accounts and passwords"), ("account",)),
    EventKind("cases", _l("Cases and activities"), ("case", "activity")),
    EventKind("contact", _l("Conversations and anonymous messages"), ("contact",)),
    EventKind("access", _l("Access to the case files and keys"), ("vault", "keys")),
    EventKind("signals", _l("Signals to management"), ("signal", "disclosure")),
    EventKind("reports", _l("Annual reports"), ("report",)),
    EventKind("organisation", _l("Departments, types of behaviour and public page"),
              ("department", "category", "profile", "public_text")),
    EventKind("retention", _l("Retention period"), ("retention",)),
    EventKind("pulse", _l("Pulse surveys"), ("pulse",)),
    # the main database's log: the practice's client organisations (issue 17)
    EventKind("organisations", _l("Client organisations"), ("organisation",)),
)

ACTIONS: dict[str, LazyString] = {
    "login.success": _l("Logged in"),
    "login.failed": _l("Login failed"),
    "login.lockout": _l("Logging in blocked for a while after failed attempts"),
    "logout": _l("Logged out"),
    "totp.enrol": _l("Two-step verification set up"),
    "totp.reset": _l("Two-step verification reset by the administrator"),
    "account.create": _l("Account created"),
    "account.disable": _l("Account disabled"),
    "account.enable": _l("Account enabled"),
    "account.password_change": _l("Password changed"),
    "account.password_reset": _l("Password reset by the administrator"),
    "case.create": _l("Case registered"),
    "case.read": _l("Case viewed"),
    "case.list": _l("List of cases viewed"),
    "case.update": _l("Case changed"),
    "case.close": _l("Case closed"),
    "case.reopen": _l("Case reopened"),
    "case.erase": _l("Case erased for good"),
    "activity.create": _l("Activity added"),
    "activity.update": _l("Activity changed"),
    "activity.delete": _l("Activity deleted"),
    "contact.create": _l("Conversation added to a case"),
    "contact.update": _l("Conversation of a case changed"),
    "contact.receive": _l("Anonymous message received"),
    "contact.code_refused": _l("Wrong receipt code entered"),
    "contact.sender_read": _l("Sender read the replies"),
    "contact.sender_reply": _l("Sender wrote again"),
    "contact.list": _l("Anonymous messages viewed"),
    "contact.read": _l("Anonymous conversation read"),
    "contact.reply": _l("Reply to an anonymous sender sent"),
    "contact.delete": _l("Anonymous conversation deleted"),
    "contact.purge": _l("Old anonymous conversations deleted"),
    "contact.convert": _l("Anonymous conversation turned into a case"),
    "vault.create": _l("Case files set up"),
    "vault.key_create": _l("Key to the case files made"),
    "vault.grant": _l("Colleague given access to the case files"),
    "vault.access_removed": _l("Access to the case files removed"),
    "vault.recover": _l("Access restored with the recovery key"),
    "vault.unlock": _l("Case files opened"),
    "vault.unlock_failed": _l("Opening the case files failed"),
    "keys.rotate": _l("Keys replaced (key rotation)"),
    "signal.release": _l("Signal sent to management"),
    "signal.review": _l("Possible signal reviewed"),
    "signal.dismiss": _l("Possible signal set aside"),
    "signal.restore": _l("Set-aside signal taken back"),
    "signal.acknowledge": _l("Signal marked as seen"),
    "signal.follow_up": _l("Follow-up of a signal written"),
    "signal.export": _l("Signals downloaded"),
    "disclosure.release": _l("Figures released to management"),
    "disclosure.refused": _l("Figures withheld to protect small numbers"),
    "report.create": _l("Annual report started"),
    "report.edit": _l("Annual report texts changed"),
    "report.correction": _l("Correction of an annual report started"),
    "report.finalise": _l("Annual report finalised"),
    "report.download": _l("Annual report downloaded"),
    "report.draft_export": _l("Draft annual report downloaded"),
    "department.create": _l("Department added"),
    "department.update": _l("Department changed"),
    "department.import": _l("Departments imported"),
    "category.create": _l("Type of behaviour added"),
    "category.update": _l("Type of behaviour changed"),
    "category.retire": _l("Type of behaviour no longer offered"),
    "category.reinstate": _l("Type of behaviour offered again"),
    "category.delete": _l("Type of behaviour deleted"),
    "profile.update": _l("Public profile changed"),
    "profile.photo_set": _l("Profile photo added"),
    "profile.photo_remove": _l("Profile photo removed"),
    "public_text.update": _l("Text of the public page changed"),
    "retention.purge": _l("Cases past the retention period erased"),
    "pulse.create": _l("Pulse round created"),
    "pulse.update": _l("Pulse round changed"),
    "pulse.close": _l("Pulse round closed"),
    "pulse.codes_issued": _l("Invitation codes for a pulse round made"),
    "pulse.code_refused": _l("Wrong invitation code entered"),
    "pulse.comments_read": _l("Free texts of a pulse round read"),
    "pulse.release": _l("Results of a pulse round released to management"),
    "pulse.refused": _l("Results of a pulse round withheld (released before)"),
    "organisation.created": _l("Client organisation created"),
    "organisation.deleted": _l("Client organisation deleted"),
    "organisation.export": _l("Client organisation exported"),
    "organisation.imported": _l("Client organisation imported from an export"),
    "organisation.shredded": _l("Keys of a client organisation destroyed"),
}

SUBJECTS: dict[str, LazyString] = {
    "user": _l("Account"),
    "case": _l("Case"),
    "activity": _l("Activity"),
    "report": _l("Annual report"),
    "signal": _l("Signal"),
    "signal_candidate": _l("Possible signal"),
    "department": _l("Department"),
    "category": _l("Type of behaviour"),
    "pulse_round": _l("Pulse round"),
    "pulse-signal": _l("Signal from a pulse round"),  # services/pulse/signals.LEDGER_KIND
    "organisation": _l("Client organisation"),
}

# Who acted when no account did: the app itself, or a sender of the anonymous channel.
ACTORS: dict[str, LazyString] = {
    "system": _l("The application"),
    "anonymous": _l("Anonymous sender"),
}


def describe_action(action: str) -> str:
    """The description of an action code; the code itself for one the app no longer records."""
    text = ACTIONS.get(action)
    return action if text is None else str(text)


def describe_subject(target_type: str | None) -> str:
    if not target_type:
        return ""
    text = SUBJECTS.get(target_type)
    return target_type if text is None else str(text)


def describe_actor(role: str | None) -> str:
    """An actor without an account (a role of a deleted account shows as it is stored)."""
    if not role:
        return ""
    text = ACTORS.get(role)
    return role if text is None else str(text)


def kind(code: str) -> EventKind | None:
    return next((item for item in EVENT_KINDS if item.code == code), None)
