"""voting.elections.services: what a ballot asks, creating an election (roll, manifest, fingerprint, first head)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from governance.audit.models import AuditEntry
from governance.signing import site_keys
from proposals.models import ProposalState
from tests.conftest import count_rows
from tests.proposals.factories import make_proposal, new_member, seed_governance
from tests.voting.factories import MEMBERS_SINCE, TEST_ELECTION_KEY_HEX, make_election
from voting import ElectionError, NotPermitted
from voting.crypto import bls
from voting.crypto.ballot import ChoiceQuestion, QuadraticQuestion
from voting.crypto.merkle import EMPTY_ROOT
from voting.elections import board
from voting.elections import services as elections
from voting.elections.models import Election, ElectionState, RollEntry, Secrecy, TreeHead
from voting.record import canonical as record

OMOV, QV = elections.ONE_MEMBER_ONE_VOTE, elections.QUADRATIC


# ---------------------------------------------------------------- questions_for

def test_single_decision_one_member_one_vote_is_yes_no_abstain() -> None:
    assert elections.questions_for("data_use_rule", OMOV, [], 100) == [ChoiceQuestion(("yes", "no", "abstain"), 1, 1)]
    assert elections.questions_for("payout_policy", OMOV, ["Only one"], 100) == [ChoiceQuestion.yes_no_abstain()]


def test_alternatives_one_member_one_vote_choose_exactly_one() -> None:
    [question] = elections.questions_for("payout_policy", OMOV, ["Equal split", "Pro rata"], 100)
    assert question == ChoiceQuestion(("Equal split", "Pro rata"), 1, 1)


def test_quadratic_questions_allow_negative_votes() -> None:
    assert elections.questions_for("bylaw_change", QV, [], 49) == [QuadraticQuestion(("for", "against"), 49, False)]
    assert elections.questions_for("payout_policy", QV, ["A", "B", "C"], 100) == [
        QuadraticQuestion(("A", "B", "C"), 100, True)]


def test_duplicate_or_empty_labels_are_numbered() -> None:
    [question] = elections.questions_for("payout_policy", OMOV, ["Same", "Same", ""], 100)
    assert question.options == ("1. Same", "2. Same", "3. Alternative")


@pytest.mark.parametrize(("method", "budget", "message"), [
    (QV, 10_000, "budget of 1 to 1024"), (QV, 0, "budget"), ("approval", 100, "Unknown voting method")])
def test_questions_for_refuses_what_a_ballot_cannot_carry(method: str, budget: int, message: str) -> None:
    with pytest.raises(ElectionError, match=message):
        elections.questions_for("data_use_rule", method, [], budget)


# ---------------------------------------------------------------- create_election

def test_secret_election_manifest_roll_and_first_head(db_session) -> None:
    setup = make_election(db_session, voters=4)
    db_session.commit()
    election, proposal = setup.election, setup.proposal
    manifest = election.manifest
    keys = site_keys(db_session)
    frozen = proposal.version(proposal.frozen_version)
    assert election.fingerprint == record.manifest_fingerprint(manifest)
    assert manifest == {
        "format": "dataguild-election-manifest-v2", "protocol": "dataguild-ballot-v1", "election_id": election.id,
        "cooperative": "Test cooperative",
        "proposal": {"id": proposal.id, "kind": "data_use_rule", "title": frozen.title, "version": frozen.number,
                     "content_hash": frozen.content_hash},
        "method": OMOV, "secrecy": "secret", "questions": [ChoiceQuestion.yes_no_abstain().to_json()],
        "window": {"opens_at": record.iso_seconds(proposal.voting_opened_at),
                   "closes_at": record.iso_seconds(proposal.voting_closes_at)},
        "roll": {"size": 5, "hash": election.roll_hash}, "election_key": TEST_ELECTION_KEY_HEX, "committee": None,
        "board_public_key": keys.bls_public_hex, "receipt_public_key": keys.bip340_public_hex,
        "constitution_version": proposal.constitution_version,
        "rule": {"kind": "data_use_rule", "method": OMOV, "quorum_percent": 20, "threshold_numerator": 1,
                 "threshold_denominator": 2, "alternatives": 0, "ties": "status_quo", "abstentions": "quorum_only",
                 "constitution_version": proposal.constitution_version,
                 "constitution_snapshot_hash": manifest["rule"]["constitution_snapshot_hash"]},
        "client_scripts": elections.client_script_hashes()}
    assert election.state == ElectionState.OPEN
    assert election.roll_size == 5
    assert elections.election_key(election).point.hex() == TEST_ELECTION_KEY_HEX
    assert elections.question_specs(election) == (ChoiceQuestion.yes_no_abstain(),)
    assert elections.election_of(db_session, proposal.id).id == election.id

    aliases = elections.roll_aliases(db_session, election)
    assert len(set(aliases)) == 5
    assert all(re.fullmatch(r"voter-[a-z2-7]{8}", a) for a in aliases)
    assert record.roll_hash(aliases) == election.roll_hash
    on_roll = set(db_session.execute(select(RollEntry.member_id).where(RollEntry.election_id == election.id))
                  .scalars())
    assert on_roll == {m.id for m in setup.voters}

    [head] = board.tree_heads(db_session, election)
    assert head.size == 0
    assert head.root == EMPTY_ROOT.hex()
    assert head.signing_key == keys.bls_public_hex
    board.signed_tree_head(election, head).verify(bls.BlsPublicKey.from_hex(manifest["board_public_key"]))

    [event] = db_session.execute(select(AuditEntry).where(AuditEntry.action == "election.created")).scalars()
    assert event.subject_id == str(election.id)
    assert event.details["fingerprint"] == election.fingerprint
    assert event.details["roll_size"] == 5


def test_members_who_joined_after_opening_are_not_on_the_roll(db_session) -> None:
    setup = make_election(db_session, voters=2)
    late = new_member(db_session, "member")  # joins now, two days after voting opened
    observer = new_member(db_session, "observer", now=setup.now - MEMBERS_SINCE)
    db_session.commit()
    assert elections.roll_entry_of(db_session, setup.election, late) is None
    assert elections.roll_entry_of(db_session, setup.election, observer) is None
    assert elections.roll_entry_of(db_session, setup.election, None) is None
    assert elections.roll_entry_of(db_session, setup.election, setup.voters[1]).alias.startswith("voter-")


def test_open_payout_election_is_quadratic_over_the_alternatives(db_session) -> None:
    setup = make_election(db_session, kind="payout_policy", secrecy=Secrecy.OPEN, voters=1)
    db_session.commit()
    manifest = setup.election.manifest
    assert manifest["secrecy"] == "open"
    assert manifest["election_key"] is None
    assert manifest["method"] == QV
    assert manifest["questions"] == [{"kind": "quadratic", "options": ["Equal split", "Pro rata"], "budget": 100,
                                      "allow_negative": True}]
    assert elections.election_key(setup.election) is None


def test_committee_summary_goes_into_the_manifest(db_session) -> None:
    summary = {"k": 2, "n": 3, "joint_key": TEST_ELECTION_KEY_HEX}
    setup = make_election(db_session, voters=1, committee_id=9, committee_summary=summary)
    db_session.commit()
    assert setup.election.manifest["committee"] == summary
    assert setup.election.committee_id == 9


def test_window_open_by_the_clock(db_session) -> None:
    setup = make_election(db_session, voters=1)
    db_session.commit()
    election = setup.election
    opens, closes = election.opens_at, election.closes_at
    assert opens.microsecond == 0
    assert closes.microsecond == 0
    assert elections.window_open(election, opens)
    assert not elections.window_open(election, opens - timedelta(seconds=1))
    assert elections.window_open(election, closes - timedelta(microseconds=1))
    assert not elections.window_open(election, closes)


def _voting_proposal(db_session):
    seed_governance(db_session)
    steward = new_member(db_session, "member", "steward")
    author = new_member(db_session, "member")
    proposal = make_proposal(db_session, author, state=ProposalState.VOTING, steward=steward)
    return proposal, steward, author


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"actor": "author"}, NotPermitted, "Only stewards"),
    ({"secrecy": Secrecy.SECRET, "election_key_hex": None}, ElectionError, "needs the election key"),
    ({"secrecy": Secrecy.SECRET, "election_key_hex": "02" + "00" * 32}, ElectionError, "not a valid secp256k1"),
    ({"secrecy": Secrecy.SECRET, "election_key_hex": "zz"}, ElectionError, "not a valid secp256k1"),
    ({"secrecy": Secrecy.OPEN, "election_key_hex": TEST_ELECTION_KEY_HEX}, ElectionError, "no election key"),
    ({"secrecy": Secrecy.OPEN, "committee_id": 3}, ElectionError, "no election key"),
])
def test_create_election_refusals_write_nothing(db_session, kwargs, error, message) -> None:
    proposal, steward, author = _voting_proposal(db_session)
    db_session.commit()
    args = {"actor": steward, "now": proposal.voting_opened_at, "secrecy": Secrecy.SECRET,
            "election_key_hex": TEST_ELECTION_KEY_HEX, "committee_id": None, **kwargs}
    if args["actor"] == "author":
        args["actor"] = author
    with pytest.raises(error, match=message):
        elections.create_election(db_session, proposal, **args)
    db_session.rollback()
    assert count_rows(db_session, Election) == 0
    assert count_rows(db_session, RollEntry) == 0
    assert count_rows(db_session, TreeHead) == 0


def test_an_election_needs_a_proposal_in_voting_and_only_one(db_session) -> None:
    seed_governance(db_session)
    steward = new_member(db_session, "member", "steward")
    discussed = make_proposal(db_session, new_member(db_session, "member"), state=ProposalState.DISCUSSION)
    with pytest.raises(ElectionError, match="not in voting"):
        elections.create_election(db_session, discussed, actor=steward, now=datetime.now(UTC),
                                  secrecy=Secrecy.OPEN, election_key_hex=None, committee_id=None)
    setup = make_election(db_session, voters=1)
    with pytest.raises(ElectionError, match="already has an election"):
        elections.create_election(db_session, setup.proposal, actor=setup.steward, now=datetime.now(UTC),
                                  secrecy=Secrecy.OPEN, election_key_hex=None, committee_id=None)


def test_system_actor_may_create_an_election(db_session) -> None:
    proposal, _steward, _author = _voting_proposal(db_session)
    election = elections.create_election(db_session, proposal, actor=None, now=proposal.voting_opened_at,
                                         secrecy="open", election_key_hex=None, committee_id=None)
    db_session.commit()
    assert election.secrecy == Secrecy.OPEN
    assert election.manifest["cooperative"] == "dataguild cooperative"
