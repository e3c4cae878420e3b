"""The exact inputs with which tests/test_fuzz.py found a 500 or a wrong error format, as regular
tests: each failed before its fix."""

from __future__ import annotations

import pytest
from werkzeug.exceptions import NotFound

from portal.models import Role
from tests import factories as f


# A JSON body on a form: Flask-WTF read it as form data and failed on anything but a flat object
# of strings (TypeError: 'bool' object is not iterable), a 500 on every form. Found with
# POST /auth/login and body `true`. The forms now read form data only (portal/forms.py).
@pytest.mark.parametrize("body", [True, [1], {"email": {"a": 1}}, None, "tekst", 3.5])
def test_json_body_on_the_sign_in_form_is_an_empty_form(client, body):
    response = client.post("/auth/login", json=body)
    assert response.status_code == 200
    assert "Vul uw e-mailadres in." in response.get_data(as_text=True)


def test_json_body_on_a_staff_form_gets_the_messages_of_an_empty_form(client, auth, seed):
    with seed():
        regisseur = f.user(Role.PROCESREGISSEUR)
        case = f.case(procesregisseur=regisseur)
        person_id = f.person(case.household, given_name="Eva").id
    auth.login(regisseur)
    response = client.post(f"/persons/{person_id}/edit", json=[{"given_name": "X"}])
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Controleer het formulier" in page
    response = client.post(f"/persons/{person_id}/edit", json={"given_name": ["a", {"b": 1}]})
    assert response.status_code == 422


def test_json_body_does_not_change_a_form_shown_with_get(client, auth, seed):
    with seed():
        regisseur = f.user(Role.PROCESREGISSEUR)
        case = f.case(procesregisseur=regisseur)
        person_id = f.person(case.household, given_name="Eva").id
    auth.login(regisseur)
    response = client.open(f"/persons/{person_id}/edit", method="GET", json=True)
    assert response.status_code == 200
    assert 'value="Eva"' in response.get_data(as_text=True)


# A .json address answered its errors with the HTML error page. Found with GET
# /persons/1/consents/receipt.json and /requests/13/access-report.json signed in as the
# administrator (403). Errors of .json addresses are JSON with a code now (portal/errors.py).
def test_errors_of_the_receipt_download_are_json_with_a_code(client, auth, seed):
    with seed():
        admin = f.user(Role.ADMIN)
        desk = f.user(Role.PRIVACY_DESK)
        case = f.case()
        person_id = f.person(case.household).id
    auth.login(admin)
    response = client.get(f"/persons/{person_id}/consents/receipt.json")
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    auth.login(desk)
    response = client.get("/persons/999999/consents/receipt.json")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_errors_of_the_access_report_json_are_json_with_a_code(client, auth, seed):
    with seed():
        admin = f.user(Role.ADMIN)
        desk = f.user(Role.PRIVACY_DESK)
    auth.login(admin)
    response = client.get("/requests/13/access-report.json")
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    auth.login(desk)
    response = client.get("/requests/999999/access-report.json")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_html_pages_keep_the_html_error_page(client, auth, seed):
    with seed():
        admin = f.user(Role.ADMIN)
    auth.login(admin)
    response = client.get("/requests/13")
    assert response.status_code == 403
    assert response.mimetype == "text/html"


# An id beyond the 32-bit id columns reached the SQL: SQLite raised OverflowError ("Python int
# too large to convert to SQLite INTEGER"), PostgreSQL "integer out of range", a 500 on every
# route with an id. Found with GET /persons/9223372036854775808 and 54 more routes. Such an id
# cannot exist: routing answers 404 (portal/routing.py).
@pytest.mark.parametrize("number", [2**31, 2**32, 2**63, 10**30])
def test_an_id_beyond_the_id_columns_is_not_found(client, auth, seed, number):
    with seed():
        regisseur = f.user(Role.PROCESREGISSEUR)
        case = f.case(procesregisseur=regisseur)
        person_id = f.person(case.household).id
    auth.login(regisseur)
    for url in (
        f"/persons/{number}",
        f"/persons/{number}/edit",
        f"/letters/{number}.pdf",
        f"/cases/{case.id}/persons/{number}/consents/new",
        f"/persons/{person_id}/cases/{number}/letters/preview.pdf",
        f"/reuse/{number}",
    ):
        assert client.get(url).status_code == 404, url
    response = client.post(f"/cases/{number}/legal-basis/new", data={})
    assert response.status_code == 404


def test_the_largest_id_still_reaches_the_view(app):
    adapter = app.url_map.bind("localhost")
    assert adapter.match(f"/persons/{2**31 - 1}") == (
        "portal.person_detail",
        {"person_id": 2**31 - 1},
    )
    with pytest.raises(NotFound):
        adapter.match(f"/persons/{2**31}")


def test_a_huge_id_in_the_citizen_portal_is_not_found(client, auth, seed):
    with seed():
        person = f.person()
    auth.login_citizen(person)
    for url in (f"/mijn/{2**63}/brieven", f"/mijn/{person.id}/verzoeken/{2**63}"):
        assert client.get(url).status_code == 404, url


def test_a_huge_id_on_a_json_address_is_a_json_404(client, auth, seed):
    with seed():
        desk = f.user(Role.PRIVACY_DESK)
    auth.login(desk)
    response = client.get(f"/requests/{2**63}/access-report.json")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
