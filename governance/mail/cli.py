"""``dataguild mail send``: send (or retry) every mail still in the outbox."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from governance import db
from governance.mail.services import MailSender, send_pending, take_queued_ids

mail_cli = AppGroup("mail", help="The outbox.")


@mail_cli.command("send")
def send_command() -> None:
    """Send every queued mail; exit status 1 if any failed (they stay queued with their error)."""
    session = db.session()
    sent, failed = send_pending(session, MailSender(current_app.config))
    session.commit()
    click.echo(f"sent {sent}, failed {failed}")
    if failed:
        raise SystemExit(1)


def send_queued_after_commit(session: Session) -> None:
    """For CLI commands: send what ``session`` queued, now that it is committed."""
    ids = take_queued_ids(session)
    if ids:
        send_pending(session, MailSender(current_app.config), ids=ids)
        session.commit()
