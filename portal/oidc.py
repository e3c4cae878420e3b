"""DigiD through an OpenID Connect broker: the authorization code flow with PKCE, state and nonce,
and the ID token checked against the keys the broker publishes (JWKS).

Authlib's httpx-based client speaks OAuth 2.0 to the broker (over httpx2, the maintained
successor of httpx that Authlib now prefers); Authlib's Flask client would import the HTTP library
that our package `requests/` shadows (DESIGN.md). The ID token is checked with
joserfc, the JOSE library Authlib itself now builds on (its `authlib.jose` is deprecated in favour
of it). Nothing here touches the database: the caller turns the BSN into a person
(portal/citizen.py) and decides what a failure means for the session.

Plain functions: `begin` gives the address to send the person to and what the session must keep;
`finish` takes that back together with the callback's parameters and returns the checked claims,
or raises `SignInError` with a message for the person.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Mapping
from typing import Any, Optional

import httpx2 as httpx
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.httpx_client import OAuth2Client, OAuthError
from flask import current_app
from flask_babel import lazy_gettext as _l
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from portal.operations import RuleViolation

# Asymmetric signatures only: an ID token signed with a shared secret (HS256) or not at all
# ("none") could be made by anyone who knows the client secret, or by anyone.
ID_TOKEN_ALGORITHMS = ["RS256", "PS256", "ES256"]
CLOCK_LEEWAY_SECONDS = 60
# A sign-in that takes longer than this at DigiD is started again (state and nonce expire).
PENDING_MAX_AGE_SECONDS = 15 * 60
DISCOVERY_CACHE_SECONDS = 3600

MESSAGES = {
    "not_configured": _l(
        "Inloggen met DigiD is hier nu niet mogelijk. Log in met de code uit uw brief."
    ),
    "unavailable": _l(
        "DigiD is nu niet bereikbaar. Probeer het over een paar minuten opnieuw, of log in met "
        "de code uit uw brief."
    ),
    "cancelled": _l("U heeft het inloggen met DigiD afgebroken. U bent niet ingelogd."),
    "state": _l(
        "Het inloggen met DigiD is niet gelukt: de gegevens passen niet bij deze browser. "
        "Begin opnieuw."
    ),
    "failed": _l("Het inloggen met DigiD is niet gelukt. U bent niet ingelogd. Begin opnieuw."),
    "token": _l(
        "Het inloggen met DigiD is niet gelukt: we konden niet controleren dat het antwoord van "
        "DigiD echt is. U bent niet ingelogd. Begin opnieuw."
    ),
    "no_bsn": _l(
        "DigiD gaf geen burgerservicenummer door. Zonder dat nummer kunnen we u niet vinden. "
        "Log in met de code uit uw brief."
    ),
}


class SignInError(RuleViolation):
    """DigiD sign-in failed; `code` says why, `message` tells the person in plain words."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(code, str(MESSAGES[code]))
        self.detail = detail  # for the log only; never shown


def configured() -> bool:
    config = current_app.config
    return bool(config.get("OIDC_ISSUER") and config.get("OIDC_CLIENT_ID"))


def _client(redirect_uri: str) -> OAuth2Client:
    config = current_app.config
    return OAuth2Client(
        client_id=config["OIDC_CLIENT_ID"],
        client_secret=config["OIDC_CLIENT_SECRET"] or None,
        token_endpoint_auth_method=config["OIDC_TOKEN_AUTH_METHOD"],
        scope=config["OIDC_SCOPE"],
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        timeout=config["OIDC_TIMEOUT"],
        follow_redirects=False,
    )


_discovery: dict[str, tuple[float, dict]] = {}


def _get_json(url: str) -> dict:
    response = httpx.get(url, timeout=current_app.config["OIDC_TIMEOUT"], follow_redirects=False)
    response.raise_for_status()
    data = response.json()
    if not isinstance(data, dict):
        raise ValueError(f"{url} did not answer with a JSON object")
    return data


def metadata() -> dict:
    """The broker's discovery document, cached for an hour. Its `issuer` must be the configured
    one exactly (OpenID Connect Discovery 1.0, section 4.3)."""
    issuer = current_app.config["OIDC_ISSUER"]
    cached = _discovery.get(issuer)
    if cached is not None and time.monotonic() - cached[0] < DISCOVERY_CACHE_SECONDS:
        return cached[1]
    try:
        document = _get_json(issuer + "/.well-known/openid-configuration")
    except (httpx.HTTPError, ValueError) as problem:
        raise SignInError("unavailable", f"discovery: {problem}") from problem
    if document.get("issuer") != issuer or not all(
        isinstance(document.get(name), str)
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri")
    ):
        raise SignInError("unavailable", "discovery document does not match the issuer")
    _discovery[issuer] = (time.monotonic(), document)
    return document


def begin(redirect_uri: str) -> tuple[str, dict]:
    """The broker's authorization address to send the person to, and what the session keeps until
    the callback: state (against cross-site request forgery), nonce (binds the ID token to this
    sign-in) and the PKCE code verifier (binds the code to this browser)."""
    if not configured():
        raise SignInError("not_configured")
    document = metadata()
    pending = {
        "state": secrets.token_urlsafe(32),
        "nonce": secrets.token_urlsafe(32),
        "code_verifier": secrets.token_urlsafe(64),
        "redirect_uri": redirect_uri,
        "started": time.time(),
    }
    with _client(redirect_uri) as client:
        url, _state = client.create_authorization_url(
            document["authorization_endpoint"],
            state=pending["state"],
            code_verifier=pending["code_verifier"],
            nonce=pending["nonce"],
        )
    return url, pending


def finish(pending: Optional[Mapping], args: Mapping[str, str]) -> dict[str, Any]:
    """Check the callback against what `begin` kept, exchange the code and return the ID token's
    claims once its signature, issuer, audience, times and nonce hold."""
    if not configured():
        raise SignInError("not_configured")
    if args.get("error"):
        # access_denied: the person cancelled at DigiD; other errors end the same way for them.
        # Checked before the state: some brokers leave the state off an error, and a forged
        # error signs no one in.
        raise SignInError("cancelled", f"broker error: {args.get('error')}")
    if not isinstance(pending, Mapping) or not isinstance(pending.get("state"), str):
        raise SignInError("state", "no sign-in was started in this session")
    if time.time() - float(pending.get("started", 0)) > PENDING_MAX_AGE_SECONDS:
        raise SignInError("state", "the sign-in was started too long ago")
    returned_state = args.get("state", "")
    if not hmac.compare_digest(returned_state.encode(), pending["state"].encode()):
        raise SignInError("state", "state does not match")
    code = args.get("code")
    if not code:
        raise SignInError("state", "callback without a code")
    document = metadata()
    try:
        with _client(pending["redirect_uri"]) as client:
            token = client.fetch_token(
                document["token_endpoint"],
                grant_type="authorization_code",
                code=code,
                code_verifier=pending["code_verifier"],
                redirect_uri=pending["redirect_uri"],
            )
    except OAuthError as problem:
        # The broker refused the code (used, expired, or the PKCE verifier does not match).
        raise SignInError("failed", f"token endpoint: {problem!r}") from problem
    except (httpx.HTTPError, AuthlibBaseError, ValueError) as problem:
        raise SignInError("unavailable", f"token endpoint: {problem!r}") from problem
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise SignInError("token", "no id_token in the token response")
    return check_id_token(id_token, broker_keys(document), nonce=pending["nonce"])


def broker_keys(document: dict) -> KeySet:
    """The broker's public keys (JWKS), fetched for each sign-in so that a rotated key works."""
    try:
        return KeySet.import_key_set(_get_json(document["jwks_uri"]))
    except (httpx.HTTPError, ValueError, JoseError) as problem:
        raise SignInError("unavailable", f"jwks: {problem!r}") from problem


def check_id_token(id_token: str, keys: KeySet, *, nonce: str) -> dict[str, Any]:
    """OpenID Connect Core 1.0, section 3.1.3.7: signed with an asymmetric algorithm by one of the
    broker's keys, `iss` is the broker, `aud` holds our client id (and `azp` is us when there are
    more audiences), not expired, not issued in the future, and carrying the nonce we sent."""
    config = current_app.config
    try:
        token = jwt.decode(id_token, keys, algorithms=ID_TOKEN_ALGORITHMS)
        claims = dict(token.claims)
        jwt.JWTClaimsRegistry(
            leeway=CLOCK_LEEWAY_SECONDS,
            iss={"essential": True, "value": config["OIDC_ISSUER"]},
            aud={"essential": True, "value": config["OIDC_CLIENT_ID"]},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(claims)
    except (JoseError, ValueError, TypeError) as problem:
        raise SignInError("token", f"id_token: {problem!r}") from problem
    if not hmac.compare_digest(str(claims["nonce"]).encode(), nonce.encode()):
        raise SignInError("token", "nonce does not match")
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != config["OIDC_CLIENT_ID"]:
        raise SignInError("token", "several audiences and azp is not us")
    issued_at = claims["iat"]
    if not isinstance(issued_at, int | float) or issued_at > time.time() + CLOCK_LEEWAY_SECONDS:
        raise SignInError("token", "issued in the future")
    return claims


def bsn_from(claims: Mapping[str, Any]) -> str:
    """The BSN claim (OIDC_BSN_CLAIM; a dotted path reaches into a nested claim)."""
    value: Any = claims
    for part in current_app.config["OIDC_BSN_CLAIM"].split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    if isinstance(value, int):
        value = f"{value:09d}"
    if not isinstance(value, str) or not value.strip():
        raise SignInError("no_bsn", "claim missing")
    return value.strip()
