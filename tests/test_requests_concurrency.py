"""Optimistic locking between two database sessions: two desk members load the same request, the
first commits a change, the second's change is refused with a clear message and nothing of the
first is lost. This is the database-level check (UPDATE ... WHERE version_id = <read>), beneath
the version the forms carry (tests/test_requests_pages.py).

The test commits for real, so it does not use the rolled-back `db` fixture; it empties the
database again afterwards.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.extensions import db
from portal.models import Role, User
from portal.operations import RuleViolation
from requests import deadlines
from requests import operations as ops
from requests.models import Channel, IdentityMethod, PrivacyRequest, RequestType, Status
from tests import factories as f


@pytest.fixture
def committed(app):
    """An app context on the real engine; every table emptied afterwards."""
    db.session.remove()
    with app.app_context():
        try:
            yield
        finally:
            db.session.remove()
            db.drop_all()
            db.create_all()


def test_second_session_gets_the_conflict_and_the_first_change_stays(committed):
    first_user = f.user(Role.PRIVACY_DESK, name="Eerste")
    second_user = f.user(Role.PRIVACY_DESK, name="Tweede")
    request = ops.register_request(
        first_user,
        person=f.person(),
        type=RequestType.ACCESS,
        channel=Channel.DESK,
        received_on=deadlines.today() - timedelta(days=3),
        identity_method=IdentityMethod.DESK_ID_DOCUMENT_SEEN,
    )
    db.session.commit()
    ids = (request.id, first_user.id, second_user.id)
    db.session.remove()

    registry = db.session.registry
    first, second = db.session.session_factory(), db.session.session_factory()
    try:
        # Both load the request (version 1) and end their read transaction, as a page does.
        registry.set(first)
        mine, me = first.get(PrivacyRequest, ids[0]), first.get(User, ids[1])
        first.commit()
        registry.set(second)
        theirs, them = second.get(PrivacyRequest, ids[0]), second.get(User, ids[2])
        second.commit()
        assert mine.version_id == theirs.version_id == 1

        registry.set(first)
        ops.assign_request(me, mine, version=mine.version_id, assignee=me)
        first.commit()

        # The second still holds version 1: the version check passes, the UPDATE finds no row.
        registry.set(second)
        with pytest.raises(RuleViolation) as problem:
            ops.start_processing(them, theirs, version=theirs.version_id)
        assert problem.value.code == "stale"
        assert problem.value.message == (
            "Iemand anders heeft dit verzoek intussen gewijzigd. Laad de pagina opnieuw."
        )
        second.rollback()

        fresh = second.get(PrivacyRequest, ids[0])
        assert (fresh.assignee_id, fresh.status, fresh.version_id) == (
            ids[1],
            Status.RECEIVED,
            2,
        )
        # Reloaded, the second member's step goes through.
        ops.start_processing(them, fresh, version=fresh.version_id)
        second.commit()
        assert second.get(PrivacyRequest, ids[0]).status is Status.IN_PROGRESS
    finally:
        first.close()
        second.close()
        registry.clear()
