"""Two fictional client organisations of an external counsellor's practice (issue 17).

``make demo`` builds the home organisation's demo (services/demo/seed.py, unchanged) and then
these: two technical companies that hire the same external confidential counsellor, each in
a database of its own with its own vault, departments, a few cases and activities. The
counsellor has an account in each (the same e-mail address and password, two separate
accounts: each organisation enrols its own two-step verification), so the demo shows the
overview across clients (/clients) and the switcher. Idempotent: an organisation that exists
is completed, never made twice. Nothing here is real.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from vp_registry.config import Settings
from vp_registry.core.taxonomy import N_, Role
from vp_registry.db.reports import Activity
from vp_registry.services.accounts import organisation, users
from vp_registry.services.demo import acting
from vp_registry.services.demo import cases as demo_cases
from vp_registry.services.demo.cases import DemoCase
from vp_registry.services.demo.seed import DemoLogin, Progress
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.organisations import registry
from vp_registry.services.organisations.databases import OrganisationDatabases
from vp_registry.services.organisations.registry import Organisation
from vp_registry.services.reports import activities
from vp_registry.services.reports.activities import ActivityInput
from vp_registry.services.vault import store
from vp_registry.services.work import Work, unit_of_work

EXTERNAL_COUNSELLOR = DemoLogin(Role.COUNSELLOR.value, "extern@vp-praktijk.nl",
                                "Onafhankelijk-en-dichtbij-17")
EXTERNAL_NAME = "Ingrid Vermeulen"
CLIENT_ADMIN_PASSWORD = "Sleutels-op-afstand-in-Brabant-26"  # noqa: S105 - a demo login, printed


class OrganisationState(Protocol):
    """What the demo needs of an organisation's state (app_state.AppState has it)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def session_factory(self) -> sessionmaker[Session]: ...


@dataclass(frozen=True)
class ClientDemo:
    slug: str
    name: str
    admin_email: str
    departments: tuple[tuple[str, int, str | None], ...]  # (name, headcount, parent)
    cases: tuple[DemoCase, ...]
    activities: tuple[tuple[int, str, str, str], ...]  # (days ago, type, hours, description)


_INSTALLATIE = ClientDemo(
    slug="van-dijk-installatietechniek", name="Van Dijk Installatietechniek B.V.",
    admin_email="beheer@vandijk-installatie.nl",
    departments=(("Directie en kantoor", 14, None), ("Servicemonteurs", 48, None),
                 ("Projecten utiliteitsbouw", 36, None), ("Werkplaats en magazijn", 12, None)),
    cases=(
        DemoCase(12, "Servicemonteurs", ("agressie",), "external",
                 "Monteur wordt bij een storing door een klant bedreigd en uitgescholden. Durft "
                 "niet meer alleen naar dat adres.",
                 "Melder bespreekt met de planner of er voortaan met twee man gegaan wordt.",
                 ((0, 45, "phone", "Eerste gesprek direct na het incident."),),
                 gender="man", employment="permanent"),
        DemoCase(40, "Projecten utiliteitsbouw", ("seksisme",), "colleague",
                 "Leerling-monteur krijgt op de bouwplaats steeds opmerkingen over haar uiterlijk "
                 "van een uitvoerder van de hoofdaannemer.",
                 "Opties besproken: melding bij de eigen projectleider, of eerst een gesprek.",
                 ((0, 60, "in_person", "Melder wil geen gedoe, maar het moet stoppen."),
                  (10, 30, "phone", "Projectleider is ingelicht; melder voelt zich gesteund.")),
                 gender="woman", employment="intern"),
        DemoCase(75, "Werkplaats en magazijn", ("werkdruk",), "manager",
                 "Magazijnmedewerker maakt structureel overuren door personeelstekort en voelt "
                 "zich niet gehoord door de leidinggevende.",
                 "Verwezen naar de bedrijfsarts; gesprek met leidinggevende voorbereid.",
                 ((0, 50, "in_person", "Signalen van overbelasting."),),
                 closed_after=21, outcome="referral", referral="company_doctor", gender="man",
                 employment="permanent"),
        DemoCase(9, "Directie en kantoor", ("integriteit",), "colleague",
                 "Melding over facturen die voor meerwerk worden opgemaakt dat niet is "
                 "uitgevoerd.",
                 "Procedure van de klokkenluidersregeling uitgelegd; melding doorgezet.",
                 ((0, 40, "in_person", "Melding zorgvuldig doorgenomen."),),
                 integrity=True, gender="woman", employment="permanent"),
    ),
    activities=((30, "presentation", "2", "Toolboxmeeting servicemonteurs: wat doet de "
                                          "vertrouwenspersoon?"),
                (60, "office_hours", "3", "Spreekuur op de werkplaats")),
)

_METAAL = ClientDemo(
    slug="brabantse-metaalbewerking", name="Brabantse Metaalbewerking B.V.",
    admin_email="beheer@brabantse-metaal.nl",
    departments=(("Staf en administratie", 11, None), ("Verspaning", 52, None),
                 ("Lasserij", 38, None), ("Expeditie", 15, None)),
    cases=(
        DemoCase(20, "Lasserij", ("pesten", "uitsluiting"), "colleague",
                 "Een lasser met een Poolse achtergrond wordt buiten de ploeg gehouden en zijn "
                 "werk wordt onterecht afgekeurd.",
                 "Melder wil eerst zelf met de ploegleider praten; vervolgafspraak gemaakt.",
                 ((0, 55, "in_person", "Melder wil vooral gehoord worden."),
                  (14, 25, "phone", "Gesprek met ploegleider staat gepland.")),
                 gender="man", employment="agency"),
        DemoCase(50, "Verspaning", ("agressie",), "colleague",
                 "Na een discussie over de planning gooit een collega een werkstuk richting de "
                 "melder.",
                 "Incident gemeld bij de leidinggevende; melder overweegt een klacht.",
                 ((0, 45, "in_person", "Melder geschrokken, wil veiligheid op de vloer."),),
                 gender="man", employment="permanent"),
        DemoCase(110, "Expeditie", ("pesten",), "manager",
                 "Chauffeur wordt door de teamleider voor de groep belachelijk gemaakt als hij "
                 "te laat terug is van een rit.",
                 "Mediation voorgesteld en aanvaard.",
                 ((0, 40, "phone", "Eerste verhaal."),
                  (20, 90, "in_person", "Mediation met teamleider.")),
                 closed_after=35, outcome="mediation", gender="man", employment="permanent"),
    ),
    activities=((45, "presentation", "1.5", "Voorlichting in de kantine, ploegwisseling"),
                (90, "training", "4", "Training leidinggevenden: grensoverschrijdend gedrag "
                                      "herkennen")),
)

CLIENT_DEMOS: tuple[ClientDemo, ...] = (_INSTALLATIE, _METAAL)


def _registered(databases: OrganisationDatabases, settings: Settings,
                demo: ClientDemo) -> Organisation:
    """The demo organisation's registry row (made with its database when missing)."""
    with unit_of_work(databases.main_sessions, settings, Actor.system()) as work:
        found = registry.find_organisation(work.session, demo.slug)
        if found is not None:
            return found
        # a run stopped after making the database but before the registry row was stored
        # left a database no URL reaches: the demo makes it afresh
        orphan = Organisation(0, demo.slug, demo.name, None, False)
        if databases.exists(orphan):
            databases.drop_database(orphan)
        return registry.create_organisation(work, databases, slug=demo.slug, name=demo.name)


def _departments(work: Work, demo: ClientDemo) -> None:
    existing = {d.name: d for d in organisation.list_departments(work.session)}
    for name, headcount, parent in demo.departments:
        if name not in existing:
            existing[name] = organisation.create_department(
                work, name=name, headcount=headcount,
                parent_id=existing[parent].id if parent else None)


def _account(work: Work, login: DemoLogin, name: str) -> None:
    if users.find_by_email(work.session, login.email) is None:
        users.create_user(work, email=login.email, display_name=name, role=login.role,
                          password=login.password, must_change_password=False)


def _activities(work: Work, demo: ClientDemo, today: date) -> None:
    if work.session.execute(select(func.count()).select_from(Activity)).scalar_one():
        return
    for days_ago, kind, hours, description in demo.activities:
        activities.create_activity(work, ActivityInput(
            held_on=today - timedelta(days=days_ago), activity_type=kind,
            hours=Decimal(hours), description=description), today=today)


def _fill(work: Work, demo: ClientDemo, progress: Progress, today: date) -> None:
    organisation.ensure_default_categories(work.session)
    _departments(work, demo)
    store.create_vault(work)  # a demo organisation's recovery key is not kept
    _account(work, DemoLogin(Role.ADMIN.value, demo.admin_email, CLIENT_ADMIN_PASSWORD),
             "Beheer " + demo.name.split(" B.V.")[0])
    _account(work, EXTERNAL_COUNSELLOR, EXTERNAL_NAME)
    counsellor = users.find_by_email(work.session, EXTERNAL_COUNSELLOR.email)
    if counsellor is None:
        raise RuntimeError("the demo's external counsellor was not created")
    demo_cases.add_demo_cases(work, counsellor, EXTERNAL_COUNSELLOR.password, progress,
                              today=today, cases=demo.cases)
    _activities(acting.as_counsellor(work, counsellor, EXTERNAL_COUNSELLOR.password), demo,
                today)


def create_client_demo(databases: OrganisationDatabases, settings: Settings,
                       state_of: Callable[[Organisation], OrganisationState],
                       progress: Progress, *, today: date | None = None
                       ) -> list[Organisation]:
    """Register and fill the two client organisations (each in its own unit of work, in its
    own database); returns them. ``state_of`` gives an organisation's state (its settings
    and sessions)."""
    today = today or date.today()
    made = []
    for demo in CLIENT_DEMOS:
        found = _registered(databases, settings, demo)
        state = state_of(found)
        with unit_of_work(state.session_factory, state.settings, Actor.system()) as work:
            progress(N_("Client organisation %(name)s:"), name=found.name)
            _fill(work, demo, progress, today)
        made.append(found)
    return made
