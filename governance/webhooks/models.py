"""Webhook subscriptions, the events the site emitted, one delivery per (subscription, event), and
every attempt at a delivery (the log a steward reads).

An event's ``body`` is the exact JSON text every delivery of it sends, so each retry carries the same
bytes (only the timestamp and the signature over them change).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from governance.db import Base, string_enum
from governance.members.models import Member


class DeliveryState(enum.StrEnum):
    PENDING = "pending"        # due at next_attempt_at (the first attempt, or a retry after a failure)
    DELIVERED = "delivered"    # a 2xx answer: final
    GIVEN_UP = "given_up"      # every retry failed; "retry now" makes it pending again


class WebhookSubscription(Base):
    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(100), nullable=False)
    url: Mapped[str] = mapped_column(String(2000), nullable=False)
    #: The subscribed event types, sorted and separated by single spaces.
    event_types: Mapped[str] = mapped_column(String(200), nullable=False)
    #: Random; the secret is derived from it and the site's SECRET_KEY (``signing.derive_secret``), so a
    #: copy of the database alone cannot sign deliveries.
    secret_salt: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"), nullable=False)
    paused_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    created_by: Mapped[Member] = relationship(foreign_keys=[created_by_id], lazy="joined")

    @property
    def event_set(self) -> frozenset[str]:
        return frozenset(self.event_types.split())

    @property
    def active(self) -> bool:
        return self.paused_at is None


class WebhookEvent(Base):
    __tablename__ = "webhook_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: What happened, once: e.g. ``agreement.expired:7``. A second emit with the same key does nothing.
    event_key: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    event_type: Mapped[str] = mapped_column(String(40), nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)


class WebhookDelivery(Base):
    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"),
                                                 nullable=False, index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("webhook_events.id", ondelete="CASCADE"), nullable=False,
                                          index=True)
    state: Mapped[DeliveryState] = mapped_column(string_enum(DeliveryState, "webhook_delivery_state"),
                                                 nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    #: When the next attempt is due (None once delivered or given up).
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    #: A sender holds the delivery until then (it committed the claim before sending), so two senders
    #: (the request's and ``dataguild webhooks deliver``) never post the same delivery at once.
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(300))

    subscription: Mapped[WebhookSubscription] = relationship(foreign_keys=[subscription_id])
    event: Mapped[WebhookEvent] = relationship(foreign_keys=[event_id], lazy="joined")
    attempt_log: Mapped[list[WebhookAttempt]] = relationship(
        back_populates="delivery", order_by="WebhookAttempt.number", cascade="all, delete-orphan",
        passive_deletes=True)

    __table_args__ = (UniqueConstraint("subscription_id", "event_id"),)


class WebhookAttempt(Base):
    """One POST: its answer's status code (None: no answer), a short error, how long it took. Never
    the secret or the signature."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"),
                                             nullable=False, index=True)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    attempted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    succeeded: Mapped[bool] = mapped_column(Boolean, nullable=False)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(300))
    duration_ms: Mapped[int] = mapped_column(Integer, nullable=False)

    delivery: Mapped[WebhookDelivery] = relationship(back_populates="attempt_log", foreign_keys=[delivery_id])
