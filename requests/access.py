"""Who may see and handle privacy requests: the privacy desk of the college van B&W, the
controller that answers them (Privacyreglement, *Rechten van betrokkene*).

The rule is `portal.access.can_handle_requests` (the one access policy); this module only loads
the request, because `portal` never imports this package. A request that does not exist answers
404; every read of a request is audited, as it shows personal data.
"""

from __future__ import annotations

from flask import abort

from portal import audit
from portal.access import can_handle_requests
from portal.extensions import db
from portal.models import User
from requests.models import PrivacyRequest
from requests.operations import PROCESSING_ACTIVITY

__all__ = ["can_handle_requests", "load_request", "record_read"]


def record_read(user: User, request: PrivacyRequest, *, purpose: str) -> None:
    audit.record(
        audit.Action.READ,
        user=user,
        person_id=request.person_id,
        object_type="privacy_request",
        object_id=request.id,
        processing_activity=PROCESSING_ACTIVITY,
        purpose=purpose,
    )


def load_request(
    user: User, request_id: int, *, purpose: str, change: bool = False
) -> PrivacyRequest:
    """The request, if `user` may handle it; 404 otherwise. A read is audited here, a change by
    the operation that makes it."""
    request = db.session.get(PrivacyRequest, request_id)
    if request is None or not can_handle_requests(user):
        abort(404)
    if not change:
        record_read(user, request, purpose=purpose)
    return request
