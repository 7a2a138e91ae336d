"""``dataguild demo``: a demo cooperative on SQLite in the instance folder, seeded through the real
services (so the audit log tells its story), served by Flask's development server."""

from __future__ import annotations

import importlib
import io
import os
from datetime import timedelta
from pathlib import Path

import click
from argon2 import PasswordHasher
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.serving import run_simple

from governance.mail.services import MailSender, send_pending, take_queued_ids
from governance.members.models import Member, Role
from governance.members.services import add_member, invite_member, suspend_member
from governance.sitecontext import SiteSettings, utcnow

DEMO_PASSWORD = "dataguild-demo"  # noqa: S105 - printed at start; demo only
DEMO_DB_NAME = "demo.sqlite"

#: (email local part, name, roles). Later issues extend the demo with proposals and ballots.
DEMO_ACCOUNTS: list[tuple[str, str, tuple[Role, ...]]] = [
    ("admin", "Ada Okafor", (Role.ADMIN, Role.MEMBER)),
    ("steward", "Sam Lindqvist", (Role.STEWARD, Role.MEMBER)),
    ("rosa", "Rosa Martínez", (Role.STEWARD, Role.MEMBER)),
    ("trustee1", "Tomás Weber", (Role.TRUSTEE, Role.MEMBER)),
    ("trustee2", "Priya Raman", (Role.TRUSTEE, Role.MEMBER)),
    ("trustee3", "Kwame Mensah", (Role.TRUSTEE, Role.MEMBER)),
    ("observer", "Olivia Auditor", (Role.OBSERVER,)),
    ("member", "Mia Schneider", (Role.MEMBER,)),
] + [
    (name.split()[0].lower(), name, (Role.MEMBER,)) for name in (
        "Amara Diallo", "Bilal Haddad", "Chen Wei", "Dana Kowalski", "Elif Yılmaz", "Farah Naseri",
        "Goran Petrović", "Hana Sato", "Ines Carvalho", "Jonas Berg", "Kofi Asante", "Lena Fischer",
        "Mateo Rossi", "Nadia Benali", "Oskar Nilsson", "Paula Jiménez", "Quentin Moreau", "Rania Saleh",
        "Sven Larsen", "Tara O'Neill", "Umar Farouk", "Vera Ivanova", "Wanjiru Kamau", "Ximena Flores",
        "Yusuf Demir", "Zoe Papadopoulos",
    )
]
SUSPENDED_DEMO_MEMBER = "quentin"
INVITED_DEMO_PERSON = ("newcomer", "Noor Haddad")


def demo_email(local: str) -> str:
    return f"{local}@demo.coop"


def demo_database_url(instance_path: str | Path) -> str:
    return f"sqlite:///{Path(instance_path) / DEMO_DB_NAME}"


def seed_demo(session: Session, *, hasher: PasswordHasher, site: SiteSettings,
              instance_path: str | Path | None = None) -> bool:
    """Seed an empty database; returns False (and does nothing) if it already has members. With
    ``instance_path``, the demo trustees' key files and tokens are written under it."""
    if session.execute(select(func.count()).select_from(Member)).scalar_one():
        return False
    start = utcnow() - timedelta(days=60)
    # One hash for all: every demo account shares the published password anyway.
    password_hash = hasher.hash(DEMO_PASSWORD)
    _seed_constitution(session)
    members: dict[str, Member] = {}
    for i, (local, name, roles) in enumerate(DEMO_ACCOUNTS):
        actor = members.get("admin")
        members[local] = add_member(session, actor=actor, email=demo_email(local), name=name, roles=list(roles),
                                    password_hash=password_hash, now=start + timedelta(hours=i))
    steward = members["steward"]
    suspend_member(session, actor=steward, member=members[SUSPENDED_DEMO_MEMBER],
                   reason="Shared the cooperative's dataset access key outside the cooperative (demo).")
    invite_member(session, actor=steward, email=demo_email(INVITED_DEMO_PERSON[0]), name=INVITED_DEMO_PERSON[1],
                  roles=[Role.MEMBER], site=site)
    # The demo belongs to the composition root (like cli.py), so it may reach up into proposals.
    from proposals.demo import seed_proposals

    seed_proposals(session, members=members, now=utcnow(), base_url=site.base_url)
    from voting.demo.elections import seed_elections  # before the payouts: it enacts the payout policy they use

    seed_elections(session, members=members, now=utcnow(), instance_path=instance_path, base_url=site.base_url,
                   cooperative_name=site.cooperative_name)
    from governance.payouts.demo import seed_payouts

    seed_payouts(session, members=members, now=utcnow())
    session.flush()
    return True


def _seed_constitution(session: Session) -> None:
    try:
        services = importlib.import_module("governance.constitution.services")
    except ImportError:
        return
    seed = getattr(services, "seed_defaults", None)
    if seed is not None and services.current_version(session) is None:
        seed(session, None)


def _mark_seed_mail_sent(app: Flask, session: Session) -> None:
    # The seeding mail (one invitation) goes to the outbox as sent, without flooding the console.
    ids = take_queued_ids(session)
    if ids:
        send_pending(session, MailSender(app.config, stream=io.StringIO()), ids=ids)


def prepare_demo(instance_path: str, *, reset: bool, base_url: str | None = None,
                 hasher: PasswordHasher | None = None) -> tuple[Flask, bool]:
    """Create (or reset), migrate and seed the demo database; returns the app and whether it seeded."""
    from governance.app import create_app
    from governance.auth.passwords import password_hasher
    from governance.operations.migrate import upgrade_database

    db_file = Path(instance_path) / DEMO_DB_NAME
    if reset:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_file}{suffix}").unlink(missing_ok=True)
    overrides = {"ENV": "development", "INSTANCE_PATH": instance_path,
                 "DATABASE_URL": demo_database_url(instance_path)}
    if base_url:
        overrides["BASE_URL"] = base_url
    app = create_app(overrides)
    upgrade_database(app.config["DATABASE_URL"])
    with app.app_context():
        database = app.extensions["dataguild_db"]
        with database.Session() as session:
            seeded = seed_demo(session, hasher=hasher or password_hasher(app.config),
                               site=SiteSettings.from_config(app.config), instance_path=instance_path)
            _mark_seed_mail_sent(app, session)
            session.commit()
    return app, seeded


def print_accounts() -> None:
    echo = click.echo
    echo(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
    for local, name, roles in DEMO_ACCOUNTS[:8]:
        echo(f"  {demo_email(local):<24} {name:<18} {', '.join(r.value for r in roles)}")
    echo(f"  ... and {len(DEMO_ACCOUNTS) - 8} more members (e.g. {demo_email(DEMO_ACCOUNTS[8][0])}); "
         f"{demo_email(SUSPENDED_DEMO_MEMBER)} is suspended, {demo_email(INVITED_DEMO_PERSON[0])} is invited.")
    echo("Proposals of every kind in every state are at /proposals; the dataset catalogue is at /datasets.")
    echo("The adopted policy is at /policy (for machines: /policy/data-use.jsonld; ask /policy/check or "
         "POST /api/v1/policy/decide), the deals at /deals, payout statements at /payouts (stewards).")


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--seed-only", is_flag=True, help="Create and seed the demo database, then exit.")
@click.option("--reset", is_flag=True, help="Delete the demo database first.")
def demo_command(*, host: str, port: int, seed_only: bool, reset: bool) -> None:
    """Serve a demo cooperative (instance/demo.sqlite, development settings, mail printed to the console)."""
    from governance.app import default_instance_path

    instance_path = default_instance_path()
    link_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 - comparing, not binding
    base_url = os.environ.get("DATAGUILD_BASE_URL") or f"http://{link_host}:{port}"
    app, seeded = prepare_demo(instance_path, reset=reset, base_url=base_url)
    click.echo(f"Demo database: {Path(instance_path) / DEMO_DB_NAME} "
               f"({'seeded just now' if seeded else 'already seeded; --reset starts afresh'})")
    print_accounts()
    from voting.demo.elections import where_to_look

    with app.app_context(), app.extensions["dataguild_db"].Session() as session:
        for line in where_to_look(session, instance_path):
            click.echo(line)
    if seed_only:
        return
    click.echo(f"Serving the demo at http://{host}:{port}/  (mail: printed here and listed at /dev/outbox)")
    # Not app.run(): Flask ignores it inside its own CLI (FLASK_RUN_FROM_CLI), which `dataguild` is.
    run_simple(host, port, app, use_reloader=False, use_debugger=False, threaded=True)
