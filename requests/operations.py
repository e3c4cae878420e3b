"""State changes of privacy requests. Each validates its transition, flushes, records a timeline
event and an audit entry, and never commits: the view or CLI command commits once (HOUSE-STYLE).

The workflow (issue 6): received -> identity to verify -> in progress -> (extended) -> decided ->
closed; withdrawn by the requester at any moment before the decision.

Two desk members never overwrite each other: a form carries the version of the request it
showed, and every UPDATE is conditional on that version (`PrivacyRequest.version_id`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Optional

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from portal import audit
from portal.access import has_access
from portal.extensions import db
from portal.models import Person, Role, User
from portal.operations import RuleViolation
from requests import deadlines
from requests import letters as request_letters
from requests.models import (
    FINISHED_STATUSES,
    LETTER_LANGUAGES,
    OPEN_STATUSES,
    Channel,
    EventKind,
    ExtraHoliday,
    FiledBy,
    IdentityMethod,
    IdentityWait,
    Outcome,
    PrivacyRequest,
    RequestEvent,
    RequestNote,
    RequestType,
    Status,
)

PROCESSING_ACTIVITY = "AVG-verzoeken"
STALE_MESSAGE = "Iemand anders heeft dit verzoek intussen gewijzigd. Laad de pagina opnieuw."
# The AVG applies from this day; an earlier date of receipt is a typing error.
AVG_START = date(2018, 5, 25)
MAX_TEXT = 5000


# --- deadlines ---------------------------------------------------------------------------------


def wait_policy() -> str:
    """`REQUEST_ID_WAIT_POLICY`: "suspend" (default) or "none"; see requests/deadlines.py."""
    return current_app.config.get("REQUEST_ID_WAIT_POLICY", deadlines.WAIT_SUSPEND)


def extra_holidays() -> frozenset[date]:
    # No autoflush: an operation computes the deadline halfway through its changes, and one
    # operation should write the request once (one version step).
    with db.session.no_autoflush:
        return frozenset(db.session.scalars(sa.select(ExtraHoliday.day)))


def _wait_periods(request: PrivacyRequest) -> list[deadlines.Wait]:
    return [(wait.started_on, wait.ended_on) for wait in request.waits]


def compute_deadline(request: PrivacyRequest, *, holidays: Optional[Iterable[date]] = None) -> date:
    """The deadline of `request` as requests/deadlines.py computes it from what is recorded."""
    return deadlines.request_deadline(
        request.received_on,
        extended=request.is_extended,
        waits=_wait_periods(request),
        policy=wait_policy(),
        extra_holidays=extra_holidays() if holidays is None else holidays,
    )


def first_month_deadline(request: PrivacyRequest) -> date:
    """The end of the first month: the last day an extension can be given."""
    return deadlines.first_deadline(
        request.received_on,
        waits=_wait_periods(request),
        policy=wait_policy(),
        extra_holidays=extra_holidays(),
    )


# --- helpers ----------------------------------------------------------------------------------


def check_version(request: PrivacyRequest, version: Optional[int]) -> None:
    """Refuse a change made on a page that showed an older version of the request."""
    if version is not None and version != request.version_id:
        raise RuleViolation("stale", STALE_MESSAGE)


def _save(request: PrivacyRequest) -> None:
    # The UPDATE says "WHERE version_id = <version read>": when another transaction changed the
    # row in between, no row matches and SQLAlchemy raises StaleDataError.
    try:
        db.session.flush()
    except StaleDataError as error:
        raise RuleViolation("stale", STALE_MESSAGE) from error


def _require(request: PrivacyRequest, allowed: Iterable[Status], message: str) -> None:
    if request.status not in set(allowed):
        raise RuleViolation("wrong_status", message)


def _day(on: Optional[date], request: PrivacyRequest, what: str) -> date:
    """The date a step took effect: not before receipt, not in the future."""
    on = on or deadlines.today()
    if on > deadlines.today():
        raise RuleViolation("in_future", f"{what} kan niet in de toekomst liggen.")
    if on < request.received_on:
        raise RuleViolation("before_receipt", f"{what} kan niet vóór de ontvangst liggen.")
    return on


def _text(value: Optional[str], *, code: str, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise RuleViolation(code, message)
    if len(text) > MAX_TEXT:
        raise RuleViolation("too_long", f"Gebruik hoogstens {MAX_TEXT} tekens.")
    return text


def record_step(
    actor: Optional[User],
    request: PrivacyRequest,
    kind: EventKind,
    *,
    on: date,
    from_status: Optional[Status],
    purpose: str,
    action: audit.Action = audit.Action.UPDATE,
    details: Optional[dict] = None,
) -> RequestEvent:
    """The timeline event and the audit entry of one step; flushes the request (refused when
    another transaction changed it in between). `details` hold counts, codes and ids only."""
    event = RequestEvent(
        request=request,
        kind=kind,
        on=on,
        actor_id=getattr(actor, "id", None),
        from_status=from_status,
        to_status=request.status,
        deadline=request.deadline,
        details=details,
    )
    db.session.add(event)
    _save(request)
    audit.record(
        action,
        user=actor,
        person_id=request.person_id,
        object_type="privacy_request",
        object_id=request.id,
        processing_activity=PROCESSING_ACTIVITY,
        purpose=purpose,
    )
    return event


def _close_open_wait(request: PrivacyRequest, on: date) -> None:
    wait = request.open_wait
    if wait is not None:
        if on < wait.started_on:
            raise RuleViolation(
                "before_wait",
                "De gegevens kunnen niet zijn binnengekomen vóórdat erom gevraagd werd.",
            )
        wait.ended_on = on


# --- the workflow -----------------------------------------------------------------------------


def register_request(
    actor: Optional[User],
    *,
    person: Person,
    type: RequestType,
    channel: Channel,
    received_on: date,
    description: Optional[str] = None,
    filed_by: FiledBy = FiledBy.SUBJECT,
    representative: Optional[Person] = None,
    representative_name: Optional[str] = None,
    identity_method: Optional[IdentityMethod] = None,
    language: str = "nl",
) -> PrivacyRequest:
    """Register a request from any channel with its date of receipt, from which the deadline runs
    (AVG art. 12(3)), and send the acknowledgement with that deadline. When identity was already
    established at intake (DigiD, an ID document seen at the desk), the method is recorded; no
    copy of an ID document is kept. `actor` is None only for a request the person filed online:
    the acknowledgement then goes through the citizen portal."""
    if language not in LETTER_LANGUAGES:
        raise RuleViolation("unknown_language", "Kies Nederlands of Engels voor de brieven.")
    if received_on > deadlines.today():
        raise RuleViolation("in_future", "De datum van ontvangst kan niet in de toekomst liggen.")
    if received_on < AVG_START:
        raise RuleViolation(
            "before_avg", "De datum van ontvangst kan niet vóór 25 mei 2018 liggen (AVG)."
        )
    if channel is not Channel.ONLINE and actor is None:
        raise RuleViolation("no_registrar", "Een medewerker registreert dit verzoek.")
    if type is not RequestType.ACCESS:
        # Rectification needs the correction, erasure and restriction what they concern, an
        # objection the grounds "met zijn specifieke situatie verband houdende" (Privacyreglement).
        description = _text(
            description,
            code="description_required",
            message="Beschrijf wat de persoon vraagt (welke gegevens, en waarom).",
        )
    elif description is not None:
        description = description.strip() or None
        if description and len(description) > MAX_TEXT:
            raise RuleViolation("too_long", f"Gebruik hoogstens {MAX_TEXT} tekens.")
    representative_name = (representative_name or "").strip() or None
    _check_filer(person, received_on, filed_by, representative, representative_name)

    request = PrivacyRequest(
        type=type,
        person=person,
        filed_by=filed_by,
        representative=representative,
        representative_name=representative_name,
        channel=channel,
        received_on=received_on,
        registered_by_id=getattr(actor, "id", None),
        description=description,
        status=Status.RECEIVED,
        language=language,
    )
    if identity_method is not None:
        request.identity_method = identity_method
        request.identity_established_on = received_on
        request.identity_established_by_id = getattr(actor, "id", None)
    request.deadline = compute_deadline(request)
    db.session.add(request)
    db.session.flush()
    record_step(
        actor,
        request,
        EventKind.REGISTERED,
        on=received_on,
        from_status=None,
        purpose=f"AVG-verzoek registreren (art. {type.article})",
        action=audit.Action.CREATE,
    )
    request_letters.send(actor, request, request_letters.acknowledgement(request))
    return request


def _check_filer(
    person: Person,
    received_on: date,
    filed_by: FiledBy,
    representative: Optional[Person],
    representative_name: Optional[str],
) -> None:
    if filed_by is FiledBy.SUBJECT:
        if representative is not None or representative_name:
            raise RuleViolation(
                "representative_without_role",
                "Kies wie het verzoek indient: de persoon zelf of een vertegenwoordiger.",
            )
        if person.is_minor_on(received_on):
            # Below 16 the legal representative acts for the child (DESIGN.md, Person).
            raise RuleViolation(
                "representative_required",
                "Deze persoon is jonger dan 16: de wettelijk vertegenwoordiger dient het verzoek "
                "in.",
            )
        return
    if representative is None and not representative_name:
        raise RuleViolation(
            "representative_missing", "Vul in wie het verzoek namens de persoon indient."
        )
    if representative is not None and representative.id == person.id:
        raise RuleViolation(
            "own_representative", "Iemand kan niet zijn eigen vertegenwoordiger zijn."
        )
    if filed_by is FiledBy.LEGAL_REPRESENTATIVE:
        if not person.is_minor_on(received_on):
            raise RuleViolation(
                "not_a_minor",
                "Een wettelijk vertegenwoordiger dient in voor een kind jonger dan 16. Voor een "
                "volwassene onder curatele of mentorschap kiest u 'curator of mentor'.",
            )
        recorded = person.legal_representative_id
        if recorded is not None and (representative is None or representative.id != recorded):
            raise RuleViolation(
                "not_the_representative",
                "Alleen de vastgelegde wettelijk vertegenwoordiger kan namens dit kind indienen.",
            )


def start_identity_check(
    actor: User,
    request: PrivacyRequest,
    *,
    version: Optional[int],
    requested_info: str,
    on: Optional[date] = None,
) -> PrivacyRequest:
    """Ask the requester for information needed to identify them (AVG art. 12(6)). The wait is
    recorded and shown to the requester; under the "suspend" policy the clock stands still until
    the information arrives."""
    check_version(request, version)
    _require(
        request,
        {Status.RECEIVED},
        "Om identiteitsgegevens vragen kan alleen bij een net ontvangen verzoek.",
    )
    if request.identity_method is not None:
        raise RuleViolation("identity_known", "De identiteit van de aanvrager is al vastgesteld.")
    info = _text(
        requested_info,
        code="requested_info_required",
        message="Vul in welke gegevens u van de aanvrager nodig heeft.",
    )
    on = _day(on, request, "De datum van de vraag")
    before = request.status
    request.waits.append(IdentityWait(started_on=on, requested_info=info, started_by_id=actor.id))
    request.status = Status.IDENTITY_TO_VERIFY
    request.deadline = compute_deadline(request)
    record_step(
        actor,
        request,
        EventKind.IDENTITY_REQUESTED,
        on=on,
        from_status=before,
        purpose="identiteitsgegevens opvragen",
    )
    return request


def record_identity(
    actor: User,
    request: PrivacyRequest,
    *,
    version: Optional[int],
    method: IdentityMethod,
    arrived_on: Optional[date] = None,
) -> PrivacyRequest:
    """Record how the requester's identity was established; the wait (if any) ends on the day
    the information arrived, and the work starts. No copy of an ID document is stored."""
    check_version(request, version)
    _require(
        request,
        {Status.RECEIVED, Status.IDENTITY_TO_VERIFY},
        "De identiteit wordt vastgesteld voordat het verzoek in behandeling gaat.",
    )
    if not isinstance(method, IdentityMethod):
        raise RuleViolation("no_method", "Kies hoe de identiteit is vastgesteld.")
    arrived_on = _day(arrived_on, request, "De datum waarop de gegevens binnenkwamen")
    before = request.status
    _close_open_wait(request, arrived_on)
    request.identity_method = method
    request.identity_established_on = arrived_on
    request.identity_established_by_id = actor.id
    request.status = Status.IN_PROGRESS
    request.deadline = compute_deadline(request)
    record_step(
        actor,
        request,
        EventKind.IDENTITY_ESTABLISHED,
        on=arrived_on,
        from_status=before,
        purpose="identiteit vastgesteld",
    )
    return request


def start_processing(
    actor: User, request: PrivacyRequest, *, version: Optional[int]
) -> PrivacyRequest:
    """Start work on a request whose requester was identified at intake."""
    check_version(request, version)
    _require(request, {Status.RECEIVED}, "Dit verzoek is al in behandeling of afgerond.")
    if request.identity_method is None:
        raise RuleViolation(
            "identity_unknown",
            "Stel eerst de identiteit van de aanvrager vast, of vraag om gegevens daarvoor.",
        )
    before = request.status
    request.status = Status.IN_PROGRESS
    record_step(
        actor,
        request,
        EventKind.PROCESSING_STARTED,
        on=deadlines.today(),
        from_status=before,
        purpose="verzoek in behandeling nemen",
    )
    return request


def extend_deadline(
    actor: User,
    request: PrivacyRequest,
    *,
    version: Optional[int],
    reasons: str,
    on: Optional[date] = None,
) -> PrivacyRequest:
    """AVG art. 12(3): the period "may be extended by two further months where necessary, taking
    into account the complexity and number of the requests"; the requester is told, with the
    reasons, within one month of receipt: the extension letter goes in the same step. The whole
    period becomes three months from receipt."""
    check_version(request, version)
    _require(
        request, {Status.IN_PROGRESS}, "Alleen een verzoek in behandeling kan worden verlengd."
    )
    reasons = _text(
        reasons, code="reasons_required", message="Vul de redenen voor de verlenging in."
    )
    on = _day(on, request, "De datum van verlenging")
    first_month = first_month_deadline(request)
    if on > first_month:
        raise RuleViolation(
            "too_late_to_extend",
            f"Verlengen kan alleen binnen de eerste maand (tot en met {first_month:%d-%m-%Y}).",
        )
    before = request.status
    original_deadline = request.deadline
    request.extended_on = on
    request.extension_reasons = reasons
    request.status = Status.EXTENDED
    request.deadline = compute_deadline(request)
    record_step(
        actor,
        request,
        EventKind.EXTENDED,
        on=on,
        from_status=before,
        purpose="termijn verlengen",
    )
    request_letters.send(actor, request, request_letters.extension(request, original_deadline))
    return request


def decide_request(
    actor: User,
    request: PrivacyRequest,
    *,
    version: Optional[int],
    outcome: Outcome,
    reasons: Optional[str] = None,
    on: Optional[date] = None,
) -> PrivacyRequest:
    """Decide: granted, partly granted, refused, or not handled. Anything but a full grant states
    its reasons (AVG art. 12(4)). A request whose requester could not be identified can be closed
    as not handled without being processed (AVG art. 11(2), 12(2)). A request is granted, wholly
    or partly, only once its right was carried out (requests/rights.py).

    The decision letter goes in the same step (UAVG art. 34: a besluit, with the reasons, the
    complaint route and the bezwaar clause), saying what was done - except for a granted access
    request, which the access-report letter already answered."""
    from requests import rights

    check_version(request, version)
    if not isinstance(outcome, Outcome):
        raise RuleViolation("no_outcome", "Kies een besluit.")
    allowed = {Status.IN_PROGRESS, Status.EXTENDED}
    if outcome is Outcome.NOT_HANDLED:
        allowed |= {Status.RECEIVED, Status.IDENTITY_TO_VERIFY}
    _require(
        request,
        allowed,
        "Over dit verzoek kan nu niet worden besloten."
        if request.status in OPEN_STATUSES
        else "Over dit verzoek is al besloten, of het is ingetrokken.",
    )
    if outcome is Outcome.GRANTED:
        reasons = (reasons or "").strip() or None
        if reasons and len(reasons) > MAX_TEXT:
            raise RuleViolation("too_long", f"Gebruik hoogstens {MAX_TEXT} tekens.")
    else:
        reasons = _text(
            reasons,
            code="reasons_required",
            message="Vul de redenen van het besluit in; die staan in de brief aan de aanvrager.",
        )
    on = _day(on, request, "De datum van het besluit")
    rights.require_carried_out(request, outcome)
    before = request.status
    # One change of state: no flush halfway (the database wants decision and status together).
    with db.session.no_autoflush:
        _close_open_wait(request, on)
        request.decision = outcome
        request.decision_reasons = reasons
        request.decided_on = on
        request.decided_by_id = actor.id
        request.status = Status.DECIDED
        request.deadline = compute_deadline(request)
    record_step(
        actor,
        request,
        EventKind.DECIDED,
        on=on,
        from_status=before,
        purpose=f"besluit op AVG-verzoek: {outcome.value}",
    )
    if not rights.decision_is_the_report(request):
        request_letters.send(
            actor, request, request_letters.decision(request, rights.decision_actions(request))
        )
    return request


def close_request(
    actor: User, request: PrivacyRequest, *, version: Optional[int], on: Optional[date] = None
) -> PrivacyRequest:
    """Close a decided request once the decision has been carried out."""
    check_version(request, version)
    _require(
        request, {Status.DECIDED}, "Alleen een verzoek waarover besloten is kan worden afgesloten."
    )
    on = _day(on, request, "De datum van afsluiten")
    if on < request.decided_on:
        raise RuleViolation("before_decision", "Afsluiten kan niet vóór het besluit.")
    before = request.status
    request.closed_on = on
    request.status = Status.CLOSED
    record_step(
        actor, request, EventKind.CLOSED, on=on, from_status=before, purpose="verzoek afsluiten"
    )
    return request


def withdraw_request(
    actor: Optional[User],
    request: PrivacyRequest,
    *,
    version: Optional[int],
    on: Optional[date] = None,
) -> PrivacyRequest:
    """The requester withdraws the request; possible at any moment until it is decided. The desk
    records a withdrawal by letter, phone or at the desk; `actor` is None when the requester
    withdraws online."""
    check_version(request, version)
    _require(
        request,
        OPEN_STATUSES,
        "Dit verzoek is al afgerond of ingetrokken; intrekken kan niet meer.",
    )
    on = _day(on, request, "De datum van intrekken")
    before = request.status
    _close_open_wait(request, on)
    request.withdrawn_on = on
    request.status = Status.WITHDRAWN
    record_step(
        actor,
        request,
        EventKind.WITHDRAWN,
        on=on,
        from_status=before,
        purpose="verzoek ingetrokken door aanvrager",
    )
    return request


def assignable(user: User) -> bool:
    """Requests are assigned to members of the privacy desk with access."""
    return user.role is Role.PRIVACY_DESK and has_access(user)


def assign_request(
    actor: User, request: PrivacyRequest, *, version: Optional[int], assignee: Optional[User]
) -> PrivacyRequest:
    """Assign the request to a desk member, or unassign it (assignee None)."""
    check_version(request, version)
    if request.status in FINISHED_STATUSES:
        raise RuleViolation("finished", "Dit verzoek is afgerond; toewijzen is niet meer nodig.")
    if assignee is not None and not assignable(assignee):
        raise RuleViolation(
            "not_desk", "Een verzoek kan alleen aan een medewerker van het privacyloket."
        )
    new_id = assignee.id if assignee is not None else None
    if new_id == request.assignee_id:
        return request
    request.assignee = assignee
    record_step(
        actor,
        request,
        EventKind.ASSIGNED,
        on=deadlines.today(),
        from_status=request.status,
        purpose="verzoek toewijzen",
    )
    return request


def add_note(actor: User, request: PrivacyRequest, text: str) -> RequestNote:
    """Add a working note. Notes are only ever added, so two desk members cannot overwrite each
    other's: no version check is needed."""
    text = _text(text, code="empty_note", message="Vul een notitie in.")
    note = RequestNote(request=request, author_id=actor.id, text=text)
    db.session.add(note)
    db.session.flush()
    audit.record(
        audit.Action.CREATE,
        user=actor,
        person_id=request.person_id,
        object_type="request_note",
        object_id=note.id,
        processing_activity=PROCESSING_ACTIVITY,
        purpose="notitie bij AVG-verzoek",
    )
    return note


# --- extra holidays ---------------------------------------------------------------------------


def add_extra_holiday(actor: User, day: date, reason: str) -> ExtraHoliday:
    """An administrator adds a day on which no period ends; open requests whose deadline falls on
    or after it get their deadline recomputed."""
    if day.year < deadlines.FIRST_YEAR:
        raise RuleViolation("too_early", "Kies een datum vanaf 2014.")
    reason = _text(reason, code="reason_required", message="Vul de reden in.")
    if len(reason) > 200:
        raise RuleViolation("too_long", "Gebruik hoogstens 200 tekens.")
    if day in deadlines.public_holidays(day.year):
        raise RuleViolation("already_holiday", "Deze dag is al een wettelijke feestdag.")
    if day.weekday() >= 5:
        raise RuleViolation("weekend", "Op zaterdag en zondag eindigt al geen termijn.")
    exists = db.session.scalar(sa.select(ExtraHoliday.id).where(ExtraHoliday.day == day))
    if exists is not None:
        raise RuleViolation("duplicate", "Deze dag staat al in de lijst.")
    holiday = ExtraHoliday(day=day, reason=reason, added_by_id=actor.id)
    db.session.add(holiday)
    db.session.flush()
    audit.record(
        audit.Action.CREATE,
        user=actor,
        object_type="extra_holiday",
        object_id=holiday.id,
        processing_activity="beheer",
        purpose="extra feestdag toevoegen",
        confidentiality=audit.Confidentiality.NORMAL,
    )
    _recompute_deadlines(actor, day)
    return holiday


def remove_extra_holiday(actor: User, holiday: ExtraHoliday) -> None:
    day = holiday.day
    audit.record(
        audit.Action.DELETE,
        user=actor,
        object_type="extra_holiday",
        object_id=holiday.id,
        processing_activity="beheer",
        purpose="extra feestdag verwijderen",
        confidentiality=audit.Confidentiality.NORMAL,
    )
    db.session.delete(holiday)
    db.session.flush()
    _recompute_deadlines(actor, day)


def _recompute_deadlines(actor: User, day: date) -> int:
    # A holiday only matters to a period whose (moved) end lies on or after it.
    holidays = extra_holidays()
    affected = db.session.scalars(
        sa.select(PrivacyRequest)
        .where(PrivacyRequest.status.in_(OPEN_STATUSES), PrivacyRequest.deadline >= day)
        .options(selectinload(PrivacyRequest.waits))
    ).all()
    changed = 0
    for request in affected:
        deadline = compute_deadline(request, holidays=holidays)
        if deadline == request.deadline:
            continue
        request.deadline = deadline
        record_step(
            actor,
            request,
            EventKind.DEADLINE_CHANGED,
            on=deadlines.today(),
            from_status=request.status,
            purpose="termijn herberekend na wijziging feestdagen",
        )
        changed += 1
    return changed


# --- what the desk can do next ----------------------------------------------------------------


def possible_actions(request: PrivacyRequest, on: Optional[date] = None) -> set[str]:
    """The steps the request page offers; each operation above still checks its own rule."""
    on = on or deadlines.today()
    status = request.status
    actions: set[str] = set()
    if status is Status.RECEIVED and request.identity_method is None:
        actions.add("ask_identity")
    if status in (Status.RECEIVED, Status.IDENTITY_TO_VERIFY):
        actions.add("record_identity")
    if status is Status.RECEIVED and request.identity_method is not None:
        actions.add("start")
    if status is Status.IN_PROGRESS and on <= first_month_deadline(request):
        actions.add("extend")
    if status in OPEN_STATUSES:
        actions |= {"decide", "withdraw"}
    if status is Status.DECIDED:
        actions.add("close")
    if status not in FINISHED_STATUSES:
        actions.add("assign")
    actions |= _right_actions(request)
    return actions


def _right_actions(request: PrivacyRequest) -> set[str]:
    """Carrying out the right, the restriction of processing and a restricted right."""
    from requests import rights

    actions = set()
    if request.status in rights.WORKING and not request.right_restricted:
        actions.add("carry_out")
    if rights.may_lift(request):
        actions.add("lift_restriction")
    if request.status not in FINISHED_STATUSES and request.right_restricted_on is None:
        actions.add("restrict_right")
    if request.right_restricted:
        actions.add("end_right_restriction")
        if request.informed_on is None:
            actions.add("tell_right_restriction")
    return actions


def decision_outcomes(request: PrivacyRequest) -> list[Outcome]:
    """Before the work starts, the only possible decision is "not handled"."""
    if request.status in (Status.IN_PROGRESS, Status.EXTENDED):
        return list(Outcome)
    return [Outcome.NOT_HANDLED]
