"""Forms of the oversight screens: data breaches, accounts, the audit viewer, statistics."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from portal.breaches import Risk, TellDecision
from portal.forms import PortalForm, choices

LOCAL_TIME = ZoneInfo("Europe/Amsterdam")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


def from_local(moment: datetime) -> datetime:
    """A moment entered in Nijmegen's local time, as UTC (stored in UTC)."""
    return moment.replace(tzinfo=LOCAL_TIME).astimezone(UTC)


def risk_label(risk: Risk) -> str:
    return {
        Risk.UNLIKELY: _l("Risico onwaarschijnlijk: alleen registreren"),
        Risk.RISK: _l("Risico: melden bij de Autoriteit Persoonsgegevens"),
        Risk.HIGH: _l("Hoog risico: melden bij de AP en betrokkenen informeren"),
    }[risk]


def tell_label(decision: TellDecision) -> str:
    return {
        TellDecision.TELL: _l("Betrokkenen worden geïnformeerd"),
        TellDecision.NOT_HIGH_RISK: _l("Niet nodig: geen hoog risico"),
        TellDecision.UNINTELLIGIBLE: _l(
            "Niet nodig: de gegevens waren onbegrijpelijk voor anderen "
            "(versleuteld, art. 34 lid 3a)"
        ),
        TellDecision.RISK_REMOVED: _l(
            "Niet nodig: maatregelen achteraf nemen het hoge risico weg (art. 34 lid 3b)"
        ),
        TellDecision.PUBLIC_COMMUNICATION: _l(
            "Openbare mededeling in plaats van persoonlijk bericht (art. 34 lid 3c)"
        ),
    }[decision]


def _not_in_future(form, field):
    if field.data and from_local(field.data) > datetime.now(UTC):
        raise ValidationError(_l("Dit moment kan niet in de toekomst liggen."))


class BreachForm(PortalForm):
    discovered_at = DateTimeLocalField(
        _l("Ontdekt op (datum en tijd)"),
        format=DATETIME_FORMATS,
        validators=[DataRequired(_l("Vul in wanneer het datalek is ontdekt.")), _not_in_future],
    )
    partner_id = SelectField(_l("Bij welke partner"), coerce=int, validators=[DataRequired()])
    description = TextAreaField(
        _l("Wat is er gebeurd?"),
        validators=[DataRequired(_l("Beschrijf wat er is gebeurd.")), Length(max=5000)],
    )
    case_references = StringField(
        _l("Kenmerken van de betrokken casussen"),
        validators=[Optional(), Length(max=2000)],
    )


class BreachCasesForm(PortalForm):
    case_references = StringField(
        _l("Kenmerken van casussen"),
        validators=[DataRequired(_l("Vul ten minste één kenmerk in.")), Length(max=2000)],
    )


class BreachPersonsForm(PortalForm):
    person_ids = SelectMultipleField(_l("Betrokken personen"), coerce=int)


class AssessmentForm(PortalForm):
    risk = SelectField(_l("Risico voor de betrokkenen"), validators=[DataRequired()])
    risk_reasoning = TextAreaField(
        _l("Onderbouwing van het risico"),
        validators=[DataRequired(_l("Onderbouw de inschatting van het risico.")), Length(max=5000)],
    )
    tell_decision = SelectField(_l("Betrokkenen informeren?"), validators=[DataRequired()])
    tell_reasoning = TextAreaField(
        _l("Waarom wel of niet informeren?"),
        validators=[DataRequired(_l("Leg uit waarom.")), Length(max=5000)],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.risk.choices = choices((r.value, risk_label(r)) for r in Risk)
        self.tell_decision.choices = choices((d.value, tell_label(d)) for d in TellDecision)


class ApNotificationForm(PortalForm):
    notified_at = DateTimeLocalField(
        _l("Gemeld op (datum en tijd)"),
        format=DATETIME_FORMATS,
        validators=[DataRequired(_l("Vul in wanneer is gemeld.")), _not_in_future],
    )
    reference = StringField(
        _l("Kenmerk van de melding bij de AP"),
        validators=[DataRequired(_l("Vul het kenmerk in.")), Length(max=100)],
    )
    delay_reason = TextAreaField(
        _l("Reden van de vertraging (alleen na 72 uur)"),
        validators=[Optional(), Length(max=5000)],
    )


# --- accounts -----------------------------------------------------------------------------------


class AccountForm(PortalForm):
    name = StringField(
        _l("Naam"), validators=[DataRequired(_l("Vul de naam in.")), Length(max=200)]
    )
    email = EmailField(
        _l("E-mailadres"),
        validators=[
            DataRequired(_l("Vul het e-mailadres in.")),
            Email(_l("Dit is geen geldig e-mailadres.")),
            Length(max=200),
        ],
    )
    role = SelectField(_l("Rol"), validators=[DataRequired()])
    partner_id = SelectField(_l("Organisatie"), coerce=int, validators=[DataRequired()])
    vog_date = DateField(_l("Datum VOG of veiligheidsonderzoek"), validators=[Optional()])
    confidentiality_signed_on = DateField(
        _l("Geheimhoudingsverklaring getekend op"), validators=[Optional()]
    )


class NewAccountForm(AccountForm):
    password = PasswordField(
        _l("Tijdelijk wachtwoord"),
        validators=[
            DataRequired(_l("Vul een tijdelijk wachtwoord in.")),
            Length(min=12, max=200, message=_l("Gebruik minstens 12 tekens.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class PasswordResetForm(PortalForm):
    password = PasswordField(
        _l("Nieuw tijdelijk wachtwoord"),
        validators=[
            DataRequired(_l("Vul een tijdelijk wachtwoord in.")),
            Length(min=12, max=200, message=_l("Gebruik minstens 12 tekens.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    new_second_factor = BooleanField(_l("Ook een nieuwe authenticator-app koppelen"))


# --- audit viewer -------------------------------------------------------------------------------


class AuditSearchForm(PortalForm):
    """Searched with GET: the criteria are in the address, so a search can be shared."""

    class Meta:
        csrf = False

    person_id = IntegerField(_l("Persoonsnummer"), validators=[Optional(), NumberRange(min=1)])
    case_reference = StringField(_l("Casuskenmerk"), validators=[Optional(), Length(max=20)])
    user_email = StringField(_l("E-mailadres medewerker"), validators=[Optional(), Length(max=200)])
    date_from = DateField(_l("Vanaf"), validators=[Optional()])
    date_to = DateField(_l("Tot en met"), validators=[Optional()])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("De einddatum ligt vóór de begindatum."))


# --- statistics ---------------------------------------------------------------------------------


class PeriodForm(PortalForm):
    """A period for reports and exports, searched with GET."""

    class Meta:
        csrf = False

    date_from = DateField(_l("Vanaf"), validators=[Optional()])
    date_to = DateField(_l("Tot en met"), validators=[Optional()])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("De einddatum ligt vóór de begindatum."))


class WijkForm(PortalForm):
    wijk = SelectField(_l("Wijk"), validators=[DataRequired()])
