"""Shared fixtures: the app on every configured database, a client, the db session.

Every database test runs on SQLite, and also on PostgreSQL when ``DATAGUILD_TEST_POSTGRES_URL`` is
set (CI sets it). Nothing of our own is mocked: real forms with CSRF, real database, real crypto.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from governance import db as dbmod
from governance.app import create_app

POSTGRES_URL = os.environ.get("DATAGUILD_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])

_pg_state = {"schema_ready": False}


def _prepare_postgres(database: dbmod.Database) -> None:
    """Create the schema once per test run, then empty every table before each test."""
    if not _pg_state["schema_ready"]:
        database.drop_all()
        database.create_all()
        _pg_state["schema_ready"] = True
        return
    tables = ", ".join(f'"{t.name}"' for t in dbmod.Base.metadata.sorted_tables)
    with database.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@contextmanager
def scratch_postgres_database(suffix: str) -> Iterator[str]:
    """A fresh database ``<db>_<suffix><pid>`` created from the configured one and dropped afterwards,
    so that concurrent runs (xdist workers, several developers) never collide."""
    assert POSTGRES_URL
    url = make_url(dbmod.normalise_url(POSTGRES_URL))
    name = f"{url.database}_{suffix}{os.getpid()}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:  # set but unreachable: fail, never skip
        pytest.fail(f"DATAGUILD_TEST_POSTGRES_URL is set but PostgreSQL is unreachable: {exc}", pytrace=False)
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """This test process's own PostgreSQL database (the schema is created once, tables emptied per test)."""
    with scratch_postgres_database("dg") as url:
        yield url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite'}"
    return request.getfixturevalue("postgres_url")


def make_test_app(database_url: str, tmp_path: Path, **overrides: object) -> Flask:
    config = {
        "ENV": "test",
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": tmp_path / "instance",
        "SERVER_NAME": "localhost",
        "BASE_URL": "http://localhost",
        **overrides,
    }
    return create_app(config)


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = make_test_app(database_url, tmp_path)
    database: dbmod.Database = app.extensions["dataguild_db"]
    if database.is_sqlite:
        database.create_all()
    else:
        _prepare_postgres(database)
    yield app
    database.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def db_session(app: Flask) -> Iterator[Session]:
    """A session outside any request (for arranging data and checking results).

    No app context stays pushed while the test runs: Flask reuses an already-pushed app context for
    requests, so ``g`` (the request's db session, the signed-in member, the CSRF token) would leak
    from one test-client request into the next, which never happens in production."""
    session = app.extensions["dataguild_db"].Session()
    try:
        yield session
    finally:
        session.close()


_CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_token(html: str | bytes) -> str:
    """The CSRF token of the (first) form in a page, as a browser would submit it."""
    if isinstance(html, bytes):
        html = html.decode("utf-8")
    match = _CSRF_RE.search(html)
    assert match, "page has no form with a csrf_token"
    return match.group(1) or match.group(2)


# ---------------------------------------------------------------- members and signed-in clients

DEFAULT_PASSWORD = "correct horse battery staple"
ROLE_NAMES = ("member", "steward", "trustee", "observer", "admin")


def make_member(session: Session, email: str, *, name: str | None = None,
                roles: tuple[str, ...] | list[str] = ("member",), password: str = DEFAULT_PASSWORD,
                commit: bool = True):  # -> governance.members.models.Member
    """An active member with a password, added through the real service (so the audit log has it)."""
    from governance.auth.passwords import password_hasher
    from governance.members.services import add_member, parse_roles

    member = add_member(session, actor=None, email=email, name=name or email.partition("@")[0].capitalize(),
                        roles=parse_roles(roles), password_hash=password_hasher({"ENV_NAME": "test"}).hash(password))
    if commit:
        session.commit()
    return member


def login(client: FlaskClient, email: str, password: str = DEFAULT_PASSWORD, *, expect_success: bool = True):
    """Sign in through the real form (with its CSRF token); returns the POST response."""
    page = client.get("/login")
    response = client.post("/login", data={"email": email, "password": password,
                                           "csrf_token": csrf_token(page.data)})
    if expect_success:
        assert response.status_code == 302, response.data.decode()[:2000]
    return response


def make_token(session: Session, member: Any, *scopes: str, label: str = "script") -> str:
    """A personal access token of ``member`` with ``scopes`` (default: read), valid from now; committed.
    Returns the ``Authorization`` header value."""
    from governance.api.services import create_token

    _row, token = create_token(session, member=member, label=label, scopes=scopes or ("read",), lifetime_days=90,
                               now=datetime.now(UTC))
    session.commit()
    return f"Bearer {token}"


@pytest.fixture
def make_logged_in_client(app: Flask, db_session: Session):
    """``make_logged_in_client("steward", "admin")`` → (client, member) signed in with those roles."""
    counter = {"n": 0}

    def factory(*roles: str, email: str | None = None) -> tuple[FlaskClient, object]:
        counter["n"] += 1
        roles = roles or ("member",)
        address = email or f"{'-'.join(roles)}{counter['n']}@example.org"
        member = make_member(db_session, address, roles=roles)
        client = app.test_client()
        login(client, address)
        return client, member

    return factory


@pytest.fixture
def member_client(make_logged_in_client) -> FlaskClient:
    return make_logged_in_client("member")[0]


@pytest.fixture
def steward_client(make_logged_in_client) -> FlaskClient:
    return make_logged_in_client("member", "steward")[0]


@pytest.fixture
def trustee_client(make_logged_in_client) -> FlaskClient:
    return make_logged_in_client("member", "trustee")[0]


@pytest.fixture
def observer_client(make_logged_in_client) -> FlaskClient:
    return make_logged_in_client("observer")[0]


@pytest.fixture
def admin_client(make_logged_in_client) -> FlaskClient:
    return make_logged_in_client("member", "admin")[0]



@contextmanager
def separate_session(session: Session) -> Iterator[Session]:
    """A short-lived session on the same database, for reading results in a test.

    On SQLite every transaction takes the write lock (BEGIN IMMEDIATE), so a test must never keep one
    open across requests; reading through the test's own session would also expire (and later
    silently reload, re-opening a transaction) the objects it arranged. Objects read here stay
    usable after the block (their loaded attributes)."""
    other = Session(bind=session.get_bind(), expire_on_commit=False)
    try:
        yield other
    finally:
        other.close()


def count_rows(session: Session, model: type, *where: object) -> int:
    """``SELECT count(*)`` through a separate session (see separate_session)."""
    from sqlalchemy import func, select

    with separate_session(session) as s:
        return s.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def reload(session: Session, model: type, ident: object):
    """A fresh copy of a row, read through a separate session (see separate_session)."""
    with separate_session(session) as s:
        return s.get(model, ident)


def fetch_all(session: Session, statement: object) -> list:
    """Rows of ``statement`` (scalars if it selects one entity/column) through a separate session."""
    with separate_session(session) as s:
        result = s.execute(statement)
        return list(result.scalars()) if len(result.keys()) == 1 else list(result.all())


@contextmanager
def live_site(app: Flask) -> Iterator[str]:
    """The app served over real HTTP on 127.0.0.1 (a free port) in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


# ---------------------------------------------------------------- a real browser (Debian's Chromium)

CHROMIUM = Path(os.environ.get("DATAGUILD_TEST_CHROMIUM", "/usr/bin/chromium"))  # Debian's, from .ci/run
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
REQUIRE_BROWSER = os.environ.get("DATAGUILD_TEST_REQUIRE_BROWSER") == "1"


def node_or_skip(what: str) -> str:
    """The path of ``node`` (Node.js 20+, which the JavaScript cryptography tests run under); skips the tests
    without it, or fails them when ``DATAGUILD_TEST_REQUIRE_BROWSER=1`` (CI) asks for every browser test."""
    found = shutil.which("node")
    if found is None:
        if REQUIRE_BROWSER:
            pytest.fail(f"DATAGUILD_TEST_REQUIRE_BROWSER=1 but `node` is not on PATH: install Node.js 20+ to run "
                        f"the tests of {what}.")
        pytest.skip(f"node is not installed ({what} is tested with Node.js)")
    return found


def browser_missing() -> str | None:
    """Why no browser test can run here (None when Chromium and Playwright are both installed)."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python package playwright is missing (pip install -e '.[test]')"
    return None


def require_browser() -> None:
    """Skip without a browser, or fail when DATAGUILD_TEST_REQUIRE_BROWSER=1 (as .ci/run sets)."""
    missing = browser_missing()
    if missing and REQUIRE_BROWSER:
        pytest.fail(f"DATAGUILD_TEST_REQUIRE_BROWSER=1 but {missing}", pytrace=False)
    if missing:
        pytest.skip(f"browser tests skipped: {missing}")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One Chromium per test process, driven by Playwright (never a downloaded browser). Sync
    Playwright runs an event loop in this thread while it is open, so a process may hold only one:
    every browser test shares this one and makes its own context."""
    require_browser()
    from playwright.sync_api import sync_playwright

    # Playwright gives every launch a fresh temporary profile (its own --user-data-dir).
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()
