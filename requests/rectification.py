"""The right to rectification (AVG art. 16): the desk corrects the person's data - NAW, birth date,
BSN - or the text of an entry about them. The value it replaces stays in the history
(`Rectification`, encrypted like the new value), and every partner that received the data is told
(AVG art. 19), without the values: the notice names the case and what kind of data changed, the
work system shows the corrected data to those who may see it.
"""

from __future__ import annotations

from datetime import date
from typing import Optional

import sqlalchemy as sa

from portal import audit
from portal.extensions import db
from portal.models import Case, CaseEntry, Person, User, utcnow
from portal.operations import (
    RuleViolation,
    find_person_by_bsn,
    normalise_bsn,
    reveal_bsn,
    set_bsn,
)
from requests.models import (
    EventKind,
    PrivacyRequest,
    Rectification,
    RectifiedField,
    RequestType,
)
from requests.operations import MAX_TEXT, PROCESSING_ACTIVITY
from requests.rights import carry_out_step, check_may_carry_out, tell_recipients

NAME_LENGTH = 100  # the columns' length
EARLIEST_BIRTH_DATE = date(1900, 1, 1)

FIELD_WORDS = {
    RectifiedField.GIVEN_NAME: "voornaam",
    RectifiedField.FAMILY_NAME: "achternaam",
    RectifiedField.BIRTH_DATE: "geboortedatum",
    RectifiedField.BSN: "BSN",
    RectifiedField.ENTRY_TEXT: "tekst van een kerngegeven",
}


def _name(value: Optional[str], what: str) -> str:
    text = (value or "").strip()
    if not text:
        raise RuleViolation("name_required", f"Vul de {what} in.")
    if len(text) > NAME_LENGTH:
        raise RuleViolation("too_long", f"Gebruik voor de {what} hoogstens {NAME_LENGTH} tekens.")
    return text


def _birth_date(value: Optional[date]) -> Optional[date]:
    if value is not None and not (EARLIEST_BIRTH_DATE <= value <= date.today()):
        raise RuleViolation("bad_birth_date", "Vul een geboortedatum in het verleden in.")
    return value


def _tell(person: Person, fields: list[RectifiedField], cases: Optional[list[Case]] = None) -> int:
    names = ", ".join(FIELD_WORDS[field] for field in fields)
    return tell_recipients(
        person,
        kind="data_rectified",
        subject="Gegevens verbeterd in casus {case} (AVG art. 16 en 19)",
        body=(
            "Op verzoek van een betrokkene in casus {case} zijn gegevens verbeterd: "
            f"{names}. Neem de verbetering over in uw eigen administratie (AVG art. 19). De "
            "juiste gegevens staan in het werksysteem, voor wie de casus mag inzien."
        ),
        cases=cases,
    )


def rectify_person(
    actor: User,
    request: PrivacyRequest,
    *,
    version: Optional[int],
    given_name: str,
    family_name: str,
    birth_date: Optional[date],
    bsn: Optional[str],
) -> list[Rectification]:
    """Correct the person's NAW data. Each changed value is kept with the value it replaced;
    nothing is written when nothing changed."""
    check_may_carry_out(request, RequestType.RECTIFICATION, version)
    person = request.person
    given_name = _name(given_name, "voornaam")
    family_name = _name(family_name, "achternaam")
    birth_date = _birth_date(birth_date)
    old_bsn = reveal_bsn(person)
    new_bsn = None
    if bsn and bsn.strip():
        holder = find_person_by_bsn(bsn)  # refuses a number that fails the 11-check
        if holder is not None and holder.id != person.id:
            raise RuleViolation(
                "bsn_taken", "Dit BSN hoort bij een andere persoon in het werksysteem."
            )
        new_bsn = normalise_bsn(bsn)
    changes = [
        (RectifiedField.GIVEN_NAME, person.given_name, given_name),
        (RectifiedField.FAMILY_NAME, person.family_name, family_name),
        (
            RectifiedField.BIRTH_DATE,
            person.birth_date.isoformat() if person.birth_date else None,
            birth_date.isoformat() if birth_date else None,
        ),
        (RectifiedField.BSN, old_bsn, new_bsn),
    ]
    changes = [(field, old, new) for field, old, new in changes if old != new]
    if not changes:
        raise RuleViolation("nothing_changed", "Er is niets veranderd.")
    person.given_name = given_name
    person.family_name = family_name
    person.birth_date = birth_date
    set_bsn(person, new_bsn)
    person.updated_at = utcnow()
    rows = [
        Rectification(
            request_id=request.id,
            person_id=person.id,
            field=field,
            old_value=old,
            new_value=new,
            actor_id=actor.id,
        )
        for field, old, new in changes
    ]
    db.session.add_all(rows)
    db.session.flush()
    audit.record(
        audit.Action.UPDATE,
        user=actor,
        person_id=person.id,
        object_type="person",
        object_id=person.id,
        processing_activity=PROCESSING_ACTIVITY,
        purpose="gegevens gerectificeerd (AVG art. 16)",
    )
    fields = [field for field, _old, _new in changes]
    told = _tell(person, fields)
    carry_out_step(
        actor,
        request,
        EventKind.RECTIFIED,
        purpose="gegevens gerectificeerd (AVG art. 16)",
        details={
            "fields": [field.value for field in fields],
            "rectifications": [row.id for row in rows],
            "partners_told": told,
        },
    )
    return rows


def rectifiable_entries(person: Person) -> list[CaseEntry]:
    """The entries the person can have corrected: those about them and those about their whole
    household, in every case of the household."""
    return list(
        db.session.scalars(
            sa.select(CaseEntry)
            .join(Case, Case.id == CaseEntry.case_id)
            .where(
                Case.household_id == person.household_id,
                sa.or_(CaseEntry.person_id == person.id, CaseEntry.person_id.is_(None)),
            )
            .order_by(Case.id, CaseEntry.created_at, CaseEntry.id)
        )
    )


def rectify_entry(
    actor: User,
    request: PrivacyRequest,
    *,
    version: Optional[int],
    entry_id: int,
    text: str,
) -> Rectification:
    """Correct the text of an entry about the person (or their household). The entry keeps its
    source partner; the old text stays in the history."""
    check_may_carry_out(request, RequestType.RECTIFICATION, version)
    person = request.person
    entry = next((e for e in rectifiable_entries(person) if e.id == entry_id), None)
    if entry is None:
        raise RuleViolation(
            "not_about_person", "Dit kerngegeven gaat niet over deze persoon of het huishouden."
        )
    text = (text or "").strip()
    if not text:
        raise RuleViolation("empty_text", "Vul de verbeterde tekst in.")
    if len(text) > MAX_TEXT:
        raise RuleViolation("too_long", f"Gebruik hoogstens {MAX_TEXT} tekens.")
    if text == entry.text:
        raise RuleViolation("nothing_changed", "Er is niets veranderd.")
    row = Rectification(
        request_id=request.id,
        person_id=person.id,
        case_entry_id=entry.id,
        field=RectifiedField.ENTRY_TEXT,
        old_value=entry.text,
        new_value=text,
        actor_id=actor.id,
    )
    entry.text = text
    db.session.add(row)
    db.session.flush()
    audit.record(
        audit.Action.UPDATE,
        user=actor,
        person_id=entry.person_id,
        case_id=entry.case_id,
        object_type="case_entry",
        object_id=entry.id,
        processing_activity=PROCESSING_ACTIVITY,
        purpose="kerngegeven gerectificeerd (AVG art. 16)",
    )
    told = _tell(person, [RectifiedField.ENTRY_TEXT], cases=[entry.case])
    carry_out_step(
        actor,
        request,
        EventKind.RECTIFIED,
        purpose="kerngegeven gerectificeerd (AVG art. 16)",
        details={
            "fields": [RectifiedField.ENTRY_TEXT.value],
            "entry": entry.id,
            "rectifications": [row.id],
            "partners_told": told,
        },
    )
    return row


def history(request: PrivacyRequest) -> list[Rectification]:
    return list(
        db.session.scalars(
            sa.select(Rectification)
            .where(Rectification.request_id == request.id)
            .order_by(Rectification.at, Rectification.id)
        )
    )
