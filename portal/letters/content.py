"""What each kind of letter says about whom: data builders, one per kind.

A builder checks the rule that makes its letter lawful (quoted where it lives), gathers the data
and returns a `LetterDraft`; `portal.letters.operations` renders, stores and audits it. The request
letters are built here for the requests package, which passes the facts of a request in.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Optional
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from babel.dates import format_date, format_time
from flask import current_app

from portal.audit import years_after
from portal.extensions import db
from portal.letters.models import LetterKind
from portal.letters.registry import (
    LANGUAGES,
    OUTCOMES,
    PARTICIPATION_LABELS,
    RESTRICTION_GROUNDS,
    RIGHT_LABELS,
    RIGHTS,
)
from portal.models import (
    Case,
    CaseEntry,
    Decision,
    Household,
    Participation,
    Partner,
    Person,
    utcnow,
)
from portal.operations import RuleViolation

# Privacyreglement, Bewaartermijn: "vijftien jaar na het afsluiten van de hulp- en/of
# dienstverlening".
RETENTION_YEARS = 15
PARTICIPATION_ORDER = [
    Participation.CORE,
    Participation.SCHILPARTNER,
    Participation.INCIDENTAL,
    Participation.CHAIN,
]
BABEL_LOCALES = {"nl": "nl_NL", "en": "en_GB"}
# Dates and times in letters are those of Nijmegen.
LOCAL_TIME = ZoneInfo("Europe/Amsterdam")


@dataclass
class LetterDraft:
    """A letter before it is rendered: who it goes to, about what, and the kind's own facts."""

    kind: LetterKind
    language: str
    household: Household
    person: Optional[Person] = None
    case: Optional[Case] = None
    request_reference: Optional[str] = None
    fields: dict = field(default_factory=dict)

    @property
    def reference(self) -> str:
        """'Ons kenmerk': the request, else the case, else the household."""
        if self.request_reference:
            return self.request_reference
        if self.case is not None:
            return self.case.reference
        return f"HH-{self.household.id}"


def long_date(day: date | datetime, language: str) -> str:
    if isinstance(day, datetime):
        day = day.date()
    return format_date(day, format="long", locale=BABEL_LOCALES[language])


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise RuleViolation("unknown_language", "Kies Nederlands of Engels.")


def _check_right(right: str) -> None:
    if right not in RIGHTS:
        raise RuleViolation("unknown_right", "Kies het recht waar het verzoek over gaat.")


def _text(value: Optional[str]) -> str:
    return (value or "").strip()


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


# --- the information letter (Privacyprotocol art. 4) ------------------------------------------


def _sharing_source():
    """The function that lists what is shared about a person and on which basis. It lives in the
    consent package; `portal` names it in the config and never imports it (DESIGN.md)."""
    name = current_app.config.get("LETTER_SHARING_SOURCE")
    if not name:
        raise RuleViolation(
            "no_sharing_source",
            "De informatiebrief kan niet worden gemaakt: het register van toestemmingen en "
            "grondslagen is niet beschikbaar.",
        )
    module, _, attribute = name.partition(":")
    return getattr(importlib.import_module(module), attribute)


def _regieteam_partners(language: str) -> list[dict]:
    partners = db.session.scalars(sa.select(Partner)).all()
    labels = PARTICIPATION_LABELS[language]
    ordered = sorted(
        partners, key=lambda p: (PARTICIPATION_ORDER.index(p.participation), p.name.lower())
    )
    return [{"name": p.name, "role": labels[p.participation.value]} for p in ordered]


def _sources(case: Case, person: Person) -> list[str]:
    """Privacyprotocol art. 4: the casemanager tells "wat de bron is van de gegevens". Every entry
    keeps the partner that brought it in (Privacyprotocol art. 5)."""
    names = db.session.scalars(
        sa.select(Partner.name)
        .join(CaseEntry, CaseEntry.source_partner_id == Partner.id)
        .where(
            CaseEntry.case_id == case.id,
            sa.or_(CaseEntry.person_id.is_(None), CaseEntry.person_id == person.id),
        )
        .distinct()
        .order_by(Partner.name)
    ).all()
    return list(names)


def information(
    person: Person,
    case: Case,
    *,
    language: str = "nl",
    at: Optional[datetime] = None,
    sharing: Optional[list[dict]] = None,
) -> LetterDraft:
    """Privacyprotocol art. 4: which partners form the Regieteam and which work on this case, the
    way of working and goals, the controller, the purposes, which data is shared with whom and on
    which basis, the rights and when they can be restricted, retention, source, withdrawing
    consent and the complaint to the AP. Sent by the one bringing in the case (Afwegingskader stap
    1) and by the case manager before the plan (stap 4).

    `sharing` rows ({domain, recipient, purpose, basis, statute}) default to what the consent
    ledger and the legal-basis register say at `at`."""
    _check_language(language)
    if person.household_id != case.household_id:
        raise RuleViolation("person_not_in_case", "Deze persoon hoort niet bij deze casus.")
    if case.decision is Decision.NOT_PICKED_UP:
        raise RuleViolation(
            "not_picked_up",
            "Deze casus is niet opgepakt. Stuur het huishouden de brief 'niet opgepakt'.",
        )
    at = at or utcnow()
    if sharing is None:
        sharing = _sharing_source()(person=person, case=case, at=at, language=language)
    manager = case.case_manager
    fields = {
        "person_name": person.full_name,
        "case_reference": case.reference,
        "regieteam_partners": _regieteam_partners(language),
        "case_partners": [partner.name for partner in case.team],
        "case_manager": (
            {"name": manager.name, "organisation": manager.partner.name} if manager else None
        ),
        "sharing": sharing,
        "sources": _sources(case, person),
        "closed_on": long_date(case.closed_on, language) if case.closed_on else None,
        "retention_until": (
            long_date(years_after(case.closed_on, RETENTION_YEARS), language)
            if case.closed_on
            else None
        ),
    }
    return LetterDraft(
        LetterKind.INFORMATION, language, person.household, person, case, None, fields
    )


# --- the not-picked-up notice (Afwegingskader stap 3) -----------------------------------------


def not_picked_up(case: Case, *, language: str = "nl") -> LetterDraft:
    """Afwegingskader stap 3: "De inbrenger informeert het huishouden in geval van niet oppakken".
    Addressed to the household: nothing about its members is kept."""
    _check_language(language)
    if case.decision is not Decision.NOT_PICKED_UP:
        raise RuleViolation(
            "not_not_picked_up", "Deze brief is alleen voor een casus die niet is opgepakt."
        )
    decided = case.closed_on or case.opened_on
    fields = {"wijk": case.household.wijk, "decided_on": long_date(decided, language)}
    return LetterDraft(LetterKind.NOT_PICKED_UP, language, case.household, None, case, None, fields)


# --- the letters of a rights request (AVG art. 12-21), built for the requests package --------


def _request_draft(
    kind: LetterKind,
    person: Person,
    language: str,
    request_reference: Optional[str],
    fields: dict,
    case: Optional[Case] = None,
) -> LetterDraft:
    _check_language(language)
    if kind is not LetterKind.RESTRICTION and kind is not LetterKind.RESTRICTION_ENDED:
        if not _text(request_reference):
            raise RuleViolation(
                "no_request_reference", "Een brief over een verzoek noemt het kenmerk."
            )
    return LetterDraft(
        kind, language, person.household, person, case, _text(request_reference) or None, fields
    )


def acknowledgement(
    person: Person,
    *,
    request_reference: str,
    right: str,
    received_on: date,
    due_on: date,
    language: str = "nl",
) -> LetterDraft:
    """AVG art. 12(3): a decision within one month of receipt."""
    _check_right(right)
    _check_language(language)
    if due_on < received_on:
        raise RuleViolation("due_before_receipt", "De uiterste datum ligt vóór de ontvangst.")
    fields = {
        "right_label": RIGHT_LABELS[language][right],
        "received_on": long_date(received_on, language),
        "due_on": long_date(due_on, language),
    }
    return _request_draft(LetterKind.ACKNOWLEDGEMENT, person, language, request_reference, fields)


def extension(
    person: Person,
    *,
    request_reference: str,
    right: str,
    received_on: date,
    original_due_on: date,
    new_due_on: date,
    reasons: str,
    language: str = "nl",
) -> LetterDraft:
    """AVG art. 12(3): "with a further two months where necessary [...] The controller shall
    inform the data subject of any such extension within one month of receipt of the request,
    together with the reasons for the delay"."""
    _check_right(right)
    _check_language(language)
    if not _text(reasons):
        raise RuleViolation(
            "no_reasons", "Geef de reden van de verlenging (artikel 12, lid 3 AVG)."
        )
    if new_due_on <= original_due_on:
        raise RuleViolation("not_later", "De nieuwe datum moet na de oorspronkelijke datum liggen.")
    if new_due_on > _add_months(received_on, 3):
        raise RuleViolation(
            "too_long", "Verlengen kan met ten hoogste twee maanden (artikel 12, lid 3 AVG)."
        )
    fields = {
        "right_label": RIGHT_LABELS[language][right],
        "received_on": long_date(received_on, language),
        "original_due_on": long_date(original_due_on, language),
        "new_due_on": long_date(new_due_on, language),
        "reasons": _text(reasons),
    }
    return _request_draft(LetterKind.EXTENSION, person, language, request_reference, fields)


def decision(
    person: Person,
    *,
    request_reference: str,
    right: str,
    received_on: date,
    outcome: str,
    reasons: Optional[str] = None,
    actions: Optional[str] = None,
    language: str = "nl",
) -> LetterDraft:
    """AVG art. 12(4): a refusal gives the reasons and the complaint route; UAVG art. 34: the
    decision is a besluit, so the letter carries the bezwaar clause."""
    _check_right(right)
    _check_language(language)
    if outcome not in OUTCOMES:
        raise RuleViolation("unknown_outcome", "Kies: toegewezen, deels toegewezen of afgewezen.")
    if outcome != "granted" and not _text(reasons):
        raise RuleViolation(
            "no_reasons", "Een (gedeeltelijke) afwijzing noemt de redenen (artikel 12, lid 4 AVG)."
        )
    fields = {
        "right_label": RIGHT_LABELS[language][right],
        "received_on": long_date(received_on, language),
        "outcome": outcome,
        "reasons": _text(reasons),
        "actions": _text(actions),
    }
    return _request_draft(LetterKind.DECISION, person, language, request_reference, fields)


def access_report(
    person: Person, *, request_reference: str, received_on: date, language: str = "nl"
) -> LetterDraft:
    """The cover letter of the AVG art. 15 report: purposes, categories, recipients, retention,
    source (Privacyreglement, Rechten van betrokkene)."""
    fields = {"received_on": long_date(received_on, language) if language in LANGUAGES else ""}
    return _request_draft(LetterKind.ACCESS_REPORT, person, language, request_reference, fields)


def _check_ground(ground: str) -> None:
    # Privacyprotocol art. 5: "alleen [...] indien sprake is van de vrijwaring van een vitaal
    # belang of conflict van plichten".
    if ground not in RESTRICTION_GROUNDS:
        raise RuleViolation(
            "no_ground",
            "Een recht mag alleen tijdelijk worden beperkt bij een vitaal belang of een conflict "
            "van plichten (Privacyprotocol art. 5).",
        )


def restriction(
    person: Person,
    *,
    right: str,
    ground: str,
    since: date,
    review_on: date,
    request_reference: Optional[str] = None,
    language: str = "nl",
) -> LetterDraft:
    """Privacyprotocol art. 4: restricted "tijdelijk, goed gemotiveerd en gedocumenteerd", and
    "Zodra mogelijk wordt betrokkene alsnog geinformeerd"."""
    _check_right(right)
    _check_language(language)
    _check_ground(ground)
    if review_on <= since:
        raise RuleViolation("review_before_start", "De datum van herbeoordeling ligt na de start.")
    fields = {
        "right_label": RIGHT_LABELS[language][right],
        "ground": ground,
        "since": long_date(since, language),
        "review_on": long_date(review_on, language),
    }
    return _request_draft(LetterKind.RESTRICTION, person, language, request_reference, fields)


def restriction_ended(
    person: Person,
    *,
    right: str,
    ground: str,
    since: date,
    ended_on: date,
    request_reference: Optional[str] = None,
    language: str = "nl",
) -> LetterDraft:
    _check_right(right)
    _check_language(language)
    _check_ground(ground)
    if ended_on < since:
        raise RuleViolation("ended_before_start", "De beperking kan niet eindigen vóór de start.")
    fields = {
        "right_label": RIGHT_LABELS[language][right],
        "ground": ground,
        "since": long_date(since, language),
        "ended_on": long_date(ended_on, language),
    }
    return _request_draft(LetterKind.RESTRICTION_ENDED, person, language, request_reference, fields)


def processing_restriction_lifted(
    person: Person,
    *,
    since: date,
    lifted_on: date,
    reasons: str,
    request_reference: str,
    language: str = "nl",
) -> LetterDraft:
    """AVG art. 18(3): the person is told before a restriction of processing is lifted, with the
    reasons; lifting is a decision of the college (bezwaar clause)."""
    if not _text(reasons):
        raise RuleViolation("no_reasons", "Geef de redenen waarom de beperking wordt opgeheven.")
    fields = {
        "since": long_date(since, language),
        "lifted_on": long_date(lifted_on, language),
        "reasons": reasons,
    }
    return _request_draft(
        LetterKind.PROCESSING_RESTRICTION_LIFTED, person, language, request_reference, fields
    )


# --- the confirmation of a consent withdrawn online (Privacyprotocol art. 2) ------------------


def withdrawal_confirmation(
    person: Person,
    *,
    withdrawn: list[dict],
    withdrawn_at: datetime,
    told: list[str],
    representative: Optional[Person] = None,
    language: str = "nl",
) -> LetterDraft:
    """Privacyprotocol art. 2, *Toestemming sub 1*: the person "kan zijn toestemming altijd weer
    intrekken"; further processing stops, what was processed before stays lawful and is not
    deleted. The person who withdrew online gets this in writing, in their letters.

    `withdrawn` rows ({organisation, domain, purpose}) and `told` (the partners that were told)
    come from the consent package, in the letter's language: `portal` never imports it."""
    _check_language(language)
    rows = [
        {key: _text(row.get(key)) for key in ("organisation", "domain", "purpose")}
        for row in withdrawn
    ]
    if not rows or not all(all(row.values()) for row in rows):
        raise RuleViolation(
            "nothing_withdrawn", "Een bevestiging noemt de toestemming die is ingetrokken."
        )
    if representative is not None and representative.id != person.legal_representative_id:
        raise RuleViolation(
            "not_the_representative",
            "Alleen de wettelijk vertegenwoordiger trekt namens deze persoon toestemming in.",
        )
    if withdrawn_at.tzinfo is None:  # SQLite hands back naive moments, which are UTC
        withdrawn_at = withdrawn_at.replace(tzinfo=UTC)
    moment = withdrawn_at.astimezone(LOCAL_TIME)
    fields = {
        "withdrawn": rows,
        "withdrawn_on": long_date(moment.date(), language),
        "withdrawn_time": format_time(moment, "HH:mm", locale=BABEL_LOCALES[language]),
        "told": [name for name in (_text(name) for name in told) if name],
        "for_name": person.full_name if representative is not None else None,
    }
    return LetterDraft(
        LetterKind.WITHDRAWAL_CONFIRMATION, language, person.household, person, None, None, fields
    )
