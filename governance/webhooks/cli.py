"""``dataguild webhooks deliver``: the agreement-expiry sweep, then every delivery that is due (cron)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from governance import db
from governance.policy.agreements import emit_expired_agreements
from governance.sitecontext import utcnow
from governance.webhooks.delivery import WebhookSender, deliver_due
from governance.webhooks.services import take_queued_ids

webhooks_cli = AppGroup("webhooks", help="Signed webhooks to subscribed receivers (docs/webhooks.md).")


@webhooks_cli.command("deliver")
@click.option("--limit", default=500, show_default=True, help="At most this many deliveries in one run.")
def deliver_command(limit: int) -> None:
    """Emit agreement.expired for agreements past their end date (once each), then send every due
    delivery: first attempts that could not be sent after their request, and retries whose time has
    come. Safe to run from cron every minute, and concurrently. A receiver that fails is retried
    later (exit status 0); only our own errors exit non-zero."""
    session = db.session()
    now = utcnow()
    expired = emit_expired_agreements(session, now=now)
    session.commit()
    take_queued_ids(session)  # due now: the run below sends them
    report = deliver_due(session, WebhookSender(current_app.config), limit=limit)
    click.echo(f"{expired} agreement expiry event(s); {report}")
