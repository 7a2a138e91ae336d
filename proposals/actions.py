"""Plain words for the audit codes the proposals package writes (shown on /audit)."""

from __future__ import annotations

from governance.audit.actions import describe_actions

PROPOSAL_ACTIONS: dict[str, str] = {
    "proposal.draft": "Proposal drafted",
    "proposal.version_saved": "Draft proposal edited (new version)",
    "proposal.discussion": "Proposal published for discussion",
    "proposal.voting": "Voting opened on a proposal (version frozen)",
    "proposal.counting": "Voting closed; counting",
    "proposal.adopted": "Proposal adopted",
    "proposal.rejected": "Proposal rejected",
    "proposal.no_quorum": "Vote on a proposal did not reach quorum",
    "proposal.withdrawn": "Proposal withdrawn by its author",
    "proposal.cancelled": "Proposal cancelled by a steward",
    "proposal.enacted": "Adopted proposal enacted (new policy or constitution version)",
    "proposal.sponsored": "Member co-sponsored a proposal",
    "proposal.unsponsored": "Member withdrew their co-sponsorship",
    "proposal.comment_added": "Comment posted on a proposal",
    "proposal.comment_edited": "Comment edited by its author",
    "proposal.comment_hidden": "Comment hidden by a steward",
    "proposal.amendment_proposed": "Amendment proposed",
    "proposal.amendment_accepted": "Amendment accepted by the author (new version)",
    "proposal.amendment_declined": "Amendment declined by the author",
    "proposal.amendment_withdrawn": "Amendment withdrawn by its proposer",
    "proposal.conflicts_overridden": "Steward let a conflicting deal go to vote (override)",
    "proposal.companion_set": "Rule-change proposal linked to a deal",
}

describe_actions(PROPOSAL_ACTIONS)
