"""A real OpenID Connect provider for the tests: the PyPI package oidc-provider-mock (built on
Authlib's own authorization server), served over HTTP on 127.0.0.1 with a free port in a thread.

It stands in for the DigiD broker. Its login page asks for a subject ("sub"); the claims of a
subject (the BSN among them) are set beforehand through its `PUT /users/<sub>` endpoint.

A thin WSGI front adds what the package does not do and the tests need:
- it enforces PKCE (S256): the package accepts a code without checking the verifier, DigiD
  brokers do not;
- on request it tampers with the next ID token it hands out (a claim changed after signing), to
  show that the portal refuses a token whose signature does not hold.

The package still uses Authlib APIs that Authlib deprecates; test modules that run a flow mark
themselves with `IGNORE_PROVIDER_DEPRECATIONS` so that the provider's own warnings (raised in its
server thread) do not turn into errors there.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import threading
import warnings
from urllib.parse import parse_qs, urlsplit

import authlib.deprecate  # noqa: F401  (first, so that its own warning filter comes before ours)
import httpx2
import pytest
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

with warnings.catch_warnings():
    # The package imports authlib.jose, which Authlib deprecates in favour of joserfc.
    warnings.simplefilter("ignore", DeprecationWarning)
    import oidc_provider_mock

IGNORE_PROVIDER_DEPRECATIONS = pytest.mark.filterwarnings(
    "ignore:get_jwt_config:DeprecationWarning"
)
CLIENT_ID = "regieteam-portal"
CLIENT_SECRET = "test-client-secret"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _s256(verifier: str) -> str:
    return _b64url(hashlib.sha256(verifier.encode()).digest())


class _Quiet(WSGIRequestHandler):
    def log_request(self, code="-", size="-") -> None:
        pass


class LocalProvider:
    """`with LocalProvider() as provider:` serves the provider; `provider.issuer` is its URL."""

    def __init__(self) -> None:
        self._app = oidc_provider_mock.app(require_nonce=True)
        self._challenges: dict[str, tuple[str, str]] = {}  # code -> (challenge, method)
        self._lock = threading.Lock()
        self.tamper_next_id_token = False
        self.pkce_checked = 0
        self.token_requests = 0
        self.issuer = ""

    # --- the front -------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/oauth2/authorize" and environ["REQUEST_METHOD"] == "POST":
            return self._authorize(environ, start_response)
        if path == "/oauth2/token":
            return self._token(environ, start_response)
        return self._app(environ, start_response)

    def _authorize(self, environ, start_response):
        query = parse_qs(environ.get("QUERY_STRING", ""))
        response = Response.from_app(self._app, environ)
        location = response.headers.get("Location", "")
        code = parse_qs(urlsplit(location).query).get("code", [None])[0]
        if code:
            with self._lock:
                self._challenges[code] = (
                    query.get("code_challenge", [""])[0],
                    query.get("code_challenge_method", ["plain"])[0],
                )
        return response(environ, start_response)

    def _token(self, environ, start_response):
        body = Request(environ).get_data(cache=True)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        form = parse_qs(body.decode())
        code = form.get("code", [""])[0]
        verifier = form.get("code_verifier", [""])[0]
        with self._lock:
            self.token_requests += 1
            challenge, method = self._challenges.pop(code, ("", ""))
        if method != "S256" or not verifier or _s256(verifier) != challenge:
            refusal = Response(
                json.dumps({"error": "invalid_grant", "error_description": "PKCE check failed"}),
                status=400,
                content_type="application/json",
            )
            return refusal(environ, start_response)
        with self._lock:
            self.pkce_checked += 1
        response = Response.from_app(self._app, environ)
        if self.tamper_next_id_token and response.status_code == 200:
            self.tamper_next_id_token = False
            token = json.loads(response.get_data())
            header, payload, signature = token["id_token"].split(".")
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            claims["bsn"] = "111222333"  # someone else's number, the signature left as it was
            token["id_token"] = ".".join([header, _b64url(json.dumps(claims).encode()), signature])
            response.set_data(json.dumps(token))
        return response(environ, start_response)

    # --- running it ------------------------------------------------------------------------

    def __enter__(self) -> LocalProvider:
        self._server = make_server("127.0.0.1", 0, self, threaded=True, request_handler=_Quiet)
        self.issuer = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="oidc-provider", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def config(self) -> dict:
        """The portal's settings for this provider."""
        return {
            "OIDC_ISSUER": self.issuer,
            "OIDC_CLIENT_ID": CLIENT_ID,
            "OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_BSN_CLAIM": "bsn",
        }

    def set_user(self, sub: str, **claims) -> None:
        """A DigiD user as the broker knows them (the claims its ID token carries)."""
        response = httpx2.put(f"{self.issuer}/users/{sub}", json=claims, timeout=10)
        response.raise_for_status()

    def log_in(self, authorize_url: str, sub: str) -> str:
        """What a person does on the provider's page: open it and sign in as `sub`. Returns the
        address the provider sends the browser back to (the portal's callback)."""
        page = httpx2.get(authorize_url, timeout=10)
        assert page.status_code == 200, page.text
        response = httpx2.post(authorize_url, data={"sub": sub}, timeout=10)
        assert response.status_code == 302, response.text
        return response.headers["Location"]

    def cancel(self, authorize_url: str) -> str:
        """The person presses "Deny" on the provider's page."""
        response = httpx2.post(authorize_url, data={"action": "deny"}, timeout=10)
        assert response.status_code == 302, response.text
        return response.headers["Location"]
