"""The outbox: queued in the caller's transaction, sent after commit, failures stay queued."""

from __future__ import annotations

import io
import socket
import threading

from sqlalchemy import select

from governance.mail.cli import mail_cli
from governance.mail.models import OutboxMail
from governance.mail.services import MailSender, queue_mail, send_pending, take_queued_ids
from tests.conftest import count_rows, csrf_token, fetch_all, make_member, make_test_app


def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_console_backend_prints_and_marks_sent(app, db_session):
    mail = queue_mail(db_session, "a@example.org", "Hello", "Body text")
    assert take_queued_ids(db_session) == [mail.id]
    out = io.StringIO()
    assert send_pending(db_session, MailSender(app.config, stream=out)) == (1, 0)
    db_session.commit()
    assert "To: a@example.org" in out.getvalue()
    assert "Body text" in out.getvalue()
    assert fetch_all(db_session, select(OutboxMail.sent_at))[0] is not None


def test_rolled_back_mail_is_never_sent(app, db_session):
    queue_mail(db_session, "a@example.org", "Hello", "Body")
    db_session.rollback()
    assert count_rows(db_session, OutboxMail) == 0


def test_smtp_failure_leaves_the_mail_queued_with_the_error_and_the_cli_retries(app, db_session, tmp_path):
    smtp_app = make_test_app(app.config["DATABASE_URL"], tmp_path / "smtp", MAIL_BACKEND="smtp",
                             MAIL_SERVER="127.0.0.1", MAIL_PORT=_unused_port())
    try:
        queue_mail(db_session, "a@example.org", "Hello", "Body")
        db_session.commit()
        result = smtp_app.test_cli_runner().invoke(mail_cli, ["send"])
        assert result.exit_code == 1
        assert "sent 0, failed 1" in result.output
        mail = fetch_all(db_session, select(OutboxMail))[0]
        assert mail.sent_at is None
        assert mail.attempts == 1
        assert "ConnectionRefusedError" in mail.last_error
        # With a working backend the same command sends it.
        result = app.test_cli_runner().invoke(mail_cli, ["send"])
        assert result.exit_code == 0
        assert "sent 1, failed 0" in result.output
        mail = fetch_all(db_session, select(OutboxMail))[0]
        assert mail.sent_at is not None
        assert mail.last_error is None
    finally:
        smtp_app.extensions["dataguild_db"].engine.dispose()


class _TinySMTPServer:
    """Just enough SMTP to accept one message (the stdlib no longer ships an SMTP server)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.data = b""
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        with conn:
            reader = conn.makefile("rb")
            conn.sendall(b"220 tiny ESMTP\r\n")
            in_data = False
            for line in reader:
                if in_data:
                    if line == b".\r\n":
                        in_data = False
                        conn.sendall(b"250 queued\r\n")
                    else:
                        self.data += line
                    continue
                verb = line[:4].upper()
                if verb == b"DATA":
                    in_data = True
                    conn.sendall(b"354 go ahead\r\n")
                elif verb == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    break
                else:
                    conn.sendall(b"250 ok\r\n")
        self.sock.close()


def test_smtp_backend_delivers_through_smtp(app, db_session, tmp_path):
    server = _TinySMTPServer()
    smtp_app = make_test_app(app.config["DATABASE_URL"], tmp_path / "smtp", MAIL_BACKEND="smtp",
                             MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_FROM="coop <coop@example.org>")
    try:
        mail = queue_mail(db_session, "a@example.org", "Hello there", "Body via SMTP")
        assert send_pending(db_session, MailSender(smtp_app.config)) == (1, 0)
        db_session.commit()
        assert mail.sent_at is not None
        server.thread.join(timeout=5)
        assert b"Subject: Hello there" in server.data
        assert b"To: a@example.org" in server.data
        assert b"Body via SMTP" in server.data
    finally:
        smtp_app.extensions["dataguild_db"].engine.dispose()


def test_failed_send_after_a_request_keeps_the_request_result(app, db_session, tmp_path):
    smtp_app = make_test_app(app.config["DATABASE_URL"], tmp_path / "smtp", MAIL_BACKEND="smtp",
                             MAIL_SERVER="127.0.0.1", MAIL_PORT=_unused_port())
    try:
        make_member(db_session, "ana@example.org")
        client = smtp_app.test_client()
        page = client.get("/forgot-password")
        response = client.post("/forgot-password", data={"email": "ana@example.org",
                                                         "csrf_token": csrf_token(page.data)})
        assert response.status_code == 302
        mail = fetch_all(db_session, select(OutboxMail))[0]
        assert mail.sent_at is None
        assert mail.last_error
    finally:
        smtp_app.extensions["dataguild_db"].engine.dispose()


def test_dev_outbox_exists_in_development_and_test_only(app, client, db_session, database_url, tmp_path):
    queue_mail(db_session, "a@example.org", "Visible subject", "Body")
    db_session.commit()
    page = client.get("/dev/outbox")
    assert page.status_code == 200
    assert "Visible subject" in page.data.decode()
    production = make_test_app(database_url, tmp_path / "prod", ENV="production", SECRET_KEY="s" * 40)
    try:
        response = production.test_client().get("/dev/outbox")
        assert response.status_code == 404
        assert "Visible subject" not in response.data.decode()
    finally:
        production.extensions["dataguild_db"].engine.dispose()
