"""The lifecycle state machine: the allowed edges, who may take each, and :func:`transition`, the
only code that assigns ``Proposal.state``.

Time-based moves never wait for a cron job: :func:`shown_state` derives "counting" for a proposal
whose voting window has ended, and ``begin_counting`` (called by ``dataguild tick`` or the voting
package) persists it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.audit.chain import utc
from governance.audit.services import record_event
from governance.members.models import Member
from proposals import actions  # noqa: F401  (registers the plain words of our audit codes)
from proposals.access import is_author, is_steward, may_draft
from proposals.errors import IllegalTransition, NotPermitted
from proposals.models import Proposal, ProposalState, ProposalStateChange
from proposals.notifications import notify_transition

S = ProposalState


class Who(enum.StrEnum):
    AUTHOR = "author"                        # the proposal's author (still an active drafter)
    STEWARD = "steward"
    AUTHOR_OR_STEWARD = "author_or_steward"
    ANYONE = "anyone"                        # clock-driven or called by the voting package (actor may be None)


#: Every edge there is, and who may take it. ``None`` is the state before creation.
ALLOWED_TRANSITIONS: dict[tuple[ProposalState | None, ProposalState], Who] = {
    (None, S.DRAFT): Who.AUTHOR,
    (S.DRAFT, S.DISCUSSION): Who.AUTHOR_OR_STEWARD,
    (S.DRAFT, S.WITHDRAWN): Who.AUTHOR,
    (S.DRAFT, S.CANCELLED): Who.STEWARD,
    (S.DISCUSSION, S.VOTING): Who.STEWARD,
    (S.DISCUSSION, S.WITHDRAWN): Who.AUTHOR,
    (S.DISCUSSION, S.CANCELLED): Who.STEWARD,
    (S.VOTING, S.COUNTING): Who.ANYONE,
    (S.VOTING, S.CANCELLED): Who.STEWARD,
    (S.COUNTING, S.ADOPTED): Who.ANYONE,
    (S.COUNTING, S.REJECTED): Who.ANYONE,
    (S.COUNTING, S.NO_QUORUM): Who.ANYONE,
}

FINAL_STATES = frozenset({S.ADOPTED, S.REJECTED, S.NO_QUORUM, S.WITHDRAWN, S.CANCELLED})

STATE_LABELS: dict[ProposalState, str] = {
    S.DRAFT: "Draft", S.DISCUSSION: "In discussion", S.VOTING: "Voting", S.COUNTING: "Counting",
    S.ADOPTED: "Adopted", S.REJECTED: "Rejected", S.NO_QUORUM: "No quorum", S.WITHDRAWN: "Withdrawn",
    S.CANCELLED: "Cancelled",
}

_WHO_WORDS = {Who.AUTHOR: "the author", Who.STEWARD: "a steward",
              Who.AUTHOR_OR_STEWARD: "the author or a steward", Who.ANYONE: "anyone"}


def allowed_targets(state: ProposalState | None) -> list[ProposalState]:
    return [to for (frm, to) in ALLOWED_TRANSITIONS if frm == state]


def may_take(who: Who, proposal: Proposal, actor: Member | None) -> bool:
    if who == Who.ANYONE:
        return True
    author = is_author(proposal, actor) and may_draft(actor)
    if who == Who.AUTHOR:
        return author
    if who == Who.STEWARD:
        return is_steward(actor)
    return author or is_steward(actor)


def voting_window_ended(proposal: Proposal, now: datetime) -> bool:
    return proposal.voting_closes_at is not None and utc(now) >= utc(proposal.voting_closes_at)


def shown_state(proposal: Proposal, now: datetime) -> ProposalState:
    """The state as people should see it at ``now``: a vote whose window has ended is being counted,
    whether or not anything has stored that yet."""
    state = ProposalState(proposal.state) if proposal.state is not None else S.DRAFT
    if state == S.VOTING and voting_window_ended(proposal, now):
        return S.COUNTING
    return state


def lock_proposal(session: Session, proposal: Proposal) -> Proposal:
    """Take the proposal's row lock and re-read it, so two requests (or two ``dataguild tick`` runs)
    cannot both move it. PostgreSQL locks the row until the transaction ends; on SQLite the
    transaction already holds the database's write lock. Only the bare row is locked: PostgreSQL
    refuses FOR UPDATE on the outer join that loads the author."""
    if proposal.id is not None:
        session.execute(select(Proposal.id).where(Proposal.id == proposal.id).with_for_update())
        session.refresh(proposal)
    return proposal


def check_transition(proposal: Proposal, to: ProposalState, actor: Member | None) -> ProposalState | None:
    """Raise unless ``actor`` may move ``proposal`` to ``to`` now; returns the current state. Callers
    that prepare fields before moving call this first, so a refusal leaves everything unchanged."""
    frm = ProposalState(proposal.state) if proposal.state is not None else None
    to = ProposalState(to)
    who = ALLOWED_TRANSITIONS.get((frm, to))
    if who is None:
        where = STATE_LABELS[frm].lower() if frm else "new"
        raise IllegalTransition(f"A proposal that is {where} cannot become {STATE_LABELS[to].lower()}.")
    if not may_take(who, proposal, actor):
        raise NotPermitted(f"Only {_WHO_WORDS[who]} can make a proposal {STATE_LABELS[to].lower()}.")
    return frm


def transition(session: Session, proposal: Proposal, to: ProposalState, *, actor: Member | None,
               reason: str = "", now: datetime, details: Mapping[str, Any] | None = None,
               base_url: str | None = None) -> ProposalStateChange:
    """Move ``proposal`` to ``to``: refuses an edge that does not exist or that ``actor`` may not take
    (nothing changed), keeps the history row, writes the audit entry ``proposal.<to>`` and queues the
    notifications members asked for."""
    frm = check_transition(proposal, to, actor)
    to = ProposalState(to)
    proposal.state = to
    proposal.updated_at = now
    if proposal.id is None:
        session.add(proposal)
        session.flush()
    change = ProposalStateChange(proposal_id=proposal.id, from_state=frm, to_state=to,
                                 actor_id=actor.id if actor else None, at=now, reason=reason)
    session.add(change)
    audit = {"from": frm.value if frm else None, "to": to.value, "kind": proposal.kind}
    if reason:
        audit["reason"] = reason
    audit.update(details or {})
    record_event(session, actor=actor, action=f"proposal.{to.value}", subject_type="proposal",
                 subject_id=proposal.id, details=audit, now=now)
    notify_transition(session, proposal, to, base_url=base_url, now=now)
    return change
