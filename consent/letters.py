"""What the information letter says is shared about a person, and on which basis.

Privacyprotocol art. 4: the person is told "om welke informatie het gaat, of deze informatie gedeeld
zal gaan worden en met wie". `portal.letters` builds the letter but never imports this package
(DESIGN.md); it calls `sharing_rows` by the name in its config (LETTER_SHARING_SOURCE).

Each row is decided by the one check (`consent.check.may`), so the letter says exactly what the
staff screens and the partner API answer at that moment: a refused or withdrawn consent leaves a
row out even where a legal basis was recorded.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from consent.check import current_events, may
from consent.models import Basis, LegalBasisRecord, Purpose
from consent.operations import as_utc
from portal.extensions import db
from portal.models import Case, DataDomain, Partner, Person

PURPOSE_LABELS = {
    "nl": {
        Purpose.PLAN: "Een plan van aanpak maken",
        Purpose.REGIE: "Volgen en bijsturen van het plan",
        Purpose.OVERLAST: "Overlast verminderen",
    },
    "en": {
        Purpose.PLAN: "Making the plan",
        Purpose.REGIE: "Following and adjusting the plan",
        Purpose.OVERLAST: "Reducing nuisance",
    },
}

BASIS_LABELS = {
    "nl": {
        Basis.CONSENT: "Uw toestemming",
        Basis.VITAL_INTEREST: "Vitaal belang: om leven of gezondheid te beschermen",
        Basis.PUBLIC_TASK: "Een taak uit de wet",
        Basis.LEGITIMATE_INTEREST: "Gerechtvaardigd belang",
        Basis.FURTHER_PROCESSING: "Verdere verwerking voor een doel dat daarbij past",
        Basis.CONFLICT_OF_DUTIES: "Conflict van plichten: om gevaar te voorkomen",
    },
    "en": {
        Basis.CONSENT: "Your consent",
        Basis.VITAL_INTEREST: "Vital interest: to protect life or health",
        Basis.PUBLIC_TASK: "A task set by law",
        Basis.LEGITIMATE_INTEREST: "Legitimate interest",
        Basis.FURTHER_PROCESSING: "Further processing for a compatible purpose",
        Basis.CONFLICT_OF_DUTIES: "Conflict of duties: to prevent danger",
    },
}


def sharing_rows(*, person: Person, case: Case, at: datetime, language: str) -> list[dict]:
    """Rows {domain, recipient, purpose, basis, statute} of what may be shared about `person` at
    `at`: every consent the person decided on, and every basis recorded for this case."""
    at = as_utc(at)
    keys = {
        (event.domain_id, event.recipient_id, event.purpose)
        for event in current_events(person.id, at)
    }
    keys |= set(
        db.session.execute(
            sa.select(
                LegalBasisRecord.domain_id, LegalBasisRecord.partner_id, LegalBasisRecord.purpose
            ).where(LegalBasisRecord.case_id == case.id, LegalBasisRecord.recorded_at <= at)
        ).tuples()
    )
    rows = []
    for domain_id, partner_id, purpose in keys:
        domain = db.session.get(DataDomain, domain_id)
        partner = db.session.get(Partner, partner_id)
        result = may(partner, person, domain, purpose, at)
        if not result.permitted:
            continue
        record = (
            db.session.get(LegalBasisRecord, result.legal_basis_id)
            if result.legal_basis_id
            else None
        )
        rows.append(
            {
                "domain": domain.name_nl if language == "nl" else domain.name_en,
                "recipient": partner.name,
                "purpose": PURPOSE_LABELS[language][purpose],
                "basis": BASIS_LABELS[language][result.basis],
                "statute": record.statute if record is not None else None,
            }
        )
    return sorted(rows, key=lambda row: (row["domain"], row["recipient"], row["purpose"]))
