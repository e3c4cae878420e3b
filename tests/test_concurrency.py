"""Races with real parallel connections (issue 8, item 2): threads with their own session and
connection, or separate processes (tests/crash_worker.py), started together.

- A consent withdrawal racing consent checks: "Verdere verwerking van persoonsgegevens dient na
  het intrekken van de toestemming te worden gestaakt" (Privacyprotocol art. 2). Once the
  withdrawal has committed, no check started after that may answer "permitted".
- Two desk members changing one privacy request at once: no lost update; the loser gets the
  conflict message (optimistic locking, requests/operations.py).
- Two print runs at once: each letter is made exactly once (portal/letters/batch.py).

They commit for real, so they do not use the rolled-back `db` fixture; they empty the database
afterwards. On SQLite they run on the file database with its busy timeout where SQLite can serve
the race at all; where it cannot, the test is skipped on SQLite only, saying why.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from consent.apikeys import create_api_key
from consent.models import Channel as ConsentChannel
from consent.models import ConsentEvent, ConsentStatus, Purpose, RecordedBy
from consent.operations import record_decision, withdraw_consent
from portal.audit import verify_chain
from portal.extensions import db
from portal.letters import batch as batches
from portal.letters.models import Letter, LetterBatch, LetterKind
from portal.models import DataDomain, Partner, Person, Role, User
from portal.operations import RuleViolation
from requests import deadlines
from requests import operations as ops
from requests.models import (
    Channel,
    EventKind,
    IdentityMethod,
    PrivacyRequest,
    RequestEvent,
    RequestType,
    Status,
)
from tests import crash_worker
from tests import factories as f
from tests.test_crashes import empty_database, letters_consistent

CHECK = "/api/v1/check"


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


def sqlite(app) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")


def in_threads(app, *bodies: Callable[[], None], timeout: float = 60) -> None:
    """Run each body in its own thread, in its own app context and so with its own session and
    connection; re-raise the first error of any thread. The test's own session ends its
    transaction first: an open read would hold SQLite's lock against the threads' commits."""
    db.session.remove()
    errors: list[BaseException] = []

    def wrapped(body):
        def run():
            try:
                with app.app_context():
                    try:
                        body()
                    finally:
                        db.session.remove()
            except BaseException as error:  # noqa: BLE001  (reported in the test's thread)
                errors.append(error)

        return run

    threads = [threading.Thread(target=wrapped(body), daemon=True) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread hangs"
    if errors:
        raise errors[0]


# --- a withdrawal racing checks -------------------------------------------------------------------


@pytest.fixture
def consent_world(committed):
    asker = f.partner(code="asker")
    household = f.household()
    person = f.person(household)
    f.case(household_obj=household, team=[asker])
    domain = f.domain(code="wonen_race")
    record_decision(
        None,
        person=person,
        domain=domain,
        recipient=asker,
        purpose=Purpose.PLAN,
        status=ConsentStatus.GIVEN,
        recorded_by=RecordedBy.CASE_MANAGER,
        channel=ConsentChannel.BEMOEIZORG_CONVERSATION,
        information_version="info-2026-01",
        effective_at=datetime.now(UTC) - timedelta(days=30),
    )
    _, key = create_api_key(None, asker, "Zaaksysteem")
    db.session.commit()
    return {"partner": asker.id, "person": person.id, "domain": domain.id, "key": key}


CHECKERS = 3
AFTER_COMMIT = 4  # checks each checker starts after the withdrawal committed


def race_withdrawal(app, world, check: Callable[[], tuple[bool, str | None, int | None]]):
    """CHECKERS threads check over and over while another thread withdraws the consent; each
    checker goes on until it has started AFTER_COMMIT checks after the commit. Returns
    (the withdrawal event's id, the moment its commit returned, [(started, answer), ...])."""
    barrier = threading.Barrier(CHECKERS + 1, timeout=30)
    results: list[tuple[float, tuple]] = []
    lock = threading.Lock()
    warmed_up = threading.Event()
    failed = threading.Event()  # the withdrawal went wrong: stop checking
    done: dict = {}

    def checker():
        barrier.wait()
        after = 0
        deadline = time.monotonic() + 30
        while after < AFTER_COMMIT and time.monotonic() < deadline and not failed.is_set():
            started = time.perf_counter()
            answer = check()
            db.session.remove()  # one transaction per check, as one request
            with lock:
                results.append((started, answer))
                if len(results) >= 2 * CHECKERS:
                    warmed_up.set()
            if "committed" in done and started > done["committed"]:
                after += 1

    def withdrawer():
        barrier.wait()
        warmed_up.wait(30)  # the checkers are in full swing
        try:
            event = withdraw_consent(
                None,
                person=db.session.get(Person, world["person"]),
                domain=db.session.get(DataDomain, world["domain"]),
                recipient=db.session.get(Partner, world["partner"]),
                purpose=Purpose.PLAN,
                recorded_by=RecordedBy.PERSON,
                channel=ConsentChannel.ONLINE,
            )
            db.session.commit()
        except BaseException:
            failed.set()
            raise
        done["event"] = event.id
        done["committed"] = time.perf_counter()

    in_threads(app, withdrawer, *[checker for _ in range(CHECKERS)])
    return done["event"], done["committed"], results


def assert_no_permit_after_commit(event_id, committed_at, results) -> None:
    before = [answer for started, answer in results if started <= committed_at]
    after = [answer for started, answer in results if started > committed_at]
    # The race really ran: checks answered "permitted" before, and many started after.
    assert any(permitted for permitted, _reason, _event in before)
    assert len(after) >= CHECKERS * AFTER_COMMIT
    assert set(after) == {(False, "consent_withdrawn", event_id)}
    assert verify_chain() is None


def test_no_check_started_after_the_withdrawal_committed_permits(app, consent_world):
    world = consent_world

    def check():
        from consent.check import may

        result = may(
            db.session.get(Partner, world["partner"]),
            db.session.get(Person, world["person"]),
            db.session.get(DataDomain, world["domain"]),
            Purpose.PLAN,
        )
        return result.permitted, result.reason, result.consent_event_id

    assert_no_permit_after_commit(*race_withdrawal(app, world, check))


def test_no_api_check_started_after_the_withdrawal_committed_permits(app, consent_world):
    if sqlite(app):
        pytest.skip(
            "SQLite only: every API check reads and then writes its audit entry. SQLite has no "
            "row locks; a transaction that read and then wants to write while another writes "
            "gets 'database is locked' at once (no busy wait), so parallel API checks fail "
            "there. Production runs on PostgreSQL, where this test runs."
        )
    world = consent_world
    query = {"person": world["person"], "domain": "wonen_race", "purpose": "plan"}
    headers = {"Authorization": f"Bearer {world['key']}"}

    def check():
        response = app.test_client().get(CHECK, query_string=query, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.json
        return body["permitted"], body["reason"], body["consent_event"]

    assert_no_permit_after_commit(*race_withdrawal(app, world, check))


def test_two_withdrawals_at_once_record_one(app, consent_world):
    """The person withdraws online while the case manager records the same withdrawal: one
    withdrawal on record (and one notice round to the partners); the other is told there is
    nothing left to withdraw."""
    if sqlite(app):
        pytest.skip(
            "SQLite only: both transactions read the ledger before either writes; SQLite fails "
            "one with 'database is locked' at once instead of letting it wait. The withdrawal "
            "racing checks (above) runs on SQLite."
        )
    world = consent_world
    barrier = threading.Barrier(2)
    outcome: dict = {}

    def both_read(_conn, _cursor, statement, _params, _context, _many):
        if statement.lstrip().upper().startswith("SELECT CONSENT_EVENT."):
            try:
                # Both have read the ledger before either writes - unless one is made to wait
                # for the other before reading, which is what should happen.
                barrier.wait(timeout=1)
            except threading.BrokenBarrierError:
                pass

    def withdraw(who, recorded_by):
        def body():
            try:
                withdraw_consent(
                    None,
                    person=db.session.get(Person, world["person"]),
                    domain=db.session.get(DataDomain, world["domain"]),
                    recipient=db.session.get(Partner, world["partner"]),
                    purpose=Purpose.PLAN,
                    recorded_by=recorded_by,
                    channel=ConsentChannel.ONLINE,
                )
                db.session.commit()
                outcome[who] = "withdrawn"
            except RuleViolation as problem:
                db.session.rollback()
                outcome[who] = problem.code

        return body

    sa.event.listen(db.engine, "after_cursor_execute", both_read)
    try:
        in_threads(
            app,
            withdraw("person", RecordedBy.PERSON),
            withdraw("case_manager", RecordedBy.CASE_MANAGER),
        )
    finally:
        sa.event.remove(db.engine, "after_cursor_execute", both_read)

    assert sorted(outcome.values()) == ["nothing_to_withdraw", "withdrawn"], outcome
    statuses = db.session.scalars(
        sa.select(ConsentEvent.status).where(ConsentEvent.person_id == world["person"])
    ).all()
    assert sorted(status.value for status in statuses) == ["given", "withdrawn"]
    assert verify_chain() is None


# --- two desk members change one request at once --------------------------------------------------


@pytest.fixture
def desk_world(committed):
    """Two desk members and three requests (version 1), committed."""
    first = f.user(Role.PRIVACY_DESK, name="Eerste")
    second = f.user(Role.PRIVACY_DESK, name="Tweede")
    requests = [
        ops.register_request(
            first,
            person=f.person(),
            type=RequestType.ACCESS,
            channel=Channel.DESK,
            received_on=deadlines.today() - timedelta(days=3),
            identity_method=IdentityMethod.DESK_ID_DOCUMENT_SEEN,
        )
        for _ in range(3)
    ]
    db.session.commit()
    return {"first": first.id, "second": second.id, "requests": [r.id for r in requests]}


def assign_to_self(me, request):
    ops.assign_request(me, request, version=1, assignee=me)


def start(me, request):
    ops.start_processing(me, request, version=1)


def race_two_members(app, world, request_id: int, *, read_in_transaction: bool) -> dict:
    """The first member assigns the request to themself, the second starts processing it, both
    from a page that showed version 1, at the same moment. With `read_in_transaction` both also
    load the request inside their transaction and pass the version check before either writes,
    so only the database's conditional UPDATE can stop the second."""
    barrier = threading.Barrier(2, timeout=30)
    outcome: dict = {}

    def member(who, step):
        def body():
            me = db.session.get(User, world[who])
            request = db.session.get(PrivacyRequest, request_id)
            if not read_in_transaction:
                db.session.commit()  # the page was shown; its read transaction has ended
            barrier.wait()
            try:
                step(me, request)
                db.session.commit()
                outcome[who] = "done"
            except RuleViolation as problem:
                db.session.rollback()
                outcome[who] = problem

        return body

    in_threads(app, member("first", assign_to_self), member("second", start))
    return outcome


def assert_one_change_and_a_clear_conflict(world, request_id: int, outcome: dict) -> None:
    assert sorted(outcome, key=str) == ["first", "second"]
    winners = [who for who, result in outcome.items() if result == "done"]
    assert len(winners) == 1, outcome
    (loser,) = {"first", "second"} - set(winners)
    problem = outcome[loser]
    assert isinstance(problem, RuleViolation)
    assert (problem.code, problem.message) == ("stale", ops.STALE_MESSAGE)

    db.session.remove()
    request = db.session.get(PrivacyRequest, request_id)
    kinds = db.session.scalars(
        sa.select(RequestEvent.kind).where(
            RequestEvent.request_id == request_id,
            RequestEvent.kind.in_([EventKind.ASSIGNED, EventKind.PROCESSING_STARTED]),
        )
    ).all()
    # The winner's change is there, the loser's is not, and nothing was written twice.
    if winners == ["first"]:
        assert (request.assignee_id, request.status) == (world["first"], Status.RECEIVED)
        assert kinds == [EventKind.ASSIGNED]
    else:
        assert (request.assignee_id, request.status) == (None, Status.IN_PROGRESS)
        assert kinds == [EventKind.PROCESSING_STARTED]
    assert request.version_id == 2
    assert verify_chain() is None


def test_two_members_submitting_at_once_one_wins_the_other_is_told(app, desk_world):
    for request_id in desk_world["requests"]:
        outcome = race_two_members(app, desk_world, request_id, read_in_transaction=False)
        assert_one_change_and_a_clear_conflict(desk_world, request_id, outcome)


def test_two_members_who_both_passed_the_version_check_one_wins(app, desk_world):
    if sqlite(app):
        pytest.skip(
            "SQLite only: both transactions read the request before either writes. SQLite has no "
            "row locks: of two readers that both want to write, it fails one with 'database is "
            "locked' at once instead of letting it wait, before the version check can speak. "
            "The test above (pages shown, then submitted at once) runs on SQLite."
        )
    for request_id in desk_world["requests"]:
        outcome = race_two_members(app, desk_world, request_id, read_in_transaction=True)
        assert_one_change_and_a_clear_conflict(desk_world, request_id, outcome)


# --- two print runs at once -----------------------------------------------------------------------

LOSER_MESSAGES = ("Deze brief is al door een andere run verstuurd", "Er is al een printrun")


@pytest.fixture
def print_world(committed):
    """Two open cases with three persons in all, committed."""
    regisseur = f.user(Role.PROCESREGISSEUR)
    partner = f.partner(name="Partner Printrun")
    persons = []
    for size in (2, 1):
        case = f.case(procesregisseur=regisseur, team=[partner])
        persons += [f.person(case.household, given_name=f"Lid{n}") for n in range(size)]
    db.session.commit()
    return {
        "email": regisseur.email,
        "regisseur": regisseur.id,
        "persons": sorted(person.id for person in persons),
    }


def two_runs_at_once(app, tmp_path: Path, name: str, email: str) -> list[tuple[int, str]]:
    """Two processes run `letters batch NAME` (tests/crash_worker.py), released together."""
    db.session.remove()
    go = tmp_path / "go"
    numbers = itertools.count(1)
    workers = []
    for _ in range(2):
        n = next(numbers)
        log, ready = tmp_path / f"run-{n}.log", tmp_path / f"ready-{n}"
        argv = ["--db", app.config["SQLALCHEMY_DATABASE_URI"], "--ready", str(ready)]
        argv += ["--go", str(go), "letters-batch", name, email, str(tmp_path / f"run-{n}.pdf")]
        workers.append((crash_worker.start(argv, log), log, ready))
    deadline = time.monotonic() + 60
    while not all(ready.exists() for _p, _l, ready in workers) and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()
    return [crash_worker.finish(process, log) for process, log, _ready in workers]


def assert_each_letter_once(app, world, results, *, tmp_path: Path) -> None:
    total = len(world["persons"])
    for code, output in results:
        clear = any(message in output for message in LOSER_MESSAGES)
        # On SQLite the loser may also be refused by the database lock itself.
        locked = sqlite(app) and "database is locked" in output
        assert code == 0 or (code == 1 and (clear or locked)), output
    assert any(code == 0 and f"{total} of {total} letters" in out for code, out in results)

    letters = letters_consistent()
    assert sorted(letter.person_id for letter in letters) == world["persons"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LetterBatch)) == 1
    # Running it once more: everything was sent already.
    again = app.test_cli_runner().invoke(
        args=["letters", "batch", "maart", "--by", world["email"], "--output",
              str(tmp_path / "again.pdf")]
    )  # fmt: skip
    assert again.exit_code == 0, again.output
    assert f"{total} of {total} letters already sent" in again.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Letter)) == total


def test_two_runs_continuing_one_print_run_send_each_letter_once(app, print_world, tmp_path):
    actor = db.session.get(User, print_world["regisseur"])
    targets = batches.information_targets(actor)
    batches.create_batch(actor, "maart", LetterKind.INFORMATION, "nl", targets)
    db.session.commit()

    results = two_runs_at_once(app, tmp_path, "maart", print_world["email"])

    assert_each_letter_once(app, print_world, results, tmp_path=tmp_path)


def test_two_runs_creating_the_same_print_run_send_each_letter_once(app, print_world, tmp_path):
    results = two_runs_at_once(app, tmp_path, "maart", print_world["email"])

    assert_each_letter_once(app, print_world, results, tmp_path=tmp_path)


def test_two_runs_creating_one_name_at_the_same_moment_one_is_refused_clearly(app, print_world):
    """Both have checked that the name is free before either inserts it: the database's unique
    name decides, and the loser gets the clear refusal, not a database error."""
    if sqlite(app):
        pytest.skip(
            "SQLite only: both transactions read before either writes; SQLite fails one with "
            "'database is locked' at once instead of letting it wait for the unique name. The "
            "print runs above race on SQLite too."
        )
    barrier = threading.Barrier(2, timeout=30)
    outcome: dict = {}

    def both_checked(_conn, _cursor, statement, _params, _context, _many):
        if statement.lstrip().upper().startswith("INSERT INTO LETTER_BATCH "):
            barrier.wait()  # each run passed the name check and is about to insert

    def run(who):
        def body():
            actor = db.session.get(User, print_world["regisseur"])
            targets = batches.information_targets(actor)
            try:
                batches.create_batch(actor, "maart", LetterKind.INFORMATION, "nl", targets)
                db.session.commit()
                outcome[who] = "created"
            except RuleViolation as problem:
                db.session.rollback()
                outcome[who] = problem

        return body

    sa.event.listen(db.engine, "before_cursor_execute", both_checked)
    try:
        in_threads(app, run("first"), run("second"))
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", both_checked)

    assert sorted(map(str, outcome.values())).count("created") == 1, outcome
    (problem,) = [value for value in outcome.values() if value != "created"]
    assert isinstance(problem, RuleViolation)
    assert (problem.code, problem.message) == ("name_taken", "Er is al een printrun met deze naam.")
    db.session.remove()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LetterBatch)) == 1
    assert verify_chain() is None
