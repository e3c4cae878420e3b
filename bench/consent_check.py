"""Benchmark of the check API (issue 3, *Speed*). Not a test: run by hand or by `make bench`.

    .venv/bin/python bench/consent_check.py            # ledgers of 10,000 and 1,000,000 events
    .venv/bin/python bench/consent_check.py --json out.json

What it does:
1. builds a fresh PostgreSQL database (DATABASE_URL, default
   postgresql+psycopg://postgres@127.0.0.1:5432/bench_consent; its name must contain "bench",
   because it is dropped and made again) with two schemas, a small and a large ledger;
2. loads each with COPY: households, persons, cases with their teams, legal-basis records and
   consent events (10,000 and 1,000,000 events; about 20 per person, over 3-6 partners per
   case, 8 domains and 3 purposes; grants, refusals, withdrawals, expiries);
3. serves each ledger with its own gunicorn on a free 127.0.0.1 port, the same app with a bare
   Flask endpoint under /bare in the same workers (bench/bare_app.py);
4. drives them with bench/loadgen.py, a separate process on the system python3 in isolated mode
   (standard library only, raw HTTP/1.1 keep-alive sockets), in rounds that take turns between
   the two ledgers so that other load on the machine hits both alike; each measurement is
   bounded in time and number of requests;
5. profiles the workers with py-spy while the check runs on the large ledger (a measurement of
   its own, not counted), and reports where the request time goes;
6. prints throughput and latency, and the ratios the issue asks for: check throughput >= 0.5 x
   the bare endpoint, and check latency at 1 M events <= 1.3 x its latency at 10 k. The line
   "portal, no DB" (the check without a key: 401 through the portal's full request handling, no
   query) shows how much of the distance to the bare endpoint is the web stack itself.

Always exits 0 when the run completes, goals met or not.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
import sqlalchemy as sa
from common import (
    Report,
    Sample,
    add_json_argument,
    fmt_ratio,
    free_port,
    fresh_database,
    loadgen_version,
    run_loadgen,
    start_gunicorn,
    start_profile,
    stop_server,
    summarize_profile,
)
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_consent"
DOMAINS = [
    ("wonen", "Wonen", "Housing"),
    ("financien", "Financiën en schulden", "Finances and debts"),
    ("werk_inkomen", "Werk en inkomen", "Work and income"),
    ("gezondheid", "Gezondheid en GGZ", "Health and mental health"),
    ("jeugd", "Jeugd en opvoeding", "Youth and parenting"),
    ("onderwijs", "Onderwijs", "Education"),
    ("veiligheid", "Veiligheid en justitie", "Safety and justice"),
    ("ondersteuning", "Maatschappelijke ondersteuning", "Social support"),
]
PARTNERS = 18
PURPOSES = ("plan", "regie", "overlast")
EVENTS_PER_PERSON = (10, 30)  # uniform: 20 on average
PERSONS_PER_HOUSEHOLD = 2
TEAM_SIZE = (3, 6)
NOW = datetime.now(UTC).replace(microsecond=0)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=10_000, help="events in the small ledger")
    parser.add_argument("--large", type=int, default=1_000_000, help="events in the large ledger")
    parser.add_argument("--rounds", type=int, default=3, help="turns over both ledgers")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measurement")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds before measuring")
    parser.add_argument(
        "--first-warmup", type=float, default=5.0, help="warm-up of the first round (cold caches)"
    )
    parser.add_argument("--max-requests", type=int, default=200_000, help="per measurement")
    parser.add_argument("--concurrency", type=int, default=8, help="open connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (gthread)")
    parser.add_argument("--seed", type=int, default=20260303)
    parser.add_argument(
        "--profile", type=float, default=8.0, help="seconds of py-spy on the check (0: none)"
    )
    parser.add_argument(
        "--no-diagnose",
        dest="diagnose",
        action="store_false",
        help="skip the diagnostic run with synchronous_commit=off",
    )
    add_json_argument(parser)
    return parser.parse_args()


# --- database ---------------------------------------------------------------------------------


@dataclass
class Reference:
    partners: list[int]
    domains: dict[int, str]  # id -> code
    regisseur: int
    keys: dict[int, str]  # partner id -> API key


def search_path(schema: str) -> dict:
    return {"connect_args": {"options": f"-csearch_path={schema}"}}


def create_schema_and_reference(conninfo: str, settings: dict, schema: str) -> Reference:
    from consent.apikeys import create_api_key
    from portal import create_app
    from portal.extensions import db
    from portal.models import DataDomain, Participation, Partner, Role, User

    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    app = create_app({**settings, "SQLALCHEMY_ENGINE_OPTIONS": search_path(schema)})
    with app.app_context():
        db.create_all()
        partners = [
            Partner(
                code=f"partner_{n:02d}", name=f"Partner {n:02d}", participation=Participation.CORE
            )
            for n in range(1, PARTNERS + 1)
        ]
        domains = [DataDomain(code=c, name_nl=nl, name_en=en) for c, nl, en in DOMAINS]
        db.session.add_all(partners + domains)
        db.session.flush()
        regisseur = User(
            email="regisseur@bench.example",
            name="Procesregisseur",
            password_hash="-",
            role=Role.PROCESREGISSEUR,
            partner=partners[0],
            vog_date=date(2025, 1, 1),
        )
        db.session.add(regisseur)
        db.session.flush()
        keys = {p.id: create_api_key(None, p, "bench")[1] for p in partners}
        reference = Reference(
            partners=[p.id for p in partners],
            domains={d.id: d.code for d in domains},
            regisseur=regisseur.id,
            keys=keys,
        )
        db.session.commit()
        db.session.remove()
    db.engine.dispose()
    return reference


@dataclass
class Population:
    next_household: int = 1
    next_person: int = 1
    events: int = 0
    persons: list[tuple[int, list[int]]] = field(default_factory=list)  # (person, team)
    decided_keys: list[tuple[int, int, int, str]] = field(default_factory=list)


def _sequence(rng: random.Random) -> list[tuple[str, datetime, datetime | None]]:
    """The decisions on one key over time: a grant or refusal, maybe withdrawn, given again..."""
    moment = NOW - timedelta(days=rng.uniform(30, 1100))
    status = "given" if rng.random() < 0.8 else "refused"
    events = []
    for _ in range(4):
        expires = None
        if status == "given" and rng.random() < 0.1:
            expires = moment + timedelta(days=rng.uniform(30, 700))
        events.append((status, moment, expires))
        if expires is not None and expires < NOW:
            events.append(("expired", expires, None))
            break
        if rng.random() > 0.35:
            break
        moment += timedelta(days=rng.uniform(1, 200))
        if moment >= NOW:
            break
        status = {"given": "withdrawn", "withdrawn": "given", "refused": "given"}[status]
    return events


def load(
    conninfo: str,
    schema: str,
    ref: Reference,
    population: Population,
    target: int,
    rng: random.Random,
) -> None:
    """Add households, persons, cases and consent events until the ledger holds `target` events."""
    households, persons, cases, teams, bases, events = [], [], [], [], [], []
    sealed = Fernet(FERNET_KEY).encrypt(b"Alleen wat nodig is voor het plan van aanpak.")
    domain_ids = list(ref.domains)
    while population.events + len(events) < target:
        household = population.next_household
        population.next_household += 1
        households.append(
            (household, "Benchstraat", str(household), "6541AA", "Nijmegen", "Hatert", NOW)
        )
        team = rng.sample(ref.partners, rng.randint(*TEAM_SIZE))
        cases.append(
            (
                household,
                f"RT-B-{household:07d}",
                household,
                5,
                "pick_up",
                ref.regisseur,
                date(2025, 1, 6),
            )
        )
        teams.extend((household, partner) for partner in team)
        bases.append(
            (
                household,
                5,
                rng.choice(team),
                rng.choice(domain_ids),
                rng.choice(PURPOSES),
                "public_task",
                "Wmo 2015 art. 2.3.2",
                sealed,
                sealed,
                ref.regisseur,
                NOW - timedelta(days=200),
            )
        )
        for _ in range(PERSONS_PER_HOUSEHOLD):
            person = population.next_person
            population.next_person += 1
            persons.append((person, household, "Sam", f"Bench{person}", date(1980, 5, 1), NOW))
            population.persons.append((person, team))
            wanted = rng.randint(*EVENTS_PER_PERSON)
            made = 0
            seen = set()
            while made < wanted and population.events + len(events) < target:
                key = (rng.choice(domain_ids), rng.choice(team), rng.choice(PURPOSES))
                if key in seen:
                    continue
                seen.add(key)
                population.decided_keys.append((person, *key))
                for status, moment, expires in _sequence(rng):
                    events.append(
                        (
                            person,
                            key[0],
                            key[1],
                            key[2],
                            status,
                            moment,
                            moment + timedelta(minutes=1),
                            "case_manager",
                            "bemoeizorg_conversation",
                            "info-2024-01" if status == "given" else None,
                            expires,
                        )
                    )
                    made += 1
    events = events[: target - population.events]
    with psycopg.connect(conninfo) as conn:
        # The rows are consistent by construction; skipping the foreign-key triggers makes COPY of
        # a million rows take seconds instead of a minute.
        conn.execute("SET session_replication_role = replica")
        conn.execute(f"SET search_path TO {schema}")
        with conn.cursor() as cur:
            _copy(
                cur, "household", "id street house_number postcode city wijk created_at", households
            )
            _copy(
                cur,
                "person",
                "id household_id given_name family_name birth_date created_at",
                persons,
            )
            _copy(
                cur,
                "regie_case",
                "id reference household_id phase decision procesregisseur_id opened_on",
                cases,
            )
            _copy(cur, "case_team", "case_id partner_id", teams)
            _copy(
                cur,
                "legal_basis",
                "case_id phase partner_id domain_id purpose basis statute proportionality "
                "subsidiarity recorded_by_id recorded_at",
                bases,
            )
            _copy(
                cur,
                "consent_event",
                "person_id domain_id recipient_id purpose status effective_at recorded_at "
                "recorded_by channel information_version expires_at",
                events,
            )
            for table in ("household", "person", "regie_case"):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
        conn.commit()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    population.events += len(events)


def _copy(cur, table: str, columns: str, rows: list) -> None:
    with cur.copy(f"COPY {table} ({', '.join(columns.split())}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def check_requests(ref: Reference, population: Population, rng: random.Random) -> list[list]:
    """A realistic mix: 70 % keys with decisions on record (grants, refusals, withdrawals), 30 %
    keys without (these fall through to the legal-basis register), 10 % asking about a past
    moment. Each asks as a partner on the person's case team, with that partner's key. Entries
    in bench/loadgen.py's pool format."""
    requests = []
    domain_ids = list(ref.domains)
    for _ in range(20_000):
        if rng.random() < 0.7:
            person, domain, partner, purpose = rng.choice(population.decided_keys)
        else:
            person, team = rng.choice(population.persons)
            domain, partner = rng.choice(domain_ids), rng.choice(team)
            purpose = rng.choice(PURPOSES)
        query = f"person={person}&domain={ref.domains[domain]}&purpose={purpose}"
        if rng.random() < 0.1:
            moment = NOW - timedelta(days=rng.uniform(1, 1000))
            query += "&at=" + moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        headers = {"Authorization": f"Bearer {ref.keys[partner]}"}
        requests.append(["check", "GET", f"/api/v1/check?{query}", headers, 200])
    return requests


# --- measuring --------------------------------------------------------------------------------

FERNET_KEY = Fernet.generate_key()
LOOKUP_KEY = secrets.token_urlsafe(32)
BARE = [["bare", "GET", "/bare/", {}, 200]]
NO_KEY = [
    ["portal, no DB (401)", "GET", "/api/v1/check?person=1&domain=wonen&purpose=plan", {}, 401]
]
KINDS = ("bare", "portal, no DB (401)", "check")
# Frames whose share of the worker threads' request time the profile reports (function, file).
PROFILE_FOCUS = {
    "the whole Flask app (wsgi_app)": ("wsgi_app", "flask/app.py"),
    "API key: authenticate": ("authenticate", "consent/apikeys.py"),
    "consent.check.may (the ledger)": ("may", "consent/check.py"),
    "audit.record (the entry's insert)": ("record", "portal/audit.py"),
    "session commit (the audit row's transaction)": ("commit", "sqlalchemy/orm/session.py"),
    "  of which audit.seal (numbering and hashing)": ("seal", "portal/audit.py"),
    "    of which _lock_chain (trying the chain's lock)": ("_lock_chain", "portal/audit.py"),
}


@dataclass
class Ledger:
    name: str
    schema: str
    size: int
    port: int = 0
    server: object = None
    requests: list = field(default_factory=list)
    results: dict[str, Sample] = field(default_factory=dict)


def loadgen_spec(port: int, pool: list, args, warmup: float, duration: float, seed: int) -> dict:
    return {
        "host": "127.0.0.1",
        "port": port,
        "warmup": warmup,
        "duration": duration,
        "max_requests": args.max_requests,
        "seed": seed,
        "pick": "random",
        "pools": {"main": pool},
        "connections": [{"pool": "main"}] * args.concurrency,
    }


def measure(ledger: Ledger, kind: str, pool: list, args, warmup: float, cpu: list) -> None:
    result = run_loadgen(loadgen_spec(ledger.port, pool, args, warmup, args.duration, args.seed))
    cpu.append(result["cpu_seconds"] / result["seconds"])
    entry = result["labels"].get(kind) or {
        "latencies_ms": [],
        "statuses": {},
        "expected": pool[0][4],
    }
    sample = Sample()
    sample.add(entry, result["seconds"])
    ledger.results.setdefault(kind, Sample()).add(entry, result["seconds"])
    print(
        f"  {kind + ' [' + ledger.name + ']':<28} {sample.count:>7} requests in "
        f"{result['seconds']:4.1f} s: {sample.throughput:6.0f}/s, p50 {sample.quantile(0.5):6.2f} "
        f"ms, p95 {sample.quantile(0.95):6.2f} ms, unexpected status: {sample.failures}"
        + (f"; errors: {result['errors'][:2]}" if result["errors"] else ""),
        flush=True,
    )


def profile_check(ledger: Ledger, args, log_folder: str) -> list[str]:
    """Profile the workers with py-spy while the check runs (a measurement of its own: sampling
    costs time, so these requests are not counted in the figures)."""
    output = Path(log_folder) / f"profile-{ledger.name}.txt"
    profiler = start_profile(ledger.server.pid, args.profile + 1, output)
    if profiler is None:
        return [
            "profile: py-spy is not installed (.venv/bin/pip install 'py-spy>=0.4,<0.5'); "
            "no profile of the check worker"
        ]
    time.sleep(1.0)  # attaching to the workers
    run_loadgen(loadgen_spec(ledger.port, ledger.requests, args, 0, args.profile, args.seed + 7))
    try:
        _, errors = profiler.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        profiler.kill()
        return ["profile: py-spy did not finish"]
    if profiler.returncode != 0:
        return [f"profile: py-spy failed ({profiler.returncode}): {errors.strip()[-300:]}"]
    focus = {label: needle for label, needle in PROFILE_FOCUS.items()}
    return summarize_profile(output, focus)


def diagnose(ledger: Ledger, env: dict, args, log) -> dict[str, Sample]:
    """What limits the check: the same large ledger served by a third gunicorn whose database
    connections commit without waiting for the WAL flush (synchronous_commit=off, a diagnostic
    setting, never the portal's). If the check gains much, the time to commit under the audit
    chain's lock is what bounds it."""
    print("Diagnostic: the check [large] with synchronous_commit=off", flush=True)
    probe = Ledger("large, synchronous_commit=off", ledger.schema, ledger.size)
    probe.port = free_port()
    probe.server = start_gunicorn(
        dict(env, BENCH_SCHEMA=ledger.schema, BENCH_PG_OPTIONS="-csynchronous_commit=off"),
        probe.port,
        args.workers,
        args.threads,
        log,
    )
    try:
        for kind, pool in (("bare", BARE), ("check", ledger.requests)):
            measure(probe, kind, pool, args, args.first_warmup if kind == "check" else 1, [])
    finally:
        stop_server(probe.server)
    return probe.results


def main() -> int:
    args = parse_args()
    url = sa.make_url(os.environ.get("DATABASE_URL", DEFAULT_URL))
    rng = random.Random(args.seed)
    print(f"Database {url.render_as_string()} (made fresh); {os.cpu_count()} CPUs", flush=True)
    conninfo = fresh_database(url)
    settings = {
        "SQLALCHEMY_DATABASE_URI": url.render_as_string(hide_password=False),
        "ENCRYPTION_KEYS": [FERNET_KEY.decode()],
        "LOOKUP_KEY": LOOKUP_KEY,
        "SECRET_KEY": secrets.token_urlsafe(32),
    }
    ledgers = [
        Ledger("small", "ledger_small", args.small),
        Ledger("large", "ledger_large", args.large),
    ]
    loaded = []
    for ledger in ledgers:
        started = time.perf_counter()
        ref = create_schema_and_reference(conninfo, settings, ledger.schema)
        population = Population()
        load(conninfo, ledger.schema, ref, population, ledger.size, rng)
        ledger.requests = check_requests(ref, population, rng)
        loaded.append(
            f"{ledger.name} ledger: {population.events:,} events, "
            f"{len(population.persons):,} persons, {population.next_household - 1:,} cases, "
            f"loaded in {time.perf_counter() - started:.1f} s"
        )
        print(loaded[-1], flush=True)

    log_folder = tempfile.mkdtemp(prefix="bench-consent-")
    log = open(Path(log_folder) / "gunicorn.log", "w+")  # noqa: SIM115 - closed at the end
    env = {
        "DATABASE_URL": url.render_as_string(hide_password=False),
        "PORTAL_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "ENCRYPTION_KEYS": FERNET_KEY.decode(),
        "LOOKUP_KEY": LOOKUP_KEY,
        "PORTAL_DEMO": "0",
    }
    cpu: list[float] = []
    profile: list[str] = []
    diagnostic: dict[str, Sample] = {}
    try:
        for ledger in ledgers:
            ledger.port = free_port()
            ledger.server = start_gunicorn(
                dict(env, BENCH_SCHEMA=ledger.schema),
                ledger.port,
                args.workers,
                args.threads,
                log,
            )
        print(
            f"gunicorn per ledger: {args.workers} workers x {args.threads} threads (gthread); "
            f"load: {loadgen_version()}, {args.concurrency} keep-alive connections, "
            f"{args.warmup:g} s warm-up + {args.duration:g} s per measurement, {args.rounds} "
            f"rounds; logs in {log_folder}",
            flush=True,
        )
        for round_number in range(1, args.rounds + 1):
            print(f"Round {round_number}", flush=True)
            warmup = args.first_warmup if round_number == 1 else args.warmup
            for ledger in ledgers:
                for kind, pool in zip(KINDS, (BARE, NO_KEY, ledger.requests), strict=True):
                    measure(ledger, kind, pool, args, warmup, cpu)
        if args.diagnose:
            diagnostic = diagnose(ledgers[-1], env, args, log)
        if args.profile > 0:
            print(f"Profiling the check [large] for {args.profile:g} s with py-spy", flush=True)
            profile = profile_check(ledgers[-1], args, log_folder)
    finally:
        for ledger in ledgers:
            if ledger.server is not None:
                stop_server(ledger.server)
        log.close()
    report(ledgers, args, loaded, cpu, profile, diagnostic).write(args.json)
    return 0


def report(
    ledgers: list[Ledger],
    args,
    loaded: list[str],
    cpu: list[float],
    profile: list[str],
    diagnostic: dict[str, Sample],
) -> Report:
    result = Report(
        "consent_check",
        "Check API under load (issue 3): GET /api/v1/check against a bare Flask endpoint",
    )
    for ledger in ledgers:
        for kind in KINDS:
            sample = ledger.results[kind]
            result.row(
                f"{kind} [{ledger.size:,} events]",
                f"{sample.throughput:,.0f} req/s; p50 {sample.quantile(0.5):.2f} ms, "
                f"p95 {sample.quantile(0.95):.2f} ms, p99 {sample.quantile(0.99):.2f} ms; "
                f"unexpected status {sample.failures}",
            )
    small, large = ledgers
    for ledger in ledgers:
        check, bare = ledger.results["check"], ledger.results["bare"]
        floor = ledger.results["portal, no DB (401)"]
        result.row(
            f"throughput check / bare [{ledger.size:,}]",
            fmt_ratio(check.throughput / bare.throughput),
        )
        result.row(
            f"throughput portal, no DB / bare [{ledger.size:,}]",
            fmt_ratio(floor.throughput / bare.throughput),
        )
    growth = {
        q: large.results["check"].quantile(q) / small.results["check"].quantile(q)
        for q in (0.5, 0.95)
    }
    result.row(
        f"check latency {large.size:,} / {small.size:,}",
        f"p50 {fmt_ratio(growth[0.5])}, p95 {fmt_ratio(growth[0.95])}",
    )
    result.row(
        f"check throughput {large.size:,} / {small.size:,}",
        fmt_ratio(large.results["check"].throughput / small.results["check"].throughput),
    )
    ratio = large.results["check"].throughput / large.results["bare"].throughput
    result.goal(
        f"check throughput >= 0.5 x bare Flask ({large.size:,} events)",
        fmt_ratio(ratio),
        ratio >= 0.5,
    )
    ratio = small.results["check"].throughput / small.results["bare"].throughput
    result.goal(
        f"check throughput >= 0.5 x bare Flask ({small.size:,} events)",
        fmt_ratio(ratio),
        ratio >= 0.5,
    )
    for q, name in ((0.5, "p50"), (0.95, "p95")):
        result.goal(
            f"check latency {name} at {large.size:,} events <= 1.3 x at {small.size:,}",
            fmt_ratio(growth[q]),
            growth[q] <= 1.3,
        )
    result.note(
        f"Setup: {'; '.join(loaded)}. gunicorn gthread, {args.workers} workers x {args.threads} "
        f"threads per ledger; {args.concurrency} keep-alive connections; {args.rounds} rounds of "
        f"{args.duration:g} s per endpoint, taking turns between the ledgers."
    )
    result.note(
        f"Load generator: bench/loadgen.py as its own process, {loadgen_version()}; it used "
        f"{100 * min(cpu):.0f}-{100 * max(cpu):.0f} % of one core while measuring (the server "
        f"had the rest of the {os.cpu_count()} cores)."
    )
    if diagnostic:
        check, bare = diagnostic["check"], diagnostic["bare"]
        normal = large.results["check"]
        result.row(
            f"diagnostic: check with synchronous_commit=off [{large.size:,}]",
            f"{check.throughput:,.0f} req/s ({fmt_ratio(check.throughput / bare.throughput)} "
            f"bare, {fmt_ratio(check.throughput / normal.throughput)} the normal check); "
            f"p50 {check.quantile(0.5):.2f} ms",
        )
    if profile:
        result.note("\n".join(profile))
    result.note(
        "What limits the check: its own work, in Python. A check authenticates the key, finds "
        "the person in the partner's scope, asks the ledger, writes an audit entry (a read of "
        "personal data, Privacyreglement) and commits with a WAL flush: 4-6 statements through "
        "SQLAlchemy and psycopg, each a round trip to PostgreSQL, on 2 shared cores. The portal's "
        "request handling without any database work (the 401 line) already reaches only part of "
        "the bare endpoint. The audit chain no longer serialises checks: an entry is written "
        "without a lock and sealed into the chain at commit by whichever transaction gets the "
        "chain's lock, which is only tried, never waited for (portal/audit.py seal); the "
        "profile's _lock_chain share is that try."
    )
    return result


if __name__ == "__main__":
    sys.exit(main())
