"""Enacting an adopted proposal: its frozen version becomes a new version of the cooperative's
policy (rules, payout formula), an agreement (deal), a suspended agreement (deal suspension) or a new
constitution version, linked back to the proposal. One enactor per kind in :data:`ENACTORS`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from governance.audit.services import record_event
from governance.constitution.services import amend_constitution
from governance.members.models import Member
from governance.policy.agreements import enact_deal, get_agreement, suspend_agreement_by_vote
from governance.policy.services import PolicyError, enact_payout_formula, enact_rule_changes
from governance.policy.terms.bodies import DataUseRuleBody, DealBody, DealSuspensionBody, PayoutPolicyBody
from governance.policy.terms.parsing import from_json
from proposals.errors import EnactmentFailed, IllegalTransition
from proposals.models import Proposal, ProposalState

#: (session, proposal, frozen body JSON, actor, now, chosen alternative) -> reference of what was created
Enactor = Callable[[Session, Proposal, dict[str, Any], Member | None, datetime, int | None], str]


def _election(proposal: Proposal) -> dict[str, Any]:
    """The election that adopted the proposal and its public record's hash, as the tally reported them
    (``None`` for a vote counted outside the site)."""
    outcome = proposal.outcome or {}
    return {"election_id": outcome.get("election_id"), "election_record_hash": outcome.get("record_hash")}


def _enact_rules(session: Session, proposal: Proposal, body: dict[str, Any], actor: Member | None, now: datetime,
                 chosen: int | None) -> str:
    version = enact_rule_changes(session, actor=actor, body=from_json(DataUseRuleBody, body),
                                 proposal_id=proposal.id, now=now, **_election(proposal))
    return f"policy:data_use:{version.number}"


def _enact_deal(session: Session, proposal: Proposal, body: dict[str, Any], actor: Member | None, now: datetime,
                chosen: int | None) -> str:
    agreement = enact_deal(session, actor=actor, deal=from_json(DealBody, body), proposal_id=proposal.id, now=now,
                           **_election(proposal))
    return f"agreement:{agreement.id}"


def _enact_payout(session: Session, proposal: Proposal, body: dict[str, Any], actor: Member | None, now: datetime,
                  chosen: int | None) -> str:
    formula = from_json(PayoutPolicyBody, body).alternatives[chosen or 0]
    version = enact_payout_formula(session, actor=actor, formula=formula, proposal_id=proposal.id, now=now,
                                   **_election(proposal))
    return f"policy:payout:{version.number}"


def _enact_bylaw(session: Session, proposal: Proposal, body: dict[str, Any], actor: Member | None, now: datetime,
                 chosen: int | None) -> str:
    version = amend_constitution(session, actor, body["changes"], reason=f"Adopted proposal #{proposal.id}: "
                                 f"{proposal.title}", proposal_id=proposal.id)
    return f"constitution:{version.number}"


def _enact_suspension(session: Session, proposal: Proposal, body: dict[str, Any], actor: Member | None,
                      now: datetime, chosen: int | None) -> str:
    suspension = from_json(DealSuspensionBody, body)
    agreement = get_agreement(session, suspension.agreement_id)
    if agreement is None:
        raise PolicyError(f"There is no agreement #{suspension.agreement_id} to suspend.")
    suspend_agreement_by_vote(session, agreement, proposal_id=proposal.id, reason=suspension.reason, now=now,
                              actor=actor, **_election(proposal))
    return f"agreement:{agreement.id}:suspended"


ENACTORS: dict[str, Enactor] = {
    "data_use_rule": _enact_rules,
    "deal_approval": _enact_deal,
    "payout_policy": _enact_payout,
    "bylaw_change": _enact_bylaw,
    "deal_suspension": _enact_suspension,
}


def enact(session: Session, proposal: Proposal, *, actor: Member | None, now: datetime) -> str:
    """Create what the adopted proposal decided; returns its reference ("policy:data_use:3", ...).
    Raises :class:`EnactmentFailed` (and the caller rolls back) when the policy store refuses."""
    if proposal.state != ProposalState.ADOPTED:
        raise IllegalTransition("Only an adopted proposal is enacted.")
    if proposal.enacted_at is not None:
        raise IllegalTransition(f"Proposal #{proposal.id} was already enacted ({proposal.enactment_ref}).")
    frozen = proposal.version(proposal.frozen_version or proposal.current_version)
    assert frozen is not None
    chosen = (proposal.outcome or {}).get("chosen_alternative")
    try:
        ref = ENACTORS[proposal.kind](session, proposal, frozen.body, actor, now, chosen)
    except ValueError as exc:  # InvalidBody, PolicyError, InvalidChanges: the policy store said no
        errors = getattr(exc, "errors", None)
        raise EnactmentFailed(f"Proposal #{proposal.id} was adopted but could not be enacted: {exc}", errors) from exc
    proposal.enacted_at, proposal.enactment_ref = now, ref
    session.flush()
    record_event(session, actor=actor, action="proposal.enacted", subject_type="proposal", subject_id=proposal.id,
                 details={"kind": proposal.kind, "version": frozen.number, "ref": ref}, now=now)
    return ref
