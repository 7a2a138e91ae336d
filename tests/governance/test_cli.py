"""The dataguild console script: member add, db upgrade, demo, serve."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from governance.audit.models import AuditEntry
from governance.audit.services import verify_audit_log
from governance.cli import main
from governance.constitution.rules import KINDS
from governance.db import Database
from governance.members.models import Member, MemberStatus, Role
from governance.operations.demo import DEMO_PASSWORD
from governance.operations.serve import ACCESS_LOG_FORMAT, gunicorn_options
from governance.policy.integrity import verify_policy_chain
from governance.policy.services import current_rules
from proposals.models import Proposal, ProposalState
from tests.conftest import count_rows, fetch_all, login

ROOT = Path(__file__).resolve().parents[2]


def _invoke(app, args, **kwargs):
    return app.test_cli_runner().invoke(main, args, **kwargs)


def test_member_add_with_a_piped_password_creates_an_active_member(app, db_session):
    result = _invoke(app, ["member", "add", "First@Example.org", "--name", "First Admin", "--role", "admin",
                           "--role", "steward"], input="a long enough password\n")
    assert result.exit_code == 0, result.output
    assert "they can sign in now" in result.output
    member = fetch_all(db_session, select(Member))[0]
    assert member.email == "first@example.org"
    assert member.status == MemberStatus.ACTIVE
    assert member.role_names == {Role.ADMIN, Role.STEWARD}
    assert fetch_all(db_session, select(AuditEntry.action)) == ["member.added"]
    login(app.test_client(), "first@example.org", "a long enough password")


def test_member_add_without_a_password_prints_an_invitation(app, db_session):
    result = _invoke(app, ["member", "add", "inv@example.org", "--name", "Invitee", "--role", "member"], input="")
    assert result.exit_code == 0, result.output
    assert "http://localhost/invitations/" in result.output
    member = fetch_all(db_session, select(Member))[0]
    assert member.status == MemberStatus.INVITED
    path = result.output.split("http://localhost", 1)[1].split()[0]
    assert app.test_client().get(path).status_code == 200


def test_member_add_with_an_unknown_role_fails_with_exit_code_2_and_writes_nothing(app, db_session):
    result = _invoke(app, ["member", "add", "x@example.org", "--name", "X", "--role", "chair"],
                     input="a long enough password\n")
    assert result.exit_code == 2
    assert "'chair' is not one of" in result.output
    assert count_rows(db_session, Member) == 0
    assert count_rows(db_session, AuditEntry) == 0


def test_member_add_refuses_duplicates_and_short_passwords(app, db_session):
    args = ["member", "add", "dup@example.org", "--name", "Dup", "--role", "member"]
    assert _invoke(app, args, input="a long enough password\n").exit_code == 0
    again = _invoke(app, args, input="a long enough password\n")
    assert again.exit_code == 1
    assert "already a member with the email dup@example.org" in again.output
    short = _invoke(app, ["member", "add", "s@example.org", "--name", "S", "--role", "member"], input="short\n")
    assert short.exit_code == 1
    assert "at least 10 characters" in short.output
    assert count_rows(db_session, Member) == 1


def test_db_upgrade_command_creates_the_schema(tmp_path):
    from governance.app import create_app

    url = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    app = create_app({"ENV": "test", "DATABASE_URL": url, "INSTANCE_PATH": tmp_path})
    result = app.test_cli_runner().invoke(main, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    database = Database(url)
    try:
        with database.Session() as session:
            assert session.execute(select(Member)).all() == []
    finally:
        database.engine.dispose()


def test_demo_seed_only_builds_a_verifiable_demo_cooperative(tmp_path):
    runner = CliRunner()
    env = {"DATAGUILD_INSTANCE_PATH": str(tmp_path / "instance")}
    result = runner.invoke(main, ["demo", "--seed-only"], env=env)
    assert result.exit_code == 0, result.output
    assert "steward@demo.coop" in result.output
    assert DEMO_PASSWORD in result.output
    for where in ("/proposals", "/policy", "/api/v1/policy/decide", "/deals", "/payouts"):
        assert where in result.output
    db_file = tmp_path / "instance" / "demo.sqlite"
    database = Database(f"sqlite:///{db_file}")
    try:
        with database.Session() as session:
            members = session.execute(select(Member)).scalars().all()
            active = [m for m in members if m.status == MemberStatus.ACTIVE]
            assert len(active) >= 30
            assert sum(m.has_role(Role.TRUSTEE) for m in active) == 3
            for role in (Role.STEWARD, Role.OBSERVER, Role.ADMIN):
                assert any(m.has_role(role) for m in active)
            assert all(m.email.endswith("@demo.coop") for m in members)
            assert verify_audit_log(session) == []
            entries = session.execute(select(AuditEntry)).scalars().all()
            assert len(entries) > len(members)
            # Proposals of every kind in every stored state ("counting" is derived from the clock), and a
            # policy enacted from the adopted ones (tests/proposals/test_demo.py checks the details).
            stored = {(kind, state) for kind, state in session.execute(select(Proposal.kind, Proposal.state))}
            # (Deal suspensions, emergency votes on the demo's deals, are not seeded.)
            assert stored == {(kind, state) for kind in KINDS for state in ProposalState
                              if state != ProposalState.COUNTING and kind != "deal_suspension"}
            assert current_rules(session)
            assert verify_policy_chain(session) == []
        # Seeding twice does not duplicate; --reset starts afresh.
        assert "already seeded" in runner.invoke(main, ["demo", "--seed-only"], env=env).output
        assert "seeded just now" in runner.invoke(main, ["demo", "--seed-only", "--reset"], env=env).output
    finally:
        database.engine.dispose()


def test_gunicorn_settings_are_production_minded():
    options = gunicorn_options(bind="127.0.0.1:8000", workers=3, timeout=30, forwarded_allow_ips="10.0.0.1")
    assert options["workers"] == 3
    assert options["forwarded_allow_ips"] == "10.0.0.1"
    assert "%(U)s" in ACCESS_LOG_FORMAT  # path without query string
    assert "%(r)s" not in ACCESS_LOG_FORMAT
    assert "%(q)s" not in ACCESS_LOG_FORMAT
    assert "%(f)s" not in ACCESS_LOG_FORMAT  # no referer either


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_runs_gunicorn_migrates_on_request_and_keeps_tokens_out_of_the_log(tmp_path):
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATAGUILD_SECRET_KEY": "s" * 40,
           "DATAGUILD_DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite'}",
           "DATAGUILD_INSTANCE_PATH": str(tmp_path / "instance")}
    env.pop("DATAGUILD_ENV", None)
    cli = [sys.executable, "-c", "from governance.cli import main; main()"]
    serve = [*cli, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--migrate"]
    run = {"env": env, "cwd": tmp_path, "capture_output": True, "text": True, "timeout": 60}
    refused_start = subprocess.run(serve, check=False, **run)  # noqa: S603 - our own console script, fixed arguments
    assert refused_start.returncode != 0
    assert "dataguild keys generate" in refused_start.stderr
    generated = subprocess.run([*cli, "keys", "generate"], check=False, **run)  # noqa: S603
    assert generated.returncode == 0, generated.stderr
    assert (tmp_path / "instance" / "signing-keys.json").stat().st_mode & 0o077 == 0
    proc = subprocess.Popen(  # noqa: S603 - our own console script, fixed arguments
        [sys.executable, "-c", "from governance.cli import main; main()", "serve", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--migrate"], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        body = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and body is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    body = response.read()
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.3)
        assert body == b'{"database":"ok","status":"ok"}\n'
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/invitations/SECRETTOKEN?q=SECRETQUERY", timeout=5)
        assert refused.value.code == 400
    finally:
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=30)[0].decode()
    assert "database upgraded" in output
    assert "GET /healthz" in output
    assert "/invitations/[token]" in output
    assert "SECRETTOKEN" not in output
    assert "SECRETQUERY" not in output


def _wait_for(url: str, seconds: float = 30) -> bytes:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - http to localhost
                return response.read()
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def test_demo_serves_and_a_demo_steward_invites_someone_seen_in_the_outbox(tmp_path):
    import http.cookiejar
    import re
    import urllib.parse

    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATAGUILD_INSTANCE_PATH": str(tmp_path / "instance")}
    proc = subprocess.Popen(  # noqa: S603 - our own console script, fixed arguments
        [sys.executable, "-c", "from governance.cli import main; main()", "demo", "--port", str(port)],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(base + "/healthz", seconds=180)  # seeding runs the demo's key ceremony and elections first
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

        def post(path: str, fields: dict) -> str:
            page = browser.open(base + path).read().decode()
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
            data = urllib.parse.urlencode({**fields, "csrf_token": token}, doseq=True).encode()
            return browser.open(base + path, data).read().decode()

        assert "Hello, Sam Lindqvist" in post("/login", {"email": "steward@demo.coop", "password": DEMO_PASSWORD})
        post("/members/invite", {"email": "guest@example.org", "name": "Guest", "roles": ["member"]})
        outbox = browser.open(base + "/dev/outbox").read().decode()
        assert "guest@example.org" in outbox
        assert f"{base}/invitations/" in outbox  # links point at the served address
    finally:
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=30)[0].decode()
    assert "steward@demo.coop" in output
    assert "To: guest@example.org" in output  # console mail backend
