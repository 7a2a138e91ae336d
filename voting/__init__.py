"""Voting: ballots, bulletin board, receipts, trustees, tallies, one subpackage per area (docs/architecture.md).

The refusals below are shared by every room, so they live at the package's root: every service
raises one of these *before* it writes anything, so a view can roll back, show ``message`` (and
``errors``: form field name -> message, ``""`` for the whole form) and keep nothing.
"""


from __future__ import annotations

from collections.abc import Mapping


class VotingError(ValueError):
    """Base class: the request is refused; ``message`` says why in plain words."""

    def __init__(self, message: str, errors: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors: dict[str, str] = dict(errors or {})


class NotOnRoll(VotingError):
    """The member is not in the election's frozen electorate."""


class WindowClosed(VotingError):
    """The clock is outside the election's window (not yet open, or closed)."""


class StaleBallot(VotingError):
    """The ballot was prepared against an earlier state (another tab or session cast first)."""


class InvalidChoice(VotingError):
    """The choices do not fit the question (count, budget, range) or the ballot is malformed."""


class ElectionError(VotingError):
    """An election cannot be created or changed as asked (wrong proposal state, missing key, ...)."""


class NotPermitted(VotingError):
    """The acting member lacks the role this needs."""
