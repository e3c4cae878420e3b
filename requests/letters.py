"""The letters of a privacy request: built from the request, stored through `portal.letters`
(rendered once, kept with their hash) and, when the person gave an email address, emailed.

AVG art. 12(3): the request is acknowledged with its deadline, an extension is told with its
reasons within the first month; art. 12(4) and UAVG art. 34: the decision is a besluit with the
reasons, the complaint route to the Autoriteit Persoonsgegevens and the bezwaar clause (the
decision template of `portal/letters` carries them). Every letter is stored with the request's
reference, so the desk sees the request's letters on its page.

Email goes after the commit (`send_pending`), never inside the step that wrote the letter: a mail
server that is down never undoes a step. The access report is never emailed: it holds special
categories of data (AVG art. 9) and plain email is no fit channel for them (AVG art. 32); it goes
by post and is kept for the citizen portal.
"""

from __future__ import annotations

import hashlib
import smtplib
from dataclasses import dataclass
from datetime import date
from typing import Optional

import sqlalchemy as sa

from portal import audit, mail
from portal.extensions import db
from portal.letters import content
from portal.letters import operations as letter_ops
from portal.letters.content import LetterDraft
from portal.letters.models import Letter, LetterChannel, LetterKind
from portal.letters.registry import SENDER
from portal.models import Person, User, utcnow
from requests import deadlines
from requests.models import LetterEmail, Outcome, PrivacyRequest, RequestType

PROCESSING_ACTIVITY = "AVG-verzoeken"
# After this many failed deliveries a letter stays unsent by email; it is stored and can be
# downloaded or printed, and the command reports it.
MAX_ATTEMPTS = 10

RIGHT_NAMES = {
    RequestType.ACCESS: "access",
    RequestType.RECTIFICATION: "rectification",
    RequestType.ERASURE: "erasure",
    RequestType.RESTRICTION: "restriction",
    RequestType.OBJECTION: "objection",
}
# "Not handled" (the requester could not be identified, AVG art. 11(2), 12(2)) is also a decision
# not to act: the letter says the request is refused and gives the reasons (AVG art. 12(4)).
OUTCOME_NAMES = {
    Outcome.GRANTED: "granted",
    Outcome.PARTLY_GRANTED: "partly",
    Outcome.REFUSED: "refused",
    Outcome.NOT_HANDLED: "refused",
}
# Special categories of data (AVG art. 9) do not travel by plain email.
NOT_BY_EMAIL = frozenset({LetterKind.ACCESS_REPORT})


def right_name(request: PrivacyRequest) -> str:
    return RIGHT_NAMES[request.type]


def by_email(person: Person, kind: LetterKind) -> bool:
    """A letter goes by email when the person gave an address. A child below 16 is written to
    through the legal representative, by post."""
    return (
        kind not in NOT_BY_EMAIL
        and bool(person.email)
        and not person.is_minor_on(deadlines.today())
    )


def send(actor: Optional[User], request: PrivacyRequest, draft: LetterDraft) -> Letter:
    """Store the letter (rendered once) and queue its email. `actor` is None only for a request
    the person filed online themselves: the acknowledgement then goes through the portal."""
    emailed = by_email(request.person, draft.kind)
    if actor is None:
        channel = LetterChannel.PORTAL
    elif emailed:
        channel = LetterChannel.EMAIL
    else:
        channel = LetterChannel.POST
    letter = letter_ops.send_letter(
        actor,
        draft,
        channel=channel,
        on_behalf_of=None if actor is not None else f"person:{request.person_id}",
    )
    if emailed:
        db.session.add(LetterEmail(letter_id=letter.id))
        db.session.flush()
    return letter


def letters_of(request: PrivacyRequest) -> list[Letter]:
    """The letters sent about this request, oldest first."""
    return list(
        db.session.scalars(
            sa.select(Letter)
            .where(Letter.request_reference == request.reference)
            .order_by(Letter.created_at, Letter.id)
        )
    )


def email_state(letters: list[Letter]) -> dict[int, LetterEmail]:
    ids = [letter.id for letter in letters]
    rows = db.session.scalars(sa.select(LetterEmail).where(LetterEmail.letter_id.in_(ids)))
    return {row.letter_id: row for row in rows}


# --- the drafts ---------------------------------------------------------------------------------


def acknowledgement(request: PrivacyRequest) -> LetterDraft:
    return content.acknowledgement(
        request.person,
        request_reference=request.reference,
        right=right_name(request),
        received_on=request.received_on,
        due_on=request.deadline,
        language=request.language,
    )


def extension(request: PrivacyRequest, original_due_on: date) -> LetterDraft:
    """The deadline after the extension. The letter builder refuses a date beyond three months
    from receipt, but Regulation 1182/71 moves a period that ends on a weekend or holiday (and the
    "suspend" policy adds waiting days, requests/deadlines.py). The letter then names the end of
    the three months: earlier than the real deadline, so the requester is never told a date the
    desk may pass."""
    three_months = deadlines.add_months(request.received_on, 3)
    return content.extension(
        request.person,
        request_reference=request.reference,
        right=right_name(request),
        received_on=request.received_on,
        original_due_on=original_due_on,
        new_due_on=min(request.deadline, three_months),
        reasons=request.extension_reasons,
        language=request.language,
    )


def decision(request: PrivacyRequest, actions: Optional[str] = None) -> LetterDraft:
    return content.decision(
        request.person,
        request_reference=request.reference,
        right=right_name(request),
        received_on=request.received_on,
        outcome=OUTCOME_NAMES[request.decision],
        reasons=request.decision_reasons,
        actions=actions,
        language=request.language,
    )


def restriction_lifted(request: PrivacyRequest, *, since, reasons: str) -> LetterDraft:
    """AVG art. 18(3): told before the restriction of processing is lifted, with the reasons."""
    return content.processing_restriction_lifted(
        request.person,
        since=since,
        lifted_on=deadlines.today(),
        reasons=reasons,
        request_reference=request.reference,
        language=request.language,
    )


def right_restricted(request: PrivacyRequest, review_on: date) -> LetterDraft:
    """Privacyprotocol art. 4 and 5: the person is told, as soon as possible, that a right was
    restricted for a while, and when it is looked at again."""
    return content.restriction(
        request.person,
        right=right_name(request),
        ground=request.right_restriction_ground.value,
        since=request.right_restricted_on,
        review_on=review_on,
        request_reference=request.reference,
        language=request.language,
    )


def right_restriction_ended(request: PrivacyRequest) -> LetterDraft:
    return content.restriction_ended(
        request.person,
        right=right_name(request),
        ground=request.right_restriction_ground.value,
        since=request.right_restricted_on,
        ended_on=request.right_restriction_ended_on,
        request_reference=request.reference,
        language=request.language,
    )


# --- email after the commit -----------------------------------------------------------------------

SUBJECT = {
    "nl": "Brief van de gemeente Nijmegen over uw privacyverzoek {reference}",
    "en": "Letter from the municipality of Nijmegen about your privacy request {reference}",
}
# No name and no content: the letter itself is the attachment. The mail says who sends it and how
# to check it is real.
BODY = {
    "nl": (
        "Beste heer of mevrouw,\n\n"
        "In de bijlage staat een brief van het college van burgemeester en wethouders van "
        "Nijmegen over uw privacyverzoek {reference}. De brief is een PDF-bestand.\n\n"
        "Twijfelt u of dit bericht echt van ons komt? Bel de gemeente op telefoonnummer {phone} "
        "en noem het kenmerk {reference}.\n\n"
        "Dit bericht is automatisch verstuurd. U kunt er niet op antwoorden.\n\n"
        "Gemeente Nijmegen\n{address}, {city}\n"
    ),
    "en": (
        "Dear Sir or Madam,\n\n"
        "Attached is a letter from the Municipal Executive of Nijmegen about your privacy "
        "request {reference}. The letter is a PDF file.\n\n"
        "Not sure this message really comes from us? Call the municipality on {phone} and "
        "mention reference {reference}.\n\n"
        "This message was sent automatically. You cannot reply to it.\n\n"
        "Gemeente Nijmegen\n{address}, {city}\n"
    ),
}


def build_email(letter: Letter, to: str, pdf: bytes):
    language = letter.language if letter.language in SUBJECT else "nl"
    values = dict(
        reference=letter.request_reference,
        phone=SENDER["phone"],
        address=SENDER["postal_address"],
        city=SENDER["postal_city"],
    )
    message = mail.build_message(
        to, SUBJECT[language].format(**values), BODY[language].format(**values), language=language
    )
    message.add_attachment(
        pdf,
        maintype="application",
        subtype="pdf",
        filename=f"{letter.request_reference}-{letter.kind.value}.pdf",
    )
    # add_attachment moved the Content-* headers into the text part; say it for the whole mail.
    message["Content-Language"] = language
    return message


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0


def send_pending(limit: int = 50, *, reference: Optional[str] = None) -> SendReport:
    """Email the letters waiting for it, oldest first, committing each on its own (as
    `portal.notices.send_pending` does). Call it after the step that wrote them is committed.
    `reference` narrows the run to one request's letters."""
    query = (
        sa.select(LetterEmail.id)
        .where(LetterEmail.sent_at.is_(None), LetterEmail.attempts < MAX_ATTEMPTS)
        .order_by(LetterEmail.id)
        .limit(limit)
    )
    if reference is not None:
        query = query.join(Letter, Letter.id == LetterEmail.letter_id).where(
            Letter.request_reference == reference
        )
    candidates = db.session.scalars(query).all()
    db.session.commit()
    report = SendReport()
    for row_id in candidates:
        row = db.session.scalar(
            sa.select(LetterEmail)
            .where(LetterEmail.id == row_id, LetterEmail.sent_at.is_(None))
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
        if row is None:
            db.session.rollback()
            continue
        row.attempts += 1
        letter = db.session.get(Letter, row.letter_id)
        to = letter.person.email if letter.person is not None else None
        try:
            if not to:
                raise ValueError("no email address (any more)")
            pdf = letter.pdf
            if hashlib.sha256(pdf).hexdigest() != letter.sha256:
                raise ValueError("the stored letter does not match its hash")
            mail.send_message(build_email(letter, to, pdf))
        except (OSError, smtplib.SMTPException, ValueError) as error:
            row.last_error = f"{type(error).__name__}: {error}"[:500]
            report.failed += 1
        else:
            row.sent_at = utcnow()
            row.last_error = None
            audit.record(
                audit.Action.EXPORT,
                person_id=letter.person_id,
                object_type="letter",
                object_id=letter.id,
                processing_activity=PROCESSING_ACTIVITY,
                purpose="brief per e-mail verstuurd",
            )
            report.sent += 1
        db.session.commit()
    return report
