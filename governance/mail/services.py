"""Queueing and sending mail.

``queue_mail`` only adds an outbox row (in the caller's transaction) and remembers its id on the
session; after the request's commit, :func:`send_queued` sends those rows in a new transaction. A
mail whose transaction rolled back therefore never leaves, and a failed send stays queued with its
error for ``dataguild mail send`` to retry.
"""

from __future__ import annotations

import smtplib
import sys
from collections.abc import Iterable, Mapping
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.mail.models import OutboxMail
from governance.sitecontext import utcnow

QUEUED_IDS_KEY = "dataguild_queued_mail_ids"


def queue_mail(session: Session, to: str, subject: str, body: str, *, now: datetime | None = None) -> OutboxMail:
    mail = OutboxMail(to_address=to, subject=subject, body=body, created_at=now or utcnow())
    session.add(mail)
    session.flush()
    session.info.setdefault(QUEUED_IDS_KEY, []).append(mail.id)
    return mail


def take_queued_ids(session: Session) -> list[int]:
    """The ids queued through ``session`` (and forget them)."""
    return session.info.pop(QUEUED_IDS_KEY, [])


class MailSender:
    """Delivers one mail or raises. ``console`` prints (development/test/demo); ``smtp`` sends."""

    def __init__(self, config: Mapping[str, Any], stream: TextIO | None = None) -> None:
        self.config = config
        self.backend = config["MAIL_BACKEND"]
        self.stream = stream
        if self.backend not in ("console", "smtp"):
            raise ValueError(f"DATAGUILD_MAIL_BACKEND must be console or smtp, not {self.backend!r}")

    def deliver(self, mail: OutboxMail) -> None:
        if self.backend == "console":
            stream = self.stream or sys.stdout
            stream.write(f"\n----- mail #{mail.id} -----\nTo: {mail.to_address}\nSubject: {mail.subject}\n\n"
                         f"{mail.body}\n----- end of mail #{mail.id} -----\n")
            stream.flush()
            return
        message = EmailMessage()
        message["From"] = self.config["MAIL_FROM"]
        message["To"] = mail.to_address
        message["Subject"] = mail.subject
        message["Message-ID"] = make_msgid(domain="dataguild")
        message.set_content(mail.body)
        with smtplib.SMTP(self.config["MAIL_SERVER"], int(self.config["MAIL_PORT"]), timeout=15) as smtp:
            if self.config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if self.config.get("MAIL_USERNAME"):
                smtp.login(self.config["MAIL_USERNAME"], self.config.get("MAIL_PASSWORD") or "")
            smtp.send_message(message)


def send_pending(session: Session, sender: MailSender, *, ids: Iterable[int] | None = None,
                 now: datetime | None = None) -> tuple[int, int]:
    """Try every unsent mail (or only ``ids``); return (sent, failed). Commits nothing: the caller does."""
    query = select(OutboxMail).where(OutboxMail.sent_at.is_(None)).order_by(OutboxMail.id)
    if ids is not None:
        wanted = list(ids)
        if not wanted:
            return 0, 0
        query = query.where(OutboxMail.id.in_(wanted))
    sent = failed = 0
    for mail in session.execute(query).scalars():
        mail.attempts += 1
        try:
            sender.deliver(mail)
        except (OSError, smtplib.SMTPException) as exc:
            mail.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            failed += 1
        else:
            mail.sent_at = now or utcnow()
            mail.last_error = None
            sent += 1
    session.flush()
    return sent, failed
