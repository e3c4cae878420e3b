"""Benchmark of the check API (issue 3, *Speed*). Not a test: run by hand.

    .venv/bin/python bench/consent_check.py            # ledgers of 10,000 and 1,000,000 events

What it does:
1. builds a fresh PostgreSQL database (DATABASE_URL, default
   postgresql+psycopg://postgres@127.0.0.1:5432/bench_consent; its name must contain "bench",
   because it is dropped and made again) with two schemas, a small and a large ledger;
2. loads each with COPY: households, persons, cases with their teams, legal-basis records and
   consent events (10,000 and 1,000,000 events; about 20 per person, over 3-6 partners per
   case, 8 domains and 3 purposes; grants, refusals, withdrawals, expiries);
3. serves each ledger with its own gunicorn on a free 127.0.0.1 port, the same app with a bare
   Flask endpoint under /bare in the same workers (bench/bare_app.py);
4. drives them with a load generator of its own (asyncio, raw HTTP/1.1 keep-alive sockets), in
   rounds that take turns between the two ledgers so that other load on the machine hits both
   alike; each measurement is bounded in time and number of requests;
5. prints throughput and latency, and the ratios the issue asks for: check throughput >= 0.5 x
   the bare endpoint, and check latency at 1 M events <= 1.3 x its latency at 10 k. The line
   "portal, no DB" (the check without a key: 401 through the portal's full request handling, no
   query) shows how much of the distance to the bare endpoint is the web stack itself.

Always exits 0 when the run completes, goals met or not.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
import sqlalchemy as sa
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
    return parser.parse_args()


# --- database ---------------------------------------------------------------------------------


def fresh_database(url: sa.URL) -> str:
    """Drop and create the bench database; returns the psycopg connection string."""
    if "bench" not in (url.database or ""):
        sys.exit(
            f"Refusing to drop {url.database!r}: the bench database name must contain 'bench'."
        )
    admin = url.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{url.database}"')
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


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


# --- server -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: sa.URL, schema: str, port: int, args, log) -> subprocess.Popen:
    env = dict(
        os.environ,
        BENCH_SCHEMA=schema,
        DATABASE_URL=url.render_as_string(hide_password=False),
        PORTAL_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(32),
        ENCRYPTION_KEYS=FERNET_KEY.decode(),
        LOOKUP_KEY=LOOKUP_KEY,
        PORTAL_DEMO="0",
    )
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "--chdir",
        str(ROOT / "bench"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(args.workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(args.threads),
        "--keep-alive",
        "30",
        "--backlog",
        "256",
        "--log-level",
        "warning",
        "bare_app:application",
    ]
    server = subprocess.Popen(command, env=env, stdout=log, stderr=log, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn stopped with {server.returncode}; see {log.name}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET /bare/ HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return server
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not come up within a minute")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


# --- load generator ---------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    seconds: float
    latencies: list[float]
    statuses: Counter
    expected: int = 200

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def throughput(self) -> float:
        return self.count / self.seconds

    def quantile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    def add(self, other: Result) -> None:
        self.seconds += other.seconds
        self.latencies.extend(other.latencies)
        self.statuses.update(other.statuses)

    @property
    def failures(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != self.expected)


async def _connection(port, requests, rng, deadline, budget, latencies, statuses):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < deadline and budget[0] > 0:
            budget[0] -= 1
            request = requests[rng.randrange(len(requests))]
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            lower = head.lower()
            at = lower.index(b"content-length:") + 15
            length = int(lower[at : lower.index(b"\r\n", at)])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            statuses[int(head[9:12])] += 1
            if b"connection: close" in lower:
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
    finally:
        writer.close()


async def _drive(
    port, requests, concurrency, seconds, max_requests, seed
) -> tuple[list, Counter, float]:
    latencies: list[float] = []
    statuses: Counter = Counter()
    budget = [max_requests]
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(
        *(
            _connection(
                port, requests, random.Random(seed + n), deadline, budget, latencies, statuses
            )
            for n in range(concurrency)
        )
    )
    return latencies, statuses, time.perf_counter() - started


def measure(
    name: str, port: int, requests: list[bytes], args, expected: int = 200, warmup: float = 0
) -> Result:
    warmup = warmup or args.warmup
    asyncio.run(_drive(port, requests, args.concurrency, warmup, args.max_requests, args.seed))
    latencies, statuses, seconds = asyncio.run(
        _drive(port, requests, args.concurrency, args.duration, args.max_requests, args.seed + 1)
    )
    result = Result(name, seconds, latencies, statuses, expected)
    print(
        f"  {name:<28} {result.count:>7} requests in {seconds:4.1f} s: "
        f"{result.throughput:6.0f}/s, p50 {result.quantile(0.5):6.2f} ms, "
        f"p95 {result.quantile(0.95):6.2f} ms, unexpected status: {result.failures}",
        flush=True,
    )
    return result


def check_requests(ref: Reference, population: Population, rng: random.Random) -> list[bytes]:
    """A realistic mix: 70 % keys with decisions on record (grants, refusals, withdrawals), 30 %
    keys without (these fall through to the legal-basis register), 10 % asking about a past
    moment. Each asks as a partner on the person's case team, with that partner's key."""
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
        requests.append(
            (
                f"GET /api/v1/check?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {ref.keys[partner]}\r\n\r\n"
            ).encode()
        )
    return requests


# --- main -------------------------------------------------------------------------------------

FERNET_KEY = Fernet.generate_key()
LOOKUP_KEY = secrets.token_urlsafe(32)
BARE = [b"GET /bare/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"]
NO_KEY = [
    b"GET /api/v1/check?person=1&domain=wonen&purpose=plan HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
]


@dataclass
class Ledger:
    name: str
    schema: str
    size: int
    port: int = 0
    requests: list[bytes] = field(default_factory=list)
    results: dict[str, Result] = field(default_factory=dict)


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
    for ledger in ledgers:
        started = time.perf_counter()
        ref = create_schema_and_reference(conninfo, settings, ledger.schema)
        population = Population()
        load(conninfo, ledger.schema, ref, population, ledger.size, rng)
        ledger.requests = check_requests(ref, population, rng)
        print(
            f"Loaded the {ledger.name} ledger: {population.events:,} events, "
            f"{len(population.persons):,} persons, {population.next_household - 1:,} cases "
            f"in {time.perf_counter() - started:.1f} s",
            flush=True,
        )

    log = tempfile.NamedTemporaryFile("w+", prefix="bench-gunicorn-", suffix=".log", delete=False)
    servers = []
    try:
        for ledger in ledgers:
            ledger.port = free_port()
            servers.append(start_server(url, ledger.schema, ledger.port, args, log))
        print(
            f"gunicorn per ledger: {args.workers} workers x {args.threads} threads (gthread); "
            f"load: {args.concurrency} keep-alive connections, {args.warmup:g} s warm-up + "
            f"{args.duration:g} s per measurement, {args.rounds} rounds; log {log.name}",
            flush=True,
        )
        for round_number in range(1, args.rounds + 1):
            print(f"Round {round_number}", flush=True)
            for ledger in ledgers:
                for kind, requests, expected in (
                    ("bare", BARE, 200),
                    ("portal, no DB (401)", NO_KEY, 401),
                    ("check", ledger.requests, 200),
                ):
                    name = f"{kind} [{ledger.name}]"
                    warmup = args.first_warmup if round_number == 1 else args.warmup
                    result = measure(name, ledger.port, requests, args, expected, warmup)
                    if kind in ledger.results:
                        ledger.results[kind].add(result)
                    else:
                        ledger.results[kind] = result
    finally:
        for server in servers:
            stop_server(server)
    report(ledgers)
    return 0


def report(ledgers: list[Ledger]) -> None:
    print()
    print(
        f"{'all rounds together':<40}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'unexpected':>12}"
    )
    for ledger in ledgers:
        for kind, result in ledger.results.items():
            label = f"{kind} [{ledger.size:,} events]"
            print(
                f"{label:<40}{result.throughput:8.0f}{result.quantile(0.5):9.2f}"
                f"{result.quantile(0.95):9.2f}{result.quantile(0.99):9.2f}{result.failures:12d}"
            )
    print()

    def line(label: str, value: float, goal: str = "", met: bool | None = None) -> None:
        verdict = "" if met is None else ("met" if met else "MISSED")
        print(f"{label:<52}{value:6.2f}   {goal:<8} {verdict}")

    small, large = ledgers
    for ledger in ledgers:
        check, bare = ledger.results["check"], ledger.results["bare"]
        ratio = check.throughput / bare.throughput
        line(f"throughput check / bare ({ledger.size:,} events)", ratio, ">= 0.5", ratio >= 0.5)
    for ledger in ledgers:
        floor, bare = ledger.results["portal, no DB (401)"], ledger.results["bare"]
        line(
            f"  for scale: portal, no DB / bare ({ledger.size:,})",
            floor.throughput / bare.throughput,
        )
    for q, label in ((0.5, "p50"), (0.95, "p95")):
        ratio = large.results["check"].quantile(q) / small.results["check"].quantile(q)
        line(
            f"latency {label} of the check, {large.size:,} / {small.size:,}",
            ratio,
            "<= 1.3",
            ratio <= 1.3,
        )
    ratio = large.results["check"].throughput / small.results["check"].throughput
    line(f"throughput of the check, {large.size:,} / {small.size:,}", ratio)


if __name__ == "__main__":
    sys.exit(main())
