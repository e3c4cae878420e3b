"""Fictional demo data: every convenant partner, the data domains, an account per role, and twenty
households with cases in every phase of the weighing framework.

`plan()` is pure and deterministic: it describes the data. `load()` writes it through the same
operations the views use (flush, never commit; `flask --app portal demo load` commits).

Everything about households is invented: street names, people, texts. BSNs are valid 11-check
numbers from the 99999xxxx range of the BRP test data set (RvIG), so they point at no resident.
"""
from __future__ import annotations

import base64
import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app

from portal import operations
from portal.auth import hash_password
from portal.extensions import db
from portal.models import (
    Case,
    DataDomain,
    Decision,
    EntryKind,
    Household,
    Participation,
    Partner,
    Person,
    Phase,
    Role,
    User,
)

DEMO_PASSWORD = "demo-wachtwoord"
# .example is reserved for examples (RFC 2606) and, unlike .test, passes e-mail validation.
DEMO_EMAIL_DOMAIN = "demo.regieteam.example"
SEED = 2026

# Privacyprotocol art. 2 sub 3 (grondslag "taak van algemeen belang"): the statutory tasks the
# convenant itself names. Partners it names none for get none; an admin can add one.
TASK_COLLEGE = (
    "Taken van het college in het sociaal domein: Wmo 2015 art. 2.3.1 t/m 2.3.5; Jeugdwet art. 2.3 "
    "en 2.4; Participatiewet art. 7.1; Wet gemeentelijke schuldhulpverlening art. 3."
)
TASK_POLICE = "Politiewet 2012 art. 3; Wet politiegegevens art. 20."
TASK_CERTIFIED = (
    "Gecertificeerde instelling: uitvoering van kinderbeschermingsmaatregelen en jeugdreclassering "
    "(Jeugdwet art. 1.1)."
)
TASK_MENTAL_HEALTH = (
    "Instelling voor geestelijke gezondheidszorg: behandeling, verpleging, verzorging en "
    "bejegening van personen met een psychische stoornis, inclusief verslaving, met of zonder "
    "verblijf (Wgbo; Wet BOPZ, sinds 2020 Wvggz en Wzd)."
)
TASK_PUBLIC_HEALTH = "Wet publieke gezondheid: taken van de gemeentelijke gezondheidsdienst (GGD)."


@dataclass(frozen=True)
class PartnerSpec:
    code: str
    name: str
    participation: Participation
    is_municipal: bool
    professional_secrecy: bool
    statutory_task: str | None = None


@dataclass(frozen=True)
class DomainSpec:
    code: str
    name_nl: str
    name_en: str
    special_category: bool = False
    criminal: bool = False


@dataclass(frozen=True)
class AccountSpec:
    key: str  # the part before @, and how cases refer to the account
    name: str
    role: Role
    partner: str
    vog_date: date
    confidentiality_signed_on: date | None = None
    note: str = ""

    @property
    def email(self) -> str:
        return f"{self.key}@{DEMO_EMAIL_DOMAIN}"


@dataclass(frozen=True)
class PersonSpec:
    given_name: str
    family_name: str
    birth_date: date | None = None
    bsn: str | None = None
    email: str | None = None
    representative: str | None = None  # given name of the parent in the same household


@dataclass(frozen=True)
class HouseholdSpec:
    street: str
    house_number: str
    postcode: str
    wijk: str
    persons: tuple[PersonSpec, ...]


@dataclass(frozen=True)
class EntrySpec:
    phase: int  # written while the case was in this phase (5 or later)
    written_on: date
    kind: EntryKind
    domain: str
    author: str  # account key; the entry's source partner is the author's partner
    text: str
    person: str | None = None  # given name within the household


@dataclass(frozen=True)
class CaseSpec:
    reference: str
    household: HouseholdSpec
    opened_on: date
    phase: int
    decision: Decision
    team: tuple[str, ...]
    members: tuple[str, ...]
    case_manager: str | None = None
    closed_on: date | None = None
    entries: tuple[EntrySpec, ...] = ()


@dataclass(frozen=True)
class Plan:
    partners: tuple[PartnerSpec, ...]
    domains: tuple[DomainSpec, ...]
    accounts: tuple[AccountSpec, ...]
    cases: tuple[CaseSpec, ...]


# --- partners and domains --------------------------------------------------------------------

P = Participation
PARTNERS = (
    # Convenant art. 4.2: the college supplies the procesregisseur and a schuldhulpverlener.
    PartnerSpec("gemeente_nijmegen", "Gemeente Nijmegen", P.CORE, True, False, TASK_COLLEGE),
    # Social workers are bound to secrecy by their professional code (Privacyprotocol art. 5).
    PartnerSpec("sterker", "Sterker Sociaal Werk", P.CORE, False, True),
    # A certified institution acts on its statutory task, not on a professional secrecy.
    PartnerSpec(
        "jeugdbescherming_gelderland", "Jeugdbescherming Gelderland", P.CORE, False, False,
        TASK_CERTIFIED,
    ),
    PartnerSpec("politie", "Politie", P.CORE, False, False, TASK_POLICE),
    # Housing corporations are private: no public task of their own, no professional secrecy.
    PartnerSpec("talis", "Talis", P.CORE, False, False),
    PartnerSpec("portaal", "Portaal", P.CORE, False, False),
    PartnerSpec("standvast_wonen", "Standvast Wonen", P.CORE, False, False),
    PartnerSpec("woongenoot", "Woongenoot", P.CORE, False, False),
    PartnerSpec("de_gemeenschap", "De Gemeenschap", P.CORE, False, False),
    PartnerSpec("mooiland", "Mooiland", P.CORE, False, False),
    # Medical secrecy (Wgbo).
    PartnerSpec(
        "pro_persona", "Pro Persona Bemoeizorg", P.CORE, False, True, TASK_MENTAL_HEALTH
    ),
    # Schilpartner: joins a case only when needed. A joint body of the municipalities of the
    # region, not the municipality of Nijmegen itself; its doctors and nurses have medical secrecy.
    PartnerSpec(
        "ggd_gelderland_zuid", "GGD Gelderland-Zuid", P.SCHILPARTNER, False, True,
        TASK_PUBLIC_HEALTH,
    ),
    # Incidental professionals (Convenant art. 4.2). The leerplichtambtenaar works for the
    # municipality and has no professional secrecy, so signs a confidentiality statement.
    PartnerSpec("leerplicht", "Leerplicht Gemeente Nijmegen", P.INCIDENTAL, True, False),
    # Social workers and care consultants of the wijkteam: bound by their professional codes.
    PartnerSpec("sociaal_wijkteam", "Sociaal Wijkteam", P.INCIDENTAL, False, True),
    # Youth care (Entréa) and addiction care (Iriszorg) providers: secrecy of care providers.
    PartnerSpec("entrea", "Entréa", P.INCIDENTAL, False, True),
    PartnerSpec("iriszorg", "Iriszorg", P.INCIDENTAL, False, True),
    # Welfare and social work: the social workers' professional code.
    PartnerSpec("bindkracht10", "Bindkracht 10", P.INCIDENTAL, False, True),
    # A chain partner that can bring in cases; a network of many organisations, so not treated as
    # municipal (statistics exports leave its data out).
    PartnerSpec("veiligheidshuis", "Veiligheidshuis", P.CHAIN, False, False),
)

# The life domains of each partner's own task; data of another domain crosses domains, which from
# step 4 on always needs consent (Afwegingskader stap 4).
HOUSING = ("wonen",)
PARTNER_DOMAINS = {
    "gemeente_nijmegen": ("financien", "werk_inkomen", "ondersteuning", "jeugd"),
    "sterker": ("ondersteuning", "financien"),
    "jeugdbescherming_gelderland": ("jeugd",),
    "politie": ("veiligheid",),
    "talis": HOUSING,
    "portaal": HOUSING,
    "standvast_wonen": HOUSING,
    "woongenoot": HOUSING,
    "de_gemeenschap": HOUSING,
    "mooiland": HOUSING,
    "pro_persona": ("gezondheid",),
    "ggd_gelderland_zuid": ("gezondheid",),
    "leerplicht": ("onderwijs",),
    "sociaal_wijkteam": ("ondersteuning", "jeugd"),
    "entrea": ("jeugd",),
    "iriszorg": ("gezondheid",),
    "bindkracht10": ("ondersteuning",),
    "veiligheidshuis": ("veiligheid",),
}
INFORMATION_VERSION = "informatiebrief-2026-01"


def contact_email(code: str) -> str:
    return f"regieteam@{code.replace('_', '-')}.partners.regieteam.example"


DOMAINS = (
    DomainSpec("wonen", "Wonen", "Housing"),
    DomainSpec("financien", "Financiën en schulden", "Finances and debts"),
    DomainSpec("werk_inkomen", "Werk en inkomen", "Work and income"),
    DomainSpec(
        "gezondheid", "Gezondheid en GGZ", "Health and mental health care", special_category=True
    ),
    DomainSpec("jeugd", "Jeugd en opvoeding", "Youth and parenting"),
    DomainSpec("onderwijs", "Onderwijs", "Education"),
    DomainSpec("veiligheid", "Veiligheid en justitie", "Safety and justice", criminal=True),
    DomainSpec("ondersteuning", "Maatschappelijke ondersteuning", "Social support"),
)

# --- staff ------------------------------------------------------------------------------------

R = Role
ACCOUNTS = (
    AccountSpec("procesregisseur", "Marloes Verhoeven", R.PROCESREGISSEUR, "gemeente_nijmegen",
                date(2023, 2, 1), note="all cases"),
    AccountSpec("managementassistent", "Ilse Janssen", R.MANAGEMENT_ASSISTANT,
                "gemeente_nijmegen", date(2023, 5, 15), note="all cases"),
    AccountSpec("teamlid", "Ruud Peters", R.TEAM_MEMBER, "talis", date(2024, 1, 10),
                note="only cases they take part in"),
    AccountSpec("casemanager", "Sanne de Bruijn", R.CASE_MANAGER, "sterker", date(2023, 9, 4),
                note="only their own cases"),
    AccountSpec("incidenteel", "Jeroen Hendriks", R.INCIDENTAL_PROFESSIONAL, "bindkracht10",
                date(2025, 6, 2), confidentiality_signed_on=date(2026, 7, 14),
                note="one case"),
    AccountSpec("privacyloket", "Noor Bakker", R.PRIVACY_DESK, "gemeente_nijmegen",
                date(2022, 11, 7), note="AVG requests"),
    AccountSpec("statistiek", "Thijs van Dijk", R.STATISTICS, "gemeente_nijmegen",
                date(2024, 3, 18), note="reports without personal data"),
    AccountSpec("beheerder", "Karin Willems", R.ADMIN, "gemeente_nijmegen", date(2022, 8, 29),
                note="partners and accounts"),
    # Member of a case, but without a signed confidentiality statement and without professional
    # secrecy: the access policy refuses every case (Convenant art. 4.2).
    AccountSpec("leerplicht", "Bram Gerritsen", R.INCIDENTAL_PROFESSIONAL, "leerplicht",
                date(2025, 4, 22), note="no confidentiality statement: sees no case"),
    # More team members, so cases have varied teams.
    AccountSpec("schuldhulp", "Yasmina Amrani", R.TEAM_MEMBER, "gemeente_nijmegen",
                date(2023, 6, 12), note="schuldhulpverlening"),
    AccountSpec("wijkagent", "Dennis Arts", R.TEAM_MEMBER, "politie", date(2021, 10, 4)),
    AccountSpec("jeugdbescherming", "Lotte Smits", R.TEAM_MEMBER, "jeugdbescherming_gelderland",
                date(2024, 2, 26)),
    AccountSpec("propersona", "Hans Kuipers", R.TEAM_MEMBER, "pro_persona", date(2022, 4, 11)),
    AccountSpec("sterker", "Esther Wouters", R.TEAM_MEMBER, "sterker", date(2024, 9, 9)),
    AccountSpec("portaal", "Kevin Hermsen", R.TEAM_MEMBER, "portaal", date(2023, 12, 1)),
    AccountSpec("ggd", "Annelies Claassen", R.TEAM_MEMBER, "ggd_gelderland_zuid",
                date(2024, 5, 6)),
    AccountSpec("casemanager.jbg", "Mirjam Vos", R.CASE_MANAGER, "jeugdbescherming_gelderland",
                date(2023, 3, 20), note="only their own cases"),
)


# --- households and cases ---------------------------------------------------------------------

def _bsn_maker(rng: random.Random):
    """Valid BSNs (11-check) in the 99999xxxx test range, each different."""
    used: set[str] = set()

    def make() -> str:
        while True:
            digits = [9, 9, 9, 9, 9] + [rng.randrange(10) for _ in range(3)]
            check = sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=True)) % 11
            number = "".join(map(str, digits)) + str(check)
            if check < 10 and number not in used:
                used.add(number)
                return number

    return make


def _household(street, number, postcode, wijk, *persons) -> HouseholdSpec:
    return HouseholdSpec(street, number, postcode, wijk, tuple(persons))


def _e(phase, written_on, kind, domain, author, text, person=None) -> EntrySpec:
    return EntrySpec(phase, written_on, kind, domain, author, text, person)


K = EntryKind
D = date
PICK_UP, SCALE_UP = Decision.PICK_UP, Decision.SCALE_UP


def _cases(bsn) -> list[dict]:
    """The cases, unnumbered. Households of cases in phases 1-3 hold only the names the signal
    brings in (and that a not-picked-up letter needs); the household's composition, birth dates
    and BSNs are recorded from the assignment (phase 4), where consent is asked per person."""
    P_ = PersonSpec
    return [
        # Phase 1: signals.
        dict(household=_household("Vlasakkerstraat", "14", "6535 KL", "Hatert",
                                  P_("Patrick", "van Leeuwen")),
             opened_on=D(2026, 10, 27), phase=1, decision=Decision.PENDING,
             team=("talis",), members=("teamlid",)),
        dict(household=_household("Distelvinkhof", "27", "6545 GT", "Lindenholt",
                                  P_("Sandra", "Mulder")),
             opened_on=D(2026, 11, 3), phase=1, decision=Decision.PENDING,
             team=("politie",), members=("wijkagent",)),
        # Phase 2: assessment.
        dict(household=_household("Zaagmolenstraat", "8", "6511 RB", "Bottendaal",
                                  P_("Gerrit", "Kuijpers")),
             opened_on=D(2026, 10, 6), phase=2, decision=Decision.PENDING,
             team=("sterker",), members=("sterker",)),
        dict(household=_household("Kiezelweg", "41", "6543 NW", "Hees",
                                  P_("Nadia", "el Idrissi")),
             opened_on=D(2026, 10, 13), phase=2, decision=Decision.PENDING,
             team=("portaal",), members=("portaal",)),
        # Phase 3: information gathering, no decision yet.
        dict(household=_household("Rietkraagstraat", "52", "6538 TC", "Dukenburg",
                                  P_("Johan", "de Groot"), P_("Marieke", "de Groot")),
             opened_on=D(2026, 9, 22), phase=3, decision=Decision.PENDING,
             team=("talis", "gemeente_nijmegen"), members=("teamlid", "schuldhulp")),
        dict(household=_household("Klinkerhof", "6", "6541 XE", "Neerbosch-Oost",
                                  P_("Chantal", "Vermeulen")),
             opened_on=D(2026, 9, 29), phase=3, decision=Decision.PENDING,
             team=("jeugdbescherming_gelderland",), members=("jeugdbescherming",)),
        # Phase 3, not picked up: closed, nothing recorded but the address for the letter.
        dict(household=_household("Kroonkurkstraat", "30", "6512 HM", "Wolfskuil",
                                  P_("Henk", "Lamers"), P_("Ria", "Lamers")),
             opened_on=D(2026, 6, 2), phase=3, decision=Decision.NOT_PICKED_UP,
             closed_on=D(2026, 6, 23), team=("politie",), members=("wijkagent",)),
        # Phase 4: case team and case manager assigned; consent is asked in this phase.
        dict(household=_household(
                "Spoelmakersstraat", "11", "6512 CW", "Willemskwartier",
                P_("Samira", "Benali", D(1987, 3, 14), bsn(), "s.benali@example.org"),
                P_("Yusuf", "Benali", D(2012, 8, 2), representative="Samira"),
                P_("Amira", "Benali", D(2014, 11, 19), representative="Samira"),
                P_("Idris", "Benali", D(2019, 5, 7), representative="Samira")),
             opened_on=D(2026, 8, 18), phase=4, decision=PICK_UP,
             team=("talis", "sterker", "gemeente_nijmegen"),
             members=("teamlid", "sterker", "schuldhulp"), case_manager="sterker"),
        dict(household=_household(
                "Graanschuurweg", "5", "6541 BJ", "Heseveld",
                P_("Robin", "Evers", D(1995, 1, 30), bsn()),
                # Sixteen: gives consent herself, still a minor with a representative.
                P_("Shanaya", "Evers", D(2010, 4, 12), representative="Robin"),
                P_("Levi", "Evers", D(2021, 9, 25), representative="Robin")),
             opened_on=D(2026, 9, 1), phase=4, decision=SCALE_UP,
             team=("politie", "jeugdbescherming_gelderland", "sterker"),
             members=("wijkagent", "jeugdbescherming", "casemanager.jbg"),
             case_manager="casemanager.jbg"),
        # Phase 5: plan of approach; from here on data is recorded.
        dict(household=_household(
                "Bremstruikstraat", "22", "6535 VR", "Hatert",
                P_("Tamara", "Hoekstra", D(1983, 6, 21), bsn(), "tamara.hoekstra@example.org"),
                P_("Sven", "Hoekstra", D(2011, 2, 8), representative="Tamara"),
                P_("Julia", "Hoekstra", D(2014, 10, 3), representative="Tamara")),
             opened_on=D(2026, 5, 12), phase=5, decision=PICK_UP,
             team=("sterker", "gemeente_nijmegen", "talis"),
             members=("casemanager", "schuldhulp", "teamlid"), case_manager="casemanager",
             entries=(
                _e(5, D(2026, 6, 16), K.PROBLEM_OUTLINE, "ondersteuning", "casemanager",
                   "Alleenstaande moeder met twee kinderen. Huurachterstand van vier maanden, post "
                   "blijft ongeopend liggen en de kinderen missen regelmatig school. Moeder geeft "
                   "aan het overzicht kwijt te zijn.", "Tamara"),
                _e(5, D(2026, 6, 18), K.PLAN, "financien", "schuldhulp",
                   "Aanmelding schuldhulpverlening; intakegesprek binnen twee weken, daarna "
                   "budgetbeheer. Betalingsregeling voor de huur voorbereiden met Talis."),
                _e(5, D(2026, 6, 18), K.PRODUCT_ORDER, "wonen", "teamlid",
                   "Talis schort de ontruimingsprocedure op zolang de betalingsregeling wordt "
                   "nagekomen."),
                _e(5, D(2026, 6, 22), K.INVOLVED_ORGANISATION, "onderwijs", "casemanager",
                   "De basisschool van Sven is betrokken via de intern begeleider; contact loopt "
                   "via de casemanager.", "Sven"),
                _e(5, D(2026, 6, 24), K.ACTION, "ondersteuning", "casemanager",
                   "Huisbezoek met moeder op 1 juli om het plan van aanpak samen door te nemen."),
             )),
        dict(household=_household(
                "Touwslagerstraat", "4", "6512 VK", "Oud-West",
                P_("Frank", "Verbeek", D(1969, 12, 1), bsn())),
             opened_on=D(2026, 6, 9), phase=5, decision=PICK_UP,
             team=("pro_persona", "portaal", "gemeente_nijmegen"),
             members=("propersona", "portaal", "schuldhulp"), case_manager="propersona",
             entries=(
                _e(5, D(2026, 7, 14), K.PROBLEM_OUTLINE, "gezondheid", "propersona",
                   "Vereenzaamde man, vermoedelijk psychische problematiek en zorgmijdend. De "
                   "woning is sterk vervuild; buren melden stankoverlast.", "Frank"),
                _e(5, D(2026, 7, 14), K.PLAN, "gezondheid", "propersona",
                   "Bemoeizorg: wekelijks huisbezoek. Doel is een afspraak bij de huisarts en "
                   "vrijwillige behandeling."),
                _e(5, D(2026, 7, 21), K.PRODUCT_ORDER, "wonen", "portaal",
                   "Portaal regelt in overleg met de bewoner een schoonmaak van de woning; zolang "
                   "hij meewerkt worden de kosten niet op hem verhaald."),
                _e(5, D(2026, 7, 28), K.INVOLVED_ORGANISATION, "financien", "schuldhulp",
                   "Onderzoek naar beschermingsbewind; eerder was er een bewindvoerder betrokken."),
             )),
        dict(household=_household(
                "Meidoornhaag", "117", "6537 PN", "Dukenburg",
                P_("Esra", "Kaya", D(1988, 7, 9), bsn()),
                P_("Murat", "Kaya", D(1985, 2, 17), bsn()),
                P_("Mert", "Kaya", D(2011, 5, 30), representative="Esra"),
                P_("Zeynep", "Kaya", D(2013, 9, 14), representative="Esra"),
                P_("Deniz", "Kaya", D(2016, 1, 22), representative="Esra")),
             opened_on=D(2026, 7, 7), phase=5, decision=SCALE_UP,
             team=("jeugdbescherming_gelderland", "bindkracht10", "sterker", "leerplicht"),
             members=("jeugdbescherming", "casemanager.jbg", "incidenteel", "sterker",
                      "leerplicht"),
             case_manager="casemanager.jbg",
             entries=(
                _e(5, D(2026, 8, 25), K.PROBLEM_OUTLINE, "jeugd", "jeugdbescherming",
                   "Gezin met drie kinderen; voor Mert loopt een ondertoezichtstelling. Spanningen "
                   "thuis, Mert is 's avonds vaak laat op straat.", "Mert"),
                _e(5, D(2026, 8, 27), K.PLAN, "jeugd", "casemanager.jbg",
                   "Opvoedondersteuning door een gezinscoach; de jeugdbeschermer bewaakt de doelen "
                   "van de ondertoezichtstelling."),
                _e(5, D(2026, 9, 8), K.ACTION, "onderwijs", "incidenteel",
                   "Jongerenwerker begeleidt Mert naar een stageplek; gesprek met de mentor op "
                   "15 september.", "Mert"),
                _e(5, D(2026, 9, 10), K.INVOLVED_ORGANISATION, "ondersteuning", "sterker",
                   "Sterker Sociaal Werk helpt moeder bij het aanvragen van toeslagen.", "Esra"),
             )),
        # Phase 6: review.
        dict(household=_household(
                "Wilgenkorfstraat", "9", "6545 HZ", "Lindenholt",
                P_("Marco", "Roelofs", D(1980, 10, 11), bsn()),
                P_("Bianca", "Roelofs", D(1981, 3, 27)),
                P_("Luuk", "Roelofs", D(2012, 12, 5), representative="Bianca")),
             opened_on=D(2026, 2, 10), phase=6, decision=PICK_UP,
             team=("sterker", "talis", "politie"),
             members=("casemanager", "teamlid", "wijkagent"), case_manager="casemanager",
             entries=(
                _e(5, D(2026, 3, 17), K.PROBLEM_OUTLINE, "veiligheid", "wijkagent",
                   "Herhaalde meldingen van geluidsoverlast en ruzies in de woning; twee keer "
                   "politie-inzet in januari."),
                _e(5, D(2026, 3, 19), K.PLAN, "ondersteuning", "casemanager",
                   "Afspraken met het gezin over rust in huis; buurtbemiddeling aangeboden. De "
                   "casemanager coördineert."),
                _e(5, D(2026, 3, 24), K.PRODUCT_ORDER, "wonen", "teamlid",
                   "Talis legt gedragsafspraken vast in een gedragsovereenkomst bij het "
                   "huurcontract."),
                _e(6, D(2026, 5, 12), K.PROGRESS, "veiligheid", "wijkagent",
                   "Sinds de gedragsovereenkomst geen nieuwe meldingen bij de politie."),
                _e(6, D(2026, 5, 12), K.PROGRESS, "ondersteuning", "casemanager",
                   "Casusbespreking: doelen grotendeels gehaald, buurtbemiddeling afgerond."),
             )),
        dict(household=_household(
                "Kastanjehofje", "2", "6522 EP", "Nijmegen-Oost",
                P_("Willem", "Brinkman", D(1955, 8, 3), bsn())),
             opened_on=D(2026, 3, 3), phase=6, decision=PICK_UP,
             team=("pro_persona", "ggd_gelderland_zuid", "mooiland"),
             members=("propersona", "ggd"), case_manager="propersona",
             entries=(
                _e(5, D(2026, 4, 7), K.PROBLEM_OUTLINE, "gezondheid", "ggd",
                   "Oudere man met verward gedrag; het meldpunt ontving drie meldingen van buren. "
                   "Zorgmijdend.", "Willem"),
                _e(5, D(2026, 4, 9), K.PLAN, "gezondheid", "propersona",
                   "Bemoeizorg legt contact via de huisarts; doel is ambulante begeleiding."),
                _e(5, D(2026, 4, 9), K.INVOLVED_ORGANISATION, "wonen", "propersona",
                   "Mooiland is op de hoogte van de aanpak; er loopt geen ontruimingsprocedure."),
                _e(6, D(2026, 6, 2), K.PROGRESS, "gezondheid", "propersona",
                   "Meneer accepteert een wekelijks bezoek; de huisarts heeft hem gezien."),
                _e(6, D(2026, 6, 2), K.PRODUCT_ORDER, "ondersteuning", "propersona",
                   "Melding Wmo-begeleiding gedaan bij de gemeente."),
             )),
        dict(household=_household(
                "Ketelboetersstraat", "16", "6512 LX", "Biezen",
                P_("Joyce", "Martens", D(1991, 11, 23), bsn(), "joyce.martens@example.org"),
                P_("Dylan", "Martens", D(2012, 4, 4), representative="Joyce"),
                P_("Nova", "Martens", D(2015, 7, 16), representative="Joyce"),
                P_("Finn", "Martens", D(2018, 12, 29), representative="Joyce")),
             opened_on=D(2026, 1, 20), phase=6, decision=SCALE_UP,
             team=("jeugdbescherming_gelderland", "gemeente_nijmegen", "standvast_wonen"),
             members=("jeugdbescherming", "casemanager.jbg", "schuldhulp"),
             case_manager="casemanager.jbg",
             entries=(
                _e(5, D(2026, 2, 24), K.PROBLEM_OUTLINE, "jeugd", "jeugdbescherming",
                   "Moeder met drie kinderen; zorgen over verwaarlozing na een melding van school. "
                   "Moeder heeft hoge schulden."),
                _e(5, D(2026, 2, 26), K.PLAN, "financien", "schuldhulp",
                   "Stabilisatiefase schuldhulpverlening; vaste lasten via budgetbeheer.", "Joyce"),
                _e(5, D(2026, 2, 26), K.PLAN, "jeugd", "casemanager.jbg",
                   "Ambulante gezinsbegeleiding, drie dagdelen per week; evaluatie na drie "
                   "maanden."),
                _e(5, D(2026, 3, 5), K.PRODUCT_ORDER, "jeugd", "casemanager.jbg",
                   "Beschikking jeugdhulp aangevraagd: ambulante gezinsbegeleiding."),
                _e(6, D(2026, 6, 9), K.PROGRESS, "financien", "schuldhulp",
                   "Alle schuldeisers in beeld; minnelijk schuldtraject aangevraagd."),
                _e(6, D(2026, 6, 9), K.PROGRESS, "onderwijs", "jeugdbescherming",
                   "De kinderen gaan weer elke dag naar school; school ziet verbetering.", "Dylan"),
             )),
        # Phase 7: monitoring (about six months).
        dict(household=_household(
                "Dijkwachtersweg", "33", "6663 MB", "Lent",
                P_("Erik", "Timmermans", D(1973, 4, 18), bsn()),
                P_("Monique", "Timmermans", D(1975, 9, 6), bsn())),
             opened_on=D(2025, 9, 16), phase=7, decision=PICK_UP,
             team=("sterker", "gemeente_nijmegen", "de_gemeenschap"),
             members=("casemanager", "schuldhulp"), case_manager="casemanager",
             entries=(
                _e(5, D(2025, 10, 21), K.PROBLEM_OUTLINE, "financien", "schuldhulp",
                   "Echtpaar met grote betalingsachterstanden na baanverlies; afsluiting van "
                   "energie dreigt."),
                _e(5, D(2025, 10, 23), K.PLAN, "werk_inkomen", "schuldhulp",
                   "Aanvraag bijstand (Participatiewet) en begeleiding naar werk via het "
                   "werkgeversservicepunt.", "Erik"),
                _e(5, D(2025, 10, 30), K.INVOLVED_ORGANISATION, "wonen", "casemanager",
                   "De Gemeenschap gaat akkoord met een betalingsregeling voor de huur."),
                _e(6, D(2026, 2, 3), K.PROGRESS, "werk_inkomen", "schuldhulp",
                   "Meneer is begonnen met een proefplaatsing bij een logistiek bedrijf.", "Erik"),
                _e(7, D(2026, 9, 1), K.ACTION, "ondersteuning", "casemanager",
                   "Monitoring tot maart 2027: maandelijks telefonisch contact met de "
                   "casemanager."),
             )),
        dict(household=_household(
                "Kaarsenmakershof", "7", "6512 NR", "Galgenveld",
                P_("Rachid", "Ouali", D(1984, 1, 26), bsn())),
             opened_on=D(2025, 10, 21), phase=7, decision=PICK_UP,
             team=("portaal", "pro_persona", "politie"),
             members=("portaal", "propersona", "wijkagent"), case_manager="propersona",
             entries=(
                _e(5, D(2025, 11, 25), K.PROBLEM_OUTLINE, "veiligheid", "wijkagent",
                   "Overlast door bezoekers van de woning, vermoedelijk drugsgerelateerd. De "
                   "bewoner is zelf kwetsbaar en wordt onder druk gezet."),
                _e(5, D(2025, 11, 27), K.PLAN, "gezondheid", "propersona",
                   "Motiverende gesprekken en aanmelding voor ambulante verslavingszorg.",
                   "Rachid"),
                _e(5, D(2025, 12, 2), K.PRODUCT_ORDER, "wonen", "portaal",
                   "Portaal plaatst een nieuw slot op de portiekdeur; de huurder tekent een "
                   "laatste-kansovereenkomst."),
                _e(6, D(2026, 3, 10), K.PROGRESS, "veiligheid", "wijkagent",
                   "Geen meldingen meer sinds februari."),
                _e(7, D(2026, 8, 4), K.ACTION, "gezondheid", "propersona",
                   "Monitoring zes maanden: maandelijks contact met de behandelaar.", "Rachid"),
             )),
        # Phase 8: closing. One still open, two closed.
        dict(household=_household(
                "Zandgroevestraat", "58", "6543 CH", "Hees",
                P_("Anja", "Lubbers", D(1979, 5, 2), bsn()),
                P_("Kevin", "Lubbers", D(2010, 1, 15), representative="Anja"),
                P_("Demi", "Lubbers", D(2013, 6, 28), representative="Anja")),
             opened_on=D(2025, 6, 10), phase=8, decision=PICK_UP,
             team=("sterker", "talis", "gemeente_nijmegen"),
             members=("sterker", "teamlid", "schuldhulp"), case_manager="sterker",
             entries=(
                _e(5, D(2025, 7, 15), K.PROBLEM_OUTLINE, "ondersteuning", "sterker",
                   "Moeder met twee kinderen, na scheiding zonder vast inkomen; huurachterstand en "
                   "spanningen met de buren.", "Anja"),
                _e(5, D(2025, 7, 17), K.PLAN, "financien", "schuldhulp",
                   "Budgetbeheer en schuldregeling; aanvraag kinderopvangtoeslag."),
                _e(5, D(2025, 7, 22), K.PRODUCT_ORDER, "wonen", "teamlid",
                   "Talis biedt een kleinere, goedkopere woning in dezelfde wijk aan."),
                _e(6, D(2025, 11, 4), K.PROGRESS, "wonen", "teamlid",
                   "De verhuizing naar de nieuwe woning is afgerond."),
                _e(7, D(2026, 4, 7), K.PROGRESS, "ondersteuning", "sterker",
                   "Monitoring: de situatie is stabiel, geen nieuwe achterstanden."),
                _e(8, D(2026, 10, 20), K.ACTION, "ondersteuning", "sterker",
                   "Eindgesprek met moeder gepland; de doelen van het plan van aanpak zijn "
                   "behaald."),
             )),
        dict(household=_household(
                "Heidebloemstraat", "3", "6535 XG", "Hatert",
                P_("Saskia", "Derksen", D(1986, 8, 8), bsn()),
                P_("Jesse", "Derksen", D(2011, 3, 3), representative="Saskia"),
                P_("Lynn", "Derksen", D(2016, 10, 10), representative="Saskia")),
             opened_on=D(2025, 3, 4), phase=8, decision=SCALE_UP, closed_on=D(2026, 4, 14),
             team=("politie", "jeugdbescherming_gelderland", "sterker"),
             members=("wijkagent", "jeugdbescherming", "sterker"),
             case_manager="jeugdbescherming",
             entries=(
                _e(5, D(2025, 4, 8), K.PROBLEM_OUTLINE, "jeugd", "jeugdbescherming",
                   "Zorgen over de veiligheid van de kinderen na huiselijk geweld door de "
                   "ex-partner; Veilig Thuis is betrokken."),
                _e(5, D(2025, 4, 8), K.INVOLVED_ORGANISATION, "veiligheid", "wijkagent",
                   "De ex-partner heeft een contactverbod; de wijkagent houdt contact met moeder."),
                _e(5, D(2025, 4, 15), K.PLAN, "ondersteuning", "sterker",
                   "Sterker ondersteunt moeder bij het opbouwen van een eigen netwerk.", "Saskia"),
                _e(6, D(2025, 7, 1), K.PROGRESS, "jeugd", "jeugdbescherming",
                   "Het veiligheidsplan werkt; geen nieuwe incidenten."),
                _e(7, D(2025, 12, 9), K.PROGRESS, "ondersteuning", "sterker",
                   "Monitoring zonder nieuwe zorgen."),
                _e(8, D(2026, 4, 7), K.ACTION, "jeugd", "jeugdbescherming",
                   "Eindevaluatie met moeder; de inzet van het Regieteam stopt. Het gezin weet "
                   "het Sociaal Wijkteam te vinden."),
             )),
        dict(household=_household(
                "Uiterwaardenweg", "12", "6678 BL", "Oosterhout",
                P_("Gert-Jan", "Wessels", D(1962, 2, 13), bsn()),
                P_("Petra", "Wessels", D(1965, 11, 30), bsn())),
             opened_on=D(2025, 1, 14), phase=8, decision=PICK_UP, closed_on=D(2025, 12, 16),
             team=("pro_persona", "ggd_gelderland_zuid", "woongenoot"),
             members=("propersona", "ggd"), case_manager="propersona",
             entries=(
                _e(5, D(2025, 2, 18), K.PROBLEM_OUTLINE, "gezondheid", "ggd",
                   "Echtpaar met ernstige vervuiling van de woning door verzameldrang; de "
                   "brandweer meldt brandgevaar."),
                _e(5, D(2025, 2, 20), K.PLAN, "gezondheid", "propersona",
                   "Bemoeizorg bouwt vertrouwen op; stap voor stap opruimen, steeds met "
                   "toestemming van het echtpaar."),
                _e(5, D(2025, 2, 25), K.INVOLVED_ORGANISATION, "wonen", "ggd",
                   "Woongenoot is betrokken bij het opruimen en de brandveiligheidscontrole."),
                _e(6, D(2025, 6, 3), K.PROGRESS, "wonen", "propersona",
                   "De woning is opgeruimd; de brandweer heeft haar weer veilig verklaard."),
                _e(7, D(2025, 10, 14), K.PROGRESS, "gezondheid", "propersona",
                   "Monitoring: het echtpaar houdt de woning zelf op orde, met wekelijkse "
                   "thuiszorg."),
                _e(8, D(2025, 12, 9), K.ACTION, "ondersteuning", "propersona",
                   "Overdracht aan het Sociaal Wijkteam voor lichte ondersteuning."),
             )),
    ]


def plan() -> Plan:
    """The whole demo data set. Pure: two calls give equal plans."""
    rows = _cases(_bsn_maker(random.Random(SEED)))
    # References number the cases per year in the order they were opened.
    rows.sort(key=lambda row: row["opened_on"])
    per_year: dict[int, int] = {}
    cases = []
    for row in rows:
        year = row["opened_on"].year
        per_year[year] = per_year.get(year, 0) + 1
        entries = row.pop("entries", ())
        cases.append(CaseSpec(reference=f"RT-{year}-{per_year[year]:04d}", entries=entries, **row))
    return Plan(PARTNERS, DOMAINS, ACCOUNTS, tuple(cases))


# --- loading ----------------------------------------------------------------------------------

def totp_secret(email: str) -> str:
    """A fixed base32 secret per demo account, so the codes survive a reload. Anyone who reads
    this can compute them: demo only."""
    return base64.b32encode(hashlib.sha256(email.encode("utf-8")).digest()[:20]).decode("ascii")


def demo_users() -> sa.Select:
    return sa.select(User).where(User.email.like(f"%@{DEMO_EMAIL_DOMAIN}")).order_by(User.id)


def is_loaded() -> bool:
    return db.session.scalar(demo_users().limit(1)) is not None


def _partner(spec: PartnerSpec) -> Partner:
    # Partners may already be seeded (they are editable by an admin): reuse them as they are.
    existing = db.session.scalar(
        sa.select(Partner).where(sa.or_(Partner.code == spec.code, Partner.name == spec.name))
    )
    if existing is not None:
        return existing
    partner = Partner(
        code=spec.code, name=spec.name, participation=spec.participation,
        is_municipal=spec.is_municipal, professional_secrecy=spec.professional_secrecy,
        statutory_task=spec.statutory_task,
    )
    db.session.add(partner)
    partner.contact_email = contact_email(spec.code)
    return partner


def _domain(spec: DomainSpec) -> DataDomain:
    existing = db.session.scalar(sa.select(DataDomain).where(DataDomain.code == spec.code))
    if existing is not None:
        return existing
    domain = DataDomain(
        code=spec.code, name_nl=spec.name_nl, name_en=spec.name_en,
        special_category=spec.special_category, criminal=spec.criminal,
    )
    db.session.add(domain)
    return domain


def _household_with_persons(spec: HouseholdSpec) -> tuple[Household, dict[str, Person]]:
    household = Household(
        street=spec.street, house_number=spec.house_number, postcode=spec.postcode,
        city="Nijmegen", wijk=spec.wijk,
    )
    db.session.add(household)
    db.session.flush()
    persons: dict[str, Person] = {}
    for person in spec.persons:
        persons[person.given_name] = operations.create_person(
            None, household, given_name=person.given_name, family_name=person.family_name,
            birth_date=person.birth_date, bsn=person.bsn, email=person.email,
            legal_representative=persons.get(person.representative),
        )
    return household, persons


def _written_at(day: date, sequence: int) -> datetime:
    # Entries carry the day they were written in the story, so the timeline reads naturally.
    return datetime.combine(day, time(9, 0), tzinfo=UTC) + timedelta(minutes=sequence)


def _case(spec: CaseSpec, users: dict[str, User], partners: dict[str, Partner],
          domains: dict[str, DataDomain]) -> Case:
    regisseur = users["procesregisseur"]
    household, persons = _household_with_persons(spec.household)
    case = Case(
        reference=spec.reference, household=household, phase=Phase.SIGNAL,
        decision=Decision.PENDING, procesregisseur=regisseur, opened_on=spec.opened_on,
    )
    db.session.add(case)
    case.team.extend(partners[code] for code in spec.team)
    case.members.extend(users[key] for key in spec.members)
    db.session.flush()

    while case.phase < min(spec.phase, Phase.INFORMATION):
        operations.advance_phase(regisseur, case)
    if spec.decision is Decision.PENDING:
        return case
    operations.decide(regisseur, case, spec.decision, on=spec.closed_on)
    if spec.decision is Decision.NOT_PICKED_UP:
        return case

    # Step 4 assigns the case manager; from step 5 the core data set is recorded.
    case.case_manager = users[spec.case_manager] if spec.case_manager else None
    sequence = 0
    while True:
        for entry in (e for e in spec.entries if e.phase == case.phase):
            author = users[entry.author]
            written = operations.add_entry(
                author, case, kind=entry.kind, domain=domains[entry.domain], text=entry.text,
                person=persons[entry.person] if entry.person else None,
            )
            written.created_at = _written_at(entry.written_on, sequence)
            sequence += 1
        if case.phase >= spec.phase:
            break
        operations.advance_phase(regisseur, case)
    if spec.closed_on is not None:
        operations.close_case(regisseur, case, on=spec.closed_on)
    db.session.flush()
    return case


def load() -> bool:
    """Write the demo data once. False, and nothing written, when the demo accounts exist.
    Flushes; the caller commits."""
    if current_app.config.get("PORTAL_ENV") == "production":
        # Published password and derivable TOTP secrets: never in production.
        raise RuntimeError("Demo data is not loaded in production mode.")
    if is_loaded():
        return False
    data = plan()
    partners = {spec.code: _partner(spec) for spec in data.partners}
    domains = {spec.code: _domain(spec) for spec in data.domains}
    for code, domain_codes in PARTNER_DOMAINS.items():
        if not partners[code].domains:
            partners[code].domains.extend(domains[d] for d in domain_codes)
    db.session.flush()

    password_hash = hash_password(DEMO_PASSWORD)  # one hash: argon2 is slow by design
    users: dict[str, User] = {}
    for spec in data.accounts:
        user = User(
            email=spec.email, name=spec.name, password_hash=password_hash, role=spec.role,
            partner=partners[spec.partner], vog_date=spec.vog_date,
            confidentiality_signed_on=spec.confidentiality_signed_on,
            totp_secret=totp_secret(spec.email), totp_confirmed=True,
        )
        db.session.add(user)
        users[spec.key] = user
    db.session.flush()

    for spec in data.cases:
        case = _case(spec, users, partners, domains)
        if case.phase >= Phase.PLAN:
            _consents(case, spec, users, domains)
    return True


def _consents(case: Case, spec: CaseSpec, users: dict[str, User], domains: dict) -> None:
    """Step 4's bemoeizorg conversation: each adult decides per partner on the team, for the
    partner's own domains and, across domains, for finances. One refusal and one withdrawal per
    case show both in the demo."""
    from consent import operations as consent_ops
    from consent.models import Channel, ConsentStatus, Purpose, RecordedBy

    manager = case.case_manager or users["procesregisseur"]
    talked_on = datetime.combine(spec.opened_on + timedelta(days=21), time(10, 0), tzinfo=UTC)
    adults = [p for p in case.household.persons if not p.is_minor_on(talked_on.date())]
    decisions = []
    for person in adults:
        for partner in case.team:
            for domain in {*partner.domains, domains["financien"]}:
                refused = (person.id + partner.id + domain.id) % 7 == 0
                decisions.append((person, partner, domain, refused))
    for person, partner, domain, refused in sorted(
        decisions, key=lambda d: (d[0].id, d[1].id, d[2].id)
    ):
        consent_ops.record_decision(
            manager, person=person, domain=domain, recipient=partner, purpose=Purpose.PLAN,
            status=ConsentStatus.REFUSED if refused else ConsentStatus.GIVEN,
            recorded_by=RecordedBy.CASE_MANAGER, channel=Channel.BEMOEIZORG_CONVERSATION,
            information_version=INFORMATION_VERSION, effective_at=talked_on, case=case,
        )
    given = [d for d in decisions if not d[3]]
    if given:
        person, partner, domain, _ = max(given, key=lambda d: (d[0].id, d[1].id, d[2].id))
        consent_ops.withdraw_consent(
            manager, person=person, domain=domain, recipient=partner, purpose=Purpose.PLAN,
            recorded_by=RecordedBy.CASE_MANAGER, channel=Channel.IN_WRITING,
        )


def accounts_text() -> str:
    """The demo accounts and how to sign in, for `flask --app portal demo accounts`."""
    users = db.session.scalars(demo_users()).all()
    if not users:
        return "No demo accounts yet. Load them with: flask --app portal demo load"
    notes = {spec.email: spec.note for spec in ACCOUNTS}
    width = max(len(user.email) for user in users)
    role_width = max(len(user.role.value) for user in users)
    partner_width = max(len(user.partner.name) for user in users)
    lines = [
        "Demo accounts (fictional data, never for production)",
        f"Password for every account: {DEMO_PASSWORD}",
        "",
    ]
    for user in users:
        note = notes.get(user.email, "")
        lines.append(
            f"  {user.email:<{width}}  {user.role.value:<{role_width}}  "
            f"{user.partner.name:<{partner_width}}  {note}".rstrip()
        )
    lines += [
        "",
        "Signing in:",
        "  1. Start the portal in demo mode: PORTAL_DEMO=1 flask --app portal run",
        "  2. Open /auth/login and enter an e-mail address above and the password.",
        "  3. Enter the six-digit code. In demo mode the sign-in page shows the current code of",
        "     every demo account; or add the account's secret below to an authenticator app.",
        "",
        "TOTP secrets:",
    ]
    lines += [f"  {user.email:<{width}}  {user.totp_secret}" for user in users]
    return "\n".join(lines)
