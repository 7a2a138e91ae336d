"""Webhooks: signed deliveries to a real local HTTP server, retries with backoff, giving up, the
outbox (nothing sent before the commit), address refusals, and the stewards' pages."""

from __future__ import annotations

import json
import re
import socket
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from governance.audit.models import AuditEntry
from governance.config import load_config
from governance.sitecontext import utcnow
from governance.webhooks import emit, signing
from governance.webhooks.cli import webhooks_cli
from governance.webhooks.delivery import BACKOFF, MAX_ATTEMPTS, WebhookSender, deliver_due, retry_now
from governance.webhooks.models import (
    DeliveryState,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from governance.webhooks.services import (
    WebhookError,
    check_url,
    create_subscription,
    take_queued_ids,
)
from governance.webhooks.views import send_committed_deliveries
from tests.conftest import count_rows, fetch_all, make_member, make_test_app, reload
from tests.governance.webhook_receiver import (
    BASE,
    deliveries_of,
    emit_event,
    expected_signature,
    receiver,
    subscribe,
)


@pytest.fixture
def steward(app, db_session):
    return make_member(db_session, "steward@example.org", roles=("member", "steward"))


@pytest.fixture
def hook():
    with receiver() as rec:
        yield rec


def _attempts(session, delivery_id):
    return fetch_all(session, select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id)
                     .order_by(WebhookAttempt.number))


# ---------------------------------------------------------------- signing and delivery


def test_a_delivery_is_signed_and_reaches_a_real_server(app, db_session, steward, hook):
    _subscription, secret = subscribe(db_session, app, steward, hook.url)
    assert re.fullmatch(r"dgwh_[A-Za-z0-9_-]{43}", secret)
    now = utcnow().replace(microsecond=0)
    event = emit_event(db_session, now=now)
    db_session.commit()
    assert hook.requests == []  # nothing is sent by emitting: only after the commit, by a sender
    report = deliver_due(db_session, WebhookSender(app.config), now=now)
    assert (report.delivered, report.failed, report.given_up) == (1, 0, 0)

    [got] = hook.requests
    [delivery] = deliveries_of(db_session)
    assert got.path == "/hooks/dataguild"
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["Dataguild-Event"] == "policy.version_adopted"
    assert got.headers["Dataguild-Delivery"] == str(delivery.id)
    timestamp = got.headers["Dataguild-Timestamp"]
    assert timestamp == str(int(now.timestamp()))
    assert abs(got.at - int(timestamp)) < signing.TOLERANCE_SECONDS  # fresh: a receiver accepts it
    assert got.headers["Dataguild-Signature"] == expected_signature(secret, timestamp, got.body)
    # The signature covers the timestamp: the same body under another timestamp does not verify.
    assert got.headers["Dataguild-Signature"] != expected_signature(secret, str(int(timestamp) + 1), got.body)
    assert signing.verify(secret, got.headers["Dataguild-Signature"], timestamp, got.body, now=got.at)
    assert not signing.verify(secret, got.headers["Dataguild-Signature"], timestamp, got.body,
                              now=int(timestamp) + signing.TOLERANCE_SECONDS + 1)  # a replay, 5 min later
    assert not signing.verify(secret, got.headers["Dataguild-Signature"], timestamp, got.body + b" ", now=got.at)

    body = json.loads(got.body)
    assert body == {"id": event.id, "type": "policy.version_adopted", "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "data": {"line": "data_use", "number": 1, "document_hash": f"{1:064x}"},
                    "links": {"document": f"{BASE}/policy/data-use/v1.jsonld"}}
    assert got.body == reload(db_session, WebhookEvent, event.id).body.encode()
    assert delivery.state == DeliveryState.DELIVERED
    assert delivery.next_attempt_at is None
    [attempt] = _attempts(db_session, delivery.id)
    assert (attempt.number, attempt.succeeded, attempt.status_code, attempt.error) == (1, True, 200, None)
    assert attempt.duration_ms >= 0
    # The secret is nowhere in the database (it is derived from SECRET_KEY when signing), nor in the log.
    assert secret not in repr(fetch_all(db_session, select(WebhookSubscription.__table__)))
    assert all(secret not in json.dumps(e.details) for e in fetch_all(db_session, select(AuditEntry)))
    assert secret not in repr(WebhookSender(app.config))


def test_a_500_is_retried_with_backoff_and_then_delivered(app, db_session, steward, hook):
    _subscription, secret = subscribe(db_session, app, steward, hook.url)
    t0 = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
    emit_event(db_session, now=t0)
    db_session.commit()
    sender = WebhookSender(app.config)
    hook.fail_next(500, 503)

    assert deliver_due(db_session, sender, now=t0).failed == 1
    [delivery] = deliveries_of(db_session)
    assert delivery.state == DeliveryState.PENDING
    assert delivery.next_attempt_at.replace(tzinfo=UTC) == t0 + BACKOFF[0] == t0 + timedelta(minutes=1)
    assert (delivery.last_status_code, delivery.last_error) == (500, "HTTP 500 Internal Server Error")

    deliver_due(db_session, sender, now=t0 + timedelta(seconds=59))  # not due yet
    assert len(hook.requests) == 1
    deliver_due(db_session, sender, now=t0 + timedelta(minutes=1))
    [delivery] = deliveries_of(db_session)
    assert delivery.next_attempt_at.replace(tzinfo=UTC) == t0 + timedelta(minutes=1) + timedelta(minutes=5)
    deliver_due(db_session, sender, now=t0 + timedelta(minutes=6))
    [delivery] = deliveries_of(db_session)
    assert delivery.state == DeliveryState.DELIVERED
    assert [a.status_code for a in _attempts(db_session, delivery.id)] == [500, 503, 200]
    timestamps = [r.headers["Dataguild-Timestamp"] for r in hook.requests]
    assert timestamps == [str(int((t0 + d).timestamp())) for d in (timedelta(0), timedelta(minutes=1),
                                                                     timedelta(minutes=6))]
    # Every retry sends the same body, signed anew over its own timestamp.
    assert len({r.body for r in hook.requests}) == 1
    for request in hook.requests:
        assert request.headers["Dataguild-Signature"] == expected_signature(
            secret, request.headers["Dataguild-Timestamp"], request.body)
    deliver_due(db_session, sender, now=t0 + timedelta(days=2))
    assert len(hook.requests) == 3  # delivered: never sent again


def test_after_the_last_retry_the_delivery_is_given_up_and_retry_now_tries_once_more(app, db_session, steward, hook):
    subscribe(db_session, app, steward, hook.url)
    t = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
    emit_event(db_session, now=t)
    db_session.commit()
    sender = WebhookSender(app.config)
    hook.fail_next(*[500] * MAX_ATTEMPTS)
    for wait in (timedelta(0), *BACKOFF):
        t += wait
        deliver_due(db_session, sender, now=t)
    assert len(hook.requests) == MAX_ATTEMPTS == 6
    [delivery] = deliveries_of(db_session)
    assert delivery.state == DeliveryState.GIVEN_UP
    assert delivery.next_attempt_at is None
    deliver_due(db_session, sender, now=t + timedelta(days=30))
    assert len(hook.requests) == 6

    found = db_session.get(WebhookDelivery, delivery.id)
    retry_now(db_session, found, now=t + timedelta(days=30))
    db_session.commit()
    report = deliver_due(db_session, sender, now=t + timedelta(days=30))
    assert report.delivered == 1
    assert [a.number for a in _attempts(db_session, delivery.id)] == [1, 2, 3, 4, 5, 6, 7]
    with pytest.raises(WebhookError, match="delivered already"):
        retry_now(db_session, db_session.get(WebhookDelivery, delivery.id), now=t + timedelta(days=30))


def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_refused_connections_timeouts_and_redirects_are_failures_that_are_logged(app, db_session, steward, hook,
                                                                                 tmp_path: Path):
    quick = make_test_app(app.config["DATABASE_URL"], tmp_path / "quick", WEBHOOK_TIMEOUT_SECONDS=0.3)
    try:
        closed, _ = subscribe(db_session, app, steward, f"http://127.0.0.1:{_unused_port()}/x", label="Closed")
        slow, _ = subscribe(db_session, app, steward, hook.url + "/slow", label="Slow")
        now = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
        emit_event(db_session, now=now)
        db_session.commit()
        hook.delay = 1.0
        report = deliver_due(db_session, WebhookSender(quick.config), now=now)
        assert report.failed == 2
        hook.delay = 0
        errors = {d.subscription_id: (d.last_status_code, d.last_error) for d in deliveries_of(db_session)}
        assert errors[closed.id][0] is None
        assert "Connection refused" in errors[closed.id][1] or "ConnectionRefused" in errors[closed.id][1]
        assert errors[slow.id] == (None, "no answer within 0.3 s")

        hook.fail_next(302)
        moved, _ = subscribe(db_session, app, steward, hook.url + "/moved", label="Moved")
        emit_event(db_session, 2, now=now)
        db_session.commit()
        moved_ids = [d.id for d in deliveries_of(db_session, moved.id)]
        deliver_due(db_session, WebhookSender(quick.config), now=now, ids=moved_ids)
        [redirected] = deliveries_of(db_session, moved.id)
        assert (redirected.last_status_code, redirected.state) == (302, DeliveryState.PENDING)
        assert redirected.last_error.startswith("a redirect (not followed)")
        assert [r.path for r in hook.requests].count("/hooks/dataguild/moved") == 1  # the Location was not visited
    finally:
        quick.extensions["dataguild_db"].engine.dispose()


# ---------------------------------------------------------------- the outbox


def test_a_rolled_back_transaction_sends_nothing(app, db_session, steward, hook):
    subscribe(db_session, app, steward, hook.url)
    now = utcnow()
    emit_event(db_session, now=now)
    ids = list(db_session.info["dataguild_queued_webhook_delivery_ids"])
    assert ids
    # What the request teardown does when the request did not commit: discard, then send what committed.
    send_committed_deliveries(app, db_session, take_queued_ids(db_session))
    deliver_due(db_session, WebhookSender(app.config), now=now + timedelta(days=1))
    assert hook.requests == []
    assert count_rows(db_session, WebhookDelivery) == 0
    assert count_rows(db_session, WebhookEvent) == 0

    # Committed: the same hook sends it at once, signed with the clock's time at the attempt.
    emit_event(db_session, 2, now=utcnow())
    db_session.commit()
    send_committed_deliveries(app, db_session, take_queued_ids(db_session))
    [got] = hook.requests
    assert abs(got.at - int(got.headers["Dataguild-Timestamp"])) < 5
    assert deliveries_of(db_session)[0].state == DeliveryState.DELIVERED


def test_the_same_event_key_is_emitted_once_and_paused_subscriptions_get_nothing(app, db_session, steward, hook):
    active, _ = subscribe(db_session, app, steward, hook.url, events=("policy.version_adopted", "election.result"))
    paused, _ = subscribe(db_session, app, steward, hook.url + "/paused", label="Paused")
    other, _ = subscribe(db_session, app, steward, hook.url + "/other", events=("agreement.expired",), label="Other")
    other_id = other.id  # (deliver_due rolls the session back, which expires the objects it holds)
    from governance.webhooks.services import pause_subscription, resume_subscription

    pause_subscription(db_session, db_session.get(WebhookSubscription, paused.id), actor=steward, now=utcnow())
    db_session.commit()
    now = utcnow()
    assert emit_event(db_session, now=now) is not None
    assert emit_event(db_session, now=now) is None  # the same key: already emitted
    db_session.commit()
    assert [d.subscription_id for d in deliveries_of(db_session)] == [active.id]
    with pytest.raises(ValueError, match="unknown webhook event type"):
        emit(db_session, "policy.adopted", {}, now)

    # A paused subscription's pending deliveries wait until it is resumed.
    resume_subscription(db_session, db_session.get(WebhookSubscription, paused.id), actor=steward, now=now)
    emit_event(db_session, 2, now=now)
    db_session.commit()
    pause_subscription(db_session, db_session.get(WebhookSubscription, paused.id), actor=steward, now=now)
    db_session.commit()
    deliver_due(db_session, WebhookSender(app.config), now=now)
    assert sorted(r.path for r in hook.requests) == ["/hooks/dataguild", "/hooks/dataguild"]
    resume_subscription(db_session, db_session.get(WebhookSubscription, paused.id), actor=steward, now=now)
    db_session.commit()
    deliver_due(db_session, WebhookSender(app.config), now=now)
    assert sorted(r.path for r in hook.requests) == ["/hooks/dataguild", "/hooks/dataguild",
                                                     "/hooks/dataguild/paused"]
    print("IN TXN", db_session.in_transaction())
    assert deliveries_of(db_session, other_id) == []


# ---------------------------------------------------------------- addresses


@pytest.mark.parametrize(("url", "message"), [
    ("http://example.org/hooks", "Plain http:// is refused"),
    ("http://127.0.0.1:8080/hooks", "Plain http:// is refused"),
    ("http://localhost/hooks", "Plain http:// is refused"),
    ("ftp://example.org/hooks", "must start with https://"),
    ("example.org/hooks", "must start with https://"),
    ("https:///hooks", "no host name"),
    ("https://", "no host name"),
    ("https://user:secret@example.org/hooks", "no user name or password"),
    ("https://example.org/hooks#part", "Leave out the #fragment"),
    ("https://example.org:99999/hooks", "port"),
    ("https://exa mple.org/", "spaces"),
    ("", "Give the address"),
])
def test_addresses_that_cannot_receive_webhooks_in_production_are_refused(url, message):
    with pytest.raises(WebhookError, match=re.escape(message)) as refused:
        check_url(url, allow_local_http=False)
    assert refused.value.field == "url"


def test_plain_http_is_only_for_local_receivers_on_development_and_test_sites(tmp_path: Path):
    production = load_config(tmp_path, environ={"DATAGUILD_SECRET_KEY": "k" * 40})
    assert production["WEBHOOK_ALLOW_LOCAL_HTTP"] is False
    assert load_config(tmp_path, environ={"DATAGUILD_ENV": "test"})["WEBHOOK_ALLOW_LOCAL_HTTP"] is True
    assert load_config(tmp_path, environ={"DATAGUILD_ENV": "development"})["WEBHOOK_ALLOW_LOCAL_HTTP"] is True
    turned_off = load_config(tmp_path, environ={"DATAGUILD_ENV": "development",
                                                "DATAGUILD_WEBHOOK_ALLOW_LOCAL_HTTP": "0"})
    assert turned_off["WEBHOOK_ALLOW_LOCAL_HTTP"] is False
    for url in ("http://127.0.0.1:8080/hooks", "http://localhost/x", "http://[::1]:9000/"):
        assert check_url(url, allow_local_http=True) == url
    with pytest.raises(WebhookError, match=re.escape("only to 127.0.0.1")):
        check_url("http://example.org/hooks", allow_local_http=True)
    assert check_url("  https://example.org/hooks?x=1 ", allow_local_http=False) == "https://example.org/hooks?x=1"


def test_a_stored_http_address_is_not_posted_to_once_the_site_forbids_it(app, db_session, steward, hook, tmp_path):
    subscribe(db_session, app, steward, hook.url)
    now = utcnow()
    emit_event(db_session, now=now)
    db_session.commit()
    strict = dict(app.config, WEBHOOK_ALLOW_LOCAL_HTTP=False)
    deliver_due(db_session, WebhookSender(strict), now=now)
    assert hook.requests == []
    [delivery] = deliveries_of(db_session)
    assert delivery.last_error.startswith("address refused: Plain http:// is refused")


def test_only_stewards_and_admins_subscribe(app, db_session, steward):
    member = make_member(db_session, "m@example.org")
    from governance.webhooks.services import NotPermitted

    with pytest.raises(NotPermitted):
        create_subscription(db_session, actor=member, label="x", url="https://example.org/h",
                            event_types=["agreement.approved"], site_secret_key="k", allow_local_http=False,
                            now=utcnow())
    with pytest.raises(WebhookError, match="at least one event"):
        create_subscription(db_session, actor=steward, label="x", url="https://example.org/h", event_types=[],
                            site_secret_key="k", allow_local_http=False, now=utcnow())


def test_the_deliver_command_sends_what_is_due(app, db_session, steward, hook):
    subscribe(db_session, app, steward, hook.url)
    emit_event(db_session, now=utcnow() - timedelta(minutes=1))
    db_session.commit()
    result = app.test_cli_runner().invoke(webhooks_cli, ["deliver"])
    assert result.exit_code == 0, result.output
    assert "0 agreement expiry event(s); delivered 1, failed 0 (retried later), given up 0" in result.output
    assert len(hook.requests) == 1
    started = time.monotonic()
    result = app.test_cli_runner().invoke(webhooks_cli, ["deliver"])
    assert "delivered 0, failed 0" in result.output
    assert time.monotonic() - started < 5


def _documented_verifier():
    text = (Path(__file__).resolve().parents[2] / "docs" / "webhooks.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    [code] = [block for block in blocks if "def verify_dataguild_webhook" in block]
    namespace: dict = {}
    exec(compile(code, "docs/webhooks.md", "exec"), namespace)  # noqa: S102 - our own documentation's snippet
    return namespace["verify_dataguild_webhook"]


def test_the_documented_python_verifier_accepts_real_deliveries_and_refuses_tampering_and_replays(
        app, db_session, steward, hook):
    verify = _documented_verifier()
    _subscription, secret = subscribe(db_session, app, steward, hook.url)
    event = emit_event(db_session, now=utcnow())
    event_id = event.id
    db_session.commit()
    deliver_due(db_session, WebhookSender(app.config), now=utcnow())
    [got] = hook.requests
    assert got.headers["User-Agent"] == "dataguild-webhooks/1"
    assert verify(secret, got.headers, got.body)["id"] == event_id
    with pytest.raises(ValueError, match="bad signature"):
        verify(secret, got.headers, got.body.replace(b'"number":1', b'"number":2'))
    with pytest.raises(ValueError, match="bad signature"):
        verify("dgwh_" + "A" * 43, got.headers, got.body)
    with pytest.raises(ValueError, match="stale timestamp"):
        verify(secret, got.headers, got.body, now=int(got.headers["Dataguild-Timestamp"]) + 301)
    with pytest.raises(ValueError, match="Dataguild-Timestamp"):
        verify(secret, {"Dataguild-Signature": got.headers["Dataguild-Signature"]}, got.body)
