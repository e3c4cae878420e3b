"""Preview, send (render once, store, audit) and hand out stored letters.

Operations flush and write their audit entry but never commit; the view or CLI command commits.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa
from flask import current_app

from portal import audit
from portal.extensions import db
from portal.letters import access_codes
from portal.letters.content import LetterDraft, long_date
from portal.letters.models import Letter, LetterChannel, LetterKind
from portal.letters.registry import (
    LAYOUT_TEXT,
    PORTAL_SIGNER,
    SENDER,
    SUPERVISOR,
    template_for,
)
from portal.letters.render import RenderedPdf, html_to_pdf, render_html
from portal.models import Person, User, utcnow
from portal.operations import RuleViolation

PROCESSING_ACTIVITY = "brieven"
PREVIEW_CODE = "XXXX-XXXX-XXXX"


def _recipient(draft: LetterDraft) -> tuple[list[str], str]:
    """The address block and the salutation."""
    text = LAYOUT_TEXT[draft.language]
    household = draft.household
    street = f"{household.street} {household.house_number}"
    city = f"{household.postcode} {household.city}"
    person = draft.person
    if person is None:
        return [text["to_residents"], street, city], text["dear_residents"]
    lines = [person.full_name, street, city]
    # Below 16 the legal representative acts for the child (DESIGN.md, Person).
    if person.is_minor_on(utcnow().date()) and person.legal_representative is not None:
        lines.insert(0, text["representative_of"])
        salutation = f"{text['dear']} {person.legal_representative.full_name},"
    else:
        salutation = f"{text['dear']} {person.full_name},"
    return lines, salutation


def letter_context(
    draft: LetterDraft,
    *,
    signer: str,
    access: Optional[dict] = None,
    preview: bool = False,
    today: Optional[datetime] = None,
) -> dict:
    template = template_for(draft.kind)
    recipient, salutation = _recipient(draft)
    return {
        **draft.fields,
        "language": draft.language,
        "t": LAYOUT_TEXT[draft.language],
        "sender": SENDER,
        "supervisor": SUPERVISOR,
        "template_version": template.version,
        "reference": draft.reference,
        "request_reference": draft.request_reference,
        "recipient": recipient,
        "salutation": salutation,
        "letter_date": long_date(today or utcnow(), draft.language),
        "signer": signer,
        "access": access,
        "preview": preview,
    }


def _preview_access(draft: LetterDraft) -> Optional[dict]:
    if not (template_for(draft.kind).access_code and draft.person is not None):
        return None
    days = current_app.config["LETTER_CODE_DAYS"]
    return {
        "code": PREVIEW_CODE,
        "qr": access_codes.qr_data_url(access_codes.sign_in_url()),
        "url": access_codes.sign_in_url(),
        "expires_on": long_date(utcnow() + timedelta(days=days), draft.language),
    }


def _audit_preview(actor: User, draft: LetterDraft) -> None:
    audit.record(
        audit.Action.READ,
        user=actor,
        person_id=draft.person.id if draft.person else None,
        case_id=draft.case.id if draft.case else None,
        object_type="letter_preview",
        processing_activity=PROCESSING_ACTIVITY,
        purpose=f"voorbeeld brief: {draft.kind.value}",
    )


def preview_html(actor: User, draft: LetterDraft) -> str:
    """The letter as it will read, inside a staff page; marked as a preview, nothing stored."""
    context = letter_context(draft, signer=actor.name, access=_preview_access(draft), preview=True)
    html = render_html(template_for(draft.kind).path(draft.language), context, fragment=True)
    _audit_preview(actor, draft)
    return html


def preview_pdf(actor: User, draft: LetterDraft) -> RenderedPdf:
    context = letter_context(draft, signer=actor.name, access=_preview_access(draft), preview=True)
    rendered = html_to_pdf(
        render_html(template_for(draft.kind).path(draft.language), context),
        language=draft.language,
    )
    _audit_preview(actor, draft)
    return rendered


def _check_channel(draft: LetterDraft, channel: LetterChannel, actor: Optional[User]) -> None:
    if actor is None and channel is not LetterChannel.PORTAL:
        # Only the person's own action in the citizen portal makes a letter without staff.
        raise RuleViolation("no_sender", "Een medewerker verstuurt deze brief.")
    if draft.person is None and channel is not LetterChannel.POST:
        raise RuleViolation(
            "household_by_post", "Een brief aan de bewoners van een adres gaat per post."
        )
    if channel is LetterChannel.EMAIL and not (draft.person and draft.person.email):
        raise RuleViolation("no_email", "Van deze persoon is geen e-mailadres bekend.")


def send_letter(
    actor: Optional[User],
    draft: LetterDraft,
    *,
    channel: LetterChannel = LetterChannel.POST,
    with_access_code: Optional[bool] = None,
    now: Optional[datetime] = None,
    on_behalf_of: Optional[str] = None,
) -> Letter:
    """Render the letter once and store exactly those bytes with their SHA-256: the stored PDF is
    what the person received and what every later download serves. `actor` is None only for a
    confirmation of the person's own action in the citizen portal (channel portal)."""
    _check_channel(draft, channel, actor)
    template = template_for(draft.kind)
    now = now or utcnow()
    if with_access_code is None:
        with_access_code = template.access_code
    issued = None
    access = None
    if with_access_code and draft.person is not None:
        issued = access_codes.issue_code(draft.person, actor=actor, now=now)
        access = {
            "code": issued.code,
            "qr": issued.qr_data_url(),
            "url": access_codes.sign_in_url(),
            "expires_on": long_date(issued.expires_at, draft.language),
        }
    signer = actor.name if actor is not None else PORTAL_SIGNER[draft.language]
    context = letter_context(draft, signer=signer, access=access, today=now)
    rendered = html_to_pdf(
        render_html(template.path(draft.language), context), language=draft.language
    )
    letter = Letter(
        kind=draft.kind,
        language=draft.language,
        template=template.path(draft.language),
        template_version=template.version,
        person=draft.person,
        household=draft.household,
        case=draft.case,
        request_reference=draft.request_reference,
        channel=channel,
        pdf=rendered.pdf,
        sha256=hashlib.sha256(rendered.pdf).hexdigest(),
        size_bytes=len(rendered.pdf),
        page_count=rendered.page_count,
        access_code=issued.row if issued else None,
        created_at=now,
        created_by_id=actor.id if actor is not None else None,
    )
    db.session.add(letter)
    db.session.flush()
    audit.record(
        audit.Action.CREATE,
        user=actor,
        person_id=letter.person_id,
        case_id=letter.case_id,
        object_type="letter",
        object_id=letter.id,
        processing_activity=PROCESSING_ACTIVITY,
        purpose=f"brief versturen: {draft.kind.value} ({channel.value})",
        on_behalf_of=on_behalf_of,
    )
    return letter


def stored_pdf(
    actor: Optional[User], letter: Letter, *, on_behalf_of: Optional[str] = None
) -> bytes:
    """The bytes as sent, checked against their hash; audited as an export of personal data.
    In the citizen portal `actor` is None and `on_behalf_of` names the signed-in person."""
    pdf = letter.pdf
    if hashlib.sha256(pdf).hexdigest() != letter.sha256:
        raise RuleViolation(
            "hash_mismatch", "Deze brief is beschadigd: de controlewaarde klopt niet."
        )
    audit.record(
        audit.Action.EXPORT,
        user=actor,
        person_id=letter.person_id,
        case_id=letter.case_id,
        object_type="letter",
        object_id=letter.id,
        processing_activity=PROCESSING_ACTIVITY,
        purpose="verzonden brief downloaden",
        on_behalf_of=on_behalf_of,
    )
    return pdf


def letters_for(person: Person) -> list[Letter]:
    """The person's letters and the letters to their household address, newest first."""
    return list(
        db.session.scalars(
            sa.select(Letter)
            .where(
                sa.or_(
                    Letter.person_id == person.id,
                    sa.and_(Letter.person_id.is_(None), Letter.household_id == person.household_id),
                )
            )
            .order_by(Letter.created_at.desc(), Letter.id.desc())
        ).all()
    )


def information_versions_received(person: Person) -> list[str]:
    """The versions of the information letter this person was sent, newest first: the consent
    ledger's `information_version` names one of these (informed consent)."""
    rows = db.session.execute(
        sa.select(Letter.template_version, sa.func.max(Letter.created_at).label("last"))
        .where(Letter.person_id == person.id, Letter.kind == LetterKind.INFORMATION)
        .group_by(Letter.template_version)
        .order_by(sa.text("last DESC"))
    ).all()
    return [row.template_version for row in rows]
