"""voting.elections.casting: cast and audit, every refusal (nothing written), secret and open, both methods."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from governance.audit.models import AuditEntry
from proposals.notifications import voter_ids
from tests.voting.factories import TEST_ELECTION_SECRET, audit, cast, make_election
from voting import InvalidChoice, NotOnRoll, StaleBallot, VotingError, WindowClosed
from voting.crypto.ballot import EncryptedBallot, check_audited_ballot, verify_ballot
from voting.crypto.elgamal import decrypt_with_secret, discrete_log
from voting.elections import client
from voting.elections import services as elections
from voting.elections.casting import (
    STALE_MESSAGE,
    PlainChoicesRefused,
    audit_ballot,
    cast_ballot,
    open_tracking_code,
    voters_of,
)
from voting.elections.models import BoardEntry, EntryKind, RollEntry, Secrecy
from voting.record import canonical as record

YES, NO, ABSTAIN = [[1, 0, 0]], [[0, 1, 0]], [[0, 0, 1]]


def _board(session, election) -> list[BoardEntry]:
    return list(session.execute(select(BoardEntry).where(BoardEntry.election_id == election.id)
                                .order_by(BoardEntry.leaf_index)).scalars())


def _audit_count(session) -> int:
    return session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()


def _roll(session, election, member) -> RollEntry:
    entry = elections.roll_entry_of(session, election, member)
    assert entry is not None
    return entry


def _decrypt(ballot: EncryptedBallot) -> list[list[int]]:
    """What a secret ballot encrypts, with the test election's single secret (tests only)."""
    return [[discrete_log(decrypt_with_secret(TEST_ELECTION_SECRET, ct), 100, lower=-10)
             for ct in answer.tally_ciphertexts()] for answer in ballot.answers]


def _walk(value: object) -> list[str]:
    """Every key of a JSON document, at any depth."""
    if isinstance(value, dict):
        return [*value, *(k for v in value.values() for k in _walk(v))]
    if isinstance(value, list):
        return [k for v in value for k in _walk(v)]
    return []


# ---------------------------------------------------------------- casting


@pytest.mark.parametrize("choices", [YES, NO, ABSTAIN])
def test_secret_yes_no_abstain_is_encrypted_verified_and_receipted(db_session, choices) -> None:
    setup = make_election(db_session, voters=1)
    election, voter = setup.election, setup.voters[1]
    audits_before = _audit_count(db_session)

    result = cast(db_session, election, voter, choices, expected_previous=0, now=setup.now)
    db_session.commit()

    entry = result.entry
    assert entry.kind == EntryKind.CAST
    assert entry.leaf_index == 0
    assert result.replaced is None
    # The server keeps only the encrypted ballot with its proofs: no choices, no randomness.
    assert not {"choices", "values", "randomness", "reveal"} & set(_walk(entry.payload))
    ballot = EncryptedBallot.from_json(entry.payload)
    verify_ballot(ballot, elections.question_specs(election), elections.election_key(election),
                  bytes.fromhex(election.fingerprint))
    assert entry.tracking_code == ballot.tracking_code() == result.receipt.tracking_code
    assert _decrypt(ballot) == choices  # it encrypts what the member chose
    record.verify_receipt(result.receipt, election.manifest["receipt_public_key"])
    assert result.receipt.leaf_index == 0
    assert result.receipt.kind == "cast"
    assert _roll(db_session, election, voter).ballots_cast == 1
    # The board is the record of casts; the public audit log gets no entry, which (with the member's name
    # and a time) would tie them to their alias and board entry.
    assert _audit_count(db_session) == audits_before


def test_open_ballot_keeps_the_choices_on_the_board(db_session) -> None:
    setup = make_election(db_session, secrecy=Secrecy.OPEN, voters=1)
    election, voter = setup.election, setup.voters[1]
    result = cast(db_session, election, voter, NO, expected_previous=0, now=setup.now)
    db_session.commit()
    payload = result.entry.payload
    assert payload["choices"] == NO
    assert payload["ballot_ref"].startswith("b-")
    assert result.entry.tracking_code == open_tracking_code(election.fingerprint, payload["ballot_ref"], NO)
    record.verify_receipt(result.receipt, election.manifest["receipt_public_key"])


def test_an_open_revote_with_the_same_choices_gets_a_new_tracking_code(db_session) -> None:
    setup = make_election(db_session, secrecy=Secrecy.OPEN, voters=1)
    election, voter = setup.election, setup.voters[1]
    first = cast(db_session, election, voter, YES, expected_previous=0, now=setup.now)
    second = cast(db_session, election, voter, YES, expected_previous=1, now=setup.now)
    assert first.entry.tracking_code != second.entry.tracking_code
    assert second.replaced == first.entry.leaf_index


def test_choosing_one_of_the_alternatives(db_session) -> None:
    setup = make_election(db_session, kind="payout_policy", method="one_member_one_vote", voters=1)
    election, voter = setup.election, setup.voters[1]
    (spec,) = elections.question_specs(election)
    assert spec.KIND == "choice"
    assert len(spec.options) == 2
    result = cast(db_session, election, voter, [[0, 1]], expected_previous=0, now=setup.now)
    assert _decrypt(EncryptedBallot.from_json(result.entry.payload)) == [[0, 1]]
    with pytest.raises(InvalidChoice, match="Choose only one option; this ballot has 2"):
        cast(db_session, election, voter, [[1, 1]], expected_previous=1, now=setup.now)


def test_quadratic_within_budget_with_negative_votes(db_session) -> None:
    setup = make_election(db_session, kind="payout_policy", voters=1)  # quadratic, 100 credits
    election, voter = setup.election, setup.voters[1]
    (spec,) = elections.question_specs(election)
    assert spec.KIND == "quadratic"
    assert spec.budget == 100
    assert spec.allow_negative
    result = cast(db_session, election, voter, [[6, -8]], expected_previous=0, now=setup.now)
    assert _decrypt(EncryptedBallot.from_json(result.entry.payload)) == [[6, -8]]  # 36 + 64 = 100 credits


@pytest.mark.parametrize(("choices", "message"), [
    ([[8, 7]], "this ballot spends 113 voice credits and the budget is 100"),
    ([[11, 0]], "has 11 votes, which would cost 121 voice credits"),
    ([[-11, 0]], "has -11 votes"),
])
def test_quadratic_over_budget_is_refused_naming_credits_and_budget(db_session, choices, message) -> None:
    setup = make_election(db_session, kind="payout_policy", voters=1)
    election, voter = setup.election, setup.voters[1]
    with pytest.raises(InvalidChoice, match=message) as refused:
        cast(db_session, election, voter, choices, expected_previous=0, now=setup.now)
    assert refused.value.errors["q0"]
    assert _board(db_session, election) == []
    assert _roll(db_session, election, voter).ballots_cast == 0


def test_a_revote_supersedes_the_earlier_ballot(db_session) -> None:
    setup = make_election(db_session, voters=2)
    election, ann, bob = setup.election, setup.voters[1], setup.voters[2]
    first = cast(db_session, election, ann, YES, expected_previous=0, now=setup.now)
    cast(db_session, election, bob, NO, expected_previous=0, now=setup.now)
    later = setup.now + timedelta(minutes=5)
    second = cast(db_session, election, ann, NO, expected_previous=1, now=later)
    db_session.commit()
    assert second.replaced == first.entry.leaf_index == 0
    assert second.entry.leaf_index == 2
    db_session.refresh(first.entry)
    assert first.entry.superseded_by == 2
    assert first.entry.superseded_at is not None
    assert second.entry.superseded_at is None
    assert _roll(db_session, election, ann).ballots_cast == 2
    assert sorted(voters_of(db_session, setup.proposal)) == sorted([ann.id, bob.id])


# ---------------------------------------------------------------- refusals: nothing written


def _assert_refused(session, election, member, exc_type, call, match: str) -> VotingError:
    board_before, audits_before = len(_board(session, election)), _audit_count(session)
    cast_before = (_roll(session, election, member).ballots_cast
                   if elections.roll_entry_of(session, election, member) else None)
    with pytest.raises(exc_type, match=match) as refused:
        call()
    assert not session.new
    assert not session.deleted
    assert len(_board(session, election)) == board_before
    assert _audit_count(session) == audits_before
    if cast_before is not None:
        assert _roll(session, election, member).ballots_cast == cast_before
    return refused.value


def test_refused_outside_the_window(db_session) -> None:
    setup = make_election(db_session, voters=1)
    election, voter = setup.election, setup.voters[1]
    closed = _assert_refused(db_session, election, voter, WindowClosed, lambda: cast(
        db_session, election, voter, YES, expected_previous=0, now=election.closes_at), "closed at")
    assert election.closes_at.strftime("%Y-%m-%d %H:%M") in closed.message
    early = election.opens_at - timedelta(seconds=1)
    _assert_refused(db_session, election, voter, WindowClosed, lambda: cast(
        db_session, election, voter, YES, expected_previous=0, now=early), "opens at")
    _assert_refused(db_session, election, voter, WindowClosed, lambda: audit(
        db_session, election, voter, YES, now=election.closes_at + timedelta(days=1)), "closed at")


def test_refused_once_a_steward_cancelled_the_proposal(db_session) -> None:
    from proposals import lifecycle

    setup = make_election(db_session, voters=1)
    election, voter = setup.election, setup.voters[1]
    lifecycle.cancel(db_session, setup.proposal, actor=setup.steward, reason="Withdrawn deal", now=setup.now)
    db_session.flush()
    for call in (lambda: cast(db_session, election, voter, YES, expected_previous=0, now=setup.now),
                 lambda: audit(db_session, election, voter, YES, now=setup.now)):
        _assert_refused(db_session, election, voter, WindowClosed, call, "cancelled this proposal")


def test_refused_when_not_on_the_frozen_roll(db_session) -> None:
    from tests.proposals.factories import new_member

    setup = make_election(db_session, voters=1)
    newcomer = new_member(db_session, "member", now=setup.now)  # joined after voting opened
    db_session.flush()
    for call in (lambda: cast(db_session, setup.election, newcomer, YES, expected_previous=0,
                                     now=setup.now),
                 lambda: audit(db_session, setup.election, newcomer, YES, now=setup.now)):
        _assert_refused(db_session, setup.election, newcomer, NotOnRoll, call, "not on this election's roll")


def test_refused_when_stale(db_session) -> None:
    setup = make_election(db_session, voters=1)
    election, voter = setup.election, setup.voters[1]
    for stale in (1, -1, "0", None):
        refused = _assert_refused(db_session, election, voter, StaleBallot, lambda s=stale: cast(
            db_session, election, voter, YES, expected_previous=s, now=setup.now), "another window or tab")
        assert refused.message == STALE_MESSAGE
    cast(db_session, election, voter, YES, expected_previous=0, now=setup.now)
    _assert_refused(db_session, election, voter, StaleBallot, lambda: cast(
        db_session, election, voter, NO, expected_previous=0, now=setup.now), "reload")
    # Stale and invalid at once: the stale check comes first (the member reloads, then fixes the rest).
    broken = _tampered(client.prepare(election.manifest, YES).to_json())
    _assert_refused(db_session, election, voter, StaleBallot, lambda: cast_ballot(
        db_session, election, voter, ballot=broken, expected_previous=0, now=setup.now), "reload")


# ---------------------------------------------------------------- the server never takes a secret ballot's choices


def _tampered(ballot: dict) -> dict:
    """The ballot with the last hex digit of its first proof response changed."""
    changed = copy.deepcopy(ballot)
    responses = changed["answers"][0]["selections"][0]["proof"]["responses"]
    responses[0] = responses[0][:-1] + ("0" if responses[0][-1] != "0" else "1")
    return changed


def test_a_secret_election_refuses_plain_choices(db_session) -> None:
    setup = make_election(db_session, voters=1)
    election, voter = setup.election, setup.voters[1]
    refused = _assert_refused(db_session, election, voter, PlainChoicesRefused, lambda: cast_ballot(
        db_session, election, voter, choices=YES, expected_previous=0, now=setup.now), "encrypted on your own device")
    assert "dataguild vote" in refused.message
    prepared = client.prepare(election.manifest, YES)
    _assert_refused(db_session, election, voter, PlainChoicesRefused, lambda: cast_ballot(  # both at once: no
        db_session, election, voter, choices=YES, ballot=prepared.to_json(), expected_previous=0, now=setup.now),
        "encrypted on your own device")
    open_setup = make_election(db_session, secrecy=Secrecy.OPEN, voters=1)
    _assert_refused(db_session, open_setup.election, open_setup.voters[1], InvalidChoice, lambda: cast_ballot(
        db_session, open_setup.election, open_setup.voters[1], ballot=prepared.to_json(), expected_previous=0,
        now=setup.now), "open roll call")


def test_tampered_and_foreign_ballots_are_refused_with_the_reason(db_session) -> None:
    setup = make_election(db_session, kind="payout_policy", voters=1)  # quadratic, budget 100
    other = make_election(db_session, kind="payout_policy", voters=1)
    election, voter = setup.election, setup.voters[1]
    good = client.prepare(election.manifest, [[6, -8]]).to_json()

    flipped = copy.deepcopy(good)
    pair = flipped["answers"][0]["options"][0]["proof"]["responses"]
    pair[0][0] = pair[0][0][:-1] + ("0" if pair[0][0][-1] != "0" else "1")
    _assert_refused(db_session, election, voter, InvalidChoice, lambda: cast_ballot(
        db_session, election, voter, ballot=flipped, expected_previous=0, now=setup.now), "proofs do not verify")

    foreign = client.prepare(other.election.manifest, [[6, -8]]).to_json()
    _assert_refused(db_session, election, voter, InvalidChoice, lambda: cast_ballot(
        db_session, election, voter, ballot=foreign, expected_previous=0, now=setup.now), "another election")
    spliced = copy.deepcopy(good)  # this election's ballot carrying a ciphertext from the other election's
    spliced["answers"][0]["options"][0]["votes"] = foreign["answers"][0]["options"][0]["votes"]
    _assert_refused(db_session, election, voter, InvalidChoice, lambda: cast_ballot(
        db_session, election, voter, ballot=spliced, expected_previous=0, now=setup.now), "proofs do not verify")

    # Over budget, with proofs made for a larger budget: the budget proof cannot hold for 100 credits.
    richer = copy.deepcopy(election.manifest)
    richer["questions"][0]["budget"] = 200
    over = client.prepare(richer, [[10, -10]]).to_json()
    over["election"] = election.fingerprint
    _assert_refused(db_session, election, voter, InvalidChoice, lambda: cast_ballot(
        db_session, election, voter, ballot=over, expected_previous=0, now=setup.now), "proofs do not verify")
    _assert_refused(db_session, election, voter, InvalidChoice, lambda: cast_ballot(
        db_session, election, voter, ballot={"not": "a ballot"}, expected_previous=0, now=setup.now),
        "cannot be read")

    prepared = client.prepare(election.manifest, [[3, 1]])
    reveal = prepared.reveal()
    reveal["answers"][0]["values"] = [1, 3]  # claims other choices than the ballot encrypts
    _assert_refused(db_session, election, voter, InvalidChoice, lambda: audit_ballot(
        db_session, election, voter, ballot=prepared.to_json(), reveal=reveal, now=setup.now),
        "does not reopen this ballot")


@pytest.mark.parametrize(("choices", "match"), [
    ([[1, 1, 0]], "Choose only one option; this ballot has 2"),
    ([[0, 0, 0]], "Choose one option"),
    ([[1, 0]], "one whole number per option"),
    ([[True, False, False]], "one whole number per option"),
    ([["1", 0, 0]], "one whole number per option"),
    ([[2, 0, 0]], "either chosen or not"),
    ([], "the election asks 1"),
    ("yes", "the election asks 1"),
    ([YES[0], NO[0]], "answers 2 question"),
])
def test_refused_when_the_choice_does_not_fit(db_session, choices, match) -> None:
    setup = make_election(db_session, voters=1)
    election, voter = setup.election, setup.voters[1]
    _assert_refused(db_session, election, voter, InvalidChoice, lambda: cast(
        db_session, election, voter, choices, expected_previous=0, now=setup.now), match)
    _assert_refused(db_session, election, voter, InvalidChoice, lambda: audit(
        db_session, election, voter, choices, now=setup.now), match)


def test_negative_votes_are_refused_where_the_question_forbids_them(db_session) -> None:
    from voting.crypto.ballot import QuadraticQuestion
    from voting.elections.casting import check_choices

    spec = QuadraticQuestion(("a", "b"), 9, allow_negative=False)
    assert check_choices([spec], [[3, 0]]) == [[3, 0]]
    with pytest.raises(InvalidChoice, match="Negative votes are not allowed"):
        check_choices([spec], [[0, -1]])


def test_open_ballots_cannot_be_audited(db_session) -> None:
    setup = make_election(db_session, secrecy=Secrecy.OPEN, voters=1)
    _assert_refused(db_session, setup.election, setup.voters[1], InvalidChoice, lambda: audit(
        db_session, setup.election, setup.voters[1], YES, now=setup.now), "Only secret ballots")


# ---------------------------------------------------------------- cast-or-audit


def test_an_audited_ballot_reveals_its_choices_and_is_never_counted(db_session) -> None:
    setup = make_election(db_session, kind="payout_policy", voters=1)  # quadratic
    election, voter = setup.election, setup.voters[1]
    first = cast(db_session, election, voter, [[3, 1]], expected_previous=0, now=setup.now)
    audited = audit(db_session, election, voter, [[-4, 2]], now=setup.now)
    db_session.commit()

    entry = audited.entry
    assert entry.kind == EntryKind.AUDITED
    assert entry.leaf_index == 1
    assert audited.choices == [[-4, 2]]
    # Anyone can check the posted reveal against the posted encrypted ballot.
    ballot = EncryptedBallot.from_json(entry.payload["ballot"])
    key = elections.election_key(election)
    verify_ballot(ballot, elections.question_specs(election), key, bytes.fromhex(election.fingerprint))
    assert check_audited_ballot(ballot, entry.payload["reveal"], key) == [[-4, 2]]
    assert entry.tracking_code == ballot.tracking_code()
    record.verify_receipt(audited.receipt, election.manifest["receipt_public_key"])
    assert audited.receipt.kind == "audited"
    # Never counted: the cast stays current, the count of casts and the voters are unchanged.
    db_session.refresh(first.entry)
    assert first.entry.superseded_at is None
    assert _roll(db_session, election, voter).ballots_cast == 1
    assert voters_of(db_session, setup.proposal) == [voter.id]
    # The next real cast still expects one earlier cast.
    again = cast(db_session, election, voter, [[0, 0]], expected_previous=1, now=setup.now)
    assert again.replaced == 0


def test_voters_are_known_to_the_closing_reminders(db_session) -> None:
    setup = make_election(db_session, secrecy=Secrecy.OPEN, voters=2)
    ann = setup.voters[1]
    assert voter_ids(db_session, setup.proposal) == set()
    audit_free = cast(db_session, setup.election, ann, YES, expected_previous=0, now=setup.now)
    assert audit_free.entry.leaf_index == 0
    assert voter_ids(db_session, setup.proposal) == {ann.id}


def test_a_secret_manifest_fixes_the_hash_of_the_code_that_encrypts_in_the_browser(db_session) -> None:
    import hashlib

    from voting.elections.services import CLIENT_SCRIPTS, STATIC_DIR

    secret = make_election(db_session, voters=1).election
    scripts = secret.manifest["client_scripts"]
    assert tuple(sorted(scripts)) == tuple(sorted(CLIENT_SCRIPTS))
    for name, digest in scripts.items():
        assert hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest() == digest
    assert secret.fingerprint == record.manifest_fingerprint(secret.manifest)  # covered by the fingerprint
    assert "client_scripts" not in make_election(db_session, secrecy=Secrecy.OPEN, voters=1).election.manifest
