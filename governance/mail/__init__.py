"""Outgoing mail: an outbox table, and a sender that runs after the request's commit."""

from governance.mail.services import queue_mail

__all__ = ["queue_mail"]
