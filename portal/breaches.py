"""The data-breach register: what happened, which persons and cases, the risk, the 72 hours to the
Autoriteit Persoonsgegevens, telling the persons, and telling the other partners.

Privacyprotocol art. 4: "In geval van een datalek in de moederorganisatie van een partner, waarbij
persoonsgegevens zijn betrokken die betrekking hebben op een casus zullen de partners elkaar zo
spoedig mogelijk daarover informeren."
AVG art. 33(1): the controller notifies the AP "zonder onredelijke vertraging en, indien mogelijk,
uiterlijk 72 uur nadat hij er kennis van heeft genomen", unless a risk is unlikely; a later
notification gives the reasons for the delay. Art. 33(5): every breach is documented, also when
it is not notified. Art. 34: with a high risk the persons are told, unless one of the three
exceptions of art. 34(3) applies.

Plain functions and operations (flush + audit, never commit); `portal/oversight_views.py` shows
them. The register names persons and cases by id only; the description is encrypted at rest.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import audit, notices
from portal.crypto import EncryptedText
from portal.extensions import db
from portal.models import Case, Partner, Person, User, _enum, utcnow
from portal.operations import RuleViolation

# AVG art. 33(1): "uiterlijk 72 uur nadat hij er kennis van heeft genomen".
AP_DEADLINE = timedelta(hours=72)
PROCESSING_ACTIVITY = "datalekken"
MAX_TEXT = 5000


class Risk(enum.Enum):
    """The assessment of art. 33(1) and 34(1)."""

    UNLIKELY = "unlikely"  # registered only (art. 33(5))
    RISK = "risk"  # the AP within 72 hours
    HIGH = "high"  # the AP, and the persons (art. 34)


class TellDecision(enum.Enum):
    """Whether the persons are told (art. 34), and if not, why."""

    TELL = "tell"
    NOT_HIGH_RISK = "not_high_risk"
    # Art. 34(3)(a): the data was unintelligible to others (encrypted).
    UNINTELLIGIBLE = "unintelligible"
    # Art. 34(3)(b): measures afterwards make the high risk unlikely to materialise.
    RISK_REMOVED = "risk_removed"
    # Art. 34(3)(c): disproportionate effort; a public communication instead.
    PUBLIC_COMMUNICATION = "public_communication"


EXCEPTIONS = frozenset(
    {TellDecision.UNINTELLIGIBLE, TellDecision.RISK_REMOVED, TellDecision.PUBLIC_COMMUNICATION}
)


class DataBreach(db.Model):
    __tablename__ = "data_breach"

    id: Mapped[int] = mapped_column(primary_key=True)
    # When the organisation became aware: the 72 hours count from here (art. 33(1)).
    discovered_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    # In whose organisation it happened (Privacyprotocol art. 4: "in de moederorganisatie").
    partner_id: Mapped[int] = mapped_column(sa.ForeignKey("partner.id"), index=True)
    description: Mapped[str] = mapped_column(EncryptedText)
    registered_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    registered_by_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_user.id"))

    risk: Mapped[Optional[Risk]] = mapped_column(_enum(Risk, "breach_risk"))
    risk_reasoning: Mapped[Optional[str]] = mapped_column(EncryptedText)
    tell_decision: Mapped[Optional[TellDecision]] = mapped_column(
        _enum(TellDecision, "breach_tell_decision")
    )
    tell_reasoning: Mapped[Optional[str]] = mapped_column(EncryptedText)
    assessed_at: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))
    assessed_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("staff_user.id"))

    ap_notified_at: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))
    ap_reference: Mapped[Optional[str]] = mapped_column(sa.String(100))
    # Art. 33(1): "Indien de melding niet binnen 72 uur plaatsvindt, gaat zij vergezeld van een
    # motivering voor de vertraging."
    delay_reason: Mapped[Optional[str]] = mapped_column(EncryptedText)

    partner: Mapped[Partner] = relationship()
    registered_by: Mapped[User] = relationship(foreign_keys=[registered_by_id])
    cases: Mapped[list[BreachCase]] = relationship(
        back_populates="breach", cascade="all, delete-orphan", order_by="BreachCase.case_id"
    )
    persons: Mapped[list[BreachPerson]] = relationship(
        back_populates="breach", cascade="all, delete-orphan", order_by="BreachPerson.person_id"
    )

    __table_args__ = (
        sa.CheckConstraint("discovered_at <= registered_at", name="discovered_before_register"),
        sa.CheckConstraint(
            "(risk IS NULL) = (assessed_at IS NULL) AND (risk IS NULL) = (tell_decision IS NULL)",
            name="assessed_together",
        ),
        sa.CheckConstraint(
            "risk IS NULL OR (risk_reasoning IS NOT NULL AND tell_reasoning IS NOT NULL)",
            name="assessment_has_reasons",
        ),
        sa.CheckConstraint(
            "risk != 'high' OR tell_decision != 'not_high_risk'", name="high_risk_is_told"
        ),
        sa.CheckConstraint(
            "(ap_notified_at IS NULL) = (ap_reference IS NULL)", name="ap_notice_has_reference"
        ),
    )

    @property
    def reference(self) -> str:
        return f"DL-{self.discovered_at.year}-{self.id:04d}"


class BreachCase(db.Model):
    """A case the breach concerns; `notified_at` says its partners were told (art. 4)."""

    __tablename__ = "data_breach_case"

    breach_id: Mapped[int] = mapped_column(
        sa.ForeignKey("data_breach.id", ondelete="CASCADE"), primary_key=True
    )
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("regie_case.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    notified_at: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))

    breach: Mapped[DataBreach] = relationship(back_populates="cases")
    case: Mapped[Case] = relationship()


class BreachPerson(db.Model):
    __tablename__ = "data_breach_person"

    breach_id: Mapped[int] = mapped_column(
        sa.ForeignKey("data_breach.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("person.id", ondelete="CASCADE"), primary_key=True, index=True
    )

    breach: Mapped[DataBreach] = relationship(back_populates="persons")
    person: Mapped[Person] = relationship()


# --- the deadline (plain functions) -----------------------------------------------------------


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def ap_deadline(discovered_at: datetime) -> datetime:
    """72 hours after discovery, counted in real hours (weekends and nights count too)."""
    return _aware(discovered_at) + AP_DEADLINE


class DeadlineState(enum.Enum):
    NOT_ASSESSED = "not_assessed"  # the clock runs: assume the AP must be told
    RUNNING = "running"
    OVERDUE = "overdue"
    NOTIFIED = "notified"
    NOTIFIED_LATE = "notified_late"
    NOT_REQUIRED = "not_required"  # a risk is unlikely (art. 33(1))


@dataclass(frozen=True)
class ApDeadline:
    due_at: datetime
    state: DeadlineState
    # Negative once the deadline has passed; None when nothing is due any more.
    time_left: Optional[timedelta]

    @property
    def hours_left(self) -> Optional[int]:
        if self.time_left is None:
            return None
        return int(self.time_left.total_seconds() // 3600)

    @property
    def minutes_left(self) -> Optional[int]:
        if self.time_left is None:
            return None
        return int(self.time_left.total_seconds() // 60) % 60


def deadline_for(
    discovered_at: datetime,
    *,
    risk: Optional[Risk],
    ap_notified_at: Optional[datetime],
    now: datetime,
) -> ApDeadline:
    due = ap_deadline(discovered_at)
    if ap_notified_at is not None:
        late = _aware(ap_notified_at) > due
        return ApDeadline(
            due, DeadlineState.NOTIFIED_LATE if late else DeadlineState.NOTIFIED, None
        )
    if risk is Risk.UNLIKELY:
        return ApDeadline(due, DeadlineState.NOT_REQUIRED, None)
    left = due - _aware(now)
    if left < timedelta(0):
        return ApDeadline(due, DeadlineState.OVERDUE, left)
    state = DeadlineState.NOT_ASSESSED if risk is None else DeadlineState.RUNNING
    return ApDeadline(due, state, left)


def deadline(breach: DataBreach, now: Optional[datetime] = None) -> ApDeadline:
    return deadline_for(
        breach.discovered_at,
        risk=breach.risk,
        ap_notified_at=breach.ap_notified_at,
        now=now or utcnow(),
    )


def persons_must_be_told(risk: Risk) -> bool:
    """Art. 34(1): a high risk to the rights and freedoms of the persons."""
    return risk is Risk.HIGH


# --- operations -------------------------------------------------------------------------------


def _text(value: Optional[str], *, code: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise RuleViolation(code, message)
    if len(value) > MAX_TEXT:
        raise RuleViolation("too_long", f"Gebruik hoogstens {MAX_TEXT} tekens.")
    return value


def _record(actor: User, breach: DataBreach, purpose: str, action=audit.Action.UPDATE, **ids):
    audit.record(
        action,
        user=actor,
        processing_activity=PROCESSING_ACTIVITY,
        purpose=purpose,
        object_type="data_breach",
        object_id=breach.id,
        **ids,
    )


def find_cases(references: list[str]) -> list[Case]:
    """The cases named by their references; RuleViolation naming those that do not exist."""
    wanted = sorted({ref.strip().upper() for ref in references if ref.strip()})
    if not wanted:
        return []
    cases = db.session.scalars(
        sa.select(Case).where(sa.func.upper(Case.reference).in_(wanted)).order_by(Case.id)
    ).all()
    missing = sorted(set(wanted) - {case.reference.upper() for case in cases})
    if missing:
        raise RuleViolation(
            "unknown_case", "Deze casussen bestaan niet: " + ", ".join(missing) + "."
        )
    return list(cases)


def register_breach(
    actor: User,
    *,
    discovered_at: datetime,
    partner: Partner,
    description: str,
    cases: list[Case],
) -> DataBreach:
    """Register a breach as soon as it is known (art. 33(5): every breach is documented)."""
    discovered_at = _aware(discovered_at)
    if discovered_at > utcnow():
        raise RuleViolation("in_future", "Het moment van ontdekken kan niet in de toekomst liggen.")
    breach = DataBreach(
        discovered_at=discovered_at,
        partner=partner,
        description=_text(
            description, code="description_required", message="Beschrijf wat er is gebeurd."
        ),
        registered_by_id=actor.id,
        registered_at=utcnow(),
    )
    db.session.add(breach)
    db.session.flush()
    _record(actor, breach, "datalek registreren", action=audit.Action.CREATE)
    link_cases(actor, breach, cases)
    return breach


def link_cases(actor: User, breach: DataBreach, cases: list[Case]) -> int:
    known = {link.case_id for link in breach.cases}
    added = 0
    for case in cases:
        if case.id in known:
            continue
        breach.cases.append(BreachCase(case_id=case.id))
        db.session.flush()
        _record(actor, breach, "casus bij datalek vastleggen", case_id=case.id)
        added += 1
    return added


def breach_candidates(breach: DataBreach) -> list[Person]:
    """The persons the breach can concern: the households of its cases."""
    household_ids = [link.case.household_id for link in breach.cases]
    return list(
        db.session.scalars(
            sa.select(Person).where(Person.household_id.in_(household_ids)).order_by(Person.id)
        )
    )


def set_persons(actor: User, breach: DataBreach, persons: list[Person]) -> None:
    """Which persons' data the breach concerns (art. 33(3)(a), 34)."""
    allowed = {person.id for person in breach_candidates(breach)}
    if any(person.id not in allowed for person in persons):
        raise RuleViolation(
            "person_not_in_cases", "Kies alleen personen uit de huishoudens van deze casussen."
        )
    wanted = {person.id for person in persons}
    current = {link.person_id: link for link in breach.persons}
    for person_id, link in current.items():
        if person_id not in wanted:
            breach.persons.remove(link)
            db.session.flush()
            _record(actor, breach, "persoon bij datalek verwijderd", person_id=person_id)
    for person_id in sorted(wanted - current.keys()):
        breach.persons.append(BreachPerson(person_id=person_id))
        db.session.flush()
        _record(actor, breach, "persoon bij datalek vastgelegd", person_id=person_id)


def assess(
    actor: User,
    breach: DataBreach,
    *,
    risk: Risk,
    risk_reasoning: str,
    tell_decision: TellDecision,
    tell_reasoning: str,
) -> DataBreach:
    """The risk assessment and whether the persons are told (art. 33, 34). May be revised."""
    if persons_must_be_told(risk) and tell_decision is TellDecision.NOT_HIGH_RISK:
        raise RuleViolation(
            "must_tell",
            "Bij een hoog risico worden de betrokkenen geïnformeerd, tenzij een uitzondering "
            "van artikel 34 lid 3 AVG geldt.",
        )
    if not persons_must_be_told(risk) and tell_decision in EXCEPTIONS:
        raise RuleViolation(
            "no_exception_needed",
            "Een uitzondering van artikel 34 lid 3 is alleen nodig bij een hoog risico.",
        )
    breach.risk = risk
    breach.risk_reasoning = _text(
        risk_reasoning,
        code="reasoning_required",
        message="Onderbouw de inschatting van het risico.",
    )
    breach.tell_decision = tell_decision
    breach.tell_reasoning = _text(
        tell_reasoning,
        code="tell_reasoning_required",
        message="Leg uit waarom de betrokkenen wel of niet worden geïnformeerd.",
    )
    breach.assessed_at = utcnow()
    breach.assessed_by_id = actor.id
    db.session.flush()
    _record(actor, breach, f"risico beoordeeld: {risk.value}, betrokkenen: {tell_decision.value}")
    return breach


def record_ap_notification(
    actor: User,
    breach: DataBreach,
    *,
    notified_at: datetime,
    reference: str,
    delay_reason: Optional[str] = None,
) -> DataBreach:
    """The notification to the AP as made (in the AP's own form); late ones state why."""
    notified_at = _aware(notified_at)
    if breach.ap_notified_at is not None:
        raise RuleViolation("already_notified", "De melding aan de AP is al vastgelegd.")
    if notified_at > utcnow():
        raise RuleViolation("in_future", "Het moment van melden kan niet in de toekomst liggen.")
    if notified_at < _aware(breach.discovered_at):
        raise RuleViolation("before_discovery", "De melding kan niet vóór het ontdekken liggen.")
    breach.ap_reference = _text(
        reference, code="reference_required", message="Vul het kenmerk van de melding bij de AP in."
    )[:100]
    if notified_at > ap_deadline(breach.discovered_at):
        breach.delay_reason = _text(
            delay_reason,
            code="delay_reason_required",
            message="De melding is later dan 72 uur: geef de reden van de vertraging "
            "(artikel 33 lid 1 AVG).",
        )
    breach.ap_notified_at = notified_at
    db.session.flush()
    _record(actor, breach, "melding aan Autoriteit Persoonsgegevens vastgelegd")
    return breach


def notify_partners(actor: User, breach: DataBreach) -> list[notices.PartnerNotice]:
    """Privacyprotocol art. 4: tell the other partners on each case "zo spoedig mogelijk". One
    notice per partner and case, naming the case reference, never a person. A case whose partners
    were told is not told again; a case added later is."""
    written = []
    when = breach.discovered_at
    for link in breach.cases:
        if link.notified_at is not None:
            continue
        case = link.case
        for partner in case.team:
            if partner.id == breach.partner_id:
                continue  # the partner where it happened knows
            written.append(
                notices.notify_partner(
                    partner,
                    kind="data_breach",
                    subject=f"Datalek {breach.reference} bij casus {case.reference}",
                    body=(
                        f"Bij {breach.partner.name} is een datalek ontdekt op "
                        f"{_aware(when).strftime('%d-%m-%Y %H:%M')} (UTC). Het gaat om "
                        f"persoonsgegevens in casus {case.reference} van het Regieteam, waar uw "
                        f"organisatie bij betrokken is (Privacyprotocol artikel 4). "
                        f"Kenmerk: {breach.reference}. Neem voor vragen contact op met het "
                        "privacyloket van de gemeente Nijmegen."
                    ),
                    case_id=case.id,
                )
            )
        link.notified_at = utcnow()
        db.session.flush()
        _record(actor, breach, "partners over datalek geïnformeerd", case_id=case.id)
    return written


def register_list() -> list[DataBreach]:
    return list(
        db.session.scalars(
            sa.select(DataBreach).order_by(DataBreach.discovered_at.desc(), DataBreach.id.desc())
        )
    )


def _purge(scope) -> dict[str, int]:
    """Retention: the register keeps the breach, its links to destroyed persons and cases go."""
    from portal.retention import delete_where

    return {
        "data_breach_person": delete_where(
            BreachPerson.__table__, BreachPerson.person_id.in_(scope.person_ids)
        ),
        "data_breach_case": delete_where(
            BreachCase.__table__, BreachCase.case_id.in_(scope.case_ids)
        ),
    }


def register_retention() -> None:
    from portal.retention import register_purger

    register_purger("breaches", _purge, tables=["data_breach_person", "data_breach_case"])
