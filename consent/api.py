"""JSON API for partner systems: "may we process this person's data of this domain for this
purpose?" (issue 3, point 4), described by the OpenAPI document at /api/v1/openapi.json.

The answer comes from `consent.check.may`, the one check; this module only authenticates the
partner system, reads the question, applies the partner's scope (portal.access) and writes the
audit entry. Routes here ignore the staff session: a partner system is identified by its API key
alone.

The question comes as a JSON body (`POST /api/v1/check`) or, deprecated, as a query string
(`GET /api/v1/check`): a BSN in a URL ends up in the access logs of every web server and proxy on
the way (ASVS 8.3.1). Both read into the same name/value pairs, and from there one code checks
them (`_question`), so the two answer alike to the letter.

Every answer is JSON with a documented shape; bad input gets a 400 with a code per problem and a
person outside the partner's scope gets the same 404 as a person that does not exist.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Optional

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, request
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import RequestEntityTooLarge

from consent.apikeys import authenticate
from consent.check import CheckResult, may
from consent.models import ApiKey, Purpose
from consent.operations import as_utc
from portal import access, audit
from portal.crypto import lookup_hash
from portal.extensions import db
from portal.models import DataDomain, Partner, Person, utcnow
from portal.operations import RuleViolation, normalise_bsn

bp = Blueprint("api", __name__, url_prefix="/api/v1")

PROCESSING_ACTIVITY = "toestemmingscheck"
CHECK_PARAMETERS = ("person", "bsn", "domain", "purpose", "at", "source_partner")
# A partner's clock may run a little ahead of ours; later moments are refused (the ledger cannot
# answer for the future: a withdrawal may still come).
CLOCK_SKEW = timedelta(minutes=5)
# person.id is a 32-bit integer column; a larger number cannot exist and must not reach the SQL.
MAX_ID = 2**31 - 1
_ID = re.compile(r"[0-9]{1,10}")
_CODE = re.compile(r"[A-Za-z0-9_.-]{1,40}")
# "2026-03-03T10:00:00 01:00": an unencoded "+" in a query string arrives as a space.
_SPACE_OFFSET = re.compile(r"(.*[0-9]) ([0-9]{2}(?::?[0-9]{2})?)")
WWW_AUTHENTICATE = 'Bearer realm="regieteam-api"'
# The JSON body of a check: a few short fields. Anything much longer is not a question.
MAX_BODY_BYTES = 4096
# The JSON types a body field may have (besides null, which counts as absent, like an empty
# query parameter). The person number may be a JSON number; a BSN must be text, as a number it
# would lose its leading zero.
BODY_TYPES: dict[str, tuple[type, ...]] = {name: (str,) for name in CHECK_PARAMETERS}
BODY_TYPES["person"] = (str, int)
# GET /api/v1/check is deprecated since this moment (RFC 9745: `Deprecation: @<unix time>`);
# its answers link to the POST operation in the OpenAPI document.
GET_CHECK_DEPRECATED_AT = datetime(2026, 11, 28, tzinfo=UTC)
GET_CHECK_SUCCESSOR = "/api/v1/openapi.json#/paths/~1api~1v1~1check/post"


@dataclass(frozen=True)
class ErrorCode:
    status: int
    message: object  # lazy string: Dutch, English through the translations
    body_only: bool = False  # only POST /api/v1/check can give it (a JSON body's problem)


# Every error the API gives, by code. The OpenAPI document lists them from here.
ERRORS: dict[str, ErrorCode] = {
    "invalid_api_key": ErrorCode(
        401,
        _l(
            "Geen geldige API-sleutel. Stuur de sleutel van uw organisatie mee als "
            "'Authorization: Bearer <sleutel>'."
        ),
    ),
    "not_found": ErrorCode(
        404, _l("Deze persoon is niet gevonden, of uw organisatie is niet bij een casus betrokken.")
    ),
    "unknown_parameter": ErrorCode(400, _l("Deze parameter kent de API niet.")),
    "repeated_parameter": ErrorCode(400, _l("Deze parameter mag maar één keer voorkomen.")),
    "person_missing": ErrorCode(400, _l("Geef de persoon op: 'person' (nummer) of 'bsn'.")),
    "person_and_bsn": ErrorCode(400, _l("Geef 'person' of 'bsn' op, niet allebei.")),
    "invalid_person": ErrorCode(400, _l("'person' moet een positief geheel getal zijn.")),
    "invalid_bsn": ErrorCode(400, _l("Dit is geen geldig BSN (elfproef).")),
    "domain_missing": ErrorCode(400, _l("Geef het domein op: 'domain'.")),
    "unknown_domain": ErrorCode(
        400, _l("Dit domein bestaat niet. De codes staan in /api/v1/domains.")
    ),
    "purpose_missing": ErrorCode(400, _l("Geef het doel op: 'purpose'.")),
    "invalid_purpose": ErrorCode(400, _l("Het doel is 'plan', 'regie' of 'overlast'.")),
    "invalid_at": ErrorCode(
        400,
        _l(
            "'at' moet een datum en tijd in ISO 8601 zijn, met tijdzone, "
            "bijvoorbeeld 2026-03-03T10:00:00+01:00."
        ),
    ),
    "at_in_future": ErrorCode(
        400, _l("'at' ligt in de toekomst; daarover kan de API niets zeggen.")
    ),
    "unknown_source_partner": ErrorCode(400, _l("Deze partnercode bestaat niet.")),
    "unsupported_media_type": ErrorCode(
        415,
        _l("Stuur de vraag als JSON, met de header 'Content-Type: application/json'."),
        body_only=True,
    ),
    "body_too_large": ErrorCode(
        413, _l("De body is te groot voor een vraag aan de API."), body_only=True
    ),
    "invalid_json": ErrorCode(400, _l("De body is geen geldige JSON in UTF-8."), body_only=True),
    "invalid_body": ErrorCode(
        400,
        _l("De body moet een JSON-object zijn, met de parameters als velden."),
        body_only=True,
    ),
    "invalid_type": ErrorCode(
        400,
        _l(
            "Dit veld heeft het verkeerde type: tekst, of null als het leeg is "
            "('person' mag ook een getal zijn)."
        ),
        body_only=True,
    ),
}


class ApiError(Exception):
    def __init__(self, code: str, parameter: Optional[str] = None):
        super().__init__(code)
        self.code = code
        self.parameter = parameter


def in_both_languages(message) -> tuple[str, str]:
    with force_locale("nl"):
        dutch = str(message)
    with force_locale("en"):
        english = str(message)
    return dutch, english


@bp.errorhandler(ApiError)
def _api_error(error: ApiError):
    db.session.rollback()
    spec = ERRORS[error.code]
    message, message_en = in_both_languages(spec.message)
    body = {"code": error.code, "message": message, "message_en": message_en}
    if error.parameter is not None:
        body["parameter"] = error.parameter
    response = jsonify({"error": body})
    response.status_code = spec.status
    if spec.status == 401:
        response.headers["WWW-Authenticate"] = (
            WWW_AUTHENTICATE
            if "Authorization" not in request.headers
            else WWW_AUTHENTICATE + ', error="invalid_token"'
        )
    return response


def key_required(view):
    """Authenticate the partner system by its API key; the staff session plays no part."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        key = authenticate(request.headers.get("Authorization"))
        if key is None:
            raise ApiError("invalid_api_key")
        return view(key, *args, **kwargs)

    return wrapped


# --- reading the question ---------------------------------------------------------------------


class _Pairs(list):
    """A JSON object as its (name, value) pairs in order, repeated names included: a repeated
    field is refused as a repeated query parameter is, never silently the last one."""


def _body_pairs() -> list[tuple[str, object]]:
    """The JSON body's fields as name/value pairs (POST)."""
    if request.mimetype != "application/json":
        raise ApiError("unsupported_media_type")
    request.max_content_length = MAX_BODY_BYTES
    try:
        raw = request.get_data(cache=False)
    except RequestEntityTooLarge:
        raise ApiError("body_too_large") from None
    try:
        body = json.loads(
            raw.decode("utf-8"), object_pairs_hook=_Pairs, parse_constant=_no_constant
        )
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError included
        raise ApiError("invalid_json") from None
    if not isinstance(body, _Pairs):
        raise ApiError("invalid_body")
    return list(body)


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")  # NaN, Infinity: Python's extension, not JSON


def _question_values(pairs: Iterable[tuple[str, object]]) -> dict[str, Optional[str]]:
    """Per check parameter its value, None when absent, null or empty (clients often send unset
    fields); surrounding spaces do not count. The one place for what may come in and how often,
    for the query string and the JSON body alike."""
    pairs = list(pairs)
    for name, _value in pairs:
        if name not in CHECK_PARAMETERS:
            raise ApiError("unknown_parameter", name[:100])
    values: dict[str, Optional[str]] = {}
    for name, value in pairs:
        if name in values:
            raise ApiError("repeated_parameter", name)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, BODY_TYPES[name])
        ):
            raise ApiError("invalid_type", name)
        values[name] = None if value is None else str(value).strip() or None
    return {name: values.get(name) for name in CHECK_PARAMETERS}


def _person_condition(
    person_value: Optional[str], bsn_value: Optional[str]
) -> sa.ColumnElement[bool]:
    """Which person is meant: by the portal's person number or by BSN (found by its keyed
    hash; the BSN itself is never stored in the clear)."""
    if person_value is None and bsn_value is None:
        raise ApiError("person_missing", "person")
    if person_value is not None and bsn_value is not None:
        raise ApiError("person_and_bsn", "bsn")
    if person_value is not None:
        if not _ID.fullmatch(person_value) or not 0 < int(person_value) <= MAX_ID:
            raise ApiError("invalid_person", "person")
        return Person.id == int(person_value)
    try:
        number = normalise_bsn(bsn_value)
    except RuleViolation:
        raise ApiError("invalid_bsn", "bsn") from None
    return Person.bsn_hash == lookup_hash(number)


def _domain(value: Optional[str]) -> DataDomain:
    if value is None:
        raise ApiError("domain_missing", "domain")
    domain = (
        db.session.scalar(sa.select(DataDomain).where(DataDomain.code == value))
        if _CODE.fullmatch(value)
        else None
    )
    if domain is None:
        raise ApiError("unknown_domain", "domain")
    return domain


def _purpose(value: Optional[str]) -> Purpose:
    if value is None:
        raise ApiError("purpose_missing", "purpose")
    try:
        return Purpose(value)
    except ValueError:
        raise ApiError("invalid_purpose", "purpose") from None


def _moment(value: Optional[str]) -> Optional[datetime]:
    """An ISO 8601 moment with its UTC offset; without an offset the moment is ambiguous."""
    if value is None:
        return None
    spaced = _SPACE_OFFSET.fullmatch(value)
    if spaced and "T" in value:
        value = f"{spaced.group(1)}+{spaced.group(2)}"
    try:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("no offset")
        moment = as_utc(moment)
    except (ValueError, OverflowError):
        raise ApiError("invalid_at", "at") from None
    if moment > utcnow() + CLOCK_SKEW:
        raise ApiError("at_in_future", "at")
    return moment


def _source_partner(value: Optional[str]) -> Optional[Partner]:
    if value is None:
        return None
    partner = (
        db.session.scalar(sa.select(Partner).where(Partner.code == value))
        if _CODE.fullmatch(value)
        else None
    )
    if partner is None:
        raise ApiError("unknown_source_partner", "source_partner")
    return partner


def _result_json(result: CheckResult) -> dict:
    message, message_en = (
        in_both_languages(result.message) if result.message is not None else (None, None)
    )
    return {
        "permitted": result.permitted,
        "basis": result.basis.value if result.basis is not None else None,
        "consent_event": result.consent_event_id,
        "legal_basis": result.legal_basis_id,
        "reuse_approval": result.reuse_approval_id,
        "reason": result.reason,
        "message": message,
        "message_en": message_en,
        "at": result.at.isoformat(),
    }


@dataclass(frozen=True)
class Question:
    which_person: sa.ColumnElement[bool]
    domain: DataDomain
    purpose: Purpose
    at: Optional[datetime]
    source_partner: Optional[Partner]


def _question(values: dict[str, Optional[str]]) -> Question:
    """The checked question; the first problem found is the error."""
    return Question(
        which_person=_person_condition(values["person"], values["bsn"]),
        domain=_domain(values["domain"]),
        purpose=_purpose(values["purpose"]),
        at=_moment(values["at"]),
        source_partner=_source_partner(values["source_partner"]),
    )


def _answer(key: ApiKey, pairs: Iterable[tuple[str, object]]):
    """Check the question, answer it within the partner's scope and put the check on record."""
    question = _question(_question_values(pairs))
    partner = key.partner
    # Unknown and out of scope answer alike, so the API never tells whether someone exists.
    person = db.session.scalar(
        sa.select(Person).where(question.which_person, access.partner_scope(partner))
    )
    if person is None:
        raise ApiError("not_found")
    result = may(
        partner,
        person,
        question.domain,
        question.purpose,
        at=question.at,
        source_partner=question.source_partner,
    )
    # The answer says something about the person: a read of personal data, on record.
    audit.record(
        audit.Action.READ,
        partner=partner,
        processing_activity=PROCESSING_ACTIVITY,
        purpose=f"controle {question.domain.code} {question.purpose.value}",
        person_id=person.id,
        object_type="api_key",
        object_id=key.id,
        confidentiality=audit.Confidentiality.NORMAL,
    )
    db.session.commit()
    return jsonify(_result_json(result))


# --- routes -----------------------------------------------------------------------------------


@bp.post("/check")
@key_required
def check_post(key: ApiKey):
    """May the key's partner process this person's data of this domain for this purpose? The
    question as a JSON body, so that a BSN stays out of URLs and access logs."""
    return _answer(key, _body_pairs())


@bp.get("/check")
@key_required
def check(key: ApiKey):
    """The same check with the question in the query string. Deprecated: kept for the partner
    systems that use it; every answer says so (`Deprecation`, `Link`)."""
    return _answer(key, request.args.items(multi=True))


@bp.after_request
def _mark_deprecated(response):
    # Errors as well as answers: a partner that only ever gets 404s must be told too.
    if request.endpoint == "api.check":
        response.headers["Deprecation"] = f"@{int(GET_CHECK_DEPRECATED_AT.timestamp())}"
        response.headers["Link"] = (
            f'<{GET_CHECK_SUCCESSOR}>; rel="deprecation"; type="application/json"'
        )
    return response


@bp.get("/domains")
@key_required
def domains(key: ApiKey):
    """The domain codes and purposes a check can name (no personal data)."""
    rows = db.session.scalars(sa.select(DataDomain).order_by(DataDomain.code)).all()
    return jsonify(
        {
            "domains": [
                {
                    "code": domain.code,
                    "name_nl": domain.name_nl,
                    "name_en": domain.name_en,
                    "special_category": domain.special_category,
                    "criminal": domain.criminal,
                }
                for domain in rows
            ],
            "purposes": [purpose.value for purpose in Purpose],
        }
    )


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 description of this API (public: it holds no personal data)."""
    from consent.openapi import document

    return current_app.json.response(document())


def init_app(app) -> None:
    from portal.extensions import csrf

    # Partner systems send no CSRF token: they authenticate each request with their key and
    # carry no browser session.
    csrf.exempt(bp)
    app.register_blueprint(bp)
