"""Counting: closing, the encrypted tally, trustees' decryption shares, the result, its certificate and
the proposal's outcome — real database, real crypto, real ceremonies."""

from __future__ import annotations

import copy
from datetime import timedelta
from itertools import combinations

import pytest
from sqlalchemy import func, select

from governance.audit.models import AuditEntry
from governance.policy.models import PolicyVersion
from governance.sitecontext import as_utc
from proposals.models import Proposal, ProposalState
from tests.conftest import make_member
from tests.voting.counting_helpers import after_close, make_secret_election, ready_committee
from tests.voting.factories import make_election, post_ballot
from voting import NotPermitted
from voting.counting import services as counting
from voting.counting.models import DecryptionShareRecord
from voting.crypto import bls
from voting.elections.models import Election, ElectionState, EntryKind, Secrecy
from voting.elections.services import QUADRATIC
from voting.record import tally
from voting.trustees.client import bls_secret_of

S = ProposalState


def _shares(election, trustee, *, fingerprint=None):
    joint = tally.joint_key_of_manifest(election.manifest)
    cts = tally.tally_from_document(election.encrypted_tally)
    return tally.make_shares(joint, trustee.secrets, fingerprint or election.fingerprint, cts)


def _submit(session, election, trustee, shares=None, *, now, index=None):
    return counting.submit_decryption(session, election, trustee.member, trustee_index=index or trustee.index,
                                      shares_json=shares if shares is not None else _shares(election, trustee),
                                      now=now)


def _count(session, model) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def _refused(session, call, error, match):
    with pytest.raises(error, match=match):
        call()
    session.rollback()


# ---------------------------------------------------------------- open elections

def test_an_open_election_is_counted_from_the_board_at_once_and_the_adopted_rule_is_enacted(db_session):
    setup = make_election(db_session, secrecy=Secrecy.OPEN, voters=3)
    steward, a, b, c = setup.voters
    post_ballot(db_session, setup.election, a, [[0, 1, 0]])      # no ...
    post_ballot(db_session, setup.election, a, [[1, 0, 0]])      # ... then yes: only this one counts
    post_ballot(db_session, setup.election, b, [[1, 0, 0]])
    post_ballot(db_session, setup.election, c, [[0, 0, 1]])
    post_ballot(db_session, setup.election, steward, [[0, 1, 0]], kind=EntryKind.AUDITED)  # never counted
    db_session.commit()
    election_id, proposal_id = setup.election.id, setup.proposal.id

    too_soon = as_utc(setup.election.closes_at) - timedelta(seconds=1)
    _refused(db_session, lambda: counting.close_election(db_session, setup.election, now=too_soon),
             counting.WrongState, "Voting is open until")
    assert db_session.get(Election, election_id).state == ElectionState.OPEN
    outsider = make_member(db_session, "plain@example.org", roles=("member",))
    _refused(db_session, lambda: counting.close_election(db_session, setup.election, now=after_close(setup),
                                                         actor=outsider), NotPermitted, "Only stewards")

    now = after_close(setup)
    counting.close_election(db_session, setup.election, now=now, actor=steward)
    db_session.commit()
    election = db_session.get(Election, election_id)
    assert election.state == ElectionState.DECIDED
    assert election.encrypted_tally is None
    assert election.result == {"format": "dataguild-result-v2", "election": election.fingerprint,
                               "totals": [[2, 0, 1]], "turnout": 3, "roll_size": 4,
                               "outcome": {"state": "adopted", "chosen_alternative": None}}
    certificate = election.result_certificate
    assert certificate["kind"] == "cooperative"
    tally.verify_certificate(election.manifest, election.result, certificate)
    with pytest.raises(Exception, match="does not verify"):
        tally.verify_certificate(election.manifest, {**election.result, "totals": [[1, 1, 1]]}, certificate)

    proposal = db_session.get(Proposal, proposal_id)
    assert proposal.state == S.ADOPTED
    assert (proposal.outcome["yes"], proposal.outcome["no"], proposal.outcome["abstain"]) == (2, 0, 1)
    assert (proposal.outcome["turnout"], proposal.outcome["electorate_size"]) == (3, 4)
    assert proposal.outcome["election_id"] == election_id
    assert proposal.outcome["record_hash"] == tally.result_hash(election.result)
    version = db_session.execute(select(PolicyVersion).where(PolicyVersion.proposal_id == proposal_id)).scalar_one()
    assert (version.election_id, version.election_record_hash) == (election_id, tally.result_hash(election.result))
    actions = [e.action for e in db_session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()]
    assert "election.closed" in actions
    assert "election.decided" in actions

    # Closing again does nothing (no second head, no second event).
    events = _count(db_session, AuditEntry)
    counting.close_election(db_session, election, now=now + timedelta(hours=1))
    db_session.commit()
    assert _count(db_session, AuditEntry) == events
    assert db_session.get(Election, election_id).decided_at is not None


def test_an_open_quadratic_vote_between_alternatives_maps_scores(db_session):
    setup = make_election(db_session, secrecy=Secrecy.OPEN, kind="payout_policy", voters=2)
    steward, a, b = setup.voters
    post_ballot(db_session, setup.election, a, [[3, -1]])
    post_ballot(db_session, setup.election, b, [[-2, 4]])
    post_ballot(db_session, setup.election, steward, [[0, 0]])
    counting.close_election(db_session, setup.election, now=after_close(setup))
    db_session.commit()
    proposal = db_session.get(Proposal, setup.proposal.id)
    assert setup.election.result["totals"] == [[1, 3]]
    assert proposal.outcome["scores"] == [1, 3]
    assert proposal.state == S.ADOPTED
    assert proposal.outcome["chosen_alternative"] == 1


def test_one_member_one_vote_between_alternatives_maps_scores_and_a_tie_keeps_the_status_quo(db_session):
    setup = make_election(db_session, secrecy=Secrecy.OPEN, kind="payout_policy", method="one_member_one_vote",
                          voters=3)
    steward, a, b, c = setup.voters
    for voter, choice in ((a, [1, 0]), (b, [0, 1]), (c, [1, 0]), (steward, [0, 1])):
        post_ballot(db_session, setup.election, voter, [choice])
    counting.close_election(db_session, setup.election, now=after_close(setup))
    db_session.commit()
    proposal = db_session.get(Proposal, setup.proposal.id)
    assert setup.election.result["totals"] == [[2, 2]]
    assert proposal.outcome["scores"] == [2, 2]
    assert proposal.state == S.REJECTED


# ---------------------------------------------------------------- secret elections

@pytest.fixture
def committee_2_of_3(db_session):
    steward = make_member(db_session, "committee-steward@example.org", roles=("member", "steward"))
    return ready_committee(db_session, steward, 3, 2, "count")


def test_every_pair_of_a_2_of_3_committee_decrypts_the_same_totals_and_decides(db_session, committee_2_of_3):
    committee, trustees = committee_2_of_3
    setup = make_secret_election(db_session, committee, voters=3)
    steward, a, b, c = setup.voters
    post_ballot(db_session, setup.election, a, [[1, 0, 0]])
    post_ballot(db_session, setup.election, b, [[1, 0, 0]])
    post_ballot(db_session, setup.election, b, [[0, 1, 0]])      # b changes their mind
    post_ballot(db_session, setup.election, c, [[1, 0, 0]])
    post_ballot(db_session, setup.election, steward, [[0, 0, 1]], kind=EntryKind.AUDITED)
    db_session.commit()
    election_id = setup.election.id
    now = after_close(setup)
    election = counting.close_election(db_session, setup.election, now=now)
    db_session.commit()
    assert election.state == ElectionState.TALLYING
    posted = election.encrypted_tally
    assert posted["ballots"] == 3
    assert posted["counted_leaves"] == [0, 2, 3]
    assert posted["board_size"] == 5
    assert [o["bounds"] for o in posted["questions"][0]] == [[0, 3]] * 3
    assert db_session.get(Proposal, setup.proposal.id).state == S.VOTING  # nothing decided yet

    # One share set is not enough: still tallying.
    _submit(db_session, election, trustees[3], now=now)
    db_session.commit()
    assert db_session.get(Election, election_id).state == ElectionState.TALLYING

    shares = {j: _shares(election, t) for j, t in trustees.items()}
    for pair in combinations(sorted(trustees), 2):
        joint = tally.joint_key_of_manifest(election.manifest)
        by_trustee = {j: tally.parse_shares(shares[j], [3]) for j in pair}
        assert tally.combine(joint, election.fingerprint, posted, by_trustee) == [[2, 1, 0]], pair

    _submit(db_session, election, trustees[1], shares[1], now=now)
    db_session.commit()
    election = db_session.get(Election, election_id)
    assert election.state == ElectionState.DECIDED
    assert election.result["totals"] == [[2, 1, 0]]
    assert election.result["turnout"] == 3
    assert election.result_certificate["decrypted_by"] == [1, 3]
    proposal = db_session.get(Proposal, setup.proposal.id)
    assert proposal.state == S.ADOPTED
    assert (proposal.outcome["yes"], proposal.outcome["no"]) == (2, 1)
    version = db_session.execute(select(PolicyVersion).where(PolicyVersion.proposal_id == proposal.id)).scalar_one()
    assert version.election_id == election_id

    # Too late for the third trustee; the decrypting trustees sign the result.
    _refused(db_session, lambda: _submit(db_session, election, trustees[2], shares[2], now=now), counting.WrongState,
             "decided already")
    message = tally.result_message(election.result)
    _refused(db_session, lambda: counting.sign_result(
        db_session, election, trustees[2].member, trustee_index=2,
        signature_hex=bls.sign(bls_secret_of(trustees[2].secrets), message).to_hex(), now=now),
        NotPermitted, "Only the trustees whose decryption shares")
    forged = bls.sign(bls_secret_of(trustees[3].secrets), message + b"x").to_hex()
    _refused(db_session, lambda: counting.sign_result(db_session, election, trustees[1].member, trustee_index=1,
                                                      signature_hex=forged, now=now),
             counting.InvalidShares, "signature was refused")
    for j in (1, 3):
        signature = bls.sign(bls_secret_of(trustees[j].secrets), message).to_hex()
        certificate = counting.sign_result(db_session, election, trustees[j].member, trustee_index=j,
                                           signature_hex=signature, now=now)
        db_session.commit()
    assert certificate["signers"] == [1, 3]
    tally.verify_certificate(election.manifest, election.result, db_session.get(Election,
                                                                        election_id).result_certificate)
    with pytest.raises(Exception, match="does not verify"):
        tally.verify_certificate(election.manifest, election.result, {**certificate, "signers": [1]})
    _refused(db_session, lambda: counting.sign_result(db_session, election, trustees[1].member, trustee_index=1,
                                                      signature_hex=signature, now=now),
             counting.AlreadySubmitted, "signed this result already")


def test_bad_decryption_shares_are_refused_and_write_nothing(db_session, committee_2_of_3):
    committee, trustees = committee_2_of_3
    setup = make_secret_election(db_session, committee, voters=2)
    other = make_secret_election(db_session, committee, voters=1)
    for election, voters in ((setup.election, setup.voters), (other.election, other.voters)):
        for voter in voters[1:]:
            post_ballot(db_session, election, voter, [[0, 1, 0]])
    db_session.commit()
    now = after_close(setup)
    _refused(db_session, lambda: _submit(db_session, setup.election, trustees[1], [], now=now), counting.WrongState,
             "not been closed yet")
    election = counting.close_election(db_session, setup.election, now=now)
    counting.close_election(db_session, other.election, now=after_close(other))
    db_session.commit()

    good = _shares(election, trustees[1])
    tampered = [[{**good[0][0], "proof": {**good[0][0]["proof"], "response": good[0][1]["proof"]["response"]}},
                 *good[0][1:]]]
    _refused(db_session, lambda: _submit(db_session, election, trustees[1], tampered, now=now),
             counting.InvalidShares, "does not verify")
    # The same trustee's shares of the same ciphertexts, bound to the other election: refused.
    rebound = _shares(election, trustees[1], fingerprint=other.election.fingerprint)
    _refused(db_session, lambda: _submit(db_session, election, trustees[1], rebound, now=now),
             counting.InvalidShares, "does not verify")
    # Trustee 1 posting trustee 2's (valid) shares.
    _refused(db_session, lambda: _submit(db_session, election, trustees[1], _shares(election, trustees[2]), now=now),
             counting.InvalidShares, "trustee 2's, not trustee 1's")
    _refused(db_session, lambda: _submit(db_session, election, trustees[1], good, now=now, index=2),
             NotPermitted, "You are trustee 1")
    _refused(db_session, lambda: _submit(db_session, election, trustees[1], [good[0][:2]], now=now),
             counting.InvalidShares, "one share per option")
    _refused(db_session, lambda: _submit(db_session, election, trustees[1], [[{"trustee": 1, "share": "02zz",
                                                                               "proof": {}}] * 3], now=now),
             counting.InvalidShares, "refused")
    stranger = make_member(db_session, "stranger@example.org", roles=("member", "trustee"))
    _refused(db_session, lambda: counting.submit_decryption(db_session, election, stranger, trustee_index=1,
                                                            shares_json=good, now=now),
             NotPermitted, "not a trustee of this election's committee")
    assert _count(db_session, DecryptionShareRecord) == 0

    _submit(db_session, election, trustees[1], good, now=now)
    db_session.commit()
    _refused(db_session, lambda: _submit(db_session, election, trustees[1], good, now=now),
             counting.AlreadySubmitted, "already")
    assert _count(db_session, DecryptionShareRecord) == 1
    assert db_session.get(Election, election.id).state == ElectionState.TALLYING


def test_a_secret_election_without_ballots_is_decided_with_zero_totals(db_session, committee_2_of_3):
    committee, _trustees = committee_2_of_3
    setup = make_secret_election(db_session, committee, voters=2)
    post_ballot(db_session, setup.election, setup.voters[1], [[1, 0, 0]], kind=EntryKind.AUDITED)
    election = counting.close_election(db_session, setup.election, now=after_close(setup))
    db_session.commit()
    assert election.state == ElectionState.DECIDED
    assert election.encrypted_tally is None
    assert election.result["totals"] == [[0, 0, 0]]
    assert election.result["turnout"] == 0
    tally.verify_certificate(election.manifest, election.result, election.result_certificate)
    assert db_session.get(Proposal, setup.proposal.id).state == S.NO_QUORUM


def test_a_3_of_5_committee_counts_a_quadratic_vote_with_one_subset(db_session):
    steward = make_member(db_session, "steward5@example.org", roles=("member", "steward"))
    committee, trustees = ready_committee(db_session, steward, 5, 3, "five")
    setup = make_secret_election(db_session, committee, voters=3, method=QUADRATIC)
    _steward, a, b, c = setup.voters
    post_ballot(db_session, setup.election, a, [[10, 0]])  # for, against
    post_ballot(db_session, setup.election, b, [[0, 3]])
    post_ballot(db_session, setup.election, c, [[0, 4]])
    now = after_close(setup)
    election = counting.close_election(db_session, setup.election, now=now)
    db_session.commit()
    assert [o["bounds"] for o in election.encrypted_tally["questions"][0]] == [[0, 30], [0, 30]]
    for j in (2, 4):
        _submit(db_session, election, trustees[j], now=now)
        db_session.commit()
        assert election.state == ElectionState.TALLYING
    _submit(db_session, election, trustees[5], now=now)
    db_session.commit()
    assert election.state == ElectionState.DECIDED
    assert election.result["totals"] == [[10, 7]]
    proposal = db_session.get(Proposal, setup.proposal.id)
    assert (proposal.outcome["yes"], proposal.outcome["no"], proposal.outcome["abstain"]) == (10, 7, 0)
    assert proposal.state == S.ADOPTED
    # The pure combination agrees for another subset.
    joint = tally.joint_key_of_manifest(election.manifest)
    by_trustee = {j: tally.parse_shares(_shares(election, trustees[j]), [2]) for j in (1, 3, 4)}
    assert tally.combine(joint, election.fingerprint, election.encrypted_tally, by_trustee) == [[10, 7]]


def test_a_secret_vote_between_alternatives_gives_scores(db_session, committee_2_of_3):
    committee, trustees = committee_2_of_3
    setup = make_secret_election(db_session, committee, kind="payout_policy", voters=2)
    _steward, a, b = setup.voters
    post_ballot(db_session, setup.election, a, [[-1, 9]])
    post_ballot(db_session, setup.election, b, [[2, -5]])
    now = after_close(setup)
    election = counting.close_election(db_session, setup.election, now=now)
    for j in (1, 2):
        _submit(db_session, election, trustees[j], now=now)
    db_session.commit()
    proposal = db_session.get(Proposal, setup.proposal.id)
    assert election.result["totals"] == [[1, 4]]
    assert proposal.outcome["scores"] == [1, 4]
    assert proposal.state == S.ADOPTED
    assert proposal.outcome["chosen_alternative"] == 1


def test_due_elections_and_a_cancelled_proposal(db_session):
    setup = make_election(db_session, secrecy=Secrecy.OPEN, voters=1)
    now = after_close(setup)
    assert [e.id for e in counting.due_elections(db_session, now - timedelta(days=1))] == []
    assert [e.id for e in counting.due_elections(db_session, now)] == [setup.election.id]
    from proposals import lifecycle

    cancelled_at = as_utc(setup.election.closes_at) - timedelta(hours=1)
    lifecycle.cancel(db_session, setup.proposal, actor=setup.steward, reason="Withdrawn by the cooperative",
                     now=cancelled_at)
    db_session.commit()
    # Cancelled: due at once (no need to wait for the window), closed uncounted with a final signed head.
    assert [e.id for e in counting.due_elections(db_session, cancelled_at)] == [setup.election.id]
    counting.close_election(db_session, setup.election, now=cancelled_at)
    db_session.commit()
    election = db_session.get(Election, setup.election.id, populate_existing=True)
    assert election.state == ElectionState.CANCELLED
    assert election.result is None
    assert election.encrypted_tally is None
    assert counting.due_elections(db_session, now) == []
    cancellations = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "election.cancelled")
    assert db_session.execute(cancellations).scalar_one() == 1
    counting.close_election(db_session, election, now=now)  # idempotent
    assert db_session.execute(cancellations).scalar_one() == 1


def test_a_trustee_refuses_a_tally_with_a_ballot_whose_proofs_fail(db_session):
    setup = make_election(db_session, voters=2)
    post_ballot(db_session, setup.election, setup.voters[1], [[1, 0, 0]])
    post_ballot(db_session, setup.election, setup.voters[2], [[0, 1, 0]])
    leaves = tally.counted_leaves(counting.board_leaves(db_session, setup.election))
    tally.check_counted_ballots(setup.election.manifest, leaves)  # the honest board passes
    selections = leaves[1].payload["answers"][0]["selections"]
    stuffed = copy.deepcopy(leaves[1].payload)
    stuffed["answers"][0]["selections"][0]["ciphertext"] = selections[1]["ciphertext"]  # "yes" and "no" at once
    forged = [leaves[0], tally.BoardLeaf(leaves[1].leaf_index, "cast", leaves[1].alias, stuffed)]
    with pytest.raises(tally.TallyMismatch, match="the ballot at leaf 1 does not verify"):
        tally.check_counted_ballots(setup.election.manifest, forged)
