"""Dutch (translatable) names of the request enums, shared by forms, screens and, later, letters."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from requests.models import (
    Channel,
    EventKind,
    FiledBy,
    IdentityMethod,
    Outcome,
    RectifiedField,
    RequestType,
    RightRestrictionGround,
    Status,
)

_TYPE_LABELS = {
    RequestType.ACCESS: _l("Inzage"),
    RequestType.RECTIFICATION: _l("Rectificatie"),
    RequestType.ERASURE: _l("Wissen"),
    RequestType.RESTRICTION: _l("Beperking"),
    RequestType.OBJECTION: _l("Bezwaar tegen verwerking"),
}


def type_label(value: RequestType) -> str:
    return str(_TYPE_LABELS[value])


def type_label_with_article(value: RequestType) -> str:
    return _("%(type)s (AVG art. %(article)s)", type=type_label(value), article=value.article)


_CHANNEL_LABELS = {
    Channel.ONLINE: _l("Online"),
    Channel.LETTER: _l("Brief"),
    Channel.DESK: _l("Aan de balie"),
    Channel.EMAIL: _l("E-mail"),
}


def channel_label(value: Channel) -> str:
    return str(_CHANNEL_LABELS[value])


_FILED_BY_LABELS = {
    FiledBy.SUBJECT: _l("De persoon zelf"),
    FiledBy.LEGAL_REPRESENTATIVE: _l("Wettelijk vertegenwoordiger (kind jonger dan 16)"),
    FiledBy.GUARDIAN: _l("Curator of mentor"),
}


def filed_by_label(value: FiledBy) -> str:
    return str(_FILED_BY_LABELS[value])


_STATUS_LABELS = {
    Status.RECEIVED: _l("Ontvangen"),
    Status.IDENTITY_TO_VERIFY: _l("Identiteit nog vaststellen"),
    Status.IN_PROGRESS: _l("In behandeling"),
    Status.EXTENDED: _l("Verlengd"),
    Status.DECIDED: _l("Besloten"),
    Status.CLOSED: _l("Afgesloten"),
    Status.WITHDRAWN: _l("Ingetrokken"),
}


def status_label(value: Status) -> str:
    return str(_STATUS_LABELS[value])


_OUTCOME_LABELS = {
    Outcome.GRANTED: _l("Toegewezen"),
    Outcome.PARTLY_GRANTED: _l("Deels toegewezen"),
    Outcome.REFUSED: _l("Afgewezen"),
    Outcome.NOT_HANDLED: _l("Niet in behandeling genomen"),
}


def outcome_label(value: Outcome) -> str:
    return str(_OUTCOME_LABELS[value])


_METHOD_LABELS = {
    IdentityMethod.DIGID: _l("Ingelogd met DigiD"),
    IdentityMethod.LETTER_CODE: _l("Code per brief naar het bekende adres"),
    IdentityMethod.DESK_ID_DOCUMENT_SEEN: _l("Identiteitsbewijs gezien aan de balie"),
    IdentityMethod.KNOWN_IN_PERSON: _l("Persoonlijk bekend bij de hulpverlener"),
}


def method_label(value: IdentityMethod) -> str:
    return str(_METHOD_LABELS[value])


_EVENT_LABELS = {
    EventKind.REGISTERED: _l("Verzoek ontvangen en geregistreerd"),
    EventKind.IDENTITY_REQUESTED: _l("Gegevens gevraagd om de identiteit vast te stellen"),
    EventKind.IDENTITY_ESTABLISHED: _l("Identiteit vastgesteld"),
    EventKind.PROCESSING_STARTED: _l("In behandeling genomen"),
    EventKind.EXTENDED: _l("Termijn verlengd"),
    EventKind.DECIDED: _l("Besluit genomen"),
    EventKind.CLOSED: _l("Afgesloten"),
    EventKind.WITHDRAWN: _l("Ingetrokken door de aanvrager"),
    EventKind.ASSIGNED: _l("Toegewezen aan een behandelaar"),
    EventKind.DEADLINE_CHANGED: _l("Termijn herberekend (feestdagen gewijzigd)"),
    EventKind.ACCESS_REPORT_SENT: _l("Overzicht van de gegevens verstuurd"),
    EventKind.RECTIFIED: _l("Gegevens gerectificeerd"),
    EventKind.ERASED: _l("Gegevens gewist"),
    EventKind.PROCESSING_RESTRICTED: _l("Verwerking beperkt"),
    EventKind.PROCESSING_RESTRICTION_LIFTED: _l("Beperking van de verwerking opgeheven"),
    EventKind.OBJECTION_CARRIED_OUT: _l("Verwerking gestopt na bezwaar"),
    EventKind.RIGHT_RESTRICTED: _l("Recht tijdelijk beperkt"),
    EventKind.RIGHT_RESTRICTION_TOLD: _l("Persoon ingelicht over de beperking van het recht"),
    EventKind.RIGHT_RESTRICTION_ENDED: _l("Beperking van het recht opgeheven"),
}


def event_label(value: EventKind) -> str:
    return str(_EVENT_LABELS[value])


_GROUND_LABELS = {
    RightRestrictionGround.VITAL_INTEREST: _l("Vitaal belang"),
    RightRestrictionGround.CONFLICT_OF_DUTIES: _l("Conflict van plichten"),
}


def ground_label(value: RightRestrictionGround) -> str:
    return str(_GROUND_LABELS[value])


_FIELD_LABELS = {
    RectifiedField.GIVEN_NAME: _l("Voornaam"),
    RectifiedField.FAMILY_NAME: _l("Achternaam"),
    RectifiedField.BIRTH_DATE: _l("Geboortedatum"),
    RectifiedField.BSN: _l("BSN"),
    RectifiedField.ENTRY_TEXT: _l("Tekst van een kerngegeven"),
}


def field_label(value: RectifiedField) -> str:
    return str(_FIELD_LABELS[value])


_ERASURE_ITEM_LABELS = {
    "entries": _l("Kerngegevens over de persoon"),
    "household_entries": _l("Kerngegevens over het hele huishouden"),
    "legal_bases": _l("Vastgelegde grondslagen van de casus"),
    "consents": _l("Beslissingen over toestemming"),
    "reuse_approvals": _l("Afspraken over hergebruik"),
    "rectifications": _l("Oude waarden van verbeterde gegevens"),
    "letters": _l("Brieven die niet over een verzoek gaan"),
    "access_codes": _l("Inlogcodes voor het privacyportaal"),
    "access_reports": _l("Eerder verstuurde inzageoverzichten"),
    "person": _l("Naam, geboortedatum, BSN, e-mailadres en vertegenwoordiger"),
    "address": _l("Adres van het huishouden"),
    "requests": _l("AVG-verzoeken en de brieven daarover"),
    "audit": _l("Logboek (alleen nummers)"),
}


def erasure_item_label(what: str) -> str:
    """What an erasure plan (requests/erasure.py) is about."""
    label = _ERASURE_ITEM_LABELS.get(what)
    return what if label is None else str(label)


_ERASURE_REASON_LABELS = {
    "case_open": _l(
        "De casus loopt nog: het Regieteam heeft de gegevens nodig voor zijn taak (AVG art. "
        "17 lid 3)."
    ),
    "case_recently_closed": _l(
        "De casus is korter dan een jaar geleden afgesloten: klachten over de hulp kunnen nog "
        "komen (Awb art. 9:8)."
    ),
    "household_shared": _l("Gaat ook over de andere leden van het huishouden."),
    "proof_of_consent": _l(
        "Bewijs dat delen mocht (AVG art. 7); gaat mee met het hele dossier."
    ),
    "kept_with_file": _l("Gaat mee met het hele dossier, als geen casus meer bewaard wordt."),
    "needed_for_kept_case": _l("Nodig zolang een casus van het huishouden bewaard wordt."),
    "represents_others": _l(
        "Wettelijk vertegenwoordiger van een kind van wie nog gegevens bewaard worden."
    ),
    "record_of_decisions": _l(
        "Vastlegging van de besluiten (bezwaar en beroep; AVG art. 5 lid 2)."
    ),
    "audit_ids_only": _l("Bevat geen persoonsgegevens, alleen nummers; nodig voor beveiliging."),
}


def erasure_reason_label(reason: str) -> str:
    """Why something stays (requests/erasure.py, docs/requests.md)."""
    label = _ERASURE_REASON_LABELS.get(reason)
    return reason if label is None else str(label)


def language_label(value: str) -> str:
    return {"nl": _("Nederlands"), "en": _("Engels")}[value]


_HOLIDAY_LABELS = {
    "Nieuwjaarsdag": _l("Nieuwjaarsdag"),
    "Goede Vrijdag": _l("Goede Vrijdag"),
    "Tweede Paasdag": _l("Tweede Paasdag"),
    "Koningsdag": _l("Koningsdag"),
    "Bevrijdingsdag": _l("Bevrijdingsdag"),
    "Hemelvaartsdag": _l("Hemelvaartsdag"),
    "Tweede Pinksterdag": _l("Tweede Pinksterdag"),
    "Eerste Kerstdag": _l("Eerste Kerstdag"),
    "Tweede Kerstdag": _l("Tweede Kerstdag"),
}


def holiday_label(name: str) -> str:
    """The public holidays named by requests/deadlines.py, translated for display."""
    label = _HOLIDAY_LABELS.get(name)
    return name if label is None else str(label)


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
        "ground_label": ground_label,
        "field_label": field_label,
        "language_label": language_label,
        "erasure_item_label": erasure_item_label,
        "erasure_reason_label": erasure_reason_label,
    }
