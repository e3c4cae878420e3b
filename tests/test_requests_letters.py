"""The letters of a request (AVG art. 12(3) and (4), UAVG art. 34): registering sends the
acknowledgement with the deadline, an extension the extension letter with its reasons, a decision
the decision letter (reasons, the complaint route to the Autoriteit Persoonsgegevens, the bezwaar
clause, what was done). Every letter is stored with the request's reference and listed on the
request page; a person with an email address gets it by email after the commit - delivered here
to a real SMTP server (aiosmtpd)."""

from __future__ import annotations

from datetime import date
from io import BytesIO

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from portal.audit import AuditEntry
from portal.extensions import db
from portal.letters.models import Letter, LetterChannel, LetterKind
from portal.models import Role
from portal.operations import RuleViolation
from requests import deadlines
from requests import letters as request_letters
from requests import operations as ops
from requests.models import (
    Channel,
    IdentityMethod,
    LetterEmail,
    Outcome,
    PrivacyRequest,
    RequestType,
)
from tests import factories as f
from tests.test_notices import local_mail_server

TODAY = date(2026, 3, 20)
RECEIVED = date(2026, 3, 2)  # one month ends Thu 2 April 2026


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(deadlines, "today", lambda: TODAY)
    return TODAY


@pytest.fixture
def smtp_server(app, monkeypatch):
    with local_mail_server(app, monkeypatch) as server:
        yield server


@pytest.fixture
def mailbox(smtp_server):
    smtp_server.start()
    return smtp_server


def text_of(pdf: bytes) -> str:
    reader = PdfReader(BytesIO(pdf))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def register(actor, person=None, **overrides):
    values = dict(
        person=person or f.person(),
        type=RequestType.RECTIFICATION,
        channel=Channel.LETTER,
        received_on=RECEIVED,
        description="Mijn geboortedatum klopt niet",
        identity_method=IdentityMethod.DESK_ID_DOCUMENT_SEEN,
    )
    values.update(overrides)
    return ops.register_request(actor, **values)


def letters_of(request) -> list[Letter]:
    return request_letters.letters_of(request)


# --- the operations -----------------------------------------------------------------------------


def test_registering_sends_the_acknowledgement_with_the_deadline(ctx):
    desk = f.user(Role.PRIVACY_DESK)
    request = register(desk, f.person(given_name="Noor", family_name="Visser"))
    [letter] = letters_of(request)
    assert (letter.kind, letter.request_reference, letter.person_id) == (
        LetterKind.ACKNOWLEDGEMENT,
        request.reference,
        request.person_id,
    )
    assert letter.channel is LetterChannel.POST  # no email address known
    text = text_of(letter.pdf)
    assert "Noor Visser" in text and request.reference in text
    assert "2 maart 2026" in text and "2 april 2026" in text  # received, and the deadline
    audited = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.object_type == "letter")
    ).all()
    assert [(entry.object_id, entry.action) for entry in audited] == [(letter.id, "create")]


def test_letters_are_written_in_the_language_of_the_request(ctx):
    desk = f.user(Role.PRIVACY_DESK)
    request = register(desk, language="en")
    [letter] = letters_of(request)
    assert letter.language == "en"
    assert "2 April 2026" in text_of(letter.pdf)
    with pytest.raises(RuleViolation) as refused:
        register(desk, language="fr")
    assert refused.value.code == "unknown_language"


def test_a_request_filed_online_is_acknowledged_through_the_portal(ctx):
    request = register(None, channel=Channel.ONLINE, identity_method=IdentityMethod.DIGID)
    [letter] = letters_of(request)
    assert letter.channel is LetterChannel.PORTAL and letter.created_by_id is None
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.object_type == "letter")
    ).one()
    assert entry.on_behalf_of == f"person:{request.person_id}"


def test_the_extension_letter_gives_the_reasons_and_the_new_date(ctx):
    desk = f.user(Role.PRIVACY_DESK)
    request = register(desk)
    ops.start_processing(desk, request, version=request.version_id)
    ops.extend_deadline(
        desk, request, version=request.version_id, reasons="Wij vragen vier partners om gegevens."
    )
    kinds = [letter.kind for letter in letters_of(request)]
    assert kinds == [LetterKind.ACKNOWLEDGEMENT, LetterKind.EXTENSION]
    text = text_of(letters_of(request)[-1].pdf)
    assert "Wij vragen vier partners om gegevens." in text
    assert "2 april 2026" in text and "2 juni 2026" in text  # the first and the new deadline


def test_a_failed_extension_sends_no_letter(ctx):
    desk = f.user(Role.PRIVACY_DESK)
    request = register(desk)
    ops.start_processing(desk, request, version=request.version_id)
    with pytest.raises(RuleViolation):
        ops.extend_deadline(desk, request, version=request.version_id, reasons="  ")
    assert [letter.kind for letter in letters_of(request)] == [LetterKind.ACKNOWLEDGEMENT]


def test_a_refusal_states_reasons_the_complaint_route_and_the_bezwaar_clause(ctx):
    desk = f.user(Role.PRIVACY_DESK)
    request = register(desk)
    ops.start_processing(desk, request, version=request.version_id)
    ops.decide_request(
        desk,
        request,
        version=request.version_id,
        outcome=Outcome.REFUSED,
        reasons="De geboortedatum komt overeen met de Basisregistratie Personen.",
    )
    letter = letters_of(request)[-1]
    assert letter.kind is LetterKind.DECISION
    text = text_of(letter.pdf)
    assert "Wij wijzen uw verzoek af" in text
    assert "komt overeen met de Basisregistratie Personen" in text
    assert "Autoriteit Persoonsgegevens" in text  # AVG art. 12(4)
    assert "artikel 34 Uitvoeringswet AVG" in text and "zes weken" in text  # the besluit


def test_not_handled_is_a_decision_with_its_reasons_too(ctx):
    desk = f.user(Role.PRIVACY_DESK)
    request = register(desk, identity_method=None)
    ops.decide_request(
        desk,
        request,
        version=request.version_id,
        outcome=Outcome.NOT_HANDLED,
        reasons="Wij konden niet vaststellen wie u bent.",
    )
    text = text_of(letters_of(request)[-1].pdf)
    assert "Wij konden niet vaststellen wie u bent." in text and "bezwaar" in text


def test_a_granted_access_request_is_answered_by_the_report_alone(ctx):
    from requests.access_report import send_access_report

    desk = f.user(Role.PRIVACY_DESK)
    request = register(desk, type=RequestType.ACCESS, description=None)
    ops.start_processing(desk, request, version=request.version_id)
    send_access_report(desk, request, version=request.version_id)
    ops.decide_request(desk, request, version=request.version_id, outcome=Outcome.GRANTED)
    kinds = [letter.kind for letter in letters_of(request)]
    # The report's cover letter carries the bezwaar clause: no second decision letter.
    assert kinds == [LetterKind.ACKNOWLEDGEMENT, LetterKind.ACCESS_REPORT]
    assert "artikel 34 Uitvoeringswet AVG" in text_of(letters_of(request)[-1].pdf)


def test_a_failing_letter_leaves_the_step_undone(ctx, monkeypatch):
    """Nothing half-written: when the letter cannot be made, the decision is not taken."""
    from portal.letters import operations as letter_ops

    desk = f.user(Role.PRIVACY_DESK)
    request = register(desk)
    ops.start_processing(desk, request, version=request.version_id)
    db.session.commit()

    def broken(*args, **kwargs):
        raise RuleViolation("no_sender", "Kapot")

    monkeypatch.setattr(letter_ops, "send_letter", broken)
    with pytest.raises(RuleViolation):
        ops.decide_request(
            desk, request, version=request.version_id, outcome=Outcome.REFUSED, reasons="Nee"
        )
    db.session.rollback()
    assert db.session.get(PrivacyRequest, request.id).decision is None


# --- email ----------------------------------------------------------------------------------------


def test_letters_are_emailed_after_the_commit_with_the_pdf_attached(ctx, mailbox):
    desk = f.user(Role.PRIVACY_DESK)
    request = register(desk, f.person(email="noor@example.org"))
    [letter] = letters_of(request)
    assert letter.channel is LetterChannel.EMAIL
    assert mailbox.messages == []  # nothing leaves inside the transaction
    db.session.commit()

    report = request_letters.send_pending(reference=request.reference)

    assert (report.sent, report.failed) == (1, 0)
    [(rcpt, message)] = mailbox.messages
    assert rcpt == ["noor@example.org"]
    assert request.reference in message["Subject"]
    assert message["Content-Language"] == "nl"
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert request.reference in body and "Noor" not in body  # the letter says it, not the mail
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == letter.pdf  # exactly the stored letter
    row = db.session.scalars(sa.select(LetterEmail)).one()
    assert row.sent_at is not None and row.attempts == 1
    assert request_letters.send_pending().sent == 0  # sent once


def test_a_mail_server_that_is_down_keeps_the_letter_waiting(ctx, smtp_server):
    desk = f.user(Role.PRIVACY_DESK)
    request = register(desk, f.person(email="noor@example.org"))
    db.session.commit()
    report = request_letters.send_pending()
    assert (report.sent, report.failed) == (0, 1)
    row = db.session.scalars(sa.select(LetterEmail)).one()
    assert row.sent_at is None and row.last_error
    assert db.session.get(PrivacyRequest, request.id) is not None  # the step itself stands

    smtp_server.start()
    assert request_letters.send_pending().sent == 1
    assert len(smtp_server.messages) == 1


def test_the_command_retries_waiting_letters(app, ctx, mailbox):
    desk = f.user(Role.PRIVACY_DESK)
    register(desk, f.person(email="noor@example.org"))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["requests", "send-letters"])
    assert result.exit_code == 0, result.output
    assert "verstuurd: 1" in result.output
    assert len(mailbox.messages) == 1


def test_a_child_is_written_to_by_post_and_the_access_report_never_by_email(ctx):
    household = f.household()
    parent = f.person(household, birth_date=date(1980, 1, 1))
    child = f.person(
        household,
        birth_date=date(2015, 1, 1),
        email="kind@example.org",
        legal_representative=parent,
    )
    assert not request_letters.by_email(child, LetterKind.ACKNOWLEDGEMENT)
    adult = f.person(email="a@example.org")
    assert request_letters.by_email(adult, LetterKind.DECISION)
    assert not request_letters.by_email(adult, LetterKind.ACCESS_REPORT)


# --- the pages --------------------------------------------------------------------------------


def test_the_request_page_lists_its_letters_and_emails_them(client, auth, seed, smtp_server):
    smtp_server.start()
    with seed():
        desk = f.user(Role.PRIVACY_DESK)
        person = f.person(email="noor@example.org")
        request_id = register(desk, person).id
    auth.login(desk)
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    assert "Ontvangstbevestiging" in page and "e-mail nog niet verstuurd" in page
    version = page.split('name="extend-version" type="hidden" value="')
    assert len(version) == 1  # not in progress yet: no extension form
    start = page.split('name="start-version" type="hidden" value="')[1].split('"')[0]
    assert (
        client.post(f"/requests/{request_id}/start", data={"start-version": start}).status_code
        == 302
    )
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    extend = page.split('name="extend-version" type="hidden" value="')[1].split('"')[0]
    response = client.post(
        f"/requests/{request_id}/extend",
        data={"extend-version": extend, "extend-reasons": "Veel partners"},
    )
    assert response.status_code == 302
    # The view emailed both letters after its commit: the acknowledgement and the extension.
    assert len(smtp_server.messages) == 2
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    assert "Verlenging van de termijn" in page and "gemaild op" in page
    with client.application.app_context():
        letter_id = db.session.scalars(
            sa.select(Letter.id).where(Letter.kind == LetterKind.EXTENSION)
        ).one()
    download = client.get(f"/letters/{letter_id}.pdf")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
