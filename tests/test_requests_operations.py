"""The workflow of privacy requests (requests/operations.py), tested on the operations directly:
received -> identity to verify -> in progress -> (extended) -> decided -> closed; withdrawn by the
requester before the decision. AVG art. 12, 15-18, 21; Privacyreglement, *Rechten van
betrokkene*; Privacyprotocol art. 5."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from portal.audit import AuditEntry
from portal.extensions import db
from portal.models import Role
from portal.operations import RuleViolation
from requests import deadlines
from requests import operations as ops
from requests.models import (
    Channel,
    EventKind,
    FiledBy,
    IdentityMethod,
    IdentityWait,
    Outcome,
    PrivacyRequest,
    RequestNote,
    RequestType,
    Status,
)
from tests import factories as f

TODAY = date(2026, 3, 20)
RECEIVED = date(2026, 3, 2)  # a Monday; one month ends Thu 2 April 2026


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(deadlines, "today", lambda: TODAY)
    return TODAY


@pytest.fixture
def desk(ctx, today):
    return f.user(Role.PRIVACY_DESK)


def register(actor, person=None, **overrides):
    values = dict(
        person=person or f.person(),
        type=RequestType.ACCESS,
        channel=Channel.LETTER,
        received_on=RECEIVED,
    )
    values.update(overrides)
    return ops.register_request(actor, **values)


def in_progress(actor, **overrides):
    request = register(actor, identity_method=IdentityMethod.DESK_ID_DOCUMENT_SEEN, **overrides)
    return ops.start_processing(actor, request, version=request.version_id)


def audit_count() -> int:
    return f.count(AuditEntry)


def request_audits() -> int:
    """Audit entries of the steps on requests themselves (letters and exports have their own)."""
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEntry)
        .where(
            AuditEntry.object_type == "privacy_request",
            AuditEntry.action.in_(["create", "update"]),
        )
    )


def carry_out(actor, request):
    """Carry out the right of an access request: the report goes out (requests/rights.py)."""
    from requests.access_report import send_access_report

    send_access_report(actor, request, version=request.version_id)
    return request


# --- intake -----------------------------------------------------------------------------------


def test_register_computes_the_deadline_and_records_the_step(desk):
    person = f.person()
    before = audit_count()
    request = register(desk, person)
    assert request.status is Status.RECEIVED
    assert request.deadline == date(2026, 4, 2)
    assert request.reference == f"AVG-2026-{request.id:05d}"
    assert [event.kind for event in request.events] == [EventKind.REGISTERED]
    assert request.events[0].deadline == request.deadline
    assert audit_count() == before + 2  # the request, and its acknowledgement letter
    entry = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.object_type == "privacy_request")
        .order_by(AuditEntry.id.desc())
    ).first()
    assert (entry.action, entry.person_id, entry.object_type, entry.object_id) == (
        "create",
        request.person_id,
        "privacy_request",
        request.id,
    )


def test_description_is_encrypted_at_rest(desk):
    request = register(desk, type=RequestType.ERASURE, description="Wis mijn schuldgegevens")
    raw = db.session.execute(
        sa.text("SELECT description FROM privacy_request WHERE id = :id"), {"id": request.id}
    ).scalar_one()
    assert b"schuld" not in bytes(raw)
    db.session.expire(request)
    assert request.description == "Wis mijn schuldgegevens"


@pytest.mark.parametrize(
    "overrides, code",
    [
        (dict(received_on=TODAY + timedelta(days=1)), "in_future"),
        (dict(received_on=date(2018, 5, 24)), "before_avg"),
        (dict(type=RequestType.RECTIFICATION), "description_required"),
        (dict(type=RequestType.OBJECTION, description="   "), "description_required"),
        (dict(type=RequestType.ERASURE, description="x" * 5001), "too_long"),
    ],
)
def test_intake_refuses_bad_input(desk, overrides, code):
    with pytest.raises(RuleViolation) as problem:
        register(desk, **overrides)
    assert problem.value.code == code
    assert f.count(PrivacyRequest) == 0


def test_only_online_requests_come_without_a_desk_member(desk):
    with pytest.raises(RuleViolation) as problem:
        register(None)
    assert problem.value.code == "no_registrar"
    assert register(None, channel=Channel.ONLINE).registered_by_id is None


def test_identity_established_at_intake_is_recorded_without_a_copy(desk):
    request = register(desk, identity_method=IdentityMethod.DESK_ID_DOCUMENT_SEEN)
    assert request.identity_method is IdentityMethod.DESK_ID_DOCUMENT_SEEN
    assert request.identity_established_on == RECEIVED
    assert request.identity_established_by_id == desk.id


# --- who files --------------------------------------------------------------------------------


def _child_with_parent():
    household = f.household()
    parent = f.person(household, birth_date=date(1985, 1, 1))
    child = f.person(household, birth_date=date(2015, 6, 1), legal_representative=parent)
    return child, parent


def test_a_child_below_16_files_through_the_legal_representative(desk):
    child, parent = _child_with_parent()
    with pytest.raises(RuleViolation) as problem:
        register(desk, child)
    assert problem.value.code == "representative_required"
    request = register(desk, child, filed_by=FiledBy.LEGAL_REPRESENTATIVE, representative=parent)
    assert request.representative_id == parent.id


def test_only_the_recorded_legal_representative_files_for_a_child(desk):
    child, parent = _child_with_parent()
    stranger = f.person(child.household)
    with pytest.raises(RuleViolation) as problem:
        register(desk, child, filed_by=FiledBy.LEGAL_REPRESENTATIVE, representative=stranger)
    assert problem.value.code == "not_the_representative"


def test_an_adult_has_no_legal_representative_but_may_have_a_guardian(desk):
    adult = f.person()
    with pytest.raises(RuleViolation) as problem:
        register(
            desk, adult, filed_by=FiledBy.LEGAL_REPRESENTATIVE, representative_name="Mr. Curator"
        )
    assert problem.value.code == "not_a_minor"
    request = register(
        desk, adult, filed_by=FiledBy.GUARDIAN, representative_name="  Bewindvoerder B.V.  "
    )
    assert request.representative_name == "Bewindvoerder B.V."


@pytest.mark.parametrize(
    "filed_by, code",
    [
        (FiledBy.GUARDIAN, "representative_missing"),
        (FiledBy.SUBJECT, "representative_without_role"),
    ],
)
def test_representative_and_role_go_together(desk, filed_by, code):
    adult = f.person()
    name = None if filed_by is FiledBy.GUARDIAN else "Iemand"
    with pytest.raises(RuleViolation) as problem:
        register(desk, adult, filed_by=filed_by, representative_name=name)
    assert problem.value.code == code


def test_nobody_represents_themselves(desk):
    adult = f.person()
    with pytest.raises(RuleViolation) as problem:
        register(desk, adult, filed_by=FiledBy.GUARDIAN, representative=adult)
    assert problem.value.code == "own_representative"


# --- identity ---------------------------------------------------------------------------------


def test_waiting_for_identity_stops_the_clock(desk):
    request = register(desk)
    ops.start_identity_check(
        desk,
        request,
        version=request.version_id,
        requested_info="De code uit onze brief",
        on=date(2026, 3, 4),
    )
    assert request.status is Status.IDENTITY_TO_VERIFY
    assert request.open_wait.started_on == date(2026, 3, 4)
    assert request.deadline == date(2026, 4, 2)  # an open wait adds nothing yet
    ops.record_identity(
        desk,
        request,
        version=request.version_id,
        method=IdentityMethod.LETTER_CODE,
        arrived_on=date(2026, 3, 11),
    )
    assert request.status is Status.IN_PROGRESS
    assert request.open_wait is None and request.waits[0].ended_on == date(2026, 3, 11)
    # 2 April + 7 days = Thu 9 April 2026.
    assert request.deadline == date(2026, 4, 9)
    assert [event.kind for event in request.events] == [
        EventKind.REGISTERED,
        EventKind.IDENTITY_REQUESTED,
        EventKind.IDENTITY_ESTABLISHED,
    ]


def test_policy_none_records_the_wait_but_keeps_the_deadline(app, desk, monkeypatch):
    monkeypatch.setitem(app.config, "REQUEST_ID_WAIT_POLICY", "none")
    request = register(desk)
    ops.start_identity_check(
        desk, request, version=request.version_id, requested_info="Code", on=date(2026, 3, 4)
    )
    ops.record_identity(
        desk,
        request,
        version=request.version_id,
        method=IdentityMethod.LETTER_CODE,
        arrived_on=date(2026, 3, 11),
    )
    assert request.waits[0].ended_on == date(2026, 3, 11)
    assert request.deadline == date(2026, 4, 2)


def test_identity_information_cannot_arrive_before_it_was_asked(desk):
    request = register(desk)
    ops.start_identity_check(
        desk, request, version=request.version_id, requested_info="Code", on=date(2026, 3, 10)
    )
    with pytest.raises(RuleViolation) as problem:
        ops.record_identity(
            desk,
            request,
            version=request.version_id,
            method=IdentityMethod.LETTER_CODE,
            arrived_on=date(2026, 3, 9),
        )
    assert problem.value.code == "before_wait"


def test_asking_for_identity_needs_to_say_what(desk):
    request = register(desk)
    with pytest.raises(RuleViolation) as problem:
        ops.start_identity_check(desk, request, version=request.version_id, requested_info=" ")
    assert problem.value.code == "requested_info_required"


def test_processing_starts_only_with_identity_established(desk):
    request = register(desk)
    with pytest.raises(RuleViolation) as problem:
        ops.start_processing(desk, request, version=request.version_id)
    assert problem.value.code == "identity_unknown"
    assert request.status is Status.RECEIVED


def test_the_database_refuses_processing_without_identity(desk):
    request = register(desk)
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.execute(
                sa.text("UPDATE privacy_request SET status = 'in_progress' WHERE id = :id"),
                {"id": request.id},
            )


# --- extension --------------------------------------------------------------------------------


def test_extension_makes_it_three_months_from_receipt(desk):
    request = in_progress(desk)
    ops.extend_deadline(
        desk,
        request,
        version=request.version_id,
        reasons="Veel gegevens bij meerdere partners",
        on=date(2026, 3, 20),
    )
    assert request.status is Status.EXTENDED
    assert request.deadline == date(2026, 6, 2)
    assert request.extension_reasons == "Veel gegevens bij meerdere partners"


def test_extension_needs_reasons(desk):
    request = in_progress(desk)
    with pytest.raises(RuleViolation) as problem:
        ops.extend_deadline(desk, request, version=request.version_id, reasons="  ")
    assert problem.value.code == "reasons_required"
    assert request.status is Status.IN_PROGRESS


def test_extension_only_before_the_first_month_ends(desk, monkeypatch):
    monkeypatch.setattr(deadlines, "today", lambda: date(2026, 4, 10))
    request = in_progress(desk)
    ops.extend_deadline(desk, request, version=request.version_id, reasons="Complex",
                        on=date(2026, 4, 2))  # fmt: skip
    late = in_progress(desk)
    with pytest.raises(RuleViolation) as problem:
        ops.extend_deadline(desk, late, version=late.version_id, reasons="Complex",
                            on=date(2026, 4, 3))  # fmt: skip
    assert problem.value.code == "too_late_to_extend"
    assert "02-04-2026" in problem.value.message


def test_extension_only_while_in_progress(desk):
    request = register(desk)
    with pytest.raises(RuleViolation) as problem:
        ops.extend_deadline(desk, request, version=request.version_id, reasons="Complex")
    assert problem.value.code == "wrong_status"


def test_the_database_requires_reasons_with_an_extension(desk):
    request = in_progress(desk)
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.execute(
                sa.text("UPDATE privacy_request SET extended_on = received_on WHERE id = :id"),
                {"id": request.id},
            )


# --- decision, closing, withdrawal ------------------------------------------------------------


@pytest.mark.parametrize("outcome", [Outcome.PARTLY_GRANTED, Outcome.REFUSED, Outcome.NOT_HANDLED])
def test_anything_but_a_full_grant_states_its_reasons(desk, outcome):
    request = in_progress(desk)
    with pytest.raises(RuleViolation) as problem:
        ops.decide_request(desk, request, version=request.version_id, outcome=outcome)
    assert problem.value.code == "reasons_required"
    if outcome is Outcome.PARTLY_GRANTED:
        carry_out(desk, request)
    ops.decide_request(
        desk, request, version=request.version_id, outcome=outcome, reasons="Wet verbiedt het"
    )
    assert (request.status, request.decision, request.decided_on) == (
        Status.DECIDED,
        outcome,
        TODAY,
    )


def test_granted_needs_no_reasons_and_closes_after(desk):
    request = carry_out(desk, in_progress(desk))
    ops.decide_request(desk, request, version=request.version_id, outcome=Outcome.GRANTED)
    ops.close_request(desk, request, version=request.version_id)
    assert (request.status, request.closed_on) == (Status.CLOSED, TODAY)


@pytest.mark.parametrize("outcome", [Outcome.GRANTED, Outcome.PARTLY_GRANTED])
def test_a_request_is_granted_only_once_its_right_was_carried_out(desk, outcome):
    request = in_progress(desk)
    with pytest.raises(RuleViolation) as problem:
        ops.decide_request(
            desk, request, version=request.version_id, outcome=outcome, reasons="Deels"
        )
    assert problem.value.code == "not_carried_out"
    assert request.status is Status.IN_PROGRESS


def test_the_database_requires_reasons_for_a_refusal(desk):
    request = carry_out(desk, in_progress(desk))
    ops.decide_request(desk, request, version=request.version_id, outcome=Outcome.GRANTED)
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.execute(
                sa.text("UPDATE privacy_request SET decision = 'refused' WHERE id = :id"),
                {"id": request.id},
            )


def test_before_the_work_starts_the_only_decision_is_not_handled(desk):
    request = register(desk)
    ops.start_identity_check(
        desk, request, version=request.version_id, requested_info="Code", on=date(2026, 3, 4)
    )
    with pytest.raises(RuleViolation) as problem:
        ops.decide_request(desk, request, version=request.version_id, outcome=Outcome.GRANTED)
    assert problem.value.code == "wrong_status"
    assert ops.decision_outcomes(request) == [Outcome.NOT_HANDLED]
    ops.decide_request(
        desk,
        request,
        version=request.version_id,
        outcome=Outcome.NOT_HANDLED,
        reasons="Identiteit niet vast te stellen",
    )
    assert request.status is Status.DECIDED
    assert request.waits[0].ended_on == TODAY  # the wait ends with the decision


def test_only_a_decided_request_is_closed(desk):
    request = in_progress(desk)
    with pytest.raises(RuleViolation) as problem:
        ops.close_request(desk, request, version=request.version_id)
    assert problem.value.code == "wrong_status"


@pytest.mark.parametrize("step", ["received", "identity", "in_progress", "extended"])
def test_the_requester_withdraws_at_any_moment_before_the_decision(desk, step):
    if step == "received":
        request = register(desk)
    elif step == "identity":
        request = register(desk)
        ops.start_identity_check(
            desk, request, version=request.version_id, requested_info="Code", on=RECEIVED
        )
    else:
        request = in_progress(desk)
        if step == "extended":
            ops.extend_deadline(desk, request, version=request.version_id, reasons="Complex")
    ops.withdraw_request(desk, request, version=request.version_id, on=date(2026, 3, 12))
    assert (request.status, request.withdrawn_on) == (Status.WITHDRAWN, date(2026, 3, 12))
    assert request.open_wait is None


def test_a_decided_request_cannot_be_withdrawn(desk):
    request = in_progress(desk)
    ops.decide_request(
        desk, request, version=request.version_id, outcome=Outcome.REFUSED, reasons="Geen"
    )
    with pytest.raises(RuleViolation) as problem:
        ops.withdraw_request(desk, request, version=request.version_id)
    assert problem.value.code == "wrong_status"


@pytest.mark.parametrize(
    "on, code", [(TODAY + timedelta(days=1), "in_future"), (date(2026, 3, 1), "before_receipt")]
)
def test_step_dates_lie_between_receipt_and_today(desk, on, code):
    request = in_progress(desk)
    with pytest.raises(RuleViolation) as problem:
        ops.decide_request(
            desk, request, version=request.version_id, outcome=Outcome.GRANTED, on=on
        )
    assert problem.value.code == code


# --- assignment and notes ---------------------------------------------------------------------


def test_assign_only_to_desk_members(desk):
    request = register(desk)
    colleague = f.user(Role.PRIVACY_DESK)
    ops.assign_request(desk, request, version=request.version_id, assignee=colleague)
    assert request.assignee_id == colleague.id
    with pytest.raises(RuleViolation) as problem:
        ops.assign_request(
            desk, request, version=request.version_id, assignee=f.user(Role.PROCESREGISSEUR)
        )
    assert problem.value.code == "not_desk"
    no_vog = f.user(Role.PRIVACY_DESK, vog_date=None)
    with pytest.raises(RuleViolation):
        ops.assign_request(desk, request, version=request.version_id, assignee=no_vog)
    ops.assign_request(desk, request, version=request.version_id, assignee=None)
    assert request.assignee_id is None


def test_a_finished_request_is_not_assigned(desk):
    request = register(desk)
    ops.withdraw_request(desk, request, version=request.version_id)
    with pytest.raises(RuleViolation) as problem:
        ops.assign_request(desk, request, version=request.version_id, assignee=desk)
    assert problem.value.code == "finished"


def test_notes_are_encrypted_and_audited(desk):
    request = register(desk)
    before = audit_count()
    note = ops.add_note(desk, request, "  Gebeld met de aanvrager  ")
    assert note.text == "Gebeld met de aanvrager"
    raw = db.session.execute(
        sa.text("SELECT text FROM request_note WHERE id = :id"), {"id": note.id}
    ).scalar_one()
    assert b"Gebeld" not in bytes(raw)
    assert audit_count() == before + 1
    with pytest.raises(RuleViolation):
        ops.add_note(desk, request, "   ")
    assert f.count(RequestNote) == 1


def test_every_step_leaves_an_audit_entry_and_a_timeline_event(desk):
    request = register(desk)
    steps = [
        lambda: ops.start_identity_check(
            desk, request, version=request.version_id, requested_info="Code", on=RECEIVED
        ),
        lambda: ops.record_identity(
            desk, request, version=request.version_id, method=IdentityMethod.DIGID
        ),
        lambda: ops.assign_request(desk, request, version=request.version_id, assignee=desk),
        lambda: ops.extend_deadline(desk, request, version=request.version_id, reasons="Veel"),
        lambda: carry_out(desk, request),
        lambda: ops.decide_request(
            desk, request, version=request.version_id, outcome=Outcome.GRANTED
        ),
        lambda: ops.close_request(desk, request, version=request.version_id),
    ]
    for step in steps:
        audits, events, version = request_audits(), len(request.events), request.version_id
        step()
        assert request_audits() == audits + 1
        assert len(request.events) == events + 1
        assert request.version_id == version + 1  # every step changes the row: conflicts show


# --- optimistic locking -----------------------------------------------------------------------


def test_a_stale_version_is_refused_with_a_clear_message(desk):
    request = register(desk, identity_method=IdentityMethod.DIGID)
    seen = request.version_id
    ops.assign_request(desk, request, version=seen, assignee=desk)  # someone else, first
    with pytest.raises(RuleViolation) as problem:
        ops.start_processing(desk, request, version=seen)
    assert problem.value.code == "stale"
    assert problem.value.message == (
        "Iemand anders heeft dit verzoek intussen gewijzigd. Laad de pagina opnieuw."
    )
    assert request.status is Status.RECEIVED


# --- extra holidays ---------------------------------------------------------------------------


def test_an_extra_holiday_moves_open_deadlines_and_removing_it_moves_them_back(desk):
    admin = f.user(Role.ADMIN)
    request = register(desk)  # deadline Thu 2 April 2026
    done = in_progress(desk)
    ops.decide_request(
        desk, done, version=done.version_id, outcome=Outcome.REFUSED, reasons="Geen gegevens"
    )
    decided_deadline = done.deadline
    holiday = ops.add_extra_holiday(admin, date(2026, 4, 2), "Gemeentehuis dicht")
    # 2 April extra, 3 April Good Friday, weekend, 6 April Easter Monday -> Tue 7 April.
    assert request.deadline == date(2026, 4, 7)
    assert request.events[-1].kind is EventKind.DEADLINE_CHANGED
    assert done.deadline == decided_deadline  # answered requests keep theirs
    ops.remove_extra_holiday(admin, holiday)
    assert request.deadline == date(2026, 4, 2)


@pytest.mark.parametrize(
    "day, code",
    [
        (date(2026, 4, 27), "already_holiday"),
        (date(2026, 4, 4), "weekend"),
        (date(2013, 4, 4), "too_early"),
    ],
)
def test_extra_holiday_input_is_checked(ctx, day, code):
    with pytest.raises(RuleViolation) as problem:
        ops.add_extra_holiday(f.user(Role.ADMIN), day, "Reden")
    assert problem.value.code == code


def test_an_extra_holiday_is_added_once(ctx):
    admin = f.user(Role.ADMIN)
    ops.add_extra_holiday(admin, date(2026, 12, 24), "Kerstavond")
    with pytest.raises(RuleViolation) as problem:
        ops.add_extra_holiday(admin, date(2026, 12, 24), "Nog eens")
    assert problem.value.code == "duplicate"


def test_stored_deadline_matches_the_pure_function(desk):
    request = register(desk)
    ops.start_identity_check(
        desk, request, version=request.version_id, requested_info="Code", on=date(2026, 3, 3)
    )
    ops.record_identity(
        desk, request, version=request.version_id, method=IdentityMethod.LETTER_CODE,
        arrived_on=date(2026, 3, 16),
    )  # fmt: skip
    ops.extend_deadline(desk, request, version=request.version_id, reasons="Complex")
    expected = deadlines.request_deadline(
        RECEIVED, extended=True, waits=[(date(2026, 3, 3), date(2026, 3, 16))]
    )
    assert request.deadline == expected == date(2026, 6, 15)  # 2 June + 13 = Mon 15 June
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IdentityWait)) == 1


def test_the_database_allows_one_open_wait_per_request(desk):
    request = register(desk)
    ops.start_identity_check(
        desk, request, version=request.version_id, requested_info="Code", on=RECEIVED
    )
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.add(
                IdentityWait(request_id=request.id, started_on=RECEIVED, requested_info="Nog een")
            )
            db.session.flush()


def test_an_unknown_wait_policy_stops_the_app():
    from flask import Flask

    import requests as package

    app = Flask(__name__)
    app.config["REQUEST_ID_WAIT_POLICY"] = "restart"
    with pytest.raises(RuntimeError, match="REQUEST_ID_WAIT_POLICY"):
        package.init_app(app)


def test_the_wait_policy_defaults_to_suspend(app):
    assert app.config["REQUEST_ID_WAIT_POLICY"] == "suspend"
