"""Fixtures of the real-browser tests: a live server, one headless Chromium per module, and data
that is really committed.

The live server answers requests in its own threads, so the rolled-back `db` fixture of
tests/conftest.py cannot be used here (its connection and transaction belong to the test thread).
Data is committed through the normal session instead and every table is emptied afterwards, so
the other tests still start from an empty database. Works on SQLite and on PostgreSQL.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from werkzeug.serving import WSGIRequestHandler, make_server

from portal.extensions import db as _db

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; CI installs it. Never downloaded.
# The machine has no internet: without the background-networking flags Chromium keeps trying
# (and failing) to reach Google services.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    # Keep each phase's report on the item, so fixtures can tell whether the test failed.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code="-", size="-") -> None:
        pass  # a line per request would drown pytest's output; errors are still logged


@pytest.fixture(scope="module")
def live_server(app) -> Iterator[str]:
    """The session's app served over HTTP on a free port; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(live_server) -> Iterator[Browser]:
    """One headless Chromium per module. It depends on `live_server` only so that it is closed
    first (no keep-alive connection is left open when the server stops)."""
    if not CHROMIUM.is_file():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}; the browser tests need it "
            "(Debian/Ubuntu: apt-get install chromium). Playwright's own download is not used.",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def open_page(browser, live_server, request) -> Iterator[Callable[..., Page]]:
    """`open_page(width=..., height=...)`: a page in a fresh browser context (own cookies).

    `bypass_csp=True`: axe-core is injected as an inline script, which the app's strict CSP blocks
    (as it should). The tests assert that the CSP header itself is sent (see test_staff_journey).
    A screenshot of every open page goes to test-artifacts/ when the test fails.
    """
    contexts: list[BrowserContext] = []

    def _open(width: int = 1280, height: int = 900) -> Page:
        context = browser.new_context(
            base_url=live_server,
            bypass_csp=True,
            locale="nl-NL",
            viewport={"width": width, "height": height},
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    try:
        yield _open
    finally:
        report = getattr(request.node, "report_call", None)
        failed = report is not None and report.failed
        for number, context in enumerate(contexts):
            if failed:
                ARTIFACTS.mkdir(exist_ok=True)
                name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
                for index, page in enumerate(context.pages):
                    try:
                        page.screenshot(
                            path=ARTIFACTS / f"{name}-{number}-{index}.png", full_page=True
                        )
                    except PlaywrightError:
                        pass  # a crashed page has no picture; the test's own failure says why
            context.close()


@pytest.fixture
def committed(app) -> Iterator[Callable]:
    """`with committed(): ...` runs a factory block in an app context and commits for real, so the
    live server's threads see the rows. Afterwards every row of every table is deleted."""

    @contextmanager
    def _seed() -> Iterator[None]:
        with app.app_context():
            yield
            _db.session.commit()

    try:
        yield _seed
    finally:
        with app.app_context():
            for table in reversed(_db.metadata.sorted_tables):
                _db.session.execute(table.delete())
            _db.session.commit()
