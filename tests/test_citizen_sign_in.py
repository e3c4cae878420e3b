"""The citizen portal's sign-in without DigiD (issue 5, point 1): the one-time code from a letter
(typed or by QR link), the DigiD mock that exists only in demo mode, signing out, the idle
timeout that loses nothing, and who reaches which file (the person's own and their minors').
The DigiD flow itself is in tests/test_citizen_oidc.py.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Blueprint
from wtforms import SelectMultipleField, TextAreaField

from portal import auth, citizen, create_app
from portal.audit import AuditEntry
from portal.citizen import RESUME_KEY, SESSION_KEY
from portal.extensions import db as _db
from portal.forms import PortalForm, choices
from portal.letters import access_codes
from portal.letters.access_codes import MESSAGES
from portal.letters.models import AccessCode
from portal.models import Person, Role, utcnow
from tests import factories as f
from tests.conftest import config_for

BSN = "123456782"
PRODUCTION = {
    "PORTAL_ENV": "production",
    "SECRET_KEY": "s" * 32,
    "LOOKUP_KEY": "l" * 32,
    "ENCRYPTION_KEYS": ["bm90LWEtZGV2LWtleS1idXQtYS10ZXN0LWtleSEhISE="],
}


@contextmanager
def separate_app(config: dict):
    """An app of its own, on a database of its own. portal/database.py keeps one engine for the
    process, so the suite's engine is put back afterwards."""
    suite_engine = _db.engine
    application = create_app(config)
    try:
        with application.app_context():
            _db.create_all()
        yield application
    finally:
        _db.session.remove()
        _db.engine.dispose()
        _db.engine = suite_engine
        _db.session.configure(bind=suite_engine)


def _text(response) -> str:
    return response.get_data(as_text=True)


def _signed_in(client):
    with client.session_transaction() as session:
        return session.get(SESSION_KEY)


@pytest.fixture
def family(seed):
    """A parent with a child they represent, the child's sibling of age, and a neighbour."""
    with seed():
        parent = f.person(bsn=BSN)
        child = f.person(parent.household, given_name="Tim", legal_representative=parent)
        adult_child = f.person(parent.household, given_name="Sara")
        neighbour = f.person(bsn="111222333")
        issued = access_codes.issue_code(parent, actor=None)
        second = access_codes.issue_code(parent, actor=None)
        return {
            "second_code": second.code,
            "parent": parent.id,
            "child": child.id,
            "adult_child": adult_child.id,
            "neighbour": neighbour.id,
            "code": issued.code,
            "token": issued.token,
            "code_id": issued.row.id,
        }


# --- the code from a letter -------------------------------------------------------------------


def test_typed_code_signs_in_and_lands_on_the_home_page(client, family):
    response = client.post("/mijn/code", data={"code": family["code"]})

    assert response.status_code == 302
    assert response.headers["Location"] == "/mijn"
    assert _signed_in(client) == {"person_id": family["parent"], "method": "letter_code"}
    home = client.get("/mijn")
    assert home.status_code == 200
    assert "Mijn overzicht" in _text(home)


def test_typed_code_may_be_lower_case_with_spaces_and_returns_to_next(client, family):
    typed = family["code"].lower().replace("-", " ")
    response = client.post(f"/mijn/code?next=/mijn/{family['child']}/inzage", data={"code": typed})
    assert response.headers["Location"] == f"/mijn/{family['child']}/inzage"


def test_next_never_leads_outside_the_citizen_portal(client, family):
    response = client.post("/mijn/code?next=//evil.example/mijn", data={"code": family["code"]})
    assert response.headers["Location"] == "/mijn"


def test_qr_link_shows_a_button_and_does_not_use_the_code(client, family, ctx):
    page = client.get(f"/mijn/code/{family['token']}")

    assert page.status_code == 200
    assert "Inloggen" in _text(page)
    assert _signed_in(client) is None
    assert access_codes.code_state(_db.session.get(AccessCode, family["code_id"])) == "open"


def test_qr_link_signs_in(client, family):
    response = client.post(f"/mijn/code/{family['token']}")
    assert response.status_code == 302
    assert _signed_in(client)["person_id"] == family["parent"]


def test_wrong_code(client, family):
    response = client.post("/mijn/code", data={"code": "ABCD-EFGH-JKLM"})
    assert response.status_code == 422
    assert MESSAGES["invalid"] in _text(response)
    assert _signed_in(client) is None


def test_altered_qr_link(client, family):
    token = family["token"]
    altered = token[:-1] + ("A" if token[-1] != "A" else "B")
    response = client.post(f"/mijn/code/{altered}")
    assert response.status_code == 422
    assert MESSAGES["invalid"] in _text(response)
    assert _signed_in(client) is None


def test_used_code(client, family):
    assert client.post("/mijn/code", data={"code": family["code"]}).status_code == 302
    client.post("/mijn/uitloggen")

    again = client.post("/mijn/code", data={"code": family["code"]})
    qr = client.post(f"/mijn/code/{family['token']}")

    assert again.status_code == 422 and MESSAGES["used"] in _text(again)
    assert qr.status_code == 422 and MESSAGES["used"] in _text(qr)
    assert _signed_in(client) is None


def test_expired_code(client, seed):
    with seed():
        person = f.person()
        old = access_codes.issue_code(person, actor=None, now=utcnow() - timedelta(days=61))
        code = old.code
    response = client.post("/mijn/code", data={"code": code})
    assert response.status_code == 422
    assert MESSAGES["expired"] in _text(response)


def test_revoked_code(client, seed):
    with seed():
        person = f.person()
        issued = access_codes.issue_code(person, actor=None)
        access_codes.revoke_code(f.user(Role.PRIVACY_DESK), issued.row)
        code = issued.code
    response = client.post("/mijn/code", data={"code": code})
    assert response.status_code == 422
    assert MESSAGES["revoked"] in _text(response)


def test_empty_code(client):
    response = client.post("/mijn/code", data={"code": ""})
    assert response.status_code == 422
    assert "Vul de code van uw brief in." in _text(response)


def test_typed_codes_are_rate_limited_per_address(client, family, app, monkeypatch, ctx):
    """Guessing stops at the limit: after it even the right code is not looked at."""
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", 3)
    for _ in range(3):
        assert client.post("/mijn/code", data={"code": "ABCD-EFGH-JKLM"}).status_code == 422

    blocked = client.post("/mijn/code", data={"code": family["code"]})
    other_address = client.post(
        "/mijn/code",
        data={"code": family["code"]},
        environ_base={"REMOTE_ADDR": "192.0.2.10"},
    )

    assert blocked.status_code == 429
    assert "Te vaak" in _text(blocked)
    assert other_address.status_code == 302  # the limit is per client address
    # The staff sign-in of portal/auth.py keeps its own count for the same address.
    assert not auth.rate_limited("127.0.0.1")


def test_a_parent_reaches_the_childs_file_not_a_neighbours(client, family):
    client.post("/mijn/code", data={"code": family["code"]})

    home = _text(client.get("/mijn"))
    assert f"/mijn/{family['child']}/inzage" in home
    assert f"/mijn/{family['adult_child']}/inzage" not in home
    assert client.get(f"/mijn/{family['child']}/inzage").status_code == 200
    # Changing the id in the address: someone else's file does not exist for this person.
    assert client.get(f"/mijn/{family['neighbour']}/inzage").status_code == 404
    assert client.get(f"/mijn/{family['adult_child']}/inzage").status_code == 404
    assert client.get("/mijn/999999/inzage").status_code == 404


def test_a_child_does_not_reach_the_parents_file(client, auth, family, ctx):
    auth.login_citizen(_db.session.get(citizen.Person, family["child"]))
    assert client.get(f"/mijn/{family['child']}/inzage").status_code == 200
    assert client.get(f"/mijn/{family['parent']}/inzage").status_code == 404


def test_staff_are_not_citizens(client, auth, seed, family):
    with seed():
        staff = f.user(Role.PROCESREGISSEUR)
    auth.login(staff)
    response = client.get("/mijn")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/mijn/inloggen")
    assert client.get(f"/mijn/{family['parent']}/inzage").status_code == 302
    # Signing out of the citizen portal does not end a staff session.
    client.post("/mijn/uitloggen")
    assert client.get("/dashboard").status_code == 200


def test_home_lists_sections_per_represented_person_and_audits_the_read(client, family, ctx):
    client.post("/mijn/code", data={"code": family["code"]})
    before = f.count(AuditEntry)

    page = _text(client.get("/mijn"))

    for section in citizen.sections():
        assert str(section.label) in page, section.endpoint
    assert "Over Tim" in page
    assert f.count(AuditEntry) == before + 2  # the parent's own file and the child's


def test_sign_out(client, family, ctx):
    client.post("/mijn/code", data={"code": family["code"]})

    response = client.post("/mijn/uitloggen")

    assert response.status_code == 302
    assert response.headers["Location"] == "/mijn/inloggen"
    assert _signed_in(client) is None
    assert client.get("/mijn").status_code == 302
    last = _db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (last.action, last.person_id, last.purpose) == ("sign_out", family["parent"], "afmelden")


def test_the_language_survives_signing_in(client, family):
    client.post("/language/en", data={"next": "/mijn/code"})
    client.post("/mijn/code", data={"code": family["code"]})
    page = client.get("/mijn")
    assert page.status_code == 200
    assert '<html lang="en">' in _text(page)


def test_accessibility_statement_is_public(client):
    page = client.get("/mijn/toegankelijkheid")
    assert page.status_code == 200
    assert "WCAG 2.1" in _text(page)


# --- idle timeout -----------------------------------------------------------------------------


def _idle(client, minutes: int = 16) -> None:
    with client.session_transaction() as session:
        session["last_seen"] = time.time() - minutes * 60


def test_idle_citizen_session_ends_and_returns_after_signing_in(client, family):
    client.post("/mijn/code", data={"code": family["code"]})
    _idle(client)
    child_page = f"/mijn/{family['child']}/inzage"

    response = client.get(child_page)

    assert response.status_code == 302
    assert response.headers["Location"] == f"/mijn/inloggen?next={child_page}"
    assert _signed_in(client) is None
    sign_in_page = _text(client.get(response.headers["Location"]))
    assert "niet actief" in sign_in_page
    assert f'href="/mijn/code?next={child_page}"' in sign_in_page
    again = client.post(f"/mijn/code?next={child_page}", data={"code": family["second_code"]})
    assert again.headers["Location"] == child_page


def test_active_session_stays(client, family):
    client.post("/mijn/code", data={"code": family["code"]})
    _idle(client, minutes=14)
    assert client.get("/mijn").status_code == 200


def test_an_idle_session_on_a_public_page_just_ends(client, family):
    client.post("/mijn/code", data={"code": family["code"]})
    _idle(client)
    assert client.get("/mijn/toegankelijkheid").status_code == 200
    assert _signed_in(client) is None


# --- the longest session -----------------------------------------------------------------------


def _signed_in_hours_ago(client, app, hours_past_the_limit: float) -> None:
    """Move the start of the session back to SESSION_MAX_HOURS (plus this) ago; still active."""
    limit = app.config["SESSION_MAX_HOURS"] * 3600
    with client.session_transaction() as session:
        session["signed_in_at"] = time.time() - limit - hours_past_the_limit * 3600
        session["last_seen"] = time.time()


def test_signing_in_starts_the_clock_of_the_longest_session(client, family):
    before = time.time()
    client.post("/mijn/code", data={"code": family["code"]})
    with client.session_transaction() as session:
        assert before <= session["signed_in_at"] <= time.time()


def test_an_active_citizen_session_still_ends_after_the_longest_session(app, client, family):
    """ASVS 3.3.2: however active, a session ends SESSION_MAX_HOURS (12) after signing in; the
    same setting and the same rule as a staff session (portal/security.py)."""
    client.post("/mijn/code", data={"code": family["code"]})
    _signed_in_hours_ago(client, app, -1 / 60)  # a minute before the limit
    assert client.get("/mijn").status_code == 200
    assert _signed_in(client) is not None
    _signed_in_hours_ago(client, app, 1 / 3600)  # a second past it
    child_page = f"/mijn/{family['child']}/inzage"

    response = client.get(child_page)

    assert response.status_code == 302
    assert response.headers["Location"] == f"/mijn/inloggen?next={child_page}"
    assert _signed_in(client) is None
    sign_in_page = _text(client.get(response.headers["Location"]))
    assert "al lang ingelogd" in sign_in_page and "niet actief" not in sign_in_page
    # Signing in again starts a new session with a new clock.
    again = client.post(f"/mijn/code?next={child_page}", data={"code": family["second_code"]})
    assert again.headers["Location"] == child_page
    assert client.get(child_page).status_code == 200


def test_the_limit_follows_the_setting(app, client, family, monkeypatch):
    client.post("/mijn/code", data={"code": family["code"]})
    monkeypatch.setitem(app.config, "SESSION_MAX_HOURS", 1)
    _signed_in_hours_ago(client, app, -0.5)  # half an hour ago: within an hour
    assert client.get("/mijn").status_code == 200
    _signed_in_hours_ago(client, app, 0.5)
    assert client.get("/mijn").status_code == 302
    assert _signed_in(client) is None


def test_a_session_from_before_the_limit_starts_counting_now(client, app, auth, family, seed):
    with seed():
        parent = _db.session.get(Person, family["parent"])
    auth.login_citizen(parent)  # a session without a start, as before this rule
    assert client.get("/mijn").status_code == 200
    with client.session_transaction() as session:
        assert session["signed_in_at"] <= time.time()


def test_a_form_sent_after_the_longest_session_is_kept(app_with_a_form):
    application, (code, second, _stranger) = app_with_a_form
    client = application.test_client()
    client.post("/mijn/code", data={"code": code})
    _signed_in_hours_ago(client, application, 1)

    timed_out = client.post("/mijn/test/notitie", data={"note": "bijna klaar", "domains": ["a"]})

    assert timed_out.headers["Location"] == "/mijn/inloggen"
    login_page = _text(client.get("/mijn/inloggen"))
    assert "al lang ingelogd" in login_page and "Wat u invulde is bewaard" in login_page
    client.post("/mijn/code", data={"code": second})
    assert 'value="bijna klaar"' in _text(client.get("/mijn/verder"))


class NoteForm(PortalForm):
    note = TextAreaField("Notitie")
    domains = SelectMultipleField("Leefgebieden", choices=choices([("a", "A"), ("b", "B")]))


@pytest.fixture
def app_with_a_form(tmp_path):
    """An app of its own (own database) with one citizen page that has a form, as the consent and
    requests packages have: the timeout must keep what was typed into any of them."""
    with separate_app(config_for(f"sqlite:///{tmp_path / 'resume.sqlite'}")) as application:
        yield _with_a_citizen_form(application)


def _with_a_citizen_form(application):
    page = Blueprint("resume_test", __name__, url_prefix="/mijn/test")

    @page.route("/notitie", methods=["GET", "POST"])
    @citizen.citizen_required
    def note():
        form = NoteForm()
        if form.validate_on_submit():
            return f"ontvangen: {form.note.data} / {','.join(form.domains.data)}"
        return "formulier"

    application.register_blueprint(page)
    with application.app_context():
        parent = f.person(bsn=BSN)
        stranger = f.person()
        codes = [access_codes.issue_code(p, actor=None).code for p in (parent, parent, stranger)]
        _db.session.commit()
    return application, codes


def test_a_form_sent_after_the_timeout_is_kept_and_sent_on_after_signing_in(app_with_a_form):
    application, (code, _second, _stranger) = app_with_a_form
    client = application.test_client()
    client.post("/mijn/code", data={"code": code})
    _idle(client)
    typed = "Ik wil niet dat de woningcorporatie\nmijn schulden kent."

    timed_out = client.post("/mijn/test/notitie", data={"note": typed, "domains": ["a", "b"]})

    assert timed_out.status_code == 302
    assert timed_out.headers["Location"] == "/mijn/inloggen"
    assert _signed_in(client) is None
    login_page = client.get("/mijn/inloggen")
    assert "Wat u invulde is bewaard" in _text(login_page)

    signed_in = client.post("/mijn/code", data={"code": _second})
    assert signed_in.headers["Location"] == "/mijn/verder"
    resume = client.get("/mijn/verder")
    assert resume.status_code == 200
    html = _text(resume)
    assert 'action="/mijn/test/notitie"' in html
    assert "mijn schulden kent." in html

    sent_on = client.post("/mijn/test/notitie", data={"note": typed, "domains": ["a", "b"]})
    assert _text(sent_on) == f"ontvangen: {typed} / a,b"
    # Shown once: afterwards the page sends the person home.
    assert client.get("/mijn/verder").headers["Location"] == "/mijn"


def test_the_hidden_fields_carry_exactly_what_was_typed(app_with_a_form):
    application, (code, second, _stranger) = app_with_a_form
    client = application.test_client()
    client.post("/mijn/code", data={"code": code})
    _idle(client)
    client.post("/mijn/test/notitie", data={"note": 'Quote " & <tag>', "domains": ["b"]})
    client.post("/mijn/code", data={"code": second})
    with client.session_transaction() as session:
        kept = session[RESUME_KEY]
    with application.app_context():
        assert citizen._unpack(kept["data"]) == [("note", 'Quote " & <tag>'), ("domains", "b")]
    html = _text(client.get("/mijn/verder"))
    assert 'value="Quote &#34; &amp; &lt;tag&gt;"' in html


def test_a_kept_form_is_not_handed_to_someone_else(app_with_a_form):
    application, (code, _second, stranger_code) = app_with_a_form
    client = application.test_client()
    client.post("/mijn/code", data={"code": code})
    _idle(client)
    client.post("/mijn/test/notitie", data={"note": "privé"})

    response = client.post("/mijn/code", data={"code": stranger_code})

    assert response.headers["Location"] == "/mijn"
    with client.session_transaction() as session:
        assert RESUME_KEY not in session
    assert client.get("/mijn/verder").headers["Location"] == "/mijn"


def test_a_long_text_is_shortened_and_the_person_told(app_with_a_form):
    application, (code, second, _stranger) = app_with_a_form
    client = application.test_client()
    client.post("/mijn/code", data={"code": code})
    _idle(client)
    client.post("/mijn/test/notitie", data={"note": "x" * 6000})
    client.post("/mijn/code", data={"code": second})
    html = _text(client.get("/mijn/verder"))
    assert "te lang om helemaal te bewaren" in html
    assert "x" * citizen.RESUME_MAX_CHARS in html


# --- the DigiD mock: demo mode only -----------------------------------------------------------


@pytest.fixture
def demo_app(tmp_path):
    config = config_for(f"sqlite:///{tmp_path / 'demo.sqlite'}") | {"DEMO": True}
    with separate_app(config) as application:
        with application.app_context():
            person = f.person(bsn=BSN, given_name="Samira", family_name="Benali")
            _db.session.commit()
            person_id = person.id
        yield application, person_id


def test_demo_mock_signs_in_a_chosen_demo_person(demo_app):
    application, person_id = demo_app
    client = application.test_client()
    page = client.get("/mijn/digid-mock")
    assert page.status_code == 200
    assert "Samira Benali" in _text(page)
    assert "/mijn/digid-mock" in _text(client.get("/mijn/inloggen"))

    response = client.post("/mijn/digid-mock", data={"person_id": person_id})

    assert response.status_code == 302
    assert _signed_in(client) == {"person_id": person_id, "method": "digid_mock"}


def test_demo_mock_signs_in_by_typed_bsn_through_the_keyed_hash(demo_app):
    application, person_id = demo_app
    client = application.test_client()
    response = client.post("/mijn/digid-mock?next=/mijn/toegankelijkheid", data={"bsn": BSN})
    assert response.headers["Location"] == "/mijn/toegankelijkheid"
    assert _signed_in(client)["person_id"] == person_id


def test_demo_mock_unknown_and_invalid_bsn(demo_app):
    application, _person_id = demo_app
    client = application.test_client()
    unknown = client.post("/mijn/digid-mock", data={"bsn": "999999990"})
    invalid = client.post("/mijn/digid-mock", data={"bsn": "123456789"})
    nothing = client.post("/mijn/digid-mock", data={})
    assert unknown.status_code == 422 and "We kennen u nog niet" in _text(unknown)
    assert invalid.status_code == 422 and "elfproef" in _text(invalid)
    assert nothing.status_code == 422 and "Kies een persoon of typ een BSN." in _text(nothing)
    assert _signed_in(client) is None


def test_the_mock_does_not_exist_outside_demo_mode(app, client):
    assert "citizen_demo.digid_mock" not in app.view_functions
    assert client.get("/mijn/digid-mock").status_code == 404
    assert "digid-mock" not in _text(client.get("/mijn/inloggen"))


def test_the_mock_does_not_exist_in_production():
    with separate_app(config_for("sqlite://") | PRODUCTION) as production:
        rules = [rule.rule for rule in production.url_map.iter_rules()]
        assert "citizen_demo.digid_mock" not in production.view_functions
        assert not [rule for rule in rules if "mock" in rule]
        assert "/mijn/code" in rules  # the citizen portal itself is there
        assert production.test_client().get("/mijn/digid-mock").status_code == 404


def test_production_with_demo_mode_refuses_to_start():
    with pytest.raises(RuntimeError, match="Demo"):
        create_app(config_for("sqlite://") | PRODUCTION | {"DEMO": True})


@pytest.mark.parametrize(
    "oidc_config, problem",
    [
        ({"OIDC_ISSUER": "http://broker.example"}, "https"),
        ({"OIDC_ISSUER": "https://broker.example", "OIDC_CLIENT_ID": "portal"}, "CLIENT_SECRET"),
    ],
)
def test_production_refuses_an_unsafe_digid_setting(oidc_config, problem):
    with pytest.raises(RuntimeError, match=problem):
        create_app(config_for("sqlite://") | PRODUCTION | oidc_config)


def test_a_section_is_named_for_whose_file_it_is(client, family, monkeypatch):
    monkeypatch.setattr(
        citizen,
        "citizen_sections",
        [citizen.Section("Mijn testpagina", "citizen.looked", "Testpagina")],
    )
    client.post("/mijn/code", data={"code": family["code"]})

    page = _text(client.get("/mijn"))

    assert page.count("Mijn testpagina") == 1  # on the parent's own file
    assert page.count(">Testpagina<") == 1  # on the child's file


def test_what_was_typed_is_not_readable_in_the_cookie(app_with_a_form):
    """On a shared computer the next user could read the session cookie: it holds the kept form
    only encrypted."""
    application, (code, _second, _stranger) = app_with_a_form
    client = application.test_client()
    client.post("/mijn/code", data={"code": code})
    _idle(client)
    client.post("/mijn/test/notitie", data={"note": "Mijn schulden bij de energiemaatschappij"})

    cookie = client.get_cookie("session")
    serializer = application.session_interface.get_signing_serializer(application)
    stored = serializer.loads(cookie.value)

    assert "energiemaatschappij" not in repr(stored)
    assert isinstance(stored[RESUME_KEY]["data"], bytes)


def test_an_incompressible_long_text_still_fits_in_the_cookie(app_with_a_form):
    import random
    import string

    application, (code, second, _stranger) = app_with_a_form
    client = application.test_client()
    client.post("/mijn/code", data={"code": code})
    _idle(client)
    noise = "".join(random.Random(5).choice(string.ascii_letters) for _ in range(5000))

    client.post("/mijn/test/notitie", data={"note": noise})  # a too large cookie would warn

    assert len(client.get_cookie("session").value) < 4000
    client.post("/mijn/code", data={"code": second})
    html = _text(client.get("/mijn/verder"))
    assert "te lang om helemaal te bewaren" in html
    assert noise[:1000] in html


def test_a_forged_form_is_not_kept(tmp_path):
    """With CSRF protection on (as in production): a timed-out form is kept only when it carries
    this session's token, so another site cannot plant a form to be 'sent on'."""
    import re

    config = config_for(f"sqlite:///{tmp_path / 'csrf.sqlite'}") | {"WTF_CSRF_ENABLED": True}
    with separate_app(config) as application:
        application, (code, second, _stranger) = _with_a_citizen_form(application)
        client = application.test_client()

        def token(path: str) -> str:
            return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', _text(client.get(path)))[1]

        client.post("/mijn/code", data={"code": code, "csrf_token": token("/mijn/code")})
        assert _signed_in(client) is not None
        good = token("/mijn/code")  # a token of this session, as the form page would carry
        _idle(client)

        forged = client.post("/mijn/test/notitie", data={"note": "vervalst", "csrf_token": "x"})
        assert forged.status_code == 400
        with client.session_transaction() as session:
            assert RESUME_KEY not in session

        sent = client.post("/mijn/test/notitie", data={"note": "echt", "csrf_token": good})
        assert sent.headers["Location"] == "/mijn/inloggen"
        with client.session_transaction() as session:
            assert RESUME_KEY in session
        client.post("/mijn/code", data={"code": second, "csrf_token": token("/mijn/code")})
        assert 'value="echt"' in _text(client.get("/mijn/verder"))


def test_the_session_cookie_outlives_the_idle_timeout(client, family, app):
    """The browser must still send the session when a form arrives after the timeout, or there
    would be nothing to keep it with; the timeout itself is the server's (last_seen)."""
    response = client.post("/mijn/code", data={"code": family["code"]})
    cookie = response.headers["Set-Cookie"]
    assert "Expires=" in cookie
    assert app.permanent_session_lifetime > timedelta(minutes=app.config["IDLE_TIMEOUT_MINUTES"])


@pytest.mark.parametrize(
    "target, safe",
    [
        ("/mijn", True),
        ("/mijn/3/inzage?pagina=2", True),
        ("/mijnevil", False),
        ("//evil.example/mijn", False),
        ("https://evil.example/mijn", False),
        ("/dashboard", False),
        ("/mijn/\\evil", False),
        ("", False),
        (None, False),
    ],
)
def test_safe_next(target, safe):
    assert citizen.safe_next(target) == (target if safe else None)
