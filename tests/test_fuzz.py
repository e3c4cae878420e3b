"""Fuzzing every route of the URL map with generated input (issue 8, item 6): no answer is a 500.

The cases come from `app.url_map.iter_rules()`, one per rule and method, so a new route is fuzzed
without anyone adding it here; `test_every_rule_is_fuzzed` fails when the map holds something the
fuzzer cannot generate (a new converter) and each case fails when none of its requests reached
its rule. Per request hypothesis draws:

- who asks: anonymous, every staff role (portal.models.Role), a citizen for a person in a case
  and for another person (auth.login_citizen), and for the JSON API an API key of a partner in
  the case, of a partner outside it, a revoked key, junk or none;
- the URL arguments from the converters: ids that exist (the matrix world's ids and every id in
  the database), 0, negative, huge (beyond 32 and 64 bits), leading zeros; text for string and
  path arguments with unicode, control characters, "/", "..", "%";
- a query string: the parameters the page's GET forms and the OpenAPI document name, plus junk;
- a body for POST: the valid data of the access matrix (tests/matrix) with fields replaced by
  junk, dropped or added (the field names come from the <form>s on the staff and citizen pages and
  from every WTForms class), or a JSON body, or raw bytes.

Every request runs in a savepoint that is rolled back afterwards, so each example starts from the
same seeded world (seeded once per module, not per example: fast, and no function-scoped fixture
inside @given). The assertions: status < 500, and an error of a JSON endpoint is JSON with a
code (`{"error": {"code": ...}}`).

Hypothesis runs derandomized (the same examples every run, in CI and locally). To explore new
input, run with FUZZ_EXPLORE=1 (random, and FUZZ_EXAMPLES examples per case, 200 by default).
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from types import SimpleNamespace
from typing import Optional
from urllib.parse import quote, urlencode, urlsplit

import pytest
import sqlalchemy as sa
from flask import request_started
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import IntegerConverter, PathConverter, UnicodeConverter
from werkzeug.routing.exceptions import RequestRedirect

from portal import create_app
from portal.extensions import db as _db
from portal.models import Role
from tests.conftest import Auth, config_for

EXPLORE = os.environ.get("FUZZ_EXPLORE") == "1"
# Generated examples per rule and method, on top of the explicit examples (the valid matrix
# request as a few principals, `Fuzzer.explicit`). 25 keeps the file near 30 s per database; the
# explicit examples reach the deep code paths, the generated ones try to break them.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "200")) if EXPLORE else 25
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not EXPLORE,
    database=None,
    print_blob=True,
    # The world is seeded once per module and every example runs in its own rolled-back
    # savepoint, so the module fixture is the same for every example by construction.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

ANONYMOUS = "anonymous"
CITIZEN_OWN = "citizen:own"
CITIZEN_OTHER = "citizen:other"
PRINCIPALS = [ANONYMOUS, *(role.value for role in Role), CITIZEN_OWN, CITIZEN_OTHER]
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
CONVERTERS = (IntegerConverter, UnicodeConverter, PathConverter)
# The DigiD sign-in answers 503 with its sign-in page when DigiD is unavailable or not configured
# (portal/citizen_views.py): a deliberate answer, not a failure.
DIGID_UNAVAILABLE = {"citizen.digid_start", "citizen.digid_callback"}
# Files, not pages: no forms to discover in them.
DOWNLOADS = (".pdf", ".json", ".csv", ".xlsx", ".css", ".js")
_ARGUMENT = re.compile(r"<(?:(?P<converter>[a-zA-Z_]+)(?:\([^)]*\))?:)?(?P<name>\w+)>")


def _url_map_cases(application) -> list[tuple[str, str, str]]:
    cases = []
    for rule in application.url_map.iter_rules():
        for method in sorted((rule.methods or set()) & set(METHODS)):
            cases.append((rule.endpoint, rule.rule, method))
    return sorted(cases)


# The URL map is read from an app built at collection time; `test_every_rule_is_fuzzed` checks it
# is the same map as the app under test.
CASES = _url_map_cases(create_app(config_for("sqlite://")))


def _is_json_rule(rule: str) -> bool:
    return rule.startswith("/api/") or rule.endswith(".json")


# --- values -----------------------------------------------------------------------------------

_characters = st.characters(codec="utf-8", exclude_categories=["Cs"])
junk_text = st.text(alphabet=_characters, max_size=120)
nasty = st.sampled_from(
    [
        "",
        " ",
        "0",
        "-1",
        "1.5",
        "9" * 40,
        str(2**31),
        str(2**63),
        "1e309",
        "NaN",
        "2026-02-30",
        "0000-00-00",
        "9999-12-31",
        "2026-03-03T10:00:00+01:00",
        "2026-03-03T10:00:00 01:00",
        "99999-01-01T00:00:00Z",
        "on",
        "true",
        "null",
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "Eva\x00Bos",
        "\u202eevil",
        "../../etc/passwd",
        "%00",
        "x" * 5000,
    ]
)
huge_ints = st.sampled_from([0, -1, 2**31 - 1, 2**31, 2**32, 2**63 - 1, 2**63, 10**30])


@dataclass
class Call:
    principal: str
    url: str
    query: list = field(default_factory=list)
    body_kind: str = "none"  # none | form | json | raw
    body: object = None
    accept_json: bool = False
    api_key: Optional[str] = None

    def __repr__(self) -> str:  # short enough to read in a failure report
        return (
            f"Call({self.principal!r}, {self.url!r}, query={self.query!r}, "
            f"{self.body_kind}={self.body!r}, accept_json={self.accept_json}, "
            f"api_key={'…' if self.api_key else None})"
        )


# --- discovering the forms ----------------------------------------------------------------------


class _FormParser(HTMLParser):
    """The forms of a page: action, method, and per field name the values the page offers."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._select: Optional[str] = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.forms.append(
                {
                    "action": attributes.get("action") or "",
                    "method": (attributes.get("method") or "get").upper(),
                    "fields": {},
                }
            )
            return
        if not self.forms:
            return
        fields = self.forms[-1]["fields"]
        name = attributes.get("name")
        if tag in ("input", "textarea", "button") and name:
            values = fields.setdefault(name, set())
            if attributes.get("value") is not None:
                values.add(attributes["value"])
        elif tag == "select" and name:
            fields.setdefault(name, set())
            self._select = name
        elif tag == "option" and self._select and attributes.get("value") is not None:
            fields[self._select].add(attributes["value"])

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def _wtforms_field_names() -> set[str]:
    from flask_wtf import FlaskForm
    from wtforms.fields.core import UnboundField

    names, pending = set(), [FlaskForm]
    while pending:
        form_class = pending.pop()
        pending.extend(form_class.__subclasses__())
        for name in dir(form_class):
            if isinstance(getattr(form_class, name, None), UnboundField):
                names.add(name)
    return names


# --- the seeded world -------------------------------------------------------------------------


def _seed_world():
    """The access matrix's world (tests/test_access_matrix.py) with every rule module's seed, so
    the matrix's valid requests work here too; plus API keys."""
    from consent.apikeys import create_api_key, revoke_api_key
    from portal.models import Partner
    from tests.test_access_matrix import build_world

    world = build_world()
    team_partner = _db.session.get(Partner, world.partner)
    outside_partner = _db.session.get(Partner, world.extra["outside_partner"])
    _key, team_key = create_api_key(None, team_partner, "Fuzz zaaksysteem")
    _key, outside_key = create_api_key(None, outside_partner, "Fuzz buiten")
    revoked, revoked_key = create_api_key(None, team_partner, "Fuzz ingetrokken")
    revoke_api_key(None, revoked)
    world.extra["api_keys"] = [team_key, outside_key, revoked_key]
    return world


def _existing_ids() -> list[int]:
    """Every id in the database: ids of the wrong kind are as interesting as the right ones."""
    ids: set[int] = set()
    for table in _db.metadata.sorted_tables:
        column = table.columns.get("id")
        if column is not None and isinstance(column.type, sa.Integer):
            ids.update(_db.session.scalars(sa.select(column).limit(200)))
    return sorted(ids)


def _api_values() -> dict[str, list[str]]:
    from portal.models import DataDomain, Partner

    domains = [d.code for d in _db.session.scalars(sa.select(DataDomain)) if d.code]
    partners = [p.code for p in _db.session.scalars(sa.select(Partner)) if p.code]
    return {
        "domain": domains,
        "source_partner": partners,
        "purpose": ["plan", "regie", "overlast"],
        "bsn": ["111222333", "123456782"],
    }


# --- the fuzzer ---------------------------------------------------------------------------------


class Fuzzer:
    def __init__(self, app, connection, world):
        self.app = app
        self.connection = connection
        self.world = world
        self.adapter = app.url_map.bind("localhost")
        self.users = {role.value: user.get_id() for role, user in world.users.items()}
        self.citizens = {CITIZEN_OWN: world.own_person, CITIZEN_OTHER: world.other_person}
        self.baselines: dict[tuple[str, str], Call] = {}  # (endpoint, method) -> valid request
        self.form_fields: dict[tuple[str, str], dict[str, set]] = {}
        self.all_field_names = sorted(_wtforms_field_names())
        self.ids: list[int] = []
        self.api_values: dict[str, list[str]] = {}
        self.reached: set[tuple[str, str]] = set()
        self.errors: list[str] = []
        self.api_parameters: list[str] = []

    # Each request runs in a savepoint rolled back afterwards: every example sees the seeded world.
    def send(self, call: Call, method: str):
        savepoint = self.connection.begin_nested()
        try:
            client = self.app.test_client()
            self._sign_in(client, call.principal)
            headers = {}
            if call.accept_json:
                headers["Accept"] = "application/json"
            if call.api_key is not None:
                headers["Authorization"] = call.api_key
            url = call.url + ("?" + urlencode(call.query) if call.query else "")
            kwargs: dict = {"headers": headers}
            if call.body_kind == "form":
                kwargs["data"] = call.body
            elif call.body_kind == "json":
                kwargs["json"] = call.body
            elif call.body_kind == "raw":
                kwargs["data"] = call.body
                kwargs["content_type"] = "application/x-www-form-urlencoded"
            response = client.open(url, method=method, **kwargs)
            try:
                body = response.get_data()
                return response.status_code, response.headers.get("Content-Type", ""), body
            finally:
                response.close()
        finally:
            _db.session.remove()
            savepoint.rollback()

    def _sign_in(self, client, principal: str) -> None:
        auth = Auth(self.app, client)
        if principal in self.users:
            auth.login(SimpleNamespace(get_id=lambda: self.users[principal]))
        elif principal in self.citizens:
            auth.login_citizen(SimpleNamespace(id=self.citizens[principal]))

    def route(self, path: str, method: str) -> Optional[tuple[str, str]]:
        """(endpoint, rule) that `path` reaches with `method`, None when routing answers."""
        try:
            rule, _args = self.adapter.match(path, method=method, return_rule=True)
        except (NotFound, MethodNotAllowed, RequestRedirect, HTTPException):
            return None
        return rule.endpoint, rule.rule

    def discover(self) -> None:
        """Baselines from the access matrix, then the forms on every page the baselines open."""
        for endpoint, (method, url_for, data_for, _expected) in matrix_rules().items():
            url = url_for(self.world, "own")
            data = data_for(self.world) if data_for else None
            path, _sep, query = url.partition("?")
            query_pairs = [tuple(pair.split("=", 1)) for pair in query.split("&") if "=" in pair]
            self.baselines[(endpoint, method)] = Call(
                ANONYMOUS,
                path,
                query=query_pairs,
                body_kind="none" if data is None else "json" if _is_json_rule(path) else "form",
                body=data,
            )
        # The other methods of a matrix route use the same URL (a GET page posts to itself).
        for endpoint, _rule, method in CASES:
            if (endpoint, method) in self.baselines:
                continue
            sibling = next(
                (call for (e, _m), call in self.baselines.items() if e == endpoint), None
            )
            if sibling is not None:
                self.baselines[(endpoint, method)] = Call(
                    ANONYMOUS, sibling.url, body_kind="form" if method != "GET" else "none",
                    body={} if method != "GET" else None,
                )
        pages = sorted(
            {
                (endpoint, call.url)
                for (endpoint, method), call in self.baselines.items()
                if method == "GET" and not call.url.endswith(DOWNLOADS)
            }
        )
        rules = {endpoint: rule for endpoint, rule, _method in CASES}
        for endpoint, page in pages:
            for call in self.explicit(endpoint, rules[endpoint], "GET"):
                status, content_type, body = self.send(Call(call.principal, page), "GET")
                if status != 200 or "html" not in content_type:
                    continue
                parser = _FormParser()
                parser.feed(body.decode("utf-8", "replace"))
                for form in parser.forms:
                    action = urlsplit(form["action"] or page).path or page
                    routed = self.route(action, form["method"])
                    if routed is None:
                        continue
                    fields = self.form_fields.setdefault((routed[0], form["method"]), {})
                    for name, values in form["fields"].items():
                        fields.setdefault(name, set()).update(values)
                        self.all_field_names.append(name)
                    target = (routed[0], form["method"])
                    if target not in self.baselines and form["method"] != "GET":
                        self.baselines[target] = Call(
                            ANONYMOUS,
                            action,
                            body_kind="form",
                            body={n: sorted(v)[0] if v else "" for n, v in form["fields"].items()},
                        )
        self.all_field_names = sorted(set(self.all_field_names))

    def baseline(self, endpoint: str, rule: str, method: str) -> Call:
        known = self.baselines.get((endpoint, method))
        if known is not None:
            return known
        # A route the matrix does not know yet: existing ids for its arguments, no body.
        url = _ARGUMENT.sub(lambda m: str(self.ids[0]) if self.ids else "1", rule)
        return Call(ANONYMOUS, url, body_kind="form" if method != "GET" else "none", body={})

    # --- strategies --------------------------------------------------------------------------

    def int_argument(self, known: Optional[str]):
        existing = [str(i) for i in self.ids]
        choices = ([known] if known else []) + existing[:50]
        return st.one_of(
            st.sampled_from(choices or ["1"]),
            st.integers(min_value=0, max_value=2**31 - 1).map(str),
            huge_ints.map(str),
            st.sampled_from(existing[:20] or ["1"]).map(lambda s: "00" + s),
        )

    def text_argument(self, path: bool, known: Optional[str]):
        generated = st.one_of(junk_text, nasty).filter(bool)
        if path:
            generated = st.one_of(
                generated,
                st.lists(st.sampled_from(["..", ".", "portal.css", "%2e%2e", "x"]), min_size=1,
                         max_size=4).map("/".join),
            )
        choices = st.sampled_from([known]) if known else generated
        return st.one_of(choices, generated).map(
            lambda value: quote(value, safe="/" if path else "")
        )

    def url_strategy(self, rule_string: str, base: Call):
        rule = next(r for r in self.app.url_map.iter_rules() if r.rule == rule_string)
        routed = self._known_arguments(base.url, rule_string)
        parts = []
        position = 0
        for match in _ARGUMENT.finditer(rule_string):
            parts.append(st.just(rule_string[position:match.start()]))
            name = match.group("name")
            converter = rule._converters[name]
            known = routed.get(name)
            if isinstance(converter, IntegerConverter):
                parts.append(self.int_argument(known))
            else:
                parts.append(self.text_argument(isinstance(converter, PathConverter), known))
            position = match.end()
        parts.append(st.just(rule_string[position:]))
        return st.tuples(*parts).map("".join)

    def _known_arguments(self, url: str, rule_string: str) -> dict[str, str]:
        """The baseline URL's arguments as text, to mix in as they are."""
        pattern = re.escape(rule_string)
        for match in _ARGUMENT.finditer(rule_string):
            pattern = pattern.replace(re.escape(match.group(0)), f"(?P<{match.group('name')}>.+?)")
        found = re.fullmatch(pattern, url)
        return found.groupdict() if found else {}

    def value(self, name: str, offered: set) -> st.SearchStrategy:
        options = sorted(offered) + self.api_values.get(name, [])
        return st.one_of(
            st.sampled_from(options) if options else nasty,
            nasty,
            junk_text,
            st.sampled_from([str(i) for i in self.ids[:30]] or ["1"]),
            huge_ints.map(str),
        )

    def query_strategy(self, endpoint: str, base: Call):
        names = set(self.form_fields.get((endpoint, "GET"), {})) | {n for n, _v in base.query}
        names |= set(self.api_values) | {"next", "page", "q", "status", "sort", "from", "to"}
        if endpoint.startswith("api."):
            names |= set(self.api_parameters)
        offered = self.form_fields.get((endpoint, "GET"), {})
        pair = st.sampled_from(sorted(names)).flatmap(
            lambda n: st.tuples(st.just(n), self.value(n, offered.get(n, set())))
        )
        return st.one_of(
            st.just(list(base.query)),
            st.lists(st.one_of(pair, st.tuples(junk_text, junk_text)), max_size=6),
            st.lists(pair, max_size=4).map(lambda extra: list(base.query) + extra),
        )

    def form_strategy(self, endpoint: str, method: str, base: Call):
        offered = self.form_fields.get((endpoint, method), {})
        base_data = dict(base.body) if isinstance(base.body, dict) else {}
        names = sorted(set(offered) | set(base_data))
        known = st.sampled_from(names) if names else st.sampled_from(self.all_field_names)
        any_name = st.one_of(known, st.sampled_from(self.all_field_names), junk_text)
        overlay = st.dictionaries(
            any_name, any_name.flatmap(lambda n: self.value(n, offered.get(n, set()))), max_size=8
        )
        dropped = st.lists(known, max_size=3)
        return st.tuples(overlay, dropped).map(
            lambda od: {
                **{k: v for k, v in base_data.items() if k not in od[1]},
                **od[0],
            }
        )

    def body_strategy(self, endpoint: str, method: str, base: Call):
        if method == "GET":
            return st.just(("none", None))
        scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), junk_text)
        nested = st.one_of(scalar, st.lists(scalar, max_size=4))
        json_value = st.one_of(
            scalar,
            st.lists(nested, max_size=4),
            st.dictionaries(st.one_of(junk_text, st.sampled_from(self.all_field_names)), nested,
                            max_size=6),
        )
        options = [
            self.form_strategy(endpoint, method, base).map(lambda d: ("form", d)),
            self.form_strategy(endpoint, method, base).map(lambda d: ("form", d)),
            json_value.map(lambda v: ("json", v)),
            st.binary(max_size=200).map(lambda b: ("raw", b)),
        ]
        if endpoint.startswith("api.") and self.api_parameters:
            # The API's own fields, over the valid body: most requests get past the JSON checks.
            base_data = dict(base.body) if isinstance(base.body, dict) else {}
            field = st.sampled_from(self.api_parameters)
            value = st.one_of(
                field.flatmap(lambda n: self.value(n, set())), scalar, st.lists(scalar, max_size=2)
            )
            overlay = st.dictionaries(field, value, max_size=4)
            dropped = st.lists(field, max_size=2)
            api_object = st.tuples(overlay, dropped).map(
                lambda od: {**{k: v for k, v in base_data.items() if k not in od[1]}, **od[0]}
            )
            options += [api_object.map(lambda d: ("json", d))] * 3
        return st.one_of(*options)

    def calls(self, endpoint: str, rule: str, method: str):
        base = self.baseline(endpoint, rule, method)
        keys = self.world.extra["api_keys"]
        api_key = st.one_of(
            st.none(),
            st.sampled_from(keys).map(lambda k: f"Bearer {k}"),
            st.sampled_from(keys).map(lambda k: f"Bearer {k[:12]}" + "x" * 43),
            st.one_of(junk_text, nasty).map(lambda v: f"Bearer {v}"),
            junk_text,
        ).map(_header_value)
        return st.builds(
            lambda principal, url, query, body, accept_json, key: Call(
                principal, url, query, body[0], body[1], accept_json, key
            ),
            st.sampled_from(PRINCIPALS),
            self.url_strategy(rule, base),
            self.query_strategy(endpoint, base),
            self.body_strategy(endpoint, method, base),
            st.booleans(),
            api_key if endpoint.startswith("api.") else st.none(),
        )

    def explicit(self, endpoint: str, rule: str, method: str) -> list[Call]:
        """The valid request anonymously, as a citizen on the citizen portal, and as the first
        and last staff role the access matrix lets in (with the partner's API key for the API).
        That every role gets the matrix's status for it is tests/test_access_matrix.py's job."""
        base = self.baseline(endpoint, rule, method)
        key = f"Bearer {self.world.extra['api_keys'][0]}" if endpoint.startswith("api.") else None
        principals = [ANONYMOUS]
        if rule.startswith("/mijn"):
            principals.append(CITIZEN_OWN)
        entry = matrix_rules().get(endpoint)
        if entry is not None and entry[0] == method:
            allowed = [role.value for role in Role if entry[3](role, "own") not in (403, 404)]
            principals.extend(dict.fromkeys(allowed[:1] + allowed[-1:]))
        else:
            principals.extend([Role.PROCESREGISSEUR.value, Role.PRIVACY_DESK.value, "admin"])
        return [
            Call(p, base.url, list(base.query), base.body_kind, base.body, False, key)
            for p in principals
        ]


def _body_fields(document: dict) -> set[str]:
    """The field names of the API's JSON request bodies (their schemas, $refs followed)."""
    names = set()
    for path in document["paths"].values():
        for operation in path.values():
            content = (operation.get("requestBody") or {}).get("content", {})
            schema = content.get("application/json", {}).get("schema", {})
            if "$ref" in schema:
                schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
            names |= set(schema.get("properties", {}))
    return names


def _header_value(value: Optional[str]) -> Optional[str]:
    """A header value as a client can send it: no line breaks (the test client refuses them)."""
    return None if value is None else re.sub(r"[\r\n]", " ", value)


def matrix_rules() -> dict:
    from tests.test_access_matrix import RULES

    return RULES


class _Errors(logging.Handler):
    """Keeps the traceback the app logs for an unhandled error, for the failure message."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record):
        self.records.append(self.format(record))


@pytest.fixture(scope="module")
def fuzzer(app):
    """The world, seeded once for the module in an outer transaction that is rolled back at the
    end (like the `db` fixture, but per module: hypothesis runs many examples per test)."""
    connection = _db.engine.connect()
    outer = connection.begin()
    _db.session.remove()
    _db.session.configure(bind=connection, join_transaction_mode="create_savepoint")
    errors = _Errors()
    app.logger.addHandler(errors)
    try:
        with app.app_context():
            world = _seed_world()
            _db.session.commit()
            fuzz = Fuzzer(app, connection, world)
            fuzz.ids = _existing_ids()
            fuzz.api_values = _api_values()
        fuzz.errors = errors.records
        status, _type, body = fuzz.send(Call(ANONYMOUS, "/api/v1/openapi.json"), "GET")
        assert status == 200
        document = json.loads(body)
        fuzz.api_parameters = sorted(
            {
                parameter["name"]
                for path in document["paths"].values()
                for operation in path.values()
                if isinstance(operation, dict)
                for parameter in operation.get("parameters", [])
                if isinstance(parameter, dict) and "name" in parameter
            }
            | _body_fields(document)
        )
        fuzz.discover()

        def _reached(sender, **extra):
            from flask import request

            if request.url_rule is not None:
                fuzz.reached.add((request.url_rule.endpoint, request.method))

        request_started.connect(_reached, app)
        try:
            yield fuzz
        finally:
            request_started.disconnect(_reached, app)
    finally:
        app.logger.removeHandler(errors)
        _db.session.remove()
        outer.rollback()
        connection.close()
        _db.session.configure(bind=_db.engine)


def check(fuzz: Fuzzer, call: Call, method: str) -> None:
    del fuzz.errors[:]
    status, content_type, body = fuzz.send(call, method)
    routed = fuzz.route(call.url, method)
    if status == 503 and routed is not None and routed[0] in DIGID_UNAVAILABLE:
        # DigiD is not configured in the tests: the sign-in page says so with a 503, on purpose.
        assert b"DigiD" in body, f"{method} {call!r}: a 503 without the DigiD message"
        return
    assert status < 500, (
        f"{method} {call!r} answered {status}\n" + "\n".join(fuzz.errors[-1:])
    )
    if status >= 400 and routed is not None and _is_json_rule(routed[1]):
        assert "json" in content_type, f"{method} {call!r}: error {status} is not JSON"
        error = json.loads(body).get("error")
        assert isinstance(error, dict) and error.get("code"), (
            f"{method} {call!r}: JSON error {status} without a code: {body[:200]!r}"
        )


@pytest.mark.parametrize(("endpoint", "rule", "method"), CASES, ids=[
    f"{method} {rule}" for _endpoint, rule, method in CASES
])
def test_route_never_answers_500(fuzzer, endpoint, rule, method):
    def run(call):
        check(fuzzer, call, method)

    for call in fuzzer.explicit(endpoint, rule, method):
        run = example(call=call)(run)
    fuzzer.reached.discard((endpoint, method))
    SETTINGS(given(call=fuzzer.calls(endpoint, rule, method))(run))()
    assert (endpoint, method) in fuzzer.reached, (
        f"no request of the fuzzer reached {method} {rule}: give its route a valid request in "
        "the access matrix (tests/matrix) so the fuzzer starts from it"
    )


def test_every_rule_is_fuzzed(app):
    """A new route is fuzzed without being named here; a converter the fuzzer cannot fill fails."""
    assert _url_map_cases(app) == CASES
    assert {method for _e, _r, method in CASES} <= set(METHODS)
    for rule in app.url_map.iter_rules():
        for name, converter in rule._converters.items():
            assert isinstance(converter, CONVERTERS), (
                f"{rule.rule}: the fuzzer cannot generate <{name}> ({type(converter).__name__})"
            )
        unfuzzed = (rule.methods or set()) - set(METHODS) - {"HEAD", "OPTIONS"}
        assert not unfuzzed, f"{rule.rule}: methods the fuzzer does not send: {unfuzzed}"
