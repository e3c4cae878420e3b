"""Benchmark of the privacy-desk dashboard (issue 6, *Speed*). Not a test: prints figures, exit 0.

1. Drops and makes a PostgreSQL database (DATABASE_URL, default
   postgresql+psycopg://postgres@127.0.0.1:5432/bench_dashboard; the name must contain "bench").
2. Loads 100,000 privacy requests (executemany of Core inserts) for a few persons.
3. Measures in the same run: the queue view's server time (test client GET as a privacy-desk
   user, median of N) against the raw SQL the view needs (median of N): goal <= 3x and <= 100 ms;
   and the access report of one person with 10,000 audit rows: goal <= 2 s.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import psycopg
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_dashboard"


def fresh_database(url: sa.URL) -> None:
    if "bench" not in (url.database or ""):
        sys.exit(
            f"Refusing to drop {url.database!r}: the bench database name must contain 'bench'."
        )
    admin = url.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{url.database}"')


def median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--audit", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--json", type=Path, help="also write the figures here (bench/README.md)")
    args = parser.parse_args()

    url = sa.make_url(os.environ.get("DATABASE_URL", DEFAULT_URL))
    fresh_database(url)

    from portal import create_app
    from portal.audit import Action, record
    from portal.extensions import db
    from portal.models import Role
    from requests import access_report, views
    from requests import operations as ops
    from requests.models import (
        Channel,
        FiledBy,
        IdentityMethod,
        PrivacyRequest,
        RequestType,
        Status,
    )
    from tests import factories as f

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url.render_as_string(hide_password=False),
            "WTF_CSRF_ENABLED": False,
            "TESTING": True,
        }
    )
    rng = random.Random(20260320)
    with app.app_context():
        db.create_all()
        desk = [f.user(Role.PRIVACY_DESK, name=f"Desk {n}") for n in range(5)]
        persons = [f.person() for _ in range(20)]
        db.session.flush()
        subject = ops.register_request(
            desk[0],
            person=persons[0],
            type=RequestType.ACCESS,
            channel=Channel.LETTER,
            received_on=date(2026, 3, 2),
            description="Inzage",
        )
        db.session.commit()
        desk_id, subject_id = desk[0].id, subject.id

        start = time.perf_counter()
        statuses = [Status.RECEIVED, Status.IN_PROGRESS]  # all open: the worst case
        rows = []
        for n in range(args.requests):
            received = date(2025, 1, 1) + timedelta(days=rng.randrange(450))
            status = rng.choice(statuses)
            rows.append(
                dict(
                    type=rng.choice(list(RequestType)),
                    person_id=persons[n % len(persons)].id,
                    filed_by=FiledBy.SUBJECT,
                    channel=Channel.LETTER,
                    received_on=received,
                    status=status,
                    identity_method=None,
                    identity_established_on=None,
                    registered_by_id=desk[0].id,
                    deadline=received + timedelta(days=31),
                    assignee_id=rng.choice([None, *[u.id for u in desk]]),
                    language="nl",
                    version_id=1,
                )
            )
        # In progress needs an established identity (check constraint).
        for row in rows:
            if row["status"] is not Status.RECEIVED:
                row["identity_method"] = IdentityMethod.DIGID
                row["identity_established_on"] = row["received_on"]
        db.session.execute(sa.insert(PrivacyRequest.__table__), rows)
        db.session.commit()
        load_requests = time.perf_counter() - start

        start = time.perf_counter()
        for _ in range(args.audit):
            record(
                Action.READ,
                user=desk[0],
                processing_activity="bench",
                purpose="bench",
                person_id=persons[0].id,
            )
        db.session.commit()
        load_audit = time.perf_counter() - start
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()

    client = app.test_client()
    with app.app_context():
        from portal.models import User
        from tests.conftest import Auth

        Auth(app, client).login(db.session.get(User, desk_id))
    probe = client.get("/requests")
    if probe.status_code != 200:
        sys.exit(f"queue answered {probe.status_code}: sign-in in the bench needs updating")

    def view():
        response = client.get("/requests")
        assert response.status_code == 200

    with app.app_context():
        raw_sql = views.queue_query([]).limit(views.QUEUE_PAGE_SIZE)

        def raw():
            with db.engine.connect() as conn:
                conn.execute(raw_sql).all()  # plain rows, no ORM objects
                conn.execute(
                    sa.select(sa.func.count())
                    .select_from(PrivacyRequest)
                    .where(PrivacyRequest.not_finished())
                ).scalar()

        view()
        raw()
        view_ms = median_ms(view, args.runs)
        raw_ms = median_ms(raw, args.runs)

        request_obj = db.session.get(PrivacyRequest, subject_id)
        report_ms = median_ms(lambda: access_report.compile_report(request_obj), 3)
        db.session.rollback()

    print(
        f"loaded {args.requests:,} requests in {load_requests:.1f} s, "
        f"{args.audit:,} audit rows in {load_audit:.1f} s"
    )
    print(f"{'measure':<34}{'value':>12}{'goal':>12}  met")
    ratio = view_ms / raw_ms
    measures = [
        ("queue view (median ms)", view_ms, 100, "ms"),
        ("raw SQL (median ms)", raw_ms, None, "ms"),
        ("view / raw SQL", ratio, 3, "x"),
        ("access report, 10k audit (ms)", report_ms, 2000, "ms"),
    ]
    for name, value, goal, unit in measures:
        met = "" if goal is None else ("yes" if value <= goal else "NO")
        goal_text = "" if goal is None else f"<= {goal}{unit}"
        print(f"{name:<34}{value:>12.1f}{goal_text:>12}  {met}")
    if args.json:
        write_json(args, measures, load_requests, load_audit)


def write_json(args, measures, load_requests: float, load_audit: float) -> None:
    """The figures in the format bench/run_all.py collects (bench/README.md)."""
    import json

    goals = {
        "queue view (median ms)": "Desk queue server time at {n:,} open requests <= 100 ms",
        "view / raw SQL": "Desk queue <= 3 x the raw SQL it needs, same run",
        "access report, 10k audit (ms)": "Access report, person with {audit:,} audit rows <= 2 s",
    }
    result = {
        "bench": "dashboard",
        "title": "Privacy-desk queue and access report (issue 6)",
        "rows": [
            ["open requests", f"{args.requests:,}"],
            ["audit rows of the report's person", f"{args.audit:,}"],
            ["runs per measurement (median)", str(args.runs)],
            ["load time", f"{load_requests:.1f} s requests, {load_audit:.1f} s audit rows"],
        ]
        + [[name, f"{value:.1f}"] for name, value, _goal, _unit in measures],
        "goals": [
            {
                "text": goals[name].format(n=args.requests, audit=args.audit),
                "measured": f"{value:.1f} {unit}" if unit == "ms" else f"{value:.2f} x",
                "met": value <= goal,
            }
            for name, value, goal, unit in measures
            if goal is not None
        ],
        "notes": [
            "Every request is open (the worst case for the queue). The queue pages in SQL through "
            "the partial index ix_privacy_request_queue; the count of open requests is the "
            "largest part of the raw SQL.",
            "Server time is measured through Flask's test client in the bench process, signed "
            "in as a privacy-desk member; raw SQL is the page query and the count on one "
            "connection, rows not turned into objects.",
        ],
    }
    args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
