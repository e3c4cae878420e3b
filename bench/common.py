"""Helpers the bench scripts share: the result format (`--json PATH`), the bench database, the
gunicorn server, the separate load generator (bench/loadgen.py), worker memory from /proc and a
py-spy profile of the workers. Not part of the portal: nothing in portal/ imports this.

The result format every bench script writes with `--json PATH` (bench/run_all.py reads it):

    {"bench": "consent_check", "title": "...",
     "rows": [["label", "value as text"], ...],
     "goals": [{"text": "check >= 0.5 x bare", "measured": "0.06 x", "met": false}],
     "notes": ["...", ...]}
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


# --- the result format ------------------------------------------------------------------------


@dataclass
class Report:
    bench: str
    title: str
    rows: list[list[str]] = field(default_factory=list)
    goals: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def row(self, label: str, value: str) -> None:
        self.rows.append([label, value])

    def goal(self, text: str, measured: str, met: bool) -> None:
        self.goals.append({"text": text, "measured": measured, "met": bool(met)})

    def note(self, text: str) -> None:
        self.notes.append(text)

    def as_dict(self) -> dict:
        return {
            "bench": self.bench,
            "title": self.title,
            "rows": self.rows,
            "goals": self.goals,
            "notes": self.notes,
        }

    def print(self) -> None:
        print()
        print(self.title)
        width = max((len(label) for label, _ in self.rows), default=10) + 2
        for label, value in self.rows:
            print(f"  {label:<{width}}{value}")
        if self.goals:
            print("Goals:")
            for goal in self.goals:
                verdict = "met" if goal["met"] else "NOT met"
                print(f"  {goal['text']}: {goal['measured']}  {verdict}")
        if self.notes:
            print("Notes:")
            for note in self.notes:
                print("  - " + note.replace("\n", "\n    "))

    def write(self, path: str | None) -> None:
        self.print()
        if path:
            Path(path).write_text(json.dumps(self.as_dict(), indent=1), encoding="utf-8")


def add_json_argument(parser) -> None:
    parser.add_argument(
        "--json", metavar="PATH", help="also write the result as JSON (bench/common.py's format)"
    )


def fmt_ratio(value: float) -> str:
    return f"{value:.2f} x"


# --- database ---------------------------------------------------------------------------------


def fresh_database(url):
    """Drop and create the bench database (its name must contain 'bench'); returns the psycopg
    connection string."""
    import psycopg

    if "bench" not in (url.database or ""):
        sys.exit(
            f"Refusing to drop {url.database!r}: the bench database name must contain 'bench'."
        )
    admin = url.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{url.database}"')
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def drop_database(url) -> None:
    import psycopg

    if "bench" not in (url.database or ""):
        return
    admin = url.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')


# --- server -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(
    env: dict, port: int, workers: int, threads: int, log, app: str = "bare_app:application"
) -> subprocess.Popen:
    """gunicorn (gthread) serving `app` from bench/ on 127.0.0.1:port; waits for /bare/."""
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "--chdir",
        str(BENCH),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--keep-alive",
        "60",
        "--backlog",
        "256",
        "--log-level",
        "warning",
        app,
    ]
    server = subprocess.Popen(
        command, env=dict(os.environ, **env), stdout=log, stderr=log, start_new_session=True
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn stopped with {server.returncode}; see {log.name}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET /bare/ HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    if len(worker_pids(server.pid)) >= workers:
                        return server
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not come up within 90 seconds")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def worker_pids(master: int) -> list[int]:
    """The gunicorn workers: the master's child processes."""
    children = Path(f"/proc/{master}/task/{master}/children")
    try:
        return sorted(int(pid) for pid in children.read_text().split())
    except OSError:
        return []


def memory_kib(pid: int) -> tuple[int, int]:
    """Resident set (RSS) and proportional set (PSS: shared pages divided among the processes
    sharing them) of a process, in KiB, from /proc."""
    rss = pss = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


# --- the load generator -----------------------------------------------------------------------


def loadgen_python() -> list[str]:
    """The system python3 (not the project's virtual environment), in isolated mode. Override
    with BENCH_LOADGEN_PYTHON."""
    chosen = os.environ.get("BENCH_LOADGEN_PYTHON")
    if not chosen:
        venv_bin = {Path(sys.executable).parent.resolve(), (Path(sys.prefix) / "bin").resolve()}
        path = os.pathsep.join(
            entry
            for entry in os.environ.get("PATH", "").split(os.pathsep)
            if entry and Path(entry).resolve() not in venv_bin
        )
        chosen = shutil.which("python3", path=path) or "/usr/bin/python3"
    return [chosen, "-I"]


def loadgen_version() -> str:
    command = loadgen_python()
    try:
        out = subprocess.run(
            [*command, "-c", "import sys; print(sys.version.split()[0])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        out = "?"
    return f"{' '.join(command)} (Python {out})"


def run_loadgen(spec: dict) -> dict:
    """Run bench/loadgen.py as a process of its own and return its result."""
    with tempfile.TemporaryDirectory(prefix="bench-loadgen-") as folder:
        spec_file = Path(folder) / "spec.json"
        out_file = Path(folder) / "result.json"
        spec_file.write_text(json.dumps(spec), encoding="utf-8")
        timeout = spec.get("warmup", 0) + spec["duration"] + 120
        subprocess.run(
            [*loadgen_python(), str(BENCH / "loadgen.py"), str(spec_file), str(out_file)],
            check=True,
            timeout=timeout,
        )
        return json.loads(out_file.read_text(encoding="utf-8"))


@dataclass
class Sample:
    """Latencies and statuses of one label, possibly over several measurements."""

    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # ms
    statuses: Counter = field(default_factory=Counter)
    expected: int = 200

    def add(self, entry: dict, seconds: float) -> None:
        self.seconds += seconds
        self.latencies.extend(entry["latencies_ms"])
        self.statuses.update({int(k): v for k, v in entry["statuses"].items()})
        self.expected = entry["expected"]

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def throughput(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def quantile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    @property
    def failures(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != self.expected)


# --- profile ----------------------------------------------------------------------------------


def py_spy() -> str | None:
    candidate = Path(sys.executable).parent / "py-spy"
    if candidate.exists():
        return str(candidate)
    return shutil.which("py-spy")


def start_profile(pid: int, seconds: float, output: Path, rate: int = 200):
    """py-spy samples `pid` and its children (the gunicorn workers), idle threads included, as
    collapsed stacks. Returns the process, or None when py-spy is not installed."""
    tool = py_spy()
    if tool is None:
        return None
    return subprocess.Popen(
        [
            tool,
            "record",
            "--pid",
            str(pid),
            "--subprocesses",
            "--idle",
            "--nonblocking",
            "--rate",
            str(rate),
            "--duration",
            str(max(1, round(seconds))),
            "--format",
            "raw",
            "--output",
            str(output),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


# A worker thread handles a request inside gunicorn's gthread `handle`; other samples are threads
# waiting for work (the pool's queue, the main loop's select) and are left out.
_REQUEST_FRAME = ("handle", "gunicorn/workers/gthread.py")
_WAITING = ("wait (psycopg/", "wait_conn (psycopg/", "_wait (psycopg/", "recv", "select (")


def _matches(frame: str, function: str, file: str) -> bool:
    """py-spy names a frame "Class.function (path/file.py:line)"."""
    name, _, where = frame.partition(" (")
    return (name == function or name.endswith("." + function)) and file in where


def _frame_name(frame: str) -> str:
    # "record (portal/audit.py:123)" -> "record (portal/audit.py)"
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    else:
        path = path.replace(str(ROOT) + "/", "")
    return f"{name} ({path})"


def summarize_profile(raw: Path, focus: dict[str, tuple[str, str]], top: int = 10) -> list[str]:
    """Lines for the report: of the samples of worker threads handling a request, the share in
    each `focus` frame (label: (function, file); inclusive) and the top project frames and leaf
    frames."""
    if not raw.exists():
        return ["profile: py-spy wrote no output"]
    busy = 0
    inclusive: Counter = Counter()
    project: Counter = Counter()
    leaves: Counter = Counter()
    waiting = 0
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [f for f in stack.split(";") if " (" in f and not f.startswith("process ")]
        frames = [f for f in frames if not f.startswith("thread (")]
        if not any(_matches(f, *_REQUEST_FRAME) for f in frames):
            continue
        busy += count
        names = [_frame_name(f) for f in frames]
        for label, (function, file) in focus.items():
            if any(_matches(f, function, file) for f in frames):
                inclusive[label] += count
        for name in dict.fromkeys(names):
            if any(part in name for part in ("(portal/", "(consent/", "(requests/")):
                project[name] += count
        leaf = names[-1]
        leaves[leaf] += count
        if any(w in frames[-1] for w in _WAITING):
            waiting += count
    if not busy:
        return ["profile: no samples of a worker thread handling a request"]
    lines = [
        f"profile (py-spy, idle threads included): {busy} samples of worker threads handling "
        f"a request; {100 * waiting / busy:.0f} % of them waiting on a socket (PostgreSQL "
        f"answer, lock or commit), the rest on the CPU or the GIL"
    ]
    for label, count in inclusive.most_common():
        lines.append(f"  {100 * count / busy:5.1f} %  {label}")
    lines.append("top project frames (inclusive):")
    for name, count in project.most_common(top):
        lines.append(f"  {100 * count / busy:5.1f} %  {name}")
    lines.append("top leaf frames (self):")
    for name, count in leaves.most_common(top):
        lines.append(f"  {100 * count / busy:5.1f} %  {name}")
    return lines


def platform_python() -> str:
    return f"{platform.python_implementation()} {platform.python_version()}"
