"""Reuse approval (accordering) and who is told when a consent is withdrawn.

Privacyprotocol art. 5: "partners die bij de behandeling van een casus kennisnemen van
persoonsgegevens afkomstig van een andere partner, mogen deze gegevens slechts verder gebruiken
voor hun eigen taken in het kader van de casusbehandeling, als de partner die de gegevens heeft
ingebracht dit afzonderlijk accordeert" and "de partner die in een bepaalde fase persoonsgegevens
verstrekt, behoudt de zeggenschap over het verdere gebruik van die gegevens".

So only the partner that brought the data in decides: a user of the source partner who may see
the case. The procesregisseur does not decide on that partner's behalf (only when working for
it). The request comes from a user of the partner that wants to use the data, and both partners
must be on the case team (the circle of professionals "die bij de casus betrokken zijn").
`consent.check.may` reads the decision: the last decided approval at or before the moment counts;
an open request changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Optional
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from babel.dates import format_datetime
from flask_babel import force_locale
from flask_babel import gettext as _

from consent.forms import purpose_phrase
from consent.models import ConsentEvent, ReuseApproval, ReuseStatus
from consent.operations import as_utc
from portal import access, audit
from portal.extensions import db
from portal.models import Case, DataDomain, Partner, Person, User, utcnow
from portal.notices import PartnerNotice, notify_partner
from portal.operations import RuleViolation

# Refusal messages are plain Dutch, as in portal.operations: operations also run outside a request.
# Notice texts go through gettext with the locale forced to Dutch: partners read them in Dutch.
KIND_REUSE_REQUESTED = "reuse_requested"
KIND_REUSE_DECIDED = "reuse_decided"
KIND_CONSENT_WITHDRAWN = "consent_withdrawn"

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
OWN_TASK_MAX = 2000
REASON_MAX = 2000


def local_time(moment: datetime) -> str:
    """A moment as Dutch readers expect it in a letter or email: Amsterdam time."""
    return format_datetime(as_utc(moment), "d-M-yyyy HH:mm", tzinfo=AMSTERDAM, locale="nl")


# --- who may ------------------------------------------------------------------------------------


def on_team(case: Case, partner_id: int) -> bool:
    return any(member.id == partner_id for member in case.team)


def may_request(user: User, case: Case) -> bool:
    """A user who works on the open case, for their own partner on the case team."""
    return access.can_change_case(user, case) and on_team(case, user.partner_id)


def may_decide(user: User, approval: ReuseApproval) -> bool:
    """Only the partner that brought the data in (Privacyprotocol art. 5)."""
    case = db.session.get(Case, approval.case_id)
    return (
        case is not None
        and user.partner_id == approval.source_partner_id
        and access.can_view_case(user, case)
    )


def current_decision(
    *, person_id: int, domain_id: int, source_id: int, user_partner_id: int
) -> Optional[ReuseApproval]:
    """The last decided approval for this key (what `consent.check.may` reads now)."""
    return db.session.scalar(
        sa.select(ReuseApproval)
        .where(
            ReuseApproval.person_id == person_id,
            ReuseApproval.domain_id == domain_id,
            ReuseApproval.source_partner_id == source_id,
            ReuseApproval.user_partner_id == user_partner_id,
            ReuseApproval.decided_at.is_not(None),
        )
        .order_by(ReuseApproval.decided_at.desc(), ReuseApproval.id.desc())
        .limit(1)
    )


# --- operations ---------------------------------------------------------------------------------


def request_reuse(
    actor: User,
    case: Case,
    *,
    person: Person,
    domain: DataDomain,
    source_partner: Partner,
    own_task: str,
) -> ReuseApproval:
    """Ask `source_partner` to approve that the actor's partner uses its data for its own task."""
    if not access.can_view_case(actor, case):
        raise RuleViolation("not_on_case", "U werkt niet aan deze casus.")
    if case.is_closed:
        raise RuleViolation("case_closed", "Deze casus is afgesloten.")
    if person.household_id != case.household_id:
        raise RuleViolation("person_not_in_case", "Deze persoon hoort niet bij dit huishouden.")
    if source_partner.id == actor.partner_id:
        raise RuleViolation(
            "own_data",
            "Uw eigen organisatie bracht deze gegevens in. Daarvoor is geen akkoord nodig.",
        )
    if not on_team(case, actor.partner_id):
        raise RuleViolation(
            "requester_not_on_team",
            f"{actor.partner.name} hoort niet bij het team van deze casus. Alleen partners in "
            "het casusteam kunnen om hergebruik vragen (Privacyprotocol artikel 5).",
        )
    if not on_team(case, source_partner.id):
        raise RuleViolation(
            "source_not_on_team",
            f"{source_partner.name} hoort niet bij het team van deze casus. U kunt alleen om "
            "akkoord vragen aan een partner in het casusteam.",
        )
    own_task = (own_task or "").strip()
    if not own_task:
        raise RuleViolation(
            "own_task_missing", "Beschrijf voor welke eigen taak u de gegevens wilt gebruiken."
        )
    if len(own_task) > OWN_TASK_MAX:
        raise RuleViolation("own_task_too_long", "De beschrijving van de taak is te lang.")
    key = dict(
        person_id=person.id,
        domain_id=domain.id,
        source_partner_id=source_partner.id,
        user_partner_id=actor.partner_id,
    )
    open_request = db.session.scalar(
        sa.select(ReuseApproval.id).where(
            *(getattr(ReuseApproval, name) == value for name, value in key.items()),
            ReuseApproval.status == ReuseStatus.REQUESTED,
        )
    )
    if open_request is not None:
        raise RuleViolation("already_requested", "Er loopt al een verzoek voor deze gegevens.")
    decided = current_decision(
        person_id=person.id,
        domain_id=domain.id,
        source_id=source_partner.id,
        user_partner_id=actor.partner_id,
    )
    if decided is not None and decided.status is ReuseStatus.APPROVED:
        raise RuleViolation("already_approved", "Voor deze gegevens is al akkoord gegeven.")
    approval = ReuseApproval(
        case_id=case.id,
        **key,
        own_task=own_task,
        status=ReuseStatus.REQUESTED,
        requested_at=utcnow(),
        requested_by_id=actor.id,
    )
    db.session.add(approval)
    db.session.flush()
    _audit(actor, approval, audit.Action.CREATE, "verzoek om hergebruik (accordering)")
    with force_locale("nl"):
        notify_partner(
            source_partner,
            kind=KIND_REUSE_REQUESTED,
            subject=_(
                "Verzoek om akkoord voor hergebruik van gegevens (casus %(ref)s)",
                ref=case.reference,
            ),
            body=_(
                "%(partner)s vraagt uw akkoord om gegevens over %(domain)s, die uw organisatie "
                "in casus %(ref)s inbracht, te gebruiken voor een eigen taak. Zonder uw akkoord "
                "mag dat niet (Privacyprotocol artikel 5).\n\n"
                "Meld u aan bij het Privacyportaal Regieteams om het verzoek te bekijken en te "
                "beslissen.",
                partner=actor.partner.name,
                domain=domain.name_nl,
                ref=case.reference,
            ),
            person_id=person.id,
            case_id=case.id,
        )
    return approval


def approve_reuse(
    actor: User, approval: ReuseApproval, reason: Optional[str] = None
) -> ReuseApproval:
    return _decide(actor, approval, ReuseStatus.APPROVED, reason)


def refuse_reuse(actor: User, approval: ReuseApproval, reason: str) -> ReuseApproval:
    if not (reason or "").strip():
        raise RuleViolation("reason_missing", "Geef de reden waarom u geen akkoord geeft.")
    return _decide(actor, approval, ReuseStatus.REFUSED, reason)


def _decide(
    actor: User, approval: ReuseApproval, status: ReuseStatus, reason: Optional[str]
) -> ReuseApproval:
    if not may_decide(actor, approval):
        raise RuleViolation(
            "not_source_partner",
            f"Alleen {approval.source_partner.name}, die de gegevens inbracht, beslist over dit "
            "verzoek (Privacyprotocol artikel 5).",
        )
    if approval.status is not ReuseStatus.REQUESTED:
        raise RuleViolation("already_decided", "Over dit verzoek is al beslist.")
    reason = (reason or "").strip() or None
    if reason is not None and len(reason) > REASON_MAX:
        raise RuleViolation("reason_too_long", "De reden is te lang.")
    approval.status = status
    approval.decided_at = utcnow()
    approval.decided_by_id = actor.id
    approval.reason = reason
    db.session.flush()
    _audit(actor, approval, audit.Action.UPDATE, f"hergebruik {status.value}")
    case = db.session.get(Case, approval.case_id)
    with force_locale("nl"):
        if status is ReuseStatus.APPROVED:
            subject = _("Akkoord voor hergebruik van gegevens (casus %(ref)s)", ref=case.reference)
            body = _(
                "%(partner)s geeft akkoord: uw organisatie mag de gegevens over %(domain)s uit "
                "casus %(ref)s gebruiken voor de eigen taak die u in het verzoek noemde.",
                partner=approval.source_partner.name,
                domain=approval.domain.name_nl,
                ref=case.reference,
            )
        else:
            subject = _(
                "Geen akkoord voor hergebruik van gegevens (casus %(ref)s)", ref=case.reference
            )
            body = _(
                "%(partner)s geeft geen akkoord: uw organisatie mag de gegevens over "
                "%(domain)s uit casus %(ref)s niet gebruiken voor een eigen taak. De reden "
                "staat in het Privacyportaal Regieteams.",
                partner=approval.source_partner.name,
                domain=approval.domain.name_nl,
                ref=case.reference,
            )
        notify_partner(
            approval.user_partner,
            kind=KIND_REUSE_DECIDED,
            subject=subject,
            body=body,
            person_id=approval.person_id,
            case_id=approval.case_id,
        )
    return approval


def _audit(actor: User, approval: ReuseApproval, action: audit.Action, purpose: str) -> None:
    audit.record(
        action,
        user=actor,
        person_id=approval.person_id,
        case_id=approval.case_id,
        object_type="reuse_approval",
        object_id=approval.id,
        processing_activity="casusregie",
        purpose=purpose,
    )


# --- withdrawal: every partner that relied on the consent is told -------------------------------


def reusing_partners(
    *, person_id: int, domain_id: int, source_id: int, at: Optional[datetime] = None
) -> list[Partner]:
    """Partners that may use this person's data of this domain, brought in by `source_id`, with
    an approval in force (the last decision per partner is an approval)."""
    query = (
        sa.select(ReuseApproval)
        .where(
            ReuseApproval.person_id == person_id,
            ReuseApproval.domain_id == domain_id,
            ReuseApproval.source_partner_id == source_id,
            ReuseApproval.decided_at.is_not(None),
        )
        .order_by(ReuseApproval.decided_at.desc(), ReuseApproval.id.desc())
    )
    if at is not None:
        query = query.where(ReuseApproval.decided_at <= at)
    latest: dict[int, ReuseApproval] = {}
    for approval in db.session.scalars(query):
        latest.setdefault(approval.user_partner_id, approval)
    return sorted(
        (a.user_partner for a in latest.values() if a.status is ReuseStatus.APPROVED),
        key=lambda partner: partner.name,
    )


def relying_partners(*, person_id: int, domain_id: int, recipient_id: int) -> list[Partner]:
    """Who relied on a consent to share with `recipient_id`: the recipient itself, then every
    partner that reuses that data with the recipient's approval."""
    recipient = db.session.get(Partner, recipient_id)
    others = reusing_partners(person_id=person_id, domain_id=domain_id, source_id=recipient_id)
    return [recipient, *(p for p in others if p.id != recipient_id)]


def notify_withdrawal(event: ConsentEvent) -> list[PartnerNotice]:
    """Tell every partner that relied on the withdrawn consent (Privacyprotocol art. 2: further
    processing stops; what was done before stays lawful and is not deleted)."""
    case = db.session.get(Case, event.case_id) if event.case_id else None
    domain = db.session.get(DataDomain, event.domain_id)
    recipient = db.session.get(Partner, event.recipient_id)
    partners = relying_partners(
        person_id=event.person_id, domain_id=event.domain_id, recipient_id=event.recipient_id
    )
    notices = []
    with force_locale("nl"):
        if case is not None:
            subject = _("Toestemming ingetrokken (casus %(ref)s)", ref=case.reference)
            who = _("Een betrokkene in casus %(ref)s", ref=case.reference)
        else:
            subject = _("Toestemming ingetrokken")
            who = _("Een betrokkene")
        values = dict(
            who=who,
            domain=domain.name_nl,
            recipient=recipient.name,
            purpose=purpose_phrase(event.purpose),
            moment=local_time(event.effective_at),
        )
        after = _(
            "Wat eerder met toestemming is gedaan, blijft rechtmatig. Er hoeft daarom niets te "
            "worden verwijderd.\n\nMeld u aan bij het Privacyportaal Regieteams om te zien om wie "
            "het gaat."
        )
        for partner in partners:
            if partner.id == recipient.id:
                body = _(
                    "%(who)s heeft de toestemming ingetrokken om gegevens over %(domain)s met "
                    "uw organisatie te delen voor %(purpose)s. Dit geldt direct, vanaf "
                    "%(moment)s: verwerk deze gegevens vanaf nu niet meer op grond van deze "
                    "toestemming.",
                    **values,
                )
            else:
                body = _(
                    "%(who)s heeft de toestemming ingetrokken om gegevens over %(domain)s met "
                    "%(recipient)s te delen voor %(purpose)s. Dit geldt direct, vanaf "
                    "%(moment)s. Uw organisatie gebruikt die gegevens met akkoord van "
                    "%(recipient)s: overleg met %(recipient)s of u ze nog mag verwerken.",
                    **values,
                )
            notices.append(
                notify_partner(
                    partner,
                    kind=KIND_CONSENT_WITHDRAWN,
                    subject=subject,
                    body=f"{body}\n\n{after}",
                    person_id=event.person_id,
                    case_id=event.case_id,
                )
            )
    return notices
