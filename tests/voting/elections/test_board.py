"""voting.elections.board: appending leaves, receipts, superseding, tree heads and proofs."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from tests.conftest import count_rows, separate_session
from tests.voting.factories import make_election, post_ballot
from voting import InvalidChoice, VotingError
from voting.crypto import bls, merkle
from voting.crypto.ballot import EncryptedBallot, verify_ballot
from voting.elections import board
from voting.elections import services as elections
from voting.elections.models import BoardEntry, Election, ElectionState, EntryKind, Secrecy, TreeHead
from voting.record import canonical as record


def test_secret_cast_is_a_leaf_with_a_valid_receipt_and_a_signed_head(db_session) -> None:
    setup = make_election(db_session, voters=1)
    election, voter = setup.election, setup.voters[1]
    at = setup.now.replace(microsecond=654321)
    entry, receipt = post_ballot(db_session, election, voter, [[0, 1, 0]], now=at)
    db_session.commit()

    assert entry.leaf_index == 0
    assert entry.kind == EntryKind.CAST
    assert entry.cast_at.microsecond == 0
    ballot = EncryptedBallot.from_json(entry.payload)
    verify_ballot(ballot, elections.question_specs(election), elections.election_key(election),
                  bytes.fromhex(election.fingerprint))
    assert entry.tracking_code == ballot.tracking_code()
    alias = elections.roll_entry_of(db_session, election, voter).alias
    fields = board.leaf_fields(election, entry, alias)
    assert fields["cast_at"] == record.iso_seconds(at)
    assert fields["alias"] == alias
    assert entry.leaf_hash == record.leaf_hash_hex(**fields)

    record.verify_receipt(receipt, election.manifest["receipt_public_key"])
    assert receipt == board.receipt_for_entry(election, entry)
    assert (receipt.leaf_index, receipt.tracking_code, receipt.leaf_hash) == (0, entry.tracking_code, entry.leaf_hash)

    # The head signed at creation is two days old, so this cast published a new head covering it.
    head = board.latest_head(db_session, election)
    assert head.size == 1
    assert board.head_covering(db_session, election, 0).id == head.id
    sth = board.signed_tree_head(election, head)
    sth.verify(bls.BlsPublicKey.from_hex(election.manifest["board_public_key"]))
    merkle.verify_inclusion_hash(bytes.fromhex(entry.leaf_hash), 0, 1, [], sth.root)


def test_revote_supersedes_the_earlier_cast_and_audits_never_do(db_session) -> None:
    setup = make_election(db_session, secrecy=Secrecy.OPEN, voters=2)
    election, ann, bob = setup.election, setup.voters[1], setup.voters[2]
    t = setup.now
    first, _ = post_ballot(db_session, election, ann, [[1, 0, 0]], now=t)
    post_ballot(db_session, election, bob, [[0, 0, 1]], now=t + timedelta(seconds=1))
    audited, _ = post_ballot(db_session, election, ann, [[0, 1, 0]], now=t + timedelta(seconds=2),
                             kind=EntryKind.AUDITED)
    second, _ = post_ballot(db_session, election, ann, [[0, 1, 0]], now=t + timedelta(seconds=3))
    db_session.commit()

    assert [first.leaf_index, audited.leaf_index, second.leaf_index] == [0, 2, 3]
    assert first.superseded_by == 3
    assert first.superseded_at == second.cast_at
    assert audited.superseded_at is None
    assert second.superseded_at is None
    assert board.board_counts(db_session, election) == {"voted": 2, "casts": 3, "superseded": 1, "audited": 1}
    rows = board.board_entries(db_session, election)
    assert [e.leaf_index for e, _ in rows] == [0, 1, 2, 3]
    assert board.board_entries(db_session, election, offset=1, limit=2)[0][0].leaf_index == 1
    data = board.entry_json(election, first, rows[0][1])
    assert data["superseded_by"] == 3
    assert data["payload"] == {"choices": [[1, 0, 0]]}
    assert data["leaf_hash"] == record.leaf_hash_hex(fingerprint=election.fingerprint,
                                                     **{k: v for k, v in data.items() if k in (
                                                         "leaf_index", "kind", "alias", "tracking_code",
                                                         "cast_at", "payload")})


def test_heads_are_signed_when_the_board_doubles_or_after_six_hours_and_stay_consistent(db_session) -> None:
    setup = make_election(db_session, secrecy=Secrecy.OPEN, voters=1)
    election, voter = setup.election, setup.voters[1]
    t = setup.now

    def sizes() -> list[int]:
        return [h.size for h in board.tree_heads(db_session, election)]

    for i in range(9):                                                        # quick casts: each doubling signs
        post_ballot(db_session, election, voter, [[0, 1, 0]], now=t + timedelta(seconds=i))
    assert sizes() == [0, 1, 2, 4, 8]
    assert board.head_covering(db_session, election, 8) is None               # leaf 8 waits for the next head
    assert board.head_covering(db_session, election, 5).size == 8
    for i in range(9, 15):
        post_ballot(db_session, election, voter, [[0, 1, 0]], now=t + timedelta(seconds=i))
    assert sizes() == [0, 1, 2, 4, 8]                                         # 15 < 2 x 8: no head
    post_ballot(db_session, election, voter, [[0, 1, 0]], now=t + timedelta(seconds=20))
    assert sizes() == [0, 1, 2, 4, 8, 16]                                     # doubled
    post_ballot(db_session, election, voter, [[0, 0, 1]], now=t + timedelta(seconds=20) + board.HEAD_MAX_AGE
                - timedelta(seconds=1))
    assert board.latest_head(db_session, election).size == 16                 # not quite six hours old
    post_ballot(db_session, election, voter, [[0, 0, 1]], now=t + timedelta(seconds=20) + board.HEAD_MAX_AGE)
    assert board.latest_head(db_session, election).size == 18                 # six hours old: signs
    post_ballot(db_session, election, voter, [[0, 0, 1]], now=t + timedelta(seconds=30) + board.HEAD_MAX_AGE)
    assert board.latest_head(db_session, election).size == 18

    closing = board.sign_head(db_session, election, t)                        # an earlier clock: time never goes back
    assert closing.size == 19
    assert sizes() == [0, 1, 2, 4, 8, 16, 18, 19]
    assert board.sign_head(db_session, election, t).id == closing.id
    db_session.commit()
    heads = board.tree_heads(db_session, election)
    assert [h.timestamp for h in heads] == sorted(h.timestamp for h in heads)
    public = bls.BlsPublicKey.from_hex(election.manifest["board_public_key"])
    for previous, current in itertools.pairwise(heads):
        proof = [bytes.fromhex(p) for p in board.consistency_proof(db_session, election, previous.size, current.size)]
        merkle.verify_head_consistency(board.signed_tree_head(election, previous),
                                       board.signed_tree_head(election, current), proof, public)
    last = heads[-1]
    for entry, _alias in board.board_entries(db_session, election):
        proof = [bytes.fromhex(p) for p in board.inclusion_proof(db_session, election, entry.leaf_index, last.size)]
        merkle.verify_inclusion_hash(bytes.fromhex(entry.leaf_hash), entry.leaf_index, last.size, proof,
                                     bytes.fromhex(last.root))
    assert board.board_counts(db_session, election) == {"voted": 1, "casts": 19, "superseded": 18, "audited": 0}


def test_append_refusals_write_nothing(db_session) -> None:
    setup = make_election(db_session, secrecy=Secrecy.OPEN, voters=1)
    other = make_election(db_session, secrecy=Secrecy.OPEN, voters=1)
    entry, _ = post_ballot(db_session, setup.election, setup.voters[1], [[1, 0, 0]], now=setup.now)
    db_session.commit()
    heads_before = count_rows(db_session, TreeHead)
    election = setup.election
    roll_entry = elections.roll_entry_of(db_session, election, setup.voters[1])
    stranger = elections.roll_entry_of(db_session, other.election, other.voters[1])
    with pytest.raises(InvalidChoice, match="already on the board"):
        board.append_entry(db_session, election, roll_entry, kind=EntryKind.CAST, payload={"choices": [[0, 1, 0]]},
                           tracking_code=entry.tracking_code, now=setup.now + timedelta(hours=1))
    with pytest.raises(VotingError, match="another election's roll"):
        board.append_entry(db_session, election, stranger, kind=EntryKind.CAST, payload={"choices": [[0, 1, 0]]},
                           tracking_code="00" * 32, now=setup.now + timedelta(hours=1))
    election_id = election.id
    db_session.rollback()
    assert count_rows(db_session, BoardEntry, BoardEntry.election_id == election_id) == 1
    assert count_rows(db_session, TreeHead) == heads_before


def test_lock_election_rereads_the_row(db_session) -> None:
    setup = make_election(db_session, secrecy=Secrecy.OPEN, voters=1)
    db_session.commit()
    with separate_session(db_session) as other:  # another request moves the election on meanwhile
        other.get(Election, setup.election.id).state = ElectionState.TALLYING
        other.commit()
    assert setup.election.state == ElectionState.OPEN  # what this session read before
    assert board.lock_election(db_session, setup.election).state == ElectionState.TALLYING
    db_session.rollback()
