"""Drafting, versions, sponsors, listing and comparing proposals; discussion and amendments live in
:mod:`proposals.discussion` and are re-exported here. Services take the session and the acting
member, flush (never commit) and write the audit log; the caller commits once.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from governance.audit.services import record_event
from governance.members.models import Member
from governance.policy.agreements import agreement_names
from governance.policy.services import current_rules, dataset_titles
from governance.policy.terms.bodies import DataUseRuleBody, DealBody, InvalidBody
from governance.policy.terms.conflicts import Conflict, deal_conflicts
from governance.policy.terms.parsing import from_json
from governance.policy.terms.ruleset import apply_changes
from governance.policy.wording.diff import FieldChange, diff_bodies
from proposals.access import can_edit, can_view, is_author, is_voting_member, may_draft, require
from proposals.content import add_version, body_context, check_content, content_hash
from proposals.discussion import (
    COMMENT_EDIT_WINDOW,
    accept_amendment,
    add_comment,
    decline_amendment,
    edit_comment,
    hide_comment,
    propose_amendment,
    withdraw_amendment,
)
from proposals.errors import IllegalTransition, NotPermitted, ProposalError
from proposals.models import Proposal, ProposalState, ProposalVersion, Sponsorship
from proposals.transitions import shown_state, transition

__all__ = [
    "COMMENT_EDIT_WINDOW", "IllegalTransition", "NotPermitted", "ProposalError", "VersionDiff",
    "accept_amendment", "add_comment", "body_context", "can_edit", "can_view", "check_content",
    "content_hash", "create_draft", "decline_amendment", "diff_versions", "edit_comment", "hide_comment",
    "list_proposals", "proposal_conflicts", "propose_amendment", "save_version", "sponsor", "unsponsor",
    "withdraw_amendment",
]

MAX_NOTE = 500
#: Companion rule changes count while they can still (or did) become policy.
COMPANION_STATES = frozenset({ProposalState.DISCUSSION, ProposalState.VOTING, ProposalState.COUNTING,
                              ProposalState.ADOPTED})



def create_draft(session: Session, *, actor: Member, kind: str, title: str, summary: str, body: Any,
                 now: datetime) -> Proposal:
    """A new private draft (version 1) by ``actor``."""
    require(may_draft(actor), "Only active members and stewards can draft proposals.")
    from governance.constitution.rules import KINDS

    if kind not in KINDS:
        raise ProposalError(f"Unknown kind of proposal {kind!r}.", {"kind": "Choose a kind of proposal."})
    title, summary, normalised = check_content(session, kind, title, summary, body)
    proposal = Proposal(kind=kind, title=title, author_id=actor.id, author=actor, created_at=now, updated_at=now,
                        current_version=1)
    transition(session, proposal, ProposalState.DRAFT, actor=actor, now=now)
    add_version(session, proposal, actor=actor, title=title, summary=summary, body=normalised, note="", now=now)
    return proposal


def save_version(session: Session, proposal: Proposal, *, actor: Member, title: str, summary: str, body: Any,
                 note: str = "", now: datetime) -> ProposalVersion:
    """A new version of a draft; refuses a proposal that is no longer a draft and an edit that
    changes nothing."""
    if proposal.state != ProposalState.DRAFT:
        raise IllegalTransition("Only drafts can be edited; in discussion, changes are proposed as amendments.")
    require(can_edit(proposal, actor), "Only the author and stewards can edit a draft.")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ProposalError("The note is too long.", {"note": f"Keep the note under {MAX_NOTE} characters."})
    title, summary, normalised = check_content(session, proposal.kind, title, summary, body)
    if content_hash(proposal.kind, title, summary, normalised) == proposal.latest.content_hash:
        raise ProposalError("Nothing changed: this is the same as the current version.")
    version = add_version(session, proposal, actor=actor, title=title, summary=summary, body=normalised,
                           note=note, now=now)
    record_event(session, actor=actor, action="proposal.version_saved", subject_type="proposal",
                 subject_id=proposal.id, details={"version": version.number, "content_hash": version.content_hash},
                 now=now)
    return version


# ---------------------------------------------------------------- sponsors

def sponsor(session: Session, proposal: Proposal, *, actor: Member, now: datetime) -> Sponsorship:
    require(is_voting_member(actor), "Only active members can co-sponsor proposals.")
    if proposal.state != ProposalState.DISCUSSION:
        raise IllegalTransition("Proposals are co-sponsored while they are in discussion.")
    if is_author(proposal, actor):
        raise NotPermitted("You cannot co-sponsor your own proposal.")
    if actor.id in proposal.sponsor_ids:
        raise ProposalError("You already co-sponsor this proposal.")
    row = Sponsorship(proposal_id=proposal.id, member_id=actor.id, created_at=now, member=actor)
    session.add(row)
    proposal.sponsorships.append(row)
    session.flush()
    record_event(session, actor=actor, action="proposal.sponsored", subject_type="proposal",
                 subject_id=proposal.id, details={"sponsors": len(proposal.sponsorships)}, now=now)
    return row


def unsponsor(session: Session, proposal: Proposal, *, actor: Member, now: datetime) -> None:
    if proposal.state != ProposalState.DISCUSSION:
        raise IllegalTransition("Co-sponsorship can be withdrawn only while the proposal is in discussion.")
    row = next((s for s in proposal.sponsorships if s.member_id == actor.id), None)
    if row is None:
        raise ProposalError("You do not co-sponsor this proposal.")
    proposal.sponsorships.remove(row)
    session.delete(row)
    session.flush()
    record_event(session, actor=actor, action="proposal.unsponsored", subject_type="proposal",
                 subject_id=proposal.id, details={"sponsors": len(proposal.sponsorships)}, now=now)


# ---------------------------------------------------------------- listing and search

def list_proposals(session: Session, *, viewer: Member | None, kind: str | None = None,
                   state: ProposalState | str | None = None, mine: bool = False, query: str | None = None,
                   now: datetime) -> list[Proposal]:
    """Proposals ``viewer`` may see, newest activity first. ``state`` filters by the state shown at
    ``now`` (a vote whose window ended is "counting"); ``query`` matches the title, the summary or
    "#id"; ``mine``: written or co-sponsored by the viewer."""
    stmt = (select(Proposal).join(ProposalVersion, (ProposalVersion.proposal_id == Proposal.id)
                                  & (ProposalVersion.number == Proposal.current_version))
            .order_by(Proposal.updated_at.desc(), Proposal.id.desc()))
    if kind:
        stmt = stmt.where(Proposal.kind == kind)
    if mine:
        if viewer is None:
            return []
        sponsored = select(Sponsorship.proposal_id).where(Sponsorship.member_id == viewer.id)
        stmt = stmt.where(or_(Proposal.author_id == viewer.id, Proposal.id.in_(sponsored)))
    # NUL cannot be stored or compared in PostgreSQL text; nothing a member wrote contains it.
    text = (query or "").replace("\x00", "").strip()
    if text:
        escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"  # "50%" means fifty percent, not "50 followed by anything"
        matches = [Proposal.title.ilike(pattern, escape="\\"), ProposalVersion.summary.ilike(pattern, escape="\\")]
        digits = text.lstrip("#")
        if digits.isdigit():
            matches.append(Proposal.id == int(digits))
        stmt = stmt.where(or_(*matches))
    wanted = ProposalState(state) if state else None
    found = []
    for proposal in session.execute(stmt).unique().scalars():
        if not can_view(proposal, viewer):
            continue
        if wanted is not None and shown_state(proposal, now) != wanted:
            continue
        found.append(proposal)
    return found


# ---------------------------------------------------------------- comparing versions

@dataclass(frozen=True)
class VersionDiff:
    a: int
    b: int
    title_old: str
    title_new: str
    summary_lines: list[str]          # unified diff lines (without the ---/+++ header), [] if unchanged
    body_changes: list[FieldChange]

    @property
    def title_changed(self) -> bool:
        return self.title_old != self.title_new

    @property
    def unchanged(self) -> bool:
        return not self.title_changed and not self.summary_lines and not self.body_changes


def diff_versions(session: Session, proposal: Proposal, a: int, b: int) -> VersionDiff:
    old, new = proposal.version(a), proposal.version(b)
    missing = [str(n) for n, v in ((a, old), (b, new)) if v is None]
    if old is None or new is None:
        raise ProposalError(f"This proposal has no version {' or '.join(missing)}.")
    summary = list(difflib.unified_diff(old.summary.splitlines(), new.summary.splitlines(), lineterm="", n=2))[2:]
    return VersionDiff(a=a, b=b, title_old=old.title, title_new=new.title, summary_lines=summary,
                       body_changes=diff_bodies(proposal.kind, old.body, new.body,
                                                    dataset_titles=dataset_titles(session),
                                                    agreements=agreement_names(session)))


# ---------------------------------------------------------------- deals against the adopted rules

def companion_of(session: Session, proposal: Proposal) -> Proposal | None:
    return session.get(Proposal, proposal.companion_id) if proposal.companion_id else None


def proposal_conflicts(session: Session, proposal: Proposal) -> list[Conflict]:
    """A deal's conflicts with the adopted data-use rules (latest version), with the companion rule
    change applied when one is linked and still alive. [] for other kinds."""
    if proposal.kind != "deal_approval":
        return []

    deal = from_json(DealBody, proposal.latest.body)
    rules = tuple(current_rules(session))
    companion = companion_of(session, proposal)
    if companion is not None and companion.state in COMPANION_STATES and companion.state != ProposalState.ADOPTED:
        # An adopted companion is already part of the current rules.
        try:
            rules = apply_changes(rules, from_json(DataUseRuleBody, companion.latest.body))
        except InvalidBody:
            return [Conflict("companion_stale", None,
                             f"The linked rule change #{companion.id} no longer applies to the adopted rules; "
                             "it cannot resolve this deal's conflicts.")]
    return list(deal_conflicts(deal, rules))
