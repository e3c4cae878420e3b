"""Each right carried out end to end on the demo data (issue 6, "Tests that must exist"), with the
data checked afterwards: the access report of a demo person, a rectified name and its history, an
erasure gone from every table and from what the audit shows (the chain still verifies), a
restriction visible in the check, an objection that stops a public task."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from consent.basis import record_legal_basis
from consent.check import may
from consent.models import Basis, ConsentEvent, Purpose
from portal import audit, demo
from portal.extensions import db
from portal.models import CaseEntry, Partner, Person, User
from portal.operations import reveal_bsn
from requests import access_report, deadlines, erasure, rectification, rights
from requests import operations as ops
from requests.letters import letters_of
from requests.models import Channel, IdentityMethod, Outcome, RequestType
from tests.test_requests_letters import text_of


@pytest.fixture
def loaded(ctx):
    assert demo.load() is True


def _person(given: str, family: str) -> Person:
    return db.session.scalar(
        sa.select(Person).where(Person.given_name == given, Person.family_name == family)
    )


def _desk() -> User:
    return db.session.scalar(
        sa.select(User).where(User.email == f"privacyloket@{demo.DEMO_EMAIL_DOMAIN}")
    )


def _working(person: Person, kind: RequestType, description: str | None = None):
    desk = _desk()
    request = ops.register_request(
        desk,
        person=person,
        type=kind,
        channel=Channel.DESK,
        received_on=deadlines.today(),
        description=description,
        identity_method=IdentityMethod.DESK_ID_DOCUMENT_SEEN,
    )
    return desk, ops.start_processing(desk, request, version=request.version_id)


def test_access_on_the_demo_data(loaded):
    tamara = _person("Tamara", "Hoekstra")
    desk, request = _working(tamara, RequestType.ACCESS)
    report = access_report.compile_report(request)
    texts = [entry["text"] for entry in report["entries"]]
    assert any("Alleenstaande moeder met twee kinderen" in text for text in texts)
    # Sven's own entry is his, not his mother's: left out.
    assert not any("De basisschool van Sven" in text for text in texts)
    assert report["consents"] and report["cases"][0]["team"]
    assert any(row["organisation"] for row in report["access_log"])
    letter = access_report.send_access_report(desk, request, version=request.version_id)
    text = text_of(letter.pdf)
    assert "Alleenstaande moeder met twee kinderen" in text
    others = db.session.scalars(
        sa.select(CaseEntry.text).where(CaseEntry.case.has(household_id=tamara.household_id))
    ).all()
    foreign = db.session.scalars(
        sa.select(CaseEntry.text).where(~CaseEntry.case.has(household_id=tamara.household_id))
    ).all()
    assert others and foreign
    for text_of_other in foreign:
        assert text_of_other[:40] not in text
    ops.decide_request(desk, request, version=request.version_id, outcome=Outcome.GRANTED)


def test_rectification_on_the_demo_data(loaded):
    frank = _person("Frank", "Verbeek")
    desk, request = _working(frank, RequestType.RECTIFICATION, "Mijn achternaam is Verbeeke.")
    rectification.rectify_person(
        desk,
        request,
        version=request.version_id,
        given_name="Frank",
        family_name="Verbeeke",
        birth_date=frank.birth_date,
        bsn=reveal_bsn(frank),
    )
    db.session.expire_all()
    assert db.session.get(Person, frank.id).family_name == "Verbeeke"
    [row] = rectification.history(request)
    assert (row.old_value, row.new_value) == ("Verbeek", "Verbeeke")
    ops.decide_request(desk, request, version=request.version_id, outcome=Outcome.GRANTED)
    assert "achternaam" in text_of(letters_of(request)[-1].pdf)


def test_erasure_on_the_demo_data(loaded, monkeypatch):
    saskia = _person("Saskia", "Derksen")  # her case closed on 14 April 2026
    monkeypatch.setattr(deadlines, "today", lambda: date(2027, 5, 3))
    gone = "Sterker ondersteunt moeder bij het opbouwen van een eigen netwerk."
    assert gone in db.session.scalars(sa.select(CaseEntry.text)).all()
    desk, request = _working(saskia, RequestType.ERASURE, "Wis mijn gegevens")
    erasure.carry_out_erasure(desk, request, version=request.version_id)
    db.session.expire_all()
    assert gone not in db.session.scalars(sa.select(CaseEntry.text)).all()
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(sa.select(table)).all():
            assert not any(gone in str(value) for value in row), table.name
    assert (
        db.session.scalar(
            sa.select(sa.func.count(ConsentEvent.id)).where(ConsentEvent.person_id == saskia.id)
        )
        == 0
    )
    # She is the legal representative of her children, whose data stays: her name stays.
    assert db.session.get(Person, saskia.id).family_name == "Derksen"
    ops.decide_request(
        desk,
        request,
        version=request.version_id,
        outcome=Outcome.PARTLY_GRANTED,
        reasons="Een deel van de gegevens gaat ook over uw kinderen.",
    )
    text = text_of(letters_of(request)[-1].pdf)
    assert "wettelijk vertegenwoordiger" in text and gone not in text
    assert audit.verify_chain() is None  # (it empties the session: last)


def test_restriction_and_objection_on_the_demo_data(loaded):
    esra = _person("Esra", "Kaya")
    case = esra.household.cases[0]
    regisseur = db.session.scalar(
        sa.select(User).where(User.email == f"procesregisseur@{demo.DEMO_EMAIL_DOMAIN}")
    )
    gemeente = db.session.scalar(sa.select(Partner).where(Partner.code == "gemeente_nijmegen"))
    if gemeente not in case.team:
        case.team.append(gemeente)
    domain = gemeente.domains[0]
    basis = record_legal_basis(
        regisseur,
        case,
        phase=case.phase,
        partner=gemeente,
        domain=domain,
        purpose=Purpose.REGIE,
        basis=Basis.PUBLIC_TASK,
        statute="Wmo 2015 art. 2.3.1",
        proportionality="Nodig voor de regie.",
        subsidiarity="Geen lichter middel.",
    )
    before = may(gemeente, esra, domain, Purpose.REGIE)
    assert before.permitted and before.legal_basis_id == basis.id

    desk, objection = _working(esra, RequestType.OBJECTION, "Geen gemeentelijke bemoeienis")
    rights.carry_out_objection(desk, objection, version=objection.version_id, record_ids=[basis.id])
    assert may(gemeente, esra, domain, Purpose.REGIE).reason == "no_basis"

    desk, restriction = _working(esra, RequestType.RESTRICTION, "Stop tot de klacht beslist is")
    rights.restrict_processing(desk, restriction, version=restriction.version_id)
    any_partner = case.team[0]
    for domain_of_partner in any_partner.domains[:1]:
        result = may(any_partner, esra, domain_of_partner, Purpose.PLAN)
        assert result.reason == "processing_restricted"
    assert audit.verify_chain() is None
