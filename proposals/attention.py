"""What the home page asks of a member about proposals: their drafts, amendments waiting for their
decision and, for stewards, proposals ready for the vote. Registered in
``governance.pages.attention.ATTENTION_PROVIDERS`` as ``"proposals.attention:proposal_items"``."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from governance.members.models import Member
from governance.pages.attention import AttentionItem
from governance.sitecontext import utcnow
from proposals.access import is_steward
from proposals.lifecycle import voting_blockers
from proposals.models import Amendment, AmendmentStatus, Proposal, ProposalState


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def proposal_items(session: Session, member: Member) -> list[AttentionItem]:
    items: list[AttentionItem] = []
    drafts = session.execute(select(func.count()).select_from(Proposal).where(
        Proposal.author_id == member.id, Proposal.state == ProposalState.DRAFT)).scalar_one()
    if drafts:
        items.append(AttentionItem("Your drafts", f"{_plural(drafts, 'draft is', 'drafts are')} not published yet.",
                                   "/proposals?mine=1&state=draft", "See your drafts"))
    waiting = session.execute(
        select(Proposal.id, func.count(Amendment.id)).join(Amendment, Amendment.proposal_id == Proposal.id)
        .where(Proposal.author_id == member.id, Proposal.state == ProposalState.DISCUSSION,
               Amendment.status == AmendmentStatus.OPEN)
        .group_by(Proposal.id).order_by(Proposal.id)).all()
    for proposal_id, count in waiting:
        items.append(AttentionItem("Amendments waiting for your decision",
                                   f"{_plural(count, 'amendment', 'amendments')} to proposal #{proposal_id}.",
                                   f"/proposals/{proposal_id}#amendments", "Review amendments"))
    if is_steward(member):
        now = utcnow()
        ready = [p for p in session.execute(select(Proposal).where(Proposal.state == ProposalState.DISCUSSION)
                                            .order_by(Proposal.id)).scalars()
                 if not voting_blockers(session, p, now)]
        for proposal in ready:
            items.append(AttentionItem("Ready to open voting",
                                       f"Proposal #{proposal.id} \u201c{proposal.title}\u201d has its co-sponsors and "
                                       "enough discussion.", f"/proposals/{proposal.id}", "Open the proposal"))
    return items
