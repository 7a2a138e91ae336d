"""An adopted proposal becomes a new policy version, agreement or constitution version, linked back
to the proposal; a failed enactment rolls everything back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from governance.audit.models import AuditEntry
from governance.constitution.services import current_constitution, rules_for
from governance.policy.models import Agreement
from governance.policy.services import (
    current_payout_formula,
    current_policy_version,
    current_rules,
    enact_rule_changes,
)
from governance.policy.terms.bodies import DataUseRuleBody
from governance.policy.terms.parsing import from_json
from proposals import enactment, lifecycle
from proposals.errors import EnactmentFailed, IllegalTransition
from proposals.lifecycle import VoteResult
from proposals.models import Proposal, ProposalState
from tests.conftest import count_rows, reload
from tests.proposals.factories import example_body, example_rule, make_proposal, make_world

S = ProposalState
NOW = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)


@pytest.fixture
def world(app, db_session):
    return make_world(db_session)


def test_enactors_cover_every_kind():
    from governance.constitution.rules import KINDS

    assert set(enactment.ENACTORS) == set(KINDS)


def test_adopted_data_use_rule_becomes_the_next_policy_version(world):
    s = world.session
    proposal = make_proposal(s, world.author, "data_use_rule", S.ADOPTED, now=NOW, steward=world.steward,
                             body=example_body("data_use_rule", rule_id="no-genai"))
    version = current_policy_version(s, "data_use")
    assert version.proposal_id == proposal.id
    assert proposal.enactment_ref == f"policy:data_use:{version.number}"
    assert [r.id for r in current_rules(s)] == ["no-genai"]
    entry = s.execute(select(AuditEntry).where(AuditEntry.action == "proposal.enacted")).scalar_one()
    assert entry.details == {"kind": "data_use_rule", "version": proposal.frozen_version,
                             "ref": proposal.enactment_ref}


def test_adopted_deal_becomes_an_agreement(world):
    s = world.session
    proposal = make_proposal(s, world.author, "deal_approval", S.ADOPTED, now=NOW, steward=world.steward)
    agreement = s.execute(select(Agreement).where(Agreement.proposal_id == proposal.id)).scalar_one()
    assert proposal.enactment_ref == f"agreement:{agreement.id}"
    assert agreement.terms == proposal.version(proposal.frozen_version).body


def test_adopted_payout_policy_enacts_the_winning_alternative(world):
    s = world.session
    proposal = make_proposal(s, world.author, "payout_policy", S.ADOPTED, now=NOW, steward=world.steward,
                             result=VoteResult(10, 9, scores=(2, 5)))
    assert current_payout_formula(s).label == "Pro rata"
    assert proposal.enactment_ref == f"policy:payout:{current_policy_version(s, 'payout').number}"


def test_adopted_bylaw_change_amends_the_constitution(world):
    s = world.session
    proposal = make_proposal(s, world.author, "bylaw_change", S.ADOPTED, now=NOW, steward=world.steward,
                             body={"changes": {"deal_approval": {"quorum_percent": 40, "threshold": "3/5"}}})
    version = current_constitution(s)
    assert (version.number, version.proposal_id) == (2, proposal.id)
    assert version.reason == f"Adopted proposal #{proposal.id}: {proposal.title}"
    assert rules_for(s, "deal_approval").quorum_percent == 40
    assert proposal.enactment_ref == "constitution:2"


@pytest.mark.parametrize("state", [S.COUNTING, S.REJECTED, S.NO_QUORUM])
def test_only_adopted_proposals_are_enacted(world, state):
    s = world.session
    proposal = make_proposal(s, world.author, "data_use_rule", state, now=NOW, steward=world.steward)
    with pytest.raises(IllegalTransition):
        enactment.enact(s, proposal, actor=None, now=NOW)
    assert current_policy_version(s, "data_use") is None


def test_enacting_twice_is_refused(world):
    s = world.session
    proposal = make_proposal(s, world.author, "data_use_rule", S.ADOPTED, now=NOW, steward=world.steward)
    with pytest.raises(IllegalTransition, match="already enacted"):
        enactment.enact(s, proposal, actor=None, now=NOW)
    assert current_policy_version(s, "data_use").number == 1


def test_a_failed_enactment_rolls_back_the_outcome(world, db_session):
    s = world.session
    proposal = make_proposal(s, world.author, "data_use_rule", S.COUNTING, now=NOW, steward=world.steward,
                             body=example_body("data_use_rule", rule_id="no-genai"))
    # Meanwhile the same rule id was adopted some other way: the proposal's "add" no longer applies.
    enact_rule_changes(s, actor=None, proposal_id=None, body=from_json(DataUseRuleBody,
        {"changes": [{"op": "add", "rule": example_rule("no-genai")}]}))
    s.commit()
    proposal_id = proposal.id
    with pytest.raises(EnactmentFailed, match="could not be enacted"):
        lifecycle.record_outcome(s, proposal, VoteResult(10, 10, yes=10), now=NOW)
    s.rollback()
    stored = reload(db_session, Proposal, proposal_id)
    assert stored.state == S.COUNTING
    assert stored.outcome is None
    assert stored.enacted_at is None
    assert count_rows(db_session, AuditEntry, AuditEntry.action.in_(["proposal.adopted", "proposal.enacted"])) == 0
