"""Real-browser tests: Debian's Chromium (driven by Playwright) against the site served by gunicorn.

* The browser is ``/usr/bin/chromium`` from Debian (``.ci/run`` installs it); Playwright never downloads
  one. Without it the whole directory is skipped, unless ``DATAGUILD_TEST_REQUIRE_BROWSER=1`` (CI),
  which turns the skip into a failure.
* The site runs as in production: ``dataguild serve`` (gunicorn, 2 sync workers, ``DATAGUILD_ENV=production``)
  on 127.0.0.1 and a free port, against a real database holding the demo cooperative. The demo is
  seeded once per test run (one xdist worker seeds, the others wait on a file lock) into a template,
  and every site gets its own copy: a SQLite file, or — for the ``postgresql`` sites, when
  ``DATAGUILD_TEST_POSTGRES_URL`` is set — a database created from a PostgreSQL template.
* Each test gets a fresh browser context (no cookies, no storage) in one Chromium per worker.
* ``DATAGUILD_SCREENSHOTS=1`` makes the tests save PNGs under docs/screenshots/ (off by default so
  that test runs never change the tree).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_browser

ROOT = Path(__file__).resolve().parents[2]
VENDOR = Path(__file__).resolve().parent / "vendor"
SCREENSHOT_DIR = ROOT / "docs" / "screenshots"
TAKE_SCREENSHOTS = os.environ.get("DATAGUILD_SCREENSHOTS") == "1"
POSTGRES_URL = os.environ.get("DATAGUILD_TEST_POSTGRES_URL")
DEMO_PASSWORD = "dataguild-demo"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 780}


@pytest.fixture(autouse=True, scope="session")
def _browser_available() -> None:
    require_browser()


# ------------------------------------------------------------------ the demo, seeded once per run

def _shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's temporary folder, which every xdist worker of the run shares (each has a subfolder)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _seed_demo(instance: Path) -> None:
    # In a child process: seeding imports and configures the whole app, which this process's other
    # tests must not inherit (environment, logging, crypto backend).
    code = ("import sys; from governance.operations.demo import prepare_demo; "
            "prepare_demo(sys.argv[1], reset=True)")
    subprocess.run([sys.executable, "-c", code, str(instance)], check=True, cwd=ROOT,  # noqa: S603
                   env={**os.environ, "DATAGUILD_ENV": "development"}, capture_output=True)
    with contextlib.closing(sqlite3.connect(instance / "demo.sqlite")) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for suffix in ("-wal", "-shm"):
        (instance / f"demo.sqlite{suffix}").unlink(missing_ok=True)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory, _browser_available: None) -> Path:
    """An instance folder with the seeded demo (demo.sqlite, signing keys, demo-trustees/).

    ``DATAGUILD_TEST_DEMO_TEMPLATE=DIR`` reuses a folder seeded earlier (``prepare_demo``), which saves
    the half minute of seeding while writing tests; CI never sets it."""
    prepared = os.environ.get("DATAGUILD_TEST_DEMO_TEMPLATE")
    if prepared:
        return Path(prepared)
    shared = _shared_dir(tmp_path_factory)
    instance = shared / "demo-template"
    with _file_lock(shared / "demo-template.lock"):
        if not (instance / ".ready").exists():
            shutil.rmtree(instance, ignore_errors=True)
            instance.mkdir(parents=True)
            _seed_demo(instance)
            (instance / ".ready").write_text("seeded\n")
    return instance


def _copy_sqlite_to_postgres(sqlite_file: Path, pg_url: str) -> None:
    """The demo's rows, table by table, into a migrated PostgreSQL database (then the id sequences)."""
    from sqlalchemy import create_engine, insert, inspect, select, text

    import governance.models_registry  # noqa: F401
    from governance import db as dbmod
    from governance.app import create_app  # noqa: F401 - registers every model on the metadata
    from governance.operations.migrate import upgrade_database

    upgrade_database(pg_url)
    source = create_engine(f"sqlite:///{sqlite_file}")
    target = create_engine(dbmod.normalise_url(pg_url))
    tables = [t for t in dbmod.Base.metadata.sorted_tables if t.name in inspect(source).get_table_names()]
    with source.connect() as src, target.begin() as dst:
        dst.execute(text("SET session_replication_role = replica"))  # cyclic FKs: load first, check by design
        for table in tables:
            rows = [dict(r._mapping) for r in src.execute(select(table))]
            if rows:
                dst.execute(insert(table), rows)
        for table in tables:
            for column in table.primary_key.columns:
                if column.autoincrement is True or (column.autoincrement == "auto" and
                                                    column.type.python_type is int):
                    sequence = f"pg_get_serial_sequence('\"{table.name}\"', '{column.name}')"
                    highest = f'SELECT max("{column.name}") FROM "{table.name}"'  # noqa: S608 - our own names
                    dst.execute(text(f"SELECT setval({sequence}, COALESCE(({highest}), 0) + 1, false) "
                                     f"WHERE {sequence} IS NOT NULL"))
    source.dispose()
    target.dispose()


@pytest.fixture(scope="session")
def postgres_template(demo_template: Path) -> Iterator[str]:
    """This worker's PostgreSQL template database holding the demo (name of the database)."""
    from sqlalchemy import make_url

    from tests.conftest import scratch_postgres_database

    with scratch_postgres_database("browser_tpl") as url:
        _copy_sqlite_to_postgres(demo_template / "demo.sqlite", url)
        yield make_url(url).database


# ------------------------------------------------------------------ the site under gunicorn

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Site:
    """A running site: its URL, its database (for the clock-travel a test needs) and its log."""

    url: str
    database_url: str
    instance: Path
    log: Path
    backend: str
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def sql(self, statement: str, **params: Any) -> list[Any]:
        """Run SQL against the site's database (used only to move the clock: windows and periods)."""
        from sqlalchemy import create_engine, text

        from governance import db as dbmod

        engine = create_engine(dbmod.normalise_url(self.database_url))
        try:
            with engine.begin() as conn:
                result = conn.execute(text(statement), params)
                return list(result.all()) if result.returns_rows else []
        finally:
            engine.dispose()

    def latest_mail(self, to: str) -> str:
        rows = self.sql("SELECT body FROM outbox_mails WHERE to_address = :to ORDER BY id DESC", to=to)
        assert rows, f"no mail to {to}"
        return rows[0][0]

    def get_json(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=10) as response:  # noqa: S310 - our own server
            return json.load(response)


def _start_site(instance: Path, database_url: str, backend: str, log: Path) -> Site:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DATAGUILD_ENV": "production", "DATAGUILD_SECRET_KEY": os.urandom(16).hex(),
           "DATAGUILD_DATABASE_URL": database_url, "DATAGUILD_INSTANCE_PATH": str(instance),
           "DATAGUILD_BASE_URL": url, "DATAGUILD_SECURE_COOKIES": "false", "DATAGUILD_MAIL_BACKEND": "console",
           "DATAGUILD_COOPERATIVE_NAME": "Riders' Data Cooperative"}
    code = "import sys; from governance.cli import main; sys.argv[0] = 'dataguild'; main()"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-c", code, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    site = Site(url=url, database_url=database_url, instance=instance, log=log, backend=backend, process=process)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited ({process.returncode}):\n{log.read_text()[-3000:]}", pytrace=False)
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return site
        except OSError:
            time.sleep(0.1)
    _stop_site(site)
    pytest.fail(f"gunicorn did not answer within 60 s:\n{log.read_text()[-3000:]}", pytrace=False)
    raise AssertionError  # unreachable


def _stop_site(site: Site) -> None:
    process = site.process
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown: its master stops its own workers
    try:
        process.wait(timeout=1)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextlib.contextmanager
def running_site(demo_template: Path, where: Path, backend: str, request: pytest.FixtureRequest) -> Iterator[Site]:
    instance = where / "instance"
    shutil.copytree(demo_template, instance, ignore=shutil.ignore_patterns(".ready"))
    database_url = f"sqlite:///{instance / 'demo.sqlite'}"
    drop: tuple[Any, str] | None = None
    if backend == "postgresql":
        from sqlalchemy import create_engine, make_url, text

        from governance import db as dbmod

        template = request.getfixturevalue("postgres_template")
        url = make_url(dbmod.normalise_url(POSTGRES_URL or ""))
        name = f"{url.database}_browser{os.getpid()}_{where.name[-20:]}".replace("-", "_").lower()
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        database_url = url.set(database=name).render_as_string(hide_password=False)
        drop = (admin, name)
    site = _start_site(instance, database_url, backend, where / "gunicorn.log")
    try:
        yield site
    finally:
        _stop_site(site)
        if drop is not None:
            admin, name = drop
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


#: Journeys that write run on SQLite and also on PostgreSQL when it is configured.
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


@pytest.fixture(params=BACKENDS)
def site(request: pytest.FixtureRequest, demo_template: Path, tmp_path: Path) -> Iterator[Site]:
    """A site of this test's own (a copy of the demo), on each configured database."""
    with running_site(demo_template, tmp_path, request.param, request) as running:
        yield running


@pytest.fixture
def production_db_site(request: pytest.FixtureRequest, demo_template: Path, tmp_path: Path) -> Iterator[Site]:
    """A site on PostgreSQL when it is configured (what production runs), else on SQLite: for the longest
    journey, whose SQLite side the other journeys already cover."""
    backend = "postgresql" if POSTGRES_URL else "sqlite"
    with running_site(demo_template, tmp_path, backend, request) as running:
        yield running


@pytest.fixture
def sqlite_site(request: pytest.FixtureRequest, demo_template: Path, tmp_path: Path) -> Iterator[Site]:
    """A site of this test's own on SQLite only (journeys whose database work another test already covers)."""
    with running_site(demo_template, tmp_path, "sqlite", request) as running:
        yield running


@pytest.fixture(scope="module")
def shared_site(request: pytest.FixtureRequest, demo_template: Path,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One site for a whole module of tests that only read (the accessibility checks)."""
    where = tmp_path_factory.mktemp("shared-site")
    with running_site(demo_template, where, "sqlite", request) as running:
        yield running


# ------------------------------------------------------------------ the browser

@pytest.fixture
def new_page(browser: Any) -> Iterator[Any]:
    """``new_page(site, javascript=True, viewport=DESKTOP)`` → a page in a fresh context. A test fails
    if any of its pages reports a Content-Security-Policy violation (something the site itself served
    that its own policy refuses)."""
    contexts: list[Any] = []
    violations: list[str] = []

    def factory(site: Site, *, javascript: bool = True, viewport: dict[str, int] | None = None) -> Any:
        context = browser.new_context(base_url=site.url, java_script_enabled=javascript,
                                      viewport=viewport or DESKTOP, locale="en-GB", timezone_id="UTC",
                                      accept_downloads=True)
        context.set_default_timeout(float(os.environ.get("DATAGUILD_BROWSER_TIMEOUT_MS", "15000")))
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda message: violations.append(f"{page.url}: {message.text}")
                if "Content Security Policy" in message.text else None)
        return page

    yield factory
    for context in contexts:
        context.close()
    assert not violations, "the site's pages broke their own Content-Security-Policy:\n" + "\n".join(violations)


@pytest.fixture
def page(new_page: Any, site: Site) -> Any:
    return new_page(site)


def demo_email(local: str) -> str:
    return f"{local}@demo.coop"


def sign_in(page: Any, email: str, password: str = DEMO_PASSWORD) -> None:
    """Through the real sign-in form, as a person would (mouse)."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("banner").get_by_role("link", name="Sign in")).to_be_visible()


def save_screenshot(page: Any, name: str, *, show: str | None = None) -> None:
    """docs/screenshots/<name>-desktop.png and -phone.png (only with DATAGUILD_SCREENSHOTS=1); ``show``: a
    CSS selector to scroll to the middle of the picture (else the top of the page)."""
    if not TAKE_SCREENSHOTS:
        return
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        if show:
            page.locator(show).first.evaluate("e => e.scrollIntoView({block: 'center'})")
        else:
            page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(SCREENSHOT_DIR / f"{name}-{label}.png"), full_page=False, animations="disabled",
                        caret="hide")
    page.set_viewport_size(original)


AXE_SCRIPT = VENDOR / "axe.min.js"
SERIOUS = ("serious", "critical")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the current page (WCAG 2.0/2.1 A and AA rules)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, which the page's Content-Security-Policy does not
        # govern: an injected <script> would (rightly) be refused as an inline script.
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}));
    }""")
    return [v for v in result if v["impact"] in SERIOUS]


def assert_accessible(page: Any, what: str) -> None:
    violations = axe_violations(page)
    assert not violations, f"axe on {what} ({page.url}):\n" + json.dumps(violations, indent=2)


def horizontal_overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than the viewport (0: no horizontal scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def expect(target: Any, message: str | None = None) -> Any:
    """Playwright's auto-waiting assertions (imported late: this module loads without Playwright)."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target, message)
