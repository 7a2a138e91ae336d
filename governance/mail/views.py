"""``/dev/outbox`` (development and test only) and the hook that sends mail after each request."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, current_app, g, render_template
from sqlalchemy import select
from sqlalchemy.orm import Session

from governance import db
from governance.mail.models import OutboxMail
from governance.mail.services import MailSender, send_pending, take_queued_ids

bp = Blueprint("mail", __name__)


@bp.get("/dev/outbox")
def dev_outbox() -> str:
    if current_app.config["ENV_NAME"] not in ("development", "test"):
        abort(404)
    mails = db.session().execute(select(OutboxMail).order_by(OutboxMail.id.desc()).limit(200)).scalars().all()
    return render_template("mail/outbox.html", mails=mails)


@bp.record_once
def _install_sender(state: object) -> None:
    app: Flask = state.app  # type: ignore[attr-defined]

    @app.teardown_request
    def _send_mail_queued_by_this_request(_exc: BaseException | None) -> None:
        request_session = g.get("db_session")
        if request_session is None:
            return
        ids = take_queued_ids(request_session)
        if ids:
            send_committed_mail(app, request_session, ids)


def send_committed_mail(app: Flask, session: Session, ids: list[int]) -> None:
    """Send the given outbox rows if their transaction committed. Whatever the request left
    uncommitted is discarded first, so mail of a failed request is never sent. A failure leaves the
    rows queued with the error (``dataguild mail send`` retries); it never breaks the response."""
    try:
        session.rollback()
        send_pending(session, MailSender(app.config), ids=ids)
        session.commit()
    except Exception:
        app.logger.exception("sending queued mail failed")
        session.rollback()
