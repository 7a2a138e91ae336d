"""The home page's proposal items, the plain words of our audit codes, and "what happens next"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from governance.audit.actions import describe_action
from proposals import lifecycle, services
from proposals.actions import PROPOSAL_ACTIONS
from proposals.attention import proposal_items
from proposals.models import ProposalState
from proposals.transitions import ALLOWED_TRANSITIONS
from tests.proposals.factories import add_sponsors, example_body, make_proposal, make_world

S = ProposalState
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def world(app, db_session):
    return make_world(db_session)


def titles(session, member):
    return [(item.title, item.url) for item in proposal_items(session, member)]


def test_drafts_and_amendments_waiting_for_the_author(world):
    s = world.session
    assert titles(s, world.author) == []
    make_proposal(s, world.author, state=S.DRAFT, now=NOW)
    proposal = make_proposal(s, world.author, state=S.DISCUSSION, now=NOW)
    services.propose_amendment(s, proposal, actor=world.other, title="Better", summary="",
                               body=example_body("data_use_rule", rule_id="other-id"), rationale="Why not",
                               now=NOW)
    items = proposal_items(s, world.author)
    assert [i.title for i in items] == ["Your drafts", "Amendments waiting for your decision"]
    assert items[0].text == "1 draft is not published yet."
    assert items[1].url == f"/proposals/{proposal.id}#amendments"
    assert titles(s, world.other) == []


def test_stewards_see_proposals_ready_for_the_vote(world):
    s = world.session
    ready = make_proposal(s, world.author, state=S.DISCUSSION, now=NOW)
    not_ready = make_proposal(s, world.author, state=S.DISCUSSION, now=NOW)
    add_sponsors(s, ready, 2, now=NOW)
    assert titles(s, world.steward) == [("Ready to open voting", f"/proposals/{ready.id}")]
    assert not_ready.id != ready.id
    assert titles(s, world.other) == []


def test_every_transition_and_action_has_plain_words():
    for _, to in ALLOWED_TRANSITIONS:
        assert f"proposal.{to.value}" in PROPOSAL_ACTIONS
    for code, words in PROPOSAL_ACTIONS.items():
        assert describe_action(code) == words


@pytest.mark.parametrize(("state", "expected"), [
    (S.DRAFT, "only its author and the stewards"),
    (S.DISCUSSION, "Needs 2 more co-sponsors"),
    (S.VOTING, "Voting closes in 4 days and 23 hours"),
    (S.COUNTING, "being counted"),
    (S.ADOPTED, "enacted (policy:data_use:"),
    (S.REJECTED, "nothing changes"),
    (S.NO_QUORUM, "did not reach the quorum"),
    (S.WITHDRAWN, "Withdrawn by its author"),
    (S.CANCELLED, "Cancelled by a steward"),
])
def test_next_step_in_every_state(world, state, expected):
    s = world.session
    proposal = make_proposal(s, world.author, state=state, now=NOW, steward=world.steward)
    assert expected in lifecycle.next_step(s, proposal, world.author, NOW + timedelta(seconds=1))


def test_the_home_page_and_account_page_show_the_proposal_items(app, world, make_logged_in_client):
    """The provider is registered: the home page lists the member's drafts, the account page links the
    settings of proposal emails."""
    s = world.session
    client, member = make_logged_in_client("member")
    assert "Your drafts" not in client.get("/").data.decode()
    make_proposal(s, member, state=S.DRAFT, now=NOW)
    s.commit()
    page = client.get("/").data.decode()
    assert "Your drafts" in page
    assert "1 draft is not published yet." in page
    assert 'href="/settings/notifications">Emails about proposals' in client.get("/account").data.decode()
