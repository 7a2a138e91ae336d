"""Subscriptions (stewards), emitting events into the outbox, and reading the delivery log.

:func:`emit` runs in the transaction of the change it reports: it writes the event (once per
``key``) and one pending delivery per active subscription to its type, and remembers the deliveries on
the session. Nothing is sent before that transaction commits: the request's teardown (``views``) and
``dataguild webhooks deliver`` send pending deliveries afterwards (:mod:`governance.webhooks.delivery`),
so a rolled-back change sends nothing and a failed send is retried. Services flush, the caller commits.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from governance.audit.actions import describe_actions
from governance.audit.services import record_event
from governance.members.models import Member, Role
from governance.sitecontext import as_utc
from governance.webhooks import signing
from governance.webhooks.models import DeliveryState, WebhookDelivery, WebhookEvent, WebhookSubscription

#: Every event type, in the words the subscription form shows.
EVENT_TYPES: dict[str, str] = {
    "policy.version_adopted": "a new version of the data-use or payout policy is adopted",
    "agreement.approved": "a deal is approved and becomes an agreement",
    "agreement.suspended": "an agreement is suspended (by a steward or by a vote)",
    "agreement.expired": "an agreement reaches the end of its term",
    "election.result": "an election's result is decided and published",
}
QUEUED_IDS_KEY = "dataguild_queued_webhook_delivery_ids"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
MAX_URL = 2000
MAX_LABEL = 100

describe_actions({
    "webhook.subscribed": "Webhook subscription created (the receiver's host and event types; never its secret)",
    "webhook.paused": "Webhook subscription paused: no new deliveries for it",
    "webhook.resumed": "Webhook subscription resumed",
    "webhook.deleted": "Webhook subscription deleted with its delivery log",
})


class WebhookError(ValueError):
    """A refused request; nothing was written. ``field`` names the form field it is about, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotPermitted(WebhookError):
    pass


class SubscriptionNotFound(WebhookError):
    pass


def may_manage(member: Member | None) -> bool:
    return member is not None and member.has_role(Role.STEWARD, Role.ADMIN)


def _require_manager(actor: Member) -> None:
    if not may_manage(actor):
        raise NotPermitted("Only stewards and admins manage webhooks.")


# ---------------------------------------------------------------- addresses


def check_url(url: str, *, allow_local_http: bool) -> str:
    """``url`` stripped, or :class:`WebhookError` saying why it cannot receive webhooks."""
    url = (url or "").strip()
    if not url:
        raise WebhookError("Give the address that receives the webhooks, e.g. https://example.org/hooks/dataguild.",
                           "url")
    if len(url) > MAX_URL:
        raise WebhookError(f"The address must be at most {MAX_URL} characters.", "url")
    if not url.isascii() or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise WebhookError("The address may not contain spaces or non-ASCII characters: write it as your "
                           "browser copies it (percent-encoded, an internationalised domain in its xn-- form).", "url")
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "")
    try:
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number in 0..65535
    except ValueError:
        raise WebhookError("The port in the address is not a valid number.", "url") from None
    local_http = "plain http is allowed only to 127.0.0.1, [::1] or localhost, and only on development and test " \
                 "sites" if allow_local_http else "this site sends webhooks over https only"
    if scheme not in ("https", "http"):
        given = f", not {scheme}:" if scheme else ""
        raise WebhookError(f"The address must start with https://{given} ({local_http}).", "url")
    if not host:
        raise WebhookError("The address has no host name: write it in full, e.g. https://example.org/hooks.", "url")
    if parts.username is not None or parts.password is not None:
        raise WebhookError("Put no user name or password in the address (they would be shown on this page and sent "
                           "in clear to proxies); the signature proves each delivery comes from this site.", "url")
    if parts.fragment or url.endswith("#"):
        raise WebhookError("Leave out the #fragment: it is never sent to the receiver.", "url")
    if scheme == "http" and not (allow_local_http and host.lower() in LOCAL_HOSTS):
        raise WebhookError(f"Plain http:// is refused: {local_http}. Use an https:// address.", "url")
    return url


# ---------------------------------------------------------------- subscriptions


def _event_types(chosen: Iterable[str]) -> str:
    chosen = sorted(set(chosen))
    if not chosen:
        raise WebhookError("Choose at least one event.", "event_types")
    unknown = [name for name in chosen if name not in EVENT_TYPES]
    if unknown:
        raise WebhookError(f"Unknown event type(s): {', '.join(unknown)}.", "event_types")
    return " ".join(chosen)


def _audit_details(subscription: WebhookSubscription) -> dict[str, Any]:
    # The audit log is public: the host says which receiver, the full address may carry a receiver's
    # own token in its path or query, so it stays out (and the secret, of course).
    return {"subscription_id": subscription.id, "host": urlsplit(subscription.url).hostname or "",
            "events": subscription.event_types.split()}


def create_subscription(session: Session, *, actor: Member, label: str, url: str, event_types: Iterable[str],
                        site_secret_key: str, allow_local_http: bool,
                        now: datetime) -> tuple[WebhookSubscription, str]:
    """A new active subscription and its secret (shown once; the site recomputes it to sign)."""
    _require_manager(actor)
    label = (label or "").strip()
    if not label:
        raise WebhookError("Give the subscription a label, e.g. the receiving organisation.", "label")
    if len(label) > MAX_LABEL:
        raise WebhookError(f"The label must be at most {MAX_LABEL} characters.", "label")
    url = check_url(url, allow_local_http=allow_local_http)
    subscription = WebhookSubscription(label=label, url=url, event_types=_event_types(event_types),
                                       secret_salt=signing.new_salt(), created_at=now, created_by_id=actor.id)
    session.add(subscription)
    session.flush()
    record_event(session, actor=actor, action="webhook.subscribed", subject_type="webhook_subscription",
                 subject_id=subscription.id, details=_audit_details(subscription), now=now)
    return subscription, signing.derive_secret(site_secret_key, subscription.secret_salt)


def list_subscriptions(session: Session) -> list[WebhookSubscription]:
    return list(session.execute(select(WebhookSubscription).order_by(WebhookSubscription.id)).scalars())


def get_subscription(session: Session, subscription_id: int) -> WebhookSubscription:
    found = session.get(WebhookSubscription, subscription_id) if 1 <= subscription_id <= 2**31 - 1 else None
    if found is None:
        raise SubscriptionNotFound("There is no such webhook subscription.")
    return found


def pause_subscription(session: Session, subscription: WebhookSubscription, *, actor: Member,
                       now: datetime) -> WebhookSubscription:
    """No deliveries for it are made or sent while paused (events meanwhile are not queued for it)."""
    _require_manager(actor)
    if subscription.paused_at is not None:
        raise WebhookError(f"“{subscription.label}” is paused already.")
    subscription.paused_at = now
    session.flush()
    record_event(session, actor=actor, action="webhook.paused", subject_type="webhook_subscription",
                 subject_id=subscription.id, details=_audit_details(subscription), now=now)
    return subscription


def resume_subscription(session: Session, subscription: WebhookSubscription, *, actor: Member,
                        now: datetime) -> WebhookSubscription:
    """Active again; its deliveries still pending go out at their next due time."""
    _require_manager(actor)
    if subscription.paused_at is None:
        raise WebhookError(f"“{subscription.label}” is not paused.")
    subscription.paused_at = None
    session.flush()
    record_event(session, actor=actor, action="webhook.resumed", subject_type="webhook_subscription",
                 subject_id=subscription.id, details=_audit_details(subscription), now=now)
    return subscription


def delete_subscription(session: Session, subscription: WebhookSubscription, *, actor: Member,
                        now: datetime) -> None:
    """Remove it with its deliveries and their log (the audit entry stays)."""
    _require_manager(actor)
    details = _audit_details(subscription)
    session.delete(subscription)
    session.flush()
    record_event(session, actor=actor, action="webhook.deleted", subject_type="webhook_subscription",
                 subject_id=details["subscription_id"], details=details, now=now)


# ---------------------------------------------------------------- events


def _timestamp(when: datetime) -> str:
    return as_utc(when).strftime("%Y-%m-%dT%H:%M:%SZ")


def _site_base_url(base_url: str | None) -> str:
    if base_url is None:
        # The callers (policy, counting) rarely know the site's address; inside an app (web, CLI)
        # it is in the config, outside one (a bare script) the links stay site-relative.
        from flask import current_app, has_app_context

        base_url = current_app.config.get("BASE_URL", "") if has_app_context() else ""
    return (base_url or "").rstrip("/")


def emit(session: Session, event_type: str, payload: Mapping[str, Any], now: datetime, *, key: str | None = None,
         links: Mapping[str, str] | None = None, base_url: str | None = None) -> WebhookEvent | None:
    """Record an event and queue one delivery per active subscription to ``event_type``, in the
    caller's transaction. ``payload`` holds the event's key fields (JSON values); ``links`` maps names
    to site paths (``/deals/3``), made absolute with the site's BASE_URL. ``key`` names what happened
    (``agreement.expired:7``): a second emit with a key already recorded does nothing and returns None."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {event_type!r}; known: {', '.join(EVENT_TYPES)}")
    key = key or f"{event_type}:{uuid.uuid4().hex}"
    if session.execute(select(WebhookEvent.id).where(WebhookEvent.event_key == key)).first() is not None:
        return None
    event = WebhookEvent(event_key=key, event_type=event_type, occurred_at=now, body="")
    try:
        with session.begin_nested():  # two sweeps at once: one records the event, the other skips it
            session.add(event)
            session.flush()
    except IntegrityError:
        return None
    base = _site_base_url(base_url)
    event.body = json.dumps({"id": event.id, "type": event_type, "time": _timestamp(now), "data": dict(payload),
                             "links": {name: base + path for name, path in (links or {}).items()}},
                            separators=(",", ":"))
    subscribers = [s for s in session.execute(select(WebhookSubscription).where(
        WebhookSubscription.paused_at.is_(None)).order_by(WebhookSubscription.id)).scalars()
        if event_type in s.event_set]
    deliveries = [WebhookDelivery(subscription_id=s.id, event_id=event.id, state=DeliveryState.PENDING,
                                  created_at=now, next_attempt_at=now, attempts=0) for s in subscribers]
    session.add_all(deliveries)
    session.flush()
    session.info.setdefault(QUEUED_IDS_KEY, []).extend(d.id for d in deliveries)
    return event


def emitted_keys(session: Session, keys: Iterable[str]) -> set[str]:
    """Which of ``keys`` have been emitted already (for sweeps)."""
    wanted = list(keys)
    if not wanted:
        return set()
    return set(session.execute(select(WebhookEvent.event_key).where(WebhookEvent.event_key.in_(wanted))).scalars())


def take_queued_ids(session: Session) -> list[int]:
    """The deliveries queued through ``session`` (and forget them)."""
    return session.info.pop(QUEUED_IDS_KEY, [])


# ---------------------------------------------------------------- the delivery log


def delivery_page(session: Session, subscription: WebhookSubscription, *, page: int,
                  per_page: int) -> tuple[list[WebhookDelivery], int]:
    """One page of the subscription's deliveries, newest first, and the number of pages (at least 1)."""
    total = session.execute(select(func.count()).select_from(WebhookDelivery).where(
        WebhookDelivery.subscription_id == subscription.id)).scalar_one()
    rows = session.execute(select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription.id)
                           .order_by(WebhookDelivery.id.desc()).offset((page - 1) * per_page).limit(per_page)
                           ).scalars().all()
    return list(rows), max(1, -(-total // per_page))


def delivery_counts(session: Session) -> dict[int, dict[str, int]]:
    """Subscription id → {state: number of deliveries} (the list page's summary)."""
    counts: dict[int, dict[str, int]] = {}
    for subscription_id, state, number in session.execute(
            select(WebhookDelivery.subscription_id, WebhookDelivery.state, func.count())
            .group_by(WebhookDelivery.subscription_id, WebhookDelivery.state)):
        counts.setdefault(subscription_id, {})[DeliveryState(state).value] = number
    return counts


def get_delivery(session: Session, subscription: WebhookSubscription, delivery_id: int) -> WebhookDelivery:
    found = session.get(WebhookDelivery, delivery_id) if 1 <= delivery_id <= 2**31 - 1 else None
    if found is None or found.subscription_id != subscription.id:
        raise SubscriptionNotFound("This subscription has no such delivery.")
    return found
