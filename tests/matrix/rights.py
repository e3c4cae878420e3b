"""Authorisation rules of carrying out the rights (requests/rights_views.py and the steps on the
request page): the privacy desk only; every other role gets 403 from the role layer; a request
that does not exist answers 404, as does a page of another right (the erasure page of an access
request does not exist).

Each request is about a person of its own household, so that carrying out one right (a
restriction, an erasure) never changes what another route of the matrix sees.
"""

from __future__ import annotations

from datetime import timedelta

from consent.models import Basis, LegalBasisRecord, Purpose
from portal import operations as portal_ops
from portal.extensions import db
from portal.models import CaseEntry, Decision, EntryKind, Role, utcnow
from requests import deadlines
from requests.models import (
    EventKind,
    Outcome,
    RequestEvent,
    RequestType,
    RightRestrictionGround,
    Status,
)
from tests import factories as f
from tests.matrix.requests import MISSING, desk_status, make_request


def seed(world, own, other, team_partner):
    desk = world.users[Role.PRIVACY_DESK]
    regisseur = world.users[Role.PROCESREGISSEUR]
    today = deadlines.today()
    domain = f.domain()

    def subject():
        household = f.household()
        person = f.person(household)
        case = f.case(procesregisseur=regisseur, household_obj=household, team=[team_partner])
        return person, case

    def working(kind, person):
        return make_request(desk, person, type=kind, working=True)

    requests = {}
    person, _case = subject()
    requests["access"] = working(RequestType.ACCESS, person)

    person, case = subject()
    entry = portal_ops.add_entry(
        regisseur, case, kind=EntryKind.PLAN, domain=domain, text="Matrixtekst", person=person
    )
    requests["rectify"] = working(RequestType.RECTIFICATION, person)
    world.extra["rights_entry"] = entry.id

    person, _case = subject()
    closed = f.case(
        procesregisseur=regisseur,
        household_obj=person.household,
        team=[team_partner],
        phase=8,
        decision=Decision.PICK_UP,
        opened_on=today - timedelta(days=1200),
        closed_on=today - timedelta(days=800),
    )
    # A closed case takes no entries through the operation: written directly.
    db.session.add(
        CaseEntry(
            case_id=closed.id,
            kind=EntryKind.PLAN,
            domain_id=domain.id,
            source_partner_id=team_partner.id,
            author_id=regisseur.id,
            person_id=person.id,
            text="Oud gegeven",
        )
    )
    requests["erase"] = working(RequestType.ERASURE, person)

    person, _case = subject()
    requests["restrict"] = working(RequestType.RESTRICTION, person)

    person, _case = subject()
    lifted = make_request(
        desk,
        person,
        type=RequestType.RESTRICTION,
        working=True,
        status=Status.DECIDED,
        decision=Outcome.GRANTED,
        decided_on=today,
    )
    person.restricted_since = utcnow() - timedelta(days=3)
    db.session.add(
        RequestEvent(
            request=lifted,
            kind=EventKind.PROCESSING_RESTRICTED,
            on=today,
            to_status=Status.IN_PROGRESS,
            deadline=lifted.deadline,
        )
    )
    requests["lift"] = lifted

    person, case = subject()
    basis = LegalBasisRecord(
        case_id=case.id,
        phase=5,
        partner_id=team_partner.id,
        domain_id=domain.id,
        purpose=Purpose.PLAN,
        basis=Basis.PUBLIC_TASK,
        statute="Wmo 2015 art. 2.3.1",
        proportionality="Nodig",
        subsidiarity="Geen lichter middel",
        recorded_by_id=regisseur.id,
        recorded_at=utcnow() - timedelta(days=5),
    )
    db.session.add(basis)
    requests["object"] = working(RequestType.OBJECTION, person)

    person, _case = subject()
    requests["restrict_right"] = working(RequestType.ACCESS, person)
    person, _case = subject()
    restricted = dict(
        right_restricted_on=today,
        right_restriction_ground=RightRestrictionGround.VITAL_INTEREST,
        right_restriction_motivation="Gevaar",
        inform_by=today + timedelta(days=10),
    )
    requests["tell"] = make_request(
        desk, person, type=RequestType.ACCESS, working=True, **restricted
    )
    person, _case = subject()
    requests["end_right"] = make_request(
        desk, person, type=RequestType.ACCESS, working=True, **restricted
    )
    db.session.flush()
    for key, request in requests.items():
        world.extra[f"rights_{key}"] = request.id
        world.extra[f"rights_version_{key}"] = request.version_id
    world.extra["rights_basis"] = basis.id


def _url(key, path):
    def url(world, scope):
        request_id = world.extra[f"rights_{key}"] if scope == "own" else MISSING
        return f"/requests/{request_id}{path.format(**world.extra)}"

    return url


def _data(key, prefix, **fields):
    def data(world):
        form = prefix.format(**world.extra)
        values = {f"{form}-version": str(world.extra[f"rights_version_{key}"])}
        for name, value in fields.items():
            values[f"{form}-{name}"] = value(world) if callable(value) else value
        return values

    return data


def _post(key, path, prefix, **fields):
    return (
        "POST",
        _url(key, path),
        _data(key, prefix, **fields),
        lambda r, s: desk_status(r, s, 302),
    )


def _get(key, path):
    return ("GET", _url(key, path), None, lambda r, s: desk_status(r, s, 200))


def _in_days(days):
    return lambda world: (deadlines.today() + timedelta(days=days)).isoformat()


RULES = {
    "requests.access_report_page": _get("access", "/access-report"),
    "requests.access_report_json": _get("access", "/access-report.json"),
    "requests.send_access_report": _post("access", "/access-report", "report"),
    "requests.rectify_page": _get("rectify", "/rectify"),
    "requests.rectify_person": _post(
        "rectify", "/rectify", "person", given_name="Sanne", family_name="Verbeterd"
    ),
    "requests.rectify_entry": _post(
        "rectify",
        "/rectify/entries/{rights_entry}",
        "entry-{rights_entry}",
        text="Verbeterde matrixtekst",
    ),
    "requests.erasure_page": _get("erase", "/erasure"),
    "requests.erase": _post("erase", "/erasure", "erase"),
    "requests.restrict_processing": _post("restrict", "/restrict-processing", "restrict"),
    "requests.lift_restriction": _post(
        "lift", "/lift-restriction", "lift", reasons="De juistheid is vastgesteld"
    ),
    "requests.objection": _post(
        "object", "/objection", "objection", record_ids=lambda w: str(w.extra["rights_basis"])
    ),
    "requests.restrict_right": _post(
        "restrict_right",
        "/restrict-right",
        "right",
        ground="vital_interest",
        motivation="Gevaar voor een kind",
        inform_by=_in_days(14),
    ),
    "requests.tell_right_restriction": _post(
        "tell", "/tell-right-restriction", "tell", review_on=_in_days(30)
    ),
    "requests.end_right_restriction": _post("end_right", "/end-right-restriction", "endright"),
}
