"""Staff withdraw a consent on the person's behalf: the privacy desk, which receives withdrawals in
writing, or anyone who may change the person (a case manager in a bemoeizorg conversation).

Privacyprotocol art. 2, *Toestemming sub 1*: the person can always withdraw; further processing
stops; what was processed before stays lawful and is not deleted because of the withdrawal. The
one withdrawal operation is `consent.operations.withdraw_consent` (the citizen portal calls it
too); it puts a notice in the outbox of every partner that relied on the consent, and this view
sends the emails after the commit.
"""

from __future__ import annotations

from babel.lists import format_list
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from consent.basis_forms import purpose_label
from consent.check import current_events, state_at
from consent.forms import domain_name
from consent.models import Channel, ConsentEvent, RecordedBy
from consent.operations import withdraw_consent
from consent.reuse import relying_partners
from consent.withdrawal_forms import WithdrawalForm
from portal import access, notices
from portal.extensions import db
from portal.models import Person, Role, User, utcnow
from portal.operations import RuleViolation
from portal.views import role_required

bp = Blueprint("withdrawal", __name__)


def _recorded_by(user: User) -> RecordedBy:
    if user.role is Role.PRIVACY_DESK:
        return RecordedBy.PRIVACY_DESK
    if user.role in access.ALL_CASES:
        return RecordedBy.PROCESREGISSEUR
    return RecordedBy.CASE_MANAGER


def _load_person(person_id: int) -> Person:
    # Each view audits the read itself (a POST that withdraws is audited by the operation).
    return access.load_person(
        current_user,
        person_id,
        change=True,
        rule=access.can_withdraw_consent_for,
        purpose="toestemming intrekken",
    )


def _partner_names(event: ConsentEvent) -> str:
    partners = relying_partners(
        person_id=event.person_id, domain_id=event.domain_id, recipient_id=event.recipient_id
    )
    return format_list([p.name for p in partners], locale=str(get_locale()))


@bp.route("/persons/<int:person_id>/consents/withdraw")
@role_required(*access.PERSON_ROLES)
def choose(person_id: int):
    person = _load_person(person_id)
    now = utcnow()
    in_force = sorted(
        (event for event in current_events(person.id, now) if event.in_force_at(now)),
        key=lambda e: (domain_name(e.domain), e.recipient.name, e.purpose.value),
    )
    access.record_read(current_user, purpose="toestemmingen inzien", person=person)
    db.session.commit()
    return render_template(
        "consent/withdraw_choose.html",
        person=person,
        events=in_force,
        purpose_label=purpose_label,
        domain_name=domain_name,
    )


@bp.route("/persons/<int:person_id>/consents/withdraw/<int:event_id>", methods=["GET", "POST"])
@role_required(*access.PERSON_ROLES)
def confirm(person_id: int, event_id: int):
    person = _load_person(person_id)
    event = db.session.get(ConsentEvent, event_id)
    if event is None or event.person_id != person.id:
        abort(404)
    form = WithdrawalForm(person=person)
    if request.method == "GET":
        now = utcnow()
        current = state_at(person.id, event.domain_id, event.recipient_id, event.purpose, now)
        access.record_read(current_user, purpose="toestemming intrekken", person=person)
        db.session.commit()
        if current is None or not current.in_force_at(now):
            flash(_("Deze toestemming geldt al niet meer. Er is niets in te trekken."), "info")
            return redirect(url_for("withdrawal.choose", person_id=person.id))
        if person.is_minor_on(now.date()) and person.legal_representative is not None:
            form.decided_by.data = "representative"
        return _render(person, event, form)
    if form.validate_on_submit():
        partners = _partner_names(event)
        try:
            withdraw_consent(
                current_user,
                person=person,
                domain=event.domain,
                recipient=event.recipient,
                purpose=event.purpose,
                recorded_by=_recorded_by(current_user),
                channel=Channel(form.channel.data),
                representative=person.legal_representative
                if form.decided_by.data == "representative"
                else None,
                note=(form.note.data or "").strip() or None,
            )
        except RuleViolation as problem:
            db.session.rollback()
            form.form_errors.append(problem.message)
        else:
            db.session.commit()
            report = notices.send_pending(person_id=person.id)
            flash(
                _(
                    "De toestemming is ingetrokken. Wij laten %(partners)s dit weten.",
                    partners=partners,
                ),
                "success",
            )
            if report.failed:
                flash(
                    _(
                        "De e-mail kon nog niet worden verstuurd; dat gebeurt later opnieuw. "
                        "De melding staat al op het overzicht van de partner."
                    ),
                    "info",
                )
            return redirect(url_for("withdrawal.choose", person_id=person.id))
    db.session.rollback()
    return _render(person, event, form, status=422)


def _render(person: Person, event: ConsentEvent, form: WithdrawalForm, status: int = 200):
    return (
        render_template(
            "consent/withdraw_confirm.html",
            person=person,
            event=event,
            form=form,
            partners=_partner_names(event),
            purpose_label=purpose_label,
            domain_name=domain_name,
        ),
        status,
    )
