"""Notices to partners: an outbox written inside the transaction, emailed after the commit to a
real SMTP server (aiosmtpd on 127.0.0.1), each notice sent once; the dashboard shows a partner's
own notices only, with a person's name only to whom may see that person."""

from __future__ import annotations

import email
import email.policy
import socket
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from portal import audit, mail, notices
from portal.extensions import db
from portal.models import Role
from portal.notices import MAX_ATTEMPTS, PartnerNotice, notify_partner, send_pending
from tests import factories as f


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MailServer:
    """A real SMTP server on a free local port that keeps what it receives."""

    def __init__(self):
        self.port = free_port()
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self._controller = None

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def subjects(self) -> list[str]:
        return [message["Subject"] for _rcpt, message in self.messages]


@contextmanager
def local_mail_server(app, monkeypatch):
    """The app's mail settings point at a fresh server, not started yet: a test can have the
    server down first and `start()` it later."""
    server = MailServer()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", server.port)
    monkeypatch.setitem(app.config, "MAIL_USE_TLS", False)
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 5)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp_server(app, monkeypatch):
    with local_mail_server(app, monkeypatch) as server:
        yield server


@pytest.fixture
def mailbox(smtp_server):
    smtp_server.start()
    return smtp_server


def _unsent() -> list[PartnerNotice]:
    return db.session.scalars(sa.select(PartnerNotice).where(PartnerNotice.sent_at.is_(None))).all()


# --- the outbox ---------------------------------------------------------------------------------


def test_a_notice_is_written_in_the_callers_transaction_and_not_sent(ctx, mailbox):
    talis = f.partner(name="Talis", contact_email="regieteam@talis.example")
    notice = notify_partner(talis, kind="test", subject="Onderwerp", body="Tekst")
    assert (notice.email_to, notice.sent_at, notice.attempts) == (
        "regieteam@talis.example",
        None,
        0,
    )
    assert mailbox.messages == []  # nothing leaves inside the transaction
    db.session.rollback()  # the caller's change fails: the notice goes with it
    assert f.count(PartnerNotice) == 0


def test_send_pending_delivers_each_notice_once_to_the_contact_address(ctx, mailbox):
    talis = f.partner(name="Talis", contact_email="regieteam@talis.example")
    portaal = f.partner(name="Portaal", contact_email="privacy@portaal.example")
    first = notify_partner(talis, kind="test", subject="Eerste", body="Een\n\nTwee").id
    notify_partner(portaal, kind="test", subject="Tweede", body="Tekst")
    db.session.commit()

    report = send_pending()

    assert (report.sent, report.failed) == (2, 0)
    assert sorted(mailbox.subjects()) == ["Eerste", "Tweede"]
    rcpt, message = next(m for m in mailbox.messages if m[1]["Subject"] == "Eerste")
    assert rcpt == ["regieteam@talis.example"]
    assert message["From"] == "privacyportaal@localhost"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Content-Language"] == "nl"  # notices to partners are in Dutch
    assert message.get_content().replace("\r\n", "\n").strip() == "Een\n\nTwee"
    stored = db.session.get(PartnerNotice, first)
    assert stored.sent_at is not None and stored.attempts == 1 and stored.last_error is None
    exports = db.session.scalars(
        sa.select(audit.AuditEntry).where(
            audit.AuditEntry.action == "export", audit.AuditEntry.object_id == first
        )
    ).all()
    assert [e.object_type for e in exports] == ["partner_notice"]

    again = send_pending()
    assert (again.sent, again.failed) == (0, 0)
    assert len(mailbox.messages) == 2


def test_a_partner_without_contact_address_gets_the_dashboard_notice_only(ctx, mailbox):
    partner = f.partner(contact_email=None)
    notice = notify_partner(partner, kind="test", subject="Alleen overzicht", body="Tekst")
    db.session.commit()
    report = send_pending()
    assert (report.sent, report.failed) == (0, 0)
    assert mailbox.messages == []
    assert db.session.get(PartnerNotice, notice.id).email_to is None


def test_a_failure_counts_an_attempt_and_a_later_run_delivers_once(ctx, smtp_server):
    partner = f.partner(contact_email="meldingen@partner.example")
    notice_id = notify_partner(partner, kind="test", subject="Later", body="Tekst").id
    db.session.commit()

    down = send_pending()  # nothing listens on the port yet
    assert (down.sent, down.failed) == (0, 1)
    stored = db.session.get(PartnerNotice, notice_id)
    assert stored.sent_at is None and stored.attempts == 1
    assert "ConnectionRefusedError" in stored.last_error

    smtp_server.start()
    up = send_pending()
    assert (up.sent, up.failed) == (1, 0)
    assert send_pending().sent == 0
    assert smtp_server.subjects() == ["Later"]
    stored = db.session.get(PartnerNotice, notice_id)
    assert stored.attempts == 2 and stored.sent_at is not None and stored.last_error is None


def test_a_crash_halfway_never_sends_a_sent_notice_again(ctx, mailbox, monkeypatch):
    partner = f.partner(contact_email="meldingen@partner.example")
    for subject in ("Een", "Twee"):
        notify_partner(partner, kind="test", subject=subject, body="Tekst")
    db.session.commit()
    real_send = mail.send

    def crash_on_second(to, subject, body):
        if subject == "Twee":
            raise RuntimeError("worker killed")
        real_send(to, subject, body)

    monkeypatch.setattr(mail, "send", crash_on_second)
    with pytest.raises(RuntimeError):
        send_pending()
    db.session.rollback()
    monkeypatch.setattr(mail, "send", real_send)

    assert send_pending().sent == 1
    assert sorted(mailbox.subjects()) == ["Een", "Twee"]  # "Een" once, not twice


def test_a_notice_that_keeps_failing_stops_being_retried(ctx, smtp_server):
    partner = f.partner(contact_email="meldingen@partner.example")
    notice = notify_partner(partner, kind="test", subject="Onbestelbaar", body="Tekst")
    notice.attempts = MAX_ATTEMPTS
    db.session.commit()
    smtp_server.start()
    assert send_pending().sent == 0
    assert _unsent()[0].attempts == MAX_ATTEMPTS


def test_send_pending_can_be_narrowed_to_a_person(ctx, mailbox):
    partner = f.partner(contact_email="meldingen@partner.example")
    person = f.person()
    notify_partner(partner, kind="test", subject="Over de persoon", body="x", person_id=person.id)
    notify_partner(partner, kind="test", subject="Iets anders", body="x")
    db.session.commit()
    assert send_pending(person_id=person.id).sent == 1
    assert mailbox.subjects() == ["Over de persoon"]


def test_the_command_sends_the_outbox_and_fails_when_a_notice_failed(app, db, smtp_server):
    with app.app_context():
        partner = f.partner(contact_email="meldingen@partner.example")
        notify_partner(partner, kind="test", subject="Via de opdracht", body="Tekst")
        db.session.commit()
    runner = app.test_cli_runner()
    failed = runner.invoke(args=["notices", "send"])
    assert failed.exit_code == 1 and "failed: 1" in failed.output
    smtp_server.start()
    sent = runner.invoke(args=["notices", "send", "--limit", "10"])
    assert sent.exit_code == 0 and "Notices sent: 1, failed: 0." in sent.output
    assert smtp_server.subjects() == ["Via de opdracht"]


# --- the dashboard ------------------------------------------------------------------------------


def test_dashboard_shows_the_unread_notices_of_the_own_partner_only(client, auth, seed):
    with seed():
        talis = f.partner(name="Talis")
        portaal = f.partner(name="Portaal")
        member = f.user(Role.TEAM_MEMBER, talis)
        notify_partner(talis, kind="test", subject="Voor Talis", body="Casus RT-1 kreeg iets.")
        notify_partner(portaal, kind="test", subject="Voor Portaal", body="Niet voor Talis.")
    auth.login(member)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Meldingen voor Talis" in page
    assert "Voor Talis" in page and "Casus RT-1 kreeg iets." in page
    assert "Voor Portaal" not in page and "Niet voor Talis." not in page


def test_the_persons_name_shows_only_to_who_may_see_that_person(client, auth, seed):
    with seed():
        talis = f.partner(name="Talis")
        on_case = f.user(Role.TEAM_MEMBER, talis)
        not_on_case = f.user(Role.TEAM_MEMBER, talis)
        household = f.household()
        person = f.person(household, given_name="Noor", family_name="Visser")
        case = f.case(household_obj=household, team=[talis], members=[on_case])
        notify_partner(
            talis,
            kind="test",
            subject="Toestemming ingetrokken",
            body=f"Een betrokkene in casus {case.reference}.",
            person_id=person.id,
            case_id=case.id,
        )
        ids = (person.id, on_case.id)
    auth.login(on_case)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "betreft Noor Visser" in page and f"/persons/{ids[0]}" in page
    with seed():
        reads = db.session.scalars(
            sa.select(audit.AuditEntry).where(
                audit.AuditEntry.user_id == ids[1],
                audit.AuditEntry.person_id == ids[0],
                audit.AuditEntry.action == "read",
            )
        ).all()
        assert [r.purpose for r in reads] == ["melding inzien"]
    auth.login(not_on_case)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Toestemming ingetrokken" in page  # the partner is told
    assert "Noor Visser" not in page and f"/persons/{ids[0]}" not in page  # but not who


def test_roles_without_personal_data_see_no_notices(client, auth, seed):
    with seed():
        partner = f.partner()
        statistics = f.user(Role.STATISTICS, partner)
        notify_partner(partner, kind="test", subject="Niet voor O&S", body="Tekst")
    auth.login(statistics)
    assert "Niet voor O&amp;S" not in client.get("/dashboard").get_data(as_text=True)


def test_marking_read_takes_the_notice_off_the_dashboard(client, auth, seed):
    with seed():
        talis = f.partner(name="Talis")
        member = f.user(Role.CASE_MANAGER, talis)
        colleague = f.user(Role.TEAM_MEMBER, talis)
        notice_id = notify_partner(talis, kind="test", subject="Te lezen", body="Tekst").id
        other_id = notify_partner(f.partner(), kind="test", subject="Ander", body="x").id
    auth.login(member)
    assert client.post(f"/notices/{other_id}/read").status_code == 404
    response = client.post(f"/notices/{notice_id}/read")
    assert response.status_code == 302 and response.location.endswith("/dashboard")
    assert "Te lezen" not in client.get("/dashboard").get_data(as_text=True)
    auth.login(colleague)  # read for the whole partner
    assert "Te lezen" not in client.get("/dashboard").get_data(as_text=True)
    with seed():
        assert db.session.get(PartnerNotice, notice_id).read_at is not None
        assert db.session.get(PartnerNotice, other_id).read_at is None


def test_registered_link_of_a_kind_is_used(ctx):
    partner = f.partner()
    user = f.user(Role.TEAM_MEMBER, partner)
    notify_partner(partner, kind="test_linked", subject="Met link", body="x")
    notices.register_link("test_linked", lambda notice, viewer: f"/somewhere/{viewer.id}")
    try:
        shown = notices.for_dashboard(user)
    finally:
        notices._link_builders.pop("test_linked")
    assert [(n.subject, n.link) for n in shown] == [("Met link", f"/somewhere/{user.id}")]
