"""Authorisation rules of the privacy-desk screens (requests/views.py).

The privacy desk of the college van B&W (the controller) handles requests; every other role gets
403 from the role layer. "own" is a request seeded in the state its step needs; "other" is a
request id that does not exist, which answers 404 for the desk. The administrator keeps the list
of extra holidays.
"""

from __future__ import annotations

from datetime import date

from portal.extensions import db
from portal.models import Person, Role
from requests import deadlines
from requests import operations as ops
from requests.models import (
    Channel,
    IdentityMethod,
    Outcome,
    PrivacyRequest,
    RequestType,
    Status,
)
from tests.matrix.expect import ANON, admin_status

MISSING = 999_999


def desk_status(role, scope, ok):
    if role == ANON:
        return 302
    if role is not Role.PRIVACY_DESK:
        return 403
    return 404 if scope == "other" else ok


def make_request(desk, person, *, type=RequestType.ACCESS, working=False, **fields):
    """A request row in the state a route needs, written directly: the workflow (and the letters
    each step renders) has its own tests; the matrix only needs the row."""
    today = deadlines.today()
    request = PrivacyRequest(
        type=type,
        person=person,
        channel=Channel.LETTER,
        received_on=today,
        registered_by_id=desk.id,
        description=None if type is RequestType.ACCESS else "Matrix",
        status=Status.IN_PROGRESS if working else Status.RECEIVED,
        deadline=deadlines.request_deadline(today),
    )
    if working or fields.pop("identity", False):
        request.identity_method = IdentityMethod.DESK_ID_DOCUMENT_SEEN
        request.identity_established_on = today
    for name, value in fields.items():
        setattr(request, name, value)
    db.session.add(request)
    db.session.flush()
    return request


def seed(world, own, other, team_partner):
    desk = world.users[Role.PRIVACY_DESK]
    person = db.session.get(Person, world.own_person)
    today = deadlines.today()

    def new(identity=False):
        return make_request(desk, person, identity=identity)

    requests = {
        "detail": new(),
        "ask": new(),
        "identity": new(),
        "start": new(identity=True),
        "extend": make_request(desk, person, working=True),
        "decide": make_request(desk, person, working=True),
        "close": make_request(
            desk,
            person,
            working=True,
            status=Status.DECIDED,
            decision=Outcome.REFUSED,
            decision_reasons="Geen gegevens",
            decided_on=today,
        ),
        "withdraw": new(),
        "assign": new(),
        "note": new(),
    }
    for key, request in requests.items():
        world.extra[f"request_{key}"] = request.id
        world.extra[f"version_{key}"] = request.version_id
    holiday = ops.add_extra_holiday(
        world.users[Role.ADMIN], deadlines.next_working_day(date(2030, 6, 10)), "Matrix"
    )
    world.extra["holiday"] = holiday.id


def _url(key, path=""):
    def url(world, scope):
        request_id = world.extra[f"request_{key}"] if scope == "own" else MISSING
        return f"/requests/{request_id}{path}"

    return url


def _versioned(key, prefix, **fields):
    def data(world):
        values = {f"{prefix}-version": str(world.extra[f"version_{key}"])}
        values.update({f"{prefix}-{name}": value for name, value in fields.items()})
        return values

    return data


def _step(key, path, prefix, **fields):
    return (
        "POST",
        _url(key, path),
        _versioned(key, prefix, **fields),
        lambda r, s: desk_status(r, s, 302),
    )


RULES = {
    "requests.queue": (
        "GET",
        lambda w, s: "/requests",
        None,
        lambda r, s: desk_status(r, "own", 200),
    ),
    "requests.intake": (
        "GET",
        lambda w, s: f"/requests/new?person_id={w.own_person if s == 'own' else w.other_person}",
        None,
        lambda r, s: desk_status(r, "own", 200),
    ),
    "requests.detail": ("GET", _url("detail"), None, lambda r, s: desk_status(r, s, 200)),
    "requests.ask_identity": _step(
        "ask", "/identity-request", "ask", requested_info="De code uit onze brief"
    ),
    "requests.record_identity": _step("identity", "/identity", "identity", method="digid"),
    "requests.start": _step("start", "/start", "start"),
    "requests.extend": _step("extend", "/extend", "extend", reasons="Veel partners betrokken"),
    "requests.decide": _step(
        "decide", "/decide", "decide", outcome="refused", reasons="Geen gegevens"
    ),
    "requests.close": _step("close", "/close", "close"),
    "requests.withdraw": _step("withdraw", "/withdraw", "withdraw"),
    "requests.assign": (
        "POST",
        _url("assign", "/assign"),
        lambda w: {
            **_versioned("assign", "assign")(w),
            "assign-assignee_id": str(w.users[Role.PRIVACY_DESK].id),
        },
        lambda r, s: desk_status(r, s, 302),
    ),
    "requests.add_note": (
        "POST",
        _url("note", "/notes"),
        lambda w: {"note-text": "Teruggebeld"},
        lambda r, s: desk_status(r, s, 302),
    ),
    "requests.holidays": (
        "GET",
        lambda w, s: "/requests/holidays",
        None,
        lambda r, s: admin_status(r, 200),
    ),
    "requests.delete_holiday": (
        "POST",
        lambda w, s: f"/requests/holidays/{w.extra['holiday'] if s == 'own' else MISSING}/delete",
        lambda w: {},
        lambda r, s: 404 if r is Role.ADMIN and s == "other" else admin_status(r, 302),
    ),
}
