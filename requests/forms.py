"""Forms of the privacy desk. Every form that changes a request carries the version of the
request it showed (optimistic locking, requests/operations.py)."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from portal.forms import PortalForm, choices
from portal.operations import RuleViolation, normalise_bsn
from requests import deadlines, labels
from requests.models import (
    LETTER_LANGUAGES,
    Channel,
    FiledBy,
    IdentityMethod,
    Outcome,
    RequestType,
    RightRestrictionGround,
)
from requests.operations import AVG_START, MAX_TEXT, STALE_MESSAGE


def _valid_bsn(form, field):
    if field.data:
        try:
            normalise_bsn(field.data)
        except RuleViolation as problem:
            raise ValidationError(_l("Dit is geen geldig BSN (elfproef).")) from problem


def _not_in_future(form, field):
    if field.data and field.data > deadlines.today():
        raise ValidationError(_l("Deze datum ligt in de toekomst."))


class VersionedForm(PortalForm):
    """A change to a request: the hidden `version` is the version the page showed."""

    version = HiddenField()

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not (self.version.data or "").isdigit():
            self.form_errors.append(STALE_MESSAGE)
            return False
        return valid

    @property
    def version_number(self) -> int:
        return int(self.version.data)


class PersonSearchForm(PortalForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = StringField(
        _l("Zoek op achternaam of BSN"),
        validators=[DataRequired(_l("Vul een achternaam of BSN in.")), Length(min=2, max=100)],
    )


class IntakeForm(PortalForm):
    type = SelectField(_l("Soort verzoek"))
    channel = SelectField(_l("Binnengekomen via"))
    received_on = DateField(
        _l("Datum van ontvangst"),
        validators=[DataRequired(_l("Vul de datum van ontvangst in.")), _not_in_future],
    )
    filed_by = SelectField(_l("Ingediend door"))
    representative_id = SelectField(_l("Vertegenwoordiger (bekend in het portaal)"), coerce=int)
    representative_name = StringField(
        _l("Naam van de vertegenwoordiger (als die niet in het portaal staat)"),
        validators=[Optional(), Length(max=200)],
    )
    identity_method = SelectField(_l("Identiteit bij ontvangst al vastgesteld?"))
    description = TextAreaField(
        _l("Wat vraagt de persoon?"), validators=[Optional(), Length(max=MAX_TEXT)]
    )
    language = SelectField(_l("Taal van de brieven"), default="nl")

    def __init__(self, *args, representatives=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.type.choices = choices(
            (kind.value, labels.type_label_with_article(kind)) for kind in RequestType
        )
        self.channel.choices = choices(
            (channel.value, labels.channel_label(channel)) for channel in Channel
        )
        self.filed_by.choices = choices(
            (filer.value, labels.filed_by_label(filer)) for filer in FiledBy
        )
        self.representative_id.choices = choices(
            [(0, _l("Geen"))] + [(person.id, person.full_name) for person in representatives]
        )
        self.identity_method.choices = choices(
            [("", _l("Nog niet"))]
            + [(method.value, labels.method_label(method)) for method in IdentityMethod]
        )
        self.language.choices = choices(
            (language, labels.language_label(language)) for language in LETTER_LANGUAGES
        )

    def validate_received_on(self, field):
        if field.data and field.data < AVG_START:
            raise ValidationError(_l("De datum kan niet vóór 25 mei 2018 liggen (AVG)."))


class IdentityRequestForm(VersionedForm):
    requested_info = TextAreaField(
        _l("Welke gegevens heeft u nodig?"),
        validators=[
            DataRequired(_l("Vul in welke gegevens u van de aanvrager nodig heeft.")),
            Length(max=MAX_TEXT),
        ],
    )


class IdentityForm(VersionedForm):
    method = SelectField(
        _l("Hoe is de identiteit vastgesteld?"),
        validators=[DataRequired(_l("Kies hoe de identiteit is vastgesteld."))],
    )
    arrived_on = DateField(
        _l("Datum waarop de gegevens binnenkwamen"), validators=[Optional(), _not_in_future]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.method.choices = choices(
            [("", _l("Kies"))]
            + [(method.value, labels.method_label(method)) for method in IdentityMethod]
        )


class ExtendForm(VersionedForm):
    reasons = TextAreaField(
        _l("Redenen voor de verlenging"),
        validators=[
            DataRequired(_l("Vul de redenen voor de verlenging in.")),
            Length(max=MAX_TEXT),
        ],
    )


class DecideForm(VersionedForm):
    outcome = SelectField(_l("Besluit"), validators=[DataRequired(_l("Kies een besluit."))])
    reasons = TextAreaField(_l("Redenen"), validators=[Optional(), Length(max=MAX_TEXT)])

    def __init__(self, *args, outcomes=tuple(Outcome), **kwargs):
        super().__init__(*args, **kwargs)
        self.outcome.choices = choices(
            [("", _l("Kies"))]
            + [(outcome.value, labels.outcome_label(outcome)) for outcome in outcomes]
        )

    def validate_reasons(self, field):
        chosen = self.outcome.data
        if chosen and chosen != Outcome.GRANTED.value and not (field.data or "").strip():
            raise ValidationError(_l("Vul de redenen van het besluit in."))


class StepForm(VersionedForm):
    """A step without fields: start processing, close."""


class WithdrawForm(VersionedForm):
    withdrawn_on = DateField(
        _l("Datum waarop de aanvrager introk"), validators=[Optional(), _not_in_future]
    )


class AssignForm(VersionedForm):
    assignee_id = SelectField(_l("Toewijzen aan"), coerce=int)

    def __init__(self, *args, desk=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.assignee_id.choices = choices(
            [(0, _l("Niemand"))] + [(user.id, user.name) for user in desk]
        )


class NoteForm(PortalForm):
    text = TextAreaField(
        _l("Notitie"),
        validators=[DataRequired(_l("Vul een notitie in.")), Length(max=MAX_TEXT)],
    )


class HolidayForm(PortalForm):
    day = DateField(_l("Datum"), validators=[DataRequired(_l("Vul een datum in."))])
    reason = StringField(
        _l("Reden"), validators=[DataRequired(_l("Vul de reden in.")), Length(max=200)]
    )

    def validate_day(self, field):
        if field.data and field.data < date(deadlines.FIRST_YEAR, 1, 1):
            raise ValidationError(_l("Kies een datum vanaf 2014."))


# --- carrying out the rights ------------------------------------------------------------------


class RectifyPersonForm(VersionedForm):
    given_name = StringField(
        _l("Voornaam"), validators=[DataRequired(_l("Vul de voornaam in.")), Length(max=100)]
    )
    family_name = StringField(
        _l("Achternaam"), validators=[DataRequired(_l("Vul de achternaam in.")), Length(max=100)]
    )
    birth_date = DateField(
        _l("Geboortedatum"), validators=[Optional()], render_kw={"autocomplete": "off"}
    )
    bsn = StringField(
        _l("BSN"),
        validators=[Optional(), Length(max=20), _valid_bsn],
        render_kw={"autocomplete": "off", "inputmode": "numeric"},
    )


class RectifyEntryForm(VersionedForm):
    text = TextAreaField(
        _l("Verbeterde tekst"),
        validators=[DataRequired(_l("Vul de verbeterde tekst in.")), Length(max=MAX_TEXT)],
    )


class LiftRestrictionForm(VersionedForm):
    reasons = TextAreaField(
        _l("Waarom wordt de beperking opgeheven?"),
        validators=[
            DataRequired(_l("Vul in waarom de beperking wordt opgeheven.")),
            Length(max=MAX_TEXT),
        ],
    )


class ObjectionForm(VersionedForm):
    record_ids = SelectMultipleField(
        _l("Verwerking die stopt"),
        coerce=int,
        validators=[DataRequired(_l("Kies de verwerking die stopt."))],
    )

    def __init__(self, *args, bases=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.record_ids.choices = choices((record.id, label) for record, label in bases)


class RestrictRightForm(VersionedForm):
    ground = SelectField(
        _l("Grond"), validators=[DataRequired(_l("Kies de grond van de beperking."))]
    )
    motivation = TextAreaField(
        _l("Motivering"),
        validators=[
            DataRequired(_l("Leg vast waarom de beperking nodig is.")),
            Length(max=MAX_TEXT),
        ],
    )
    inform_by = DateField(
        _l("De persoon uiterlijk inlichten op"),
        validators=[DataRequired(_l("Vul in wanneer de persoon uiterlijk wordt ingelicht."))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.ground.choices = choices(
            [("", _l("Kies"))]
            + [(ground.value, labels.ground_label(ground)) for ground in RightRestrictionGround]
        )


class TellRightRestrictionForm(VersionedForm):
    review_on = DateField(
        _l("De beperking opnieuw bekijken uiterlijk op"),
        validators=[DataRequired(_l("Vul in wanneer de beperking opnieuw wordt bekeken."))],
    )


class QueueFilterForm(PortalForm):
    """Filters of the queue (GET parameters, no CSRF: it changes nothing). The choices of the
    assignee are the privacy-desk members, given by the view."""

    class Meta:
        csrf = False

    type = SelectField(_l("Soort"), validators=[Optional()])
    status = SelectField(_l("Status"), validators=[Optional()])
    assignee = SelectField(_l("Behandelaar"), validators=[Optional()])

    def __init__(self, *args, assignees=(), **kwargs):
        super().__init__(*args, **kwargs)
        from requests.models import FINISHED_STATUSES, Status

        self.type.choices = choices(
            [("", _l("Alle soorten"))] + [(t.value, labels.type_label(t)) for t in RequestType]
        )
        self.status.choices = choices(
            [("", _l("Alle statussen"))]
            + [(s.value, labels.status_label(s)) for s in Status if s not in FINISHED_STATUSES]
        )
        self.assignee.choices = choices(
            [("", _l("Iedereen")), ("none", _l("Niemand"))]
            + [(str(user_id), name) for user_id, name in assignees]
        )
