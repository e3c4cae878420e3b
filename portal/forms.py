"""One WTForms class per form; labels and messages are translatable (Dutch first)."""

from __future__ import annotations

import re

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto
from werkzeug.datastructures import ImmutableMultiDict
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from portal.models import EntryKind, Participation
from portal.operations import RuleViolation, normalise_bsn


def choices(pairs) -> list[SelectChoice]:
    """Options for a SelectField from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


# Control characters never belong in a form (and PostgreSQL cannot store NUL in text).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class _PortalMeta(FlaskForm.Meta):
    def wrap_formdata(self, form, formdata):
        # Flask-WTF would read a JSON body as form data and fail (a 500) on anything but a flat
        # object of strings: `true`, `[1]`, `{"a": {"b": 1}}`. The portal's forms are HTML forms;
        # a JSON body counts as an empty form and gets the usual messages on the fields.
        if (
            formdata is _Auto
            and form.is_submitted()
            and request.is_json
            and not request.form
            and not request.files
        ):
            return ImmutableMultiDict()
        return super().wrap_formdata(form, formdata)


class PortalForm(FlaskForm):
    """Base of every form: refuses control characters in any text with a message on the field."""

    Meta = _PortalMeta

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            if isinstance(field.data, str) and _CONTROL.search(field.data):
                field.errors = [*field.errors, _l("Deze tekst bevat niet toegestane tekens.")]
                valid = False
        return valid


class LoginForm(PortalForm):
    email = EmailField(
        _l("E-mailadres"),
        validators=[
            DataRequired(_l("Vul uw e-mailadres in.")),
            Email(_l("Dit is geen geldig e-mailadres.")),
            Length(max=200),
        ],
    )
    password = PasswordField(
        _l("Wachtwoord"),
        validators=[DataRequired(_l("Vul uw wachtwoord in.")), Length(max=200)],
    )


class TotpForm(PortalForm):
    code = StringField(
        _l("Code uit uw authenticator-app"),
        validators=[
            DataRequired(_l("Vul de code van zes cijfers in.")),
            Regexp(r"^\s*\d{3}\s?\d{3}\s*$", message=_l("De code bestaat uit zes cijfers.")),
        ],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class ChangePasswordForm(PortalForm):
    """A staff member's own password change (ASVS 2.1.5, 2.1.6): the current one and the new one
    twice. The rules for the new one are `auth.password_problem`'s; 200 here only keeps absurd
    input out (the rules refuse more than 128 with their own message)."""

    current = PasswordField(
        _l("Huidig wachtwoord"),
        validators=[
            DataRequired(_l("Vul uw huidige wachtwoord in.")),
            Length(max=200, message=_l("Het wachtwoord is te lang.")),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    new = PasswordField(
        _l("Nieuw wachtwoord"),
        validators=[
            DataRequired(_l("Vul een nieuw wachtwoord in.")),
            Length(max=200, message=_l("Het wachtwoord is te lang.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    repeat = PasswordField(
        _l("Herhaal het nieuwe wachtwoord"),
        validators=[
            DataRequired(_l("Vul het nieuwe wachtwoord nog een keer in.")),
            Length(max=200, message=_l("Het wachtwoord is te lang.")),
            EqualTo("new", message=_l("De twee nieuwe wachtwoorden zijn niet hetzelfde.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class EmptyForm(PortalForm):
    """A button that only needs CSRF protection (sign out, language switch)."""


def _valid_bsn(form, field):
    if field.data:
        try:
            normalise_bsn(field.data)
        except RuleViolation as problem:
            raise ValidationError(_l("Dit is geen geldig BSN (elfproef).")) from problem


class PersonForm(PortalForm):
    given_name = StringField(
        _l("Voornaam"), validators=[DataRequired(_l("Vul de voornaam in.")), Length(max=100)]
    )
    family_name = StringField(
        _l("Achternaam"), validators=[DataRequired(_l("Vul de achternaam in.")), Length(max=100)]
    )
    birth_date = DateField(
        _l("Geboortedatum"),
        validators=[Optional()],
        render_kw={"autocomplete": "off"},
    )
    bsn = StringField(
        _l("BSN (optioneel)"),
        validators=[Optional(), Length(max=20), _valid_bsn],
        render_kw={"autocomplete": "off", "inputmode": "numeric"},
    )
    legal_representative_id = SelectField(
        _l("Wettelijk vertegenwoordiger"), coerce=int, validate_choice=True
    )

    def validate_birth_date(self, field):
        from datetime import date

        if field.data and not (date(1900, 1, 1) <= field.data <= date.today()):
            raise ValidationError(_l("Vul een geboortedatum in het verleden in."))


class EntryForm(PortalForm):
    kind = SelectField(
        _l("Soort"),
        choices=[SelectChoice(kind.value) for kind in EntryKind],
        validators=[DataRequired()],
    )
    domain_id = SelectField(_l("Leefgebied"), coerce=int, validators=[DataRequired()])
    person_id = SelectField(_l("Betreft"), coerce=int)
    text = TextAreaField(
        _l("Tekst"),
        validators=[DataRequired(_l("Vul een tekst in.")), Length(max=5000)],
    )


class PartnerForm(PortalForm):
    name = StringField(_l("Naam"), validators=[DataRequired(), Length(max=200)])
    participation = SelectField(
        _l("Deelname"), choices=[SelectChoice(p.value) for p in Participation]
    )
    is_municipal = BooleanField(_l("Gemeentelijk"))
    professional_secrecy = BooleanField(_l("Gebonden aan beroepsgeheim"))
    statutory_task = TextAreaField(_l("Wettelijke taak"), validators=[Length(max=2000)])
    contact_email = EmailField(
        _l("E-mailadres voor meldingen"),
        validators=[Optional(), Email(_l("Dit is geen geldig e-mailadres.")), Length(max=200)],
    )
    domain_ids = SelectMultipleField(_l("Leefgebieden van de eigen taak"), coerce=int)

    def __init__(self, *args, partner=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._partner = partner

    def validate_name(self, field):
        import sqlalchemy as sa

        from portal.extensions import db
        from portal.models import Partner

        clash = db.session.scalar(
            sa.select(Partner.id).where(
                Partner.name == field.data.strip(), Partner.id != self._partner.id
            )
        )
        if clash is not None:
            raise ValidationError(_l("Er is al een partner met deze naam."))
