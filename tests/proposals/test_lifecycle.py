"""Every edge of the proposal lifecycle, legal and illegal, with the acting role; one audit entry per
transition; nothing changes when a move is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from sqlalchemy import func, select

from governance.audit.chain import utc
from governance.audit.models import AuditEntry
from governance.constitution.rules import DEFAULTS
from governance.mail.models import OutboxMail
from proposals import lifecycle, services
from proposals.errors import IllegalTransition, NotPermitted, ProposalError
from proposals.lifecycle import ALLOWED_TRANSITIONS, VoteResult, decide_outcome, shown_state, transition
from proposals.models import Proposal, ProposalState, ProposalStateChange
from tests.proposals.factories import (
    add_sponsors,
    adopted_result,
    example_body,
    make_proposal,
    make_world,
    new_member,
)

S = ProposalState
NOW = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)


@pytest.fixture
def world(app, db_session):
    return make_world(db_session)


def snapshot(session, proposal):
    """Everything a refused move must leave untouched."""
    count = lambda model, *where: session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()  # noqa: E731
    closes = utc(proposal.voting_closes_at) if proposal.voting_closes_at else None
    return (proposal.state, proposal.frozen_version, closes, count(AuditEntry),
            count(ProposalStateChange, ProposalStateChange.proposal_id == proposal.id), count(OutboxMail),
            len(proposal.versions), len(proposal.sponsorships))


def audit_entries(session, proposal, action):
    return list(session.execute(select(AuditEntry).where(
        AuditEntry.action == action, AuditEntry.subject_type == "proposal",
        AuditEntry.subject_id == str(proposal.id)).order_by(AuditEntry.seq)).scalars())


def assert_moved(session, proposal, frm, to, actor):
    assert proposal.state == to
    change = session.execute(select(ProposalStateChange).where(ProposalStateChange.proposal_id == proposal.id)
                             .order_by(ProposalStateChange.id.desc()).limit(1)).scalar_one()
    assert (change.from_state, change.to_state) == (frm, to)
    assert change.actor_id == (actor.id if actor else None)
    entries = audit_entries(session, proposal, f"proposal.{to.value}")
    assert len(entries) == 1
    assert entries[0].actor_id == (actor.id if actor else None)
    assert entries[0].details["from"] == (frm.value if frm else None)
    assert entries[0].details["to"] == to.value


# ---------------------------------------------------------------- the edge table itself

def test_the_edge_table_is_the_documented_lifecycle():
    edges = {(frm.value if frm else None, to.value) for frm, to in ALLOWED_TRANSITIONS}
    assert edges == {
        (None, "draft"), ("draft", "discussion"), ("draft", "withdrawn"), ("draft", "cancelled"),
        ("discussion", "voting"), ("discussion", "withdrawn"), ("discussion", "cancelled"),
        ("voting", "counting"), ("voting", "cancelled"),
        ("counting", "adopted"), ("counting", "rejected"), ("counting", "no_quorum"),
    }
    for final in lifecycle.FINAL_STATES:
        assert not [to for frm, to in ALLOWED_TRANSITIONS if frm == final]


@pytest.mark.parametrize("frm", list(ProposalState))
def test_every_illegal_edge_is_refused_and_changes_nothing(world, frm):
    s = world.session
    proposal = make_proposal(s, world.author, "data_use_rule", frm, now=NOW, steward=world.steward)
    for to in ProposalState:
        if (frm, to) in ALLOWED_TRANSITIONS:
            continue
        before = snapshot(s, proposal)
        for actor in (world.steward, world.author, None):
            with pytest.raises(IllegalTransition):
                transition(s, proposal, to, actor=actor, now=NOW)
            assert snapshot(s, proposal) == before, f"{frm} -> {to} changed something"


# ---------------------------------------------------------------- creation and drafts

def test_creating_a_draft_is_the_first_transition(world):
    s = world.session
    proposal = services.create_draft(s, actor=world.author, kind="data_use_rule", title="No genAI",
                                     summary="", body=example_body("data_use_rule"), now=NOW)
    assert_moved(s, proposal, None, S.DRAFT, world.author)
    assert proposal.current_version == 1


@pytest.mark.parametrize("who", ["observer", "suspended", "steward_only"])
def test_who_may_draft(world, who):
    s = world.session
    if who == "observer":
        actor = world.observer
    elif who == "steward_only":
        actor = new_member(s, "steward")
    else:
        from governance.members.services import suspend_member

        actor = new_member(s, "member")
        suspend_member(s, actor=None, member=actor, reason="test")
    before = s.execute(select(func.count()).select_from(Proposal)).scalar_one()
    if who == "steward_only":
        services.create_draft(s, actor=actor, kind="bylaw_change", title="t", summary="",
                              body=example_body("bylaw_change"), now=NOW)
        assert s.execute(select(func.count()).select_from(Proposal)).scalar_one() == before + 1
        return
    with pytest.raises(NotPermitted):
        services.create_draft(s, actor=actor, kind="bylaw_change", title="t", summary="",
                              body=example_body("bylaw_change"), now=NOW)
    assert s.execute(select(func.count()).select_from(Proposal)).scalar_one() == before


# ---------------------------------------------------------------- draft ->

@pytest.mark.parametrize("by", ["author", "steward"])
def test_publish_by_author_or_steward(world, by):
    s = world.session
    proposal = make_proposal(s, world.author, state=S.DRAFT, now=NOW)
    actor = getattr(world, by)
    lifecycle.publish(s, proposal, actor=actor, now=NOW)
    assert_moved(s, proposal, S.DRAFT, S.DISCUSSION, actor)
    assert proposal.discussion_started_at is not None


@pytest.mark.parametrize("by", ["other", "observer"])
def test_publish_refused_to_others(world, by):
    s = world.session
    proposal = make_proposal(s, world.author, state=S.DRAFT, now=NOW)
    before = snapshot(s, proposal)
    with pytest.raises(NotPermitted):
        lifecycle.publish(s, proposal, actor=getattr(world, by), now=NOW)
    assert snapshot(s, proposal) == before
    assert proposal.discussion_started_at is None


def test_publish_refused_when_the_draft_no_longer_validates(world):
    from governance.policy.services import add_dataset, get_dataset, retire_dataset

    s = world.session
    add_dataset(s, actor=None, slug="old-logs", title="Old logs")
    proposal = make_proposal(s, world.author, state=S.DRAFT, now=NOW, datasets=["old-logs"])
    retire_dataset(s, get_dataset(s, "old-logs"), actor=None, reason="gone")
    before = snapshot(s, proposal)
    with pytest.raises(ProposalError) as raised:
        lifecycle.publish(s, proposal, actor=world.author, now=NOW)
    assert "old-logs" in " ".join(raised.value.errors.values())
    assert snapshot(s, proposal) == before


@pytest.mark.parametrize("frm", [S.DRAFT, S.DISCUSSION])
def test_withdraw_by_the_author_only(world, frm):
    s = world.session
    proposal = make_proposal(s, world.author, state=frm, now=NOW, steward=world.steward)
    for outsider in (world.steward, world.other):
        before = snapshot(s, proposal)
        with pytest.raises(NotPermitted):
            lifecycle.withdraw(s, proposal, actor=outsider, now=NOW)
        assert snapshot(s, proposal) == before
    lifecycle.withdraw(s, proposal, actor=world.author, reason="Not needed any more", now=NOW)
    assert_moved(s, proposal, frm, S.WITHDRAWN, world.author)


@pytest.mark.parametrize("frm", [S.DRAFT, S.DISCUSSION, S.VOTING])
def test_cancel_by_a_steward_with_a_reason(world, frm):
    s = world.session
    proposal = make_proposal(s, world.author, state=frm, now=NOW, steward=world.steward)
    before = snapshot(s, proposal)
    for outsider in (world.author, world.other):
        with pytest.raises(NotPermitted):
            lifecycle.cancel(s, proposal, actor=outsider, reason="because", now=NOW)
    with pytest.raises(ProposalError) as raised:
        lifecycle.cancel(s, proposal, actor=world.steward, reason="   ", now=NOW)
    assert "reason" in raised.value.errors
    assert snapshot(s, proposal) == before
    lifecycle.cancel(s, proposal, actor=world.steward, reason="Duplicate of #1", now=NOW)
    assert_moved(s, proposal, frm, S.CANCELLED, world.steward)
    assert audit_entries(s, proposal, "proposal.cancelled")[0].details["reason"] == "Duplicate of #1"


@pytest.mark.parametrize("frm", [S.VOTING, S.COUNTING, S.ADOPTED])
def test_no_withdrawing_once_voting_opened(world, frm):
    s = world.session
    proposal = make_proposal(s, world.author, state=frm, now=NOW, steward=world.steward)
    before = snapshot(s, proposal)
    with pytest.raises(IllegalTransition):
        lifecycle.withdraw(s, proposal, actor=world.author, now=NOW)
    assert snapshot(s, proposal) == before


# ---------------------------------------------------------------- discussion -> voting

def _published(world, kind="data_use_rule", published=None):
    s = world.session
    proposal = make_proposal(s, world.author, kind, S.DRAFT, now=NOW)
    lifecycle.publish(s, proposal, actor=world.author, now=published or NOW - timedelta(days=20))
    return proposal


def test_open_voting_freezes_version_window_method_and_constitution(world):
    s = world.session
    proposal = _published(world, "payout_policy")
    add_sponsors(s, proposal, 2, now=NOW - timedelta(days=19))
    lifecycle.open_voting(s, proposal, actor=world.steward, now=NOW)
    assert_moved(s, proposal, S.DISCUSSION, S.VOTING, world.steward)
    assert proposal.frozen_version == proposal.current_version == 1
    assert proposal.voting_method == DEFAULTS["payout_policy"].method == "quadratic"
    assert proposal.constitution_version == 1
    assert utc(proposal.voting_closes_at) == NOW + timedelta(days=DEFAULTS["payout_policy"].voting_days)
    details = audit_entries(s, proposal, "proposal.voting")[0].details
    assert details["frozen_version"] == 1
    assert details["method"] == "quadratic"
    assert details["content_hash"] == proposal.latest.content_hash


def test_open_voting_with_a_chosen_closing_time(world):
    s = world.session
    proposal = _published(world)
    add_sponsors(s, proposal, 2, now=NOW - timedelta(days=19))
    with pytest.raises(ProposalError):
        lifecycle.open_voting(s, proposal, actor=world.steward, now=NOW, closes_at=NOW - timedelta(minutes=1))
    assert proposal.state == S.DISCUSSION
    assert proposal.frozen_version is None
    lifecycle.open_voting(s, proposal, actor=world.steward, now=NOW, closes_at=NOW + timedelta(days=3))
    assert utc(proposal.voting_closes_at) == NOW + timedelta(days=3)


@pytest.mark.parametrize("by", ["author", "other", "observer"])
def test_only_stewards_open_voting(world, by):
    s = world.session
    proposal = _published(world)
    add_sponsors(s, proposal, 2, now=NOW - timedelta(days=19))
    before = snapshot(s, proposal)
    with pytest.raises(NotPermitted):
        lifecycle.open_voting(s, proposal, actor=getattr(world, by), now=NOW)
    assert snapshot(s, proposal) == before


def test_open_voting_needs_the_constitutions_co_sponsors(world):
    s = world.session
    proposal = _published(world)
    add_sponsors(s, proposal, 1, now=NOW - timedelta(days=19))
    assert lifecycle.voting_blockers(s, proposal, NOW) == ["Needs 1 more co-sponsor (2 needed)."]
    assert "Needs 1 more co-sponsor" in lifecycle.next_step(s, proposal, world.author, NOW)
    before = snapshot(s, proposal)
    with pytest.raises(ProposalError, match="co-sponsor"):
        lifecycle.open_voting(s, proposal, actor=world.steward, now=NOW)
    assert snapshot(s, proposal) == before
    add_sponsors(s, proposal, 1, now=NOW)
    assert lifecycle.voting_blockers(s, proposal, NOW) == []
    assert lifecycle.next_step(s, proposal, world.steward, NOW) == "Ready for the vote: a steward can open voting now."
    lifecycle.open_voting(s, proposal, actor=world.steward, now=NOW)
    assert proposal.state == S.VOTING


def test_open_voting_needs_the_minimum_discussion_time(world):
    s = world.session
    published = NOW - timedelta(days=DEFAULTS["bylaw_change"].min_discussion_days) + timedelta(minutes=1)
    proposal = _published(world, "bylaw_change", published=published)
    add_sponsors(s, proposal, 2, now=published)
    [blocker] = lifecycle.voting_blockers(s, proposal, NOW)
    assert "at least 14 days" in blocker
    before = snapshot(s, proposal)
    with pytest.raises(ProposalError, match="14 days"):
        lifecycle.open_voting(s, proposal, actor=world.steward, now=NOW)
    assert snapshot(s, proposal) == before
    lifecycle.open_voting(s, proposal, actor=world.steward, now=NOW + timedelta(minutes=1))
    assert proposal.state == S.VOTING


def test_open_voting_follows_an_amended_constitution(world):
    from governance.constitution.services import amend_constitution

    s = world.session
    amend_constitution(s, None, {"data_use_rule": {"min_sponsors": 0, "voting_days": 3}}, reason="test")
    proposal = _published(world)
    lifecycle.open_voting(s, proposal, actor=world.steward, now=NOW)
    assert proposal.constitution_version == 2
    assert utc(proposal.voting_closes_at) == NOW + timedelta(days=3)


# ---------------------------------------------------------------- voting -> counting -> outcome

def test_the_shown_state_follows_the_clock_without_a_tick(world):
    s = world.session
    proposal = make_proposal(s, world.author, state=S.VOTING, now=NOW, steward=world.steward)
    closes = utc(proposal.voting_closes_at)
    assert shown_state(proposal, closes - timedelta(seconds=1)) == S.VOTING
    assert shown_state(proposal, closes) == S.COUNTING
    assert proposal.state == S.VOTING  # nothing stored
    assert "Voting closes in 5 days" in lifecycle.next_step(s, proposal, None, NOW)
    assert "being counted" in lifecycle.next_step(s, proposal, None, closes)


def test_counting_begins_only_after_the_window(world):
    s = world.session
    proposal = make_proposal(s, world.author, state=S.VOTING, now=NOW, steward=world.steward)
    closes = utc(proposal.voting_closes_at)
    before = snapshot(s, proposal)
    with pytest.raises(IllegalTransition, match="open until"):
        lifecycle.begin_counting(s, proposal, now=closes - timedelta(seconds=1))
    with pytest.raises(IllegalTransition, match="still open"):
        lifecycle.record_outcome(s, proposal, adopted_result(proposal), now=closes - timedelta(seconds=1))
    assert snapshot(s, proposal) == before
    lifecycle.begin_counting(s, proposal, now=closes)
    assert_moved(s, proposal, S.VOTING, S.COUNTING, None)


@pytest.mark.parametrize("outcome", [S.ADOPTED, S.REJECTED, S.NO_QUORUM])
def test_record_outcome_from_counting(world, outcome):
    s = world.session
    proposal = make_proposal(s, world.author, state=S.COUNTING, now=NOW, steward=world.steward)
    result = {S.ADOPTED: VoteResult(10, 10, yes=7, no=3), S.REJECTED: VoteResult(10, 10, yes=5, no=5),
              S.NO_QUORUM: VoteResult(10, 1, yes=1)}[outcome]
    assert lifecycle.record_outcome(s, proposal, result, actor=None, now=NOW) == outcome
    assert_moved(s, proposal, S.COUNTING, outcome, None)
    assert proposal.outcome["yes"] == result.yes
    assert proposal.outcome["state"] == outcome.value
    assert (proposal.enactment_ref is not None) == (outcome == S.ADOPTED)


def test_record_outcome_begins_counting_when_no_one_did(world):
    s = world.session
    proposal = make_proposal(s, world.author, state=S.VOTING, now=NOW, steward=world.steward)
    closes = utc(proposal.voting_closes_at)
    lifecycle.record_outcome(s, proposal, VoteResult(10, 10, yes=2, no=8), now=closes + timedelta(minutes=5))
    states = [c.to_state for c in s.execute(select(ProposalStateChange).where(
        ProposalStateChange.proposal_id == proposal.id).order_by(ProposalStateChange.id)).scalars()]
    assert states == [S.DRAFT, S.DISCUSSION, S.VOTING, S.COUNTING, S.REJECTED]


@pytest.mark.parametrize("frm", [S.DISCUSSION, S.ADOPTED, S.CANCELLED])
def test_record_outcome_refused_outside_counting(world, frm):
    s = world.session
    proposal = make_proposal(s, world.author, state=frm, now=NOW, steward=world.steward)
    before = snapshot(s, proposal)
    with pytest.raises(IllegalTransition):
        lifecycle.record_outcome(s, proposal, VoteResult(10, 10, yes=10), now=NOW)
    assert snapshot(s, proposal) == before


def test_the_outcome_uses_the_constitution_in_force_when_voting_opened(world):
    from governance.constitution.services import amend_constitution

    s = world.session
    proposal = make_proposal(s, world.author, state=S.COUNTING, now=NOW, steward=world.steward)
    # A later amendment to a 3/4 threshold does not change the rules of a vote already held.
    amend_constitution(s, None, {"data_use_rule": {"threshold": "3/4"}}, reason="stricter")
    assert lifecycle.record_outcome(s, proposal, VoteResult(10, 10, yes=6, no=4), now=NOW) == S.ADOPTED


# ---------------------------------------------------------------- deciding

RULES = DEFAULTS["payout_policy"]  # quorum 25 %, threshold 1/2


@pytest.mark.parametrize(("result", "alternatives", "expected"), [
    (VoteResult(100, 30, yes=16, no=14), 0, (S.ADOPTED, None)),
    (VoteResult(100, 30, yes=15, no=15), 0, (S.REJECTED, None)),            # a tie keeps the status quo
    (VoteResult(100, 24, yes=24), 0, (S.NO_QUORUM, None)),
    (VoteResult(100, 25, yes=20, no=5), 1, (S.ADOPTED, 0)),                  # one alternative: yes/no
    (VoteResult(100, 30, scores=(5, 9, 2)), 3, (S.ADOPTED, 1)),
    (VoteResult(100, 30, scores=(9, 9, 2)), 3, (S.REJECTED, None)),          # tie at the top
    (VoteResult(100, 30, scores=(-3, -1)), 2, (S.REJECTED, None)),           # nobody has net support
    (VoteResult(100, 20, scores=(20, 0)), 2, (S.NO_QUORUM, None)),           # quorum first
])
def test_decide_outcome(result, alternatives, expected):
    assert decide_outcome(RULES, result, alternatives) == expected


def test_decide_outcome_uses_the_bylaw_supermajority():
    bylaw = DEFAULTS["bylaw_change"]
    assert bylaw.threshold == Fraction(2, 3)
    assert decide_outcome(bylaw, VoteResult(100, 60, yes=39, no=21), 0) == (S.REJECTED, None)
    assert decide_outcome(bylaw, VoteResult(100, 60, yes=40, no=20), 0) == (S.ADOPTED, None)


def test_decide_outcome_refuses_inconsistent_tallies():
    with pytest.raises(ValueError, match="expected 3 scores"):
        decide_outcome(RULES, VoteResult(100, 30, scores=(1, 2)), 3)
    with pytest.raises(ValueError, match="exceeds the electorate"):
        decide_outcome(RULES, VoteResult(10, 11, yes=11), 0)


def test_payout_vote_between_alternatives_enacts_the_winner(world):
    from governance.policy.services import current_payout_formula

    s = world.session
    proposal = make_proposal(s, world.author, "payout_policy", S.COUNTING, now=NOW, steward=world.steward)
    assert lifecycle.record_outcome(s, proposal, VoteResult(10, 10, scores=(3, 7)), now=NOW) == S.ADOPTED
    assert proposal.outcome["chosen_alternative"] == 1
    assert current_payout_formula(s).label == "Pro rata"
