"""The factories reach every state for every kind through the real lifecycle (others' tests rely on it)."""

from __future__ import annotations

import pytest

from proposals.models import ProposalState
from tests.proposals.factories import KINDS, make_proposal, new_member, seed_governance


@pytest.mark.parametrize("state", list(ProposalState))
@pytest.mark.parametrize("kind", KINDS)
def test_make_proposal_reaches_every_state(app, db_session, kind, state):
    steward = seed_governance(db_session)
    author = new_member(db_session, "member")
    proposal = make_proposal(db_session, author, kind=kind, state=state, steward=steward)
    db_session.commit()
    assert proposal.state == state
    assert proposal.kind == kind
    if state == ProposalState.ADOPTED:
        assert proposal.enactment_ref
