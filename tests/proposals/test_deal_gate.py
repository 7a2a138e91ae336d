"""A deal that conflicts with the adopted rules goes to vote only with a companion rule change that
resolves the conflicts, or with a steward's logged override of the version in question."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from governance.audit.models import AuditEntry
from governance.policy.services import enact_rule_changes
from governance.policy.terms.bodies import DataUseRuleBody
from governance.policy.terms.parsing import from_json
from proposals import lifecycle, services
from proposals.errors import IllegalTransition, NotPermitted, ProposalError
from proposals.models import ProposalState
from tests.proposals.factories import (
    GENAI,
    RESEARCH,
    add_sponsors,
    allow_example_deals,
    example_deal,
    example_rule,
    make_proposal,
    make_world,
)

S = ProposalState
NOW = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)


@pytest.fixture
def world(app, db_session):
    return make_world(db_session)


def genai_deal(world):
    """Rules: any research use allowed, generative training prohibited; the deal asks for aggregation
    and generative training."""
    s = world.session
    allow_example_deals(s, action="use", rule_id="allow-research-use")
    enact_rule_changes(s, actor=None, proposal_id=None, body=from_json(DataUseRuleBody,
        {"changes": [{"op": "add", "rule": example_rule("no-genai-training")}]}))
    body = example_deal()
    body["permitted"].append({"action": GENAI, "purposes": [RESEARCH]})
    proposal = make_proposal(s, world.author, "deal_approval", S.DISCUSSION, now=NOW, body=body,
                             steward=world.steward)
    add_sponsors(s, proposal, 2, now=NOW)
    return proposal


def test_a_deal_allowing_generative_training_is_flagged(world):
    s = world.session
    proposal = genai_deal(world)
    conflicts = services.proposal_conflicts(s, proposal)
    assert [(c.code, c.rule_id) for c in conflicts] == [("prohibited", "no-genai-training")]
    [blocker] = lifecycle.voting_blockers(s, proposal, NOW)
    assert "conflicts with the adopted data-use rules" in blocker
    with pytest.raises(ProposalError, match="conflict"):
        lifecycle.open_voting(s, proposal, actor=world.steward, now=NOW)
    assert proposal.state == S.DISCUSSION


def test_a_steward_override_lets_the_version_go_to_vote_and_is_logged(world):
    s = world.session
    proposal = genai_deal(world)
    with pytest.raises(NotPermitted):
        lifecycle.override_conflicts(s, proposal, actor=world.author, reason="please", now=NOW)
    with pytest.raises(ProposalError) as raised:
        lifecycle.override_conflicts(s, proposal, actor=world.steward, reason="", now=NOW)
    assert "reason" in raised.value.errors
    assert proposal.override_at is None
    lifecycle.override_conflicts(s, proposal, actor=world.steward, reason="Members should decide this", now=NOW)
    entry = s.execute(select(AuditEntry).where(AuditEntry.action == "proposal.conflicts_overridden")).scalar_one()
    assert entry.details["reason"] == "Members should decide this"
    assert entry.details["conflicts"] == [{"code": "prohibited", "rule_id": "no-genai-training"}]
    assert entry.details["version"] == 1
    assert lifecycle.voting_blockers(s, proposal, NOW) == []
    lifecycle.open_voting(s, proposal, actor=world.steward, now=NOW)
    voting = s.execute(select(AuditEntry).where(AuditEntry.action == "proposal.voting")).scalar_one()
    assert voting.details["conflicts_overridden"] is True


def test_an_override_does_not_cover_a_later_amendment(world):
    s = world.session
    proposal = genai_deal(world)
    lifecycle.override_conflicts(s, proposal, actor=world.steward, reason="Members decide", now=NOW)
    body = dict(proposal.latest.body, price="99999.00")
    amendment = services.propose_amendment(s, proposal, actor=world.other, title=proposal.title, summary="",
                                           body=body, rationale="More money", now=NOW + timedelta(minutes=1))
    services.accept_amendment(s, amendment, actor=world.author, now=NOW + timedelta(minutes=2))
    assert not lifecycle.override_is_current(proposal)
    with pytest.raises(ProposalError, match="conflict"):
        lifecycle.open_voting(s, proposal, actor=world.steward, now=NOW + timedelta(minutes=3))


def test_nothing_to_override_without_conflicts(world):
    s = world.session
    proposal = make_proposal(s, world.author, "deal_approval", S.DISCUSSION, now=NOW)
    with pytest.raises(ProposalError, match="nothing to override"):
        lifecycle.override_conflicts(s, proposal, actor=world.steward, reason="x", now=NOW)


def test_a_companion_rule_change_that_resolves_the_conflicts(world):
    s = world.session
    proposal = genai_deal(world)
    unrelated = make_proposal(s, world.other, "data_use_rule", S.DISCUSSION, now=NOW)
    resolving = make_proposal(s, world.other, "data_use_rule", S.DISCUSSION, now=NOW,
                              body={"changes": [{"op": "remove", "rule_id": "no-genai-training"}]})
    lifecycle.set_companion(s, proposal, unrelated.id, actor=world.author, now=NOW)
    assert services.proposal_conflicts(s, proposal)  # does not help
    with pytest.raises(ProposalError):
        lifecycle.open_voting(s, proposal, actor=world.steward, now=NOW)
    lifecycle.set_companion(s, proposal, resolving.id, actor=world.author, now=NOW)
    assert services.proposal_conflicts(s, proposal) == []
    lifecycle.open_voting(s, proposal, actor=world.steward, now=NOW)
    assert proposal.state == S.VOTING
    entries = s.execute(select(AuditEntry).where(AuditEntry.action == "proposal.companion_set")).scalars().all()
    assert [e.details["companion_id"] for e in entries] == [unrelated.id, resolving.id]


def test_companion_rules(world):
    s = world.session
    proposal = genai_deal(world)
    draft_rule = make_proposal(s, world.other, "data_use_rule", S.DRAFT, now=NOW)
    withdrawn = make_proposal(s, world.other, "data_use_rule", S.WITHDRAWN, now=NOW)
    other_deal = make_proposal(s, world.other, "deal_approval", S.DISCUSSION, now=NOW)
    with pytest.raises(ProposalError, match="Choose a data-use rule proposal"):  # a private draft stays private
        lifecycle.set_companion(s, proposal, draft_rule.id, actor=world.author, now=NOW)
    for bad in (draft_rule, withdrawn, other_deal, proposal):
        with pytest.raises(ProposalError):
            lifecycle.set_companion(s, proposal, bad.id, actor=world.author, now=NOW)
    with pytest.raises(ProposalError):
        lifecycle.set_companion(s, proposal, 999_999, actor=world.author, now=NOW)
    with pytest.raises(NotPermitted):
        lifecycle.set_companion(s, proposal, None, actor=world.other, now=NOW)
    assert proposal.companion_id is None
    voting_deal = make_proposal(s, world.author, "deal_approval", S.VOTING, now=NOW, steward=world.steward)
    with pytest.raises(IllegalTransition):
        lifecycle.set_companion(s, voting_deal, None, actor=world.steward, now=NOW)


def test_a_companion_that_was_withdrawn_no_longer_helps(world):
    s = world.session
    proposal = genai_deal(world)
    resolving = make_proposal(s, world.other, "data_use_rule", S.DISCUSSION, now=NOW,
                              body={"changes": [{"op": "remove", "rule_id": "no-genai-training"}]})
    lifecycle.set_companion(s, proposal, resolving.id, actor=world.author, now=NOW)
    lifecycle.withdraw(s, resolving, actor=world.other, now=NOW)
    assert [c.code for c in services.proposal_conflicts(s, proposal)] == ["prohibited"]
