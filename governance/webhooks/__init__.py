"""Signed webhooks: subscriptions, an outbox of deliveries written with each change, sent after the commit."""

from governance.webhooks.services import EVENT_TYPES, emit

__all__ = ["EVENT_TYPES", "emit"]
