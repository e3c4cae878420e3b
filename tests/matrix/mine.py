"""Matrix rules of the citizen pages for consents, requests and letters (issue 5, points 2-4).

These pages are for a signed-in household member only (`portal.citizen.citizen_required`): a
staff session is not a citizen session, so every staff role, like an anonymous visitor, is sent to
the citizen sign-in (302), for the own and the other scope alike, GET and POST. What a signed-in
person may reach (their own file and the files of the minors they represent, 404 otherwise) is
tested in tests/test_citizen_consents.py, test_citizen_requests.py and test_citizen_letters.py.
"""

from __future__ import annotations


def seed(world, own, other, team_partner):
    from datetime import timedelta

    from consent import operations as ledger
    from consent.models import Channel, ConsentStatus, Purpose, RecordedBy
    from portal.extensions import db
    from portal.letters import content, operations
    from portal.models import DataDomain, Person, Role, utcnow
    from requests import deadlines
    from requests import operations as request_operations
    from requests.models import Channel as RequestChannel
    from requests.models import RequestType

    regisseur = world.users[Role.PROCESREGISSEUR]
    domain = db.session.get(DataDomain, world.domain)
    ids = {}
    for scope, case, person_id in (
        ("own", own, world.own_person),
        ("other", other, world.other_person),
    ):
        person = db.session.get(Person, person_id)
        grant = ledger.record_decision(
            None,
            person=person,
            domain=domain,
            recipient=team_partner,
            purpose=Purpose.PLAN,
            status=ConsentStatus.GIVEN,
            recorded_by=RecordedBy.CASE_MANAGER,
            channel=Channel.BEMOEIZORG_CONVERSATION,
            information_version="informatiebrief-2026-01",
            effective_at=utcnow() - timedelta(days=1),
        )
        request = request_operations.register_request(
            None,
            person=person,
            type=RequestType.ACCESS,
            channel=RequestChannel.ONLINE,
            received_on=deadlines.today(),
        )
        letter = operations.send_letter(
            regisseur, content.information(person, case, sharing=[]), with_access_code=False
        )
        ids[scope] = {
            "person": person_id,
            "event": grant.id,
            "request": request.id,
            "letter": letter.id,
        }
    world.extra["mine"] = ids
    world.extra["mine_partner"] = team_partner.id


def _ids(world, scope) -> dict:
    assert "mine" in world.extra, "tests/matrix/mine.py needs its seed (tests.matrix.SEEDS)"
    return world.extra["mine"][scope]


def _base(world, scope) -> str:
    return f"/mijn/{_ids(world, scope)['person']}"


def _sign_in_first(role, scope) -> int:
    """Every staff role and the anonymous visitor: to the citizen sign-in."""
    return 302


RULES = {
    "citizen_consents.overview": (
        "GET",
        lambda w, s: f"{_base(w, s)}/toestemmingen",
        None,
        _sign_in_first,
    ),
    "citizen_consents.withdraw": (
        "POST",
        lambda w, s: f"{_base(w, s)}/toestemmingen/{_ids(w, s)['event']}/intrekken",
        lambda w: {},
        _sign_in_first,
    ),
    "citizen_consents.withdraw_organisation": (
        "POST",
        lambda w, s: f"{_base(w, s)}/toestemmingen/organisatie/{w.extra['mine_partner']}/intrekken",
        lambda w: {},
        _sign_in_first,
    ),
    "citizen_consents.withdrawn": (
        "GET",
        lambda w, s: f"{_base(w, s)}/toestemmingen/ingetrokken?e={_ids(w, s)['event']}",
        None,
        _sign_in_first,
    ),
    "citizen_requests.overview": (
        "GET",
        lambda w, s: f"{_base(w, s)}/verzoeken",
        None,
        _sign_in_first,
    ),
    "citizen_requests.new": (
        "POST",
        lambda w, s: f"{_base(w, s)}/verzoeken/nieuw",
        lambda w: {"type": "access", "description": ""},
        _sign_in_first,
    ),
    "citizen_requests.detail": (
        "GET",
        lambda w, s: f"{_base(w, s)}/verzoeken/{_ids(w, s)['request']}",
        None,
        _sign_in_first,
    ),
    "citizen_requests.withdraw": (
        "POST",
        lambda w, s: f"{_base(w, s)}/verzoeken/{_ids(w, s)['request']}/intrekken",
        lambda w: {"version": "1"},
        _sign_in_first,
    ),
    "citizen_letters.overview": (
        "GET",
        lambda w, s: f"{_base(w, s)}/brieven",
        None,
        _sign_in_first,
    ),
    "citizen_letters.download": (
        "GET",
        lambda w, s: f"{_base(w, s)}/brieven/{_ids(w, s)['letter']}.pdf",
        None,
        _sign_in_first,
    ),
}
