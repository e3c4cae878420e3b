"""Fixtures: `app`, `db` (rolled back per test), `ctx`, `client`, `auth`.

The suite runs on SQLite by default and on the database in DATABASE_URL when it is set (CI runs
both). Domain rules are tested on operations directly; pages through the client; key journeys in a
real browser (tests/browser).
"""
from __future__ import annotations

import os

import flask_login.utils
import pytest

from portal import create_app
from portal.extensions import db as _db

TEST_KEYS = ["dGVzdC1vbmx5LWVuY3J5cHRpb24ta2V5LTMyLWJ5dGU="]


def database_url(tmp_path_factory) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


def config_for(url: str) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "test-secret",
        "ENCRYPTION_KEYS": TEST_KEYS,
        "LOOKUP_KEY": "test-lookup",
        "WTF_CSRF_ENABLED": False,
        "ARGON2_FAST": True,
        "DEMO": False,
        "PORTAL_ENV": "testing",
    }


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    application = create_app(config_for(database_url(tmp_path_factory)))
    with application.app_context():
        _db.drop_all()
        _db.create_all()
    yield application
    with application.app_context():
        _db.session.remove()
        _db.drop_all()
    _db.engine.dispose()


@pytest.fixture
def db(app):
    """The session bound to one outer transaction that is rolled back after the test; commits in
    the code under test only release savepoints."""
    connection = _db.engine.connect()
    outer = connection.begin()
    _db.session.remove()
    _db.session.configure(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield _db
    finally:
        _db.session.remove()
        outer.rollback()
        connection.close()
        _db.session.configure(bind=_db.engine)


@pytest.fixture
def ctx(app, db):
    """An app context for tests that call operations directly (not for client tests: Flask-Login
    caches the user on `g`, which lives as long as the app context)."""
    with app.app_context():
        yield


@pytest.fixture
def client(app, db):
    return app.test_client()


class Auth:
    """Sign a client in as a user without the password/TOTP steps (those have their own tests)."""

    def __init__(self, app, client):
        self.app = app
        self.client = client

    def login(self, user) -> None:
        with self.app.test_request_context(headers={"User-Agent": "Werkzeug/test"}):
            identifier = flask_login.utils._create_identifier()
        self.client.environ_base["HTTP_USER_AGENT"] = "Werkzeug/test"
        with self.client.session_transaction() as session:
            session.clear()
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
            session["_id"] = identifier
            session.permanent = True

    def login_citizen(self, person, method: str = "digid") -> None:
        """Sign a client in as a household member (portal/citizen.py), as DigiD would."""
        import time

        from portal.citizen import SESSION_KEY

        with self.client.session_transaction() as session:
            session.clear()
            session[SESSION_KEY] = {"person_id": person.id, "method": method}
            session["last_seen"] = time.time()
            session.permanent = True

    def logout(self) -> None:
        with self.client.session_transaction() as session:
            session.clear()


@pytest.fixture
def auth(app, client):
    return Auth(app, client)


@pytest.fixture
def seed(app, db):
    """Run a factory block in an app context and commit (a savepoint), so requests see it."""

    class Seed:
        def __enter__(self):
            self._ctx = app.app_context()
            self._ctx.push()
            return self

        def __exit__(self, exc_type, exc, tb):
            if exc_type is None:
                _db.session.commit()
            self._ctx.pop()

    return Seed
