"""Discussion of a published proposal: comments (threaded one level) and amendments.

Comments are open while the proposal is in discussion or voting; amendments only in discussion
(the version voted on is frozen when voting opens). The author decides on amendments: accepting
one makes it the proposal's next version.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.audit.chain import utc
from governance.audit.services import record_event
from governance.members.models import Member
from proposals.access import is_author, is_steward, is_voting_member, may_draft, require
from proposals.content import add_version, check_content, content_hash
from proposals.errors import IllegalTransition, NotPermitted, ProposalError
from proposals.models import Amendment, AmendmentStatus, Comment, Proposal, ProposalState, ProposalVersion

COMMENT_EDIT_WINDOW = timedelta(minutes=15)
MAX_COMMENT = 10_000
MAX_REASON = 2_000
COMMENT_STATES = frozenset({ProposalState.DISCUSSION, ProposalState.VOTING})


def _text(value: str, field: str, *, missing: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise ProposalError(missing, {field: missing})
    if len(value) > limit:
        message = f"Keep it under {limit} characters (it has {len(value)})."
        raise ProposalError(message, {field: message})
    return value


# ---------------------------------------------------------------- comments

def add_comment(session: Session, proposal: Proposal, *, actor: Member, text: str, parent_id: int | None = None,
                now: datetime) -> Comment:
    """A comment, or a reply to one. Replies to a reply join the same thread (one level only)."""
    require(is_voting_member(actor), "Only active members can comment.")
    if proposal.state not in COMMENT_STATES:
        raise IllegalTransition("Comments are open while a proposal is in discussion or voting.")
    text = _text(text, "text", missing="Write something first.", limit=MAX_COMMENT)
    if parent_id is not None:
        parent = session.get(Comment, parent_id)
        if parent is None or parent.proposal_id != proposal.id:
            raise ProposalError("The comment you reply to is not part of this proposal.")
        parent_id = parent.parent_id or parent.id
    comment = Comment(proposal_id=proposal.id, parent_id=parent_id, author_id=actor.id, author=actor, text=text,
                      created_at=now)
    session.add(comment)
    session.flush()
    record_event(session, actor=actor, action="proposal.comment_added", subject_type="proposal",
                 subject_id=proposal.id, details={"comment_id": comment.id, "reply_to": parent_id}, now=now)
    return comment


def list_comments(session: Session, proposal: Proposal, *, after: int | None = None,
                  limit: int | None = None) -> list[Comment]:
    """The proposal's comments and replies in the order they were posted (by id), starting after the
    comment ``after``; hidden ones included (whoever shows them shows the reason, not the text)."""
    stmt = select(Comment).where(Comment.proposal_id == proposal.id).order_by(Comment.id)
    if after is not None:
        stmt = stmt.where(Comment.id > after)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.execute(stmt).scalars())


def can_edit_comment(comment: Comment, member: Member | None, now: datetime) -> bool:
    return (member is not None and comment.author_id == member.id and comment.hidden_at is None
            and utc(now) - utc(comment.created_at) <= COMMENT_EDIT_WINDOW)


def edit_comment(session: Session, comment: Comment, *, actor: Member, text: str, now: datetime) -> Comment:
    if comment.author_id != actor.id:
        raise NotPermitted("You can edit only your own comments.")
    if comment.hidden_at is not None:
        raise ProposalError("A hidden comment cannot be edited.")
    if utc(now) - utc(comment.created_at) > COMMENT_EDIT_WINDOW:
        minutes = int(COMMENT_EDIT_WINDOW.total_seconds() // 60)
        raise ProposalError(f"Comments can be edited for {minutes} minutes after posting; post a new one instead.")
    text = _text(text, "text", missing="Write something first.", limit=MAX_COMMENT)
    if text == comment.text:
        raise ProposalError("Nothing changed.", {"text": "The text is the same as before."})
    comment.text = text
    comment.edited_at = now
    session.flush()
    record_event(session, actor=actor, action="proposal.comment_edited", subject_type="proposal",
                 subject_id=comment.proposal_id, details={"comment_id": comment.id}, now=now)
    return comment


def hide_comment(session: Session, comment: Comment, *, actor: Member, reason: str, now: datetime) -> Comment:
    """Stewards hide a comment; the reason is shown in its place and logged."""
    require(is_steward(actor), "Only stewards can hide comments.")
    if comment.hidden_at is not None:
        raise ProposalError("This comment is already hidden.")
    reason = _text(reason, "reason", missing="Say why the comment is hidden.", limit=MAX_REASON)
    comment.hidden_at, comment.hidden_by_id, comment.hidden_reason = now, actor.id, reason
    session.flush()
    record_event(session, actor=actor, action="proposal.comment_hidden", subject_type="proposal",
                 subject_id=comment.proposal_id, details={"comment_id": comment.id, "reason": reason}, now=now)
    return comment


# ---------------------------------------------------------------- amendments

def list_amendments(session: Session, proposal: Proposal) -> list[Amendment]:
    """Every amendment of the proposal, open and decided, oldest first."""
    return list(session.execute(select(Amendment).where(Amendment.proposal_id == proposal.id)
                                .order_by(Amendment.created_at, Amendment.id)).scalars())


def _amendment_event(session: Session, amendment: Amendment, action: str, actor: Member, now: datetime,
                     **extra: Any) -> None:
    record_event(session, actor=actor, action=f"proposal.{action}", subject_type="proposal",
                 subject_id=amendment.proposal_id, details={"amendment_id": amendment.id, **extra}, now=now)


def propose_amendment(session: Session, proposal: Proposal, *, actor: Member, title: str, summary: str, body: Any,
                      rationale: str, now: datetime) -> Amendment:
    """A member's changed version of a proposal in discussion. The author does not amend their own
    proposal: after publishing, its content changes only by accepting others' amendments."""
    require(is_voting_member(actor), "Only active members can propose amendments.")
    if proposal.state != ProposalState.DISCUSSION:
        raise IllegalTransition("Amendments are proposed while a proposal is in discussion.")
    if is_author(proposal, actor):
        raise NotPermitted("You wrote this proposal; other members propose amendments, which you accept or decline.")
    errors: dict[str, str] = {}
    try:
        rationale = _text(rationale, "rationale", missing="Explain why you propose this change.", limit=MAX_COMMENT)
    except ProposalError as exc:
        errors.update(exc.errors)
    try:
        title, summary, normalised = check_content(session, proposal.kind, title, summary, body)
    except ProposalError as exc:
        raise ProposalError(exc.message, {**exc.errors, **errors}) from None
    if errors:
        raise ProposalError("The amendment has errors; see the marked fields.", errors)
    if content_hash(proposal.kind, title, summary, normalised) == proposal.latest.content_hash:
        raise ProposalError("This amendment changes nothing: it is the same as the current version.")
    amendment = Amendment(proposal_id=proposal.id, base_version=proposal.current_version, proposer_id=actor.id,
                          proposer=actor, title=title, summary=summary, body=normalised, rationale=rationale,
                          status=AmendmentStatus.OPEN, created_at=now)
    session.add(amendment)
    session.flush()
    _amendment_event(session, amendment, "amendment_proposed", actor, now, base_version=amendment.base_version)
    return amendment


def _open_amendment_for_author(amendment: Amendment, proposal: Proposal, actor: Member) -> None:
    require(is_author(proposal, actor) and may_draft(actor), "Only the proposal's author decides on amendments.")
    if amendment.status != AmendmentStatus.OPEN:
        raise ProposalError(f"This amendment is already {AmendmentStatus(amendment.status).value}.")
    if proposal.state != ProposalState.DISCUSSION:
        raise IllegalTransition("Amendments are decided while the proposal is in discussion.")


def accept_amendment(session: Session, amendment: Amendment, *, actor: Member, now: datetime) -> ProposalVersion:
    """The author accepts: the amendment becomes the next version. Refused if the proposal changed
    since the amendment was written (accepting it would silently undo the other change)."""
    proposal = session.get(Proposal, amendment.proposal_id)
    assert proposal is not None
    _open_amendment_for_author(amendment, proposal, actor)
    if amendment.base_version != proposal.current_version:
        raise ProposalError(f"This amendment was written for version {amendment.base_version}, but the proposal is "
                            f"now at version {proposal.current_version}; ask for it to be proposed again on the "
                            "current version.")
    # Re-check: the catalogue or the constitution may have changed since the amendment was proposed.
    title, summary, normalised = check_content(session, proposal.kind, amendment.title, amendment.summary,
                                               amendment.body)
    version = add_version(session, proposal, actor=actor, title=title, summary=summary, body=normalised,
                          note=f"Amendment #{amendment.id} by {amendment.proposer.name}", now=now,
                          amendment_id=amendment.id)
    amendment.status, amendment.decided_at, amendment.decided_by_id = AmendmentStatus.ACCEPTED, now, actor.id
    amendment.resulting_version = version.number
    session.flush()
    _amendment_event(session, amendment, "amendment_accepted", actor, now, version=version.number,
                     content_hash=version.content_hash)
    return version


def decline_amendment(session: Session, amendment: Amendment, *, actor: Member, reason: str,
                      now: datetime) -> Amendment:
    proposal = session.get(Proposal, amendment.proposal_id)
    assert proposal is not None
    _open_amendment_for_author(amendment, proposal, actor)
    reason = _text(reason, "reason", missing="Tell the proposer why you decline.", limit=MAX_REASON)
    amendment.status, amendment.decided_at, amendment.decided_by_id = AmendmentStatus.DECLINED, now, actor.id
    amendment.decision_reason = reason
    session.flush()
    _amendment_event(session, amendment, "amendment_declined", actor, now, reason=reason)
    return amendment


def withdraw_amendment(session: Session, amendment: Amendment, *, actor: Member, now: datetime) -> Amendment:
    if amendment.proposer_id != actor.id:
        raise NotPermitted("Only the member who proposed an amendment can withdraw it.")
    if amendment.status != AmendmentStatus.OPEN:
        raise ProposalError(f"This amendment is already {AmendmentStatus(amendment.status).value}.")
    amendment.status, amendment.decided_at, amendment.decided_by_id = AmendmentStatus.WITHDRAWN, now, actor.id
    session.flush()
    _amendment_event(session, amendment, "amendment_withdrawn", actor, now)
    return amendment
