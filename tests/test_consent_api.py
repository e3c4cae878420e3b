"""The check API for partner systems (issue 3, point 4): key per partner, scope by the case team
(Privacyprotocol art. 5: information stays within "de kring van professionals [...] die bij de
casus betrokken zijn"), a 400 with a code per problem, never a 500, every check on record, and an
OpenAPI document that covers every route.

The question comes as a JSON body (POST) or, deprecated, as a query string (GET): tests that are
about the check itself run on both (the `ask` fixture), and GET and POST are compared answer for
answer (`test_post_answers_exactly_as_get`, `test_post_and_get_agree_on_any_question`)."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import consent.api as api
import consent.openapi as openapi
from consent.apikeys import create_api_key, revoke_api_key
from consent.check import DENIAL_MESSAGES
from consent.models import (
    ApiKey,
    Basis,
    Channel,
    ConsentStatus,
    LegalBasisRecord,
    Purpose,
    RecordedBy,
)
from consent.operations import record_decision, withdraw_consent
from portal.audit import AuditEntry
from portal.extensions import db
from portal.models import Case, DataDomain, Partner, Person, Role, User
from tests import factories as f

CHECK = "/api/v1/check"
BSN = "111222333"  # passes the 11-check
PAST = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


@dataclass
class World:
    key: str  # partner "asker", on the team of the own household's case
    other_key: str  # partner "outsider", on the team of the other household's case only
    asker: int
    outsider: int
    person: int
    other_person: int
    domain: str
    revoked_key: str
    user: int


def _give(person, domain, recipient, effective_at=None, purpose=Purpose.PLAN):
    return record_decision(
        None,
        person=person,
        domain=domain,
        recipient=recipient,
        purpose=purpose,
        status=ConsentStatus.GIVEN,
        recorded_by=RecordedBy.CASE_MANAGER,
        channel=Channel.BEMOEIZORG_CONVERSATION,
        information_version="info-2026-01",
        effective_at=effective_at,
    )


@pytest.fixture
def world(seed) -> World:
    with seed():
        asker = f.partner(code="asker")
        outsider = f.partner(code="outsider")
        household = f.household()
        person = f.person(household, bsn=BSN)
        f.case(household_obj=household, team=[asker])
        other_household = f.household()
        other_person = f.person(other_household)
        f.case(household_obj=other_household, team=[outsider])
        domain = f.domain(code="wonen_api")
        _, key = create_api_key(None, asker, "Zaaksysteem")
        _, other_key = create_api_key(None, outsider, "Zaaksysteem")
        revoked, revoked_key = create_api_key(None, asker, "Oud systeem")
        revoke_api_key(None, revoked)
        value = World(
            key=key,
            other_key=other_key,
            asker=asker.id,
            outsider=outsider.id,
            person=person.id,
            other_person=other_person.id,
            domain=domain.code,
            revoked_key=revoked_key,
            user=f.user(Role.PROCESREGISSEUR, asker).id,
        )
    return value


def _get(client, key, **params):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return client.get(CHECK, query_string=params, headers=headers)


def _json_object(pairs) -> str:
    """A JSON object of these (name, value) pairs in this order, a repeated name included (which
    json.dumps of a dict cannot write)."""
    items = pairs.items() if isinstance(pairs, dict) else pairs
    return "{" + ", ".join(f"{json.dumps(n)}: {json.dumps(v)}" for n, v in items) + "}"


def _post(client, key, pairs=None, *, raw=None, content_type="application/json"):
    """The question as a JSON body: `pairs` (a dict or a list of pairs; a person number stays a
    JSON number) or `raw` bytes or text as they are."""
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    data = raw if raw is not None else _json_object(pairs or {})
    return client.post(CHECK, data=data, content_type=content_type, headers=headers)


def _ask(client, method, key, pairs):
    if method == "GET":
        headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
        return client.get(CHECK, query_string=pairs, headers=headers)
    return _post(client, key, pairs)


@pytest.fixture(params=["GET", "POST"])
def ask(request, client):
    """Ask the check by GET (query string) or by POST (JSON body): the same question, the same
    answer. `ask(key, **params)`, or `ask(key, pairs)` for a list of pairs."""

    def asking(key, pairs=None, **params):
        return _ask(client, request.param, key, pairs if pairs is not None else params)

    asking.method = request.param
    return asking


def _query(world, **overrides):
    params = {"person": world.person, "domain": world.domain, "purpose": "plan"}
    params.update(overrides)
    return {name: value for name, value in params.items() if value is not None}


def _load(model, id_):
    return db.session.get(model, id_)


# --- authentication ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("which", ["missing", "unknown", "revoked", "other_scheme"])
def test_without_a_valid_key_the_answer_is_401(client, world, which, method):
    headers = {
        "missing": {},
        "unknown": {"Authorization": "Bearer rtk_0123abcd" + "x" * 43},
        "revoked": {"Authorization": f"Bearer {world.revoked_key}"},
        "other_scheme": {"Authorization": f"Basic {world.key}"},
    }[which]
    if method == "GET":
        response = client.get(CHECK, query_string=_query(world), headers=headers)
    else:
        response = client.post(CHECK, json=_query(world), headers=headers)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "invalid_api_key"
    assert response.json["error"]["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer realm=")
    assert ('error="invalid_token"' in response.headers["WWW-Authenticate"]) == (which != "missing")


def test_a_key_is_checked_before_the_query(client, world):
    response = client.get(CHECK, query_string={"nonsense": "1"})
    assert response.status_code == 401
    # and before the body: its type, its size and its JSON
    for body, content_type in [("x" * 10_000, "text/plain"), ("{", "application/json")]:
        response = client.post(CHECK, data=body, content_type=content_type)
        assert response.status_code == 401


def test_a_staff_session_is_no_key(client, auth, seed, world):
    with seed():
        user = db.session.get(User, world.user)
    auth.login(user)
    assert client.get(CHECK, query_string=_query(world)).status_code == 401
    assert client.post(CHECK, json=_query(world)).status_code == 401
    assert client.get("/api/v1/domains").status_code == 401


# --- scope -------------------------------------------------------------------------------------


def test_a_person_outside_the_partners_cases_is_not_found(ask, world):
    outside = ask(world.key, **_query(world, person=world.other_person))
    unknown = ask(world.key, **_query(world, person=2_000_000_000))
    assert outside.status_code == unknown.status_code == 404
    assert outside.json == unknown.json, "out of scope and unknown look the same"
    assert outside.json["error"]["code"] == "not_found"
    # The other partner, on that case's team, gets an answer.
    assert ask(world.other_key, **_query(world, person=world.other_person)).status_code == 200


def test_an_unknown_bsn_is_not_found_too(ask, world):
    response = ask(world.key, **_query(world, person=None, bsn="123456782"))
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


def test_a_refused_lookup_leaves_no_audit_entry(ask, world):
    before = _audit_count()
    ask(world.key, **_query(world, person=world.other_person))
    assert _audit_count() == before


def _audit_count():
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))


def test_scope_is_the_case_team_of_the_household(ctx):
    """The policy itself (portal.access), without HTTP: on the team of a case of the person's
    household, whichever member of the household and whichever case."""
    from portal.access import partner_scope_includes

    on_team, elsewhere, nowhere = f.partner(), f.partner(), f.partner()
    household = f.household()
    parent, child = f.person(household), f.person(household)
    f.case(household_obj=household, team=[elsewhere])
    f.case(household_obj=household, team=[on_team])
    f.case(team=[elsewhere, nowhere])  # another household
    assert partner_scope_includes(on_team, parent) and partner_scope_includes(on_team, child)
    assert partner_scope_includes(elsewhere, child)
    assert not partner_scope_includes(nowhere, parent)


# --- malformed input ---------------------------------------------------------------------------

BAD_QUERIES = {
    "unknown_parameter": lambda w: _query(w, persoon=1),
    "repeated_parameter": lambda w: [
        ("person", w.person),
        ("person", w.person),
        ("domain", w.domain),
        ("purpose", "plan"),
    ],
    "person_missing": lambda w: _query(w, person=None),
    "person_and_bsn": lambda w: _query(w, bsn=BSN),
    "invalid_person": lambda w: _query(w, person="12abc"),
    "invalid_bsn": lambda w: _query(w, person=None, bsn="123456789"),
    "domain_missing": lambda w: _query(w, domain=None),
    "unknown_domain": lambda w: _query(w, domain="geen_domein"),
    "purpose_missing": lambda w: _query(w, purpose=None),
    "invalid_purpose": lambda w: _query(w, purpose="marketing"),
    "invalid_at": lambda w: _query(w, at="3 maart"),
    "at_in_future": lambda w: _query(w, at=(datetime.now(UTC) + timedelta(days=1)).isoformat()),
    "unknown_source_partner": lambda w: _query(w, source_partner="nobody"),
}


@pytest.mark.parametrize("code", sorted(BAD_QUERIES))
def test_malformed_input_is_400_with_its_code(ask, world, code):
    before = _audit_count()
    response = ask(world.key, BAD_QUERIES[code](world))
    assert response.status_code == 400
    assert response.json["error"]["code"] == code
    assert response.json["error"]["message"] and response.json["error"]["message_en"]
    assert _audit_count() == before, "nothing is written for a refused query"


# What only a JSON body can get wrong: (body, content type) per code, each a few ways.
BAD_BODIES = {
    "unsupported_media_type": [
        ("person=1&domain=wonen_api&purpose=plan", "application/x-www-form-urlencoded"),
        ('{"person": 1}', "text/plain"),
        ('{"person": 1}', ""),
        ('{"person": 1}', "application/json-patch+json"),
    ],
    "body_too_large": [
        ('{"domain": "' + "x" * 5000 + '"}', "application/json"),
    ],
    "invalid_json": [
        ("", "application/json"),
        ("{", "application/json"),
        ("{'person': 1}", "application/json"),
        ('{"person": NaN}', "application/json"),
        ('{"person": 1} {"person": 2}', "application/json"),
        (b'{"domain": "\xff"}', "application/json"),
        ("\ufeff{}", "application/json"),
        ('{"domain": ' + "[" * 1500 + "]" * 1500 + "}", "application/json"),
    ],
    "invalid_body": [
        ("[]", "application/json"),
        ('"person=1"', "application/json"),
        ("null", "application/json"),
        ("42", "application/json"),
    ],
    "invalid_type": [
        ('{"person": 1.5}', "application/json"),
        ('{"person": true}', "application/json"),
        ('{"person": 1e999999}', "application/json"),  # a float: infinity
        ('{"bsn": 111222333}', "application/json"),
        ('{"domain": ["wonen_api"]}', "application/json"),
        ('{"purpose": {"value": "plan"}}', "application/json"),
        ('{"at": 1748779200}', "application/json"),
        ('{"source_partner": false}', "application/json"),
    ],
}


def test_every_error_code_has_a_test():
    """401 and 404 have tests of their own (authentication, scope)."""
    tested = set(BAD_QUERIES) | set(BAD_BODIES)
    assert tested == {c for c, spec in api.ERRORS.items() if spec.status not in (401, 404)}
    assert set(BAD_BODIES) == {c for c, spec in api.ERRORS.items() if spec.body_only}


@pytest.mark.parametrize(
    ("code", "body", "content_type"),
    [(code, body, kind) for code, cases in BAD_BODIES.items() for body, kind in cases],
)
def test_a_bad_body_gets_its_code(client, world, code, body, content_type):
    before = _audit_count()
    response = _post(client, world.key, raw=body, content_type=content_type)
    assert response.status_code == api.ERRORS[code].status
    assert response.json["error"]["code"] == code
    assert response.json["error"]["message"] and response.json["error"]["message_en"]
    assert _audit_count() == before


def test_a_wrongly_typed_field_is_named(client, world):
    response = _post(client, world.key, _query(world, purpose=["plan"]))
    assert response.json["error"] == response.json["error"] | {
        "code": "invalid_type",
        "parameter": "purpose",
    }


def test_unknown_and_repeated_fields_are_refused_as_parameters_are(client, world):
    nested = _post(client, world.key, _query(world, options={"at": "2025-06-01T12:00:00Z"}))
    assert nested.status_code == 400
    assert (nested.json["error"]["code"], nested.json["error"]["parameter"]) == (
        "unknown_parameter",
        "options",
    )
    # A repeated field is refused, never silently the last one (as a lenient parser would).
    twice = list(_query(world).items()) + [("person", world.other_person)]
    repeated = _post(client, world.key, twice)
    assert (repeated.json["error"]["code"], repeated.json["error"]["parameter"]) == (
        "repeated_parameter",
        "person",
    )


@pytest.mark.parametrize(
    ("value", "status", "code"),
    [
        (0, 400, "invalid_person"),
        (-1, 400, "invalid_person"),
        (2**31, 400, "invalid_person"),
        (10**30, 400, "invalid_person"),
        (None, 400, "person_missing"),
        ("", 400, "person_missing"),
        (2_000_000_000, 404, "not_found"),
    ],
)
def test_a_person_number_in_the_body_follows_the_query_rules(client, world, value, status, code):
    response = _post(client, world.key, _query(world) | {"person": value})
    assert response.status_code == status and response.json["error"]["code"] == code


def test_the_person_as_a_number_or_as_text_and_a_charset_are_all_one(client, world):
    as_number = _post(client, world.key, _query(world))
    as_text = _post(client, world.key, _query(world, person=f" {world.person} "))
    with_charset = _post(
        client, world.key, _query(world), content_type="application/json; charset=utf-8"
    )
    assert as_number.status_code == as_text.status_code == with_charset.status_code == 200
    assert _without_at(as_number.json) == _without_at(as_text.json)
    assert _without_at(as_number.json) == _without_at(with_charset.json)


def _without_at(body: dict) -> dict:
    return {name: value for name, value in body.items() if name != "at"}


@pytest.mark.parametrize(
    "value",
    [
        "0",
        "-1",
        "1.0",
        "99999999999",
        str(2**31),
        "١٢",  # Arabic-Indic digits are digits to Python, not to the database
        "1e3",
    ],
)
def test_person_must_be_a_plain_positive_number(ask, world, value):
    response = ask(world.key, **_query(world, person=value))
    assert response.status_code == 400 and response.json["error"]["code"] == "invalid_person"


@pytest.mark.parametrize(
    "value",
    [
        "2026-03-03",  # a date is not a moment
        "2026-03-03T10:00:00",  # no offset: ambiguous
        "2026-13-01T10:00:00Z",
        "0001-01-01T00:00:00+01:00",  # overflows when converted to UTC
        "tomorrow",
    ],
)
def test_at_must_be_a_moment_with_an_offset(ask, world, value):
    response = ask(world.key, **_query(world, at=value))
    assert response.status_code == 400 and response.json["error"]["code"] == "invalid_at"


def test_an_unencoded_plus_in_the_offset_is_understood(client, world):
    # "+01:00" in a raw query string arrives as " 01:00".
    response = client.get(
        f"{CHECK}?person={world.person}&domain={world.domain}&purpose=plan"
        "&at=2025-06-01T14:00:00+02:00",
        headers={"Authorization": f"Bearer {world.key}"},
    )
    assert response.status_code == 200
    assert response.json["at"] == "2025-06-01T12:00:00+00:00"


def test_empty_optional_parameters_count_as_absent(ask, world):
    response = ask(world.key, **_query(world, at="", source_partner="", bsn=""))
    assert response.status_code == 200


# --- the answers ---------------------------------------------------------------------------------


def test_permit_after_a_recorded_consent(ask, seed, world):
    with seed():
        person, domain, asker = _objects(world)
        event_id = _give(person, domain, asker).id
    response = ask(world.key, **_query(world))
    assert response.status_code == 200
    assert response.json == {
        "permitted": True,
        "basis": "consent",
        "consent_event": event_id,
        "legal_basis": None,
        "reuse_approval": None,
        "reason": None,
        "message": None,
        "message_en": None,
        "at": response.json["at"],
    }
    assert datetime.fromisoformat(response.json["at"]) <= datetime.now(UTC)


def test_the_same_person_by_bsn(ask, seed, world):
    with seed():
        person, domain, asker = _objects(world)
        event_id = _give(person, domain, asker).id
    response = ask(world.key, **_query(world, person=None, bsn="1112.22.333"))
    assert response.status_code == 200 and response.json["consent_event"] == event_id


def test_consent_for_another_purpose_or_partner_does_not_count(ask, seed, world):
    with seed():
        person, domain, _ = _objects(world)
        _give(person, domain, db.session.get(Partner, world.outsider))
        _give(person, domain, db.session.get(Partner, world.asker), purpose=Purpose.REGIE)
    response = ask(world.key, **_query(world))
    assert response.json["permitted"] is False and response.json["reason"] == "no_basis"
    assert response.json["message"] == DENIAL_MESSAGES["no_basis"]


def test_deny_after_withdrawal_and_the_past_stays_as_it_was(ask, seed, world):
    """Privacyprotocol art. 2: "Verdere verwerking van persoonsgegevens dient na het intrekken van
    de toestemming te worden gestaakt"; what was processed before stays lawful."""
    with seed():
        person, domain, asker = _objects(world)
        grant_id = _give(person, domain, asker, effective_at=PAST).id
    assert ask(world.key, **_query(world)).json["permitted"] is True
    with seed():
        person, domain, asker = _objects(world)
        withdrawal_id = withdraw_consent(
            None,
            person=person,
            domain=domain,
            recipient=asker,
            purpose=Purpose.PLAN,
            recorded_by=RecordedBy.PRIVACY_DESK,
            channel=Channel.IN_WRITING,
        ).id

    now = ask(world.key, **_query(world)).json
    assert now["permitted"] is False
    assert now["reason"] == "consent_withdrawn"
    assert now["consent_event"] == withdrawal_id
    assert now["message"] == DENIAL_MESSAGES["consent_withdrawn"] and now["message_en"]

    then = ask(world.key, **_query(world, at=(PAST + timedelta(days=30)).isoformat()))
    assert then.json["permitted"] is True and then.json["consent_event"] == grant_id
    assert then.json["at"] == "2025-07-01T12:00:00+00:00"

    before = ask(world.key, **_query(world, at="2025-06-01T11:59:59Z")).json
    assert before["permitted"] is False and before["reason"] == "no_basis"


def test_a_basis_from_the_register_permits(ask, seed, world):
    with seed():
        person, domain, asker = _objects(world)
        case_id = db.session.scalar(
            sa.select(Case.id).where(Case.household_id == person.household_id)
        )
        record = LegalBasisRecord(
            case_id=case_id,
            phase=5,
            partner_id=asker.id,
            domain_id=domain.id,
            purpose=Purpose.PLAN,
            basis=Basis.PUBLIC_TASK,
            statute="Wmo 2015 art. 2.3.2",
            proportionality="Alleen de woonsituatie.",
            subsidiarity="Geen lichter middel.",
            recorded_by_id=world.user,
        )
        db.session.add(record)
        db.session.flush()
        record_id = record.id
    response = ask(world.key, **_query(world)).json
    assert response["permitted"] is True
    assert response["basis"] == "public_task" and response["legal_basis"] == record_id


def test_reuse_of_another_partners_data_needs_its_approval(ask, seed, world):
    """Privacyprotocol art. 5: only when "de partner die de gegevens heeft ingebracht dit
    afzonderlijk accordeert"."""
    with seed():
        person, domain, asker = _objects(world)
        _give(person, domain, asker)
    response = ask(world.key, **_query(world, source_partner="outsider")).json
    assert response["permitted"] is False and response["reason"] == "reuse_not_approved"
    own = ask(world.key, **_query(world, source_partner="asker")).json
    assert own["permitted"] is True


def test_each_check_is_on_record_as_a_read_by_the_partner(ask, world):
    before = _audit_count()
    assert ask(world.key, **_query(world)).status_code == 200
    assert _audit_count() == before + 1
    entry = db.session.scalar(sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
    key_id = db.session.scalar(
        sa.select(ApiKey.id).where(ApiKey.partner_id == world.asker, ApiKey.revoked_at.is_(None))
    )
    assert entry.action == "read"
    assert entry.user_id is None and entry.role is None
    assert entry.partner_code == "asker"
    assert entry.person_id == world.person
    assert entry.processing_activity == "toestemmingscheck"
    assert entry.confidentiality == "normal"
    assert (entry.object_type, entry.object_id) == ("api_key", key_id)


def test_domains_lists_codes_and_purposes(client, world):
    response = client.get("/api/v1/domains", headers={"Authorization": f"Bearer {world.key}"})
    assert response.status_code == 200
    assert world.domain in {d["code"] for d in response.json["domains"]}
    assert response.json["purposes"] == [p.value for p in Purpose]


def test_wrong_method_and_unknown_route_answer_json(client, world):
    headers = {"Authorization": f"Bearer {world.key}"}
    for method in ("PUT", "PATCH", "DELETE"):
        response = client.open(CHECK, method=method, json=_query(world), headers=headers)
        assert response.status_code == 405 and response.json["error"]["code"]
    assert client.post("/api/v1/domains", headers=headers).status_code == 405
    missing = client.get("/api/v1/nothing", headers=headers)
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"


def _objects(world):
    return (
        db.session.get(Person, world.person),
        db.session.scalar(sa.select(DataDomain).where(DataDomain.code == world.domain)),
        db.session.get(Partner, world.asker),
    )


# --- never a 500 (hypothesis) ------------------------------------------------------------------

FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
junk = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=60)
GENERAL_ODD = ["", " ", "0", "-1", "9" * 30, "\x00", "' OR 1=1 --", "%00", "%"]
ODD = {
    "person": ["2147483648", "99999999999", "١٢", "1.0", "+1", "0x10"],
    "bsn": [BSN, "1112.22.333", "123456782", "11122233", "1112223334"],
    "domain": ["WONEN_API", "wonen_api ", "x" * 41, "domein/../wonen"],
    "purpose": ["PLAN", "plan ", "Plan"],
    "at": [
        "2025-06-01T12:00:00 02:00",
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
        "2025-06-01",
        "2025-06-01T25:00:00Z",
        "2999-01-01T00:00:00Z",
    ],
    "source_partner": ["ASKER", "x" * 41],
}
odd = st.sampled_from(GENERAL_ODD + [v for values in ODD.values() for v in values])


def odd_for(name: str):
    return st.one_of(st.sampled_from(ODD[name]), st.sampled_from(GENERAL_ODD))


@st.composite
def check_queries(draw):
    """A well-formed query (about a person in scope, out of scope or unknown) with one parameter
    left out, doubled or replaced by an edge case or junk, and now and then an unknown one."""
    params = {
        "person": draw(st.sampled_from(["{person}", "{other_person}", "2000000000"])),
        "domain": "wonen_api",
        "purpose": draw(st.sampled_from([p.value for p in Purpose])),
    }
    if draw(st.booleans()):
        params["at"] = draw(st.sampled_from(["2025-06-01T12:00:00Z", "2026-01-01T00:00:00+01:00"]))
    if draw(st.booleans()):
        params["source_partner"] = draw(st.sampled_from(["asker", "outsider"]))
    name = draw(st.sampled_from(api.CHECK_PARAMETERS))
    how = draw(st.sampled_from(["odd", "junk", "absent", "twice"]))
    query = list(params.items())
    if how == "absent":
        query = [(n, v) for n, v in query if n != name]
    else:
        value = draw(st.sampled_from(ODD[name]) if how == "odd" else junk)
        query = [(n, v) for n, v in query if n != name or how == "twice"] + [(name, value)]
    if draw(st.integers(0, 4)) == 0:
        query.append((draw(junk), draw(st.one_of(odd, junk))))
    return draw(st.permutations(query))


def _assert_documented_shape(response, document, method="get"):
    operation = document["paths"][CHECK][method]
    assert str(response.status_code) in operation["responses"], response.data[:500]
    event(f"status {response.status_code}")
    assert response.mimetype == "application/json"
    body = json.loads(response.data)
    if response.status_code == 200:
        schema = document["components"]["schemas"]["CheckResult"]
        assert set(body) == set(schema["required"])
        assert isinstance(body["permitted"], bool)
        assert body["reason"] is None or body["reason"] in DENIAL_MESSAGES
        return
    assert set(body) == {"error"}
    allowed = operation["responses"][str(response.status_code)]
    codes = allowed["content"]["application/json"]["schema"]["properties"]["error"]
    assert body["error"]["code"] in codes["properties"]["code"]["enum"]
    assert isinstance(body["error"]["message"], str)


@functools.cache
def _document(app) -> dict:
    with app.test_request_context():
        return openapi.document()


@pytest.fixture
def document(client):
    return client.get("/api/v1/openapi.json").json


@FUZZ
@given(
    query=check_queries(),
    key_choice=st.sampled_from(["own"] * 6 + ["other", "revoked", "none", "junk"]),
    junk_key=st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=80),
)
def test_the_check_never_fails_on_any_query(app, client, world, query, key_choice, junk_key):
    key = {
        "own": world.key,
        "other": world.other_key,
        "revoked": world.revoked_key,
        "none": None,
        "junk": junk_key,
    }[key_choice]
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    placeholders = {"{person}": str(world.person), "{other_person}": str(world.other_person)}
    params = [(name, placeholders.get(value, value)) for name, value in query]
    response = client.get(CHECK, query_string=params, headers=headers)
    _assert_documented_shape(response, _document(app))
    # The same question as a JSON body: the same answer, to the letter.
    posted = _post(client, key, params)
    _assert_documented_shape(posted, _document(app), "post")
    _assert_same_answer(response, posted, params)


json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    junk,
    odd,
)
json_value = st.recursive(
    json_scalar,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(junk, inner, max_size=3)),
    max_leaves=6,
)


@st.composite
def check_bodies(draw):
    """A question as a JSON body: the fields of a well-formed one with any JSON value in one of
    them, or a whole body of any kind (not an object, bytes that are no JSON, the wrong type)."""
    fields = {"person": "{person}", "domain": "wonen_api", "purpose": "plan"}
    how = draw(st.sampled_from(["field", "field", "value", "bytes"]))
    if how == "field":
        fields[draw(st.sampled_from(api.CHECK_PARAMETERS))] = draw(json_value)
        return _json_object(fields), "application/json"
    if how == "value":
        return json.dumps(draw(json_value)), "application/json"
    kind = draw(st.sampled_from(["application/json", "text/plain", "", "application/json; x"]))
    return draw(st.binary(max_size=300)), kind


@FUZZ
@given(body=check_bodies())
def test_the_check_never_fails_on_any_body(app, client, world, body):
    raw, content_type = body
    if isinstance(raw, str):
        raw = raw.replace('"{person}"', str(world.person))
    response = _post(client, world.key, raw=raw, content_type=content_type)
    _assert_documented_shape(response, _document(app), "post")


def _assert_same_answer(get, post, params) -> None:
    assert post.status_code == get.status_code, (get.json, post.json)
    assert post.headers.get("WWW-Authenticate") == get.headers.get("WWW-Authenticate")
    pairs = params.items() if isinstance(params, dict) else params
    if get.status_code == 200 and not any(n == "at" and str(v).strip() for n, v in pairs):
        # "now" is a moment later for the second request
        assert _without_at(post.json) == _without_at(get.json)
    else:
        assert post.json == get.json


GOOD_QUESTIONS = {
    "permit": lambda w: _query(w),
    "by bsn": lambda w: _query(w, person=None, bsn="111.222.333"),
    "in the past": lambda w: _query(w, at="2025-06-01T12:00:00+02:00"),
    "other purpose": lambda w: _query(w, purpose="regie", at="2026-01-01T00:00:00Z"),
    "reuse": lambda w: _query(w, source_partner="outsider"),
    "out of scope": lambda w: _query(w, person=w.other_person),
    "unknown bsn": lambda w: _query(w, person=None, bsn="123456782"),
    "empty optionals": lambda w: _query(w, at="", source_partner=" ", bsn=""),
}


@pytest.mark.parametrize(
    "question",
    [f"good: {name}" for name in GOOD_QUESTIONS] + [f"bad: {code}" for code in BAD_QUERIES],
)
def test_post_answers_exactly_as_get(client, seed, world, question):
    with seed():
        person, domain, asker = _objects(world)
        _give(person, domain, asker, effective_at=PAST)
    kind, name = question.split(": ")
    params = (GOOD_QUESTIONS if kind == "good" else BAD_QUERIES)[name](world)
    before = _audit_count()
    get = _get(client, world.key, **params) if isinstance(params, dict) else _ask(
        client, "GET", world.key, params
    )
    after_get = _audit_count()
    post = _post(client, world.key, params)
    _assert_same_answer(get, post, params)
    assert after_get - before == _audit_count() - after_get, "the same record, or none"
    if get.status_code == 200:
        entries = db.session.scalars(
            sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(2)
        ).all()
        assert [_record_fields(e) for e in entries[:1]] == [_record_fields(e) for e in entries[1:]]


def _record_fields(entry: AuditEntry) -> tuple:
    return (
        entry.action,
        entry.user_id,
        entry.role,
        entry.partner_code,
        entry.person_id,
        entry.processing_activity,
        entry.purpose,
        entry.confidentiality,
        entry.object_type,
        entry.object_id,
    )


# --- GET is deprecated -----------------------------------------------------------------------


def _deprecation_moment(response) -> datetime:
    value = response.headers["Deprecation"]
    assert re.fullmatch(r"@[0-9]+", value), "RFC 9745: a structured-field date, @<unix time>"
    return datetime.fromtimestamp(int(value[1:]), UTC)


@pytest.mark.parametrize("status", [200, 400, 401, 404])
def test_every_answer_to_a_get_says_it_is_deprecated_and_links_the_post(
    client, world, document, status
):
    params = {
        200: _query(world),
        400: _query(world, purpose="marketing"),
        401: _query(world),
        404: _query(world, person=world.other_person),
    }[status]
    response = _get(client, world.key if status != 401 else None, **params)
    assert response.status_code == status
    assert _deprecation_moment(response) <= datetime.now(UTC)
    link = re.fullmatch(r'<([^>]+)>; rel="deprecation"; type="application/json"',
                        response.headers["Link"])
    assert link, response.headers["Link"]
    address, _hash, pointer = link.group(1).partition("#")
    assert address == "/api/v1/openapi.json"
    node = client.get(address).json
    for part in pointer.strip("/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    assert node["operationId"] == document["paths"][CHECK]["post"]["operationId"]
    assert "requestBody" in node and not node.get("deprecated")


def test_post_and_the_other_routes_are_not_marked_deprecated(client, world):
    headers = {"Authorization": f"Bearer {world.key}"}
    for response in (
        _post(client, world.key, _query(world)),
        _post(client, world.key, raw="[]"),
        client.get("/api/v1/domains", headers=headers),
        client.get("/api/v1/openapi.json"),
    ):
        assert "Deprecation" not in response.headers and "Link" not in response.headers


@FUZZ
@given(
    slot=st.sampled_from(["person", "domain", "purpose", "at", "bsn", "source_partner", None]),
    raw=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=120),
)
def test_the_check_never_fails_on_a_raw_query_string(app, client, world, slot, raw):
    # Keep "%", "&", "=" and "+" as they are: broken escapes and odd separators reach the app.
    params = {"person": str(world.person), "domain": "wonen_api", "purpose": "plan"}
    raw = quote(raw, safe="%&=+;")
    if slot is not None:
        params[slot] = raw
    query = "&".join(f"{name}={value}" for name, value in params.items())
    if slot is None:
        query += "&" + raw
    response = client.get(f"{CHECK}?{query}", headers={"Authorization": f"Bearer {world.key}"})
    _assert_documented_shape(response, _document(app))


# --- the OpenAPI document --------------------------------------------------------------------


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def test_openapi_is_public_json_of_version_3_1(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.data)
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"] and document["info"]["version"]
    scheme = document["components"]["securitySchemes"]["partnerKey"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")


def test_openapi_documents_every_api_route(app, document):
    routes = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            routes.setdefault(_openapi_path(rule.rule), set()).update(
                {m.lower() for m in rule.methods} - {"head", "options"}
            )
    assert routes, "the API has routes"
    documented = {path: set(item) for path, item in document["paths"].items()}
    assert documented == routes


def test_openapi_documents_every_error_code_and_reason(document):
    documented = set()
    for method in ("get", "post"):
        check = document["paths"][CHECK][method]
        codes_here = set()
        for status, response in check["responses"].items():
            if status == "200":
                continue
            content = response["content"]["application/json"]
            codes = content["schema"]["properties"]["error"]["properties"]["code"]["enum"]
            assert set(content["examples"]) == set(codes)
            assert all(api.ERRORS[code].status == int(status) for code in codes)
            codes_here |= set(codes)
        body_only = {code for code, spec in api.ERRORS.items() if spec.body_only}
        assert codes_here == (set(api.ERRORS) if method == "post" else set(api.ERRORS) - body_only)
        documented |= codes_here
    assert documented == set(api.ERRORS)
    reason = document["components"]["schemas"]["CheckResult"]["properties"]["reason"]
    assert set(reason["oneOf"][0]["enum"]) == set(DENIAL_MESSAGES)
    basis = document["components"]["schemas"]["CheckResult"]["properties"]["basis"]
    assert set(basis["oneOf"][0]["enum"]) == {b.value for b in Basis}
    parameters = {p["name"] for p in document["paths"][CHECK]["get"]["parameters"]}
    assert parameters == set(api.CHECK_PARAMETERS)


def test_openapi_marks_get_deprecated_and_describes_the_body(document):
    get, post = document["paths"][CHECK]["get"], document["paths"][CHECK]["post"]
    assert get["deprecated"] is True and "deprecated" not in post
    assert all(
        {"Deprecation", "Link"} <= set(response["headers"])
        for response in get["responses"].values()
    )
    body = post["requestBody"]
    assert body["required"] is True
    assert body["content"] == {"application/json": {"schema": {"$ref": REF_QUESTION}}}
    question = document["components"]["schemas"]["CheckQuestion"]
    assert set(question["properties"]) == set(api.CHECK_PARAMETERS)
    assert question["additionalProperties"] is False
    # what the body may hold is what the code accepts
    for name, field in question["properties"].items():
        types = field["type"] if isinstance(field["type"], list) else [field["type"]]
        expected = {"integer" if kind is int else "string" for kind in api.BODY_TYPES[name]}
        assert set(types) - {"null"} == expected
        assert ("null" in types) == (name not in question["required"])
    assert set(question["required"]) == {"domain", "purpose"}
    required_query = {p["name"] for p in get["parameters"] if p["required"]}
    assert required_query == set(question["required"])


REF_QUESTION = "#/components/schemas/CheckQuestion"


def test_every_reference_in_the_openapi_document_resolves(document):
    refs = re.findall(r'"\$ref": "#/([^"]+)"', json.dumps(document))
    assert refs
    for ref in refs:
        node = document
        for part in ref.split("/"):
            node = node[part]
        assert isinstance(node, dict)
    for item in document["paths"].values():
        for operation in item.values():
            for requirement in operation["security"]:
                assert set(requirement) <= set(document["components"]["securitySchemes"])
