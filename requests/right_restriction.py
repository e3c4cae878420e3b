"""Restricting a right for a while (Privacyprotocol art. 5: "er wordt alleen overgegaan tot het
tijdelijk beperken van de rechten van betrokkene [...] indien sprake is van de vrijwaring van een
vitaal belang of conflict van plichten"; art. 4: "tijdelijk, goed gemotiveerd en gedocumenteerd
[...] Zodra mogelijk wordt betrokkene alsnog geinformeerd"; AVG art. 23).

Recorded on the request: the ground (only those two), the motivation, the date by which the person
is told. While the right is restricted it is not carried out (`rights.check_may_carry_out`). The
desk's queue reminds when the date to tell the person comes near; telling sends the restriction
letter, ending the restriction sends the "restriction ended" letter (which tells the person too
when that had not happened yet).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Optional

import sqlalchemy as sa

from portal.extensions import db
from portal.models import User
from portal.operations import RuleViolation
from requests import deadlines
from requests import letters as request_letters
from requests.models import (
    FINISHED_STATUSES,
    EventKind,
    PrivacyRequest,
    RightRestrictionGround,
)
from requests.operations import MAX_TEXT, check_version, record_step

# The queue reminds this many days before the date to tell the person.
REMIND_DAYS = 7


def restrict_right(
    actor: User,
    request: PrivacyRequest,
    *,
    version: Optional[int],
    ground: RightRestrictionGround,
    motivation: str,
    inform_by: Optional[date],
) -> PrivacyRequest:
    """Restrict the right of this request from today, motivated and documented, with the date by
    which the person is told."""
    check_version(request, version)
    if request.status in FINISHED_STATUSES:
        raise RuleViolation("finished", "Dit verzoek is afgerond; er valt niets te beperken.")
    if request.right_restricted_on is not None:
        raise RuleViolation(
            "already_restricted", "Het recht van dit verzoek is al eens beperkt (zie hieronder)."
        )
    if not isinstance(ground, RightRestrictionGround):
        raise RuleViolation(
            "no_ground",
            "Een recht mag alleen tijdelijk worden beperkt bij een vitaal belang of een conflict "
            "van plichten (Privacyprotocol art. 5).",
        )
    motivation = (motivation or "").strip()
    if not motivation:
        raise RuleViolation(
            "motivation_required",
            "Leg vast waarom de beperking nodig is (Privacyprotocol art. 4: goed gemotiveerd en "
            "gedocumenteerd).",
        )
    if len(motivation) > MAX_TEXT:
        raise RuleViolation("too_long", f"Gebruik hoogstens {MAX_TEXT} tekens.")
    today = deadlines.today()
    if inform_by is None:
        raise RuleViolation(
            "inform_by_required", "Vul in wanneer de persoon uiterlijk wordt ingelicht."
        )
    if inform_by < today:
        raise RuleViolation(
            "inform_by_past", "De datum waarop de persoon wordt ingelicht ligt in het verleden."
        )
    request.right_restricted_on = today
    request.right_restriction_ground = ground
    request.right_restriction_motivation = motivation
    request.inform_by = inform_by
    record_step(
        actor,
        request,
        EventKind.RIGHT_RESTRICTED,
        on=today,
        from_status=request.status,
        purpose=f"recht tijdelijk beperkt: {ground.value} (Privacyprotocol art. 5)",
        details={"ground": ground.value, "inform_by": inform_by.isoformat()},
    )
    return request


def tell_right_restriction(
    actor: User, request: PrivacyRequest, *, version: Optional[int], review_on: Optional[date]
):
    """Tell the person, now that it is possible, that the right was restricted and when it is
    looked at again: the restriction letter."""
    check_version(request, version)
    if not request.right_restricted:
        raise RuleViolation("not_restricted", "Het recht van dit verzoek is niet beperkt.")
    if request.informed_on is not None:
        raise RuleViolation("already_told", "De persoon is al ingelicht.")
    today = deadlines.today()
    if review_on is None or review_on <= today:
        raise RuleViolation(
            "review_required",
            "Vul in wanneer de beperking opnieuw wordt bekeken: een datum na vandaag.",
        )
    letter = request_letters.send(
        actor, request, request_letters.right_restricted(request, review_on)
    )
    request.informed_on = today
    record_step(
        actor,
        request,
        EventKind.RIGHT_RESTRICTION_TOLD,
        on=today,
        from_status=request.status,
        purpose="persoon ingelicht over de beperking van een recht (Privacyprotocol art. 4)",
        details={"letter": letter.id, "review_on": review_on.isoformat()},
    )
    return letter


def end_right_restriction(actor: User, request: PrivacyRequest, *, version: Optional[int]):
    """The restriction ends today; the person gets the "restriction ended" letter, which also tells
    them about it when that had not happened yet."""
    check_version(request, version)
    if not request.right_restricted:
        raise RuleViolation("not_restricted", "Het recht van dit verzoek is niet beperkt.")
    today = deadlines.today()
    request.right_restriction_ended_on = today
    if request.informed_on is None:
        request.informed_on = today
    letter = request_letters.send(actor, request, request_letters.right_restriction_ended(request))
    record_step(
        actor,
        request,
        EventKind.RIGHT_RESTRICTION_ENDED,
        on=today,
        from_status=request.status,
        purpose="beperking van een recht opgeheven (Privacyprotocol art. 4)",
        details={"letter": letter.id},
    )
    return letter


def to_tell(today: Optional[date] = None, days: int = REMIND_DAYS) -> list[PrivacyRequest]:
    """Requests whose right is restricted and whose person is still to be told, with the date to
    tell them within `days` (or past): the reminder on the desk's queue."""
    today = today or deadlines.today()
    return list(
        db.session.scalars(
            sa.select(PrivacyRequest)
            .where(
                PrivacyRequest.right_restricted_on.is_not(None),
                PrivacyRequest.right_restriction_ended_on.is_(None),
                PrivacyRequest.informed_on.is_(None),
                PrivacyRequest.inform_by <= today + timedelta(days=days),
            )
            .order_by(PrivacyRequest.inform_by, PrivacyRequest.id)
        )
    )
