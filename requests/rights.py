"""Carrying out the rights of a request (Privacyreglement, *Rechten van betrokkene*; AVG art.
15-21): what every right shares, the restriction of processing (art. 18) and the objection
(art. 21). Access, rectification and erasure have their own modules beside this one
(`access_report.py`, `rectification.py`, `erasure.py`).

A right is carried out while the request is in progress (after its identity was established,
before the decision), unless the right itself is restricted for a while (Privacyprotocol art. 5,
`right_restriction.py`). A request is granted, wholly or partly, only once its right was carried
out; the decision letter then says what was done. Each step records a timeline event whose details
hold counts, codes and ids only, and tells the partners that received the data where the AVG asks
for it (art. 19: rectification, erasure, restriction).
"""

from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm.attributes import flag_modified

from consent.models import Basis, LegalBasisRecord
from portal import audit, notices
from portal.extensions import db
from portal.models import Case, Partner, Person, User, case_team, utcnow
from portal.operations import RuleViolation
from requests import deadlines
from requests.models import (
    EventKind,
    Outcome,
    PrivacyRequest,
    RequestEvent,
    RequestType,
    Status,
)
from requests.operations import PROCESSING_ACTIVITY, check_version, record_step

# The states in which the desk carries out the right.
WORKING = frozenset({Status.IN_PROGRESS, Status.EXTENDED})

# The step that shows a right was carried out.
CARRIED_OUT = {
    RequestType.ACCESS: EventKind.ACCESS_REPORT_SENT,
    RequestType.RECTIFICATION: EventKind.RECTIFIED,
    RequestType.ERASURE: EventKind.ERASED,
    RequestType.RESTRICTION: EventKind.PROCESSING_RESTRICTED,
    RequestType.OBJECTION: EventKind.OBJECTION_CARRIED_OUT,
}


def check_may_carry_out(
    request: PrivacyRequest, right: RequestType, version: Optional[int]
) -> None:
    """The one gate before a right is carried out."""
    check_version(request, version)
    if request.type is not right:
        raise RuleViolation(
            "wrong_right", "Dit verzoek gaat over een ander recht; voer dat recht uit."
        )
    if request.status not in WORKING:
        raise RuleViolation(
            "not_in_progress",
            "Een recht wordt uitgevoerd terwijl het verzoek in behandeling is: na het vaststellen "
            "van de identiteit en vóór het besluit.",
        )
    if request.right_restricted:
        raise RuleViolation(
            "right_restricted",
            "Dit recht is tijdelijk beperkt (Privacyprotocol art. 5). Het wordt uitgevoerd "
            "als de beperking is opgeheven.",
        )


def touch(request: PrivacyRequest) -> None:
    """A step on the data changes the request's version too, so a page that showed the request
    before it is refused (optimistic locking, requests/operations.py)."""
    flag_modified(request, "status")


def carry_out_step(
    actor: User, request: PrivacyRequest, kind: EventKind, *, purpose: str, details: dict
) -> RequestEvent:
    touch(request)
    return record_step(
        actor,
        request,
        kind,
        on=deadlines.today(),
        from_status=request.status,
        purpose=purpose,
        details=details,
    )


def carried_out(request: PrivacyRequest) -> bool:
    kind = CARRIED_OUT[request.type]
    return any(event.kind is kind for event in request.events)


def require_carried_out(request: PrivacyRequest, outcome: Outcome) -> None:
    """A request is granted, wholly or partly, only when its right was carried out: the decision
    letter tells the person what was done (issue 6: "each right actually carried out")."""
    if outcome in (Outcome.GRANTED, Outcome.PARTLY_GRANTED) and not carried_out(request):
        raise RuleViolation(
            "not_carried_out",
            "Voer het verzoek eerst uit (zie 'Uitvoeren'); pas dan kan het worden toegewezen. "
            "Wijst u het af, kies dan 'afgewezen' en geef de redenen.",
        )


def decision_is_the_report(request: PrivacyRequest) -> bool:
    """A granted access request was answered by the access report: its cover letter carries the
    bezwaar clause (templates/letters/*/access_report_full.html), so no second decision letter."""
    return request.type is RequestType.ACCESS and request.decision is Outcome.GRANTED


# --- telling the recipients (AVG art. 19) -------------------------------------------------------


def household_cases(person: Person) -> list[Case]:
    return list(
        db.session.scalars(
            sa.select(Case).where(Case.household_id == person.household_id).order_by(Case.id)
        )
    )


def tell_recipients(
    person: Person,
    *,
    kind: str,
    subject: str,
    body: str,
    cases: Optional[list[Case]] = None,
    name_person: bool = True,
) -> int:
    """AVG art. 19: every partner to whom the data was disclosed is told, one notice per case of
    the person's household the partner works on. The notice names the case, never the person
    (portal/notices.py); `name_person` links it to the person so the partner's own users who may
    see them find the name on their dashboard. Returns the number of notices."""
    cases = household_cases(person) if cases is None else cases
    if not cases:
        return 0
    rows = db.session.execute(
        sa.select(Partner, Case)
        .join(case_team, case_team.c.partner_id == Partner.id)
        .join(Case, Case.id == case_team.c.case_id)
        .where(Case.id.in_([case.id for case in cases]))
        .order_by(Partner.name, Case.id)
    ).all()
    for partner, case in rows:
        notices.notify_partner(
            partner,
            kind=kind,
            subject=subject.format(case=case.reference),
            body=body.format(case=case.reference),
            person_id=person.id if name_person else None,
            case_id=case.id,
        )
    return len(rows)


# --- restriction of processing (AVG art. 18) ----------------------------------------------------


def restrict_processing(
    actor: User, request: PrivacyRequest, *, version: Optional[int]
) -> datetime:
    """AVG art. 18: from now on the person's data is only stored. The consent check denies every
    processing (consent/check.py) and no entry about the person is added (portal/operations.py);
    staff pages show it. The partners on the person's cases are told (art. 19)."""
    check_may_carry_out(request, RequestType.RESTRICTION, version)
    person = request.person
    if person.restricted_since is not None:
        raise RuleViolation("already_restricted", "De verwerking is al beperkt.")
    since = utcnow()
    person.restricted_since = since
    db.session.flush()
    audit.record(
        audit.Action.UPDATE,
        user=actor,
        person_id=person.id,
        object_type="person",
        object_id=person.id,
        processing_activity=PROCESSING_ACTIVITY,
        purpose="verwerking beperken (AVG art. 18)",
    )
    told = tell_recipients(
        person,
        kind="processing_restricted",
        subject="Verwerking beperkt in casus {case} (AVG art. 18)",
        body=(
            "Op verzoek van een betrokkene in casus {case} is de verwerking van zijn of haar "
            "gegevens beperkt (AVG art. 18). Bewaar de gegevens, maar gebruik of deel ze niet "
            "tot u hoort dat de beperking is opgeheven. Het werksysteem laat om wie het gaat "
            "zien aan wie de casus mag inzien."
        ),
    )
    carry_out_step(
        actor,
        request,
        EventKind.PROCESSING_RESTRICTED,
        purpose="verwerking beperkt (AVG art. 18)",
        details={"since": since.isoformat(), "partners_told": told},
    )
    return since


def restriction_request_of(person: Person) -> Optional[PrivacyRequest]:
    """The request that restricted the person's processing, while it is restricted."""
    if person.restricted_since is None:
        return None
    return db.session.scalar(
        sa.select(PrivacyRequest)
        .join(RequestEvent, RequestEvent.request_id == PrivacyRequest.id)
        .where(
            PrivacyRequest.person_id == person.id,
            RequestEvent.kind == EventKind.PROCESSING_RESTRICTED,
        )
        .order_by(RequestEvent.id.desc())
        .limit(1)
    )


def may_lift(request: PrivacyRequest) -> bool:
    person = request.person
    return (
        request.type is RequestType.RESTRICTION
        and person.restricted_since is not None
        and any(event.kind is EventKind.PROCESSING_RESTRICTED for event in request.events)
        and request.status is not Status.WITHDRAWN
    )


def lift_processing_restriction(
    actor: User, request: PrivacyRequest, *, version: Optional[int], reasons: str
):
    """AVG art. 18(3): the person "shall be informed by the controller before the restriction of
    processing is lifted": the letter goes in the same step, with the reasons. Possible at any
    moment after the restriction, also once the request is closed; the partners are told."""
    from requests import letters as request_letters

    check_version(request, version)
    if not may_lift(request):
        raise RuleViolation(
            "not_restricted", "De verwerking van deze persoon is niet beperkt op dit verzoek."
        )
    reasons = (reasons or "").strip()
    if not reasons:
        raise RuleViolation(
            "reasons_required", "Vul in waarom de beperking wordt opgeheven; dat staat in de brief."
        )
    if len(reasons) > 5000:
        raise RuleViolation("too_long", "Gebruik hoogstens 5000 tekens.")
    person = request.person
    since = person.restricted_since
    letter = request_letters.send(
        actor, request, request_letters.restriction_lifted(request, since=since, reasons=reasons)
    )
    person.restricted_since = None
    db.session.flush()
    audit.record(
        audit.Action.UPDATE,
        user=actor,
        person_id=person.id,
        object_type="person",
        object_id=person.id,
        processing_activity=PROCESSING_ACTIVITY,
        purpose="beperking van de verwerking opheffen (AVG art. 18(3))",
    )
    told = tell_recipients(
        person,
        kind="processing_restriction_lifted",
        subject="Beperking opgeheven in casus {case} (AVG art. 18)",
        body=(
            "De beperking van de verwerking van de gegevens van een betrokkene in casus {case} is "
            "opgeheven. De gegevens mogen weer worden gebruikt zoals voor de beperking."
        ),
    )
    touch(request)
    record_step(
        actor,
        request,
        EventKind.PROCESSING_RESTRICTION_LIFTED,
        on=deadlines.today(),
        from_status=request.status,
        purpose="beperking van de verwerking opgeheven (AVG art. 18(3))",
        details={"letter": letter.id, "partners_told": told},
    )
    return letter


# --- objection (AVG art. 21) --------------------------------------------------------------------


def public_task_bases(person: Person) -> list[LegalBasisRecord]:
    """The current public-task bases of the cases of the person's household: the processing an
    objection is about ("Betrokkene heeft het recht tegen een verwerking die plaatsvindt op grond
    van algemeen belang bezwaar te maken", Privacyreglement). The register is kept per case, so
    ending a basis ends it for the case."""
    return list(
        db.session.scalars(
            sa.select(LegalBasisRecord)
            .join(Case, Case.id == LegalBasisRecord.case_id)
            .where(
                Case.household_id == person.household_id,
                LegalBasisRecord.basis == Basis.PUBLIC_TASK,
                LegalBasisRecord.ended_at.is_(None),
            )
            .order_by(LegalBasisRecord.case_id, LegalBasisRecord.phase, LegalBasisRecord.id)
        )
    )


def carry_out_objection(
    actor: User, request: PrivacyRequest, *, version: Optional[int], record_ids: list[int]
) -> list[LegalBasisRecord]:
    """The objection is granted for the chosen public-task bases: each is ended now, so the check
    (consent/check.may) stops permitting on it; what was done before stays lawful and the record
    stays in the register with its end date. The partner whose basis ended is told.

    The privacy desk decides for the controller here; `consent.basis.end_legal_basis` is the
    procesregisseur's own step and refuses a closed case, while an objection also stops a basis
    recorded in a closed case."""
    check_may_carry_out(request, RequestType.OBJECTION, version)
    candidates = {record.id: record for record in public_task_bases(request.person)}
    chosen = sorted(set(record_ids or []))
    if not chosen:
        raise RuleViolation(
            "nothing_chosen",
            "Kies de verwerking waartegen het bezwaar is toegewezen. Is er geen, wijs het bezwaar "
            "dan af met de redenen.",
        )
    if not set(chosen) <= candidates.keys():
        raise RuleViolation(
            "not_public_task",
            "Kies alleen lopende grondslagen 'taak van algemeen belang' van de casussen van dit "
            "huishouden.",
        )
    now = utcnow()
    ended = []
    for record_id in chosen:
        record = candidates[record_id]
        record.ended_at = now
        db.session.flush()
        audit.record(
            audit.Action.UPDATE,
            user=actor,
            case_id=record.case_id,
            object_type="legal_basis",
            object_id=record.id,
            processing_activity="grondslagenregister",
            purpose="grondslag beëindigd na bezwaar (AVG art. 21)",
        )
        case = db.session.get(Case, record.case_id)
        notices.notify_partner(
            record.partner,
            kind="objection_granted",
            subject=f"Bezwaar toegewezen in casus {case.reference} (AVG art. 21)",
            body=(
                f"Een betrokkene in casus {case.reference} heeft bezwaar gemaakt tegen de "
                "verwerking op grond van een taak van algemeen belang. Het bezwaar is toegewezen: "
                f"de grondslag voor {record.domain.name_nl} (fase {record.phase}) is beëindigd. "
                "Verwerk deze gegevens niet meer op die grondslag."
            ),
            case_id=case.id,
        )
        ended.append(record)
    carry_out_step(
        actor,
        request,
        EventKind.OBJECTION_CARRIED_OUT,
        purpose="verwerking gestopt na bezwaar (AVG art. 21)",
        details={"legal_bases": chosen},
    )
    return ended


# --- what the decision letter says was done ----------------------------------------------------

ACTIONS = {
    "nl": {
        EventKind.ACCESS_REPORT_SENT: "Wij hebben u een overzicht gestuurd van alle gegevens "
        "die wij over u hebben.",
        EventKind.RECTIFIED: "Wij hebben uw gegevens verbeterd: {fields}.",
        EventKind.PROCESSING_RESTRICTED: "Wij gebruiken uw gegevens niet meer; wij bewaren ze "
        "alleen (beperking van de verwerking). Voordat wij de beperking opheffen, laten wij het "
        "u weten.",
        EventKind.OBJECTION_CARRIED_OUT: "Wij hebben het gebruik van uw gegevens op grond van "
        "een taak van algemeen belang gestopt voor: {bases}.",
        "told": "Wij hebben de organisaties die uw gegevens hebben gekregen laten weten wat er is "
        "veranderd.",
    },
    "en": {
        EventKind.ACCESS_REPORT_SENT: "We have sent you an overview of all data we hold about you.",
        EventKind.RECTIFIED: "We have corrected your data: {fields}.",
        EventKind.PROCESSING_RESTRICTED: "We no longer use your data; we only keep it "
        "(restriction of processing). Before we lift the restriction, we will let you know.",
        EventKind.OBJECTION_CARRIED_OUT: "We have stopped using your data on the basis of a task "
        "in the public interest for: {bases}.",
        "told": "We have told the organisations that received your data what has changed.",
    },
}
FIELD_NAMES = {
    "nl": {
        "given_name": "voornaam",
        "family_name": "achternaam",
        "birth_date": "geboortedatum",
        "bsn": "burgerservicenummer",
        "entry_text": "gegevens in het dossier",
    },
    "en": {
        "given_name": "given name",
        "family_name": "family name",
        "birth_date": "date of birth",
        "bsn": "citizen service number",
        "entry_text": "data in the file",
    },
}


def _domain_name(domain, language: str) -> str:
    return domain.name_nl if language == "nl" else domain.name_en


def decision_actions(request: PrivacyRequest) -> str:
    """What was done, one line per kind of step, in the language of the request's letters."""
    from requests import erasure

    language = request.language if request.language in ACTIONS else "nl"
    texts = ACTIONS[language]
    events = [event for event in request.events if event.kind is CARRIED_OUT[request.type]]
    if not events:
        return ""
    kind = events[0].kind
    lines: list[str] = []
    if kind is EventKind.RECTIFIED:
        fields: list[str] = []
        for event in events:
            for code in (event.details or {}).get("fields", []):
                name = FIELD_NAMES[language][code]
                if name not in fields:
                    fields.append(name)
        lines.append(texts[kind].format(fields=", ".join(fields)))
    elif kind is EventKind.ERASED:
        for event in events:
            lines += erasure.describe(event.details or {}, language)
    elif kind is EventKind.OBJECTION_CARRIED_OUT:
        ids = [id_ for event in events for id_ in (event.details or {}).get("legal_bases", [])]
        records = db.session.scalars(
            sa.select(LegalBasisRecord).where(LegalBasisRecord.id.in_(ids))
        ).all()
        names = sorted(
            {f"{row.partner.name} ({_domain_name(row.domain, language)})" for row in records}
        )
        lines.append(texts[kind].format(bases="; ".join(names)))
    else:
        lines.append(texts[kind])
    if any((event.details or {}).get("partners_told") for event in events):
        lines.append(texts["told"])
    return "\n".join(lines)
