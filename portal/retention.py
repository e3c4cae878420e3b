"""Retention: fifteen years after a case was closed, its personal data is destroyed.

Privacyreglement, *Bewaartermijn*: "Zij worden in ieder geval uit het werksysteem verwijderd en
vernietigd vijftien jaar na het afsluiten van de hulp- en/of dienstverlening, zijnde de
bewaartermijn uit de Jeugdwet en Wet maatschappelijke ondersteuning 2015."

What goes with a case: its entries, team, legal bases, reuse approvals, letters and notices, and,
when it is the household's last case, the household and its persons with everything kept about
them (consents, letters, privacy requests). A person who still has another case keeps their data
until that case's turn. What stays: anonymous counts per run (`RetentionRun`, `RetentionCount`)
and one audit line per destroyed case that names only the case's number.

Other packages own some of the data. Each registers a purger here (`register_purger`), called
with the ids that go; `portal` never imports them. A table that refers to a person, household or
case and is covered by no purger stops the run before anything is destroyed.

The run works case by case, one transaction each: an interrupted run leaves every case either
wholly destroyed or untouched, and the next run continues with what is left.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Optional
from zoneinfo import ZoneInfo

import click
import sqlalchemy as sa
from flask.cli import AppGroup
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import audit
from portal.extensions import db
from portal.models import (
    Case,
    CaseEntry,
    Household,
    Person,
    User,
    case_membership,
    case_team,
    utcnow,
)

RETENTION_YEARS = 15
# The report looks this far ahead.
REPORT_DAYS = 365
LOCAL_TIME = ZoneInfo("Europe/Amsterdam")
PROCESSING_ACTIVITY = "bewaartermijn"


def local_today() -> date:
    """The date in Nijmegen, whatever the server's time zone."""
    return datetime.now(LOCAL_TIME).date()


def due_on(closed_on: date) -> date:
    """The day a closed case's data must be gone: fifteen years after the help ended."""
    return audit.years_after(closed_on, RETENTION_YEARS)


def closed_on_or_before(today: date) -> date:
    """The latest closing date whose case is due on `today` (`due_on(day) <= today` exactly when
    `day <= closed_on_or_before(today)`)."""
    try:
        return today.replace(year=today.year - RETENTION_YEARS)
    except ValueError:  # 29 February: fifteen years earlier is no leap year
        return date(today.year - RETENTION_YEARS, 2, 28)


# --- what stays: anonymous counts -------------------------------------------------------------


class RetentionRun(db.Model):
    """One run of the retention command. Counts only: no ids, no names, no references."""

    __tablename__ = "retention_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    as_of: Mapped[date]
    started_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    # Empty for a run that was interrupted; the next run continues with what is left.
    finished_at: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))
    started_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("staff_user.id"))
    cases_destroyed: Mapped[int] = mapped_column(default=0, server_default="0")
    persons_destroyed: Mapped[int] = mapped_column(default=0, server_default="0")
    households_destroyed: Mapped[int] = mapped_column(default=0, server_default="0")
    # Due, but waiting: a restriction of processing or an open privacy request.
    cases_held: Mapped[int] = mapped_column(default=0, server_default="0")

    counts: Mapped[list[RetentionCount]] = relationship(
        back_populates="run", order_by="RetentionCount.table_name", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint(
            "cases_destroyed >= 0 AND persons_destroyed >= 0 AND households_destroyed >= 0 "
            "AND cases_held >= 0",
            name="counts_not_negative",
        ),
    )


class RetentionCount(db.Model):
    """How many rows of one table a run destroyed."""

    __tablename__ = "retention_count"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        sa.ForeignKey("retention_run.id", ondelete="CASCADE"), index=True
    )
    table_name: Mapped[str] = mapped_column(sa.String(80))
    rows: Mapped[int] = mapped_column(default=0, server_default="0")

    run: Mapped[RetentionRun] = relationship(back_populates="counts")

    __table_args__ = (
        sa.UniqueConstraint("run_id", "table_name", name="uq_retention_count_table"),
        sa.CheckConstraint("rows >= 0", name="rows_not_negative"),
    )


# --- the registry -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """What goes in one step: the case(s), and the persons and household that go with it."""

    case_ids: frozenset[int] = frozenset()
    person_ids: frozenset[int] = frozenset()
    household_ids: frozenset[int] = frozenset()


Purge = Callable[[Scope], dict[str, int]]
PersonFilter = Callable[[frozenset[int]], set[int]]


@dataclass(frozen=True)
class Purger:
    name: str
    purge: Purge
    # The tables this purger removes rows from (the run checks every reference is covered).
    tables: tuple[str, ...]
    # Persons among the given ids whose data must not go yet (an open privacy request, say):
    # their household's case waits, and the report says so.
    holds: Optional[PersonFilter] = None
    # Persons among the given ids that rows which stay still refer to (a representative named on
    # another person's record): they stay until those rows go.
    needs: Optional[PersonFilter] = None


_purgers: dict[str, Purger] = {}


def register_purger(
    name: str,
    purge: Purge,
    *,
    tables: Iterable[str],
    holds: Optional[PersonFilter] = None,
    needs: Optional[PersonFilter] = None,
) -> None:
    """Called from a package's `init_app`: `purge(scope)` deletes the package's rows for the
    scope with bulk statements (flush, no commit) and returns the number of rows per table."""
    _purgers[name] = Purger(name, purge, tuple(tables), holds, needs)


def purgers() -> list[Purger]:
    return list(_purgers.values())


def delete_where(table, condition) -> int:
    """A bulk DELETE; returns the number of rows it removed."""
    result = db.session.execute(sa.delete(table).where(condition))
    return result.rowcount or 0


# --- built in: what `portal` itself keeps about a person or case beyond the core tables ---------


def _purge_notices(scope: Scope) -> dict[str, int]:
    from portal.notices import PartnerNotice

    return {
        "partner_notice": delete_where(
            PartnerNotice.__table__,
            sa.or_(
                PartnerNotice.case_id.in_(scope.case_ids),
                PartnerNotice.person_id.in_(scope.person_ids),
            ),
        )
    }


def _purge_letters(scope: Scope) -> dict[str, int]:
    from portal.letters.models import AccessCode, Letter, LetterBatchItem

    letters = sa.select(Letter.id).where(
        sa.or_(
            Letter.case_id.in_(scope.case_ids),
            Letter.person_id.in_(scope.person_ids),
            Letter.household_id.in_(scope.household_ids),
        )
    )
    letter_ids = list(db.session.scalars(letters))
    counts = {
        "letter_batch_item": delete_where(
            LetterBatchItem.__table__,
            sa.or_(
                LetterBatchItem.letter_id.in_(letter_ids),
                LetterBatchItem.case_id.in_(scope.case_ids),
                LetterBatchItem.person_id.in_(scope.person_ids),
            ),
        ),
        "letter": delete_where(Letter.__table__, Letter.id.in_(letter_ids)),
    }
    counts["letter_access_code"] = delete_where(
        AccessCode.__table__, AccessCode.person_id.in_(scope.person_ids)
    )
    return counts


def _register_builtin() -> None:
    register_purger("notices", _purge_notices, tables=["partner_notice"])
    register_purger(
        "letters",
        _purge_letters,
        tables=["letter", "letter_access_code", "letter_batch_item"],
    )


_register_builtin()

CORE_TABLES = ("case_entry", "case_team", "case_membership", "regie_case", "person", "household")
SUBJECT_TABLES = ("person", "household", "regie_case")


def uncovered_references() -> list[str]:
    """Tables that refer to a person, household or case and that no purger covers (a reference
    that cascades in the database is covered by the database)."""
    covered = set(CORE_TABLES)
    for purger in _purgers.values():
        covered.update(purger.tables)
    missing = set()
    for table in db.metadata.sorted_tables:
        if table.name in covered:
            continue
        for key in table.foreign_keys:
            if key.column.table.name in SUBJECT_TABLES and key.ondelete != "CASCADE":
                missing.add(f"{table.name}.{key.parent.name}")
    return sorted(missing)


# --- what is due ------------------------------------------------------------------------------


def _restricted(person_ids: frozenset[int]) -> set[int]:
    """AVG art. 18(1)(c): data the controller no longer needs but the person needs for a legal
    claim is restricted instead of erased; a restricted person's data waits."""
    column = getattr(Person, "restricted_since", None)
    if column is None or not person_ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(Person.id).where(Person.id.in_(person_ids), column.is_not(None))
        )
    )


def _needed_by_others(person_ids: frozenset[int]) -> set[int]:
    """Persons that stay because a person who stays names them as legal representative."""
    if not person_ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(Person.legal_representative_id).where(
                Person.legal_representative_id.in_(person_ids), Person.id.not_in(person_ids)
            )
        )
    )


@dataclass
class Plan:
    """What one step destroys: a due case, or a household left without cases. References and
    counts, never a name."""

    household_id: int
    due_on: date
    case_id: Optional[int] = None
    reference: Optional[str] = None
    closed_on: Optional[date] = None
    # Another case of the household remains: its persons stay until that case's turn.
    other_cases: int = 0
    person_ids: list[int] = field(default_factory=list)
    kept_person_ids: list[int] = field(default_factory=list)
    household_goes: bool = False
    held_reasons: list[str] = field(default_factory=list)

    @property
    def held(self) -> bool:
        return bool(self.held_reasons)

    @property
    def label(self) -> str:
        return self.reference or f"huishouden {self.household_id}"


def _plan_persons(plan: Plan) -> Plan:
    household_persons = frozenset(
        db.session.scalars(sa.select(Person.id).where(Person.household_id == plan.household_id))
    )
    # Whatever holds one person of the household holds the case: its entries may be what the
    # legal claim or the open request is about.
    if _restricted(household_persons):
        plan.held_reasons.append("restricted")
    for purger in _purgers.values():
        if purger.holds is not None and purger.holds(household_persons):
            plan.held_reasons.append(purger.name)
    if plan.other_cases:
        plan.kept_person_ids = sorted(household_persons)
        return plan
    going = set(household_persons)
    while True:  # a person who stays may keep their own representative: repeat until stable
        current = frozenset(going)
        needed = _needed_by_others(current)
        for purger in _purgers.values():
            if purger.needs is not None:
                needed |= purger.needs(current)
        going -= needed
        if going == current:
            break
    plan.person_ids = sorted(going)
    plan.kept_person_ids = sorted(household_persons - going)
    plan.household_goes = not plan.kept_person_ids
    return plan


def plan_case(case: Case) -> Plan:
    other_cases = db.session.scalar(
        sa.select(sa.func.count(Case.id)).where(
            Case.household_id == case.household_id, Case.id != case.id
        )
    )
    return _plan_persons(
        Plan(
            household_id=case.household_id,
            due_on=due_on(case.closed_on),
            case_id=case.id,
            reference=case.reference,
            closed_on=case.closed_on,
            other_cases=other_cases,
        )
    )


def plan_household(household: Household) -> Plan:
    return _plan_persons(
        Plan(household_id=household.id, due_on=due_on(household.created_at.date()))
    )


def due_cases(today: date) -> list[Case]:
    """Closed cases whose fifteen years have passed on `today`, the oldest first."""
    return list(
        db.session.scalars(
            sa.select(Case)
            .where(Case.closed_on.is_not(None), Case.closed_on <= closed_on_or_before(today))
            .order_by(Case.closed_on, Case.id)
        )
    )


def leftover_households(today: date) -> list[Household]:
    """Households without any case, registered more than fifteen years ago: what is left when a
    person stayed only because another record named them. Nothing keeps them any longer."""
    registered_before = datetime.combine(
        closed_on_or_before(today) + timedelta(days=1), datetime.min.time(), tzinfo=UTC
    )
    has_case = sa.exists().where(Case.household_id == Household.id)
    return list(
        db.session.scalars(
            sa.select(Household)
            .where(~has_case, Household.created_at < registered_before)
            .order_by(Household.id)
        )
    )


def upcoming(today: date, days: int = REPORT_DAYS) -> list[Plan]:
    """Cases due on `today` or within `days` after it (the report for the admin)."""
    horizon = today + timedelta(days=days)
    cases = db.session.scalars(
        sa.select(Case)
        .where(Case.closed_on.is_not(None), Case.closed_on <= closed_on_or_before(horizon))
        .order_by(Case.closed_on, Case.id)
    ).all()
    return [plan_case(case) for case in cases]


# --- destroying -------------------------------------------------------------------------------


def _destroy(plan: Plan) -> dict[str, int]:
    """Delete everything of one step (a case, with its persons and household when they go).
    Flushes; the caller commits."""
    scope = Scope(
        case_ids=frozenset({plan.case_id}) if plan.case_id is not None else frozenset(),
        person_ids=frozenset(plan.person_ids),
        household_ids=frozenset({plan.household_id}) if plan.household_goes else frozenset(),
    )
    counts: dict[str, int] = {}

    def add(more: dict[str, int]) -> None:
        for table, rows in more.items():
            counts[table] = counts.get(table, 0) + rows

    db.session.flush()
    for purger in _purgers.values():
        add(purger.purge(scope))
    persons = scope.person_ids
    add(
        {
            "case_entry": delete_where(
                CaseEntry.__table__,
                sa.or_(CaseEntry.case_id.in_(scope.case_ids), CaseEntry.person_id.in_(persons)),
            ),
            "case_team": delete_where(case_team, case_team.c.case_id.in_(scope.case_ids)),
            "case_membership": delete_where(
                case_membership, case_membership.c.case_id.in_(scope.case_ids)
            ),
            "regie_case": delete_where(Case.__table__, Case.id.in_(scope.case_ids)),
        }
    )
    if persons:
        # Representatives within the group first, so that the persons go in one statement.
        db.session.execute(
            sa.update(Person)
            .where(Person.id.in_(persons))
            .values(legal_representative_id=None)
            .execution_options(synchronize_session=False)
        )
        add({"person": delete_where(Person.__table__, Person.id.in_(persons))})
    if scope.household_ids:
        add({"household": delete_where(Household.__table__, Household.id.in_(scope.household_ids))})
    db.session.expire_all()
    return {table: rows for table, rows in counts.items() if rows}


def _tally(run: RetentionRun, counts: dict[str, int], *, case: bool) -> None:
    run.cases_destroyed += int(case)
    run.persons_destroyed += counts.get("person", 0)
    run.households_destroyed += counts.get("household", 0)
    existing = {count.table_name: count for count in run.counts}
    for table, rows in counts.items():
        if table in existing:
            existing[table].rows += rows
        else:
            run.counts.append(RetentionCount(table_name=table, rows=rows))


@dataclass
class RunReport:
    as_of: date
    dry_run: bool
    run_id: Optional[int] = None
    destroyed: list[tuple[Plan, dict[str, int]]] = field(default_factory=list)
    held: list[Plan] = field(default_factory=list)

    def totals(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for _plan, counts in self.destroyed:
            for table, rows in counts.items():
                totals[table] = totals.get(table, 0) + rows
        return totals


class RetentionBlocked(RuntimeError):
    """The run cannot start safely (a table no purger covers)."""


def _locked(model, object_id: int):
    # Lock the row (PostgreSQL) so that two runs at once never destroy it twice; a row another
    # run holds, or already destroyed, is skipped.
    return db.session.scalar(
        sa.select(model)
        .where(model.id == object_id)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )


def run(
    today: Optional[date] = None,
    *,
    dry_run: bool = False,
    actor: Optional[User] = None,
    after_step: Optional[Callable[[Plan], None]] = None,
) -> RunReport:
    """Destroy what is due on `today`, case by case, committing each case on its own.

    A dry run does the same work inside one transaction and rolls it back: its counts are exactly
    what a real run would destroy, and nothing changes. `after_step` is called after each step's
    work, before its commit (tests use it to interrupt a run)."""
    today = today or local_today()
    missing = uncovered_references()
    if missing:
        raise RetentionBlocked(
            "Tables refer to persons or cases but no retention purger covers them: "
            + ", ".join(missing)
        )
    report = RunReport(as_of=today, dry_run=dry_run)
    retention_run = None
    if not dry_run:
        retention_run = RetentionRun(as_of=today, started_by_id=getattr(actor, "id", None))
        db.session.add(retention_run)
        db.session.commit()
        report.run_id = retention_run.id

    def step(plan: Plan) -> None:
        if plan.held:
            report.held.append(plan)
            if retention_run is not None:
                retention_run.cases_held += int(plan.case_id is not None)
                db.session.commit()
            return
        counts = _destroy(plan)
        audit.record(
            audit.Action.DELETE,
            user=actor,
            processing_activity=PROCESSING_ACTIVITY,
            purpose="vernietigd: vijftien jaar na afsluiten (Privacyreglement, Bewaartermijn)",
            case_id=plan.case_id,
            object_type="case" if plan.case_id is not None else "household",
            object_id=plan.case_id if plan.case_id is not None else plan.household_id,
            confidentiality=audit.Confidentiality.NORMAL,
        )
        if retention_run is not None:
            _tally(retention_run, counts, case=plan.case_id is not None)
        if after_step is not None:
            after_step(plan)
        report.destroyed.append((plan, counts))
        if not dry_run:
            db.session.commit()

    # A dry run works inside a savepoint that it rolls back: whatever the caller has not
    # committed yet stays as it was.
    savepoint = db.session.begin_nested() if dry_run else None
    try:
        for case_id in [case.id for case in due_cases(today)]:
            case = _locked(Case, case_id)
            if case is not None:
                step(plan_case(case))
        for household_id in [household.id for household in leftover_households(today)]:
            household = _locked(Household, household_id)
            if household is None:
                continue
            plan = plan_household(household)
            if plan.person_ids or plan.household_goes or plan.held:
                step(plan)
    except BaseException:
        if savepoint is not None:
            savepoint.rollback()
        else:
            db.session.rollback()
        raise
    if savepoint is not None:
        savepoint.rollback()
    else:
        retention_run.finished_at = utcnow()
        db.session.commit()
    return report


def recent_runs(limit: int = 10) -> list[RetentionRun]:
    return list(
        db.session.scalars(
            sa.select(RetentionRun)
            .order_by(RetentionRun.started_at.desc(), RetentionRun.id.desc())
            .limit(limit)
        )
    )


# --- command line -----------------------------------------------------------------------------

retention_cli = AppGroup("retention", help="Destroy personal data after the retention period.")


def _describe(plan: Plan, counts: dict[str, int]) -> str:
    tables = ", ".join(f"{table} {rows}" for table, rows in sorted(counts.items()))
    closed = f"afgesloten {plan.closed_on.isoformat()}, " if plan.closed_on else ""
    return f"{plan.label}: {closed}termijn {plan.due_on.isoformat()}: {tables}"


@retention_cli.command("run")
@click.option("--dry-run", is_flag=True, help="Only list what would be destroyed.")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Count the fifteen years up to this date (YYYY-MM-DD) instead of today.",
)
def run_command(dry_run: bool, today: Optional[datetime]) -> None:
    """Destroy cases closed fifteen years ago, with their persons when it was their last case."""
    try:
        report = run(today.date() if today else None, dry_run=dry_run)
    except RetentionBlocked as problem:
        click.echo(str(problem), err=True)
        sys.exit(1)
    heading = "Zou worden vernietigd" if dry_run else "Vernietigd"
    click.echo(f"{heading} op {report.as_of.isoformat()}: {len(report.destroyed)} stap(pen).")
    for plan, counts in report.destroyed:
        click.echo("  " + _describe(plan, counts))
    for plan in report.held:
        click.echo(f"  {plan.label}: wacht ({', '.join(plan.held_reasons)})")
    totals = report.totals()
    if totals:
        click.echo(
            "Totaal: " + ", ".join(f"{table} {rows}" for table, rows in sorted(totals.items()))
        )
