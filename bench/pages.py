"""Benchmark of the staff and citizen pages under 50 concurrent signed-in sessions (issue 8).
Not a test: run by hand or by `make bench`.

    .venv/bin/python bench/pages.py
    .venv/bin/python bench/pages.py --sessions 20 --rounds 1 --duration 5    # quicker

What it does:
1. builds a fresh PostgreSQL database (DATABASE_URL, default
   postgresql+psycopg://postgres@127.0.0.1:5432/bench_pages; the name must contain "bench": it
   is dropped and made again) and loads the demo data (portal/demo.py: every partner, twenty
   households with cases in every phase, consents), then adds bench staff accounts: copies of
   the demo procesregisseur, of a demo team member (with the same case memberships) and of the
   privacy desk, each with its own password hash and TOTP secret;
2. serves it with gunicorn (gthread, 2 workers x 4 threads, demo mode for the DigiD mock) from
   bench/bare_app.py, which also has a bare Flask endpoint under /bare in the same workers;
3. signs in SESSIONS sessions, each from its own loopback address (127.0.0.x, so the sign-in
   rate limit per address and Flask-Login's session protection work as for real users): half
   staff through the real form (password, then the TOTP code computed with pyotp), half
   citizens through the DigiD mock of demo mode;
4. drives all sessions at once with bench/loadgen.py (a separate process on the system python3 in
   isolated mode), each session on its own keep-alive connection with its own cookies, asking
   its role's pages at random; in rounds, each round first the bare endpoint through the same
   connections (the baseline), then the pages;
5. prints per page p50/p95 latency and the number of errors (any status but 200), the bare
   endpoint's figures, and the resident memory of each gunicorn worker after warm-up and after
   the load.

Always exits 0 when the run completes, goals met or not.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

import sqlalchemy as sa
from common import (
    Report,
    Sample,
    add_json_argument,
    fmt_ratio,
    free_port,
    fresh_database,
    loadgen_version,
    memory_kib,
    run_loadgen,
    start_gunicorn,
    start_profile,
    stop_server,
    summarize_profile,
    worker_pids,
)
from cryptography.fernet import Fernet

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_pages"
PASSWORD = "bench-wachtwoord-pages"
# The login form validates addresses with email_validator, which refuses special-use names such
# as .test; no mail is ever sent to these accounts.
EMAIL_DOMAIN = "bench.example.nl"
# Which demo account each kind of staff session copies, and the share of the staff sessions.
STAFF_KINDS = (("procesregisseur", 0.4), ("teamlid", 0.4), ("privacyloket", 0.2))
FERNET_KEY = Fernet.generate_key().decode()
LOOKUP_KEY = secrets.token_urlsafe(32)
SECRET_KEY = secrets.token_urlsafe(32)
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=50, help="concurrent signed-in sessions")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before measuring")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (gthread)")
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument(
        "--profile", type=float, default=8.0, help="seconds of py-spy on the pages (0: none)"
    )
    add_json_argument(parser)
    return parser.parse_args()


def settings(url: sa.URL) -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": url.render_as_string(hide_password=False),
        "ENCRYPTION_KEYS": [FERNET_KEY],
        "LOOKUP_KEY": LOOKUP_KEY,
        "SECRET_KEY": SECRET_KEY,
        "DEMO": True,
        "PORTAL_ENV": "bench",
    }


# --- data -------------------------------------------------------------------------------------


@dataclass
class Account:
    kind: str
    email: str
    totp_secret: str
    cases: list[int] = field(default_factory=list)
    persons: list[int] = field(default_factory=list)


@dataclass
class Citizen:
    person_id: int
    represented: list[int]


def load_data(url: sa.URL, staff: int) -> tuple[list[Account], list[Citizen], str]:
    """The demo data and `staff` bench accounts; returns the accounts, the citizens who can sign
    in (persons with a BSN) and a line on what was loaded."""
    import pyotp

    from portal import access, citizen, create_app, demo
    from portal.auth import hash_password
    from portal.extensions import db
    from portal.models import Case, Person, User, case_membership

    demo_domain = demo.DEMO_EMAIL_DOMAIN
    app = create_app(settings(url))
    with app.app_context():
        db.create_all()
        demo.load()
        db.session.commit()
        password_hash = hash_password(PASSWORD)
        models = {
            key: db.session.scalar(sa.select(User).where(User.email == f"{key}@{demo_domain}"))
            for key, _share in STAFF_KINDS
        }
        kinds = []
        for key, share in STAFF_KINDS:
            kinds += [key] * max(1, round(share * staff))
        accounts = []
        for n, key in enumerate(kinds[:staff]):
            model = models[key]
            clone = User(
                email=f"{key}-{n}@{EMAIL_DOMAIN}",
                name=f"{model.name} ({n})",
                password_hash=password_hash,
                role=model.role,
                partner_id=model.partner_id,
                vog_date=model.vog_date,
                confidentiality_signed_on=model.confidentiality_signed_on,
                totp_secret=pyotp.random_base32(),
                totp_confirmed=True,
            )
            db.session.add(clone)
            db.session.flush()
            memberships = db.session.execute(
                sa.select(case_membership.c.case_id).where(case_membership.c.user_id == model.id)
            ).scalars()
            for case_id in memberships:
                db.session.execute(
                    sa.insert(case_membership).values(case_id=case_id, user_id=clone.id)
                )
            db.session.flush()
            cases = db.session.scalars(
                sa.select(Case).where(access.case_scope(clone)).order_by(Case.id)
            ).all()
            persons = sorted(
                {
                    person.id
                    for case in cases
                    for person in case.household.persons
                    if access.can_view_person(clone, person)
                }
            )
            accounts.append(
                Account(key, clone.email, clone.totp_secret, [c.id for c in cases], persons)
            )
        citizens = [
            Citizen(person.id, [p.id for p in citizen.represented(person)])
            for person in db.session.scalars(
                sa.select(Person).where(Person.bsn_hash.is_not(None)).order_by(Person.id)
            )
        ]
        counts = {
            table: db.session.scalar(sa.text(f"SELECT count(*) FROM {table}"))
            for table in ("regie_case", "person", "consent_event", "audit_entry")
        }
        db.session.commit()
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
    db.engine.dispose()
    line = (
        f"demo data: {counts['regie_case']} cases, {counts['person']} persons, "
        f"{counts['consent_event']} consent events, {counts['audit_entry']} audit entries; "
        f"{len(accounts)} bench staff accounts ("
        + ", ".join(f"{sum(a.kind == k for a in accounts)} {k}" for k, _ in STAFF_KINDS)
        + f"), {len(citizens)} persons who can sign in as citizens"
    )
    return accounts, citizens, line


# --- signing in -------------------------------------------------------------------------------


class Browser:
    """Just enough of a browser for the sign-in forms: one connection from one source address,
    a cookie jar, CSRF tokens read from the form."""

    def __init__(self, port: int, source: str):
        self.connection = http.client.HTTPConnection(
            "127.0.0.1", port, timeout=60, source_address=(source, 0)
        )
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None):
        headers = {}
        body = None
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        text = response.read().decode("utf-8", errors="replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return response.status, response.headers.get("Location", ""), text

    def form(self, path: str, fields: dict) -> tuple[int, str]:
        """Fill in and send the form at `path`; the status and where it redirects to."""
        status, _, page = self.request("GET", path)
        match = _CSRF.search(page)
        if status != 200 or match is None:
            raise RuntimeError(f"GET {path}: {status}, no form")
        status, location, page = self.request("POST", path, {**fields, "csrf_token": match[1]})
        if status != 302:
            problems = re.findall(r'class="[^"]*error[^"]*"[^>]*>\s*([^<]{3,200})', page)
            location = "; ".join(p.strip() for p in problems[:3]) or page[:300]
        return status, location

    def close(self) -> None:
        self.connection.close()


def sign_in_staff(port: int, source: str, account: Account) -> dict[str, str]:
    import pyotp

    browser = Browser(port, source)
    try:
        status, location = browser.form(
            "/auth/login", {"email": account.email, "password": PASSWORD}
        )
        if status != 302 or "/auth/code" not in location:
            raise RuntimeError(f"{account.email}: password step answered {status} {location}")
        code = pyotp.TOTP(account.totp_secret).now()
        status, location = browser.form("/auth/code", {"code": code})
        if status != 302 or "/auth/" in location:
            raise RuntimeError(f"{account.email}: code step answered {status} {location}")
        status, _, _ = browser.request("GET", "/dashboard")
        if status != 200:
            raise RuntimeError(f"{account.email}: dashboard after sign-in answered {status}")
        return browser.cookies
    finally:
        browser.close()


def sign_in_citizen(port: int, source: str, person: Citizen) -> dict[str, str]:
    browser = Browser(port, source)
    try:
        status, location = browser.form("/mijn/digid-mock", {"person_id": str(person.person_id)})
        if status != 302:
            raise RuntimeError(f"person {person.person_id}: DigiD mock answered {status}")
        status, _, _ = browser.request("GET", "/mijn")
        if status != 200:
            raise RuntimeError(f"person {person.person_id}: /mijn after sign-in answered {status}")
        return browser.cookies
    finally:
        browser.close()


# --- the pages --------------------------------------------------------------------------------


def staff_pages(account: Account) -> list[list]:
    """Pool entries (bench/loadgen.py) for one staff session: its role's everyday pages, each
    page kind equally likely, over the cases and persons it may see."""
    pages: list[tuple[str, list[str]]] = [("staff: /dashboard", ["/dashboard"])]
    if account.kind == "privacyloket":
        pages.append(("desk: /requests (queue)", ["/requests"]))
    else:
        pages.append(("staff: /cases", ["/cases"]))
        pages.append(("staff: /cases/<id>", [f"/cases/{c}" for c in account.cases]))
        pages.append(("staff: /persons/<id>", [f"/persons/{p}" for p in account.persons]))
        pages.append(
            ("staff: /persons/<id>/consents", [f"/persons/{p}/consents" for p in account.persons])
        )
    return _pool(pages)


def citizen_pages(person: Citizen) -> list[list]:
    subjects = person.represented or [person.person_id]
    pages = [("citizen: /mijn", ["/mijn"])]
    for label, suffix in (
        ("citizen: /mijn/<id>/toestemmingen", "toestemmingen"),
        ("citizen: /mijn/<id>/inzage", "inzage"),
        ("citizen: /mijn/<id>/verzoeken", "verzoeken"),
        ("citizen: /mijn/<id>/brieven", "brieven"),
    ):
        pages.append((label, [f"/mijn/{s}/{suffix}" for s in subjects]))
    return _pool(pages)


def _pool(pages: list[tuple[str, list[str]]]) -> list[list]:
    pool = []
    for label, paths in pages:
        if not paths:
            continue
        # Every page kind weighs the same, whatever the number of its addresses.
        repeat = max(1, 12 // len(paths))
        pool += [[label, "GET", path, {}, 200] for path in paths for _ in range(repeat)]
    return pool


BARE = [["bare /bare/ (baseline)", "GET", "/bare/", {}, 200]]


@dataclass
class Session:
    source: str
    cookies: dict[str, str]
    pool: str


def loadgen_spec(port, sessions, pools, warmup, duration, seed) -> dict:
    return {
        "host": "127.0.0.1",
        "port": port,
        "warmup": warmup,
        "duration": duration,
        "max_requests": 10**7,
        "seed": seed,
        "pick": "random",
        "pools": pools,
        "connections": [
            {"pool": s.pool, "source": s.source, "cookies": s.cookies} for s in sessions
        ],
    }


def workers_memory(server) -> list[tuple[int, int, int]]:
    return [(pid, *memory_kib(pid)) for pid in worker_pids(server.pid)]


PROFILE_FOCUS = {
    "the whole Flask app (wsgi_app)": ("wsgi_app", "flask/app.py"),
    "templates (render_template)": ("render_template", "flask/templating.py"),
    "SQL through the ORM (Session._execute_internal)": (
        "_execute_internal",
        "sqlalchemy/orm/session.py",
    ),
    "audit entries (audit.record)": ("record", "portal/audit.py"),
    "session commit": ("commit", "sqlalchemy/orm/session.py"),
    "  of which audit.seal (numbering and hashing)": ("seal", "portal/audit.py"),
    "    of which _lock_chain (trying the chain's lock)": ("_lock_chain", "portal/audit.py"),
    "decryption (Fernet.decrypt)": ("decrypt", "cryptography/fernet.py"),
    "staff session check (load_session_user)": ("load_session_user", "portal/auth.py"),
}


def profile_pages(server, port, sessions, pools, args, log_folder) -> list[str]:
    """py-spy on the workers while the pages run (not counted in the figures)."""
    output = Path(log_folder) / "profile-pages.txt"
    profiler = start_profile(server.pid, args.profile + 1, output)
    if profiler is None:
        return ["profile: py-spy is not installed (.venv/bin/pip install 'py-spy>=0.4,<0.5')"]
    time.sleep(1.0)
    run_loadgen(loadgen_spec(port, sessions, pools, 0, args.profile, args.seed + 99))
    try:
        _, problem = profiler.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        profiler.kill()
        return ["profile: py-spy did not finish"]
    if profiler.returncode != 0:
        return [f"profile: py-spy failed ({profiler.returncode}): {problem.strip()[-300:]}"]
    return summarize_profile(output, PROFILE_FOCUS)


def main() -> int:
    args = parse_args()
    url = sa.make_url(os.environ.get("DATABASE_URL", DEFAULT_URL))
    print(f"Database {url.render_as_string()} (made fresh)", flush=True)
    fresh_database(url)
    staff_count = args.sessions // 2
    started = time.perf_counter()
    accounts, citizens, loaded = load_data(url, staff_count)
    print(f"Loaded in {time.perf_counter() - started:.1f} s: {loaded}", flush=True)
    if not citizens:
        sys.exit("The demo data has no person with a BSN to sign in as a citizen.")

    log_folder = tempfile.mkdtemp(prefix="bench-pages-")
    log = open(Path(log_folder) / "gunicorn.log", "w+")  # noqa: SIM115 - closed at the end
    env = {
        "DATABASE_URL": url.render_as_string(hide_password=False),
        "PORTAL_ENV": "bench",
        "PORTAL_DEMO": "1",
        "SECRET_KEY": SECRET_KEY,
        "ENCRYPTION_KEYS": FERNET_KEY,
        "LOOKUP_KEY": LOOKUP_KEY,
    }
    port = free_port()
    server = start_gunicorn(env, port, args.workers, args.threads, log)
    samples: dict[str, Sample] = {}
    memory: dict[str, list] = {}
    cpu: list[float] = []
    errors: list[str] = []
    profile: list[str] = []
    try:
        memory["after start"] = workers_memory(server)
        sessions: list[Session] = []
        pools: dict[str, list] = {"bare": BARE}
        started = time.perf_counter()
        for n in range(args.sessions):
            source = f"127.0.{1 + n // 250}.{1 + n % 250}"
            if n % 2 == 0 and n // 2 < len(accounts):
                account = accounts[n // 2]
                cookies = sign_in_staff(port, source, account)
                name = f"staff-{n}"
                pools[name] = staff_pages(account)
            else:
                person = citizens[(n // 2) % len(citizens)]
                cookies = sign_in_citizen(port, source, person)
                name = f"citizen-{n}"
                pools[name] = citizen_pages(person)
            sessions.append(Session(source, cookies, name))
        signed_in = time.perf_counter() - started
        staff_sessions = sum(s.pool.startswith("staff") for s in sessions)
        print(
            f"Signed in {staff_sessions} staff and {len(sessions) - staff_sessions} citizen "
            f"sessions in {signed_in:.1f} s; load: {loadgen_version()}; logs in {log_folder}",
            flush=True,
        )
        bare_sessions = [Session(s.source, s.cookies, "bare") for s in sessions]
        for round_number in range(1, args.rounds + 1):
            for name, group in (("bare", bare_sessions), ("pages", sessions)):
                warmup = args.warmup * (2 if round_number == 1 and name == "pages" else 1)
                spec = loadgen_spec(
                    port, group, pools, warmup, args.duration, args.seed + round_number
                )
                result = run_loadgen(spec)
                cpu.append(result["cpu_seconds"] / result["seconds"])
                errors += result["errors"]
                total = 0
                for label, entry in result["labels"].items():
                    samples.setdefault(label, Sample()).add(entry, result["seconds"])
                    total += len(entry["latencies_ms"])
                print(
                    f"Round {round_number}, {name}: {total} requests in "
                    f"{result['seconds']:.1f} s ({total / result['seconds']:.0f}/s)",
                    flush=True,
                )
                if round_number == 1 and name == "pages":
                    memory["after warm-up (sign-ins and the first round)"] = workers_memory(server)
                if name == "pages":
                    # Sessions keep their cookies from one round to the next.
                    for session, cookies in zip(sessions, result["cookies"], strict=True):
                        session.cookies = cookies
        memory["after the load"] = workers_memory(server)
        if args.profile > 0:
            print(f"Profiling the pages for {args.profile:g} s with py-spy", flush=True)
            profile = profile_pages(server, port, sessions, pools, args, log_folder)
    finally:
        stop_server(server)
        log.close()
    result = report(args, samples, memory, cpu, errors, loaded, len(sessions), staff_sessions)
    if profile:
        result.note("\n".join(profile))
    result.write(args.json)
    return 0


def report(args, samples, memory, cpu, errors, loaded, sessions, staff_sessions) -> Report:
    result = Report(
        "pages",
        f"Staff and citizen pages under {sessions} concurrent signed-in sessions",
    )
    bare = samples.pop(BARE[0][0])
    bare_p50 = bare.quantile(0.5)
    result.row(
        BARE[0][0],
        f"{bare.throughput:,.0f} req/s; p50 {bare_p50:.1f} ms, p95 {bare.quantile(0.95):.1f} ms; "
        f"errors {bare.failures}",
    )
    total_errors = bare.failures
    worst = ("", 0.0)
    for label in sorted(samples):
        sample = samples[label]
        p50, p95 = sample.quantile(0.5), sample.quantile(0.95)
        total_errors += sample.failures
        if p95 > worst[1]:
            worst = (label, p95)
        statuses = ", ".join(
            f"{status}: {n}" for status, n in sorted(sample.statuses.items()) if status != 200
        )
        result.row(
            label,
            f"{sample.count:,} requests; p50 {p50:.1f} ms ({fmt_ratio(p50 / bare_p50)} bare), "
            f"p95 {p95:.1f} ms; errors {sample.failures}" + (f" ({statuses})" if statuses else ""),
        )
    everything = Sample()
    for sample in samples.values():
        everything.latencies += sample.latencies
        everything.seconds = max(everything.seconds, sample.seconds)
    result.row(
        "all pages together",
        f"{everything.count / everything.seconds:,.0f} req/s; p50 {everything.quantile(0.5):.1f} "
        f"ms, p95 {everything.quantile(0.95):.1f} ms",
    )
    for moment, workers in memory.items():
        result.row(
            f"memory per worker, {moment}",
            "; ".join(
                f"pid {pid}: RSS {rss / 1024:.0f} MiB (PSS {pss / 1024:.0f} MiB)"
                for pid, rss, pss in workers
            ),
        )
    result.goal(
        f"no errors with {sessions} concurrent sessions (every answer 200)",
        f"{total_errors} errors",
        total_errors == 0,
    )
    result.note(
        f"Setup: {loaded}. {sessions} sessions ({staff_sessions} staff signed in through the "
        f"password and TOTP form, {sessions - staff_sessions} citizens through the DigiD mock of "
        f"demo mode), each from its own loopback address on its own keep-alive connection, "
        f"asking its role's pages at random without pause. gunicorn gthread, {args.workers} "
        f"workers x {args.threads} threads; {args.rounds} rounds of {args.duration:g} s of the "
        f"bare endpoint and {args.duration:g} s of the pages."
    )
    result.note(
        "Latency is measured at the client from sending the request to the last byte, so with "
        f"{sessions} sessions asking at once and {args.workers * args.threads} worker threads it "
        "includes the wait for a free thread: the figures read as 'with this many people "
        "clicking without pause'. The ratio to the bare endpoint's p50 shows how much the page "
        f"itself costs; the slowest page at p95 was {worst[0]} ({worst[1]:.0f} ms)."
    )
    result.note(
        f"Load generator: bench/loadgen.py as its own process, {loadgen_version()}; it used "
        f"{100 * min(cpu):.0f}-{100 * max(cpu):.0f} % of one core while measuring. Memory: RSS "
        "counts the pages a worker shares with the gunicorn master (forked after the app was "
        "imported) in full; PSS divides them among the processes sharing them."
    )
    result.note(
        "What limits the pages: with 50 sessions asking without pause and 8 worker threads, "
        "most of the latency is the wait for a free thread; the work itself is SQL through the "
        "ORM and the templates (profile). Each page that shows personal data writes audit "
        "entries (reads of a file, Privacyreglement; citizen pages one per person shown); they "
        "are written without a lock and sealed into the chain at commit by whichever "
        "transaction gets the chain's lock, which is only tried (portal/audit.py seal)."
    )
    if errors:
        result.note("Connection errors (first few): " + "; ".join(errors[:5]))
    return result


if __name__ == "__main__":
    sys.exit(main())
