"""Plain words for audit action codes, shown to observers on /audit.

Packages add their own codes with :func:`describe_actions`; unknown codes are still readable
(``proposal.vote_opened`` → "Proposal: vote opened").
"""

from __future__ import annotations

from collections.abc import Mapping

ACTION_DESCRIPTIONS: dict[str, str] = {
    "member.added": "Member added",
    "member.invited": "Member invited",
    "member.joined": "Invitation accepted, member joined",
    "member.invitation_reissued": "Invitation sent again",
    "member.role_added": "Role given to a member",
    "member.role_removed": "Role taken from a member",
    "member.suspended": "Member suspended",
    "member.reinstated": "Member reinstated",
    "member.left": "Member left the cooperative",
    "member.password_changed": "Member's password changed (the password itself is never logged)",
    "constitution.adopted": "Constitution adopted",
    "constitution.amended": "Constitution amended (new version)",
}


def describe_actions(descriptions: Mapping[str, str]) -> None:
    """Register plain-language descriptions for a package's action codes."""
    ACTION_DESCRIPTIONS.update(descriptions)


def describe_action(code: str) -> str:
    if code in ACTION_DESCRIPTIONS:
        return ACTION_DESCRIPTIONS[code]
    area, _, rest = code.partition(".")
    words = rest.replace("_", " ").replace(".", " ").strip()
    return f"{area.replace('_', ' ').capitalize()}: {words}" if words else area.replace("_", " ").capitalize()
