"""What the privacy requests destroy when the retention period ends (portal/retention.py).

A request is about a person and goes with that person. A person with an open request is held:
the request is answered first (AVG art. 12(3)), and the retention run takes the data afterwards.
"""

from __future__ import annotations

import sqlalchemy as sa

from portal.extensions import db
from portal.retention import Scope, delete_where, register_purger
from requests.models import (
    OPEN_STATUSES,
    IdentityWait,
    PrivacyRequest,
    RequestEvent,
    RequestNote,
)


def purge(scope: Scope) -> dict[str, int]:
    ids = list(
        db.session.scalars(
            sa.select(PrivacyRequest.id).where(PrivacyRequest.person_id.in_(scope.person_ids))
        )
    )
    return {
        "identity_wait": delete_where(IdentityWait.__table__, IdentityWait.request_id.in_(ids)),
        "request_note": delete_where(RequestNote.__table__, RequestNote.request_id.in_(ids)),
        "request_event": delete_where(RequestEvent.__table__, RequestEvent.request_id.in_(ids)),
        "privacy_request": delete_where(PrivacyRequest.__table__, PrivacyRequest.id.in_(ids)),
    }


def holds(person_ids: frozenset[int]) -> set[int]:
    """Persons with a request still open."""
    return set(
        db.session.scalars(
            sa.select(PrivacyRequest.person_id).where(
                PrivacyRequest.person_id.in_(person_ids),
                PrivacyRequest.status.in_(OPEN_STATUSES),
            )
        )
    )


def needs(person_ids: frozenset[int]) -> set[int]:
    """A representative named on the request of a person who stays stays too."""
    return set(
        db.session.scalars(
            sa.select(PrivacyRequest.representative_id).where(
                PrivacyRequest.representative_id.in_(person_ids),
                PrivacyRequest.person_id.not_in(person_ids),
            )
        )
    )


def register() -> None:
    register_purger(
        "requests",
        purge,
        tables=["privacy_request", "identity_wait", "request_note", "request_event"],
        holds=holds,
        needs=needs,
    )
