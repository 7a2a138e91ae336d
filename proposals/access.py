"""Who may see and do what with a proposal (see the permissions in CONTRACT §4).

Drafting, commenting, sponsoring and amending need an *active* member holding the ``member`` role
(drafting: ``member`` or ``steward``); stewards moderate. Non-draft proposals are public.
"""

from __future__ import annotations

from governance.members.models import Member, MemberStatus, Role
from proposals.errors import NotPermitted
from proposals.models import Proposal, ProposalState


def is_active(member: Member | None) -> bool:
    return member is not None and member.status == MemberStatus.ACTIVE


def is_steward(member: Member | None) -> bool:
    return is_active(member) and member is not None and member.has_role(Role.STEWARD)


def is_voting_member(member: Member | None) -> bool:
    """May comment, sponsor, amend: an active member with the ``member`` role."""
    return is_active(member) and member is not None and member.has_role(Role.MEMBER)


def may_draft(member: Member | None) -> bool:
    return is_active(member) and member is not None and member.has_role(Role.MEMBER, Role.STEWARD)


def is_author(proposal: Proposal, member: Member | None) -> bool:
    return member is not None and proposal.author_id == member.id


def can_view(proposal: Proposal, member: Member | None) -> bool:
    """Drafts: their author and stewards. Everything else: everyone, signed in or not."""
    if proposal.state != ProposalState.DRAFT:
        return True
    return (is_author(proposal, member) and is_active(member)) or is_steward(member)


def can_edit(proposal: Proposal, member: Member | None) -> bool:
    """Only drafts are edited (later changes go through amendments), by their author or a steward."""
    if proposal.state != ProposalState.DRAFT:
        return False
    return (is_author(proposal, member) and may_draft(member)) or is_steward(member)


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise NotPermitted(message)
