"""My consents in the citizen portal (issue 5, point 2): what a household sees, and withdrawing.

Privacyprotocol art. 2, *Toestemming sub 1*: "betrokkene [kan] zijn toestemming altijd weer
intrekken. Verdere verwerking van persoonsgegevens dient na het intrekken van de toestemming te
worden gestaakt. De verwerking [...] tot aan het moment van intrekking [...] wordt niet
onrechtmatig [...] hoeven niet verwijderd te worden". The withdrawal takes effect at once through
the staff's own operation, the partners are told, and the person gets a confirmation: the page,
an email when known, and a letter in their letters. Below 16 the legal representative decides.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from consent import operations as ledger
from consent.check import may
from consent.citizen_views import consents_by_organisation, other_bases
from consent.models import (
    Basis,
    Channel,
    ConsentEvent,
    ConsentStatus,
    LegalBasisRecord,
    Purpose,
    RecordedBy,
)
from portal.audit import AuditEntry
from portal.extensions import db
from portal.letters import content, operations
from portal.letters.models import Letter, LetterChannel, LetterKind
from portal.models import DataDomain, Partner, Person, Role, utcnow
from portal.notices import PartnerNotice
from portal.operations import RuleViolation
from tests import factories as f
from tests.test_notices import local_mail_server

WHAT_HAPPENS = (
    "De toestemming stopt direct. Wat eerder is gedaan, blijft geldig. Er wordt niets "
    "verwijderd. Wij laten {partners} dit weten."
)


@pytest.fixture
def smtp_server(app, monkeypatch):
    with local_mail_server(app, monkeypatch) as server:
        yield server


@pytest.fixture
def mailbox(smtp_server):
    smtp_server.start()
    return smtp_server


def _give(person, domain, recipient, *, case, recorder, purpose=Purpose.PLAN, days_ago=10, **kw):
    return ledger.record_decision(
        recorder,
        person=person,
        domain=domain,
        recipient=recipient,
        purpose=purpose,
        status=kw.pop("status", ConsentStatus.GIVEN),
        recorded_by=RecordedBy.CASE_MANAGER,
        channel=Channel.BEMOEIZORG_CONVERSATION,
        information_version="informatiebrief-2026-01",
        effective_at=utcnow() - timedelta(days=days_ago),
        case=case,
        **kw,
    )


def build_world() -> dict:
    """A parent with a child below 16 in one household, a neighbour with a child in another; the
    case manager of Sterker recorded consents for Talis and a refusal for Sterker; a public task
    and a vital interest are on record. Flushes; needs an app context."""
    talis = f.partner(name="Talis", contact_email="regieteam@talis.example")
    sterker = f.partner(name="Sterker Sociaal Werk", contact_email="privacy@sterker.example")
    manager = f.user(Role.CASE_MANAGER, sterker, name="Kim Medewerker")
    home = f.household()
    parent = f.person(home, given_name="Noor", family_name="Visser", email="noor@test.example")
    child = f.person(
        home,
        given_name="Daan",
        family_name="Visser",
        birth_date=date.today() - timedelta(days=365 * 10),
        legal_representative=parent,
    )
    neighbour_home = f.household()
    neighbour = f.person(neighbour_home, given_name="Bram", family_name="Buur")
    neighbours_child = f.person(
        neighbour_home,
        given_name="Lot",
        family_name="Buur",
        birth_date=date.today() - timedelta(days=365 * 8),
        legal_representative=neighbour,
    )
    case = f.case(household_obj=home, team=[talis, sterker], case_manager=manager)
    wonen = f.domain(name_nl="Wonen", name_en="Housing")
    geld = f.domain(name_nl="Financiën en schulden", name_en="Finances and debts")
    zorg = f.domain(name_nl="Gezondheid en GGZ", name_en="Health", special_category=True)
    info = operations.send_letter(
        manager, content.information(parent, case, sharing=[]), with_access_code=False
    )
    grants = {
        "wonen": _give(parent, wonen, talis, case=case, recorder=manager),
        "geld": _give(parent, geld, talis, case=case, recorder=manager),
        "child": _give(child, wonen, talis, case=case, recorder=manager, representative=parent),
        "neighbour": _give(
            neighbour, wonen, talis, case=f.case(household_obj=neighbour_home), recorder=None
        ),
    }
    refused = _give(
        parent, wonen, sterker, case=case, recorder=manager, status=ConsentStatus.REFUSED
    )
    regisseur = f.user(Role.PROCESREGISSEUR, f.partner(name="Gemeente Nijmegen"))
    for partner, domain, basis, extra in (
        (sterker, geld, Basis.PUBLIC_TASK, {"statute": "Wgs art. 3"}),
        (talis, zorg, Basis.VITAL_INTEREST, {"urgency": "Acuut gevaar."}),
    ):
        db.session.add(
            LegalBasisRecord(
                case_id=case.id,
                phase=5,
                partner_id=partner.id,
                domain_id=domain.id,
                purpose=Purpose.REGIE,
                basis=basis,
                proportionality="Alleen wat nodig is.",
                subsidiarity="Geen andere weg.",
                recorded_by_id=regisseur.id,
                recorded_at=utcnow() - timedelta(days=2),
                **extra,
            )
        )
    db.session.flush()
    return {
        "talis": talis.id,
        "sterker": sterker.id,
        "parent": parent.id,
        "child": child.id,
        "neighbour": neighbour.id,
        "neighbours_child": neighbours_child.id,
        "wonen": wonen.id,
        "geld": geld.id,
        "info_letter": info.id,
        "refused": refused.id,
        "manager": manager.id,
        **{f"grant_{name}": event.id for name, event in grants.items()},
    }


@pytest.fixture
def world(seed) -> dict:
    with seed():
        return build_world()


def _may(ids, person_key, domain_key="wonen", partner_key="talis", at=None):
    person = db.session.get(Person, ids[person_key])
    return may(
        db.session.get(Partner, ids[partner_key]),
        person,
        db.session.get(DataDomain, ids[domain_key]),
        Purpose.PLAN,
        at=at,
    )


def _base(ids, person_key="parent") -> str:
    return f"/mijn/{ids[person_key]}/toestemmingen"


# --- what the person sees -----------------------------------------------------------------------


def test_the_overview_says_per_organisation_who_may_use_what_and_why(client, auth, world):
    auth.login_citizen(_Stub(world["parent"]))
    response = client.get(_base(world))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Mijn toestemmingen" in page
    assert (
        "U geeft Talis toestemming om gegevens over wonen te gebruiken voor het plan van aanpak."
        in page
    )
    assert "U geeft Sterker Sociaal Werk geen toestemming" in page
    # Since when, recorded by whom (role and organisation, never the employee's name), which letter.
    assert "casemanager van Sterker Sociaal Werk" in page
    assert "Kim Medewerker" not in page
    assert f"/mijn/{world['parent']}/brieven/{world['info_letter']}.pdf" in page
    # Another basis than consent, in plain words; a vital interest is told by letter, not here.
    assert "Een taak uit de wet (Wgs art. 3)" in page
    assert "Vitaal belang" not in page and "Gezondheid en GGZ" not in page
    # Withdrawing: per consent, and all at once for an organisation with more than one.
    assert f"{_base(world)}/{world['grant_wonen']}/intrekken" in page
    assert f"{_base(world)}/organisatie/{world['talis']}/intrekken" in page
    assert f"{_base(world)}/{world['refused']}/intrekken" not in page  # nothing to withdraw
    # Only the person's own consents.
    assert "Bram" not in page and f"/{world['grant_child']}/intrekken" not in page


def test_the_lines_come_from_the_check_grouped_per_organisation(ctx):
    ids = build_world()
    parent = db.session.get(Person, ids["parent"])
    groups = consents_by_organisation(parent, parent)
    assert [group.partner.name for group in groups] == ["Sterker Sociaal Werk", "Talis"]
    sterker, talis = groups
    assert [line.in_force for line in sterker.lines] == [False]
    assert sorted(line.event.id for line in talis.in_force) == sorted(
        [ids["grant_wonen"], ids["grant_geld"]]
    )
    assert all(line.information_letter.id == ids["info_letter"] for line in talis.lines)
    rows = other_bases(parent)
    assert [(row.partner, row.basis, row.statute) for row in rows] == [
        ("Sterker Sociaal Werk", "Een taak uit de wet", "Wgs art. 3")
    ]


def test_a_refusal_of_the_person_hides_the_other_basis_it_overrides(ctx):
    ids = build_world()
    parent = db.session.get(Person, ids["parent"])
    sterker = db.session.get(Partner, ids["sterker"])
    geld = db.session.get(DataDomain, ids["geld"])
    ledger.record_decision(
        None,
        person=parent,
        domain=geld,
        recipient=sterker,
        purpose=Purpose.REGIE,
        status=ConsentStatus.REFUSED,
        recorded_by=RecordedBy.PRIVACY_DESK,
        channel=Channel.IN_WRITING,
        information_version=None,
    )
    # consent.check: the person's own refusal wins over a recorded basis (Afwegingskader stap 4).
    assert other_bases(parent) == []


class _Stub:
    """`auth.login_citizen` needs only an id; the seeded objects are detached."""

    def __init__(self, person_id: int):
        self.id = person_id


@pytest.mark.parametrize(
    "target", ["neighbour", "neighbours_child", "missing"], ids=lambda t: f"parent-to-{t}"
)
def test_another_persons_file_answers_404(client, auth, world, target):
    auth.login_citizen(_Stub(world["parent"]))
    person_id = world.get(target, 999_999)
    for url in (
        f"/mijn/{person_id}/toestemmingen",
        f"/mijn/{person_id}/toestemmingen/{world['grant_neighbour']}/intrekken",
        f"/mijn/{person_id}/toestemmingen/organisatie/{world['talis']}/intrekken",
    ):
        assert client.get(url).status_code == 404, url
        if url.endswith("/intrekken"):
            assert client.post(url).status_code == 404, url


def test_an_event_of_someone_else_under_ones_own_id_answers_404(client, auth, seed, world):
    auth.login_citizen(_Stub(world["parent"]))
    url = f"{_base(world)}/{world['grant_neighbour']}/intrekken"
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert client.get(f"{_base(world)}/ingetrokken?e={world['grant_neighbour']}").status_code == 404
    with seed():
        assert _may(world, "neighbour").permitted


def test_a_parent_sees_the_childs_consents_and_not_the_other_way_round(client, auth, world):
    auth.login_citizen(_Stub(world["parent"]))
    page = client.get(_base(world, "child")).get_data(as_text=True)
    assert "Toestemmingen van Daan Visser" in page
    assert f"/{world['grant_child']}/intrekken" in page
    assert "Noor Visser, online" not in page  # recorded by the case manager

    auth.login_citizen(_Stub(world["child"]))
    assert client.get(_base(world)).status_code == 404  # the child does not see the parent's
    own = client.get(_base(world, "child")).get_data(as_text=True)
    assert "U bent jonger dan 16" in own
    assert "/intrekken" not in own


def test_every_page_leaves_a_read_by_the_person_in_the_audit_trail(client, auth, seed, world):
    auth.login_citizen(_Stub(world["parent"]))
    client.get(_base(world, "child"))
    with seed():
        entry = db.session.scalars(
            sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)
        ).one()
        assert (entry.person_id, entry.on_behalf_of, entry.user_id) == (
            world["child"],
            f"person:{world['parent']}",
            None,
        )


# --- withdrawing ------------------------------------------------------------------------------


def test_the_confirmation_step_says_what_will_happen(client, auth, world):
    auth.login_citizen(_Stub(world["parent"]))
    response = client.get(f"{_base(world)}/{world['grant_wonen']}/intrekken")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert WHAT_HAPPENS.format(partners="Talis") in page
    assert "Talis mag gegevens over wonen gebruiken voor het plan van aanpak." in page
    assert "Ja, intrekken" in page and "per e-mail" in page


def test_withdrawing_denies_at_once_keeps_the_past_and_confirms_by_letter_and_email(
    client, auth, seed, world, mailbox
):
    before = utcnow() - timedelta(days=1)
    auth.login_citizen(_Stub(world["parent"]))
    response = client.post(f"{_base(world)}/{world['grant_wonen']}/intrekken")
    assert response.status_code == 302
    assert f"{_base(world)}/ingetrokken?" in response.location

    with seed():
        now = _may(world, "parent")
        assert (now.permitted, now.reason) == (False, "consent_withdrawn")
        earlier = _may(world, "parent", at=before)
        assert earlier.permitted and earlier.consent_event_id == world["grant_wonen"]
        assert _may(world, "parent", "geld").permitted  # only the one chosen
        event = db.session.get(ConsentEvent, now.consent_event_id)
        assert (event.recorded_by, event.channel, event.recorder_id, event.representative_id) == (
            RecordedBy.PERSON,
            Channel.ONLINE,
            None,
            None,
        )
        # Nothing is deleted: the grant is still there.
        assert db.session.get(ConsentEvent, world["grant_wonen"]) is not None
        letter = db.session.scalars(
            sa.select(Letter).where(Letter.kind == LetterKind.WITHDRAWAL_CONFIRMATION)
        ).one()
        assert (letter.person_id, letter.channel, letter.created_by_id) == (
            world["parent"],
            LetterChannel.PORTAL,
            None,
        )
        notice = db.session.scalars(
            sa.select(PartnerNotice).where(PartnerNotice.kind == "consent_withdrawn")
        ).one()
        assert notice.partner_id == world["talis"] and notice.sent_at is not None

    page = client.get(response.location).get_data(as_text=True)
    assert "De toestemming is ingetrokken" in page
    assert "Wij hebben u ook een e-mail gestuurd." in page
    assert f"/mijn/{world['parent']}/brieven/{letter.id}.pdf" in page
    letters = client.get(f"/mijn/{world['parent']}/brieven").get_data(as_text=True)
    assert "Bevestiging: toestemming ingetrokken" in letters
    pdf = client.get(f"/mijn/{world['parent']}/brieven/{letter.id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")

    by_address = {tuple(rcpt): message for rcpt, message in mailbox.messages}
    assert set(by_address) == {("regieteam@talis.example",), ("noor@test.example",)}
    confirmation = by_address[("noor@test.example",)]
    assert confirmation["Subject"] == "Bevestiging: u heeft toestemming ingetrokken"
    body = confirmation.get_content()
    assert "De toestemming stopt direct." in body and "Er wordt niets verwijderd." in body
    assert f"/mijn/{world['parent']}/brieven" in body
    # Data minimisation: the email names no organisation or life domain.
    assert "Talis" not in body and "Wonen" not in body and "wonen" not in body


def test_a_parent_withdraws_for_the_child_as_representative(client, auth, seed, world, mailbox):
    auth.login_citizen(_Stub(world["parent"]))
    response = client.post(f"{_base(world, 'child')}/{world['grant_child']}/intrekken")
    assert response.status_code == 302
    with seed():
        result = _may(world, "child")
        assert result.reason == "consent_withdrawn"
        event = db.session.get(ConsentEvent, result.consent_event_id)
        assert event.representative_id == world["parent"]
        letter = db.session.scalars(
            sa.select(Letter).where(Letter.kind == LetterKind.WITHDRAWAL_CONFIRMATION)
        ).one()
        assert letter.person_id == world["child"]
        assert _may(world, "parent").permitted  # the parent's own consent stays
    # The confirmation goes to the one who withdrew.
    assert ["noor@test.example"] in [rcpt for rcpt, _message in mailbox.messages]


def test_all_consents_for_an_organisation_at_once_one_confirmation(
    client, auth, seed, world, mailbox
):
    auth.login_citizen(_Stub(world["parent"]))
    url = f"{_base(world)}/organisatie/{world['talis']}/intrekken"
    page = client.get(url).get_data(as_text=True)
    assert "Alle toestemmingen voor Talis intrekken" in page
    assert "gegevens over wonen" in page and "gegevens over financiën en schulden" in page
    assert client.post(url).status_code == 302
    with seed():
        assert _may(world, "parent").reason == "consent_withdrawn"
        assert _may(world, "parent", "geld").reason == "consent_withdrawn"
        assert _may(world, "child").permitted  # the child's consent is the child's
        assert f.count(Letter) == 2  # the information letter and one confirmation


def test_a_child_below_16_cannot_withdraw_and_nothing_changes(client, auth, seed, world):
    auth.login_citizen(_Stub(world["child"]))
    response = client.post(f"{_base(world, 'child')}/{world['grant_child']}/intrekken")
    assert response.status_code == 422
    assert "Uw ouder of voogd beslist" in response.get_data(as_text=True)
    with seed():
        assert _may(world, "child").permitted
        assert f.count(PartnerNotice) == 0


def test_withdrawing_twice_is_refused_with_a_message_and_stores_nothing(
    client, auth, seed, world, mailbox
):
    auth.login_citizen(_Stub(world["parent"]))
    url = f"{_base(world)}/{world['grant_wonen']}/intrekken"
    assert client.post(url).status_code == 302
    again = client.post(url)
    assert again.status_code == 422
    assert "Er is geen geldende toestemming om in te trekken." in again.get_data(as_text=True)
    followed = client.get(url, follow_redirects=True).get_data(as_text=True)
    assert "Deze toestemming geldt al niet meer" in followed
    with seed():
        assert f.count(Letter) == 2
        withdrawn = db.session.scalars(
            sa.select(ConsentEvent).where(ConsentEvent.status == ConsentStatus.WITHDRAWN)
        ).all()
        assert len(withdrawn) == 1


def test_a_mail_server_that_is_down_keeps_the_withdrawal_and_the_letter(
    client, auth, seed, world, smtp_server
):
    auth.login_citizen(_Stub(world["parent"]))
    response = client.post(f"{_base(world)}/{world['grant_wonen']}/intrekken")
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "De e-mail kon niet worden verstuurd. De bevestiging staat wel bij uw brieven." in page
    with seed():
        assert _may(world, "parent").reason == "consent_withdrawn"
        assert f.count(Letter) == 2
        assert db.session.scalars(sa.select(PartnerNotice)).one().sent_at is None  # retried later


def test_no_email_address_no_email(client, auth, seed, world, mailbox):
    with seed():
        db.session.get(Person, world["parent"]).email = None
    auth.login_citizen(_Stub(world["parent"]))
    assert "per e-mail" not in client.get(
        f"{_base(world)}/{world['grant_wonen']}/intrekken"
    ).get_data(as_text=True)
    response = client.post(f"{_base(world)}/{world['grant_wonen']}/intrekken")
    assert response.status_code == 302
    assert [rcpt for rcpt, _message in mailbox.messages] == [["regieteam@talis.example"]]


def test_the_confirmation_page_shows_only_ones_own_withdrawals(client, auth, seed, world, mailbox):
    auth.login_citizen(_Stub(world["parent"]))
    client.post(f"{_base(world, 'child')}/{world['grant_child']}/intrekken")
    # The child's withdrawal is not shown under the parent's own id.
    with seed():
        event_id = _may(world, "child").consent_event_id
    assert client.get(f"{_base(world)}/ingetrokken?e={event_id}").status_code == 404
    assert client.get(f"{_base(world, 'child')}/ingetrokken?e={event_id}").status_code == 200


# --- the letter without a staff member --------------------------------------------------------


def test_a_letter_without_staff_goes_only_through_the_portal(ctx):
    ids = build_world()
    parent = db.session.get(Person, ids["parent"])
    draft = content.withdrawal_confirmation(
        parent,
        withdrawn=[{"organisation": "Talis", "domain": "wonen", "purpose": "het plan"}],
        withdrawn_at=utcnow(),
        told=["Talis"],
    )
    with pytest.raises(RuleViolation) as refused:
        operations.send_letter(None, draft, channel=LetterChannel.POST)
    assert refused.value.code == "no_sender"
    with pytest.raises(RuleViolation) as empty:
        content.withdrawal_confirmation(parent, withdrawn=[], withdrawn_at=utcnow(), told=[])
    assert empty.value.code == "nothing_withdrawn"
    neighbour = db.session.get(Person, ids["neighbour"])
    with pytest.raises(RuleViolation) as stranger:
        content.withdrawal_confirmation(
            db.session.get(Person, ids["child"]),
            withdrawn=[{"organisation": "Talis", "domain": "wonen", "purpose": "het plan"}],
            withdrawn_at=utcnow(),
            told=[],
            representative=neighbour,
        )
    assert stranger.value.code == "not_the_representative"


def test_the_database_refuses_a_letter_by_post_without_staff(ctx):
    ids = build_world()
    letter = db.session.get(Letter, ids["info_letter"])
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.execute(
                sa.insert(Letter).values(
                    kind=LetterKind.WITHDRAWAL_CONFIRMATION,
                    language="nl",
                    template="letters/nl/withdrawal_confirmation.html",
                    template_version="intrekking-2026-01",
                    person_id=letter.person_id,
                    household_id=letter.household_id,
                    channel=LetterChannel.POST,
                    pdf=b"%PDF-1.7",
                    sha256="0" * 64,
                    size_bytes=8,
                    page_count=1,
                    created_by_id=None,
                )
            )
