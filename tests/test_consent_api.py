"""The check API for partner systems (issue 3, point 4): key per partner, scope by the case team
(Privacyprotocol art. 5: information stays within "de kring van professionals [...] die bij de
casus betrokken zijn"), a 400 with a code per problem, never a 500, every check on record, and an
OpenAPI document that covers every route."""

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


def _query(world, **overrides):
    params = {"person": world.person, "domain": world.domain, "purpose": "plan"}
    params.update(overrides)
    return {name: value for name, value in params.items() if value is not None}


def _load(model, id_):
    return db.session.get(model, id_)


# --- authentication ---------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["missing", "unknown", "revoked", "other_scheme"])
def test_without_a_valid_key_the_answer_is_401(client, world, which):
    headers = {
        "missing": {},
        "unknown": {"Authorization": "Bearer rtk_0123abcd" + "x" * 43},
        "revoked": {"Authorization": f"Bearer {world.revoked_key}"},
        "other_scheme": {"Authorization": f"Basic {world.key}"},
    }[which]
    response = client.get(CHECK, query_string=_query(world), headers=headers)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "invalid_api_key"
    assert response.json["error"]["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer realm=")
    assert ('error="invalid_token"' in response.headers["WWW-Authenticate"]) == (which != "missing")


def test_a_key_is_checked_before_the_query(client, world):
    response = client.get(CHECK, query_string={"nonsense": "1"})
    assert response.status_code == 401


def test_a_staff_session_is_no_key(client, auth, seed, world):
    with seed():
        user = db.session.get(User, world.user)
    auth.login(user)
    assert client.get(CHECK, query_string=_query(world)).status_code == 401
    assert client.get("/api/v1/domains").status_code == 401


# --- scope -------------------------------------------------------------------------------------


def test_a_person_outside_the_partners_cases_is_not_found(client, world):
    outside = _get(client, world.key, **_query(world, person=world.other_person))
    unknown = _get(client, world.key, **_query(world, person=2_000_000_000))
    assert outside.status_code == unknown.status_code == 404
    assert outside.json == unknown.json, "out of scope and unknown look the same"
    assert outside.json["error"]["code"] == "not_found"
    # The other partner, on that case's team, gets an answer.
    assert (
        _get(client, world.other_key, **_query(world, person=world.other_person)).status_code == 200
    )


def test_an_unknown_bsn_is_not_found_too(client, world):
    response = _get(client, world.key, **_query(world, person=None, bsn="123456782"))
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


def test_a_refused_lookup_leaves_no_audit_entry(client, world):
    before = _audit_count()
    _get(client, world.key, **_query(world, person=world.other_person))
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
def test_malformed_input_is_400_with_its_code(client, world, code):
    before = _audit_count()
    response = client.get(
        CHECK,
        query_string=BAD_QUERIES[code](world),
        headers={"Authorization": f"Bearer {world.key}"},
    )
    assert response.status_code == 400
    assert response.json["error"]["code"] == code
    assert response.json["error"]["message"] and response.json["error"]["message_en"]
    assert _audit_count() == before, "nothing is written for a refused query"


def test_every_400_code_has_a_test():
    assert set(BAD_QUERIES) == {c for c, spec in api.ERRORS.items() if spec.status == 400}


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
def test_person_must_be_a_plain_positive_number(client, world, value):
    response = _get(client, world.key, **_query(world, person=value))
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
def test_at_must_be_a_moment_with_an_offset(client, world, value):
    response = _get(client, world.key, **_query(world, at=value))
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


def test_empty_optional_parameters_count_as_absent(client, world):
    response = _get(client, world.key, **_query(world, at="", source_partner="", bsn=""))
    assert response.status_code == 200


# --- the answers ---------------------------------------------------------------------------------


def test_permit_after_a_recorded_consent(client, seed, world):
    with seed():
        person, domain, asker = _objects(world)
        event_id = _give(person, domain, asker).id
    response = _get(client, world.key, **_query(world))
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


def test_the_same_person_by_bsn(client, seed, world):
    with seed():
        person, domain, asker = _objects(world)
        event_id = _give(person, domain, asker).id
    response = _get(client, world.key, **_query(world, person=None, bsn="1112.22.333"))
    assert response.status_code == 200 and response.json["consent_event"] == event_id


def test_consent_for_another_purpose_or_partner_does_not_count(client, seed, world):
    with seed():
        person, domain, _ = _objects(world)
        _give(person, domain, db.session.get(Partner, world.outsider))
        _give(person, domain, db.session.get(Partner, world.asker), purpose=Purpose.REGIE)
    response = _get(client, world.key, **_query(world))
    assert response.json["permitted"] is False and response.json["reason"] == "no_basis"
    assert response.json["message"] == DENIAL_MESSAGES["no_basis"]


def test_deny_after_withdrawal_and_the_past_stays_as_it_was(client, seed, world):
    """Privacyprotocol art. 2: "Verdere verwerking van persoonsgegevens dient na het intrekken van
    de toestemming te worden gestaakt"; what was processed before stays lawful."""
    with seed():
        person, domain, asker = _objects(world)
        grant_id = _give(person, domain, asker, effective_at=PAST).id
    assert _get(client, world.key, **_query(world)).json["permitted"] is True
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

    now = _get(client, world.key, **_query(world)).json
    assert now["permitted"] is False
    assert now["reason"] == "consent_withdrawn"
    assert now["consent_event"] == withdrawal_id
    assert now["message"] == DENIAL_MESSAGES["consent_withdrawn"] and now["message_en"]

    then = _get(client, world.key, **_query(world, at=(PAST + timedelta(days=30)).isoformat()))
    assert then.json["permitted"] is True and then.json["consent_event"] == grant_id
    assert then.json["at"] == "2025-07-01T12:00:00+00:00"

    before = _get(client, world.key, **_query(world, at="2025-06-01T11:59:59Z")).json
    assert before["permitted"] is False and before["reason"] == "no_basis"


def test_a_basis_from_the_register_permits(client, seed, world):
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
    response = _get(client, world.key, **_query(world)).json
    assert response["permitted"] is True
    assert response["basis"] == "public_task" and response["legal_basis"] == record_id


def test_reuse_of_another_partners_data_needs_its_approval(client, seed, world):
    """Privacyprotocol art. 5: only when "de partner die de gegevens heeft ingebracht dit
    afzonderlijk accordeert"."""
    with seed():
        person, domain, asker = _objects(world)
        _give(person, domain, asker)
    response = _get(client, world.key, **_query(world, source_partner="outsider")).json
    assert response["permitted"] is False and response["reason"] == "reuse_not_approved"
    own = _get(client, world.key, **_query(world, source_partner="asker")).json
    assert own["permitted"] is True


def test_each_check_is_on_record_as_a_read_by_the_partner(client, world):
    before = _audit_count()
    assert _get(client, world.key, **_query(world)).status_code == 200
    assert _audit_count() == before + 1
    entry = db.session.scalar(sa.select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1))
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
    assert client.post(CHECK, headers=headers).status_code == 405
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


def _assert_documented_shape(response, document):
    assert response.status_code in {200, 400, 401, 404}, response.data[:500]
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
    allowed = document["paths"][CHECK]["get"]["responses"][str(response.status_code)]
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
            routes[_openapi_path(rule.rule)] = {m.lower() for m in rule.methods} - {
                "head",
                "options",
            }
    assert routes, "the API has routes"
    documented = {path: set(item) for path, item in document["paths"].items()}
    assert documented == routes


def test_openapi_documents_every_error_code_and_reason(document):
    check = document["paths"][CHECK]["get"]
    documented = set()
    for status, response in check["responses"].items():
        if status == "200":
            continue
        content = response["content"]["application/json"]
        codes = content["schema"]["properties"]["error"]["properties"]["code"]["enum"]
        assert set(content["examples"]) == set(codes)
        assert all(api.ERRORS[code].status == int(status) for code in codes)
        documented |= set(codes)
    assert documented == set(api.ERRORS)
    reason = document["components"]["schemas"]["CheckResult"]["properties"]["reason"]
    assert set(reason["oneOf"][0]["enum"]) == set(DENIAL_MESSAGES)
    basis = document["components"]["schemas"]["CheckResult"]["properties"]["basis"]
    assert set(basis["oneOf"][0]["enum"]) == {b.value for b in Basis}
    parameters = {p["name"] for p in check["parameters"]}
    assert parameters == set(api.CHECK_PARAMETERS)


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
