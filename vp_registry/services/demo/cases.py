"""Fictional demo cases for a technical company, encrypted exactly like real ones.

Dates are relative to today, spread over this year and last year. The set is concentrated
enough for the signal detection (issue 4) to find something: several bullying cases in
"Magazijn en logistiek" and sexism cases among the field engineers within the last twelve
months, two cases naming the same person, and a few integrity reports (one with an overdue
acknowledgement). Wording follows the "Toolbox Sociaal Veilig Werken" of the technical sector.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from vp_registry.core.taxonomy import N_
from vp_registry.db.accounts import User
from vp_registry.db.cases import Case
from vp_registry.db.organisation import Department
from vp_registry.services.cases import conversations as case_conversations
from vp_registry.services.cases import lifecycle
from vp_registry.services.cases.records import CaseInput, Closing, ContactInput
from vp_registry.services.demo import acting
from vp_registry.services.work import Work


@dataclass(frozen=True)
class DemoCase:
    days_ago: int
    department: str
    categories: tuple[str, ...]
    relation: str
    narrative: str
    next_steps: str
    # (days after opening, minutes, channel, notes)
    conversations: tuple[tuple[int, int, str, str], ...]
    closed_after: int | None = None  # days after opening; None: still open
    outcome: str | None = None
    referral: str | None = None
    reporter: str | None = None  # consent to store a name when given
    involved: str | None = None
    gender: str | None = None
    employment: str | None = None
    integrity: bool = False
    acknowledged_after: int | None = None


_MAGAZIJN = "Magazijn en logistiek"
_MONTEURS = "Monteurs buitendienst"

DEMO_CASES: tuple[DemoCase, ...] = (
    # --- bullying in the warehouse: a concentration in the last twelve months
    DemoCase(45, _MAGAZIJN, ("pesten",), "colleague",
             "Een orderpicker wordt in de appgroep van het team belachelijk gemaakt om zijn "
             "accent. In de kantine wordt hij nagedaan.",
             "Melder denkt na over een gesprek met de teamleider; volgende afspraak over "
             "twee weken.",
             ((0, 50, "in_person", "Eerste gesprek in de spreekkamer naast de kantine."),
              (14, 30, "phone", "Situatie onveranderd; melder twijfelt over vervolgstap.")),
             involved="Erik Jansen", gender="man", employment="agency"),
    DemoCase(110, _MAGAZIJN, ("pesten", "uitsluiting"), "colleague",
             "Nieuwe collega wordt structureel niet ingewerkt en krijgt steeds de zwaarste ritten. "
             "Vragen stellen wordt afgedaan als 'zeuren'.",
             "Melder bespreekt het zelf met de leidinggevende; vertrouwenspersoon denkt mee.",
             ((0, 60, "in_person", "Melder voelt zich niet welkom; slaapt slecht."),
              (21, 25, "phone", "Gesprek met leidinggevende gevoerd, iets verbeterd.")),
             closed_after=40, outcome="advice", reporter="Jordy Bakker", involved="Erik Jansen",
             gender="man", employment="temporary"),
    DemoCase(175, _MAGAZIJN, ("pesten",), "manager",
             "Heftruckchauffeur wordt door de ploegleider voor de groep uitgescholden als hij een "
             "fout maakt. Durft geen bijna-ongevallen meer te melden.",
             "Advies over melden bij HR; afspraak om na de vakantie opnieuw te spreken.",
             ((0, 45, "in_person", "Angst om als 'zeur' over te komen."),
              (30, 40, "video", "Besluit: formele klacht overwegen.")),
             closed_after=60, outcome="referral", referral="hr", gender="woman",
             employment="permanent"),
    DemoCase(235, _MAGAZIJN, ("pesten",), "colleague",
             "Collega's verstoppen gereedschap en scanner van de melder en lachen erom. "
             "'Grapjes' die al maanden doorgaan.",
             "Melder spreekt collega's één op één aan; vertrouwenspersoon oefent het gesprek.",
             ((0, 55, "in_person", "Voorbeelden van 'grappen' doorgenomen."),),
             closed_after=35, outcome="informal", gender="man", employment="permanent"),
    DemoCase(300, _MAGAZIJN, ("pesten", "agressie"), "colleague",
             "Na een discussie over de planning duwt een collega de melder tegen een stelling. "
             "Daarna wordt hij genegeerd door de hele ploeg.",
             "Mediation aangeboden; melder stemt in.",
             ((0, 60, "in_person", "Melder geschrokken; geen letsel."),
              (10, 90, "in_person", "Voorbereiding mediationgesprek.")),
             closed_after=70, outcome="mediation", reporter="Sandra Kok", gender="woman",
             employment="permanent"),
    # --- sexism among the field engineers
    DemoCase(70, _MONTEURS, ("seksisme",), "colleague",
             "Monteur (vrouw) krijgt in de bus opmerkingen over haar uiterlijk en 'of ze het "
             "zware werk wel aankan'. Wordt op klantlocatie niet voorgesteld.",
             "Melder wil eerst zelf de collega aanspreken; vervolggesprek gepland.",
             ((0, 45, "video", "Gesprek na de dienst, vanuit de bus."),),
             gender="woman", employment="permanent"),
    DemoCase(150, _MONTEURS, ("seksisme",), "manager",
             "Leidinggevende stuurt seksueel getinte berichten via WhatsApp naar een leerling-"
             "monteur.",
             "Uitleg over formele klacht en de klachtencommissie; melder kiest voor een klacht.",
             ((0, 60, "in_person", "Berichten samen bekeken; melder erg onzeker."),
              (7, 30, "phone", "Steun bij het opstellen van de klacht.")),
             closed_after=30, outcome="formal_complaint", gender="woman", employment="intern"),
    DemoCase(265, _MONTEURS, ("seksisme", "uitsluiting"), "colleague",
             "Vrouwelijke monteur wordt niet ingedeeld bij storingsdiensten 'omdat dat niet "
             "handig is met de mannen'.",
             "Advies: gesprek met planning en leidinggevende; vertrouwenspersoon gaat mee.",
             ((0, 50, "in_person", "Voorbeelden van roosters doorgenomen."),
              (20, 60, "in_person", "Gesprek met leidinggevende bijgewoond als steun.")),
             closed_after=45, outcome="informal", gender="woman", employment="permanent"),
    DemoCase(330, _MONTEURS, ("seksisme",), "external",
             "Monteur wordt bij een klant herhaaldelijk aangeraakt door een medewerker van de "
             "klant.",
             "Afspraak met accountmanager over melden bij de klant; melder niet meer alleen "
             "naar deze locatie.",
             ((0, 40, "phone", "Direct na het bezoek gebeld."),),
             closed_after=25, outcome="advice", gender="woman", employment="temporary"),
    # --- other departments, this year
    DemoCase(9, "Werkvoorbereiding en planning", ("integriteit",), "manager",
             "Vermoeden dat keuringsrapporten van installaties worden aangepast om opleverdata te "
             "halen. Melder vraagt advies over de klokkenluidersregeling.",
             "Uitleg over de interne meldprocedure en het Huis voor Klokkenluiders.",
             ((0, 75, "in_person", "Procedure doorgenomen; melder wil anoniem blijven."),),
             integrity=True, gender="man", employment="permanent"),
    DemoCase(80, "Werkvoorbereiding en planning", ("integriteit",), "colleague",
             "Melding over privégebruik van materiaal en bussen door een projectleider.",
             "Melding doorgezet naar de vertrouwelijke meldroute; ontvangst bevestigd.",
             ((0, 45, "in_person", "Feiten en data op een rij gezet."),
              (3, 15, "email", "Ontvangstbevestiging verstuurd.")),
             integrity=True, acknowledged_after=3, gender="man", employment="permanent"),
    DemoCase(25, "Engineering", ("werkdruk",), "manager",
             "Engineer werkt al maanden structureel over door projectdeadlines; leidinggevende "
             "reageert met 'zo gaat dat hier'.",
             "Verwezen naar de bedrijfsarts; melder plant gesprek met leidinggevende.",
             ((0, 50, "video", "Melder uitgeput, slaapt slecht."),),
             gender="man", employment="permanent"),
    DemoCase(130, "Engineering", ("werkdruk", "uitsluiting"), "colleague",
             "Junior engineer wordt buiten overleggen gehouden en krijgt de schuld van fouten in "
             "tekeningen.",
             "Melder bespreekt het in de retrospective; vertrouwenspersoon denkt mee over "
             "formulering.",
             ((0, 45, "in_person", "Voorbeelden van feedback zonder respect."),
              (28, 30, "phone", "Retrospective verliep goed.")),
             closed_after=35, outcome="advice", gender="woman", employment="permanent"),
    DemoCase(200, "Engineering", ("werkdruk",), "manager",
             "Twee ziekmeldingen in het team; melder voelt zich verantwoordelijk en kan het werk "
             "niet meer overzien.",
             "Verwijzing bedrijfsarts.",
             ((0, 60, "in_person", "Signalen van overbelasting."),),
             closed_after=14, outcome="referral", referral="company_doctor", gender="man",
             employment="permanent"),
    DemoCase(55, "Productie ploeg A", ("agressie",), "colleague",
             "Tijdens de ploegwissel dreigt een collega de melder 'op te wachten' na een "
             "opmerking over veiligheid.",
             "Melder wil dat de leidinggevende ingrijpt; afspraak om samen te gaan.",
             ((0, 40, "in_person", "Melder bang, wil geen escalatie."),),
             reporter="Mehmet Yilmaz", gender="man", employment="permanent"),
    DemoCase(190, "Productie ploeg A", ("agressie",), "subordinate",
             "Ploegleider wordt door een medewerker uitgescholden en met een sleutel bedreigd.",
             "Aangifte besproken; verwijzing naar politie en bedrijfsmaatschappelijk werk.",
             ((0, 60, "in_person", "Direct na het incident."),
              (5, 30, "phone", "Aangifte gedaan.")),
             closed_after=20, outcome="referral", referral="police", gender="man",
             employment="permanent"),
    DemoCase(95, "Productie ploeg B", ("uitsluiting",), "colleague",
             "Collega met een andere achtergrond wordt niet uitgenodigd voor de "
             "vrijdagmiddagborrel en in de pauze genegeerd; grappen over geloof.",
             "Melder wil dat de teamleider een teamgesprek organiseert.",
             ((0, 45, "in_person", "Grappen over afkomst en geloof."),),
             closed_after=50, outcome="informal", gender="man", employment="agency"),
    DemoCase(20, "Kantoor", ("overig",), "colleague",
             "Melder twijfelt of een conflict over de verdeling van taken 'groot genoeg' is om "
             "te bespreken.",
             "Luisteren; melder overweegt een gesprek met de collega.",
             ((0, 30, "phone", "Korte oriëntatie."),),
             closed_after=2, outcome="no_follow_up", gender="woman", employment="permanent"),
    # --- last year
    DemoCase(400, _MAGAZIJN, ("pesten",), "colleague",
             "Melder wordt uitgelachen om zijn gewicht tijdens de pauzes.",
             "Advies en steun; melder spreekt teamleider aan.",
             ((0, 45, "in_person", "Eerste gesprek."),),
             closed_after=30, outcome="advice", gender="man", employment="permanent"),
    DemoCase(430, _MONTEURS, ("seksisme",), "colleague",
             "Pin-upfoto's in de bus en opmerkingen bij het omkleden.",
             "Melder vraagt de leidinggevende de bussen te laten opruimen.",
             ((0, 40, "phone", "Melder wil anoniem blijven."),),
             closed_after=20, outcome="informal", gender="woman", employment="temporary"),
    DemoCase(470, "Productie ploeg C", ("werkdruk",), "manager",
             "Ploeg structureel onderbezet; pauzes schieten erbij in.",
             "Verwezen naar HR over roosters.",
             ((0, 50, "in_person", "Ploeg van acht met te weinig mensen."),),
             closed_after=30, outcome="referral", referral="hr", gender="man",
             employment="permanent"),
    DemoCase(500, "Engineering", ("uitsluiting",), "colleague",
             "Stagiair wordt niet betrokken bij projecten en krijgt alleen koffiedienst.",
             "Gesprek met stagebegeleider geadviseerd.",
             ((0, 35, "video", "Stagiair twijfelt of hij iets mag zeggen."),),
             closed_after=21, outcome="advice", gender="other", employment="intern"),
    DemoCase(540, "HR en salarisadministratie", ("integriteit",), "colleague",
             "Vermoeden van gemanipuleerde urenregistratie bij een onderaannemer.",
             "Melding via de klokkenluidersregeling; ontvangst bevestigd en teruggekoppeld.",
             ((0, 60, "in_person", "Melding doorgenomen."),
              (4, 20, "email", "Ontvangst bevestigd.")),
             closed_after=80, outcome="integrity_report", integrity=True, acknowledged_after=4,
             gender="woman", employment="permanent"),
    DemoCase(580, "Productie ploeg A", ("pesten",), "colleague",
             "Melder wordt buitengesloten sinds hij een veiligheidsrisico meldde.",
             "Mediation met de ploeg.",
             ((0, 50, "in_person", "Veiligheidsmelding was terecht."),
              (15, 90, "in_person", "Mediation.")),
             closed_after=40, outcome="mediation", gender="man", employment="permanent"),
    DemoCase(620, "Kantoor", ("agressie",), "external",
             "Receptioniste wordt door een leverancier uitgescholden aan de balie.",
             "Advies over melden van incidenten; afspraak over opvang.",
             ((0, 30, "phone", "Opvang na incident."),),
             closed_after=10, outcome="advice", gender="woman", employment="permanent"),
    DemoCase(650, _MONTEURS, ("overig",), "manager",
             "Onduidelijkheid over het declareren van reisuren leidt tot conflict.",
             "Verwezen naar HR.",
             ((0, 30, "phone", "Vooral een arbeidsvoorwaardelijke vraag."),),
             closed_after=7, outcome="referral", referral="hr", gender="man",
             employment="permanent"),
)


def _demo_input(demo: DemoCase, department_id: int, opened: date, today: date) -> CaseInput:
    acknowledged = (opened + timedelta(days=demo.acknowledged_after)
                    if demo.acknowledged_after is not None else None)
    return CaseInput(
        opened_on=opened, department_id=department_id, categories=demo.categories,
        relation=demo.relation, consent=demo.reporter is not None,
        reporter_name=demo.reporter,
        reporter_contact=demo.reporter.lower().replace(" ", ".") + "@voorbeeld.nl"
        if demo.reporter else None,
        involved_person=demo.involved, narrative=demo.narrative, next_steps=demo.next_steps,
        gender=demo.gender, employment_type=demo.employment,
        minutes_spent=15 * len(demo.conversations), integrity_report=demo.integrity,
        acknowledged_on=min(acknowledged, today) if acknowledged else None,
    )


def add_demo_cases(
    work: Work, counsellor: User, password: str, progress: Callable[..., object], *,
    today: date | None = None, cases: tuple[DemoCase, ...] = DEMO_CASES,
) -> None:
    """Give the demo counsellor access (creating the vault key if there is none yet) and add
    the demo ``cases`` once. The vault itself must exist (``init`` or the demo command made
    it)."""
    today = today or date.today()
    session = work.session
    work = acting.as_counsellor(work, counsellor, password)
    if session.execute(select(func.count()).select_from(Case)).scalar_one():
        progress(N_("Cases: already present"))
        return
    departments = {d.name: d.id for d in session.execute(select(Department)).scalars()}
    for demo in cases:
        opened = today - timedelta(days=demo.days_ago)
        record = lifecycle.create_case(
            work, _demo_input(demo, departments[demo.department], opened, today), today=today)
        for after, minutes, channel, notes in demo.conversations:
            held = min(opened + timedelta(days=after), today)
            case_conversations.add_contact(work, record.reference, ContactInput(
                held_on=held, minutes=minutes, channel=channel, notes=notes), today=today)
        if demo.closed_after is not None and demo.outcome is not None:
            lifecycle.close_case(work, record.reference, record.version,
                                 Closing(closed_on=min(opened + timedelta(days=demo.closed_after),
                                                       today),
                                         outcome=demo.outcome, referral=demo.referral),
                                 today=today)
    progress(N_("Cases: %(count)s"), count=len(cases))
