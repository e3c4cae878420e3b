"""My requests, in the citizen portal (issue 5, point 3): file an access, rectification, erasure,
restriction or objection request online, follow its status and deadline, read the answer, and
withdraw it.

Privacyprotocol art. 5: "cliënt heeft recht de verantwoordelijke te verzoeken om inzage,
rectificatie beperking of wissen van zijn persoonsgegevens en het recht om bezwaar in te dienen";
Privacyreglement: requests go to the college "middels de website van de gemeente Nijmegen". The
privacy desk processes them (requests/operations.py): this module only registers a request with
channel online, the way the person signed in as the identity check (AVG art. 12(6): proportionate;
no copy of an ID document), and shows what the desk recorded. The deadline is the one
requests/deadlines.py computes from the date of receipt (AVG art. 12(3)).

Below 16 the legal representative acts for the child (DESIGN.md, Person): a parent signed in files
and follows requests for the minors they represent.
"""

from __future__ import annotations

from typing import Optional

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError
from wtforms.validators import Optional as OptionalValue

from portal import citizen
from portal.citizen import SignInMethod
from portal.extensions import db
from portal.forms import PortalForm, choices
from portal.letters.models import LetterKind
from portal.letters.views import kind_label
from portal.models import Person
from portal.operations import RuleViolation
from requests import deadlines, labels, operations
from requests import letters as request_letters
from requests.models import (
    Channel,
    EventKind,
    FiledBy,
    IdentityMethod,
    PrivacyRequest,
    RequestType,
    Status,
)

bp = Blueprint("citizen_requests", __name__, url_prefix="/mijn/<int:person_id>/verzoeken")

# How the person signed in is how their identity was established (AVG art. 12(6)). The DigiD mock
# of demo mode establishes nothing: the desk checks identity as for a letter.
IDENTITY_BY_SIGN_IN = {
    SignInMethod.DIGID: IdentityMethod.DIGID,
    SignInMethod.LETTER_CODE: IdentityMethod.LETTER_CODE,
}
# The timeline steps the requester sees. Anything else (who at the desk has it, a right restricted
# for a while that the person is told of later by letter, ...) stays the desk's business.
SHOWN_STEPS = frozenset(
    {
        EventKind.REGISTERED,
        EventKind.IDENTITY_REQUESTED,
        EventKind.IDENTITY_ESTABLISHED,
        EventKind.PROCESSING_STARTED,
        EventKind.EXTENDED,
        EventKind.DECIDED,
        EventKind.CLOSED,
        EventKind.WITHDRAWN,
        EventKind.DEADLINE_CHANGED,
    }
)


def type_choice(kind: RequestType) -> str:
    """What each right lets the person ask, in words a household understands."""
    return {
        RequestType.ACCESS: _("Inzien: ik wil weten welke gegevens u over mij heeft"),
        RequestType.RECTIFICATION: _("Verbeteren: er klopt iets niet, of er mist iets"),
        RequestType.ERASURE: _("Wissen: ik wil dat u gegevens over mij verwijdert"),
        RequestType.RESTRICTION: _("Beperken: ik wil dat u mijn gegevens een tijd niet gebruikt"),
        RequestType.OBJECTION: _("Bezwaar: ik wil niet dat u mijn gegevens gebruikt"),
    }[kind]


def type_hint(kind: RequestType) -> str:
    return {
        RequestType.ACCESS: _(
            "U krijgt een overzicht: welke gegevens, waarvoor, van wie ze komen, met wie ze zijn "
            "gedeeld en hoe lang ze worden bewaard."
        ),
        RequestType.RECTIFICATION: _("Schrijf op wat niet klopt en wat het wel moet zijn."),
        RequestType.ERASURE: _("Schrijf op welke gegevens weg moeten, en waarom."),
        RequestType.RESTRICTION: _(
            "Bijvoorbeeld zolang wij nakijken of uw gegevens kloppen. Schrijf op waarom."
        ),
        RequestType.OBJECTION: _("Schrijf op waarom, en wat er in uw situatie speelt."),
    }[kind]


def type_title(kind: RequestType) -> str:
    """The short name of a request in a list or heading."""
    return {
        RequestType.ACCESS: _("Verzoek om inzage"),
        RequestType.RECTIFICATION: _("Verzoek om te verbeteren"),
        RequestType.ERASURE: _("Verzoek om te wissen"),
        RequestType.RESTRICTION: _("Verzoek om te beperken"),
        RequestType.OBJECTION: _("Bezwaar tegen gebruik"),
    }[kind]


def status_text(request: PrivacyRequest) -> str:
    """Where the request stands and what happens next."""
    if request.status is Status.RECEIVED:
        if request.identity_method is None:
            return _(
                "Wij hebben uw verzoek ontvangen. Wij kijken eerst of u het echt bent. Misschien "
                "vragen wij u om iets te laten zien."
            )
        return _("Wij hebben uw verzoek ontvangen. Een medewerker gaat ermee aan de slag.")
    if request.status is Status.IDENTITY_TO_VERIFY:
        return _("Wij hebben informatie van u nodig. Dan weten wij zeker dat u het bent.")
    if request.status is Status.IN_PROGRESS:
        return _("Wij werken aan uw verzoek.")
    if request.status is Status.EXTENDED:
        return _("Wij hebben meer tijd nodig. Daarom duurt het langer.")
    if request.status is Status.DECIDED:
        return _("Wij hebben een besluit genomen.")
    if request.status is Status.CLOSED:
        return _("Uw verzoek is afgehandeld.")
    return _("Dit verzoek is ingetrokken. Wij doen er niets meer mee.")


def next_text(request: PrivacyRequest) -> Optional[str]:
    """What happens next, in plain words; None when nothing more happens."""
    when = format_date(request.deadline, "d MMMM yyyy")
    if request.status is Status.IDENTITY_TO_VERIFY:
        return _("Stuur ons de informatie waar wij om vragen. Daarna gaan wij verder.")
    if request.status in (Status.RECEIVED, Status.IN_PROGRESS):
        return _(
            "Wij zoeken uit welke gegevens het gaat en wie ze heeft. U krijgt uiterlijk "
            "%(when)s een brief met ons besluit. Hebben wij meer tijd nodig? Dan laten wij u dat "
            "eerder weten, met de reden.",
            when=when,
        )
    if request.status is Status.EXTENDED:
        return _("U krijgt uiterlijk %(when)s een brief met ons besluit.", when=when)
    if request.status is Status.DECIDED:
        return _(
            "Het besluit staat in de brief. Bent u het er niet mee eens? Dan kunt u bezwaar "
            "maken. In de brief staat hoe dat gaat."
        )
    return None


# --- forms ------------------------------------------------------------------------------------


class RequestForm(PortalForm):
    type = RadioField(
        _l("Wat wilt u vragen?"),
        validators=[InputRequired(_l("Kies wat u wilt vragen."))],
        validate_choice=False,  # checked below, with a message in plain words
    )
    description = TextAreaField(
        _l("Vertel wat u wilt"),
        validators=[
            OptionalValue(),
            Length(
                max=operations.MAX_TEXT,
                message=_l("Gebruik hoogstens %(max)d tekens.", max=operations.MAX_TEXT),
            ),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.type.choices = choices((kind.value, type_choice(kind)) for kind in RequestType)

    def validate_type(self, field):
        if field.data not in {kind.value for kind in RequestType}:
            raise ValidationError(_l("Kies een van de mogelijkheden."))


class WithdrawRequestForm(PortalForm):
    # The version of the request the page showed: a change by the desk in between is not
    # overwritten (requests/operations.py, optimistic locking).
    version = HiddenField()


# --- plain functions --------------------------------------------------------------------------


def identity_method() -> Optional[IdentityMethod]:
    return IDENTITY_BY_SIGN_IN.get(citizen.sign_in_method())


def file_online(
    viewer: Person, subject: Person, *, type: RequestType, description: Optional[str]
) -> PrivacyRequest:
    """Register a request filed in the portal, received today, by the person or by the legal
    representative of a minor. The rules are the desk's (requests.operations.register_request)."""
    own = viewer.id == subject.id
    return operations.register_request(
        None,
        person=subject,
        type=type,
        channel=Channel.ONLINE,
        received_on=deadlines.today(),
        description=description,
        filed_by=FiledBy.SUBJECT if own else FiledBy.LEGAL_REPRESENTATIVE,
        representative=None if own else viewer,
        identity_method=identity_method(),
    )


def may_withdraw(viewer: Person, request: PrivacyRequest) -> bool:
    """Who filed the request may withdraw it online while it is open: the person, or the
    representative who filed it for them."""
    if not request.is_open:
        return False
    if request.representative_id is not None or request.representative_name:
        return request.representative_id == viewer.id
    return request.person_id == viewer.id


def requests_of(person: Person) -> list[PrivacyRequest]:
    return list(
        db.session.scalars(
            sa.select(PrivacyRequest)
            .where(PrivacyRequest.person_id == person.id)
            .order_by(PrivacyRequest.received_on.desc(), PrivacyRequest.id.desc())
        )
    )


# The letters that answer a request; the others (acknowledgement, extension) tell how it goes.
ANSWER_KINDS = frozenset({LetterKind.DECISION, LetterKind.ACCESS_REPORT})


# --- pages ------------------------------------------------------------------------------------


def _load(person_id: int, purpose: str) -> tuple[Person, Person]:
    subject = citizen.load_file(person_id, purpose=purpose)
    return citizen.current_person(), subject


def _load_request(subject: Person, request_id: int) -> PrivacyRequest:
    request = db.session.get(PrivacyRequest, request_id)
    if request is None or request.person_id != subject.id:
        abort(404)
    return request


@bp.context_processor
def _helpers():
    return {
        **labels.template_helpers(),
        "type_title": type_title,
        "type_hint": type_hint,
        "status_text": status_text,
        "next_text": next_text,
        "letter_kind_label": kind_label,
    }


@bp.route("")
@citizen.citizen_required
def overview(person_id: int):
    viewer, subject = _load(person_id, "mijn verzoeken inzien")
    page = render_template(
        "citizen/requests.html", subject=subject, viewer=viewer, requests=requests_of(subject)
    )
    db.session.commit()
    return page


# Which field a refusal of the desk's rules is about.
FIELD_OF_PROBLEM = {"description_required": "description", "too_long": "description"}


@bp.route("/nieuw", methods=["GET", "POST"])
@citizen.citizen_required
def new(person_id: int):
    viewer, subject = _load(person_id, "verzoek indienen")
    form = RequestForm()
    if form.validate_on_submit():
        try:
            created = file_online(
                viewer, subject, type=RequestType(form.type.data), description=form.description.data
            )
        except RuleViolation as problem:
            db.session.rollback()
            field = FIELD_OF_PROBLEM.get(problem.code)
            if field is not None:
                form[field].errors = [*form[field].errors, problem.message]
            else:
                form.form_errors.append(problem.message)
        else:
            db.session.commit()
            flash(
                _(
                    "Wij hebben uw verzoek ontvangen. Het kenmerk is %(reference)s.",
                    reference=created.reference,
                ),
                "success",
            )
            return redirect(url_for(".detail", person_id=subject.id, request_id=created.id))
    status = 200
    if form.is_submitted():
        db.session.rollback()
        viewer, subject = _load(person_id, "verzoek indienen")
        status = 422
    page = render_template(
        "citizen/requests_new.html",
        subject=subject,
        viewer=viewer,
        form=form,
        kinds=list(RequestType),
        deadline=deadlines.first_deadline(
            deadlines.today(),
            policy=operations.wait_policy(),
            extra_holidays=operations.extra_holidays(),
        ),
    )
    db.session.commit()
    return page, status


def _detail_page(viewer: Person, subject: Person, request: PrivacyRequest):
    open_wait = request.open_wait
    letters = request_letters.letters_of(request)
    page = render_template(
        "citizen/requests_detail.html",
        subject=subject,
        viewer=viewer,
        request=request,
        open_wait=open_wait,
        clock_stopped=open_wait is not None and operations.wait_policy() == deadlines.WAIT_SUSPEND,
        steps=[event for event in request.events if event.kind in SHOWN_STEPS],
        answers=[letter for letter in letters if letter.kind in ANSWER_KINDS],
        letters=letters,
        may_withdraw=may_withdraw(viewer, request),
    )
    db.session.commit()
    return page


@bp.route("/<int:request_id>")
@citizen.citizen_required
def detail(person_id: int, request_id: int):
    viewer, subject = _load(person_id, "verzoek volgen")
    return _detail_page(viewer, subject, _load_request(subject, request_id))


@bp.route("/<int:request_id>/intrekken", methods=["GET", "POST"])
@citizen.citizen_required
def withdraw(person_id: int, request_id: int):
    viewer, subject = _load(person_id, "verzoek intrekken")
    request = _load_request(subject, request_id)
    if not may_withdraw(viewer, request):
        db.session.commit()
        flash(_("Dit verzoek kunt u niet meer intrekken."), "info")
        return redirect(url_for(".detail", person_id=subject.id, request_id=request.id))
    form = WithdrawRequestForm()
    if form.validate_on_submit():
        try:
            if not (form.version.data or "").isdigit():
                raise RuleViolation("stale", operations.STALE_MESSAGE)
            operations.withdraw_request(None, request, version=int(form.version.data))
        except RuleViolation as problem:
            db.session.rollback()
            form.form_errors.append(problem.message)
        else:
            db.session.commit()
            flash(_("Uw verzoek is ingetrokken. Wij doen er niets meer mee."), "success")
            return redirect(url_for(".detail", person_id=subject.id, request_id=request.id))
    status = 200
    if form.is_submitted():
        db.session.rollback()
        viewer, subject = _load(person_id, "verzoek intrekken")
        request = _load_request(subject, request_id)
        status = 422
    form.version.data = str(request.version_id)
    page = render_template(
        "citizen/requests_withdraw.html", subject=subject, viewer=viewer, request=request, form=form
    )
    db.session.commit()
    return page, status


SECTION_LABEL = _l("Mijn verzoeken")
OTHER_LABEL = _l("Verzoeken")  # on the file of a minor the person represents


def init_app(app) -> None:
    app.register_blueprint(bp)
    citizen.register_section(SECTION_LABEL, "citizen_requests.overview", other_label=OTHER_LABEL)
