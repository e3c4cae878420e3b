"""Retention on a clock moved forward.

Privacyreglement, *Bewaartermijn*: "Zij worden in ieder geval uit het werksysteem verwijderd en
vernietigd vijftien jaar na het afsluiten van de hulp- en/of dienstverlening". Nothing goes a day
early; after the fifteen years everything personal of the case goes, its persons too when it was
their household's last case; what stays is counts and one audit line without personal data. A
run is safe to interrupt: the next run finishes the work, each case exactly once.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from consent import operations as ledger
from consent.check import may
from consent.models import Channel, ConsentEvent, ConsentStatus, Purpose, RecordedBy
from portal import audit, retention
from portal.audit import AuditEntry, verify_chain
from portal.extensions import db
from portal.letters.models import AccessCode, Letter
from portal.models import Case, CaseEntry, Decision, EntryKind, Household, Person, Role
from portal.notices import PartnerNotice, notify_partner
from portal.retention import RetentionCount, RetentionRun
from requests import operations as request_ops
from requests.models import Channel as RequestChannel
from requests.models import PrivacyRequest, RequestType
from tests import factories as f

CLOSED = date(2010, 3, 15)
DUE = date(2025, 3, 15)


def _count(model, *conditions) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*conditions))


def _consent(person, domain, recipient, status=ConsentStatus.GIVEN, *, case=None, days_ago=10):
    return ledger.record_decision(
        None,
        person=person,
        domain=domain,
        recipient=recipient,
        purpose=Purpose.PLAN,
        status=status,
        recorded_by=RecordedBy.CASE_MANAGER,
        channel=Channel.BEMOEIZORG_CONVERSATION,
        information_version="info-2026-01",
        effective_at=datetime.now(UTC) - timedelta(days=days_ago),
        case=case,
    )


def _closed_case(
    *, closed_on=CLOSED, household=None, names=("Ilse", "Verbeek"), with_all=True, bsn=None
):
    """A case closed on `closed_on` with a person, an entry, a consent, a letter, a finished
    privacy request and a notice."""
    talis = f.partner(name=f"Talis {f._counter.__next__()}")
    regisseur = f.user(Role.PROCESREGISSEUR)
    household = household or f.household(street="Retentiestraat")
    person = f.person(household, given_name=names[0], family_name=names[1], bsn=bsn)
    case = f.case(
        procesregisseur=regisseur,
        household_obj=household,
        team=[talis],
        members=[regisseur],
        opened_on=closed_on - timedelta(days=400),
        closed_on=closed_on,
        phase=8,
    )
    if with_all:
        domain = f.domain()
        db.session.add(
            CaseEntry(
                case=case,
                kind=EntryKind.PLAN,
                domain=domain,
                source_partner=talis,
                author=regisseur,
                person=person,
                text=f"Plan voor {names[0]} {names[1]}",
            )
        )
        _consent(person, domain, talis, case=case)
        f.stored_letter(person, case, regisseur)
        desk = f.user(Role.PRIVACY_DESK)
        request = request_ops.register_request(
            desk,
            person=person,
            type=RequestType.ACCESS,
            channel=RequestChannel.LETTER,
            received_on=date(2026, 1, 5),
        )
        request_ops.withdraw_request(desk, request, version=request.version_id)
        notify_partner(talis, kind="test", subject="Melding", body="Tekst", case_id=case.id)
        db.session.flush()
    return case, person


def _personal_rows(household_id: int, person_id: int, case_id: int) -> dict[str, int]:
    return {
        "person": _count(Person, Person.household_id == household_id),
        "household": _count(Household, Household.id == household_id),
        "case": _count(Case, Case.id == case_id),
        "entry": _count(CaseEntry, CaseEntry.case_id == case_id),
        "consent": _count(ConsentEvent, ConsentEvent.person_id == person_id),
        "letter": _count(Letter, Letter.household_id == household_id),
        "access_code": _count(AccessCode, AccessCode.person_id == person_id),
        "request": _count(PrivacyRequest, PrivacyRequest.person_id == person_id),
        "notice": _count(PartnerNotice, PartnerNotice.case_id == case_id),
    }


# --- the date rule --------------------------------------------------------------------------------


def test_due_date_is_fifteen_years_after_closing():
    assert retention.due_on(date(2010, 3, 15)) == date(2025, 3, 15)
    # 29 February has no match fifteen years later: the day after 28 February.
    assert retention.due_on(date(2012, 2, 29)) == date(2027, 3, 1)


def test_the_sql_bound_matches_the_due_date_on_every_day_of_four_years():
    closings = [date(2008, 1, 1) + timedelta(days=n) for n in range(4 * 366 + 3)]
    for today in [date(2023, 1, 1) + timedelta(days=n) for n in range(4 * 366)]:
        bound = retention.closed_on_or_before(today)
        for closed in closings:
            if abs((closed - bound).days) > 2:
                continue
            assert (retention.due_on(closed) <= today) == (closed <= bound), (today, closed)


# --- the run ------------------------------------------------------------------------------------


def test_nothing_goes_before_fifteen_years(ctx):
    case, person = _closed_case()
    before = _personal_rows(case.household_id, person.id, case.id)
    assert all(before.values()), before

    report = retention.run(DUE - timedelta(days=1))

    assert report.destroyed == []
    assert _personal_rows(case.household_id, person.id, case.id) == before
    assert _count(Case, Case.closed_on.is_(None)) >= 0  # open cases are never looked at


def test_everything_personal_goes_after_fifteen_years(ctx):
    case, person = _closed_case()
    case_id, person_id, household_id = case.id, person.id, case.household_id
    open_case = f.case()  # an open case elsewhere is untouched

    report = retention.run(DUE)

    assert [plan.case_id for plan, _counts in report.destroyed] == [case_id]
    assert set(_personal_rows(household_id, person_id, case_id).values()) == {0}
    assert db.session.get(Case, open_case.id) is not None
    run = db.session.get(RetentionRun, report.run_id)
    assert (run.cases_destroyed, run.persons_destroyed, run.households_destroyed) == (1, 1, 1)
    assert run.finished_at is not None
    tables = {count.table_name: count.rows for count in run.counts}
    for table in ("case_entry", "consent_event", "letter", "privacy_request", "partner_notice",
                  "letter_access_code", "regie_case", "person", "household"):  # fmt: skip
        assert tables.get(table, 0) >= 1, table


def test_the_audit_line_names_no_person_and_the_chain_still_verifies(ctx):
    case, person = _closed_case(names=("Quirijn", "Zwanenburg"), bsn="111222333")
    case_id, person_id = case.id, person.id

    retention.run(DUE)

    lines = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.processing_activity == "bewaartermijn")
    ).all()
    assert [(line.action, line.case_id, line.person_id) for line in lines] == [
        ("delete", case_id, None)
    ]
    assert verify_chain() is None
    # No audit line holds the destroyed person's name or BSN, in any column.
    for entry in db.session.scalars(sa.select(AuditEntry)):
        text = " ".join(str(getattr(entry, name)) for name in AuditEntry.CHAINED)
        for secret in ("Quirijn", "Zwanenburg", "111222333"):
            assert secret not in text
    # The counts tables have no column that could hold a reference.
    assert {c.name for c in RetentionCount.__table__.columns} == {
        "id",
        "run_id",
        "table_name",
        "rows",
    }
    assert db.session.get(Person, person_id) is None


def test_a_person_with_another_recent_case_stays(ctx):
    old, person = _closed_case()
    recent = f.case(household_obj=old.household, opened_on=date(2019, 1, 1))
    recent_id, old_id, person_id = recent.id, old.id, person.id

    report = retention.run(DUE)

    ((plan, counts),) = report.destroyed
    assert plan.case_id == old_id and plan.kept_person_ids == [person_id]
    assert "person" not in counts and "household" not in counts
    assert db.session.get(Case, old_id) is None
    assert db.session.get(Case, recent_id) is not None
    assert db.session.get(Person, person_id) is not None
    # The old case's entries, letters and notices went; the person's requests stay with them.
    assert _count(CaseEntry, CaseEntry.case_id == old_id) == 0
    assert _count(Letter, Letter.case_id == old_id) == 0
    assert _count(PrivacyRequest, PrivacyRequest.person_id == person_id) == 1


def test_the_persons_go_with_the_last_case_of_the_household(ctx):
    first, person = _closed_case(closed_on=date(2008, 1, 10))
    second = f.case(
        household_obj=first.household,
        opened_on=date(2008, 5, 1),
        closed_on=date(2009, 6, 1),
        phase=8,
    )
    household_id, person_id, ids = first.household_id, person.id, [first.id, second.id]

    report = retention.run(date(2024, 6, 1))

    assert [plan.case_id for plan, _c in report.destroyed] == ids
    assert report.destroyed[0][0].person_ids == []
    assert report.destroyed[1][0].person_ids == [person_id]
    assert db.session.get(Household, household_id) is None


def test_a_later_decision_of_a_person_who_stays_never_brings_an_older_one_back(ctx):
    """Afwegingskader stap 4: refused consent means the data is not processed. When the destroyed
    case held the refusal, the older grant of the same key goes with it: no consent, never
    consent again."""
    old, person = _closed_case(with_all=False)
    f.case(household_obj=old.household)  # the person stays
    domain, other_domain = f.domain(), f.domain()
    talis = old.team[0]
    _consent(person, domain, talis, days_ago=30)  # given outside any case
    _consent(person, domain, talis, ConsentStatus.REFUSED, case=old, days_ago=20)
    kept = _consent(person, other_domain, talis, days_ago=5)
    assert not may(talis, person, domain, Purpose.PLAN).permitted

    retention.run(DUE)

    assert not may(talis, person, domain, Purpose.PLAN).permitted
    remaining = db.session.scalars(
        sa.select(ConsentEvent.id).where(ConsentEvent.person_id == person.id)
    ).all()
    assert remaining == [kept.id]


def test_an_interrupted_run_resumed_destroys_every_case_exactly_once(ctx):
    cases = [_closed_case(closed_on=CLOSED + timedelta(days=n))[0] for n in range(4)]
    case_ids = [case.id for case in cases]
    seen = []

    def crash_on_third(plan):
        seen.append(plan.case_id)
        if len(seen) == 3:
            raise KeyboardInterrupt  # the operator pressed Ctrl-C halfway

    with pytest.raises(KeyboardInterrupt):
        retention.run(date(2026, 1, 1), after_step=crash_on_third)

    first = db.session.scalar(sa.select(RetentionRun).order_by(RetentionRun.id.desc()))
    assert first.finished_at is None and first.cases_destroyed == 2
    assert [db.session.get(Case, i) is None for i in case_ids] == [True, True, False, False]

    resumed = retention.run(date(2026, 1, 1))
    assert [plan.case_id for plan, _c in resumed.destroyed] == case_ids[2:]
    again = retention.run(date(2026, 1, 1))
    assert again.destroyed == []

    runs = db.session.scalars(sa.select(RetentionRun)).all()
    assert sum(r.cases_destroyed for r in runs) == 4
    assert sum(r.persons_destroyed for r in runs) == 4
    lines = db.session.scalars(
        sa.select(AuditEntry.case_id).where(AuditEntry.processing_activity == "bewaartermijn")
    ).all()
    assert sorted(lines) == sorted(case_ids)
    assert verify_chain() is None


def test_a_dry_run_lists_what_would_go_and_changes_nothing(ctx):
    case, person = _closed_case()
    before = _personal_rows(case.household_id, person.id, case.id)
    audit_lines = _count(AuditEntry)

    dry = retention.run(DUE, dry_run=True)

    assert [plan.reference for plan, _c in dry.destroyed] == [case.reference]
    assert _personal_rows(case.household_id, person.id, case.id) == before
    assert _count(AuditEntry) == audit_lines
    assert _count(RetentionRun) == 0
    real = retention.run(DUE)
    assert real.totals() == dry.totals()


def test_an_open_privacy_request_holds_the_case(ctx):
    case, person = _closed_case(with_all=False)
    desk = f.user(Role.PRIVACY_DESK)
    request_ops.register_request(
        desk,
        person=person,
        type=RequestType.ACCESS,
        channel=RequestChannel.LETTER,
        received_on=date(2026, 1, 5),
    )

    report = retention.run(DUE)

    assert report.destroyed == [] and [p.case_id for p in report.held] == [case.id]
    assert report.held[0].held_reasons == ["requests"]
    assert db.session.get(RetentionRun, report.run_id).cases_held == 1
    assert db.session.get(Person, person.id) is not None


def test_a_representative_named_by_someone_who_stays_stays(ctx):
    case, person = _closed_case(
        with_all=False, household=f.household(created_at=datetime(2008, 9, 1, tzinfo=UTC))
    )
    elsewhere = f.household()
    child = f.person(elsewhere, birth_date=date(2015, 1, 1), legal_representative=person)
    f.case(household_obj=elsewhere)
    person_id, household_id = person.id, case.household_id

    report = retention.run(DUE)
    ((plan, counts),) = report.destroyed
    assert plan.kept_person_ids == [person.id] and not plan.household_goes
    assert db.session.get(Person, person.id) is not None
    # Once nobody needs the representative any more, the next run takes what is left.
    db.session.execute(
        sa.update(Person).where(Person.id == child.id).values(legal_representative_id=None)
    )
    later = retention.run(DUE)
    ((plan, counts),) = later.destroyed
    assert plan.case_id is None and plan.person_ids == [person_id]
    assert db.session.get(Household, household_id) is None


def test_every_reference_to_a_person_or_case_is_covered_by_a_purger(app):
    assert retention.uncovered_references() == []


def test_a_table_no_purger_covers_stops_the_run_before_anything_goes(ctx, monkeypatch):
    case, person = _closed_case()
    without_letters = {k: v for k, v in retention._purgers.items() if k != "letters"}
    monkeypatch.setattr(retention, "_purgers", without_letters)

    with pytest.raises(retention.RetentionBlocked, match="letter.person_id"):
        retention.run(DUE)
    assert db.session.get(Case, case.id) is not None


def test_not_picked_up_signal_goes_fifteen_years_after_the_decision(ctx):
    regisseur = f.user(Role.PROCESREGISSEUR)
    signal = f.case(procesregisseur=regisseur, phase=2, opened_on=date(2009, 1, 1))
    from portal import operations

    operations.decide(regisseur, signal, Decision.NOT_PICKED_UP, on=date(2009, 2, 1))
    signal_id = signal.id
    assert retention.run(date(2024, 1, 31)).destroyed == []
    assert [p.case_id for p, _c in retention.run(date(2024, 2, 1)).destroyed] == [signal_id]


def test_the_command_lists_references_and_counts_without_names(app, db):
    with app.app_context():
        case, _person = _closed_case(names=("Wendelien", "Oosterhout"))
        reference = case.reference
        db.session.commit()
    runner = app.test_cli_runner()

    dry = runner.invoke(args=["retention", "run", "--dry-run", "--today", "2025-03-15"])
    assert dry.exit_code == 0, dry.output
    assert reference in dry.output and "person 1" in dry.output
    assert "Wendelien" not in dry.output and "Oosterhout" not in dry.output
    early = runner.invoke(args=["retention", "run", "--today", "2025-03-14"])
    assert early.exit_code == 0 and reference not in early.output

    real = runner.invoke(args=["retention", "run", "--today", "2025-03-15"])
    assert real.exit_code == 0 and reference in real.output
    with app.app_context():
        assert db.session.scalar(sa.select(Case).where(Case.reference == reference)) is None
        assert audit.verify_chain() is None


def test_a_restricted_person_holds_the_case(ctx):
    """AVG art. 18(1)(c): data the person needs for a legal claim is restricted, not erased."""
    from portal.models import utcnow

    case, person = _closed_case(with_all=False)
    person.restricted_since = utcnow()
    db.session.flush()

    report = retention.run(DUE)

    assert report.destroyed == [] and report.held[0].held_reasons == ["restricted"]
    assert db.session.get(Case, case.id) is not None


def test_the_report_shows_what_is_due_within_twelve_months_without_names(client, auth, seed):
    today = retention.local_today()
    with seed():
        soon, _p = _closed_case(
            closed_on=retention.closed_on_or_before(today) + timedelta(days=100),
            names=("Jorinde", "Kamphuis"),
        )
        later, _q = _closed_case(
            closed_on=retention.closed_on_or_before(today) + timedelta(days=366 + 2)
        )
        admin, soon_ref, later_ref = f.user(Role.ADMIN), soon.reference, later.reference
    auth.login(admin)

    page = client.get("/oversight/retention")

    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert soon_ref in text and later_ref not in text
    assert "Jorinde" not in text and "Kamphuis" not in text
