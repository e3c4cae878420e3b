"""My consents, in the citizen portal (issue 5, point 2): per organisation and life domain, who may
use what and why, since when, recorded by whom, on which information letter; and withdrawing.

Privacyprotocol art. 2, *Toestemming sub 1*: "betrokkene [kan] zijn toestemming altijd weer
intrekken. Verdere verwerking van persoonsgegevens dient na het intrekken van de toestemming te
worden gestaakt. De verwerking [...] tot aan het moment van intrekking [...] wordt niet
onrechtmatig [...] De persoonsgegevens die [...] voorafgaand aan de intrekking zijn verwerkt hoeven
niet verwijderd te worden". The withdrawal is the one the staff use
(`consent.operations.withdraw_consent`): it takes effect at once and puts a notice in the outbox of
every partner that relied on the consent; the emails go after the commit. The person gets a
confirmation: the page, a letter in their letters (channel portal), and an email when known.

Below 16 the legal representative decides (DESIGN.md, Person): a parent signed in sees the files of
the minors they represent (`portal.citizen.load_file`) and withdraws for them as representative.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from babel.lists import format_list
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale, format_datetime, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from consent.basis_forms import purpose_label
from consent.check import current_events, may
from consent.forms import (
    _in_sentence,
    decision_sentence,
    domain_name,
    purpose_phrase,
    recorded_by_label,
    state_label,
)
from consent.letters import BASIS_LABELS, PURPOSE_LABELS
from consent.models import Basis, Channel, ConsentEvent, ConsentStatus, LegalBasisRecord, RecordedBy
from consent.operations import withdraw_consent
from consent.reuse import relying_partners
from portal import audit, citizen, mail, notices
from portal.extensions import db
from portal.forms import EmptyForm
from portal.letters import content as letter_content
from portal.letters import operations as letter_operations
from portal.letters.models import Letter, LetterChannel, LetterKind
from portal.letters.registry import LANGUAGES
from portal.models import Case, DataDomain, Partner, Person, User, utcnow
from portal.operations import RuleViolation

bp = Blueprint("citizen_consents", __name__, url_prefix="/mijn/<int:person_id>/toestemmingen")

PROCESSING_ACTIVITY = "burgerportaal"
# Bases under which telling the person may be put off for a while (Privacyprotocol art. 4 and 5:
# rights restricted "tijdelijk" for a vital interest or a conflict of duties, the person is told
# "zodra mogelijk" by letter). The portal does not show them before that letter does.
NOT_SHOWN_ONLINE = frozenset({Basis.VITAL_INTEREST, Basis.CONFLICT_OF_DUTIES})


# --- what the person sees ---------------------------------------------------------------------


@dataclass(frozen=True)
class ConsentLine:
    """One decision that counts now: one organisation × life domain × purpose."""

    event: ConsentEvent
    in_force: bool
    state: str
    sentence: str
    recorded_by: str
    information_letter: Optional[Letter]


@dataclass
class OrganisationConsents:
    partner: Partner
    lines: list[ConsentLine] = field(default_factory=list)

    @property
    def in_force(self) -> list[ConsentLine]:
        return [line for line in self.lines if line.in_force]


@dataclass(frozen=True)
class OtherBasis:
    """A basis other than consent on which an organisation may use the person's data now."""

    partner: str
    domain: str
    purpose: str
    basis: str
    statute: Optional[str]


def language() -> str:
    locale = get_locale()
    return locale.language if locale is not None and locale.language in LANGUAGES else "nl"


def recorded_by_text(event: ConsentEvent, viewer: Person) -> str:
    """Who put the decision on record: a role and organisation, never an employee's name."""
    if event.recorded_by is RecordedBy.PERSON:
        decider = event.representative or event.person
        if decider.id == viewer.id:
            return _("uzelf, online")
        return _("%(name)s, online", name=decider.full_name)
    role = recorded_by_label(event.recorded_by)
    if event.recorder is not None:
        return _(
            "%(role)s van %(organisation)s", role=role, organisation=event.recorder.partner.name
        )
    return role


def _information_letters(person: Person) -> dict[str, Letter]:
    """The newest information letter the person was sent, per template version."""
    letters = db.session.scalars(
        sa.select(Letter)
        .where(Letter.person_id == person.id, Letter.kind == LetterKind.INFORMATION)
        .order_by(Letter.created_at.desc(), Letter.id.desc())
    ).all()
    found: dict[str, Letter] = {}
    for letter in letters:
        found.setdefault(letter.template_version, letter)
    return found


def _sentence(event: ConsentEvent, in_force: bool) -> str:
    if in_force or event.status is ConsentStatus.REFUSED:
        status = ConsentStatus.GIVEN if in_force else ConsentStatus.REFUSED
        return decision_sentence(status, event.recipient, event.domain, event.purpose)
    if event.status is ConsentStatus.WITHDRAWN:
        return _(
            "%(partner)s mag gegevens over %(domain)s niet meer gebruiken. De toestemming is "
            "ingetrokken.",
            partner=event.recipient.name,
            domain=_in_sentence(domain_name(event.domain)),
        )
    return _(
        "%(partner)s mag gegevens over %(domain)s niet meer gebruiken. De toestemming is verlopen.",
        partner=event.recipient.name,
        domain=_in_sentence(domain_name(event.domain)),
    )


def consents_by_organisation(
    person: Person, viewer: Person, now: Optional[datetime] = None
) -> list[OrganisationConsents]:
    """The deciding event per life domain × organisation × purpose (consent.check), grouped per
    organisation, the ones in force first."""
    now = now or utcnow()
    ids = [event.id for event in current_events(person.id, now)]
    events = db.session.scalars(
        sa.select(ConsentEvent)
        .where(ConsentEvent.id.in_(ids))
        .options(
            selectinload(ConsentEvent.recipient),
            selectinload(ConsentEvent.domain),
            selectinload(ConsentEvent.recorder).selectinload(User.partner),
            selectinload(ConsentEvent.representative),
        )
    ).all()
    letters = _information_letters(person)
    groups: dict[int, OrganisationConsents] = {}
    for event in events:
        in_force = event.in_force_at(now)
        line = ConsentLine(
            event=event,
            in_force=in_force,
            state=state_label(event, now),
            sentence=_sentence(event, in_force),
            recorded_by=recorded_by_text(event, viewer),
            information_letter=letters.get(event.information_version or ""),
        )
        groups.setdefault(event.recipient_id, OrganisationConsents(event.recipient)).lines.append(
            line
        )
    for group in groups.values():
        group.lines.sort(
            key=lambda line: (
                not line.in_force,
                domain_name(line.event.domain).lower(),
                line.event.purpose.value,
            )
        )
    return sorted(groups.values(), key=lambda group: group.partner.name.lower())


def other_bases(person: Person, now: Optional[datetime] = None) -> list[OtherBasis]:
    """Bases other than consent recorded for a case of the person's household that the check
    answers with now (a refusal or withdrawal of the person wins; consent.check)."""
    now = now or utcnow()
    keys = db.session.execute(
        sa.select(LegalBasisRecord.partner_id, LegalBasisRecord.domain_id, LegalBasisRecord.purpose)
        .join(Case, Case.id == LegalBasisRecord.case_id)
        .where(
            Case.household_id == person.household_id,
            LegalBasisRecord.basis != Basis.CONSENT,
            LegalBasisRecord.recorded_at <= now,
            sa.or_(LegalBasisRecord.ended_at.is_(None), LegalBasisRecord.ended_at > now),
        )
        .distinct()
    ).all()
    words = BASIS_LABELS[language()]
    found = []
    for partner_id, domain_id, purpose in keys:
        partner = db.session.get(Partner, partner_id)
        domain = db.session.get(DataDomain, domain_id)
        result = may(partner, person, domain, purpose, now)
        if not result.permitted or result.legal_basis_id is None:
            continue
        if result.basis in NOT_SHOWN_ONLINE:
            continue
        record = db.session.get(LegalBasisRecord, result.legal_basis_id)
        found.append(
            OtherBasis(
                partner=partner.name,
                domain=domain_name(domain),
                purpose=purpose_label(purpose),
                basis=words[result.basis],
                statute=record.statute,
            )
        )
    return sorted(found, key=lambda row: (row.partner.lower(), row.domain.lower(), row.purpose))


def decides_for(viewer: Person, subject: Person) -> bool:
    """Whether the signed-in person can withdraw on this file: below 16 the legal representative
    decides, not the child (DESIGN.md, Person)."""
    if viewer.id != subject.id:
        return subject.legal_representative_id == viewer.id
    return not subject.is_minor_on(utcnow().date())


def told_partners(events: list[ConsentEvent]) -> list[Partner]:
    """Who will be told: every partner that relied on the consents (consent.reuse)."""
    seen: dict[int, Partner] = {}
    for event in events:
        for partner in relying_partners(
            person_id=event.person_id, domain_id=event.domain_id, recipient_id=event.recipient_id
        ):
            seen.setdefault(partner.id, partner)
    return list(seen.values())


def names(partners: list[Partner]) -> str:
    return format_list([partner.name for partner in partners], locale=str(get_locale() or "nl"))


# --- the withdrawal ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Withdrawal:
    events: list[ConsentEvent]
    letter: Letter
    told: list[Partner]


def withdraw_online(
    viewer: Person, subject: Person, grants: list[ConsentEvent], *, language: str = "nl"
) -> Withdrawal:
    """Withdraw these consents of `subject` as the signed-in `viewer` (the person, or the legal
    representative of a minor), with the staff's own operation, and store the confirmation letter.
    Flushes and audits; the caller commits, then sends the notices and the email."""
    if not grants:
        raise RuleViolation(
            "nothing_to_withdraw", _("Er is geen geldende toestemming om in te trekken.")
        )
    representative = viewer if viewer.id != subject.id else None
    told = told_partners(grants)
    withdrawn = []
    for grant in grants:
        withdrawn.append(
            withdraw_consent(
                None,
                person=subject,
                domain=grant.domain,
                recipient=grant.recipient,
                purpose=grant.purpose,
                recorded_by=RecordedBy.PERSON,
                channel=Channel.ONLINE,
                representative=representative,
            )
        )
    with force_locale(language):
        rows = [
            {
                "organisation": event.recipient.name,
                "domain": _in_sentence(domain_name(event.domain)),
                "purpose": _in_sentence(PURPOSE_LABELS[language][event.purpose]),
            }
            for event in withdrawn
        ]
    draft = letter_content.withdrawal_confirmation(
        subject,
        withdrawn=rows,
        withdrawn_at=withdrawn[0].effective_at,
        told=[partner.name for partner in told],
        representative=representative,
        language=language,
    )
    letter = letter_operations.send_letter(
        None, draft, channel=LetterChannel.PORTAL, on_behalf_of=f"person:{viewer.id}"
    )
    return Withdrawal(withdrawn, letter, told)


def email_confirmation(viewer: Person, subject: Person, withdrawal: Withdrawal) -> Optional[bool]:
    """After the commit: tell the one who withdrew by email, when their address is known. The
    email names no organisation or life domain (AVG art. 5(1)(c)); the letter in the portal does.
    None: no address; False: sending failed (the letter is there all the same)."""
    if not viewer.email:
        return None
    letters_url = current_app.config["CITIZEN_PORTAL_URL"].rstrip("/") + url_for(
        "citizen_letters.overview", person_id=subject.id
    )
    moment = withdrawal.events[0].effective_at
    subject_line = _("Bevestiging: u heeft toestemming ingetrokken")
    body = _(
        "Beste %(name)s,\n\n"
        "Op %(date)s om %(time)s heeft u in het Privacyportaal Regieteams toestemming "
        "ingetrokken.\n\n"
        "- De toestemming stopt direct.\n"
        "- Wat eerder is gedaan, blijft geldig.\n"
        "- Er wordt niets verwijderd.\n"
        "- Wij laten de organisaties dit weten.\n\n"
        "U vindt de bevestiging ook bij Mijn brieven: %(url)s\n\n"
        "Met vriendelijke groet,\n"
        "Gemeente Nijmegen",
        name=viewer.full_name,
        date=format_datetime(moment, "d MMMM yyyy"),
        time=format_datetime(moment, "HH:mm"),
        url=letters_url,
    )
    try:
        mail.send(viewer.email, subject_line, body)
    except (OSError, smtplib.SMTPException, ValueError):
        current_app.logger.warning("Confirmation email of letter %s not sent", withdrawal.letter.id)
        return False
    audit.record(
        audit.Action.EXPORT,
        person_id=subject.id,
        object_type="letter",
        object_id=withdrawal.letter.id,
        processing_activity=PROCESSING_ACTIVITY,
        purpose="bevestiging intrekking per e-mail",
        on_behalf_of=f"person:{viewer.id}",
        confidentiality=audit.Confidentiality.NORMAL,
    )
    db.session.commit()
    return True


# --- pages ------------------------------------------------------------------------------------


def _load(person_id: int, purpose: str) -> tuple[Person, Person]:
    subject = citizen.load_file(person_id, purpose=purpose)
    return citizen.current_person(), subject


def _in_force(subject: Person, *, recipient_id: Optional[int] = None) -> list[ConsentEvent]:
    now = utcnow()
    return [
        event
        for event in current_events(subject.id, now)
        if event.in_force_at(now) and (recipient_id is None or event.recipient_id == recipient_id)
    ]


def _helpers() -> dict:
    return {
        "domain_name": domain_name,
        "purpose_label": purpose_label,
        "purpose_phrase": purpose_phrase,
        "in_sentence": _in_sentence,
    }


@bp.route("")
@citizen.citizen_required
def overview(person_id: int):
    viewer, subject = _load(person_id, "mijn toestemmingen inzien")
    page = render_template(
        "citizen/consents.html",
        subject=subject,
        viewer=viewer,
        organisations=consents_by_organisation(subject, viewer),
        other_bases=other_bases(subject),
        may_withdraw=decides_for(viewer, subject),
        **_helpers(),
    )
    db.session.commit()
    return page


def _confirm_page(
    viewer: Person,
    subject: Person,
    grants: list[ConsentEvent],
    *,
    partner: Optional[Partner] = None,
    form: Optional[EmptyForm] = None,
    status: int = 200,
):
    page = render_template(
        "citizen/consents_withdraw.html",
        subject=subject,
        viewer=viewer,
        grants=grants,
        partner=partner,
        told=names(told_partners(grants)) if grants else "",
        may_withdraw=decides_for(viewer, subject),
        form=form or EmptyForm(),
        **_helpers(),
    )
    db.session.commit()  # the audit entry of the read
    return page, status


def _withdraw(person_id: int, purpose: str, select, partner: Optional[Partner] = None):
    """GET: the confirmation step. POST: withdraw through the staff's operation, commit, tell the
    partners, confirm by letter and email, and show what happened."""
    viewer, subject = _load(person_id, purpose)
    grants = select(subject)
    if request.method == "GET":
        if not grants:
            db.session.commit()
            flash(_("Deze toestemming geldt al niet meer. Er is niets in te trekken."), "info")
            return redirect(url_for(".overview", person_id=subject.id))
        return _confirm_page(viewer, subject, grants, partner=partner)
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            if not decides_for(viewer, subject):
                raise RuleViolation(
                    "representative_required",
                    _("U bent jonger dan 16. Uw ouder of voogd beslist over toestemming."),
                )
            withdrawal = withdraw_online(viewer, subject, grants, language=language())
        except RuleViolation as problem:
            db.session.rollback()
            form.form_errors.append(problem.message)
        else:
            db.session.commit()
            report = notices.send_pending(person_id=subject.id)
            if report.failed:
                current_app.logger.warning("%s partner notices wait for a retry", report.failed)
            emailed = email_confirmation(viewer, subject, withdrawal)
            if emailed:
                flash(_("Wij hebben u ook een e-mail gestuurd."), "info")
            elif emailed is False:
                flash(
                    _(
                        "De e-mail kon niet worden verstuurd. De bevestiging staat wel bij uw "
                        "brieven."
                    ),
                    "info",
                )
            return redirect(
                url_for(
                    ".withdrawn",
                    person_id=subject.id,
                    e=[event.id for event in withdrawal.events],
                    brief=withdrawal.letter.id,
                )
            )
    db.session.rollback()
    viewer, subject = _load(person_id, purpose)
    return _confirm_page(viewer, subject, select(subject), partner=partner, form=form, status=422)


@bp.route("/<int:event_id>/intrekken", methods=["GET", "POST"])
@citizen.citizen_required
def withdraw(person_id: int, event_id: int):
    def select(subject: Person) -> list[ConsentEvent]:
        event = db.session.get(ConsentEvent, event_id)
        if event is None or event.person_id != subject.id:
            abort(404)
        key = (event.domain_id, event.recipient_id, event.purpose)
        return [grant for grant in _in_force(subject) if grant_key(grant) == key]

    return _withdraw(person_id, "toestemming intrekken", select)


@bp.route("/organisatie/<int:partner_id>/intrekken", methods=["GET", "POST"])
@citizen.citizen_required
def withdraw_organisation(person_id: int, partner_id: int):
    partner = db.session.get(Partner, partner_id)
    if partner is None:
        abort(404)

    def select(subject: Person) -> list[ConsentEvent]:
        grants = _in_force(subject, recipient_id=partner_id)
        return sorted(grants, key=lambda g: (domain_name(g.domain).lower(), g.purpose.value))

    return _withdraw(person_id, "toestemmingen intrekken", select, partner=partner)


def grant_key(event: ConsentEvent) -> tuple:
    return (event.domain_id, event.recipient_id, event.purpose)


@bp.route("/ingetrokken")
@citizen.citizen_required
def withdrawn(person_id: int):
    """The confirmation page: what was withdrawn, what happens now, where the letter is."""
    viewer, subject = _load(person_id, "intrekking bevestigen")
    ids = request.args.getlist("e", type=int)
    events = db.session.scalars(
        sa.select(ConsentEvent).where(
            ConsentEvent.id.in_(ids),
            ConsentEvent.person_id == subject.id,
            ConsentEvent.status == ConsentStatus.WITHDRAWN,
        )
    ).all()
    letter = db.session.get(Letter, request.args.get("brief", type=int) or 0)
    if letter is not None and (
        letter.person_id != subject.id or letter.kind is not LetterKind.WITHDRAWAL_CONFIRMATION
    ):
        letter = None
    if not events:
        abort(404)
    told = told_partners(list(events))
    page = render_template(
        "citizen/consents_withdrawn.html",
        subject=subject,
        viewer=viewer,
        events=events,
        letter=letter,
        told=names(told),
        **_helpers(),
    )
    db.session.commit()
    return page


SECTION_LABEL = _l("Mijn toestemmingen")
OTHER_LABEL = _l("Toestemmingen")  # on the file of a minor the person represents


def init_app(app) -> None:
    app.register_blueprint(bp)
    citizen.register_section(SECTION_LABEL, "citizen_consents.overview", other_label=OTHER_LABEL)
