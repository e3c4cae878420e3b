"""The form of the bemoeizorg conversation: one grid of data domains × partners on the case team,
for one purpose, where each cell is given, refused or not asked (issue 3, point 2).

The form checks only the shape of the input (choices, lengths, a sane date); the rules of the
convenant (informed consent, the representative of a minor, no decision in the future) live in
`consent.operations.record_decision` and come back as messages beside the field they are about.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateTimeLocalField, RadioField, SelectField, StringField
from wtforms.validators import InputRequired, Length, ValidationError

from consent.basis_forms import purpose_label
from consent.models import Channel, ConsentStatus, Purpose, RecordedBy
from portal.forms import PortalForm, choices
from portal.models import DataDomain, Partner, Person

NOT_ASKED = "not_asked"
# Cell answers; "not asked" records nothing.
ANSWERS = (ConsentStatus.GIVEN.value, ConsentStatus.REFUSED.value, NOT_ASKED)
# The ledger keeps 40 characters of the information letter's version (ConsentEvent).
VERSION_MAX_LENGTH = 40
# A conversation before this moment is a typing error; it also keeps the time-zone arithmetic
# far away from the first year of the calendar.
EARLIEST_CONVERSATION = datetime(2000, 1, 1)
# Channels a staff member records; "online" is the person's own action in the citizen portal.
STAFF_CHANNELS = (Channel.BEMOEIZORG_CONVERSATION, Channel.IN_WRITING)


def answer_label(answer: str) -> str:
    return {
        ConsentStatus.GIVEN.value: _("Gegeven"),
        ConsentStatus.REFUSED.value: _("Geweigerd"),
        NOT_ASKED: _("Niet gevraagd"),
    }[answer]


def channel_label(channel: Channel) -> str:
    return {
        Channel.BEMOEIZORG_CONVERSATION: _("In het bemoeizorggesprek"),
        Channel.IN_WRITING: _("Schriftelijk"),
        Channel.ONLINE: _("Online, door de persoon zelf"),
    }[channel]


def domain_name(domain: DataDomain) -> str:
    locale = get_locale()
    return domain.name_en if locale is not None and locale.language == "en" else domain.name_nl


def _in_sentence(name: str) -> str:
    # "Wonen" reads "wonen" inside a sentence; an abbreviation ("GGZ") keeps its capitals.
    if len(name) > 1 and name[1].isupper():
        return name
    return name[:1].lower() + name[1:]


def purpose_phrase(purpose: Purpose) -> str:
    """The purpose as it ends the sentence "... te gebruiken voor <purpose>"."""
    return {
        Purpose.PLAN: _("het plan van aanpak"),
        Purpose.REGIE: _("het bewaken van de voortgang van het plan van aanpak"),
        Purpose.OVERLAST: _("het verminderen van overlast"),
    }[purpose]


def decision_sentence(
    status: ConsentStatus, partner: Partner, domain: DataDomain, purpose: Purpose
) -> str:
    """One decision in plain Dutch (B1), read back to the household at the end of the
    conversation (Privacyprotocol art. 4: "legt goed uit aan betrokkene [...] om welke informatie
    het gaat, of deze informatie gedeeld zal gaan worden en met wie")."""
    values = dict(
        partner=partner.name,
        domain=_in_sentence(domain_name(domain)),
        purpose=purpose_phrase(purpose),
    )
    if status is ConsentStatus.GIVEN:
        return _(
            "U geeft %(partner)s toestemming om gegevens over %(domain)s te gebruiken voor "
            "%(purpose)s.",
            **values,
        )
    return _(
        "U geeft %(partner)s geen toestemming om gegevens over %(domain)s te gebruiken voor "
        "%(purpose)s.",
        **values,
    )


def cell_name(partner_id: int, domain_id: int) -> str:
    return f"cell-{partner_id}-{domain_id}"


class ConsentGridForm(PortalForm):
    """The fixed fields; `grid_form` adds one radio group per (partner, domain)."""

    purpose = SelectField(_l("Doel"), validators=[InputRequired(_l("Kies een doel."))])
    conversation_at = DateTimeLocalField(
        _l("Datum en tijd van het gesprek"),
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        validators=[InputRequired(_l("Vul de datum en tijd van het gesprek in."))],
        invalid_value_message=_l("Vul een datum en tijd in, bijvoorbeeld 05-03-2026 14:30."),
    )
    channel = SelectField(_l("Hoe gaf de persoon antwoord?"))
    information_version = StringField(
        _l("Informatiebrief die de persoon kreeg"),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[Length(max=VERSION_MAX_LENGTH)],
        render_kw={"autocomplete": "off"},
    )
    representative_id = SelectField(_l("Wie besliste?"), coerce=int)

    def __init__(self, *args, partners=(), domains=(), person: Person | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.partners: list[Partner] = list(partners)
        self.domains: list[DataDomain] = list(domains)
        self.purpose.choices = choices((p.value, purpose_label(p)) for p in Purpose)
        self.channel.choices = choices((c.value, channel_label(c)) for c in STAFF_CHANNELS)
        options = [(0, _("De persoon zelf"))]
        if person is not None and person.legal_representative is not None:
            options.append(
                (
                    person.legal_representative.id,
                    _(
                        "%(name)s (wettelijk vertegenwoordiger)",
                        name=person.legal_representative.full_name,
                    ),
                )
            )
        self.representative_id.choices = choices(options)

    def validate_conversation_at(self, field):
        if field.data is not None and field.data < EARLIEST_CONVERSATION:
            raise ValidationError(_l("Vul een datum na 1 januari 2000 in."))

    def cell(self, partner: Partner, domain: DataDomain) -> RadioField:
        return self[cell_name(partner.id, domain.id)]

    def answered_cells(self) -> list[tuple[Partner, DataDomain, ConsentStatus]]:
        """The cells answered with given or refused, in the order of the grid."""
        answered = []
        for partner in self.partners:
            for domain in self.domains:
                answer = self.cell(partner, domain).data
                if answer != NOT_ASKED:
                    answered.append((partner, domain, ConsentStatus(answer)))
        return answered


def grid_form(
    partners: list[Partner], domains: list[DataDomain], person: Person, **kwargs
) -> ConsentGridForm:
    """A form class made for this grid: WTForms fields are declared on the class, and the grid
    depends on the case team and the domains."""

    class Grid(ConsentGridForm):
        pass

    for partner in partners:
        for domain in domains:
            setattr(
                Grid,
                cell_name(partner.id, domain.id),
                RadioField(
                    # The label names the cell in the list of problems above the form.
                    f"{partner.name} · {domain_name(domain)}",
                    choices=choices((answer, answer_label(answer)) for answer in ANSWERS),
                    default=NOT_ASKED,
                ),
            )
    return Grid(partners=partners, domains=domains, person=person, **kwargs)


def state_label(event, now) -> str:
    """The state a deciding event leaves behind at `now`; a grant past its end date has
    expired even before the ledger says so (`expire_due`)."""
    if event.status is ConsentStatus.GIVEN and not event.in_force_at(now):
        return _("Verlopen")
    return status_label(event.status)


def status_label(status: ConsentStatus) -> str:
    return {
        ConsentStatus.GIVEN: _("Gegeven"),
        ConsentStatus.REFUSED: _("Geweigerd"),
        ConsentStatus.WITHDRAWN: _("Ingetrokken"),
        ConsentStatus.EXPIRED: _("Verlopen"),
    }[status]


def recorded_by_label(recorded_by: RecordedBy) -> str:
    return {
        RecordedBy.CASE_MANAGER: _("casemanager"),
        RecordedBy.PERSON: _("de persoon zelf"),
        RecordedBy.PRIVACY_DESK: _("privacyloket"),
        RecordedBy.PROCESREGISSEUR: _("procesregisseur"),
        RecordedBy.SYSTEM: _("automatisch, na de einddatum"),
    }[recorded_by]
