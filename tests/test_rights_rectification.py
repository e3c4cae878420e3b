"""The right to rectification (AVG art. 16): the desk corrects the person's data or an entry; the
old value stays in the history, encrypted; the partners that received the data are told (art. 19),
without the values."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from portal.audit import AuditEntry
from portal.extensions import db
from portal.models import EntryKind, Role
from portal.notices import PartnerNotice
from portal.operations import RuleViolation, add_entry, reveal_bsn
from requests import deadlines, rectification
from requests import operations as ops
from requests.models import (
    Channel,
    IdentityMethod,
    Outcome,
    Rectification,
    RectifiedField,
    RequestType,
)
from tests import factories as f

TODAY = date(2026, 3, 20)


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(deadlines, "today", lambda: TODAY)
    return TODAY


def build_world():
    talis = f.partner(name="Talis", contact_email="regieteam@talis.example")
    sterker = f.partner(name="Sterker")
    desk = f.user(Role.PRIVACY_DESK)
    regisseur = f.user(Role.PROCESREGISSEUR)
    household = f.household()
    person = f.person(
        household, given_name="Noor", family_name="Vissr", birth_date=date(1983, 6, 12)
    )
    case = f.case(procesregisseur=regisseur, household_obj=household, team=[talis, sterker])
    entry = add_entry(
        regisseur,
        case,
        kind=EntryKind.PROBLEM_OUTLINE,
        domain=f.domain(),
        text="Huurachterstand van negen maanden.",
        person=person,
    )
    other = f.person()  # another household: its entries are not the person's
    other_case = f.case(procesregisseur=regisseur, household_obj=other.household)
    foreign = add_entry(
        regisseur, other_case, kind=EntryKind.PLAN, domain=f.domain(), text="Anders", person=other
    )
    request = ops.register_request(
        desk,
        person=person,
        type=RequestType.RECTIFICATION,
        channel=Channel.LETTER,
        received_on=date(2026, 3, 2),
        description="Mijn achternaam is Visser en ik ben op 21 juni geboren.",
        identity_method=IdentityMethod.DESK_ID_DOCUMENT_SEEN,
    )
    ops.start_processing(desk, request, version=request.version_id)
    return dict(
        desk=desk, person=person, case=case, entry=entry, foreign=foreign, request=request,
        talis=talis, sterker=sterker,
    )  # fmt: skip


def rectify(world, **changes):
    person = world["person"]
    values = dict(
        given_name=person.given_name,
        family_name=person.family_name,
        birth_date=person.birth_date,
        bsn=reveal_bsn(person),
    )
    values.update(changes)
    request = world["request"]
    return rectification.rectify_person(
        world["desk"], request, version=request.version_id, **values
    )


def test_rectifying_keeps_the_old_value_in_the_history(ctx):
    world = build_world()
    rows = rectify(world, family_name="Visser", birth_date=date(1983, 6, 21), bsn="999990020")
    person = world["person"]
    assert (person.family_name, person.birth_date, reveal_bsn(person)) == (
        "Visser",
        date(1983, 6, 21),
        "999990020",
    )
    assert [(row.field, row.old_value, row.new_value) for row in rows] == [
        (RectifiedField.FAMILY_NAME, "Vissr", "Visser"),
        (RectifiedField.BIRTH_DATE, "1983-06-12", "1983-06-21"),
        (RectifiedField.BSN, None, "999990020"),
    ]
    assert rectification.history(world["request"]) == rows
    raw = db.session.execute(
        sa.text("SELECT old_value FROM rectification WHERE id = :id"), {"id": rows[0].id}
    ).scalar_one()
    assert b"Vissr" not in bytes(raw)  # encrypted at rest


def test_the_partners_that_received_the_data_are_told_without_the_values(ctx):
    world = build_world()
    rectify(world, family_name="Visser")
    notices = db.session.scalars(
        sa.select(PartnerNotice).where(PartnerNotice.kind == "data_rectified")
    ).all()
    assert {notice.partner_id for notice in notices} == {world["talis"].id, world["sterker"].id}
    for notice in notices:
        assert notice.case_id == world["case"].id and notice.person_id == world["person"].id
        assert "achternaam" in notice.body and "AVG art. 19" in notice.body
        assert "Visser" not in notice.body + notice.subject
        assert "Vissr" not in notice.body + notice.subject


def test_an_entry_is_rectified_and_keeps_its_source(ctx):
    world = build_world()
    request, entry = world["request"], world["entry"]
    source = entry.source_partner_id
    row = rectification.rectify_entry(
        world["desk"],
        request,
        version=request.version_id,
        entry_id=entry.id,
        text="Huurachterstand van drie maanden.",
    )
    assert entry.text == "Huurachterstand van drie maanden." and entry.source_partner_id == source
    assert (row.field, row.case_entry_id, row.old_value) == (
        RectifiedField.ENTRY_TEXT,
        entry.id,
        "Huurachterstand van negen maanden.",
    )
    audited = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.object_type == "case_entry", AuditEntry.object_id == entry.id
        )
    ).all()
    assert [a.action for a in audited][-1] == "update"


def test_an_entry_of_someone_else_cannot_be_rectified(ctx):
    world = build_world()
    request = world["request"]
    with pytest.raises(RuleViolation) as refused:
        rectification.rectify_entry(
            world["desk"],
            request,
            version=request.version_id,
            entry_id=world["foreign"].id,
            text="Gewijzigd",
        )
    assert refused.value.code == "not_about_person"
    assert world["foreign"].text == "Anders"


@pytest.mark.parametrize(
    "changes, code",
    [
        ({}, "nothing_changed"),
        ({"given_name": "  "}, "name_required"),
        ({"bsn": "123456789"}, "invalid_bsn"),
        ({"birth_date": date(2030, 1, 1)}, "bad_birth_date"),
    ],
)
def test_bad_rectifications_are_refused_and_nothing_is_kept(ctx, changes, code):
    world = build_world()
    with pytest.raises(RuleViolation) as refused:
        rectify(world, **changes)
    assert refused.value.code == code
    assert f.count(Rectification) == 0


def test_a_bsn_of_another_person_is_refused(ctx):
    world = build_world()
    f.person(bsn="999990020")
    with pytest.raises(RuleViolation) as refused:
        rectify(world, bsn="999990020")
    assert refused.value.code == "bsn_taken"


def test_granting_a_rectification_writes_what_was_done_in_the_letter(ctx):
    from requests.letters import letters_of
    from tests.test_requests_letters import text_of

    world = build_world()
    rectify(world, family_name="Visser")
    request = world["request"]
    ops.decide_request(world["desk"], request, version=request.version_id, outcome=Outcome.GRANTED)
    text = text_of(letters_of(request)[-1].pdf)
    assert "Wij hebben uw gegevens verbeterd: achternaam." in text
    assert "laten weten" in text  # the partners were told


# --- the page ---------------------------------------------------------------------------------


def test_the_desk_rectifies_through_the_page(client, auth, seed):
    with seed():
        world = build_world()
        request_id, entry_id, desk = world["request"].id, world["entry"].id, world["desk"]
    auth.login(desk)
    page = client.get(f"/requests/{request_id}/rectify").get_data(as_text=True)
    assert "Vissr" in page and "Huurachterstand van negen maanden." in page
    assert "Anders" not in page  # another household's entry
    version = page.split('name="person-version" type="hidden" value="')[1].split('"')[0]
    data = {
        "person-version": version,
        "person-given_name": "Noor",
        "person-family_name": "Visser",
        "person-birth_date": "1983-06-12",
        "person-bsn": "",
    }
    assert client.post(f"/requests/{request_id}/rectify", data=data).status_code == 302
    page = client.get(f"/requests/{request_id}/rectify").get_data(as_text=True)
    assert "Geschiedenis van dit verzoek" in page and "Vissr" in page and "Visser" in page
    # The same page again: its version is stale now.
    stale = client.post(f"/requests/{request_id}/rectify", data=data)
    assert stale.status_code == 422 and "Iemand anders" in stale.get_data(as_text=True)
    version = page.split(f'name="entry-{entry_id}-version" type="hidden" value="')[1].split('"')[0]
    response = client.post(
        f"/requests/{request_id}/rectify/entries/{entry_id}",
        data={f"entry-{entry_id}-version": version, f"entry-{entry_id}-text": "  "},
    )
    assert response.status_code == 422 and "Vul de verbeterde tekst in" in response.get_data(
        as_text=True
    )


def test_an_entry_of_another_household_is_404_on_the_page(client, auth, seed):
    with seed():
        world = build_world()
        request_id, foreign, desk = world["request"].id, world["foreign"].id, world["desk"]
    auth.login(desk)
    response = client.post(
        f"/requests/{request_id}/rectify/entries/{foreign}",
        data={f"entry-{foreign}-version": "1", f"entry-{foreign}-text": "Weg"},
    )
    assert response.status_code == 404
