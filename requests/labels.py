"""Dutch (translatable) names of the request enums, shared by forms, screens and, later, letters."""

from __future__ import annotations

from flask_babel import gettext as _

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
        EventKind.ACCESS_REPORT_SENT: _("Overzicht van de gegevens verstuurd"),
        EventKind.RECTIFIED: _("Gegevens gerectificeerd"),
        EventKind.ERASED: _("Gegevens gewist"),
        EventKind.PROCESSING_RESTRICTED: _("Verwerking beperkt"),
        EventKind.PROCESSING_RESTRICTION_LIFTED: _("Beperking van de verwerking opgeheven"),
        EventKind.OBJECTION_CARRIED_OUT: _("Verwerking gestopt na bezwaar"),
        EventKind.RIGHT_RESTRICTED: _("Recht tijdelijk beperkt"),
        EventKind.RIGHT_RESTRICTION_TOLD: _("Persoon ingelicht over de beperking van het recht"),
        EventKind.RIGHT_RESTRICTION_ENDED: _("Beperking van het recht opgeheven"),
    }[value]


def ground_label(value: RightRestrictionGround) -> str:
    return {
        RightRestrictionGround.VITAL_INTEREST: _("Vitaal belang"),
        RightRestrictionGround.CONFLICT_OF_DUTIES: _("Conflict van plichten"),
    }[value]


def field_label(value: RectifiedField) -> str:
    return {
        RectifiedField.GIVEN_NAME: _("Voornaam"),
        RectifiedField.FAMILY_NAME: _("Achternaam"),
        RectifiedField.BIRTH_DATE: _("Geboortedatum"),
        RectifiedField.BSN: _("BSN"),
        RectifiedField.ENTRY_TEXT: _("Tekst van een kerngegeven"),
    }[value]


def erasure_item_label(what: str) -> str:
    """What an erasure plan (requests/erasure.py) is about."""
    return {
        "entries": _("Kerngegevens over de persoon"),
        "household_entries": _("Kerngegevens over het hele huishouden"),
        "legal_bases": _("Vastgelegde grondslagen van de casus"),
        "consents": _("Beslissingen over toestemming"),
        "reuse_approvals": _("Afspraken over hergebruik"),
        "rectifications": _("Oude waarden van verbeterde gegevens"),
        "letters": _("Brieven die niet over een verzoek gaan"),
        "access_codes": _("Inlogcodes voor het privacyportaal"),
        "access_reports": _("Eerder verstuurde inzageoverzichten"),
        "person": _("Naam, geboortedatum, BSN, e-mailadres en vertegenwoordiger"),
        "address": _("Adres van het huishouden"),
        "requests": _("AVG-verzoeken en de brieven daarover"),
        "audit": _("Logboek (alleen nummers)"),
    }.get(what, what)


def erasure_reason_label(reason: str) -> str:
    """Why something stays (requests/erasure.py, docs/requests.md)."""
    return {
        "case_open": _(
            "De casus loopt nog: het Regieteam heeft de gegevens nodig voor zijn taak (AVG art. "
            "17 lid 3)."
        ),
        "case_recently_closed": _(
            "De casus is korter dan een jaar geleden afgesloten: klachten over de hulp kunnen nog "
            "komen (Awb art. 9:8)."
        ),
        "household_shared": _("Gaat ook over de andere leden van het huishouden."),
        "proof_of_consent": _(
            "Bewijs dat delen mocht (AVG art. 7); gaat mee met het hele dossier."
        ),
        "kept_with_file": _("Gaat mee met het hele dossier, als geen casus meer bewaard wordt."),
        "needed_for_kept_case": _("Nodig zolang een casus van het huishouden bewaard wordt."),
        "represents_others": _(
            "Wettelijk vertegenwoordiger van een kind van wie nog gegevens bewaard worden."
        ),
        "record_of_decisions": _(
            "Vastlegging van de besluiten (bezwaar en beroep; AVG art. 5 lid 2)."
        ),
        "audit_ids_only": _("Bevat geen persoonsgegevens, alleen nummers; nodig voor beveiliging."),
    }.get(reason, reason)


def language_label(value: str) -> str:
    return {"nl": _("Nederlands"), "en": _("Engels")}[value]


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
        "ground_label": ground_label,
        "field_label": field_label,
        "language_label": language_label,
        "erasure_item_label": erasure_item_label,
        "erasure_reason_label": erasure_reason_label,
    }
