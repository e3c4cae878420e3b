"""Who looked at my file (issue 5, point 5): from the audit trail, each access to the person's
data by an organisation: when, which organisation, in which role, for what purpose; never the
employee's name. The person's own use of the portal is left out; the visit is audited.
"""

from __future__ import annotations

import sqlalchemy as sa

from portal import access, audit, citizen
from portal.audit import AuditEntry
from portal.extensions import db as _db
from portal.models import Person, Role
from tests import factories as f


def _text(response) -> str:
    return response.get_data(as_text=True)


def _world(seed):
    with seed():
        housing = f.partner(name="Woningcorporatie Talis", code="talis")
        ggd = f.partner(name="GGD Gelderland-Zuid", code="ggd")
        regisseur = f.user(
            Role.PROCESREGISSEUR, housing, name="Jolanda Geheimhouder", email="jolanda@talis.test"
        )
        desk = f.user(Role.PRIVACY_DESK, f.partner(name="Gemeente Nijmegen", code="gemeente"))
        person = f.person()
        sibling = f.person(person.household, given_name="Broer")
        case = f.case(procesregisseur=regisseur, household_obj=person.household, team=[housing])
        neighbour = f.person()
        # An employee of the housing corporation opens the person's page and the case.
        access.load_person(regisseur, person.id, purpose="persoon inzien")
        access.load_case(regisseur, case.id, purpose="casus inzien")
        # The privacy desk changes something about the person.
        audit.record(
            audit.Action.UPDATE,
            user=desk,
            person_id=person.id,
            processing_activity="AVG-verzoeken",
            purpose="gegevens verbeteren",
        )
        # The GGD's system asks the consent API about the person.
        audit.record(
            audit.Action.READ,
            partner=ggd,
            person_id=person.id,
            processing_activity="toestemmingscontrole",
            purpose="mag GGD delen",
        )
        # Not about this person: the sibling's own page, and a neighbour.
        access.load_person(regisseur, sibling.id, purpose="broer inzien")
        access.load_person(regisseur, neighbour.id, purpose="buurman inzien")
        # The person's own visits to the portal.
        citizen.record_read(person, person, purpose="mijn overzicht")
        return {
            "person": person.id,
            "sibling": sibling.id,
            "regisseur": regisseur.id,
        }


def test_shows_organisation_role_and_purpose_but_no_employee(client, auth, seed, ctx):
    world = _world(seed)
    auth.login_citizen(_db.session.get(Person, world["person"]))

    response = client.get(f"/mijn/{world['person']}/inzage")

    assert response.status_code == 200
    page = _text(response)
    assert "Woningcorporatie Talis" in page
    assert "procesregisseur van het Regieteam" in page
    assert "persoon inzien" in page and "casus inzien" in page  # the case of the household too
    assert "Gemeente Nijmegen" in page and "medewerker van het privacyloket" in page
    assert "gegevens verbeteren" in page and "gewijzigd" in page
    assert "GGD Gelderland-Zuid" in page and "automatische controle" in page
    # Never who it was.
    assert "Jolanda" not in page and "Geheimhouder" not in page and "jolanda@" not in page
    # Not someone else's data, not the person's own visits.
    assert "broer inzien" not in page and "buurman inzien" not in page
    assert "mijn overzicht" not in page


def test_looks_are_about_the_person_only(seed, ctx):
    world = _world(seed)
    person = _db.session.get(Person, world["person"])
    sibling = _db.session.get(Person, world["sibling"])

    looks, pages = citizen.looked_at(person)
    sibling_looks, _pages = citizen.looked_at(sibling)

    assert pages == 1
    assert [look.purpose for look in looks] == [
        "mag GGD delen",
        "gegevens verbeteren",
        "casus inzien",
        "persoon inzien",
    ]
    # The household's case is the sibling's file too; the person's own page is not.
    assert [look.purpose for look in sibling_looks] == ["broer inzien", "casus inzien"]


def test_the_visit_is_audited_as_a_read_by_the_person(client, auth, seed, ctx):
    world = _world(seed)
    auth.login_citizen(_db.session.get(Person, world["person"]))

    client.get(f"/mijn/{world['person']}/inzage")

    last = _db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert last.action == "read"
    assert last.person_id == world["person"]
    assert last.on_behalf_of == f"person:{world['person']}"
    assert last.user_id is None and last.partner_code is None
    assert last.processing_activity == "burgerportaal"


def test_paginated_newest_first(client, auth, seed, ctx):
    with seed():
        partner = f.partner(name="Sterker Sociaal Werk")
        worker = f.user(Role.PROCESREGISSEUR, partner)
        person = f.person()
        for number in range(1, 26):
            audit.record(
                audit.Action.READ,
                user=worker,
                person_id=person.id,
                processing_activity="casusregie",
                purpose=f"blik {number:02d}",
            )
        person_id = person.id
    auth.login_citizen(_db.session.get(Person, person_id))

    first = _text(client.get(f"/mijn/{person_id}/inzage"))
    second = _text(client.get(f"/mijn/{person_id}/inzage?pagina=2"))
    beyond = client.get(f"/mijn/{person_id}/inzage?pagina=99")
    nonsense = client.get(f"/mijn/{person_id}/inzage?pagina=abc")

    assert "blik 25" in first and "blik 06" in first and "blik 05" not in first
    assert "blik 05" in second and "blik 01" in second and "blik 06" not in second
    assert "Pagina 1 van 2" in first and "?pagina=2" in first
    assert "Pagina 2 van 2" in second and "?pagina=1" in second
    assert beyond.status_code == 200 and "blik 01" in _text(beyond)
    assert nonsense.status_code == 200 and "blik 25" in _text(nonsense)


def test_nothing_yet(client, auth, seed):
    with seed():
        person = f.person()
        person_id = person.id
    auth.login_citizen(person)
    page = _text(client.get(f"/mijn/{person_id}/inzage"))
    assert "Nog niemand van een organisatie" in page


def test_another_persons_file_is_not_found(client, auth, seed):
    with seed():
        person = f.person()
        other = f.person(person.household)
        ids = (person.id, other.id)
    auth.login_citizen(person)
    assert client.get(f"/mijn/{ids[1]}/inzage").status_code == 404
