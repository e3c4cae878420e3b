"""The data-breach register.

AVG art. 33(1): the AP "uiterlijk 72 uur nadat hij er kennis van heeft genomen", unless a risk is
unlikely; a late notification states why. Art. 34: a high risk means the persons are told, unless
an exception of art. 34(3) applies. Privacyprotocol art. 4: "zullen de partners elkaar zo spoedig
mogelijk daarover informeren" - notices to the partners on the cases, delivered to a real SMTP
server (aiosmtpd on 127.0.0.1).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from portal import breaches
from portal.audit import AuditEntry
from portal.breaches import (
    BreachCase,
    DataBreach,
    DeadlineState,
    Risk,
    TellDecision,
    deadline_for,
)
from portal.extensions import db
from portal.models import Role, utcnow
from portal.notices import PartnerNotice, send_pending
from portal.operations import RuleViolation
from tests import factories as f
from tests.test_notices import local_mail_server

T0 = datetime(2026, 10, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def mailbox(app, monkeypatch):
    with local_mail_server(app, monkeypatch) as server:
        server.start()
        yield server


# --- the deadline (plain function) --------------------------------------------------------------


def test_the_ap_deadline_is_72_real_hours_after_discovery():
    # Across the change to winter time (25 October 2026): real hours, not clock hours.
    assert breaches.ap_deadline(T0) == datetime(2026, 10, 26, 12, 0, tzinfo=UTC)
    # SQLite hands back naive UTC values.
    assert breaches.ap_deadline(T0.replace(tzinfo=None)) == breaches.ap_deadline(T0)


@pytest.mark.parametrize(
    ("elapsed", "state", "hours", "minutes"),
    [
        (timedelta(0), DeadlineState.NOT_ASSESSED, 72, 0),
        (timedelta(hours=71, minutes=1), DeadlineState.NOT_ASSESSED, 0, 59),
        (timedelta(hours=72), DeadlineState.NOT_ASSESSED, 0, 0),
        (timedelta(hours=72, seconds=1), DeadlineState.OVERDUE, -1, 59),
    ],
)
def test_time_left_counts_down_from_discovery(elapsed, state, hours, minutes):
    left = deadline_for(T0, risk=None, ap_notified_at=None, now=T0 + elapsed)
    assert (left.state, left.hours_left, left.minutes_left) == (state, hours, minutes)


def test_the_deadline_states_after_assessment_and_notification():
    now = T0 + timedelta(hours=10)
    assert deadline_for(T0, risk=Risk.RISK, ap_notified_at=None, now=now).state is (
        DeadlineState.RUNNING
    )
    # A risk is unlikely: no notification is due (art. 33(1)), even after 72 hours.
    late = T0 + timedelta(days=5)
    unlikely = deadline_for(T0, risk=Risk.UNLIKELY, ap_notified_at=None, now=late)
    assert (unlikely.state, unlikely.time_left) == (DeadlineState.NOT_REQUIRED, None)
    on_time = deadline_for(T0, risk=Risk.HIGH, ap_notified_at=T0 + timedelta(hours=70), now=late)
    assert on_time.state is DeadlineState.NOTIFIED
    too_late = deadline_for(T0, risk=Risk.HIGH, ap_notified_at=T0 + timedelta(hours=73), now=late)
    assert too_late.state is DeadlineState.NOTIFIED_LATE


def test_only_a_high_risk_means_the_persons_must_be_told():
    assert [breaches.persons_must_be_told(risk) for risk in Risk] == [False, False, True]


# --- operations -----------------------------------------------------------------------------------


def _world():
    politie = f.partner(name="Politie Test", contact_email="privacy@politie.example")
    talis = f.partner(name="Talis Test", contact_email="regieteam@talis.example")
    sterker = f.partner(name="Sterker Test", contact_email="privacy@sterker.example")
    stil = f.partner(name="Zonder adres")  # dashboard only
    desk = f.user(Role.PRIVACY_DESK)
    household = f.household()
    person = f.person(household, given_name="Fenna", family_name="Brouwersgracht")
    case = f.case(household_obj=household, team=[politie, talis, sterker, stil])
    other = f.case(team=[talis])
    return dict(
        politie=politie, talis=talis, sterker=sterker, stil=stil, desk=desk, person=person,
        case=case, other=other,
    )  # fmt: skip


def _register(w, cases=None, discovered_at=None):
    return breaches.register_breach(
        w["desk"],
        discovered_at=discovered_at or utcnow() - timedelta(hours=2),
        partner=w["politie"],
        description="Een lijst met adressen is naar een verkeerd e-mailadres gestuurd.",
        cases=[w["case"]] if cases is None else cases,
    )


def test_registering_refuses_a_future_moment_an_empty_description_and_unknown_cases(ctx):
    w = _world()
    with pytest.raises(RuleViolation) as future:
        _register(w, discovered_at=utcnow() + timedelta(hours=1))
    assert future.value.code == "in_future"
    with pytest.raises(RuleViolation) as empty:
        breaches.register_breach(
            w["desk"], discovered_at=T0, partner=w["politie"], description="  ", cases=[]
        )
    assert empty.value.code == "description_required"
    with pytest.raises(RuleViolation) as unknown:
        breaches.find_cases([w["case"].reference.lower(), "RT-BESTAAT-NIET"])
    assert unknown.value.code == "unknown_case" and "RT-BESTAAT-NIET" in unknown.value.message
    assert breaches.find_cases([w["case"].reference.lower()]) == [w["case"]]


def test_registration_is_audited_with_the_cases_and_the_description_is_encrypted(ctx):
    w = _world()
    breach = _register(w)
    lines = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.object_type == "data_breach", AuditEntry.object_id == breach.id
        )
    ).all()
    assert [(line.action, line.case_id) for line in lines] == [
        ("create", None),
        ("update", w["case"].id),
    ]
    stored = db.session.execute(
        sa.text("SELECT description FROM data_breach WHERE id = :id"), {"id": breach.id}
    ).scalar_one()
    assert b"verkeerd" not in bytes(stored)


def test_a_high_risk_is_told_to_the_persons_unless_an_exception_applies(ctx):
    w = _world()
    breach = _register(w)
    with pytest.raises(RuleViolation) as refused:
        breaches.assess(
            w["desk"], breach, risk=Risk.HIGH, risk_reasoning="Bijzondere gegevens.",
            tell_decision=TellDecision.NOT_HIGH_RISK, tell_reasoning="Geen reden.",
        )  # fmt: skip
    assert refused.value.code == "must_tell"
    with pytest.raises(RuleViolation) as needless:
        breaches.assess(
            w["desk"], breach, risk=Risk.RISK, risk_reasoning="Adressen.",
            tell_decision=TellDecision.UNINTELLIGIBLE, tell_reasoning="Versleuteld.",
        )  # fmt: skip
    assert needless.value.code == "no_exception_needed"
    with pytest.raises(RuleViolation) as unreasoned:
        breaches.assess(
            w["desk"], breach, risk=Risk.HIGH, risk_reasoning="Bijzondere gegevens.",
            tell_decision=TellDecision.TELL, tell_reasoning=" ",
        )  # fmt: skip
    assert unreasoned.value.code == "tell_reasoning_required"

    breaches.assess(
        w["desk"], breach, risk=Risk.HIGH, risk_reasoning="Bijzondere gegevens.",
        tell_decision=TellDecision.UNINTELLIGIBLE, tell_reasoning="Het bestand was versleuteld.",
    )  # fmt: skip
    assert (breach.risk, breach.tell_decision) == (Risk.HIGH, TellDecision.UNINTELLIGIBLE)


def test_a_late_notification_to_the_ap_states_the_reason_for_the_delay(ctx):
    w = _world()
    breach = _register(w, discovered_at=utcnow() - timedelta(days=4))
    late = utcnow() - timedelta(hours=1)
    with pytest.raises(RuleViolation) as missing:
        breaches.record_ap_notification(w["desk"], breach, notified_at=late, reference="AP-1")
    assert missing.value.code == "delay_reason_required"
    with pytest.raises(RuleViolation) as early:
        breaches.record_ap_notification(
            w["desk"], breach, notified_at=breach.discovered_at - timedelta(hours=1),
            reference="AP-1",
        )  # fmt: skip
    assert early.value.code == "before_discovery"
    breaches.record_ap_notification(
        w["desk"], breach, notified_at=late, reference="AP-1", delay_reason="Weekend."
    )
    assert breaches.deadline(breach).state is DeadlineState.NOTIFIED_LATE
    with pytest.raises(RuleViolation) as twice:
        breaches.record_ap_notification(w["desk"], breach, notified_at=late, reference="AP-2")
    assert twice.value.code == "already_notified"


def test_persons_come_from_the_households_of_the_cases_only(ctx):
    w = _world()
    breach = _register(w)
    stranger = f.person()
    with pytest.raises(RuleViolation) as refused:
        breaches.set_persons(w["desk"], breach, [stranger])
    assert refused.value.code == "person_not_in_cases"
    breaches.set_persons(w["desk"], breach, [w["person"]])
    assert [link.person_id for link in breach.persons] == [w["person"].id]
    breaches.set_persons(w["desk"], breach, [])
    assert breach.persons == []


# --- telling the partners (Privacyprotocol art. 4), to a real SMTP server ------------------------


def test_the_other_partners_on_the_cases_are_told_by_email_and_on_their_dashboard(ctx, mailbox):
    w = _world()
    breach = _register(w)

    written = breaches.notify_partners(w["desk"], breach)
    db.session.commit()
    report = send_pending()

    # Everyone on the case team except the partner where it happened.
    assert sorted(n.partner_id for n in written) == sorted(
        [w["talis"].id, w["sterker"].id, w["stil"].id]
    )
    assert report.sent == 2 and report.failed == 0
    received = {tuple(rcpt): message for rcpt, message in mailbox.messages}
    assert set(received) == {("regieteam@talis.example",), ("privacy@sterker.example",)}
    message = received[("regieteam@talis.example",)]
    assert w["case"].reference in message["Subject"] and breach.reference in message["Subject"]
    body = message.get_content()
    assert "Politie Test" in body and w["case"].reference in body
    for secret in ("Fenna", "Brouwersgracht", "verkeerd e-mailadres"):
        assert secret not in body and secret not in message["Subject"]
    dashboard_only = db.session.scalar(
        sa.select(PartnerNotice).where(PartnerNotice.partner_id == w["stil"].id)
    )
    assert dashboard_only.kind == "data_breach" and dashboard_only.email_to is None


def test_partners_are_told_once_and_a_case_added_later_is_told_too(ctx, mailbox):
    w = _world()
    breach = _register(w)
    breaches.notify_partners(w["desk"], breach)
    assert breaches.notify_partners(w["desk"], breach) == []

    breaches.link_cases(w["desk"], breach, [w["other"]])
    later = breaches.notify_partners(w["desk"], breach)
    assert [(n.partner_id, n.case_id) for n in later] == [(w["talis"].id, w["other"].id)]
    db.session.commit()
    assert send_pending().sent == 3
    assert len(mailbox.messages) == 3


def test_retention_keeps_the_breach_and_drops_its_links_to_destroyed_cases(ctx):
    from portal import retention

    w = _world()
    old = f.case(
        opened_on=datetime(2008, 1, 1).date(), closed_on=datetime(2009, 1, 1).date(), phase=8
    )
    breach = _register(w, cases=[old, w["case"]])
    breach_id, case_id = breach.id, w["case"].id

    retention.run(datetime(2024, 1, 1).date())

    assert db.session.get(DataBreach, breach_id) is not None
    links = db.session.scalars(sa.select(BreachCase.case_id)).all()
    assert links == [case_id]


# --- pages ----------------------------------------------------------------------------------------


def _local(moment: datetime) -> str:
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo("Europe/Amsterdam")).strftime("%Y-%m-%dT%H:%M")


def test_the_desk_registers_a_breach_and_sees_the_time_left(client, auth, seed):
    with seed():
        w = _world()
        desk, partner_id, reference = w["desk"], w["politie"].id, w["case"].reference
    auth.login(desk)
    discovered = utcnow() - timedelta(hours=3)

    response = client.post(
        "/oversight/breaches/new",
        data={
            "discovered_at": _local(discovered),
            "partner_id": partner_id,
            "description": "Een laptop is gestolen.",
            "case_references": reference,
        },
    )

    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "nog 69 uur" in text or "nog 68 uur" in text
    assert reference in text and "Een laptop is gestolen." in text


def test_a_refused_registration_says_why_and_stores_nothing(client, auth, seed):
    with seed():
        w = _world()
        desk, partner_id = w["desk"], w["politie"].id
    auth.login(desk)

    response = client.post(
        "/oversight/breaches/new",
        data={
            "discovered_at": _local(utcnow() - timedelta(hours=1)),
            "partner_id": partner_id,
            "description": "Iets",
            "case_references": "RT-BESTAAT-NIET",
        },
    )

    assert response.status_code == 422
    assert "RT-BESTAAT-NIET" in response.get_data(as_text=True)
    with client.application.app_context():
        assert db.session.scalar(sa.select(sa.func.count(DataBreach.id))) == 0


def test_the_desk_sees_the_persons_names_and_the_admin_only_their_number(client, auth, seed):
    with seed():
        w = _world()
        breach = _register(w)
        breaches.set_persons(w["desk"], breach, [w["person"]])
        desk, admin, breach_id = w["desk"], f.user(Role.ADMIN), breach.id
        person_id = w["person"].id

    auth.login(desk)
    desk_page = client.get(f"/oversight/breaches/{breach_id}").get_data(as_text=True)
    assert "Fenna Brouwersgracht" in desk_page
    auth.login(admin)
    admin_page = client.get(f"/oversight/breaches/{breach_id}").get_data(as_text=True)
    assert "Brouwersgracht" not in admin_page and "1 persoon vastgelegd" in admin_page
    refused = client.post(f"/oversight/breaches/{breach_id}/persons", data={"person_ids": []})
    assert refused.status_code == 403
    with client.application.app_context():
        reads = db.session.scalars(
            sa.select(AuditEntry.user_id).where(
                AuditEntry.action == "read", AuditEntry.person_id == person_id
            )
        ).all()
        assert set(reads) == {desk.id}


def test_notifying_from_the_page_delivers_the_emails(client, auth, seed, mailbox):
    with seed():
        w = _world()
        breach = _register(w)
        desk, breach_id = w["desk"], breach.id
    auth.login(desk)

    response = client.post(f"/oversight/breaches/{breach_id}/notify", data={})

    assert response.status_code == 302
    assert sorted(rcpt[0] for rcpt, _m in mailbox.messages) == [
        "privacy@sterker.example",
        "regieteam@talis.example",
    ]
    again = client.post(f"/oversight/breaches/{breach_id}/notify", data={})
    assert again.status_code == 302 and len(mailbox.messages) == 2


def test_the_assessment_form_refuses_a_high_risk_without_telling(client, auth, seed):
    with seed():
        w = _world()
        desk, breach_id = w["desk"], _register(w).id
    auth.login(desk)

    response = client.post(
        f"/oversight/breaches/{breach_id}/assessment",
        data={
            "risk": "high",
            "risk_reasoning": "Medische gegevens.",
            "tell_decision": "not_high_risk",
            "tell_reasoning": "Geen.",
        },
    )

    assert response.status_code == 422
    assert "artikel 34 lid 3" in response.get_data(as_text=True)


def test_the_register_pages_render(client, auth, seed):
    with seed():
        w = _world()
        _register(w)
        admin = f.user(Role.ADMIN)
    auth.login(admin)
    assert client.get("/oversight/breaches/new").status_code == 200
    listing = client.get("/oversight/breaches").get_data(as_text=True)
    assert "DL-" in listing and "nog 69 uur" in listing
