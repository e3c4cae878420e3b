"""Dutch (translatable) names of the request enums, shared by forms, screens and, later, letters."""

from __future__ import annotations

from flask_babel import gettext as _

from requests.models import (
    Channel,
    EventKind,
    FiledBy,
    IdentityMethod,
    Outcome,
    RequestType,
    Status,
)


def type_label(value: RequestType) -> str:
    return {
        RequestType.ACCESS: _("Inzage"),
        RequestType.RECTIFICATION: _("Rectificatie"),
        RequestType.ERASURE: _("Wissen"),
        RequestType.RESTRICTION: _("Beperking"),
        RequestType.OBJECTION: _("Bezwaar tegen verwerking"),
    }[value]


def type_label_with_article(value: RequestType) -> str:
    return _("%(type)s (AVG art. %(article)s)", type=type_label(value), article=value.article)


def channel_label(value: Channel) -> str:
    return {
        Channel.ONLINE: _("Online"),
        Channel.LETTER: _("Brief"),
        Channel.DESK: _("Aan de balie"),
        Channel.EMAIL: _("E-mail"),
    }[value]


def filed_by_label(value: FiledBy) -> str:
    return {
        FiledBy.SUBJECT: _("De persoon zelf"),
        FiledBy.LEGAL_REPRESENTATIVE: _("Wettelijk vertegenwoordiger (kind jonger dan 16)"),
        FiledBy.GUARDIAN: _("Curator of mentor"),
    }[value]


def status_label(value: Status) -> str:
    return {
        Status.RECEIVED: _("Ontvangen"),
        Status.IDENTITY_TO_VERIFY: _("Identiteit nog vaststellen"),
        Status.IN_PROGRESS: _("In behandeling"),
        Status.EXTENDED: _("Verlengd"),
        Status.DECIDED: _("Besloten"),
        Status.CLOSED: _("Afgesloten"),
        Status.WITHDRAWN: _("Ingetrokken"),
    }[value]


def outcome_label(value: Outcome) -> str:
    return {
        Outcome.GRANTED: _("Toegewezen"),
        Outcome.PARTLY_GRANTED: _("Deels toegewezen"),
        Outcome.REFUSED: _("Afgewezen"),
        Outcome.NOT_HANDLED: _("Niet in behandeling genomen"),
    }[value]


def method_label(value: IdentityMethod) -> str:
    return {
        IdentityMethod.DIGID: _("Ingelogd met DigiD"),
        IdentityMethod.LETTER_CODE: _("Code per brief naar het bekende adres"),
        IdentityMethod.DESK_ID_DOCUMENT_SEEN: _("Identiteitsbewijs gezien aan de balie"),
        IdentityMethod.KNOWN_IN_PERSON: _("Persoonlijk bekend bij de hulpverlener"),
    }[value]


def event_label(value: EventKind) -> str:
    return {
        EventKind.REGISTERED: _("Verzoek ontvangen en geregistreerd"),
        EventKind.IDENTITY_REQUESTED: _("Gegevens gevraagd om de identiteit vast te stellen"),
        EventKind.IDENTITY_ESTABLISHED: _("Identiteit vastgesteld"),
        EventKind.PROCESSING_STARTED: _("In behandeling genomen"),
        EventKind.EXTENDED: _("Termijn verlengd"),
        EventKind.DECIDED: _("Besluit genomen"),
        EventKind.CLOSED: _("Afgesloten"),
        EventKind.WITHDRAWN: _("Ingetrokken door de aanvrager"),
        EventKind.ASSIGNED: _("Toegewezen"),
        EventKind.DEADLINE_CHANGED: _("Termijn herberekend (feestdagen gewijzigd)"),
    }[value]


def holiday_label(name: str) -> str:
    """The public holidays named by requests/deadlines.py, translated for display."""
    return {
        "Nieuwjaarsdag": _("Nieuwjaarsdag"),
        "Goede Vrijdag": _("Goede Vrijdag"),
        "Tweede Paasdag": _("Tweede Paasdag"),
        "Koningsdag": _("Koningsdag"),
        "Bevrijdingsdag": _("Bevrijdingsdag"),
        "Hemelvaartsdag": _("Hemelvaartsdag"),
        "Tweede Pinksterdag": _("Tweede Pinksterdag"),
        "Eerste Kerstdag": _("Eerste Kerstdag"),
        "Tweede Kerstdag": _("Tweede Kerstdag"),
    }.get(name, name)


def template_helpers() -> dict:
    return {
        "type_label": type_label,
        "type_label_with_article": type_label_with_article,
        "channel_label": channel_label,
        "filed_by_label": filed_by_label,
        "status_label": status_label,
        "outcome_label": outcome_label,
        "method_label": method_label,
        "event_label": event_label,
        "holiday_label": holiday_label,
    }
