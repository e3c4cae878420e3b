"""State changes on the shared model. Each flushes and writes its audit entry but never commits:
the view or CLI command that calls it commits once (HOUSE-STYLE)."""

from __future__ import annotations

from datetime import date
from typing import Optional

import sqlalchemy as sa
from stdnum.nl import bsn as bsn_check

from portal import audit
from portal.crypto import decrypt, encrypt, lookup_hash
from portal.extensions import db
from portal.models import (
    FIRST_PHASE_WITH_PERSONAL_DATA,
    Case,
    CaseEntry,
    DataDomain,
    Decision,
    EntryKind,
    Household,
    Partner,
    Person,
    Phase,
    User,
    utcnow,
)


class RuleViolation(ValueError):
    """A rule of the convenant refuses the change; the message is shown to the user."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def normalise_bsn(value: str) -> str:
    """The BSN as nine digits, or RuleViolation when it fails the 11-check."""
    digits = "".join(ch for ch in value if not ch.isspace() and ch not in ".-")
    if not bsn_check.is_valid(digits):
        raise RuleViolation("invalid_bsn", "Dit is geen geldig BSN (elfproef).")
    return bsn_check.compact(digits)


def set_bsn(person: Person, value: Optional[str]) -> None:
    if not value:
        person.bsn_hash = None
        person.bsn_encrypted = None
        return
    number = normalise_bsn(value)
    person.bsn_hash = lookup_hash(number)
    person.bsn_encrypted = encrypt(number)


def reveal_bsn(person: Person) -> Optional[str]:
    return decrypt(person.bsn_encrypted) if person.bsn_encrypted else None


def find_person_by_bsn(value: str) -> Optional[Person]:
    number = normalise_bsn(value)
    return db.session.scalar(sa.select(Person).where(Person.bsn_hash == lookup_hash(number)))


def create_person(
    actor: Optional[User],
    household: Household,
    *,
    given_name: str,
    family_name: str,
    birth_date: Optional[date] = None,
    bsn: Optional[str] = None,
    email: Optional[str] = None,
    legal_representative: Optional[Person] = None,
) -> Person:
    person = Person(
        household=household,
        given_name=given_name.strip(),
        family_name=family_name.strip(),
        birth_date=birth_date,
        email=email,
        legal_representative=legal_representative,
    )
    set_bsn(person, bsn)
    db.session.add(person)
    db.session.flush()
    audit.record(
        audit.Action.CREATE,
        user=actor,
        person_id=person.id,
        object_type="person",
        object_id=person.id,
        processing_activity="casusregie",
        purpose="vastleggen betrokkene",
    )
    return person


def update_person(
    actor: User,
    person: Person,
    *,
    given_name: str,
    family_name: str,
    birth_date: Optional[date],
    bsn: Optional[str],
    legal_representative: Optional[Person] = None,
) -> Person:
    if legal_representative is not None and legal_representative.id == person.id:
        raise RuleViolation(
            "own_representative", "Iemand kan niet zijn eigen vertegenwoordiger zijn."
        )
    person.given_name = given_name.strip()
    person.family_name = family_name.strip()
    person.birth_date = birth_date
    set_bsn(person, bsn)
    person.legal_representative = legal_representative
    person.updated_at = utcnow()
    db.session.flush()
    audit.record(
        audit.Action.UPDATE,
        user=actor,
        person_id=person.id,
        object_type="person",
        object_id=person.id,
        processing_activity="casusregie",
        purpose="bijwerken NAW-gegevens",
    )
    return person


def add_entry(
    actor: User,
    case: Case,
    *,
    kind: EntryKind,
    domain: DataDomain,
    text: str,
    person: Optional[Person] = None,
    source_partner: Optional[Partner] = None,
) -> CaseEntry:
    """Record an item of the core data set (Privacyprotocol art. 5).

    Afwegingskader: "Vanaf punt 5 worden persoonsgegevens [...] vastgelegd in VIS2": before phase 5
    nothing about the household is stored. A closed case takes no new entries, and no entry is
    added about a person whose processing is restricted (AVG art. 18).
    """
    if case.phase < FIRST_PHASE_WITH_PERSONAL_DATA:
        raise RuleViolation(
            "phase_too_early",
            "Gegevens worden pas vanaf fase 5 (plan van aanpak) vastgelegd (Afwegingskader).",
        )
    if case.is_closed:
        raise RuleViolation("case_closed", "Deze casus is afgesloten.")
    if person is not None and person.household_id != case.household_id:
        raise RuleViolation("person_not_in_case", "Deze persoon hoort niet bij dit huishouden.")
    if not text or not text.strip():
        raise RuleViolation("empty_text", "Vul een tekst in.")
    # AVG art. 18: a restricted person's data is only stored. An entry about the whole household
    # is about that person too.
    concerned = [person] if person is not None else case.household.persons
    if any(member.restricted_since is not None for member in concerned):
        raise RuleViolation(
            "processing_restricted",
            "De verwerking van de gegevens van deze persoon is beperkt (AVG art. 18). Er kunnen "
            "geen gegevens over deze persoon of het hele huishouden worden vastgelegd.",
        )
    entry = CaseEntry(
        case=case,
        kind=kind,
        domain=domain,
        text=text.strip(),
        person=person,
        author_id=actor.id,
        source_partner=source_partner or actor.partner,
    )
    db.session.add(entry)
    db.session.flush()
    audit.record(
        audit.Action.CREATE,
        user=actor,
        case_id=case.id,
        person_id=entry.person_id,
        object_type="case_entry",
        object_id=entry.id,
        processing_activity="casusregie",
        purpose="vastleggen kerngegevens",
    )
    return entry


def decide(actor: User, case: Case, decision: Decision, on: Optional[date] = None) -> Case:
    """Step 3 of the weighing framework: pick up, do not pick up, or scale.

    A signal can be turned away in step 2 ("Als het signaal niet binnen het regieteam thuishoort,
    worden verder geen gegevens verwerkt") or step 3; picking up is decided in step 3 after the
    information is gathered. "Niet oppakken: Gegevens worden niet opgeslagen in VIS2." A case that
    is not picked up keeps only the household address needed to send the not-picked-up letter.
    """
    if decision is Decision.PENDING:
        raise RuleViolation("no_decision", "Kies een besluit.")
    if case.decision is not Decision.PENDING:
        raise RuleViolation("already_decided", "Over deze casus is al besloten.")
    earliest = Phase.ASSESSMENT if decision is Decision.NOT_PICKED_UP else Phase.INFORMATION
    if not earliest <= case.phase <= Phase.INFORMATION:
        raise RuleViolation(
            "wrong_phase",
            "Over oppakken wordt besloten in fase 3; niet oppakken kan ook al in fase 2.",
        )
    case.decision = decision
    if decision is Decision.NOT_PICKED_UP:
        case.closed_on = on or date.today()
        case.entries.clear()
    else:
        case.phase = Phase.ASSIGNMENT
    db.session.flush()
    audit.record(
        audit.Action.UPDATE,
        user=actor,
        case_id=case.id,
        object_type="case",
        object_id=case.id,
        processing_activity="casusregie",
        purpose=f"besluit: {decision.value}",
    )
    return case


def advance_phase(actor: User, case: Case) -> Case:
    if case.is_closed:
        raise RuleViolation("case_closed", "Deze casus is afgesloten.")
    if case.phase == Phase.INFORMATION and case.decision is Decision.PENDING:
        raise RuleViolation("decide_first", "Besluit eerst of de casus wordt opgepakt.")
    if case.phase >= Phase.CLOSING:
        raise RuleViolation("last_phase", "Dit is de laatste fase.")
    case.phase += 1
    db.session.flush()
    audit.record(
        audit.Action.UPDATE,
        user=actor,
        case_id=case.id,
        object_type="case",
        object_id=case.id,
        processing_activity="casusregie",
        purpose=f"naar fase {case.phase}",
    )
    return case


def close_case(actor: User, case: Case, on: Optional[date] = None) -> Case:
    """Ending the help starts the fifteen-year retention (Privacyreglement, Bewaartermijn)."""
    if case.is_closed:
        raise RuleViolation("case_closed", "Deze casus is al afgesloten.")
    if case.decision is Decision.PENDING:
        raise RuleViolation(
            "decide_first",
            "Besluit eerst of de casus wordt opgepakt; pas dan kan hij worden afgesloten.",
        )
    case.phase = Phase.CLOSING
    case.closed_on = on or date.today()
    db.session.flush()
    audit.record(
        audit.Action.UPDATE,
        user=actor,
        case_id=case.id,
        object_type="case",
        object_id=case.id,
        processing_activity="casusregie",
        purpose="casus afsluiten",
    )
    return case


def update_partner(
    actor: User,
    partner: Partner,
    *,
    name: str,
    participation,
    is_municipal: bool,
    professional_secrecy: bool,
    statutory_task: Optional[str],
    contact_email: Optional[str] = None,
    domains: Optional[list[DataDomain]] = None,
) -> Partner:
    partner.name = name.strip()
    partner.contact_email = contact_email
    if domains is not None:
        partner.domains = domains
    partner.participation = participation
    partner.is_municipal = is_municipal
    partner.professional_secrecy = professional_secrecy
    partner.statutory_task = statutory_task
    db.session.flush()
    audit.record(
        audit.Action.UPDATE,
        user=actor,
        object_type="partner",
        object_id=partner.id,
        processing_activity="beheer",
        purpose="partnergegevens bijwerken",
        confidentiality=audit.Confidentiality.NORMAL,
    )
    return partner
