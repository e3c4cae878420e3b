"""Bad input on the sign-in and person forms (generated with hypothesis): never a 500, a clear
message on the form, and nothing stored."""

from __future__ import annotations

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.audit import AuditEntry
from portal.extensions import db
from portal.models import Person, Role
from tests import factories as f

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
junk = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=300)
field_value = st.one_of(
    junk,
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "-1",
            "9" * 40,
            "2026-02-30",
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "Eva\x00Bos",
        ]
    ),
)


@SETTINGS
@given(email=field_value, password=field_value, code=field_value)
def test_sign_in_forms_never_fail(client, seed, email, password, code):
    response = client.post("/auth/login", data={"email": email, "password": password})
    assert response.status_code in (200, 429)
    assert client.post("/auth/code", data={"code": code}).status_code == 302
    assert client.get("/dashboard").status_code == 302, "nobody is signed in by junk"


def _person_state(person_id):
    person = db.session.get(Person, person_id)
    return (
        person.given_name,
        person.family_name,
        person.birth_date,
        person.bsn_hash,
        person.legal_representative_id,
        person.updated_at,
    )


@SETTINGS
@given(
    given_name=field_value,
    family_name=field_value,
    birth_date=field_value,
    bsn=field_value,
    representative=st.one_of(st.integers(min_value=-5, max_value=10**12).map(str), field_value),
)
def test_person_form_rejects_bad_input_and_stores_nothing(
    app, client, auth, seed, given_name, family_name, birth_date, bsn, representative
):
    with seed():
        regisseur = f.user(Role.PROCESREGISSEUR)
        case = f.case(procesregisseur=regisseur)
        person = f.person(case.household, given_name="Eva", family_name="Bos")
        person_id = person.id
        before = _person_state(person_id)
        audit_before = f.count(AuditEntry)
    auth.login(regisseur)
    data = {
        "given_name": given_name,
        "family_name": family_name,
        "birth_date": birth_date,
        "bsn": bsn,
        "legal_representative_id": representative,
    }
    response = client.post(f"/persons/{person_id}/edit", data=data)
    assert response.status_code in (302, 422), response.status_code
    with seed():
        if response.status_code == 422:
            page = response.get_data(as_text=True)
            assert "Controleer het formulier" in page
            assert _person_state(person_id) == before
            assert f.count(AuditEntry) == audit_before
        else:
            assert db.session.get(Person, person_id).given_name == given_name.strip()


def test_person_form_names_the_wrong_field(client, auth, seed):
    with seed():
        regisseur = f.user(Role.PROCESREGISSEUR)
        case = f.case(procesregisseur=regisseur)
        person_id = f.person(case.household).id
    auth.login(regisseur)
    response = client.post(
        f"/persons/{person_id}/edit",
        data={
            "given_name": "Eva",
            "family_name": "",
            "birth_date": "1990-13-45",
            "bsn": "123456789",
            "legal_representative_id": "0",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Vul de achternaam in." in page
    assert "Dit is geen geldig BSN (elfproef)." in page
    assert 'aria-invalid="true"' in page


def test_valid_person_edit_is_stored_and_audited(client, auth, seed):
    with seed():
        regisseur = f.user(Role.PROCESREGISSEUR)
        case = f.case(procesregisseur=regisseur)
        parent = f.person(case.household, birth_date=None)
        child_id = f.person(case.household).id
        parent_id = parent.id
    auth.login(regisseur)
    response = client.post(
        f"/persons/{child_id}/edit",
        data={
            "given_name": "Noor",
            "family_name": "de Vries",
            "birth_date": "2014-02-03",
            "bsn": "111222333",
            "legal_representative_id": str(parent_id),
        },
    )
    assert response.status_code == 302
    with seed():
        child = db.session.get(Person, child_id)
        assert (child.given_name, child.legal_representative_id) == ("Noor", parent_id)
        last = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (last.action, last.person_id, last.user_id) == ("update", child_id, regisseur.id)


@SETTINGS
@given(text=field_value, kind=field_value, domain=field_value)
def test_entry_form_never_fails(client, auth, seed, text, kind, domain):
    with seed():
        regisseur = f.user(Role.PROCESREGISSEUR)
        case = f.case(procesregisseur=regisseur)
        case_id = case.id
        f.domain()
    auth.login(regisseur)
    response = client.post(
        f"/cases/{case_id}/entries",
        data={"text": text, "kind": kind, "domain_id": domain, "person_id": "0"},
    )
    assert response.status_code in (302, 422)


def test_entry_before_phase_5_is_refused_on_the_form(client, auth, seed):
    with seed():
        regisseur = f.user(Role.PROCESREGISSEUR)
        case_id = f.case(procesregisseur=regisseur, phase=4).id
        domain_id = f.domain().id
    auth.login(regisseur)
    response = client.post(
        f"/cases/{case_id}/entries",
        data={
            "text": "Schulden",
            "kind": "progress",
            "domain_id": str(domain_id),
            "person_id": "0",
        },
    )
    assert response.status_code == 422
    assert "pas vanaf fase 5" in response.get_data(as_text=True)


def test_control_characters_are_refused_with_a_message(client, auth, seed):
    # PostgreSQL cannot store NUL in text; such input gets a message, never a 500.
    with seed():
        regisseur = f.user(Role.PROCESREGISSEUR)
        case = f.case(procesregisseur=regisseur)
        person_id = f.person(case.household).id
    auth.login(regisseur)
    response = client.post(
        f"/persons/{person_id}/edit",
        data={
            "given_name": "Eva\x00",
            "family_name": "Bos",
            "birth_date": "",
            "bsn": "",
            "legal_representative_id": "0",
        },
    )
    assert response.status_code == 422
    assert "niet toegestane tekens" in response.get_data(as_text=True)
