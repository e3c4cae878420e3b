"""The consent ledger (Privacyprotocol art. 2, *Toestemming sub 1*): every decision is an
immutable event and the state at any moment is the last decisive event at or before it. A
withdrawal stops processing from that moment; what happened before stays lawful."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import consent.operations as ops
from consent.check import current_events, may, state_at
from consent.models import (
    Basis,
    Channel,
    ConsentEvent,
    ConsentStatus,
    ImmutableRecord,
    Purpose,
    RecordedBy,
)
from portal.extensions import db
from portal.operations import RuleViolation
from tests import factories as f

BASE = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class Clock:
    def __init__(self, monkeypatch, start: datetime):
        self.now = start
        monkeypatch.setattr(ops, "utcnow", lambda: self.now)

    def tick(self, minutes: int = 1) -> datetime:
        self.now += timedelta(minutes=minutes)
        return self.now


def _key():
    partner = f.partner()
    return dict(person=f.person(), domain=f.domain(), recipient=partner, purpose=Purpose.PLAN)


def _give(key, actor=None, **kw):
    return ops.record_decision(
        actor,
        status=ConsentStatus.GIVEN,
        recorded_by=RecordedBy.CASE_MANAGER,
        channel=Channel.BEMOEIZORG_CONVERSATION,
        information_version="info-2026-01",
        **key,
        **kw,
    )


def _refuse(key, **kw):
    return ops.record_decision(
        None,
        status=ConsentStatus.REFUSED,
        recorded_by=RecordedBy.CASE_MANAGER,
        channel=Channel.BEMOEIZORG_CONVERSATION,
        information_version="info-2026-01",
        **key,
        **kw,
    )


def _withdraw(key):
    return ops.withdraw_consent(
        None, recorded_by=RecordedBy.PRIVACY_DESK, channel=Channel.IN_WRITING, **key
    )


def _may(key, at):
    return may(key["recipient"], key["person"], key["domain"], key["purpose"], at=at)


events_strategy = st.lists(
    st.tuples(
        st.sampled_from(list(ConsentStatus)),
        st.integers(min_value=0, max_value=50),  # minutes after BASE
    ),
    min_size=1,
    max_size=12,
)


@SETTINGS
@given(events=events_strategy)
def test_state_at_t_is_the_last_decisive_event_at_or_before_t(ctx, events):
    key = _key()
    stored = []
    for status, minute in events:
        event = ConsentEvent(
            person_id=key["person"].id,
            domain_id=key["domain"].id,
            recipient_id=key["recipient"].id,
            purpose=key["purpose"],
            status=status,
            effective_at=BASE + timedelta(minutes=minute),
            recorded_at=BASE + timedelta(days=9),
            recorded_by=RecordedBy.CASE_MANAGER,
            channel=Channel.IN_WRITING,
            information_version="info-2026-01",
        )
        db.session.add(event)
        db.session.flush()
        stored.append((minute, event.id, status))
    for probe in range(-1, 52):
        at = BASE + timedelta(minutes=probe)
        before = [item for item in stored if item[0] <= probe]
        expected = max(before) if before else None
        found = state_at(
            key["person"].id, key["domain"].id, key["recipient"].id, key["purpose"], at
        )
        assert (found.id if found else None) == (expected[1] if expected else None)
        answer = _may(key, at)
        assert answer.permitted == (expected is not None and expected[2] is ConsentStatus.GIVEN)
        if answer.permitted:
            assert (answer.basis, answer.consent_event_id) == (Basis.CONSENT, expected[1])


actions = st.lists(
    st.tuples(st.sampled_from(["give", "refuse", "withdraw"]), st.integers(1, 30)),
    min_size=1,
    max_size=10,
)


@SETTINGS
@given(steps=actions)
def test_withdrawal_denies_later_checks_and_never_changes_earlier_answers(ctx, monkeypatch, steps):
    clock = Clock(monkeypatch, BASE)
    key = _key()
    answers: dict[datetime, bool] = {}
    for action, minutes in steps:
        clock.tick(minutes)
        given_now = _may(key, clock.now).permitted
        if action == "give":
            _give(key)
        elif action == "refuse":
            _refuse(key)
        elif given_now:
            withdrawal = _withdraw(key)
            assert withdrawal.effective_at == clock.now, "a withdrawal takes effect at once"
        else:
            with pytest.raises(RuleViolation):
                _withdraw(key)
            continue
        if action == "withdraw":
            # From the moment of withdrawal on, every check denies ...
            for later in (
                clock.now,
                clock.now + timedelta(seconds=1),
                clock.now + timedelta(days=30),
            ):
                result = _may(key, later)
                assert not result.permitted and result.reason == "consent_withdrawn"
        # ... and no answer about an earlier moment changed.
        for moment, answer in answers.items():
            assert _may(key, moment).permitted == answer
        for offset in (0, 1):
            moment = clock.now + timedelta(seconds=offset)
            answers[moment] = _may(key, moment).permitted


def test_events_are_never_updated(ctx):
    key = _key()
    event = _give(key)
    event.status = ConsentStatus.REFUSED
    with pytest.raises(ImmutableRecord):
        db.session.flush()
    db.session.rollback()


def test_database_refuses_updates_whoever_connects(ctx):
    key = _key()
    event_id = _give(key).id
    with pytest.raises(sa.exc.DatabaseError):
        with db.session.begin_nested():
            db.session.execute(
                sa.text("UPDATE consent_event SET status = 'refused' WHERE id = :id"),
                {"id": event_id},
            )


def test_withdrawal_deletes_nothing(ctx, monkeypatch):
    clock = Clock(monkeypatch, BASE)
    key = _key()
    grant = _give(key)
    clock.tick(60)
    _withdraw(key)
    assert db.session.get(ConsentEvent, grant.id) is not None
    assert _may(key, BASE + timedelta(minutes=30)).permitted, "earlier processing stays lawful"


def test_given_consent_must_be_informed(ctx):
    key = _key()
    with pytest.raises(RuleViolation) as problem:
        ops.record_decision(
            None,
            status=ConsentStatus.GIVEN,
            recorded_by=RecordedBy.CASE_MANAGER,
            channel=Channel.BEMOEIZORG_CONVERSATION,
            information_version=None,
            **key,
        )
    assert problem.value.code == "not_informed"
    assert f.count(ConsentEvent) == 0


def test_refusal_is_kept_as_a_refusal(ctx):
    key = _key()
    event = _refuse(key)
    result = _may(key, event.effective_at + timedelta(seconds=1))
    assert not result.permitted and result.reason == "consent_refused"
    assert result.consent_event_id == event.id


def test_below_16_the_legal_representative_decides(ctx):
    parent = f.person(birth_date=date(1985, 1, 1))
    child = f.person(
        parent.household,
        birth_date=date.today().replace(year=date.today().year - 10),
        legal_representative=parent,
    )
    key = _key() | {"person": child}
    with pytest.raises(RuleViolation) as problem:
        _give(key)
    assert problem.value.code == "representative_required"
    stranger = f.person()
    with pytest.raises(RuleViolation) as problem:
        _give(key, representative=stranger)
    assert problem.value.code == "not_the_representative"
    event = _give(key, representative=parent)
    assert event.representative_id == parent.id


def test_decisions_cannot_take_effect_in_the_future(ctx, monkeypatch):
    Clock(monkeypatch, BASE)
    with pytest.raises(RuleViolation) as problem:
        _give(_key(), effective_at=BASE + timedelta(hours=1))
    assert problem.value.code == "in_future"


def test_expiry_denies_from_the_end_date_and_is_put_on_record(ctx, monkeypatch):
    clock = Clock(monkeypatch, BASE)
    key = _key()
    grant = _give(key, expires_at=BASE + timedelta(days=180))
    assert _may(key, BASE + timedelta(days=179)).permitted
    late = _may(key, BASE + timedelta(days=180))
    assert not late.permitted and late.reason == "consent_expired"
    clock.tick(60 * 24 * 200)
    expired = ops.expire_due(clock.now)
    assert [e.status for e in expired] == [ConsentStatus.EXPIRED]
    assert expired[0].effective_at.replace(tzinfo=UTC) == grant.expires_at.replace(tzinfo=UTC)
    assert ops.expire_due(clock.now) == [], "expiring twice records nothing new"


def test_current_events_gives_one_deciding_event_per_key(ctx, monkeypatch):
    clock = Clock(monkeypatch, BASE)
    key = _key()
    _give(key)
    clock.tick()
    last = _refuse(key)
    other = _give(key | {"purpose": Purpose.REGIE})
    current = {(e.purpose, e.id) for e in current_events(key["person"].id)}
    assert current == {(Purpose.PLAN, last.id), (Purpose.REGIE, other.id)}


def test_recording_is_audited(ctx):
    from portal.audit import AuditEntry

    key = _key()
    event = _give(key, actor=f.user())
    entry = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.object_type == "consent_event", AuditEntry.object_id == event.id
        )
    ).one()
    assert (entry.action, entry.person_id) == ("create", key["person"].id)
