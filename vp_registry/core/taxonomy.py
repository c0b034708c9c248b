"""The fixed vocabularies of the domain (docs/design.md section 1).

Labels are English source strings marked with ``N_`` so Babel extracts them; the web layer
translates them (Dutch by default). The core stays free of Flask-Babel.
"""

from __future__ import annotations

from enum import StrEnum


def N_(message: str) -> str:
    """Mark a string for translation without translating it here."""
    return message


class Role(StrEnum):
    COUNSELLOR = "counsellor"
    MANAGER = "manager"
    ADMIN = "admin"
    # the practice's own administrator (issue 17): a user of the main database only, who
    # creates client organisations and reads no case, signal or report of any
    PRACTICE_ADMIN = "practice_admin"


ROLE_LABELS: dict[Role, str] = {
    Role.COUNSELLOR: N_("Confidential counsellor"),
    Role.MANAGER: N_("Manager"),
    Role.ADMIN: N_("Functional administrator"),
    Role.PRACTICE_ADMIN: N_("Practice administrator"),
}

# code -> (English label for translation); order is the order shown in forms and reports.
DEFAULT_CATEGORIES: dict[str, str] = {
    "pesten": N_("Bullying"),
    "seksisme": N_("Sexism and sexual harassment"),
    "uitsluiting": N_("Exclusion and discrimination"),
    "agressie": N_("Aggression and violence"),
    "integriteit": N_("Integrity"),
    "werkdruk": N_("Work pressure"),
    "overig": N_("Other"),
}


class CaseStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Relation(StrEnum):
    """The reporter's relation to the person(s) involved."""

    COLLEAGUE = "colleague"
    MANAGER = "manager"
    SUBORDINATE = "subordinate"
    EXTERNAL = "external"


RELATION_LABELS: dict[Relation, str] = {
    Relation.COLLEAGUE: N_("Colleague"),
    Relation.MANAGER: N_("Manager"),
    Relation.SUBORDINATE: N_("Subordinate"),
    Relation.EXTERNAL: N_("External (customer, supplier, other)"),
}


class Outcome(StrEnum):
    ADVICE = "advice"
    INFORMAL = "informal"
    MEDIATION = "mediation"
    REFERRAL = "referral"
    FORMAL_COMPLAINT = "formal_complaint"
    INTEGRITY_REPORT = "integrity_report"
    NO_FOLLOW_UP = "no_follow_up"


OUTCOME_LABELS: dict[Outcome, str] = {
    Outcome.ADVICE: N_("Advice and support"),
    Outcome.INFORMAL: N_("Informal resolution"),
    Outcome.MEDIATION: N_("Mediation"),
    Outcome.REFERRAL: N_("Referral"),
    Outcome.FORMAL_COMPLAINT: N_("Formal complaint"),
    Outcome.INTEGRITY_REPORT: N_("Integrity report (whistleblower act)"),
    Outcome.NO_FOLLOW_UP: N_("No follow-up"),
}


class Referral(StrEnum):
    COMPANY_DOCTOR = "company_doctor"
    HR = "hr"
    SOCIAL_WORK = "social_work"
    POLICE = "police"
    OTHER = "other"


REFERRAL_LABELS: dict[Referral, str] = {
    Referral.COMPANY_DOCTOR: N_("Company doctor"),
    Referral.HR: N_("HR"),
    Referral.SOCIAL_WORK: N_("Social work"),
    Referral.POLICE: N_("Police"),
    Referral.OTHER: N_("Other"),
}


class Channel(StrEnum):
    IN_PERSON = "in_person"
    PHONE = "phone"
    VIDEO = "video"
    EMAIL = "email"


CHANNEL_LABELS: dict[Channel, str] = {
    Channel.IN_PERSON: N_("In person"),
    Channel.PHONE: N_("Phone"),
    Channel.VIDEO: N_("Video call"),
    Channel.EMAIL: N_("E-mail"),
}


class Gender(StrEnum):
    WOMAN = "woman"
    MAN = "man"
    OTHER = "other"


GENDER_LABELS: dict[Gender, str] = {
    Gender.WOMAN: N_("Woman"),
    Gender.MAN: N_("Man"),
    Gender.OTHER: N_("Other / prefers not to say"),
}


class EmploymentType(StrEnum):
    PERMANENT = "permanent"
    TEMPORARY = "temporary"
    AGENCY = "agency"
    INTERN = "intern"


EMPLOYMENT_LABELS: dict[EmploymentType, str] = {
    EmploymentType.PERMANENT: N_("Permanent contract"),
    EmploymentType.TEMPORARY: N_("Temporary contract"),
    EmploymentType.AGENCY: N_("Agency / flex worker"),
    EmploymentType.INTERN: N_("Intern / trainee"),
}


class ActivityType(StrEnum):
    PRESENTATION = "presentation"
    TRAINING = "training"
    OFFICE_HOURS = "office_hours"
    MANAGEMENT_MEETING = "management_meeting"
    PEER_REVIEW = "peer_review"
    OTHER = "other"


ACTIVITY_LABELS: dict[ActivityType, str] = {
    ActivityType.PRESENTATION: N_("Information session / presentation"),
    ActivityType.TRAINING: N_("Training"),
    ActivityType.OFFICE_HOURS: N_("Office hours"),
    ActivityType.MANAGEMENT_MEETING: N_("Meeting with management"),
    ActivityType.PEER_REVIEW: N_("Peer review / own training"),
    ActivityType.OTHER: N_("Other"),
}


class SuggestedAction(StrEnum):
    TEAM_TALK = "team_talk"
    TRAINING = "training"
    WAYS_OF_WORKING = "ways_of_working"
    OTHER = "other"


SUGGESTED_ACTION_LABELS: dict[SuggestedAction, str] = {
    SuggestedAction.TEAM_TALK: N_("A conversation with the team"),
    SuggestedAction.TRAINING: N_("Training"),
    SuggestedAction.WAYS_OF_WORKING: N_("A change in ways of working"),
    SuggestedAction.OTHER: N_("Other"),
}
