"""The form with which staff withdraw a consent on the person's behalf."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from consent.forms import STAFF_CHANNELS, channel_label
from portal.forms import PortalForm, choices


class WithdrawalForm(PortalForm):
    decided_by = SelectField(_l("Wie trekt de toestemming in?"), validators=[DataRequired()])
    # Staff record what reached them; the person's own online withdrawal is the citizen portal's.
    channel = SelectField(_l("Hoe kwam de intrekking binnen?"), validators=[DataRequired()])
    note = TextAreaField(_l("Notitie (optioneel)"), validators=[Optional(), Length(max=2000)])

    def __init__(self, *args, person=None, **kwargs):
        super().__init__(*args, **kwargs)
        options = [("person", person.full_name)]
        if person.legal_representative is not None:
            options.append(
                (
                    "representative",
                    _l(
                        "%(name)s, wettelijk vertegenwoordiger",
                        name=person.legal_representative.full_name,
                    ),
                )
            )
        self.decided_by.choices = choices(options)
        self.channel.choices = choices((c.value, channel_label(c)) for c in STAFF_CHANNELS)
