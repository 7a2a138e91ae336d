"""A real HTTP receiver for webhook tests: http.server on 127.0.0.1 (a free port) in a thread, which
records every request and answers with the statuses it is told to (then 200)."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlalchemy.orm import Session


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)  # answered in turn; then 200
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, *statuses: int) -> None:
        with self.lock:
            self.statuses.extend(statuses)

    def next_status(self) -> int:
        with self.lock:
            return self.statuses.pop(0) if self.statuses else 200


@contextmanager
def receiver(path: str = "/hooks/dataguild") -> Iterator[Receiver]:
    state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            rec = state["receiver"]
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with rec.lock:
                rec.requests.append(Received(self.path, dict(self.headers.items()), body, time.time()))
            if rec.delay:
                time.sleep(rec.delay)
            status = rec.next_status()
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", "http://127.0.0.1:1/elsewhere")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *_args: object) -> None:  # keep the test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state["receiver"] = Receiver(url=f"http://127.0.0.1:{server.server_port}{path}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state["receiver"]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def expected_signature(secret: str, timestamp: str, body: bytes) -> str:
    """Computed here, independently of governance.webhooks.signing, as a receiver would."""
    return "v1=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def subscribe(session: Session, app, actor, url: str, events=("policy.version_adopted",), label: str = "Receiver"):
    """A committed subscription made through the service; returns (subscription, secret)."""
    from governance.sitecontext import utcnow
    from governance.webhooks.services import create_subscription

    subscription, secret = create_subscription(
        session, actor=actor, label=label, url=url, event_types=events, site_secret_key=app.config["SECRET_KEY"],
        allow_local_http=app.config["WEBHOOK_ALLOW_LOCAL_HTTP"], now=utcnow())
    session.commit()
    return subscription, secret


BASE = "http://localhost"


def emit_event(session: Session, n: int = 1, *, now, event_type: str = "policy.version_adopted"):
    """Emit a test event (number ``n``) in ``session``'s transaction; not committed."""
    from governance.webhooks import emit

    return emit(session, event_type, {"line": "data_use", "number": n, "document_hash": f"{n:064x}"}, now,
                key=f"test:{event_type}:{n}", links={"document": f"/policy/data-use/v{n}.jsonld"}, base_url=BASE)


def deliveries_of(session: Session, subscription_id: int | None = None) -> list:
    """Every delivery (of one subscription), oldest first, read through a separate session."""
    from sqlalchemy import select

    from governance.webhooks.models import WebhookDelivery
    from tests.conftest import fetch_all

    stmt = select(WebhookDelivery).order_by(WebhookDelivery.id)
    if subscription_id is not None:
        stmt = stmt.where(WebhookDelivery.subscription_id == subscription_id)
    return fetch_all(session, stmt)
