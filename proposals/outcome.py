"""Deciding a vote and recording its outcome (called by the voting package once a tally exists)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from governance.constitution.rules import KindRules, outcome, quorum_reached
from governance.constitution.services import get_version, rules_for
from governance.members.models import Member
from proposals.errors import IllegalTransition
from proposals.models import Proposal, ProposalState
from proposals.transitions import STATE_LABELS, lock_proposal, transition, voting_window_ended

S = ProposalState


@dataclass(frozen=True)
class VoteResult:
    """A tally, as the voting package reports it. ``yes``/``no``/``abstain`` for a yes/no vote;
    ``scores`` (one per alternative, in the body's order) for a choice between alternatives."""

    electorate_size: int
    turnout: int
    yes: int = 0
    no: int = 0
    abstain: int = 0
    scores: tuple[int, ...] = ()
    election_id: int | None = None
    record_hash: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["scores"] = list(self.scores)
        return data


def decide_outcome(rules: KindRules, result: VoteResult,
                   alternatives: int | Sequence[Any] = 0) -> tuple[ProposalState, int | None]:
    """(adopted | rejected | no_quorum, index of the chosen alternative or None).

    A choice between two or more alternatives: quorum first; then the alternative with the highest
    score wins if its score is positive; a tie at the top keeps the status quo (rejected). Otherwise
    a yes/no vote decided by the constitution's quorum and threshold (a single alternative is chosen
    when adopted)."""
    count = alternatives if isinstance(alternatives, int) else len(alternatives)
    if count >= 2:
        if len(result.scores) != count:
            raise ValueError(f"expected {count} scores, one per alternative, got {len(result.scores)}")
        if not 0 <= result.turnout <= result.electorate_size:
            raise ValueError(f"turnout {result.turnout} is outside 0..{result.electorate_size}")
        if not quorum_reached(rules, result.electorate_size, result.turnout):
            return S.NO_QUORUM, None
        top = max(result.scores)
        if top <= 0 or result.scores.count(top) > 1:
            return S.REJECTED, None
        return S.ADOPTED, result.scores.index(top)
    decided = S(outcome(rules, result.electorate_size, result.yes, result.no, result.abstain,
                        turnout=result.turnout))
    return decided, (0 if decided == S.ADOPTED and count == 1 else None)


def rules_at_opening(session: Session, proposal: Proposal) -> KindRules:
    """The rules of the constitution version in force when voting opened."""
    version = get_version(session, proposal.constitution_version) if proposal.constitution_version else None
    return version.snapshot()[proposal.kind] if version else rules_for(session, proposal.kind)


def alternatives_of(proposal: Proposal) -> int:
    if proposal.kind != "payout_policy" or proposal.frozen_version is None:
        return 0
    frozen = proposal.version(proposal.frozen_version)
    return len(frozen.body.get("alternatives", [])) if frozen else 0


def record_outcome(session: Session, proposal: Proposal, result: VoteResult, *, actor: Member | None = None,
                   now: datetime, base_url: str | None = None,
                   decided: tuple[str, int | None] | None = None) -> ProposalState:
    """Decide and store the outcome of a vote whose window has ended (counting begins first if no
    one stored it yet); an adopted proposal is enacted in the same transaction. ``decided`` (state,
    chosen alternative) is the outcome the election's own fixed rule gave, when it states one;
    otherwise the constitution in force when voting opened decides. Raises on any problem: the caller
    must then roll back, nothing is half-done."""
    lock_proposal(session, proposal)
    if proposal.state == S.VOTING:
        if not voting_window_ended(proposal, now):
            raise IllegalTransition("Voting is still open; the outcome is recorded after it closes.")
        transition(session, proposal, S.COUNTING, actor=actor, now=now, base_url=base_url)
    if proposal.state != S.COUNTING:
        raise IllegalTransition(f"The proposal is {STATE_LABELS[S(proposal.state)].lower()}; an outcome is "
                                "recorded only while its votes are being counted.")
    if decided is None:
        state, chosen = decide_outcome(rules_at_opening(session, proposal), result, alternatives_of(proposal))
    else:
        state, chosen = S(decided[0]), decided[1]
    proposal.outcome = {**result.to_json(), "state": state.value, "chosen_alternative": chosen,
                        "constitution_version": proposal.constitution_version}
    proposal.decided_at = now
    details: dict[str, Any] = {"electorate_size": result.electorate_size, "turnout": result.turnout,
                               "election_id": result.election_id, "record_hash": result.record_hash}
    if chosen is not None:
        details["chosen_alternative"] = chosen
    transition(session, proposal, state, actor=actor, now=now, details=details, base_url=base_url)
    if state == S.ADOPTED:
        from proposals.enactment import enact

        enact(session, proposal, actor=actor, now=now)
    return state
