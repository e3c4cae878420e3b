"""The privacy-desk dashboard (issue 6, item 7): the queue filtered by type, status and assignee,
paged in deadline order; `working_days_between`; the daily reminder email to assignees
(`flask requests remind`), delivered to a real local SMTP server."""

from __future__ import annotations

import re
from datetime import date

import pytest

from portal.extensions import db
from portal.models import Role
from requests import deadlines, views
from requests import operations as ops
from requests.models import Channel, IdentityMethod, Outcome, RequestType, Status
from tests import factories as f
from tests.test_notices import local_mail_server

TODAY = date(2026, 3, 20)  # a Friday


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(deadlines, "today", lambda: TODAY)
    return TODAY


def register(actor, *, assignee=None, status=None, **overrides):
    values = dict(
        person=f.person(),
        type=RequestType.ACCESS,
        channel=Channel.LETTER,
        received_on=date(2026, 3, 2),
        description="Inzage in mijn dossier",
    )
    values.update(overrides)
    if status is not None:
        values["identity_method"] = IdentityMethod.DIGID
    created = ops.register_request(actor, **values)
    if assignee is not None:
        created.assignee_id = assignee.id
    if status in (Status.IN_PROGRESS, Status.DECIDED):
        ops.start_processing(actor, created, version=created.version_id)
    if status == Status.DECIDED:
        ops.decide_request(
            actor, created, version=created.version_id, outcome=Outcome.REFUSED, reasons="Geen"
        )
    db.session.flush()
    return created


def references(page: str) -> list[str]:
    return re.findall(r'href="/requests/\d+">([^<]+)</a>', page)


# --- working days ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "extra", "expected"),
    [
        (date(2026, 3, 20), date(2026, 3, 20), (), 0),  # the same day
        (date(2026, 3, 20), date(2026, 3, 19), (), 0),  # end before start
        (date(2026, 3, 20), date(2026, 3, 23), (), 1),  # Friday -> Monday: the weekend skipped
        (date(2026, 3, 16), date(2026, 3, 20), (), 4),  # Monday -> Friday
        (date(2026, 3, 20), date(2026, 3, 27), (), 5),  # Friday -> next Friday
        (date(2026, 3, 21), date(2026, 3, 22), (), 0),  # Saturday -> Sunday
        (date(2026, 4, 2), date(2026, 4, 7), (), 1),  # Good Friday 3 and Easter Monday 6 April
        (date(2026, 4, 24), date(2026, 4, 28), (), 1),  # King's Day, Monday 27 April 2026
        (date(2026, 5, 4), date(2026, 5, 6), (), 1),  # Bevrijdingsdag 5 May
        (date(2026, 5, 13), date(2026, 5, 15), (), 1),  # Ascension Day 14 May
        (date(2026, 5, 22), date(2026, 5, 26), (), 1),  # Whit Monday 25 May
        (date(2026, 12, 24), date(2026, 12, 28), (), 1),  # Christmas on Friday, Boxing Day Sat.
        (date(2026, 12, 31), date(2027, 1, 4), (), 1),  # New Year's Day, across the year
        (date(2026, 3, 20), date(2026, 3, 24), (date(2026, 3, 23),), 1),  # an extra holiday
    ],
)
def test_working_days_between(start, end, extra, expected):
    assert deadlines.working_days_between(start, end, extra) == expected


# --- the queue: filters -----------------------------------------------------------------------


@pytest.fixture
def desk_world(seed):
    with seed():
        anna = f.user(Role.PRIVACY_DESK, name="Anna")
        bram = f.user(Role.PRIVACY_DESK, name="Bram")
        refs = {
            "access_anna": register(anna, assignee=anna).reference,
            "erasure_bram": register(
                anna, assignee=bram, type=RequestType.ERASURE, status=Status.IN_PROGRESS
            ).reference,
            "objection_nobody": register(anna, type=RequestType.OBJECTION).reference,
        }
        ids = {"anna": anna.id, "bram": bram.id, "anna_user": anna}
    return ids, refs


def test_the_filter_form_is_on_the_queue(client, auth, desk_world):
    ids, _refs = desk_world
    page = _get(client, auth, ids, "")
    assert 'name="type"' in page and 'name="status"' in page and 'name="assignee"' in page
    assert '<option value="none">Niemand</option>' in page


def _get(client, auth, ids, query: str, status: int = 200) -> str:
    auth.login(ids["anna_user"])
    response = client.get(f"/requests{query}")
    assert response.status_code == status
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"access_anna", "erasure_bram", "objection_nobody"}),
        ("?type=erasure", {"erasure_bram"}),
        ("?status=received", {"access_anna", "objection_nobody"}),
        ("?status=in_progress", {"erasure_bram"}),
        ("?assignee=none", {"objection_nobody"}),
        ("?type=access&status=received", {"access_anna"}),
        ("?type=objection&assignee=none", {"objection_nobody"}),
        ("?type=erasure&status=received", set()),
    ],
)
def test_the_queue_filters_by_type_status_and_assignee(client, auth, desk_world, query, expected):
    ids, refs = desk_world
    page = _get(client, auth, ids, query)
    assert set(references(page)) == {refs[name] for name in expected}
    assert "Dit filter klopt niet" not in page


def test_the_queue_filters_by_one_assignee(client, auth, desk_world):
    ids, refs = desk_world
    page = _get(client, auth, ids, f"?assignee={ids['bram']}")
    assert references(page) == [refs["erasure_bram"]]


@pytest.mark.parametrize(
    "query",
    [
        "?type=nonsense",
        "?status=closed",  # finished requests are never in the queue
        "?assignee=99999",
        "?assignee=abc",
        "?type=access&status=%00",
    ],
)
def test_an_invalid_filter_shows_the_whole_queue_with_a_message(client, auth, desk_world, query):
    ids, refs = desk_world
    page = _get(client, auth, ids, query)
    assert "Dit filter klopt niet. U ziet alle lopende verzoeken." in page
    assert set(references(page)) == set(refs.values())


# --- the queue: pages ------------------------------------------------------------------------


def test_the_queue_is_paged_in_deadline_order(client, auth, seed, monkeypatch):
    monkeypatch.setattr(views, "QUEUE_PAGE_SIZE", 3)
    with seed():
        anna = f.user(Role.PRIVACY_DESK, name="Anna")
        made = [register(anna, received_on=date(2026, 3, day)) for day in (10, 2, 16, 4, 12, 6, 9)]
        ordered = [r.reference for r in sorted(made, key=lambda r: (r.deadline, r.id))]
        ids = {"anna": anna.id, "anna_user": anna}
    first = _get(client, auth, ids, "")
    second = _get(client, auth, ids, "?page=2")
    third = _get(client, auth, ids, "?page=3")
    assert references(first) == ordered[:3]
    assert references(second) == ordered[3:6]
    assert references(third) == ordered[6:]
    assert "Pagina 2 van 3 (7 verzoeken)" in second
    assert 'rel="next" href="/requests?page=2"' in first and 'rel="prev"' not in first
    # Out of range or not a number: the nearest page, never an error.
    assert references(_get(client, auth, ids, "?page=99")) == ordered[6:]
    assert references(_get(client, auth, ids, "?page=abc")) == ordered[:3]
    assert references(_get(client, auth, ids, "?page=-4")) == ordered[:3]


def test_the_page_links_keep_the_filter(client, auth, seed, monkeypatch):
    monkeypatch.setattr(views, "QUEUE_PAGE_SIZE", 1)
    with seed():
        anna = f.user(Role.PRIVACY_DESK, name="Anna")
        for _ in range(2):
            register(anna, type=RequestType.ERASURE)
        register(anna)
        ids = {"anna": anna.id, "anna_user": anna}
    page = _get(client, auth, ids, "?type=erasure")
    assert "Pagina 1 van 2 (2 verzoeken)" in page
    assert 'href="/requests?page=2&amp;type=erasure"' in page


# --- the reminder -----------------------------------------------------------------------------


@pytest.fixture
def mailbox(app, monkeypatch):
    with local_mail_server(app, monkeypatch) as server:
        server.start()
        yield server


def test_remind_emails_each_assignee_their_requests_due_within_5_working_days(app, seed, mailbox):
    with seed():
        anna = f.user(Role.PRIVACY_DESK, name="Anna", email="anna@desk.example")
        bram = f.user(Role.PRIVACY_DESK, name="Bram", email="bram@desk.example")
        f.user(Role.PRIVACY_DESK, name="Cor", email="cor@desk.example")  # nothing due
        # Deadlines (one month, then the next working day): received 27 Feb -> Fri 27 March,
        # 5 working days after Fri 20 March; 2 March -> Thu 2 April (9 working days: not due);
        # 10 Feb -> 10 March (overdue).
        due = register(anna, assignee=anna, received_on=date(2026, 2, 27))
        not_yet = register(anna, assignee=anna, received_on=date(2026, 3, 2))
        late = register(anna, assignee=bram, received_on=date(2026, 2, 10))
        nobody = register(anna, received_on=date(2026, 2, 26))
        answered = register(
            anna, assignee=bram, received_on=date(2026, 2, 25), status=Status.DECIDED
        )
        assert (due.deadline, not_yet.deadline) == (date(2026, 3, 27), date(2026, 4, 2))
        refs = {
            "due": due.reference,
            "not_yet": not_yet.reference,
            "late": late.reference,
            "nobody": nobody.reference,
            "answered": answered.reference,
        }
    result = app.test_cli_runner().invoke(args=["requests", "remind", "--today", "2026-03-20"])
    assert result.exit_code == 0, result.output
    sent = {rcpt[0]: message for rcpt, message in mailbox.messages}
    assert set(sent) == {"anna@desk.example", "bram@desk.example"}
    to_anna = sent["anna@desk.example"].get_content()
    assert refs["due"] in to_anna and "uiterlijk 2026-03-27" in to_anna
    assert refs["not_yet"] not in to_anna and refs["late"] not in to_anna
    to_bram = sent["bram@desk.example"].get_content()
    assert refs["late"] in to_bram and "(te laat)" in to_bram
    assert refs["answered"] not in to_bram  # decided: the clock no longer runs
    assert sent["anna@desk.example"]["Subject"] == (
        "AVG-verzoeken met een termijn binnen 5 werkdagen (1)"
    )
    # No assignee: to no one, listed on the command line.
    assert f"zonder behandelaar: {refs['nobody']}" in result.output
    assert all(refs["nobody"] not in m.get_content() for _r, m in mailbox.messages)


def test_remind_with_the_mail_server_down_says_so_and_fails(app, seed, monkeypatch):
    with seed():
        anna = f.user(Role.PRIVACY_DESK, name="Anna", email="anna@desk.example")
        register(anna, assignee=anna, received_on=date(2026, 2, 27))
    with local_mail_server(app, monkeypatch):  # never started
        result = app.test_cli_runner().invoke(args=["requests", "remind", "--today", "2026-03-20"])
    assert result.exit_code == 1
    assert "niet verstuurd aan anna@desk.example" in result.output


def test_remind_refuses_a_bad_date(app):
    result = app.test_cli_runner().invoke(args=["requests", "remind", "--today", "20-03-2026"])
    assert result.exit_code == 2
    assert "--today" in result.output


def test_decided_requests_come_after_those_still_to_answer_and_finished_ones_not_at_all(
    client, auth, seed
):
    with seed():
        anna = f.user(Role.PRIVACY_DESK, name="Anna")
        answered = register(anna, received_on=date(2026, 1, 5), status=Status.DECIDED)
        late = register(anna, received_on=date(2026, 2, 2), status=Status.IN_PROGRESS)
        fresh = register(anna, received_on=date(2026, 3, 16))
        withdrawn = register(anna, received_on=date(2026, 1, 2))
        ops.withdraw_request(anna, withdrawn, version=withdrawn.version_id)
        refs = [r.reference for r in (late, fresh, answered)]
        gone = withdrawn.reference
        ids = {"anna": anna.id, "anna_user": anna}
    page = _get(client, auth, ids, "")
    # The decided request has the earliest deadline but waits only to be closed.
    assert references(page) == refs
    assert gone not in page


def test_the_queue_query_is_served_by_its_partial_index(ctx):
    """The statuses are literals in the SQL (PrivacyRequest.not_finished), so the planner can
    use ix_privacy_request_queue for both the filter and the order, even in a generic plan."""
    statement = views.queue_query([]).limit(views.QUEUE_PAGE_SIZE)
    sql = str(
        statement.compile(db.engine, compile_kwargs={"render_postcompile": True})
    )
    assert "NOT IN ('closed', 'withdrawn')" in sql
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        connection.exec_driver_sql("SET LOCAL enable_sort = off")
        compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
        plan = "\n".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {compiled}"))
    else:
        compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
        plan = "\n".join(
            str(row[-1]) for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")
        )
    assert "ix_privacy_request_queue" in plan
    assert "Sort" not in plan and "TEMP B-TREE" not in plan.upper()
