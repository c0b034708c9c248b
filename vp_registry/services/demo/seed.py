"""Realistic, fictional demo data for a technical company (idempotent: safe to run again).

Names, departments and wording follow the "Toolbox Sociaal Veilig Werken" of the technical
sector. Nothing here is real; every case is encrypted like a real one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from vp_registry.core.taxonomy import N_, Role
from vp_registry.services.accounts import organisation, users
from vp_registry.services.demo import cases as demo_cases
from vp_registry.services.demo import contact as demo_contact
from vp_registry.services.demo import pulse as demo_pulse
from vp_registry.services.demo import reports as demo_reports
from vp_registry.services.demo import signals as demo_signals
from vp_registry.services.work import Work

# (name, headcount, parent)
DEMO_DEPARTMENTS: list[tuple[str, int, str | None]] = [
    ("Directie en staf", 12, None),
    ("Kantoor", 24, "Directie en staf"),
    ("HR en salarisadministratie", 6, "Kantoor"),
    ("Productie", 140, None),
    ("Productie ploeg A", 45, "Productie"),
    ("Productie ploeg B", 42, "Productie"),
    ("Productie ploeg C", 8, "Productie"),
    ("Monteurs buitendienst", 65, None),
    ("Engineering", 38, None),
    ("Werkvoorbereiding en planning", 18, None),
    ("Magazijn en logistiek", 27, None),
    ("Kwaliteit en veiligheid (KAM)", 7, "Engineering"),
]


class Progress(Protocol):
    """Reports one step: an English message marked with N_ and its values. The command line
    translates it into the configured language, so every line is in one language."""

    def __call__(self, message: str, **values: object) -> object: ...


def print_progress(message: str, **values: object) -> None:
    print(message % values if values else message)


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    password: str


DEMO_USERS = [
    DemoLogin(Role.COUNSELLOR.value, "vertrouwenspersoon@voorbeeld.nl",
              "Luisteren-zonder-oordeel-24"),
    DemoLogin(Role.MANAGER.value, "directeur@voorbeeld.nl", "Veilig-werken-begint-bij-ons"),
    DemoLogin(Role.ADMIN.value, "beheer@voorbeeld.nl", "Sleutelbos-op-de-werkplaats-26"),
]
DEMO_NAMES = {
    Role.COUNSELLOR.value: "Marieke de Boer",
    Role.MANAGER.value: "Hans Verhoeven",
    Role.ADMIN.value: "Sanne Jansen",
}


def create_demo(work: Work, progress: Progress = print_progress) -> list[DemoLogin]:
    """Build (or complete) the demo in ``work``, the system's unit of work; each part is
    written as the user who would have written it."""
    session = work.session
    organisation.ensure_default_categories(session)
    existing = {d.name: d for d in organisation.list_departments(session)}
    created = 0
    for name, headcount, parent in DEMO_DEPARTMENTS:
        if name in existing:
            continue
        parent_id = existing[parent].id if parent else None
        existing[name] = organisation.create_department(
            work, name=name, headcount=headcount, parent_id=parent_id)
        created += 1
    progress(N_("Departments: %(created)s new, %(total)s in all"), created=created,
             total=len(existing))
    for login in DEMO_USERS:
        if users.find_by_email(session, login.email) is None:
            users.create_user(work, email=login.email, display_name=DEMO_NAMES[login.role],
                              role=login.role, password=login.password,
                              must_change_password=False)
    progress(N_("Accounts: %(count)s"), count=len(DEMO_USERS))
    counsellor = DEMO_USERS[0]
    user = users.find_by_email(session, counsellor.email)
    if user is not None:
        demo_cases.add_demo_cases(work, user, counsellor.password, progress)
        manager = users.find_by_email(session, DEMO_USERS[1].email)
        demo_signals.add_demo_signals(work, user, counsellor.password, manager, progress)
        demo_contact.add_demo_contact(work, user, counsellor.password, progress)
        demo_reports.add_demo_reports(work, user, counsellor.password, progress)
        demo_pulse.add_demo_pulse(work, user, counsellor.password, progress)
    return DEMO_USERS
