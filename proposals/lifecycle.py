"""Moving a proposal through its lifecycle: publish, withdraw, cancel, open voting (with the deal
conflict gate), begin counting, record the outcome, and saying what happens next.

The state machine itself (edges, who may take them, the one function that assigns the state) is in
:mod:`proposals.transitions`; deciding and recording outcomes in :mod:`proposals.outcome`. Both are
re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.audit.chain import utc
from governance.audit.services import record_event
from governance.constitution.services import current_constitution, rules_for
from governance.members.models import Member
from proposals.access import can_view, is_author, is_steward, may_draft, require
from proposals.content import check_content
from proposals.errors import IllegalTransition, NotPermitted, ProposalError
from proposals.models import Proposal, ProposalState
from proposals.notifications import send_closing_reminders
from proposals.outcome import VoteResult, decide_outcome, record_outcome
from proposals.services import COMPANION_STATES, proposal_conflicts
from proposals.transitions import (
    ALLOWED_TRANSITIONS,
    FINAL_STATES,
    STATE_LABELS,
    Who,
    check_transition,
    lock_proposal,
    shown_state,
    transition,
    voting_window_ended,
)

__all__ = [
    "ALLOWED_TRANSITIONS", "FINAL_STATES", "STATE_LABELS", "VoteResult", "Who", "begin_counting", "cancel",
    "decide_outcome", "next_step", "open_voting", "override_conflicts", "override_is_current", "publish",
    "record_outcome", "set_companion", "shown_state", "tick", "transition", "voting_blockers", "withdraw",
]

S = ProposalState
MAX_REASON = 2_000


def _reason(reason: str, missing: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ProposalError(missing, {"reason": missing})
    if len(reason) > MAX_REASON:
        raise ProposalError("The reason is too long.", {"reason": f"Keep it under {MAX_REASON} characters."})
    return reason


def _when(moment: datetime) -> str:
    return utc(moment).strftime("%Y-%m-%d %H:%M UTC")


def _content_problems(session: Session, proposal: Proposal) -> list[str]:
    """Catalogue or constitution may have changed since the version was saved."""
    latest = proposal.latest
    try:
        check_content(session, proposal.kind, latest.title, latest.summary, latest.body)
    except ProposalError as exc:
        return [f"The proposal no longer passes its checks: {msg}" for msg in exc.errors.values()] or [exc.message]
    return []


# ---------------------------------------------------------------- simple moves

def publish(session: Session, proposal: Proposal, *, actor: Member, now: datetime,
            base_url: str | None = None) -> Proposal:
    """Draft → discussion: the proposal becomes public and members are told."""
    lock_proposal(session, proposal)
    check_transition(proposal, S.DISCUSSION, actor)
    problems = _content_problems(session, proposal)
    if problems:
        raise ProposalError("Fix the draft before publishing it.", {"": " ".join(problems)})
    proposal.discussion_started_at = now
    transition(session, proposal, S.DISCUSSION, actor=actor, now=now, base_url=base_url,
               details={"version": proposal.current_version})
    return proposal


def withdraw(session: Session, proposal: Proposal, *, actor: Member, reason: str = "", now: datetime) -> Proposal:
    """The author takes the proposal back (before voting opens)."""
    lock_proposal(session, proposal)
    transition(session, proposal, S.WITHDRAWN, actor=actor, reason=(reason or "").strip()[:MAX_REASON], now=now)
    return proposal


def cancel(session: Session, proposal: Proposal, *, actor: Member, reason: str, now: datetime) -> Proposal:
    """A steward stops the proposal, with a reason everyone can read."""
    lock_proposal(session, proposal)
    require(is_steward(actor), "Only stewards can cancel a proposal.")
    reason = _reason(reason, "Say why the proposal is cancelled.")
    transition(session, proposal, S.CANCELLED, actor=actor, reason=reason, now=now)
    return proposal


def begin_counting(session: Session, proposal: Proposal, *, actor: Member | None = None, now: datetime) -> Proposal:
    """Store the "counting" state of a vote whose window has ended (the page already shows it)."""
    lock_proposal(session, proposal)
    if proposal.state == S.VOTING and not voting_window_ended(proposal, now):
        assert proposal.voting_closes_at is not None
        raise IllegalTransition(f"Voting is open until {_when(proposal.voting_closes_at)}.")
    transition(session, proposal, S.COUNTING, actor=actor, now=now)
    return proposal


# ---------------------------------------------------------------- deals: override and companion

def override_is_current(proposal: Proposal) -> bool:
    """An override covers the version that was current when it was given, not later amendments."""
    return (proposal.override_at is not None
            and utc(proposal.override_at) >= utc(proposal.latest.created_at))


def override_conflicts(session: Session, proposal: Proposal, *, actor: Member, reason: str,
                       now: datetime) -> Proposal:
    """A steward lets a deal that conflicts with the adopted rules go to vote anyway (logged)."""
    lock_proposal(session, proposal)
    require(is_steward(actor), "Only stewards can override conflicts.")
    if proposal.kind != "deal_approval":
        raise ProposalError("Only deals are checked against the adopted rules.")
    if proposal.state != S.DISCUSSION:
        raise IllegalTransition("Conflicts are overridden while the deal is in discussion.")
    reason = _reason(reason, "Say why the deal may go to vote despite its conflicts.")
    conflicts = proposal_conflicts(session, proposal)
    if not conflicts:
        raise ProposalError("This deal has no conflicts with the adopted rules; there is nothing to override.")
    proposal.override_reason, proposal.override_by_id, proposal.override_at = reason, actor.id, now
    session.flush()
    record_event(session, actor=actor, action="proposal.conflicts_overridden", subject_type="proposal",
                 subject_id=proposal.id, now=now,
                 details={"version": proposal.current_version, "reason": reason,
                          "conflicts": [{"code": c.code, "rule_id": c.rule_id} for c in conflicts]})
    return proposal


def set_companion(session: Session, proposal: Proposal, companion_id: int | None, *, actor: Member,
                  now: datetime) -> Proposal:
    """Link (or unlink, with None) the rule-change proposal that makes a conflicting deal acceptable."""
    lock_proposal(session, proposal)
    if not ((is_author(proposal, actor) and may_draft(actor)) or is_steward(actor)):
        raise NotPermitted("Only the deal's author or a steward can link a rule change.")
    if proposal.kind != "deal_approval":
        raise ProposalError("Only deals are linked to a rule change.")
    if proposal.state not in (S.DRAFT, S.DISCUSSION):
        raise IllegalTransition("A rule change is linked before voting opens.")
    if companion_id is not None:
        companion = session.get(Proposal, companion_id)
        if companion is not None and companion.state == S.DRAFT and not can_view(companion, actor):
            companion = None  # someone else's draft: private, as if it did not exist
        if companion is None or companion.id == proposal.id or companion.kind != "data_use_rule":
            raise ProposalError("Choose a data-use rule proposal.", {"companion_id": "Not a data-use rule proposal."})
        if companion.state not in COMPANION_STATES:
            raise ProposalError(f"Proposal #{companion.id} is {STATE_LABELS[S(companion.state)].lower()}; link one "
                                "that is in discussion, voting or adopted.",
                                {"companion_id": "That proposal cannot resolve conflicts any more (or yet)."})
    proposal.companion_id = companion_id
    proposal.updated_at = now
    session.flush()
    record_event(session, actor=actor, action="proposal.companion_set", subject_type="proposal",
                 subject_id=proposal.id, details={"companion_id": companion_id}, now=now)
    return proposal


# ---------------------------------------------------------------- opening the vote

def voting_blockers(session: Session, proposal: Proposal, now: datetime) -> list[str]:
    """Why voting cannot open now, in plain words ([] = a steward may open it)."""
    if proposal.state != S.DISCUSSION:
        return [f"Voting opens only on a proposal in discussion; this one is "
                f"{STATE_LABELS[shown_state(proposal, now)].lower()}."]
    rules = rules_for(session, proposal.kind)
    blockers: list[str] = []
    missing = rules.min_sponsors - len(proposal.sponsorships)
    if missing > 0:
        blockers.append(f"Needs {missing} more co-sponsor{'s' if missing != 1 else ''} "
                        f"({rules.min_sponsors} needed).")
    started = utc(proposal.discussion_started_at or now)
    earliest = started + timedelta(days=rules.min_discussion_days)
    if utc(now) < earliest:
        blockers.append(f"Discussion lasts at least {rules.min_discussion_days} days: voting can open from "
                        f"{_when(earliest)}.")
    blockers.extend(_content_problems(session, proposal))
    if proposal.kind == "deal_approval" and not override_is_current(proposal):
        conflicts = proposal_conflicts(session, proposal)
        if conflicts:
            blockers.append(f"The deal conflicts with the adopted data-use rules ({len(conflicts)} "
                            f"conflict{'s' if len(conflicts) != 1 else ''}): link a rule change that resolves "
                            "them, or a steward overrides them with a reason.")
    return blockers


def open_voting(session: Session, proposal: Proposal, *, actor: Member, now: datetime,
                closes_at: datetime | None = None, base_url: str | None = None) -> Proposal:
    """A steward opens the vote: freezes the current version and records the window, the method and
    the constitution version whose rules will decide it."""
    lock_proposal(session, proposal)
    require(is_steward(actor), "Only stewards open voting.")
    if proposal.state != S.DISCUSSION:
        raise IllegalTransition(f"Voting opens only on a proposal in discussion; this one is "
                                f"{STATE_LABELS[S(proposal.state)].lower()}.")
    check_transition(proposal, S.VOTING, actor)
    blockers = voting_blockers(session, proposal, now)
    if blockers:
        raise ProposalError("Voting cannot open yet: " + " ".join(blockers), {"": " ".join(blockers)})
    rules = rules_for(session, proposal.kind)
    closes = utc(closes_at) if closes_at is not None else utc(now) + timedelta(days=rules.voting_days)
    if closes <= utc(now):
        raise ProposalError("The vote must close in the future.", {"closes_at": "Choose a later closing time."})
    constitution = current_constitution(session)
    proposal.frozen_version = proposal.current_version
    proposal.voting_opened_at, proposal.voting_closes_at = now, closes
    proposal.voting_method, proposal.constitution_version = rules.method, constitution.number
    details = {"frozen_version": proposal.frozen_version, "content_hash": proposal.latest.content_hash,
               "closes_at": _when(closes), "method": rules.method, "constitution_version": constitution.number}
    if proposal.kind == "deal_approval" and proposal.override_at is not None and override_is_current(proposal):
        details["conflicts_overridden"] = True
    if proposal.companion_id:
        details["companion_id"] = proposal.companion_id
    transition(session, proposal, S.VOTING, actor=actor, now=now, details=details, base_url=base_url)
    return proposal


# ---------------------------------------------------------------- what happens next

def _in(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds >= 2 * 86400:
        days, hours = seconds // 86400, seconds % 86400 // 3600
        return f"{days} days" + (f" and {hours} hour{'s' if hours != 1 else ''}" if hours else "")
    if seconds >= 2 * 3600:
        return f"{seconds // 3600} hours"
    minutes = max(1, seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def next_step(session: Session, proposal: Proposal, viewer: Member | None, now: datetime) -> str:
    """One or two plain sentences: what happens next and when."""
    state = shown_state(proposal, now)
    if state == S.DRAFT:
        return ("Draft: only its author and the stewards can see it. Publishing it opens the discussion.")
    if state == S.DISCUSSION:
        blockers = voting_blockers(session, proposal, now)
        if blockers:
            return " ".join(blockers)
        return "Ready for the vote: a steward can open voting now."
    if state == S.VOTING:
        assert proposal.voting_closes_at is not None
        return (f"Voting closes in {_in(utc(proposal.voting_closes_at) - utc(now))} "
                f"({_when(proposal.voting_closes_at)}).")
    if state == S.COUNTING:
        closed = _when(proposal.voting_closes_at) if proposal.voting_closes_at else "—"
        return f"Voting closed at {closed}; the votes are being counted."
    if state == S.ADOPTED:
        enacted = f" and enacted ({proposal.enactment_ref})" if proposal.enactment_ref else ""
        decided = _when(proposal.decided_at) if proposal.decided_at else "—"
        return f"Adopted on {decided}{enacted}."
    if state == S.REJECTED:
        return "Rejected: nothing changes."
    if state == S.NO_QUORUM:
        return "The vote did not reach the quorum: nothing changes. The proposal can be drafted again."
    if state == S.WITHDRAWN:
        return "Withdrawn by its author."
    return "Cancelled by a steward."


# ---------------------------------------------------------------- housekeeping

@dataclass(frozen=True)
class TickReport:
    counting_started: int
    reminders_queued: int


def tick(session: Session, *, now: datetime, base_url: str | None = None) -> TickReport:
    """Housekeeping for ``dataguild tick``: store "counting" for every vote whose window has ended and
    queue the 24-hour reminders. Safe to run any number of times, also concurrently."""
    ended = session.execute(select(Proposal).where(Proposal.state == S.VOTING, Proposal.voting_closes_at <= now)
                            .order_by(Proposal.id)).scalars().all()
    started = 0
    for proposal in ended:
        lock_proposal(session, proposal)
        if proposal.state == S.VOTING and voting_window_ended(proposal, now):
            transition(session, proposal, S.COUNTING, actor=None, now=now, base_url=base_url)
            started += 1
    reminders = send_closing_reminders(session, now, base_url=base_url)
    return TickReport(counting_started=started, reminders_queued=reminders)
