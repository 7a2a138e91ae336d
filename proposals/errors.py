"""Errors of the proposals package: messages are meant for the person who asked."""

from __future__ import annotations

from collections.abc import Mapping


class ProposalError(ValueError):
    """A request that cannot be carried out. ``errors`` maps a field ("title", "summary", "text",
    "reason", "rationale", or a dotted body path as in ``InvalidBody``) to a sentence; ``message`` is
    one sentence for the whole request."""

    def __init__(self, message: str, errors: Mapping[str, str] | None = None) -> None:
        self.message = message
        self.errors = dict(errors or {})
        super().__init__(message)


class NotPermitted(ProposalError):
    """The acting member lacks the role or the relation (author, steward) the action needs."""


class IllegalTransition(ProposalError):
    """The lifecycle does not allow this move from the proposal's current state."""


class EnactmentFailed(ProposalError):
    """An adopted proposal could not be turned into policy; the caller must roll back."""
