"""``dataguild tick``: housekeeping that may run from cron as often as one likes (nothing depends on it
having run: the pages derive time-based states from the clock)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from governance import db
from governance.mail.cli import send_queued_after_commit
from governance.sitecontext import SiteSettings, utcnow
from proposals.lifecycle import tick


@click.command("tick")
@with_appcontext
def tick_command() -> None:
    """Store "counting" for votes whose window has ended and mail the 24-hour reminders."""
    session = db.session()
    report = tick(session, now=utcnow(), base_url=SiteSettings.from_config(current_app.config).base_url)
    session.commit()
    send_queued_after_commit(session)
    click.echo(f"counting started for {report.counting_started} proposal(s); "
               f"{report.reminders_queued} reminder(s) queued")
