"""The WSGI application the benchmark serves with gunicorn: the portal, and under /bare a Flask
app with one route and nothing else (no extensions, hooks or database), so both endpoints are
measured through the same server, workers and sockets.

    gunicorn --chdir bench bare_app:application

The portal reads its settings from the environment (portal.config), which bench/consent_check.py
sets; BENCH_SCHEMA picks the PostgreSQL schema of the ledger to serve and BENCH_PG_OPTIONS adds
server settings to each connection (a diagnostic run of bench/consent_check.py uses
"-csynchronous_commit=off"). Not part of the portal: nothing imports this module.
"""

from __future__ import annotations

import os

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from portal import create_app

bare = Flask("bare")


@bare.get("/")
def ok():
    return {"ok": True}


def _config() -> dict | None:
    options = []
    if os.environ.get("BENCH_SCHEMA"):
        options.append(f"-csearch_path={os.environ['BENCH_SCHEMA']}")
    if os.environ.get("BENCH_PG_OPTIONS"):
        options.append(os.environ["BENCH_PG_OPTIONS"])
    if not options:
        return None
    return {"SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"options": " ".join(options)}}}


portal = create_app(_config())
application = DispatcherMiddleware(portal, {"/bare": bare})
