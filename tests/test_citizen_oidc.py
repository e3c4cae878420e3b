"""DigiD through OpenID Connect (issue 5, point 1): the whole redirect flow against a real local
provider (tests/oidc_provider.py): authorize -> the provider's login page -> callback -> code
exchange with PKCE -> ID token checked against the provider's keys -> session. And every way it
must fail: wrong state, a tampered ID token, a wrong nonce, a cancelled sign-in, an unknown BSN.
The ID token rules themselves are tested on `portal.oidc.check_id_token` with tokens made here.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import sqlalchemy as sa
from joserfc import jwt
from joserfc.jwk import KeySet, OctKey, RSAKey

from portal import oidc
from portal.audit import AuditEntry
from portal.citizen import SESSION_KEY
from portal.extensions import db
from portal.models import LoginAttempt
from tests import factories as f
from tests.oidc_provider import CLIENT_ID, IGNORE_PROVIDER_DEPRECATIONS, LocalProvider

pytestmark = IGNORE_PROVIDER_DEPRECATIONS

BSN = "123456782"
OTHER_BSN = "111222333"


@pytest.fixture(scope="module")
def provider():
    with LocalProvider() as running:
        yield running


@pytest.fixture
def digid(app, provider, monkeypatch):
    """The portal configured for the local provider (for this test only)."""
    for key, value in provider.config().items():
        monkeypatch.setitem(app.config, key, value)
    return provider


@pytest.fixture
def person_id(seed):
    with seed():
        person = f.person(bsn=BSN)
        f.person(bsn=OTHER_BSN)
        return person.id


def _start(client) -> str:
    response = client.get("/mijn/digid?next=/mijn/toegankelijkheid")
    assert response.status_code == 302
    location = response.headers["Location"]
    return location


def _local(url: str) -> str:
    """The callback address as the test client takes it (path and query)."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _signed_in(client):
    with client.session_transaction() as session:
        data = session.get(SESSION_KEY)
    return data


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_whole_flow_signs_the_person_in_and_lands_where_they_were_going(
    client, digid, person_id, ctx
):
    digid.set_user("jan", bsn=BSN)
    authorize = _start(client)
    query = parse_qs(urlsplit(authorize).query)
    assert authorize.startswith(digid.issuer + "/oauth2/authorize")
    assert query["client_id"] == [CLIENT_ID]
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["nonce"][0] and query["state"][0]
    assert query["redirect_uri"] == ["http://localhost/mijn/digid/terug"]
    checked = digid.pkce_checked

    callback = digid.log_in(authorize, "jan")
    response = client.get(_local(callback))

    assert response.status_code == 302
    assert response.headers["Location"] == "/mijn/toegankelijkheid"
    assert _signed_in(client) == {"person_id": person_id, "method": "digid"}
    assert digid.pkce_checked == checked + 1  # the provider's front verified our PKCE verifier
    assert client.get("/mijn").status_code == 200
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "sign_in").order_by(AuditEntry.seq)
    ).all()[-1]
    assert entry.person_id == person_id and entry.purpose == "aanmelden via digid"


def test_a_nested_bsn_claim_is_found_by_its_path(client, digid, person_id, monkeypatch, app):
    monkeypatch.setitem(app.config, "OIDC_BSN_CLAIM", "digid.bsn")
    digid.set_user("nested", digid={"bsn": BSN})
    callback = digid.log_in(_start(client), "nested")
    assert client.get(_local(callback)).status_code == 302
    assert _signed_in(client)["person_id"] == person_id


def test_wrong_state_is_refused(client, digid, person_id):
    digid.set_user("jan", bsn=BSN)
    callback = digid.log_in(_start(client), "jan")
    parts = urlsplit(callback)
    query = parse_qs(parts.query)
    query["state"] = ["made-up-state"]
    forged = urlunsplit(parts._replace(query=urlencode(query, doseq=True)))

    response = client.get(_local(forged))

    assert response.status_code == 400
    assert "passen niet bij deze browser" in _text(response)
    assert _signed_in(client) is None


def test_a_callback_without_a_started_sign_in_is_refused(client, digid, person_id):
    """A code injected into another browser's session (login CSRF): no pending state here."""
    digid.set_user("jan", bsn=BSN)
    other_browser = client.application.test_client()
    callback = digid.log_in(_start(other_browser), "jan")

    response = client.get(_local(callback))

    assert response.status_code == 400
    assert _signed_in(client) is None


def test_the_state_works_once(client, digid, person_id):
    digid.set_user("jan", bsn=BSN)
    callback = digid.log_in(_start(client), "jan")
    assert client.get(_local(callback)).status_code == 302
    client.post("/mijn/uitloggen")

    again = client.get(_local(callback))

    assert again.status_code == 400
    assert _signed_in(client) is None


def test_tampered_id_token_is_refused(client, digid, person_id, ctx):
    """The token says another BSN than the provider signed: the signature no longer holds."""
    digid.set_user("jan", bsn=BSN)
    digid.tamper_next_id_token = True
    callback = digid.log_in(_start(client), "jan")

    response = client.get(_local(callback))

    assert not digid.tamper_next_id_token, "the provider did not hand out the tampered token"
    assert response.status_code == 400
    assert "echt is" in _text(response)
    assert _signed_in(client) is None


def test_wrong_nonce_is_refused(client, digid, person_id):
    """An ID token made for another sign-in (a replayed or injected token) carries another
    nonce than the one this browser's session sent."""
    digid.set_user("jan", bsn=BSN)
    authorize = _start(client)
    parts = urlsplit(authorize)
    query = parse_qs(parts.query)
    query["nonce"] = ["a-nonce-of-another-sign-in"]
    callback = digid.log_in(urlunsplit(parts._replace(query=urlencode(query, doseq=True))), "jan")

    response = client.get(_local(callback))

    assert response.status_code == 400
    assert "echt is" in _text(response)
    assert _signed_in(client) is None


def test_a_code_without_the_right_pkce_verifier_is_refused(client, digid, person_id):
    digid.set_user("jan", bsn=BSN)
    callback = digid.log_in(_start(client), "jan")
    with client.session_transaction() as session:
        session["citizen_oidc"] = session["citizen_oidc"] | {"code_verifier": "x" * 64}

    response = client.get(_local(callback))

    assert response.status_code == 400
    assert "niet gelukt" in _text(response)
    assert _signed_in(client) is None


def test_cancelled_at_digid(client, digid, person_id):
    callback = digid.cancel(_start(client))

    response = client.get(_local(callback))

    assert response.status_code == 400
    assert "afgebroken" in _text(response)
    assert _signed_in(client) is None


def test_unknown_bsn_gets_a_plain_message_and_nothing_is_stored(client, digid, person_id, ctx):
    digid.set_user("stranger", bsn="999999990")
    callback = digid.log_in(_start(client), "stranger")
    before = (f.count(AuditEntry), f.count(LoginAttempt))

    response = client.get(_local(callback))

    assert response.status_code == 403
    assert "We kennen u nog niet in dit portaal" in _text(response)
    assert _signed_in(client) is None
    db.session.expire_all()
    assert (f.count(AuditEntry), f.count(LoginAttempt)) == before


def test_no_bsn_claim(client, digid, person_id):
    digid.set_user("nobsn", email="someone@example.org")
    callback = digid.log_in(_start(client), "nobsn")

    response = client.get(_local(callback))

    assert response.status_code == 400
    assert "burgerservicenummer" in _text(response)


def test_provider_unreachable_gives_a_message(client, app, monkeypatch, person_id):
    monkeypatch.setitem(app.config, "OIDC_ISSUER", "http://127.0.0.1:9")  # discard port: closed
    monkeypatch.setitem(app.config, "OIDC_CLIENT_ID", CLIENT_ID)
    monkeypatch.setitem(app.config, "OIDC_TIMEOUT", 2)

    response = client.get("/mijn/digid")

    assert response.status_code == 503
    assert "niet bereikbaar" in _text(response)


def test_without_an_issuer_the_sign_in_page_offers_no_digid(client):
    page = client.get("/mijn/inloggen")
    assert page.status_code == 200
    assert "/mijn/digid" not in _text(page)
    assert "/mijn/code" in _text(page)


def test_with_an_issuer_the_sign_in_page_offers_digid(client, digid):
    page = client.get("/mijn/inloggen?next=/mijn/1/inzage")
    assert "/mijn/digid?next=/mijn/1/inzage" in _text(page)


def test_a_staff_session_ends_when_a_citizen_signs_in(client, auth, digid, person_id, seed):
    with seed():
        staff = f.user()
    auth.login(staff)
    digid.set_user("jan", bsn=BSN)
    callback = digid.log_in(_start(client), "jan")

    client.get(_local(callback))

    with client.session_transaction() as session:
        assert "_user_id" not in session
    assert client.get("/dashboard").status_code == 302


# --- the ID token rules, on tokens made here ------------------------------------------------

ISSUER = "https://broker.example"


@pytest.fixture
def broker(app, monkeypatch):
    monkeypatch.setitem(app.config, "OIDC_ISSUER", ISSUER)
    monkeypatch.setitem(app.config, "OIDC_CLIENT_ID", CLIENT_ID)
    key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    public = KeySet.import_key_set({"keys": [key.as_dict(private=False)]})
    with app.app_context():
        yield key, public


def _claims(**changes) -> dict:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "sub": "jan",
        "iat": now,
        "exp": now + 300,
        "nonce": "n-1",
        "bsn": BSN,
    }
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def _token(key, claims, alg="RS256") -> str:
    return jwt.encode({"alg": alg, "kid": "k1"}, claims, key)


def test_a_good_id_token_passes(broker):
    key, public = broker
    claims = oidc.check_id_token(_token(key, _claims()), public, nonce="n-1")
    assert oidc.bsn_from(claims) == BSN


@pytest.mark.parametrize(
    "changes",
    [
        {"iss": "https://evil.example"},
        {"aud": "another-client"},
        {"aud": [CLIENT_ID, "another-client"]},  # several audiences and no azp
        {"exp": int(time.time()) - 3600},
        {"iat": int(time.time()) + 3600},
        {"nonce": "n-2"},
        {"nonce": None},
        {"sub": None},
    ],
    ids=[
        "issuer",
        "audience",
        "audiences-without-azp",
        "expired",
        "future",
        "nonce",
        "no-nonce",
        "no-sub",
    ],
)
def test_id_token_rules_refuse(broker, changes):
    key, public = broker
    with pytest.raises(oidc.SignInError) as refused:
        oidc.check_id_token(_token(key, _claims(**changes)), public, nonce="n-1")
    assert refused.value.code == "token"


def test_several_audiences_pass_when_azp_is_us(broker):
    key, public = broker
    token = _token(key, _claims(aud=[CLIENT_ID, "other"], azp=CLIENT_ID))
    assert oidc.check_id_token(token, public, nonce="n-1")["sub"] == "jan"


def test_a_token_signed_by_another_key_is_refused(broker):
    _key, public = broker
    stranger = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    with pytest.raises(oidc.SignInError):
        oidc.check_id_token(_token(stranger, _claims()), public, nonce="n-1")


def test_a_shared_secret_signature_is_refused(broker):
    """HS256 with a key anyone could know is not DigiD speaking."""
    _key, _public = broker
    secret = OctKey.generate_key(256, parameters={"kid": "k1"})
    keys = KeySet.import_key_set({"keys": [secret.as_dict(private=True)]})
    with pytest.raises(oidc.SignInError):
        oidc.check_id_token(_token(secret, _claims(), alg="HS256"), keys, nonce="n-1")


def test_an_unsigned_token_is_refused(broker):
    _key, public = broker
    import base64
    import json

    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    unsigned = f"{part({'alg': 'none'})}.{part(_claims())}."
    with pytest.raises(oidc.SignInError):
        oidc.check_id_token(unsigned, public, nonce="n-1")


@pytest.mark.parametrize("claims", [{}, {"bsn": ""}, {"bsn": None}, {"bsn": ["1"]}])
def test_bsn_from_refuses_what_is_not_a_bsn(broker, claims):
    with pytest.raises(oidc.SignInError) as refused:
        oidc.bsn_from(claims)
    assert refused.value.code == "no_bsn"
