"""A separate process that does one piece of work on the test database and, when told, dies of
kill -9 at a chosen point (tests/test_crashes.py, tests/test_concurrency.py).

    python -m tests.crash_worker --db URL [--kill REGEX:N | --kill commit:N]
                                 [--ready FILE --go FILE] JOB ARGS...

The app is made with the test configuration (tests/conftest.py `config_for`), so the keys that
encrypt and hash personal data are the ones the test process uses. `--kill REGEX:N` sends SIGKILL
to this process right after the Nth SQL statement matching REGEX has run (inside its
transaction, before the commit); `--kill commit:N` does so at the first statement after the Nth
commit. SIGKILL cannot be caught: nothing in the process gets to clean up, as in a power cut or
the OOM killer. `--ready`/`--go` let two workers start their work at the same moment: each
creates its ready file and waits for the go file.

Jobs (each the code path production runs):
  letters-batch NAME EMAIL OUTPUT   `flask --app portal letters batch NAME --by EMAIL --output`
  retention TODAY                   `flask --app portal retention run --today TODAY`
  erasure REQUEST_ID LOGIN_ID       the desk's erasure page: GET, then POST its form
                                    (LOGIN_ID: the staff member's `User.get_id()`)

The exit code is the command's; the erasure job exits 0 on a redirect (done), 3 on a refusal
(422) and 5 when the page offers no erasure form.

The tests start workers with `run`/`start` below: each worker is a fresh process forked from a
multiprocessing fork server that has imported the app once (`python -m tests.crash_worker` would
import it again for every worker, seconds each). A worker shares nothing with the test process:
it makes its own app, engine and connections.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import signal
import sys
import time
from multiprocessing import forkserver
from pathlib import Path

from sqlalchemy import event

READY_TIMEOUT = 60  # seconds a worker waits for the go file
ROOT = Path(__file__).resolve().parent.parent
_WARM_UP = "CRASH_WORKER_WARM_UP"


def _die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def arm(engine, spec: str) -> None:
    """Install the kill point `spec` ("REGEX:N" or "commit:N") on `engine`."""
    pattern, _, count = spec.rpartition(":")
    target = int(count)
    state = {"matched": 0, "commits": 0}

    if pattern == "commit":

        @event.listens_for(engine, "commit")
        def _count_commit(_connection):
            state["commits"] += 1

        @event.listens_for(engine, "before_cursor_execute")
        def _after_commit(_conn, _cursor, _statement, _params, _context, _many):
            # The Nth commit has finished: the next statement is work after it.
            if state["commits"] >= target:
                _die()

        return

    matcher = re.compile(pattern, re.IGNORECASE)

    @event.listens_for(engine, "after_cursor_execute")
    def _after_statement(_conn, _cursor, statement, _params, _context, _many):
        if matcher.search(statement):
            state["matched"] += 1
            if state["matched"] == target:
                _die()


def wait_for_go(ready: Path, go: Path) -> None:
    ready.touch()
    deadline = time.monotonic() + READY_TIMEOUT
    while not go.exists():
        if time.monotonic() > deadline:
            sys.exit("crash_worker: no go signal")
        time.sleep(0.005)


def run_cli(app, args: list[str]) -> int:
    result = app.test_cli_runner().invoke(args=args)
    sys.stdout.write(result.output)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback

        traceback.print_exception(result.exception, file=sys.stdout)
    return result.exit_code


def sign_in(app, client, login_id: str) -> None:
    """A signed-in staff session without the password and TOTP steps (as tests/conftest.py)."""
    import flask_login.utils

    with app.test_request_context(headers={"User-Agent": "Werkzeug/test"}):
        identifier = flask_login.utils._create_identifier()
    client.environ_base["HTTP_USER_AGENT"] = "Werkzeug/test"
    with client.session_transaction() as session:
        session["_user_id"] = login_id
        session["_fresh"] = True
        session["_id"] = identifier
        session.permanent = True


def run_erasure(app, request_id: int, login_id: str) -> int:
    client = app.test_client()
    sign_in(app, client, login_id)
    url = f"/requests/{request_id}/erasure"
    response = client.get(url)
    page = response.get_data(as_text=True)
    found = re.search(r'name="erase-version" type="hidden" value="(\d+)"', page)
    if found is None:
        print(f"status {response.status_code}: the page offers no erasure")
        print(page)
        return 5
    response = client.post(url, data={"erase-version": found.group(1)})
    print(f"status {response.status_code}")
    return {302: 0, 422: 3}.get(response.status_code, 4)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="crash_worker")
    parser.add_argument("--db", required=True)
    parser.add_argument("--kill")
    parser.add_argument("--ready", type=Path)
    parser.add_argument("--go", type=Path)
    parser.add_argument("job", choices=["letters-batch", "retention", "erasure"])
    parser.add_argument("args", nargs="*")
    options = parser.parse_args(argv)

    from portal import create_app
    from portal.extensions import db
    from tests.conftest import config_for

    app = create_app(config_for(options.db))
    if options.kill:
        arm(db.engine, options.kill)
    if options.ready is not None:
        wait_for_go(options.ready, options.go)
    if options.job == "letters-batch":
        name, email, output = options.args
        return run_cli(app, ["letters", "batch", name, "--by", email, "--output", output])
    if options.job == "retention":
        (today,) = options.args
        return run_cli(app, ["retention", "run", "--today", today])
    request_id, login_id = options.args
    return run_erasure(app, int(request_id), login_id)


# --- starting workers from the tests -------------------------------------------------------------


def _warm_up() -> None:
    """In the fork server: import everything the app factory imports, once, with an app on an
    in-memory database that no worker uses (each makes its own app)."""
    from portal import create_app
    from tests.conftest import config_for

    create_app(config_for("sqlite://"))


if os.environ.get(_WARM_UP) == "1" and __name__ != "__main__":
    try:
        _warm_up()
    except Exception:  # noqa: BLE001  (a cold worker is slower, not wrong)
        pass


def _context():
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["tests.crash_worker"])
    saved = {name: os.environ.get(name) for name in (_WARM_UP, "PYTHONPATH")}
    os.environ[_WARM_UP] = "1"
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), saved["PYTHONPATH"]]))
    try:
        forkserver.ensure_running()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return context


def _child(argv: list[str], log: str) -> None:
    with open(log, "w", buffering=1) as out:
        sys.stdout = sys.stderr = out
        code = main(argv)
        out.flush()
    sys.exit(code)


def start(argv: list[str], log: Path) -> multiprocessing.Process:
    """Start a worker with these arguments; its output goes to `log`."""
    process = _context().Process(target=_child, args=(list(argv), str(log)), daemon=True)
    process.start()
    return process


def finish(process: multiprocessing.Process, log: Path, timeout: float = 120) -> tuple[int, str]:
    """Wait for a worker: its exit code (-9 when it was killed) and its output."""
    process.join(timeout)
    if process.is_alive():
        process.kill()
        process.join()
    code = process.exitcode
    process.close()
    return code, log.read_text() if log.exists() else ""


def run(argv: list[str], log: Path, timeout: float = 120) -> tuple[int, str]:
    return finish(start(argv, log), log, timeout)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
