"""kill -9 in the middle of the work (issue 8, item 3): a letter print run, a retention run and an
erasure, each done by a separate process (tests/crash_worker.py) that is killed with SIGKILL at a
chosen SQL statement - inside a transaction, or just after a commit. Nothing in the killed process
gets to clean up. Afterwards the data is consistent (the audit chain verifies, no half-written
rows: every letter has its batch item, its sign-in code and its audit line; a case is wholly
destroyed or untouched; an erasure is wholly done or not at all) and a rerun in a fresh process
finishes the work exactly once.

The work commits for real, so these tests do not use the rolled-back `db` fixture; they empty the
database afterwards (the `committed` pattern of tests/test_requests_concurrency.py).
"""

from __future__ import annotations

import itertools
import signal
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from consent import operations as ledger
from consent.models import Channel as ConsentChannel
from consent.models import ConsentEvent, ConsentStatus, Purpose, RecordedBy
from portal.audit import AuditEntry, verify_chain
from portal.extensions import db
from portal.letters.models import (
    AccessCode,
    Letter,
    LetterBatch,
    LetterBatchItem,
)
from portal.models import Case, CaseEntry, EntryKind, Household, Person, Role, User
from portal.notices import PartnerNotice
from portal.operations import RuleViolation
from portal.retention import RetentionRun
from requests import deadlines, erasure
from requests import operations as request_ops
from requests.erasure import ERASED
from requests.models import (
    Channel,
    EventKind,
    IdentityMethod,
    PrivacyRequest,
    RequestEvent,
    RequestType,
)
from tests import crash_worker
from tests import factories as f

KILLED = -signal.SIGKILL


def empty_database() -> None:
    """Delete every row and restart the id sequences: the database as `create_all` left it
    (faster than dropping and creating every table again)."""
    db.session.remove()
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())
        if connection.dialect.name == "postgresql":
            for table in db.metadata.sorted_tables:
                column = table.autoincrement_column
                if column is not None:
                    connection.execute(
                        sa.text("SELECT setval(pg_get_serial_sequence(:t, :c), 1, false)"),
                        {"t": table.name, "c": column.name},
                    )


@pytest.fixture
def committed(app):
    """An app context on the real engine, on an empty database; every table emptied
    afterwards."""
    with app.app_context():
        empty_database()
        try:
            yield
        finally:
            empty_database()


@dataclass
class Outcome:
    code: int  # the exit code; -9 when the worker was killed
    output: str


@pytest.fixture
def work(app, tmp_path):
    """`work(job, *args, kill=...)`: run tests/crash_worker.py in a fresh process on the test
    database; the test's own session holds nothing while it runs."""
    logs = itertools.count(1)

    def run(job: str, *args, kill: str | None = None) -> Outcome:
        db.session.remove()
        argv = ["--db", app.config["SQLALCHEMY_DATABASE_URI"]]
        if kill is not None:
            argv += ["--kill", kill]
        argv += [job, *map(str, args)]
        return Outcome(*crash_worker.run(argv, tmp_path / f"worker-{next(logs)}.log"))

    return run


def killed(result: Outcome) -> None:
    assert result.code == KILLED, (
        f"the worker was not killed at its kill point (exit {result.code}):\n{result.output}"
    )


def count(model, *conditions) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*conditions))


def audited_ids(object_type: str, action: str = "create") -> list[int]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry.object_id).where(
                AuditEntry.object_type == object_type, AuditEntry.action == action
            )
        )
    )


# --- a letter print run ---------------------------------------------------------------------------


@pytest.fixture
def print_world(committed):
    """Two open cases with five persons in all, committed."""
    regisseur = f.user(Role.PROCESREGISSEUR)
    partner = f.partner(name="Partner Printrun")
    persons = []
    for size in (3, 2):
        case = f.case(procesregisseur=regisseur, team=[partner])
        persons += [f.person(case.household, given_name=f"Lid{n}") for n in range(size)]
    db.session.commit()
    return {"email": regisseur.email, "persons": sorted(person.id for person in persons)}


def letters_consistent() -> list[Letter]:
    """No half-written letter: each has its done batch item, its sign-in code and its audit line,
    and nothing refers to a letter or code that is not there."""
    assert verify_chain() is None
    letters = db.session.scalars(sa.select(Letter)).all()
    letter_ids = sorted(letter.id for letter in letters)
    done = db.session.scalars(
        sa.select(LetterBatchItem.letter_id).where(LetterBatchItem.letter_id.is_not(None))
    ).all()
    assert sorted(done) == letter_ids
    codes = db.session.scalars(sa.select(AccessCode.id)).all()
    assert sorted(letter.access_code_id for letter in letters) == sorted(codes)
    assert sorted(audited_ids("letter")) == letter_ids
    assert sorted(audited_ids("access_code")) == sorted(codes)
    return letters


def test_a_print_run_killed_three_times_ends_with_each_letter_exactly_once(
    work, print_world, tmp_path
):
    email, output = print_world["email"], tmp_path / "run.pdf"
    args = ("maart", email, output)

    # 1. Killed while the run is being created: no run, no items.
    killed(work("letters-batch", *args, kill=r"^\s*INSERT INTO letter_batch_item\b:1"))
    assert count(LetterBatch) == 0 and count(LetterBatchItem) == 0
    assert letters_consistent() == []

    # 2. Killed after storing the second letter, before its item is marked and committed.
    killed(work("letters-batch", *args, kill=r"^\s*INSERT INTO letter\b:2"))
    assert count(LetterBatchItem) == 5
    assert len(letters_consistent()) == 1

    # 3. Killed after marking this run's second item, before that commit.
    killed(work("letters-batch", *args, kill=r"^\s*UPDATE letter_batch_item\b:2"))
    assert len(letters_consistent()) == 2
    assert not output.exists()

    # 4. A fresh process finishes the run.
    finished = work("letters-batch", *args)
    assert finished.code == 0, finished.output
    assert "2 of 5 letters already sent" in finished.output
    assert "5 of 5 letters" in finished.output
    letters = letters_consistent()
    assert sorted(letter.person_id for letter in letters) == print_world["persons"]
    assert db.session.scalar(sa.select(LetterBatch.finished_at)) is not None
    assert output.read_bytes().startswith(b"%PDF")

    # Once more changes nothing.
    again = work("letters-batch", *args)
    assert again.code == 0 and "5 of 5 letters already sent" in again.output
    assert len(letters_consistent()) == 5
    assert audited_ids("letter_batch") == [db.session.scalar(sa.select(LetterBatch.id))]


# --- a retention run ------------------------------------------------------------------------------

RETENTION_TODAY = "2026-01-01"


def _closed_case(n: int) -> dict:
    """A case closed in 2010 (due since 2025) with a person, an entry, a consent, a letter with
    its sign-in code and a notice to the partner."""
    talis = f.partner(name=f"Talis {n}")
    regisseur = f.user(Role.PROCESREGISSEUR)
    household = f.household(street="Retentiestraat")
    person = f.person(household, given_name="Bewaard", family_name=f"Persoon{n}")
    case = f.case(
        procesregisseur=regisseur,
        household_obj=household,
        team=[talis],
        members=[regisseur],
        opened_on=date(2009, 1, 1),
        closed_on=date(2010, 3, 1) + timedelta(days=n),
        phase=8,
    )
    domain = f.domain()
    db.session.add(
        CaseEntry(
            case=case,
            kind=EntryKind.PLAN,
            domain=domain,
            source_partner=talis,
            author=regisseur,
            person=person,
            text=f"Plan {n}",
        )
    )
    ledger.record_decision(
        None,
        person=person,
        domain=domain,
        recipient=talis,
        purpose=Purpose.PLAN,
        status=ConsentStatus.GIVEN,
        recorded_by=RecordedBy.CASE_MANAGER,
        channel=ConsentChannel.BEMOEIZORG_CONVERSATION,
        information_version="info-2026-01",
        effective_at=datetime.now(UTC) - timedelta(days=30),
        case=case,
    )
    f.stored_letter(person, case, regisseur)
    from portal.notices import notify_partner

    notify_partner(talis, kind="test", subject="Melding", body="Tekst", case_id=case.id)
    db.session.flush()
    return {"case": case.id, "person": person.id, "household": household.id}


def _rows_of(ids: dict) -> dict[str, int]:
    return {
        "case": count(Case, Case.id == ids["case"]),
        "person": count(Person, Person.id == ids["person"]),
        "household": count(Household, Household.id == ids["household"]),
        "entry": count(CaseEntry, CaseEntry.case_id == ids["case"]),
        "consent": count(ConsentEvent, ConsentEvent.person_id == ids["person"]),
        "letter": count(Letter, Letter.person_id == ids["person"]),
        "access_code": count(AccessCode, AccessCode.person_id == ids["person"]),
        "notice": count(PartnerNotice, PartnerNotice.case_id == ids["case"]),
    }


def destroyed_cases(worlds: list[dict]) -> list[int]:
    """The destroyed cases, after checking that each case is wholly there or wholly gone and
    that the counts and the audit trail say exactly that."""
    assert verify_chain() is None
    gone = []
    for ids in worlds:
        rows = _rows_of(ids)
        assert set(rows.values()) in ({1}, {0}), f"half-destroyed case: {rows}"
        if not rows["case"]:
            gone.append(ids["case"])
    lines = db.session.scalars(
        sa.select(AuditEntry.case_id).where(AuditEntry.processing_activity == "bewaartermijn")
    ).all()
    assert sorted(lines) == sorted(gone)  # one audit line per destroyed case, none twice
    runs = db.session.scalars(sa.select(RetentionRun)).all()
    assert sum(run.cases_destroyed for run in runs) == len(gone)
    assert sum(run.persons_destroyed for run in runs) == len(gone)
    return gone


def test_a_retention_run_killed_three_times_destroys_every_case_exactly_once(work, committed):
    worlds = [_closed_case(n) for n in range(3)]
    db.session.commit()
    case_ids = [ids["case"] for ids in worlds]  # the run goes oldest first: this order

    # 1. Killed while destroying the first case: nothing gone, the run stays unfinished.
    killed(work("retention", RETENTION_TODAY, kill=r"^\s*DELETE FROM person\b:1"))
    assert destroyed_cases(worlds) == []
    assert db.session.scalars(sa.select(RetentionRun.finished_at)).all() == [None]

    # 2. Killed at the second case's audit line: the first case went, the second did not.
    killed(work("retention", RETENTION_TODAY, kill=r"^\s*INSERT INTO audit_entry\b:2"))
    assert destroyed_cases(worlds) == case_ids[:1]

    # 3. Killed just after the commit of this run's first case (the run row is commit 1).
    killed(work("retention", RETENTION_TODAY, kill="commit:2"))
    assert destroyed_cases(worlds) == case_ids[:2]

    # 4. A fresh process finishes; a further run finds nothing.
    finished = work("retention", RETENTION_TODAY)
    assert finished.code == 0, finished.output
    assert "1 stap(pen)" in finished.output
    assert destroyed_cases(worlds) == case_ids
    runs = db.session.scalars(sa.select(RetentionRun).order_by(RetentionRun.id)).all()
    assert [run.cases_destroyed for run in runs] == [0, 1, 1, 1]
    assert [run.finished_at is not None for run in runs] == [False, False, False, True]
    again = work("retention", RETENTION_TODAY)
    assert again.code == 0 and "0 stap(pen)" in again.output
    assert destroyed_cases(worlds) == case_ids


# --- an erasure -----------------------------------------------------------------------------------

SECRET = "WIS-MIJ-GEHEIM"


@pytest.fixture
def erasure_world(committed):
    """A person alone in a household whose only case closed three years ago: the whole file may
    go. An erasure request in progress, committed."""
    talis = f.partner(name="Talis")
    desk = f.user(Role.PRIVACY_DESK)
    regisseur = f.user(Role.PROCESREGISSEUR)
    household = f.household(street="Geheimstraat")
    person = f.person(household, given_name="Noortje", family_name="Uniekenaam")
    today = deadlines.today()
    case = f.case(
        procesregisseur=regisseur,
        household_obj=household,
        team=[talis],
        phase=8,
        opened_on=today - timedelta(days=5 * 365),
        closed_on=today - timedelta(days=3 * 365),
    )
    domain = f.domain()
    for text in (SECRET, f"{SECRET} 2"):
        db.session.add(
            CaseEntry(
                case=case,
                kind=EntryKind.PROGRESS,
                domain=domain,
                source_partner=talis,
                author=regisseur,
                person=person,
                text=text,
            )
        )
    ledger.record_decision(
        regisseur,
        person=person,
        domain=domain,
        recipient=talis,
        purpose=Purpose.PLAN,
        status=ConsentStatus.GIVEN,
        recorded_by=RecordedBy.CASE_MANAGER,
        channel=ConsentChannel.BEMOEIZORG_CONVERSATION,
        information_version="info-2026-01",
        effective_at=datetime.now(UTC) - timedelta(days=4 * 365),
        case=case,
    )
    f.stored_letter(person, case, regisseur)
    request = request_ops.register_request(
        desk,
        person=person,
        type=RequestType.ERASURE,
        channel=Channel.LETTER,
        received_on=today - timedelta(days=2),
        description="Wis alles over mij",
        identity_method=IdentityMethod.DESK_ID_DOCUMENT_SEEN,
    )
    request_ops.start_processing(desk, request, version=request.version_id)
    db.session.commit()
    return {"request": request.id, "desk": desk.get_id(), "person": person.id}


def erasure_state(world: dict) -> dict:
    """Everything an erasure changes, read fresh."""
    db.session.remove()
    assert verify_chain() is None
    person = db.session.get(Person, world["person"])
    request = db.session.get(PrivacyRequest, world["request"])
    return {
        "entries": sorted(db.session.scalars(sa.select(CaseEntry.text))),
        "consents": count(ConsentEvent, ConsentEvent.person_id == person.id),
        # Not the letters about the request: those stay as the record of the decision.
        "letters": count(
            Letter, Letter.person_id == person.id, Letter.request_reference.is_(None)
        ),
        "codes": count(AccessCode, AccessCode.person_id == person.id),
        "name": person.family_name,
        "street": person.household.street,
        "version": request.version_id,
        "erased_events": count(
            RequestEvent,
            RequestEvent.request_id == request.id,
            RequestEvent.kind == EventKind.ERASED,
        ),
        "notices": count(PartnerNotice, PartnerNotice.kind == "data_erased"),
        "delete_lines": sorted(
            db.session.scalars(
                sa.select(AuditEntry.object_type).where(
                    AuditEntry.person_id == person.id, AuditEntry.action == "delete"
                )
            )
        ),
    }


def test_an_erasure_killed_midway_is_undone_and_a_rerun_erases_exactly_once(
    work, erasure_world
):
    world = erasure_world
    ids = (world["request"], world["desk"])
    before = erasure_state(world)
    assert before["entries"] == [SECRET, f"{SECRET} 2"] and before["consents"] == 1

    # 1-2. Killed inside the erasure's transaction, early and at its last step: nothing changed.
    for kill in (r"^\s*DELETE FROM consent_event\b:1", r"^\s*INSERT INTO request_event\b:1"):
        killed(work("erasure", *ids, kill=kill))
        assert erasure_state(world) == before, kill

    # 3. Killed right after the erasure committed (while the page would send the mail): done.
    killed(work("erasure", *ids, kill="commit:2"))
    after = erasure_state(world)
    assert after["entries"] == [] and after["consents"] == 0
    assert (after["letters"], after["codes"]) == (0, 0)
    assert (after["name"], after["street"]) == (ERASED, ERASED)
    assert after["erased_events"] == 1 and after["notices"] == 1
    assert after["version"] == before["version"] + 1
    assert Counter(after["delete_lines"]) == Counter(
        ["case_entry", "consent_event", "letter", "letter_access_code"]
    )

    # 4. A rerun in a fresh process finds nothing left to erase: the page offers no erasure, and
    # the operation itself refuses (a form still open somewhere).
    rerun = work("erasure", *ids)
    assert rerun.code == 5, rerun.output
    assert "Er is nu niets dat gewist kan worden" in rerun.output
    request = db.session.get(PrivacyRequest, world["request"])
    desk = db.session.get(User, int(world["desk"].split(":")[0]))
    with pytest.raises(RuleViolation) as refused:
        erasure.carry_out_erasure(desk, request, version=request.version_id)
    assert refused.value.code == "nothing_to_erase"
    db.session.rollback()
    assert erasure_state(world) == after
