"""Withdrawal by the privacy desk or a case manager on the person's behalf.

Privacyprotocol art. 2, *Toestemming sub 1*: "betrokkene [kan] zijn toestemming altijd weer
intrekken. Verdere verwerking van persoonsgegevens dient na het intrekken van de toestemming te
worden gestaakt. De verwerking van persoonsgegevens tot aan het moment van intrekking van de
toestemming wordt niet onrechtmatig door intrekking van de toestemming. De persoonsgegevens die
[...] voorafgaand aan de intrekking zijn verwerkt hoeven niet verwijderd te worden". Every partner
that relied on the consent is told, on its dashboard and by email to its contact address.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from consent import operations as ledger
from consent import reuse
from consent.check import may
from consent.models import Channel, ConsentEvent, ConsentStatus, Purpose, RecordedBy
from portal.extensions import db
from portal.models import DataDomain, Partner, Person, Role, utcnow
from portal.notices import PartnerNotice, send_pending
from tests import factories as f
from tests.test_notices import local_mail_server


@pytest.fixture
def smtp_server(app, monkeypatch):
    with local_mail_server(app, monkeypatch) as server:
        yield server


@pytest.fixture
def mailbox(smtp_server):
    smtp_server.start()
    return smtp_server


WHAT_HAPPENS = (
    "De toestemming stopt direct. Wat eerder met toestemming is gedaan, blijft rechtmatig. "
    "Er wordt niets verwijderd. Wij laten {partners} dit weten."
)


def _give(person, domain, recipient, *, days_ago=10, case=None, purpose=Purpose.PLAN):
    return ledger.record_decision(
        None,
        person=person,
        domain=domain,
        recipient=recipient,
        purpose=purpose,
        status=ConsentStatus.GIVEN,
        recorded_by=RecordedBy.CASE_MANAGER,
        channel=Channel.BEMOEIZORG_CONVERSATION,
        information_version="info-2026-01",
        effective_at=utcnow() - timedelta(days=days_ago),
        case=case,
    )


def _world():
    talis = f.partner(name="Talis", contact_email="regieteam@talis.example")
    sterker = f.partner(name="Sterker", contact_email="privacy@sterker.example")
    manager = f.user(Role.CASE_MANAGER, sterker)
    household = f.household()
    person = f.person(household, given_name="Noor", family_name="Visser")
    case = f.case(household_obj=household, team=[talis, sterker], case_manager=manager)
    domain = f.domain(name_nl="Wonen")
    grant = _give(person, domain, talis, case=case)
    return dict(
        talis=talis,
        sterker=sterker,
        manager=manager,
        person=person,
        case=case,
        domain=domain,
        grant=grant,
    )


def _withdraw(w, actor=None):
    return ledger.withdraw_consent(
        actor,
        person=w["person"],
        domain=w["domain"],
        recipient=w["talis"],
        purpose=Purpose.PLAN,
        recorded_by=RecordedBy.PRIVACY_DESK,
        channel=Channel.IN_WRITING,
    )


# --- the operation --------------------------------------------------------------------------------


def test_the_check_denies_from_the_withdrawal_and_an_earlier_moment_stays_permitted(ctx):
    w = _world()
    before = utcnow() - timedelta(days=1)
    assert may(w["talis"], w["person"], w["domain"], Purpose.PLAN).permitted
    event = _withdraw(w)

    now = may(w["talis"], w["person"], w["domain"], Purpose.PLAN)
    assert (now.permitted, now.reason, now.consent_event_id) == (
        False,
        "consent_withdrawn",
        event.id,
    )
    earlier = may(w["talis"], w["person"], w["domain"], Purpose.PLAN, at=before)
    assert earlier.permitted and earlier.consent_event_id == w["grant"].id


def test_nothing_is_deleted(ctx):
    w = _world()
    _withdraw(w)
    events = db.session.scalars(
        sa.select(ConsentEvent).where(ConsentEvent.person_id == w["person"].id)
    ).all()
    assert [e.status for e in events] == [ConsentStatus.GIVEN, ConsentStatus.WITHDRAWN]
    assert events[0].id == w["grant"].id


def test_the_recipient_and_the_partners_reusing_its_data_are_told(ctx):
    w = _world()
    portaal = f.partner(name="Portaal", contact_email="privacy@portaal.example")
    ggd = f.partner(name="GGD")
    w["case"].team.extend([portaal, ggd])
    talis_user = f.user(Role.PROCESREGISSEUR, w["talis"])
    for partner, approve in ((w["sterker"], True), (portaal, False)):
        asker = f.user(Role.PROCESREGISSEUR, partner)
        approval = reuse.request_reuse(
            asker,
            w["case"],
            person=w["person"],
            domain=w["domain"],
            source_partner=w["talis"],
            own_task="Eigen taak",
        )
        if approve:
            reuse.approve_reuse(talis_user, approval)
        else:
            reuse.refuse_reuse(talis_user, approval, "Niet nodig.")

    _withdraw(w)

    told = db.session.scalars(
        sa.select(PartnerNotice)
        .where(PartnerNotice.kind == "consent_withdrawn")
        .order_by(PartnerNotice.id)
    ).all()
    assert [n.partner_id for n in told] == [w["talis"].id, w["sterker"].id]  # not Portaal, GGD
    recipient_notice, reuser_notice = told
    assert recipient_notice.subject == f"Toestemming ingetrokken (casus {w['case'].reference})"
    assert "met uw organisatie te delen voor het plan van aanpak" in recipient_notice.body
    assert "met akkoord van Talis" in reuser_notice.body
    for notice in told:
        assert (notice.person_id, notice.case_id) == (w["person"].id, w["case"].id)
        assert "Visser" not in notice.body and "Visser" not in notice.subject
        assert "blijft rechtmatig" in notice.body
        assert notice.sent_at is None  # nothing is emailed inside the transaction


def test_a_withdrawal_without_a_case_is_told_without_a_reference(ctx):
    partner = f.partner(name="Talis")
    person, domain = f.person(), f.domain()
    _give(person, domain, partner)
    ledger.withdraw_consent(
        None,
        person=person,
        domain=domain,
        recipient=partner,
        purpose=Purpose.PLAN,
        recorded_by=RecordedBy.PRIVACY_DESK,
        channel=Channel.IN_WRITING,
    )
    notice = db.session.scalars(sa.select(PartnerNotice)).one()
    assert notice.subject == "Toestemming ingetrokken" and notice.case_id is None


def test_a_failed_withdrawal_leaves_no_notice(ctx):
    w = _world()
    _withdraw(w)
    with pytest.raises(ledger.RuleViolation):
        _withdraw(w)  # nothing in force any more
    assert f.count(PartnerNotice) == 1


# --- the pages ----------------------------------------------------------------------------------


@pytest.fixture
def page_world(seed):
    with seed():
        w = _world()
        ids = {k: v.id for k, v in w.items()}
        ids["reference"] = w["case"].reference
        users = {
            "manager": w["manager"],
            "desk": f.user(Role.PRIVACY_DESK, f.partner(name="Gemeente")),
            "statistics": f.user(Role.STATISTICS, w["sterker"]),
            "outsider": f.user(Role.CASE_MANAGER, w["sterker"]),  # not this person's case
        }
    return ids, users


def _url(ids, event_id=None):
    return f"/persons/{ids['person']}/consents/withdraw/{event_id or ids['grant']}"


FORM = {"decided_by": "person", "channel": "bemoeizorg_conversation", "note": ""}


def test_the_confirmation_page_says_in_plain_dutch_what_will_happen(client, auth, page_world):
    ids, users = page_world
    auth.login(users["manager"])
    listing = client.get(f"/persons/{ids['person']}/consents/withdraw").get_data(as_text=True)
    assert "Talis" in listing and _url(ids) in listing
    response = client.get(_url(ids))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert WHAT_HAPPENS.format(partners="Talis") in page
    assert "Noor Visser" in page and "Wonen" in page


def test_withdrawing_through_the_page_emails_the_recipient(client, auth, seed, page_world, mailbox):
    ids, users = page_world
    auth.login(users["manager"])
    response = client.post(_url(ids), data=FORM)
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "De toestemming is ingetrokken. Wij laten Talis dit weten." in page

    assert len(mailbox.messages) == 1
    recipients, message = mailbox.messages[0]
    assert recipients == ["regieteam@talis.example"]
    assert message["Subject"] == f"Toestemming ingetrokken (casus {ids['reference']})"
    assert "Visser" not in message.get_content()
    with seed():
        person = db.session.get(Person, ids["person"])
        talis = db.session.get(Partner, ids["talis"])
        result = may(talis, person, db.session.get(DataDomain, ids["domain"]), Purpose.PLAN)
        assert result.reason == "consent_withdrawn"
        withdrawal = db.session.get(ConsentEvent, result.consent_event_id)
        assert (withdrawal.recorded_by, withdrawal.channel, withdrawal.recorder_id) == (
            RecordedBy.CASE_MANAGER,
            Channel.BEMOEIZORG_CONVERSATION,
            users["manager"].id,
        )
        notice = db.session.scalars(sa.select(PartnerNotice)).one()
        assert notice.sent_at is not None and notice.attempts == 1


def test_a_mail_server_that_is_down_does_not_stop_the_withdrawal(
    client, auth, seed, page_world, smtp_server
):
    ids, users = page_world
    auth.login(users["desk"])
    response = client.post(_url(ids), data={**FORM, "channel": "in_writing"})
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "De e-mail kon nog niet worden verstuurd" in page
    with seed():
        person = db.session.get(Person, ids["person"])
        talis = db.session.get(Partner, ids["talis"])
        domain = db.session.get(DataDomain, ids["domain"])
        assert may(talis, person, domain, Purpose.PLAN).reason == "consent_withdrawn"
        notice = db.session.scalars(sa.select(PartnerNotice)).one()
        assert (notice.sent_at, notice.attempts) == (None, 1)
        assert notice.last_error

    smtp_server.start()
    with seed():
        assert send_pending().sent == 1
        assert send_pending().sent == 0  # never twice
    assert len(smtp_server.messages) == 1
    assert smtp_server.messages[0][0] == ["regieteam@talis.example"]


def test_the_privacy_desk_withdraws_and_is_recorded_as_such(client, auth, seed, page_world):
    ids, users = page_world
    auth.login(users["desk"])
    assert client.get(_url(ids)).status_code == 200
    assert client.post(_url(ids), data={**FORM, "channel": "in_writing"}).status_code == 302
    with seed():
        withdrawal = db.session.scalars(
            sa.select(ConsentEvent).where(ConsentEvent.status == ConsentStatus.WITHDRAWN)
        ).one()
        assert withdrawal.recorded_by is RecordedBy.PRIVACY_DESK


def test_bad_form_input_gets_a_message_and_changes_nothing(client, auth, seed, page_world):
    ids, users = page_world
    auth.login(users["manager"])
    response = client.post(_url(ids), data={**FORM, "channel": "online"})
    assert response.status_code == 422
    assert "Controleer het formulier" in response.get_data(as_text=True)
    with seed():
        assert f.count(PartnerNotice) == 0
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).where(ConsentEvent.status == ConsentStatus.WITHDRAWN)
            )
            == 0
        )


def test_withdrawing_twice_is_refused_with_a_message(client, auth, page_world):
    ids, users = page_world
    auth.login(users["manager"])
    assert client.post(_url(ids), data=FORM).status_code == 302
    again = client.post(_url(ids), data=FORM)
    assert again.status_code == 422
    assert "Er is geen geldende toestemming om in te trekken." in again.get_data(as_text=True)
    follow = client.get(_url(ids))  # the confirmation page no longer offers it
    assert follow.status_code == 302


def test_for_a_minor_the_legal_representative_decides(client, auth, seed):
    with seed():
        partner = f.partner(name="Talis")
        household = f.household()
        parent = f.person(household, given_name="Ans", family_name="Bakker")
        child = f.person(
            household,
            given_name="Tim",
            family_name="Bakker",
            birth_date=date.today().replace(year=date.today().year - 12),
            legal_representative=parent,
        )
        manager = f.user(Role.CASE_MANAGER, partner)
        f.case(household_obj=household, team=[partner], case_manager=manager)
        domain = f.domain()
        grant = ledger.record_decision(
            None,
            person=child,
            domain=domain,
            recipient=partner,
            purpose=Purpose.PLAN,
            status=ConsentStatus.GIVEN,
            recorded_by=RecordedBy.CASE_MANAGER,
            channel=Channel.BEMOEIZORG_CONVERSATION,
            information_version="info-2026-01",
            effective_at=utcnow() - timedelta(days=3),
            representative=parent,
        )
        url = f"/persons/{child.id}/consents/withdraw/{grant.id}"
    auth.login(manager)
    page = client.get(url).get_data(as_text=True)
    chosen = re.search(r'<option[^>]*\bselected\b[^>]*value="representative"', page)
    assert chosen and "Ans Bakker" in page
    refused = client.post(url, data=FORM)  # "the person" decides: not below 16
    assert refused.status_code == 422
    assert "wettelijk vertegenwoordiger beslist" in refused.get_data(as_text=True)
    accepted = client.post(url, data={**FORM, "decided_by": "representative"})
    assert accepted.status_code == 302


def test_scope_another_persons_consent_answers_404(client, auth, seed, page_world):
    ids, users = page_world
    with seed():
        other = _give(f.person(), f.domain(), db.session.get(Partner, ids["talis"]))
        other_id = other.id
    auth.login(users["manager"])
    assert client.get(_url(ids, other_id)).status_code == 404
    assert client.post(_url(ids, other_id), data=FORM).status_code == 404


def test_scope_a_person_outside_the_users_cases_answers_404(client, auth, page_world):
    ids, users = page_world
    auth.login(users["outsider"])
    assert client.get(f"/persons/{ids['person']}/consents/withdraw").status_code == 404
    assert client.get(_url(ids)).status_code == 404
    assert client.post(_url(ids), data=FORM).status_code == 404


def test_scope_the_statistics_role_is_refused(client, auth, page_world):
    ids, users = page_world
    auth.login(users["statistics"])
    assert client.get(f"/persons/{ids['person']}/consents/withdraw").status_code == 403
    assert client.get(_url(ids)).status_code == 403
    assert client.post(_url(ids), data=FORM).status_code == 403


def test_the_consent_overview_links_to_withdrawal_while_a_consent_is_in_force(
    client, auth, page_world
):
    ids, users = page_world
    auth.login(users["manager"])
    link = f'href="/persons/{ids["person"]}/consents/withdraw"'
    assert link in client.get(f"/persons/{ids['person']}/consents").get_data(as_text=True)
    assert client.post(_url(ids), data=FORM).status_code == 302
    assert link not in client.get(f"/persons/{ids['person']}/consents").get_data(as_text=True)
