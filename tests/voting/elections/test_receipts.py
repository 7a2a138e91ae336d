"""voting.elections.receipts: every check of a receipt against the board, and what each failure looks like."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest

from tests.voting.factories import make_election, post_ballot
from voting.elections import board, receipts
from voting.elections.models import EntryKind, Secrecy
from voting.elections.receipts import (
    FAIL,
    PASS,
    PENDING,
    ReceiptUnreadable,
    UnknownElection,
    check_receipt,
    parse_receipt,
)
from voting.record import canonical as record


def statuses(result: receipts.ReceiptCheck) -> dict[str, str]:
    return {c.name: c.status for c in result.checks}


ALL_PASS = {"election": PASS, "signature": PASS, "on_board": PASS, "position": PASS, "leaf_hash": PASS,
            "inclusion": PASS, "head_signature": PASS, "head_chain": PASS}


def test_a_fresh_receipt_passes_every_check(db_session) -> None:
    setup = make_election(db_session, voters=1)
    _entry, receipt = post_ballot(db_session, setup.election, setup.voters[1], [[1, 0, 0]], now=setup.now)
    db_session.commit()
    result = check_receipt(db_session, parse_receipt(json.dumps(receipt.to_json())))
    assert statuses(result) == ALL_PASS
    assert result.status == PASS
    assert result.head.size == 1
    assert result.proof == []
    assert result.notes == ["This is the voter's latest ballot: it is the one that counts."]
    data = result.to_json()
    assert data["status"] == "pass"
    assert data["tree_head"]["size"] == 1
    assert data["inclusion_proof"] == []
    assert [c["name"] for c in data["checks"]] == list(ALL_PASS)


def test_a_ballot_not_yet_in_a_signed_head_is_pending_then_passes(db_session) -> None:
    setup = make_election(db_session, secrecy=Secrecy.OPEN, voters=3)
    election, t = setup.election, setup.now
    post_ballot(db_session, election, setup.voters[1], [[1, 0, 0]], now=t)                        # head: size 1
    post_ballot(db_session, election, setup.voters[2], [[1, 0, 0]], now=t + timedelta(seconds=2))  # doubled: size 2
    _entry, receipt = post_ballot(db_session, election, setup.voters[3], [[0, 1, 0]], now=t + timedelta(seconds=5))
    db_session.commit()
    result = check_receipt(db_session, receipt)
    assert statuses(result) == {**ALL_PASS, "inclusion": PENDING, "head_signature": PENDING}
    assert result.status == PENDING
    assert result.head is None
    [inclusion] = [c for c in result.checks if c.name == "inclusion"]
    assert "Not yet in a signed tree head (the latest covers 2 entries)" in inclusion.explanation
    assert "check again later" in inclusion.explanation
    next_age = record.iso_seconds(t + timedelta(seconds=2) + board.HEAD_MAX_AGE)
    assert f"when the board reaches 4 entries or with the first ballot cast after {next_age}" in inclusion.explanation
    assert f"at the latest when the election closes ({record.iso_seconds(election.closes_at)})" in inclusion.explanation
    assert "already the board's signed promise" in inclusion.explanation

    board.sign_head(db_session, election, t + timedelta(seconds=6))  # as counting does at close
    db_session.commit()
    result = check_receipt(db_session, receipt)
    assert statuses(result) == ALL_PASS
    assert result.head.size == 3
    assert len(result.proof) == 1


def test_superseded_and_audited_ballots_say_so(db_session) -> None:
    setup = make_election(db_session, secrecy=Secrecy.OPEN, voters=1)
    election, voter, t = setup.election, setup.voters[1], setup.now
    _e, first = post_ballot(db_session, election, voter, [[1, 0, 0]], now=t)
    _e, audited = post_ballot(db_session, election, voter, [[1, 0, 0]], now=t + timedelta(seconds=1),
                              kind=EntryKind.AUDITED)
    post_ballot(db_session, election, voter, [[0, 0, 1]], now=t + timedelta(seconds=2))
    board.sign_head(db_session, election, t + timedelta(seconds=3))
    db_session.commit()
    result = check_receipt(db_session, first)
    assert result.status == PASS
    assert "replaced by a later ballot of the same voter (entry #2)" in result.notes[0]
    assert "never counted" in check_receipt(db_session, audited).notes[0]


@pytest.mark.parametrize(("change", "failed"), [
    ({"tracking_code": "00" * 32}, {"signature", "on_board"}),
    ({"leaf_index": 5}, {"signature", "position"}),  # no head covers leaf 5: inclusion is pending
    ({"cast_at": "2020-01-01T00:00:00Z"}, {"signature", "position"}),
    ({"leaf_hash": "11" * 32}, {"signature", "leaf_hash", "inclusion"}),
    ({"signature": "22" * 64}, {"signature"}),
    ({"fingerprint": "33" * 32}, {"election", "signature"}),
])
def test_an_altered_receipt_fails_the_checks_it_touches(db_session, change, failed) -> None:
    setup = make_election(db_session, secrecy=Secrecy.OPEN, voters=1)
    _entry, receipt = post_ballot(db_session, setup.election, setup.voters[1], [[1, 0, 0]], now=setup.now)
    db_session.commit()
    result = check_receipt(db_session, replace(receipt, **change))
    assert {name for name, status in statuses(result).items() if status == FAIL} == failed
    assert result.status == FAIL


def test_a_board_that_changed_or_dropped_the_ballot_is_caught(db_session) -> None:
    setup = make_election(db_session, secrecy=Secrecy.OPEN, voters=1)
    entry, receipt = post_ballot(db_session, setup.election, setup.voters[1], [[1, 0, 0]], now=setup.now)
    db_session.commit()
    entry.payload = {"ballot_ref": "x", "choices": [[0, 1, 0]]}  # the operator rewrites the vote in the database
    db_session.commit()
    assert statuses(check_receipt(db_session, receipt)) == {**ALL_PASS, "leaf_hash": FAIL}

    head = board.latest_head(db_session, setup.election)
    head.signature = board.latest_head(db_session, setup.election).signature[:-2] + "00"
    db_session.commit()
    assert statuses(check_receipt(db_session, receipt))["head_signature"] == FAIL

    db_session.delete(entry)
    db_session.commit()
    result = check_receipt(db_session, receipt)
    assert statuses(result)["on_board"] == FAIL
    assert statuses(result)["signature"] == PASS
    assert "proves the server accepted a ballot it does not show" in next(
        c for c in result.checks if c.name == "on_board").explanation


def test_a_receipt_of_an_unknown_election_is_refused(db_session) -> None:
    setup = make_election(db_session, secrecy=Secrecy.OPEN, voters=1)
    _entry, receipt = post_ballot(db_session, setup.election, setup.voters[1], [[1, 0, 0]], now=setup.now)
    db_session.commit()
    with pytest.raises(UnknownElection, match="no election #999"):
        check_receipt(db_session, replace(receipt, election_id=999))


@pytest.mark.parametrize(("text", "message"), [
    ("", "Paste the receipt"),
    ("   ", "Paste the receipt"),
    ("{not json", "not valid JSON"),
    ("[1, 2]", "not a dataguild ballot receipt"),
    ('{"format": "dataguild-receipt-v1"}', "lacks election_id"),
    (b"\xff\xfe", "not UTF-8"),
    ("x" * (receipts.MAX_RECEIPT_BYTES + 1), "over 16384 bytes"),
    (b"{" * (receipts.MAX_RECEIPT_BYTES + 1), "over 16384 bytes"),
])
def test_unreadable_receipts_get_a_clear_message(text: str | bytes, message: str) -> None:
    with pytest.raises(ReceiptUnreadable, match=message):
        parse_receipt(text)
