"""Forms of the letter screens."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from portal.forms import PortalForm
from portal.letters.models import LetterChannel


def language_choices() -> list[SelectChoice]:
    return [SelectChoice("nl", _l("Nederlands")), SelectChoice("en", _l("Engels"))]


def channel_choices() -> list[SelectChoice]:
    return [
        SelectChoice(LetterChannel.POST.value, _l("Per post")),
        SelectChoice(LetterChannel.EMAIL.value, _l("Per e-mail")),
        SelectChoice(LetterChannel.PORTAL.value, _l("In het privacyportaal")),
    ]


class PreviewForm(PortalForm):
    """Which letter to preview (GET: no CSRF token in the address bar)."""

    class Meta:
        csrf = False

    case_id = SelectField(_l("Casus"), coerce=int, validators=[DataRequired(_l("Kies een casus."))])
    language = SelectField(_l("Taal van de brief"), choices=language_choices)


class SendForm(PortalForm):
    """Send the letter that was previewed (the case is in the address): same language, and the
    way it goes out."""

    language = HiddenField(validators=[DataRequired()])
    channel = SelectField(_l("Hoe gaat de brief weg?"), choices=channel_choices)


class HouseholdLetterForm(PortalForm):
    language = SelectField(_l("Taal van de brief"), choices=language_choices)
