"""Forms of reuse approval (Privacyprotocol art. 5)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from consent.reuse import OWN_TASK_MAX, REASON_MAX
from portal.forms import PortalForm, choices


class ReuseRequestForm(PortalForm):
    person_id = SelectField(_l("Over wie"), coerce=int, validators=[DataRequired()])
    domain_id = SelectField(_l("Leefgebied"), coerce=int, validators=[DataRequired()])
    source_partner_id = SelectField(
        _l("Partner die de gegevens inbracht"), coerce=int, validators=[DataRequired()]
    )
    own_task = TextAreaField(
        _l("Voor welke eigen taak wilt u de gegevens gebruiken?"),
        validators=[
            DataRequired(_l("Beschrijf voor welke eigen taak u de gegevens wilt gebruiken.")),
            Length(max=OWN_TASK_MAX),
        ],
    )


class ReuseDecisionForm(PortalForm):
    decision = SelectField(
        _l("Uw besluit"),
        choices=choices(
            [
                ("approve", _l("Akkoord: de partner mag de gegevens gebruiken")),
                ("refuse", _l("Geen akkoord")),
            ]
        ),
        validators=[DataRequired()],
    )
    reason = TextAreaField(
        _l("Reden"),
        validators=[Optional(), Length(max=REASON_MAX)],
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.decision.data == "refuse" and not (self.reason.data or "").strip():
            self.reason.errors = [
                *self.reason.errors,
                _l("Geef de reden waarom u geen akkoord geeft."),
            ]
            valid = False
        return valid
