"""Run every benchmark and write docs/benchmarks.md (`make bench`). Not a test.

    .venv/bin/python bench/run_all.py                  # about 15-20 minutes on two cores
    .venv/bin/python bench/run_all.py --quick          # smaller sizes, a few minutes
    .venv/bin/python bench/run_all.py --only pages consent_check

Each bench script runs as a process of its own with `--json PATH` into a temporary folder
(bench/common.py describes the format); then the report lists the machine (CPU model, cores,
memory, OS, Python, PostgreSQL), the date, every goal as met or with its measured figure, and per
benchmark its figures and notes (the profile and what limits it, where the script gives them).

PostgreSQL: 127.0.0.1:5432 as user postgres by default; with DATABASE_URL set, its server and
credentials are used and each benchmark gets a database of its own named bench_<name> there
(every bench database is dropped and made again). The letters benchmark runs on SQLite.
Exits 0 when the report is written, goals met or not; 1 when a benchmark failed to run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from common import ROOT, loadgen_version

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
LETTERS_DEFAULT = 200  # the figure is 1,000 (about 12 minutes on two cores)


def benches(args) -> list[tuple[str, list[str], str | None]]:
    """(name, extra arguments, database name or None for no PostgreSQL database)."""
    if args.quick:
        return [
            (
                "consent_check",
                ["--large", "200000", "--rounds", "1", "--duration", "3", "--profile", "5"],
                "bench_consent",
            ),
            ("dashboard", ["--requests", "20000", "--audit", "2000"], "bench_dashboard"),
            ("letters", ["--count", str(args.letters or 20), "--repeat", "5"], None),
            ("pages", ["--rounds", "1", "--duration", "5", "--profile", "5"], "bench_pages"),
        ]
    return [
        ("consent_check", [], "bench_consent"),
        ("dashboard", [], "bench_dashboard"),
        ("letters", ["--count", str(args.letters or LETTERS_DEFAULT)], None),
        ("pages", [], "bench_pages"),
    ]


def server_url() -> sa.URL:
    return sa.make_url(os.environ.get("DATABASE_URL") or DEFAULT_SERVER)


def machine() -> list[tuple[str, str]]:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = "?"
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    system = platform.system()
    release = Path("/etc/os-release")
    if release.exists():
        for line in release.read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                system = line.split("=", 1)[1].strip('"')
    try:
        import psycopg

        url = server_url().set(drivername="postgresql", database="postgres")
        with psycopg.connect(url.render_as_string(hide_password=False)) as conn:
            postgres = conn.execute("SHOW server_version").fetchone()[0]
            sync = conn.execute("SHOW synchronous_commit").fetchone()[0]
            fsync = conn.execute("SHOW fsync").fetchone()[0]
        postgres += f" (synchronous_commit {sync}, fsync {fsync})"
    except Exception as problem:  # noqa: BLE001 - the report says what went wrong
        postgres = f"not reached: {problem}"
    try:
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        commit += " (with uncommitted changes)" if dirty else ""
    except (OSError, subprocess.CalledProcessError):
        commit = "?"
    return [
        ("CPU", cpu),
        ("cores", str(os.cpu_count())),
        ("memory", memory),
        ("OS", f"{system}, kernel {platform.release()}"),
        ("Python (server)", f"{platform.python_implementation()} {platform.python_version()}"),
        ("load generator", loadgen_version()),
        ("PostgreSQL", postgres),
        ("commit", commit),
    ]


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} / {five:.1f} / {fifteen:.1f}"


def run(name: str, extra: list[str], database: str | None, folder: Path) -> dict:
    output = folder / f"{name}.json"
    env = dict(os.environ)
    if database:
        env["DATABASE_URL"] = server_url().set(database=database).render_as_string(False)
    else:
        env.pop("DATABASE_URL", None)
    command = [sys.executable, str(ROOT / "bench" / f"{name}.py"), *extra, "--json", str(output)]
    print(f"\n=== {name}: {' '.join(command[1:])}", flush=True)
    started = time.perf_counter()
    tail: list[str] = []
    with subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as process:
        for line in process.stdout:
            print(line, end="", flush=True)
            tail = (tail + [line.rstrip()])[-15:]
    seconds = time.perf_counter() - started
    if process.returncode == 0 and output.exists():
        result = json.loads(output.read_text(encoding="utf-8"))
    else:
        result = {
            "bench": name,
            "title": f"{name}: did not complete (exit {process.returncode})",
            "rows": [],
            "goals": [],
            "notes": ["Last lines of its output:\n" + "\n".join(tail)],
            "failed": True,
        }
    result["command"] = " ".join(["bench/" + name + ".py", *extra])
    result["seconds"] = seconds
    return result


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown(results: list[dict], info: list[tuple[str, str]], started: datetime, loads) -> str:
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (bench/run_all.py); do not edit by hand. Each benchmark measures "
        "its baseline in the same run and reports ratios; absolute figures depend on the machine "
        "and on whatever else runs on it. How each one works: bench/README.md.",
        "",
        f"Run on {started:%Y-%m-%d %H:%M} UTC; it took "
        f"{sum(r['seconds'] for r in results) / 60:.1f} minutes. Load average (1/5/15 min) at "
        f"the start {loads[0]}, at the end {loads[1]}.",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
    ]
    lines += [f"| {name} | {_cell(value)} |" for name, value in info]
    lines += ["", "## Goals", "", "| benchmark | goal | measured | |", "|---|---|---|---|"]
    for result in results:
        if result.get("failed"):
            lines.append(f"| {result['bench']} | (did not run to the end) | | **failed** |")
        for goal in result["goals"]:
            verdict = "met" if goal["met"] else "**not met**: see its section"
            lines.append(
                f"| {result['bench']} | {_cell(goal['text'])} | {_cell(goal['measured'])} "
                f"| {verdict} |"
            )
    for result in results:
        lines += [
            "",
            f"## {result['bench']}: {_cell(result['title'])}",
            "",
            f"`{result['command']}`, {result['seconds'] / 60:.1f} minutes.",
            "",
        ]
        if result["rows"]:
            lines += ["| measure | value |", "|---|---|"]
            lines += [f"| {_cell(label)} | {_cell(value)} |" for label, value in result["rows"]]
            lines.append("")
        for goal in result["goals"]:
            mark = "met" if goal["met"] else "NOT met"
            lines.append(f"- Goal: {goal['text']}: {goal['measured']}, {mark}.")
        for note in result["notes"]:
            if "\n" in note:
                lines += ["", "```text", note, "```", ""]
            else:
                lines.append(f"- {note}")
    return "\n".join(lines).rstrip() + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, a few minutes")
    parser.add_argument(
        "--letters", type=int, default=None, help=f"letters (default {LETTERS_DEFAULT})"
    )
    parser.add_argument("--only", nargs="*", help="run only these benchmarks")
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--keep-json", metavar="DIR", help="keep each benchmark's JSON here")
    args = parser.parse_args()

    started = datetime.now(UTC)
    loads = [load_average()]
    info = machine()
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-all-") as folder:
        where = Path(args.keep_json) if args.keep_json else Path(folder)
        where.mkdir(parents=True, exist_ok=True)
        for name, extra, database in benches(args):
            if args.only and name not in args.only:
                continue
            results.append(run(name, extra, database, where))
    loads.append(load_average())
    Path(args.output).write_text(markdown(results, info, started, loads), encoding="utf-8")
    print(f"\nWrote {args.output}")
    return 1 if any(r.get("failed") for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
