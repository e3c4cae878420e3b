"""Forms of the citizen portal's sign-in (portal/citizen_views.py)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, StringField
from wtforms.validators import DataRequired, Length, Optional

from portal.forms import PortalForm, _valid_bsn


class LetterCodeForm(PortalForm):
    code = StringField(
        _l("Code van uw brief"),
        validators=[
            DataRequired(_l("Vul de code van uw brief in.")),
            # 12 characters, typed with or without dashes and spaces; a pasted link is longer.
            Length(max=400, message=_l("Deze code is te lang. Controleer de code op uw brief.")),
        ],
        render_kw={
            "autocomplete": "off",
            "autocapitalize": "characters",
            "spellcheck": "false",
        },
    )


class DigidMockForm(PortalForm):
    """Demo mode only: choose a demo person, or type a BSN, as DigiD would pass it on."""

    person_id = RadioField(_l("Kies een persoon uit de demo"), coerce=int, validators=[Optional()])
    bsn = StringField(
        _l("Of typ een BSN"),
        validators=[Optional(), Length(max=20), _valid_bsn],
        render_kw={"autocomplete": "off", "inputmode": "numeric"},
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and not self.person_id.data and not self.bsn.data:
            self.form_errors.append(_l("Kies een persoon of typ een BSN."))
            return False
        return valid
