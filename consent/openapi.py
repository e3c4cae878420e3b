"""The OpenAPI 3.1 description of the check API, served at /api/v1/openapi.json.

Error codes, denial reasons, bases and purposes are read from the code that produces them, so the
document cannot fall behind; tests/test_consent_api.py fails when a route of /api/v1 is missing.
"""

from __future__ import annotations

from flask_babel import force_locale

from consent.api import (
    BODY_TYPES,
    ERRORS,
    GET_CHECK_DEPRECATED_AT,
    GET_CHECK_SUCCESSOR,
    MAX_BODY_BYTES,
    MAX_ID,
    WWW_AUTHENTICATE,
    ErrorCode,
    in_both_languages,
)
from consent.check import DENIAL_MESSAGES
from consent.models import Basis, Purpose

VERSION = "1.0.0"
JSON = "application/json"

DESCRIPTION = """\
Partner systems of the Nijmegen Regieteams ask here whether they may process a person's data of
one data domain (leefgebied) for one purpose, now or at a past moment. The answer comes from the
consent ledger and the legal-basis register of the privacy portal (Privacyprotocol art. 2 and 5;
Afwegingskader stap 4).

**Authentication.** Each partner organisation gets its own API key from the portal's
administrator. Send it with every request as `Authorization: Bearer <key>`. The key decides which
partner asks: a check is always about processing by the key's own organisation.

**Scope.** A partner may ask about a person only while it is on the team of a case of the
person's household. Outside that scope, and for a person that does not exist, the answer is the
same `404 not_found`: the API never tells whether someone is known.

**Record.** Every check is kept in the portal's audit trail with the partner, the key and the
person, and the person can see it.

**The question** goes in a JSON body: `POST /api/v1/check` with `Content-Type:
application/json`. `GET /api/v1/check` with the same question in the query string still works but
is deprecated: a BSN in a URL ends up in the access logs of every web server and proxy on the way.
Its answers carry `Deprecation` (RFC 9745) and a `Link` to the POST operation. Both answer the
same question identically, with the same errors and the same record.

**Errors** are JSON: `{"error": {"code": ..., "message": ..., "message_en": ...}}`, with
`parameter` naming the query parameter or body field at fault for a 400. `message` is Dutch,
`message_en` English; program against `code`.
"""

PURPOSE_TEXT = {
    Purpose.PLAN: "drawing up a plan van aanpak on all relevant life domains",
    Purpose.REGIE: "directing and monitoring the execution of the plan van aanpak",
    Purpose.OVERLAST: "reducing the nuisance caused by multi-problem households",
}
BASIS_TEXT = {
    Basis.CONSENT: "the person's consent (AVG art. 6(1)(a))",
    Basis.VITAL_INTEREST: "vital interest, urgent and motivated (art. 6(1)(d))",
    Basis.PUBLIC_TASK: "a public task laid down in a statute (art. 6(1)(e))",
    Basis.LEGITIMATE_INTEREST: "legitimate interest, never for the municipality (art. 6(1)(f))",
    Basis.FURTHER_PROCESSING: "further processing that passed the compatibility test a-e",
    Basis.CONFLICT_OF_DUTIES: "a documented conflict of duties of a professional-secrecy holder",
}
ERROR_STATUS_TEXT = {
    400: "Malformed question; `error.code` says which problem, `error.parameter` where.",
    401: "Missing, unknown or revoked API key.",
    404: "The person does not exist or is outside the partner's scope (not told apart).",
    413: f"The body is longer than {MAX_BODY_BYTES} bytes.",
    415: "The body is not sent as `application/json`.",
}
DEPRECATION_HEADERS = {
    "Deprecation": {
        "description": "RFC 9745: this operation is deprecated since this moment "
        f"(`@{int(GET_CHECK_DEPRECATED_AT.timestamp())}`, "
        f"{GET_CHECK_DEPRECATED_AT.date().isoformat()}). Ask with `POST /api/v1/check`.",
        "schema": {"type": "string"},
    },
    "Link": {
        "description": f'`<{GET_CHECK_SUCCESSOR}>; rel="deprecation"`: the POST operation.',
        "schema": {"type": "string"},
    },
}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict, description: str) -> dict:
    return {"oneOf": [schema, {"type": "null"}], "description": description}


def _error_response(status: int, body: bool = False) -> dict:
    """The error answer of this status; `body`: of an operation that takes a JSON body."""
    codes = {
        code: spec
        for code, spec in ERRORS.items()
        if spec.status == status and (body or not spec.body_only)
    }
    response = {
        "description": ERROR_STATUS_TEXT[status]
        + "\n\n"
        + "\n".join(f"- `{code}`: {_text(spec)[1]}" for code, spec in codes.items()),
        "content": {
            JSON: {
                "schema": {
                    "allOf": [_ref("Error")],
                    "properties": {
                        "error": {"properties": {"code": {"enum": sorted(codes)}}},
                    },
                },
                "examples": {
                    code: {"value": _error_example(code, spec)} for code, spec in codes.items()
                },
            }
        },
    }
    if status == 401:
        response["headers"] = {
            "WWW-Authenticate": {
                "description": f"RFC 6750 challenge: `{WWW_AUTHENTICATE}`, with "
                '`error="invalid_token"` when a key was sent.',
                "schema": {"type": "string"},
            }
        }
    return response


def _text(spec: ErrorCode) -> tuple[str, str]:
    return in_both_languages(spec.message)


def _error_example(code: str, spec: ErrorCode) -> dict:
    message, message_en = _text(spec)
    return {"error": {"code": code, "message": message, "message_en": message_en}}


def _question_fields() -> list[dict]:
    """The parameters of a check, as GET's query parameters: the body's fields are these."""

    def query(name: str, description: str, schema: dict, required: bool = False) -> dict:
        return {
            "name": name,
            "in": "query",
            "required": required,
            "description": description,
            "schema": schema,
        }

    return [
        query(
            "person",
            "The portal's number of the person. Give `person` or `bsn`, not both.",
            {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        ),
        query(
            "bsn",
            "The person's BSN (nine digits, passing the 11-check; spaces, dots and hyphens are "
            "ignored). Give `person` or `bsn`, not both.",
            {"type": "string", "pattern": "^[0-9 .-]+$", "examples": ["111222333"]},
        ),
        query(
            "domain",
            "Code of the data domain (leefgebied); see `GET /api/v1/domains`.",
            {"type": "string", "maxLength": 40, "examples": ["wonen"]},
            required=True,
        ),
        query(
            "purpose",
            "Purpose of the processing (Privacyprotocol art. 1): "
            + "; ".join(f"`{p.value}`: {PURPOSE_TEXT[p]}" for p in Purpose)
            + ".",
            {"type": "string", "enum": [p.value for p in Purpose]},
            required=True,
        ),
        query(
            "at",
            "The moment to answer for, ISO 8601 with a UTC offset (`Z` or `+01:00`; in a query "
            "string encode `+` as `%2B`, a space before the offset is read as `+`). Default: "
            "now. The answer is "
            "the ledger as it stood at that moment; a moment more than five minutes ahead is "
            "refused (`at_in_future`).",
            {"type": "string", "format": "date-time", "examples": ["2026-03-03T10:00:00+01:00"]},
        ),
        query(
            "source_partner",
            "Code of the partner that brought the data in, when it is not the asking partner: "
            "then its separate approval of the reuse is needed as well (Privacyprotocol art. 5).",
            {"type": "string", "maxLength": 40},
        ),
    ]


def _question_schema() -> dict:
    """The JSON body of POST /api/v1/check: the query parameters as fields. Null or an empty
    string counts as absent; `person` may be a number or its digits as text."""
    properties, required = {}, []
    for field in _question_fields():
        schema = dict(field["schema"])
        types = ["integer" if kind is int else "string" for kind in BODY_TYPES[field["name"]]]
        if field["required"]:
            required.append(field["name"])
        else:
            types.append("null")
            if "enum" in schema:
                schema["enum"] = [*schema["enum"], None]
        schema["type"] = types[0] if len(types) == 1 else types
        properties[field["name"]] = {**schema, "description": field["description"]}
    return {
        "type": "object",
        "required": required,
        "additionalProperties": False,
        "properties": properties,
        "description": "A field may appear once; another field is refused (`unknown_parameter`).",
    }


def _schemas() -> dict:
    with force_locale("nl"):
        reasons = {code: str(message) for code, message in DENIAL_MESSAGES.items()}
    return {
        "CheckQuestion": _question_schema(),
        "CheckResult": {
            "type": "object",
            "required": [
                "permitted",
                "basis",
                "consent_event",
                "legal_basis",
                "reuse_approval",
                "reason",
                "message",
                "message_en",
                "at",
            ],
            "additionalProperties": False,
            "properties": {
                "permitted": {"type": "boolean", "description": "May the partner process it?"},
                "basis": _nullable(
                    {"type": "string", "enum": [b.value for b in Basis]},
                    "The legal basis that permits, when permitted: "
                    + "; ".join(f"`{b.value}`: {BASIS_TEXT[b]}" for b in Basis)
                    + ".",
                ),
                "consent_event": _nullable(
                    {"type": "integer"},
                    "The consent event that decided (a grant, or the refusal, withdrawal or "
                    "expiry that denies).",
                ),
                "legal_basis": _nullable(
                    {"type": "integer"}, "The record of the legal-basis register that decided."
                ),
                "reuse_approval": _nullable(
                    {"type": "integer"},
                    "The source partner's reuse approval (or refusal) taken into account.",
                ),
                "reason": _nullable(
                    {"type": "string", "enum": sorted(reasons)},
                    "Why not, when denied: "
                    + "; ".join(f"`{code}`: {text.rstrip('.')}" for code, text in reasons.items())
                    + ".",
                ),
                "message": _nullable({"type": "string"}, "The reason in Dutch."),
                "message_en": _nullable({"type": "string"}, "The reason in English."),
                "at": {
                    "type": "string",
                    "format": "date-time",
                    "description": "The moment answered for, in UTC.",
                },
            },
        },
        "Error": {
            "type": "object",
            "required": ["error"],
            "additionalProperties": False,
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {
                        "code": {"type": "string", "enum": sorted(ERRORS)},
                        "message": {"type": "string", "description": "Dutch."},
                        "message_en": {"type": "string", "description": "English."},
                        "parameter": {
                            "type": "string",
                            "description": "The query parameter or body field at fault "
                            "(400 only).",
                        },
                    },
                }
            },
        },
        "DomainList": {
            "type": "object",
            "required": ["domains", "purposes"],
            "additionalProperties": False,
            "properties": {
                "domains": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["code", "name_nl", "name_en", "special_category", "criminal"],
                        "additionalProperties": False,
                        "properties": {
                            "code": {"type": "string"},
                            "name_nl": {"type": "string"},
                            "name_en": {"type": "string"},
                            "special_category": {
                                "type": "boolean",
                                "description": "Special category of personal data (AVG art. 9).",
                            },
                            "criminal": {
                                "type": "boolean",
                                "description": "Criminal-offence data (AVG art. 10).",
                            },
                        },
                    },
                },
                "purposes": {
                    "type": "array",
                    "items": {"type": "string", "enum": [p.value for p in Purpose]},
                },
            },
        },
    }


CHECK_DESCRIPTION = (
    "Permit or deny, with the basis and the record that decided it, or the reason why not. The "
    "order of the rules: reuse of another partner's data needs its approval; then the person's "
    "own last decision (a refusal or withdrawal always denies); then a basis other than consent "
    "in the legal-basis register for a case of the household; otherwise deny."
)


def _check_responses(body: bool) -> dict:
    """The answers of the check: POST (`body`) and the deprecated GET, which marks each of its
    answers with the deprecation headers."""
    statuses = sorted({spec.status for spec in ERRORS.values() if body or not spec.body_only})
    responses = {
        "200": {
            "description": "The answer (permitted or not).",
            "content": {JSON: {"schema": _ref("CheckResult")}},
        },
        **{str(status): _error_response(status, body=body) for status in statuses},
    }
    if not body:
        for response in responses.values():
            response["headers"] = {**response.get("headers", {}), **DEPRECATION_HEADERS}
    return responses


def document() -> dict:
    """The OpenAPI document as a plain dict (JSON-serialisable)."""
    key = [{"partnerKey": []}]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Regieteams Nijmegen: toestemmingscheck voor partnersystemen",
            "version": VERSION,
            "description": DESCRIPTION,
        },
        "servers": [{"url": "/"}],
        "paths": {
            "/api/v1/check": {
                "post": {
                    "operationId": "checkPost",
                    "summary": "May this partner process this data of this person?",
                    "description": CHECK_DESCRIPTION,
                    "security": key,
                    "requestBody": {
                        "required": True,
                        "content": {JSON: {"schema": _ref("CheckQuestion")}},
                    },
                    "responses": _check_responses(body=True),
                },
                "get": {
                    "operationId": "check",
                    "summary": "Deprecated: the same check with the question in the query string.",
                    "description": CHECK_DESCRIPTION
                    + "\n\nDeprecated: the BSN in the URL ends up in access logs. Use "
                    "`POST /api/v1/check` with the same parameters as a JSON body.",
                    "deprecated": True,
                    "security": key,
                    "parameters": _question_fields(),
                    "responses": _check_responses(body=False),
                },
            },
            "/api/v1/domains": {
                "get": {
                    "operationId": "domains",
                    "summary": "The data domain codes and purposes a check can name.",
                    "security": key,
                    "responses": {
                        "200": {
                            "description": "Domains and purposes.",
                            "content": {JSON: {"schema": _ref("DomainList")}},
                        },
                        "401": _error_response(401),
                    },
                }
            },
            "/api/v1/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document.",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "The OpenAPI 3.1 document.",
                            "content": {JSON: {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
        },
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {
                "partnerKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": (
                        "The partner organisation's API key, made by the portal's administrator "
                        "(`flask --app portal apikey create PARTNER_CODE --label ...`). Shown "
                        "once; only its hash is kept. A revoked key stops working at once."
                    ),
                }
            },
        },
    }
