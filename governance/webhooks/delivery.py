"""Sending deliveries: claim, POST the signed body, log the attempt, schedule the retry.

Each delivery is claimed in its own short transaction (committed before the POST), so no database
lock is held while a receiver answers and two senders never post the same delivery at once; the
attempt's outcome is committed right after. Unlike the other services these functions therefore
commit (the session must have nothing else pending). A 2xx answer delivers; anything else (another
status, a redirect, a timeout, a refused connection or TLS failure) is retried after
:data:`BACKOFF` — 1 min, 5 min, 30 min, 2 h, 12 h — and given up after the sixth attempt.
"""

from __future__ import annotations

import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from governance.sitecontext import as_utc, utcnow
from governance.webhooks import signing
from governance.webhooks.models import DeliveryState, WebhookAttempt, WebhookDelivery, WebhookSubscription
from governance.webhooks.services import WebhookError, check_url

BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
           timedelta(hours=12))
MAX_ATTEMPTS = len(BACKOFF) + 1
MAX_ERROR = 300
USER_AGENT = "dataguild-webhooks/1"

S = DeliveryState
#: The allowed edges of a delivery's state (see :func:`_move`).
TRANSITIONS: dict[DeliveryState, frozenset[DeliveryState]] = {
    S.PENDING: frozenset({S.DELIVERED, S.GIVEN_UP}),
    S.GIVEN_UP: frozenset({S.PENDING}),
    S.DELIVERED: frozenset(),
}


def _move(delivery: WebhookDelivery, to: DeliveryState) -> None:
    if to not in TRANSITIONS[DeliveryState(delivery.state)]:
        raise WebhookError(f"Delivery #{delivery.id} is {DeliveryState(delivery.state).value.replace('_', ' ')}; "
                           f"it cannot become {to.value.replace('_', ' ')}.")
    delivery.state = to


@dataclass(frozen=True)
class Answer:
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer (a failure), never followed: it could point anywhere, http included."""

    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None


class WebhookSender:
    """POSTs one signed delivery (urllib: nothing beyond the standard library). No proxies from the
    environment: deliveries go straight to the receiver."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.site_secret_key = str(config["SECRET_KEY"])
        self.timeout = float(config.get("WEBHOOK_TIMEOUT_SECONDS", 5))
        self.allow_local_http = bool(config.get("WEBHOOK_ALLOW_LOCAL_HTTP", False))
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects())

    def __repr__(self) -> str:  # never print the site's key
        return f"WebhookSender(timeout={self.timeout}, allow_local_http={self.allow_local_http})"

    def headers(self, subscription: WebhookSubscription, delivery: WebhookDelivery, body: bytes,
                timestamp: int) -> dict[str, str]:
        secret = signing.derive_secret(self.site_secret_key, subscription.secret_salt)
        return {"Content-Type": "application/json", "User-Agent": USER_AGENT,
                "Dataguild-Event": delivery.event.event_type, "Dataguild-Delivery": str(delivery.id),
                "Dataguild-Timestamp": str(timestamp),
                "Dataguild-Signature": signing.signature(secret, timestamp, body)}

    def post(self, url: str, headers: Mapping[str, str], body: bytes) -> Answer:
        started = time.monotonic()

        def answer(status: int | None, error: str | None) -> Answer:
            return Answer(status, error[:MAX_ERROR] if error else None, int((time.monotonic() - started) * 1000))

        try:
            check_url(url, allow_local_http=self.allow_local_http)  # the rules may have changed since
        except WebhookError as exc:
            return answer(None, f"address refused: {exc.message}")
        request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")  # noqa: S310
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                response.read(65536)  # the answer's body is not needed; read a little so keep-alive ends cleanly
                return answer(response.status, None)
        except urllib.error.HTTPError as exc:
            status = exc.code
            exc.close()
            reason = "a redirect (not followed)" if 300 <= status < 400 else f"HTTP {status}"
            return answer(status, f"{reason} {exc.reason}".strip() if exc.reason else reason)
        except TimeoutError:
            return answer(None, f"no answer within {self.timeout:g} s")
        except urllib.error.URLError as exc:
            return answer(None, _reason(exc.reason))
        except (OSError, ssl.SSLError, ValueError) as exc:
            return answer(None, _reason(exc))


def _reason(reason: object) -> str:
    if isinstance(reason, TimeoutError):
        return "no answer in time"
    if isinstance(reason, ssl.SSLCertVerificationError):
        return f"TLS certificate refused: {reason.verify_message}"
    if isinstance(reason, BaseException):
        return f"{type(reason).__name__}: {reason}"
    return str(reason)


# ---------------------------------------------------------------- claiming and recording


def lease(sender: WebhookSender) -> timedelta:
    """How long a claim holds a delivery: longer than any attempt can take."""
    return timedelta(seconds=2 * sender.timeout + 60)


def due_ids(session: Session, now: datetime, *, ids: Iterable[int] | None = None, limit: int = 500) -> list[int]:
    """Pending deliveries of active subscriptions whose time has come (oldest due first)."""
    query = (select(WebhookDelivery.id).join(WebhookSubscription)
             .where(WebhookDelivery.state == S.PENDING, WebhookDelivery.next_attempt_at <= now,
                    WebhookSubscription.paused_at.is_(None),
                    or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until <= now))
             .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(limit))
    if ids is not None:
        wanted = list(ids)
        if not wanted:
            return []
        query = query.where(WebhookDelivery.id.in_(wanted))
    return list(session.execute(query).scalars())


def _claim(session: Session, delivery_id: int, now: datetime, until: datetime) -> bool:
    claimed = session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.state == S.PENDING,
               WebhookDelivery.next_attempt_at <= now,
               or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until <= now))
        .values(claimed_until=until).execution_options(synchronize_session=False)).rowcount == 1
    session.commit()
    return claimed


def _record(session: Session, delivery: WebhookDelivery, answer: Answer, now: datetime) -> None:
    delivery.attempts += 1
    session.add(WebhookAttempt(delivery_id=delivery.id, number=delivery.attempts, attempted_at=now,
                               succeeded=answer.succeeded, status_code=answer.status_code, error=answer.error,
                               duration_ms=answer.duration_ms))
    delivery.claimed_until = None
    delivery.last_status_code, delivery.last_error = answer.status_code, answer.error
    if answer.succeeded:
        _move(delivery, S.DELIVERED)
        delivery.delivered_at, delivery.next_attempt_at = now, None
    elif delivery.attempts >= MAX_ATTEMPTS:
        _move(delivery, S.GIVEN_UP)
        delivery.next_attempt_at = None
    else:
        delivery.next_attempt_at = now + BACKOFF[min(delivery.attempts, len(BACKOFF)) - 1]
    session.flush()


@dataclass
class Report:
    delivered: int = 0
    failed: int = 0      # will be retried
    given_up: int = 0

    def __str__(self) -> str:
        return f"delivered {self.delivered}, failed {self.failed} (retried later), given up {self.given_up}"


def deliver_due(session: Session, sender: WebhookSender, *, now: datetime | None = None,
                ids: Iterable[int] | None = None, limit: int = 500) -> Report:
    """Attempt every due delivery (or only those of ``ids`` that are due), each claimed first.

    Without ``now`` every attempt reads the clock when it starts (a long run must not sign with a
    timestamp receivers would refuse as stale); tests pass ``now`` to move time on instead of sleeping."""
    report = Report()
    candidates = due_ids(session, now or utcnow(), ids=ids, limit=limit)
    session.rollback()
    for delivery_id in candidates:
        moment = now or utcnow()
        if not _claim(session, delivery_id, moment, moment + lease(sender)):
            continue  # another sender has it, or it changed meanwhile
        delivery = session.get(WebhookDelivery, delivery_id, populate_existing=True)
        assert delivery is not None
        body = delivery.event.body.encode("utf-8")
        subscription = delivery.subscription
        answer = sender.post(subscription.url, sender.headers(subscription, delivery, body,
                                                              int(as_utc(moment).timestamp())), body)
        _record(session, delivery, answer, moment)
        session.commit()
        if answer.succeeded:
            report.delivered += 1
        elif delivery.state == S.GIVEN_UP:
            report.given_up += 1
        else:
            report.failed += 1
    return report


def retry_now(session: Session, delivery: WebhookDelivery, *, now: datetime) -> WebhookDelivery:
    """Make a pending or given-up delivery due at once ("retry now"; one more attempt for a given-up one).
    The caller commits, then sends it with :func:`deliver_due`."""
    if not delivery.subscription.active:
        raise WebhookError("This subscription is paused: resume it to send its deliveries.")
    if delivery.state == S.DELIVERED:
        raise WebhookError(f"Delivery #{delivery.id} was delivered already.")
    if delivery.claimed_until is not None and as_utc(delivery.claimed_until) > as_utc(now):
        raise WebhookError(f"Delivery #{delivery.id} is being sent right now; reload the page in a moment.")
    if delivery.state == S.GIVEN_UP:
        _move(delivery, S.PENDING)
    delivery.next_attempt_at = now
    session.flush()
    return delivery
