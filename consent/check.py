"""The one check: may this partner process this person's data of this domain for this purpose at
this moment? Used by the staff screens, the JSON API for partner systems and the citizen portal.

Order of the rules:
0. A person whose processing is restricted (AVG art. 18) is denied everything: the data is only
   stored until the restriction is lifted.
1. Reuse of data another partner brought in needs that partner's separate approval
   (Privacyprotocol art. 5).
2. The person's own decision: the last consent event at or before the moment decides. A refusal or
   withdrawal denies, even where another basis could have been argued: "Als geen toestemming
   verleend wordt, worden de gegevens waarop de verzochte toestemming ziet, niet verwerkt"
   (Afwegingskader stap 4).
3. Without a decision of the person: a basis other than consent recorded in the legal-basis
   register for a case of the person's household (public task, vital interest, ...).
4. Otherwise: deny.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from consent.models import (
    Basis,
    ConsentEvent,
    ConsentStatus,
    LegalBasisRecord,
    Purpose,
    ReuseApproval,
    ReuseStatus,
)
from consent.operations import as_utc
from portal.extensions import db
from portal.models import Case, DataDomain, Partner, Person, utcnow

DENIAL_MESSAGES = {
    "reuse_not_approved": _l(
        "De partner die deze gegevens inbracht, heeft hergebruik niet goedgekeurd."
    ),
    "consent_refused": _l("De persoon heeft geen toestemming gegeven."),
    "consent_withdrawn": _l("De persoon heeft de toestemming ingetrokken."),
    "consent_expired": _l("De toestemming is verlopen."),
    "consent_missing": _l("Voor deze verwerking is toestemming nodig, en die is er niet."),
    "no_basis": _l("Er is geen grondslag vastgelegd voor deze verwerking."),
    "processing_restricted": _l(
        "De verwerking van de gegevens van deze persoon is beperkt (AVG art. 18): de gegevens "
        "worden alleen bewaard."
    ),
}


@dataclass(frozen=True)
class CheckResult:
    permitted: bool
    at: datetime
    basis: Optional[Basis] = None
    consent_event_id: Optional[int] = None
    legal_basis_id: Optional[int] = None
    reuse_approval_id: Optional[int] = None
    reason: Optional[str] = None

    @property
    def message(self) -> Optional[str]:
        return DENIAL_MESSAGES.get(self.reason) if self.reason else None


def state_at(
    person_id: int, domain_id: int, recipient_id: int, purpose: Purpose, at: datetime
) -> Optional[ConsentEvent]:
    """The last event for this key that took effect at or before `at` (None: never decided)."""
    return db.session.scalar(
        sa.select(ConsentEvent)
        .where(
            ConsentEvent.person_id == person_id,
            ConsentEvent.domain_id == domain_id,
            ConsentEvent.recipient_id == recipient_id,
            ConsentEvent.purpose == purpose,
            ConsentEvent.effective_at <= as_utc(at),
        )
        .order_by(ConsentEvent.effective_at.desc(), ConsentEvent.id.desc())
        .limit(1)
    )


def current_events(
    person_id: int, at: Optional[datetime] = None, key: Optional[tuple] = None
) -> list[ConsentEvent]:
    """The deciding event per (domain, recipient, purpose) of one person at `at` (default now)."""
    at = as_utc(at or utcnow())
    events = db.session.scalars(
        sa.select(ConsentEvent)
        .where(ConsentEvent.person_id == person_id, ConsentEvent.effective_at <= at)
        .order_by(ConsentEvent.effective_at.desc(), ConsentEvent.id.desc())
    ).all()
    latest: dict[tuple, ConsentEvent] = {}
    for event in events:
        latest.setdefault((event.domain_id, event.recipient_id, event.purpose), event)
    if key is not None:
        return [latest[key]] if key in latest else []
    return list(latest.values())


def _reuse_approval(
    person: Person, domain: DataDomain, source: Partner, user: Partner, at: datetime
) -> Optional[ReuseApproval]:
    return db.session.scalar(
        sa.select(ReuseApproval)
        .where(
            ReuseApproval.person_id == person.id,
            ReuseApproval.domain_id == domain.id,
            ReuseApproval.source_partner_id == source.id,
            ReuseApproval.user_partner_id == user.id,
            ReuseApproval.decided_at <= at,
        )
        .order_by(ReuseApproval.decided_at.desc(), ReuseApproval.id.desc())
        .limit(1)
    )


def _recorded_basis(
    partner: Partner, person: Person, domain: DataDomain, purpose: Purpose, at: datetime
) -> Optional[LegalBasisRecord]:
    return db.session.scalar(
        sa.select(LegalBasisRecord)
        .join(Case, Case.id == LegalBasisRecord.case_id)
        .where(
            LegalBasisRecord.partner_id == partner.id,
            LegalBasisRecord.domain_id == domain.id,
            LegalBasisRecord.purpose == purpose,
            Case.household_id == person.household_id,
            LegalBasisRecord.recorded_at <= at,
            sa.or_(LegalBasisRecord.ended_at.is_(None), LegalBasisRecord.ended_at > at),
        )
        .order_by(LegalBasisRecord.recorded_at.desc(), LegalBasisRecord.id.desc())
        .limit(1)
    )


def may(
    partner: Partner,
    person: Person,
    domain: DataDomain,
    purpose: Purpose,
    at: Optional[datetime] = None,
    source_partner: Optional[Partner] = None,
) -> CheckResult:
    """Permit or deny, with the basis and the record that decided it, or the reason why not."""
    at = as_utc(at or utcnow())
    # AVG art. 18(2): restricted data is, "with the exception of storage", processed only with
    # the person's consent or for legal claims - decisions the privacy desk takes, not the check.
    restricted = person.restricted_since
    if restricted is not None and as_utc(restricted) <= at:
        return CheckResult(False, at, reason="processing_restricted")
    reuse_id = None
    if source_partner is not None and source_partner.id != partner.id:
        approval = _reuse_approval(person, domain, source_partner, partner, at)
        if approval is None or approval.status is not ReuseStatus.APPROVED:
            return CheckResult(
                False,
                at,
                reason="reuse_not_approved",
                reuse_approval_id=approval.id if approval else None,
            )
        reuse_id = approval.id
    event = state_at(person.id, domain.id, partner.id, purpose, at)
    if event is not None:
        if event.in_force_at(at):
            return CheckResult(
                True, at, basis=Basis.CONSENT, consent_event_id=event.id, reuse_approval_id=reuse_id
            )
        reason = {
            ConsentStatus.REFUSED: "consent_refused",
            ConsentStatus.WITHDRAWN: "consent_withdrawn",
        }.get(event.status, "consent_expired")
        return CheckResult(
            False, at, consent_event_id=event.id, reason=reason, reuse_approval_id=reuse_id
        )
    record = _recorded_basis(partner, person, domain, purpose, at)
    if record is None:
        return CheckResult(False, at, reason="no_basis", reuse_approval_id=reuse_id)
    if record.basis is Basis.CONSENT:
        return CheckResult(
            False,
            at,
            legal_basis_id=record.id,
            reason="consent_missing",
            reuse_approval_id=reuse_id,
        )
    return CheckResult(
        True, at, basis=record.basis, legal_basis_id=record.id, reuse_approval_id=reuse_id
    )
