"""The benchmarks' load generator: a separate process, standard library only, no project code.

    python3 -I bench/loadgen.py SPEC.json RESULT.json

The bench scripts start it with the system's python3 in isolated mode (not the project's virtual
environment), so the client shares nothing with the server but the loopback interface and the
machine. It opens raw HTTP/1.1 keep-alive connections with asyncio, each optionally from its own
loopback source address (127.0.0.0/8) and with its own cookies (a signed-in session), and sends
requests picked from a pool until the time or the request budget runs out. Only addresses on
this machine are accepted.

SPEC (JSON):

    {"host": "127.0.0.1", "port": 8000,
     "warmup": 1.0, "duration": 5.0, "max_requests": 200000, "seed": 1,
     "pick": "random" | "cycle",
     "pools": {"NAME": [[label, method, path, {header: value}, expected_status], ...]},
     "connections": [{"pool": "NAME", "source": "127.0.0.12" | null, "cookies": {name: value}}]}

RESULT (JSON): {"seconds": measured wall time, "cpu_seconds": this process's user + system time
while measuring, "labels": {label: {"latencies_ms": [...], "statuses": {"200": n},
"expected": 200}}, "errors": [first connection errors], "cookies": [each connection's cookies at
the end]}. Warm-up requests are sent but not counted.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import random
import resource
import sys
import time

MAX_ERRORS_KEPT = 10


class Session:
    """One connection's state: its source address and its cookie jar."""

    def __init__(self, host, port, source, cookies):
        self.host = host
        self.port = port
        self.source = source
        self.cookies = dict(cookies or {})
        self.reader = None
        self.writer = None

    async def connect(self):
        local = (self.source, 0) if self.source else None
        self.reader, self.writer = await asyncio.open_connection(
            self.host, self.port, local_addr=local
        )

    def close(self):
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def encode(self, method, path, headers):
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def take_cookies(self, head_lines):
        for line in head_lines:
            name, _, value = line.partition(":")
            if name.strip().lower() != "set-cookie":
                continue
            pair = value.strip().split(";", 1)[0]
            key, _, cookie = pair.partition("=")
            attributes = value.lower()
            if not cookie or "max-age=0" in attributes or "expires=thu, 01 jan 1970" in attributes:
                self.cookies.pop(key.strip(), None)
            else:
                self.cookies[key.strip()] = cookie.strip()


async def read_response(reader):
    """Status, header lines, whether the server closes; the body is read and dropped."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers.setdefault(name.strip().lower(), value.strip())
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif status not in (204, 304):
        await reader.read()  # the body ends when the server closes
        return status, lines[1:], True
    return status, lines[1:], headers.get("connection", "").lower() == "close"


async def drive(spec, session, pool, rng, deadline, budget, record, errors):
    cycle = rng.randrange(len(pool))
    while time.perf_counter() < deadline and budget[0] > 0:
        budget[0] -= 1
        if spec.get("pick") == "cycle":
            cycle = (cycle + 1) % len(pool)
            label, method, path, headers, expected = pool[cycle]
        else:
            label, method, path, headers, expected = pool[rng.randrange(len(pool))]
        started = time.perf_counter()
        try:
            if session.writer is None:
                await session.connect()
            session.writer.write(session.encode(method, path, headers))
            status, head_lines, closing = await read_response(session.reader)
        except (OSError, asyncio.IncompleteReadError, ValueError) as problem:
            session.close()
            if len(errors) < MAX_ERRORS_KEPT:
                errors.append(f"{label}: {type(problem).__name__}: {problem}")
            record(label, expected, 0, time.perf_counter() - started)
            await asyncio.sleep(0.01)
            continue
        record(label, expected, status, time.perf_counter() - started)
        session.take_cookies(head_lines)
        if closing:
            session.close()


async def phase(spec, sessions, pools, seconds, seed, results, errors):
    budget = [spec.get("max_requests", 10**9)]
    started = time.perf_counter()
    deadline = started + seconds

    def record(label, expected, status, elapsed):
        if results is None:
            return
        entry = results.setdefault(
            label, {"latencies_ms": [], "statuses": {}, "expected": expected}
        )
        entry["latencies_ms"].append(round(elapsed * 1000, 4))
        entry["statuses"][str(status)] = entry["statuses"].get(str(status), 0) + 1

    await asyncio.gather(
        *(
            drive(
                spec,
                session,
                pools[spec["connections"][n]["pool"]],
                random.Random(seed * 1000 + n),
                deadline,
                budget,
                record,
                errors,
            )
            for n, session in enumerate(sessions)
        )
    )
    return time.perf_counter() - started


def local_only(address):
    if address is not None and not ipaddress.ip_address(address).is_loopback:
        sys.exit(f"loadgen: {address} is not a loopback address; refusing to send traffic there")


async def main_async(spec):
    local_only(spec["host"])
    for connection in spec["connections"]:
        local_only(connection.get("source"))
    sessions = [
        Session(spec["host"], spec["port"], c.get("source"), c.get("cookies"))
        for c in spec["connections"]
    ]
    pools = spec["pools"]
    errors = []
    seed = spec.get("seed", 1)
    if spec.get("warmup", 0) > 0:
        await phase(spec, sessions, pools, spec["warmup"], seed, None, [])
    results = {}
    cpu_before = cpu_seconds()
    seconds = await phase(spec, sessions, pools, spec["duration"], seed + 1, results, errors)
    cpu = cpu_seconds() - cpu_before
    for session in sessions:
        session.close()
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "labels": results,
        "errors": errors,
        "cookies": [session.cookies for session in sessions],
    }


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1], encoding="utf-8") as handle:
        spec = json.load(handle)
    result = asyncio.run(main_async(spec))
    result["python"] = sys.version.split()[0]
    with open(sys.argv[2], "w", encoding="utf-8") as handle:
        json.dump(result, handle)


if __name__ == "__main__":
    main()
