"""Restricting a right for a while (Privacyprotocol art. 5: only for a vital interest or a conflict
of duties; art. 4: "tijdelijk, goed gemotiveerd en gedocumenteerd [...] Zodra mogelijk wordt
betrokkene alsnog geinformeerd"): recorded on the request with its ground, motivation and the
date to tell the person; the right is not carried out meanwhile; the queue reminds the desk; the
restriction letter tells the person, the "restriction ended" letter ends it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.letters.models import LetterKind
from portal.models import Role
from portal.operations import RuleViolation
from requests import access_report, deadlines, right_restriction
from requests import operations as ops
from requests.letters import letters_of
from requests.models import (
    Channel,
    EventKind,
    IdentityMethod,
    RequestType,
    RightRestrictionGround,
)
from tests import factories as f
from tests.test_requests_letters import text_of

TODAY = date(2026, 3, 20)


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(deadlines, "today", lambda: TODAY)
    return TODAY


def working_request(desk):
    request = ops.register_request(
        desk,
        person=f.person(given_name="Noor", family_name="Visser"),
        type=RequestType.ACCESS,
        channel=Channel.LETTER,
        received_on=date(2026, 3, 2),
        identity_method=IdentityMethod.DIGID,
    )
    return ops.start_processing(desk, request, version=request.version_id)


def restrict(desk, request, **overrides):
    values = dict(
        ground=RightRestrictionGround.CONFLICT_OF_DUTIES,
        motivation="De hulpverlener moet eerst de veiligheid van de kinderen regelen.",
        inform_by=TODAY + timedelta(days=5),
    )
    values.update(overrides)
    return right_restriction.restrict_right(desk, request, version=request.version_id, **values)


def test_a_right_is_restricted_with_ground_motivation_and_date(ctx):
    desk = f.user(Role.PRIVACY_DESK)
    request = restrict(desk, working_request(desk))
    assert (request.right_restricted_on, request.inform_by) == (TODAY, TODAY + timedelta(days=5))
    assert request.right_restriction_ground is RightRestrictionGround.CONFLICT_OF_DUTIES
    assert request.right_restricted and request.events[-1].kind is EventKind.RIGHT_RESTRICTED
    assert [letter.kind for letter in letters_of(request)] == [LetterKind.ACKNOWLEDGEMENT]
    raw = db.session.execute(
        sa.text("SELECT right_restriction_motivation FROM privacy_request WHERE id = :id"),
        {"id": request.id},
    ).scalar_one()
    assert b"veiligheid" not in bytes(raw)  # documented, encrypted


@pytest.mark.parametrize(
    "overrides, code",
    [
        ({"ground": "legitimate_interest"}, "no_ground"),
        ({"motivation": "  "}, "motivation_required"),
        ({"inform_by": None}, "inform_by_required"),
        ({"inform_by": TODAY - timedelta(days=1)}, "inform_by_past"),
    ],
)
def test_only_for_the_two_grounds_motivated_and_with_a_date(ctx, overrides, code):
    desk = f.user(Role.PRIVACY_DESK)
    request = working_request(desk)
    with pytest.raises(RuleViolation) as refused:
        restrict(desk, request, **overrides)
    assert refused.value.code == code
    assert request.right_restricted_on is None


def test_the_database_wants_the_restriction_documented(ctx):
    desk = f.user(Role.PRIVACY_DESK)
    request = working_request(desk)
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.execute(
                sa.text("UPDATE privacy_request SET right_restricted_on = :on WHERE id = :id"),
                {"on": TODAY, "id": request.id},
            )


def test_a_restricted_right_is_not_carried_out(ctx):
    desk = f.user(Role.PRIVACY_DESK)
    request = restrict(desk, working_request(desk))
    assert "carry_out" not in ops.possible_actions(request)
    with pytest.raises(RuleViolation) as refused:
        access_report.send_access_report(desk, request, version=request.version_id)
    assert refused.value.code == "right_restricted"


def test_the_queue_reminds_when_the_date_comes_near(ctx):
    desk = f.user(Role.PRIVACY_DESK)
    soon = restrict(desk, working_request(desk), inform_by=TODAY + timedelta(days=3))
    later = restrict(desk, working_request(desk), inform_by=TODAY + timedelta(days=30))
    told = restrict(desk, working_request(desk), inform_by=TODAY + timedelta(days=1))
    right_restriction.tell_right_restriction(
        desk, told, version=told.version_id, review_on=TODAY + timedelta(days=20)
    )
    assert right_restriction.to_tell(TODAY) == [soon]
    assert set(right_restriction.to_tell(TODAY + timedelta(days=25))) == {soon, later}


def test_telling_sends_the_restriction_letter(ctx):
    desk = f.user(Role.PRIVACY_DESK)
    request = restrict(desk, working_request(desk))
    with pytest.raises(RuleViolation) as refused:
        right_restriction.tell_right_restriction(
            desk, request, version=request.version_id, review_on=TODAY
        )
    assert refused.value.code == "review_required"
    letter = right_restriction.tell_right_restriction(
        desk, request, version=request.version_id, review_on=date(2026, 5, 10)
    )
    assert letter.kind is LetterKind.RESTRICTION and letter.request_reference == request.reference
    text = text_of(letter.pdf)
    assert "Een van uw rechten is tijdelijk beperkt" in text
    assert "inzage in uw gegevens" in text and "conflict van plichten" in text
    assert "10 mei 2026" in text
    assert request.informed_on == TODAY
    with pytest.raises(RuleViolation):
        right_restriction.tell_right_restriction(
            desk, request, version=request.version_id, review_on=date(2026, 5, 10)
        )


def test_ending_sends_the_restriction_ended_letter_and_the_right_is_carried_out(ctx):
    desk = f.user(Role.PRIVACY_DESK)
    request = restrict(desk, working_request(desk), ground=RightRestrictionGround.VITAL_INTEREST)
    letter = right_restriction.end_right_restriction(desk, request, version=request.version_id)
    assert letter.kind is LetterKind.RESTRICTION_ENDED
    assert "vitaal belang" in text_of(letter.pdf)
    assert not request.right_restricted and request.informed_on == TODAY  # told now
    assert "carry_out" in ops.possible_actions(request)
    access_report.send_access_report(desk, request, version=request.version_id)


# --- the pages ----------------------------------------------------------------------------------


def test_the_desk_restricts_tells_and_sees_the_reminder(client, auth, seed):
    with seed():
        desk = f.user(Role.PRIVACY_DESK)
        request = working_request(desk)
        request_id, reference = request.id, request.reference
    auth.login(desk)
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    version = page.split('name="right-version" type="hidden" value="')[1].split('"')[0]
    refused = client.post(
        f"/requests/{request_id}/restrict-right",
        data={"right-version": version, "right-ground": "", "right-motivation": "x"},
    )
    assert refused.status_code == 422
    response = client.post(
        f"/requests/{request_id}/restrict-right",
        data={
            "right-version": version,
            "right-ground": "vital_interest",
            "right-motivation": "Gevaar voor de kinderen",
            "right-inform_by": (TODAY + timedelta(days=2)).isoformat(),
        },
    )
    assert response.status_code == 302
    queue = client.get("/requests").get_data(as_text=True)
    assert "Persoon inlichten over een beperkt recht" in queue and reference in queue
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    assert "Gevaar voor de kinderen" in page and "Overzicht bekijken" not in page
    version = page.split('name="tell-version" type="hidden" value="')[1].split('"')[0]
    response = client.post(
        f"/requests/{request_id}/tell-right-restriction",
        data={"tell-version": version, "tell-review_on": "2026-05-10"},
    )
    assert response.status_code == 302
    assert "Persoon inlichten over een beperkt recht" not in client.get("/requests").get_data(
        as_text=True
    )
