"""The form of the legal-basis register, and the plain words for bases and purposes.

The form checks only shape (choices, lengths); the rules of the convenant live in
`consent/basis.py` and come back as messages beside the field they are about.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length
from wtforms.validators import Optional as OptionalValue

from consent.basis import STATUTE_MAX_LENGTH
from consent.models import Basis, Purpose
from portal.forms import PortalForm, choices

TEXT_MAX_LENGTH = 5000


def basis_label(basis: Basis) -> str:
    return {
        Basis.CONSENT: _("Toestemming van de betrokkene"),
        Basis.VITAL_INTEREST: _("Vitaal belang: spoed, het gaat om leven of gezondheid"),
        Basis.PUBLIC_TASK: _("Wettelijke taak (taak van algemeen belang)"),
        Basis.LEGITIMATE_INTEREST: _("Gerechtvaardigd belang van de partner"),
        Basis.FURTHER_PROCESSING: _("Verdere verwerking voor een doel dat erbij past"),
        Basis.CONFLICT_OF_DUTIES: _("Conflict van plichten: beroepsgeheim doorbreken"),
    }[basis]


def phase_label(phase: int) -> str:
    # The steps of the Afwegingskader (Bijlage 3), in short.
    name = {
        1: _("signaal inbrengen"),
        2: _("signaal beoordelen"),
        3: _("informatie verzamelen en besluiten"),
        4: _("opdracht aan de casemanager"),
        5: _("plan van aanpak en uitvoering"),
        6: _("casusbespreking en afronden"),
        7: _("afsluiten en monitoren"),
        8: _("opdracht casemanager afsluiten"),
    }[phase]
    return _("Fase %(number)s: %(name)s", number=phase, name=name)


def purpose_label(purpose: Purpose) -> str:
    return {
        Purpose.PLAN: _("Plan van aanpak opstellen"),
        Purpose.REGIE: _("Regie voeren op de uitvoering van het plan"),
        Purpose.OVERLAST: _("Overlast terugdringen"),
    }[purpose]


# Privacyprotocol art. 2, Verdere verwerking: the compatibility test, questions a) to e).
COMPATIBILITY_QUESTIONS = {
    "a": _l(
        "a. Welk verband is er tussen het doel waarvoor de gegevens zijn verzameld en het doel "
        "van het Regieteam?"
    ),
    "b": _l(
        "b. In welke situatie zijn de gegevens verzameld? Wat is de verhouding tussen de "
        "betrokkene en uw organisatie?"
    ),
    "c": _l(
        "c. Om wat voor gegevens gaat het? Zijn het bijzondere gegevens, zoals over gezondheid, "
        "of strafrechtelijke gegevens?"
    ),
    "d": _l("d. Wat kunnen de gevolgen zijn voor de betrokkene?"),
    "e": _l("e. Welke waarborgen zijn er, zoals versleuteling of pseudonimisering?"),
}


def _explanation(label):
    return TextAreaField(label, validators=[OptionalValue(), Length(max=TEXT_MAX_LENGTH)])


class LegalBasisForm(PortalForm):
    phase = SelectField(_l("Fase"), coerce=int, validators=[DataRequired(_l("Kies een fase."))])
    partner = SelectField(
        _l("Partner"), coerce=int, validators=[DataRequired(_l("Kies een partner."))]
    )
    domain = SelectField(
        _l("Leefgebied"), coerce=int, validators=[DataRequired(_l("Kies een leefgebied."))]
    )
    purpose = SelectField(_l("Doel"), validators=[DataRequired(_l("Kies een doel."))])
    basis = SelectField(_l("Grondslag"), validators=[DataRequired(_l("Kies een grondslag."))])
    proportionality = TextAreaField(
        _l("Waarom staat dit in verhouding tot het doel? (proportionaliteit)"),
        validators=[Length(max=TEXT_MAX_LENGTH)],
    )
    subsidiarity = TextAreaField(
        _l("Waarom kan het niet op een minder ingrijpende manier? (subsidiariteit)"),
        validators=[Length(max=TEXT_MAX_LENGTH)],
    )
    statute = StringField(
        _l("Wet en artikel"),
        validators=[OptionalValue(), Length(max=STATUTE_MAX_LENGTH)],
        render_kw={"list": "statute-suggestions", "autocomplete": "off"},
    )
    urgency = _explanation(_l("Waarom heeft het spoed en past geen andere grondslag?"))
    conflict_of_duties = _explanation(
        _l("Welk gevaar dreigt, en waarom moet het beroepsgeheim daarvoor wijken?")
    )
    compatibility_a = _explanation(COMPATIBILITY_QUESTIONS["a"])
    compatibility_b = _explanation(COMPATIBILITY_QUESTIONS["b"])
    compatibility_c = _explanation(COMPATIBILITY_QUESTIONS["c"])
    compatibility_d = _explanation(COMPATIBILITY_QUESTIONS["d"])
    compatibility_e = _explanation(COMPATIBILITY_QUESTIONS["e"])

    def __init__(self, *args, case=None, domains=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.phase.choices = choices(
            (phase, phase_label(phase)) for phase in range(1, case.phase + 1)
        )
        self.partner.choices = choices((partner.id, partner.name) for partner in case.team)
        self.domain.choices = choices((domain.id, domain.name_nl) for domain in domains)
        self.purpose.choices = choices((p.value, purpose_label(p)) for p in Purpose)
        self.basis.choices = choices((b.value, basis_label(b)) for b in Basis)

    def compatibility(self) -> dict[str, str]:
        return {
            letter: getattr(self, f"compatibility_{letter}").data
            for letter in COMPATIBILITY_QUESTIONS
        }
