"""A server that holds every key can publish a forged record that passes every check of the record
alone: here it rewrites an early ballot and re-signs the leaves, the whole chain of tree heads and every
receipt. What catches it is a receipt a voter kept: it signs the head the board had when that voter
cast, and ``dataguild-verify --receipt`` finds that head missing from the forged chain (a fork).
Also: a record that drops heads, reorders them or starts after the creation head fails ``board.heads``."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from governance.signing import site_keys
from tests.voting.factories import cast, make_election
from tests.voting.verify_helpers import check, run_verify
from voting.counting import record_export
from voting.crypto.merkle import NO_PREVIOUS, SignedTreeHead
from voting.elections import board
from voting.elections.casting import open_tracking_code
from voting.elections.models import BoardEntry, Secrecy
from voting.record import canonical as record

YES, NO = [[1, 0, 0]], [[0, 1, 0]]


def _receipt_file(tmp: Path, name: str, receipt: record.Receipt) -> str:
    path = tmp / f"{name}.json"
    path.write_text(json.dumps(receipt.to_json()))
    return str(path)


def _forge(session, election, entry: BoardEntry, choices: list[list[int]]) -> None:
    """What a dishonest operator with the site's keys can do: change a ballot, then re-sign everything
    after it so that the record is internally consistent again."""
    keys = site_keys(session)
    entry.payload = {**entry.payload, "choices": choices}
    entry.tracking_code = open_tracking_code(election.fingerprint, entry.payload["ballot_ref"], choices)
    entry.leaf_hash = record.leaf_hash_hex(**board.leaf_fields(election, entry, board.roll_alias(session, entry)))
    session.flush()
    log, renamed, previous = board.merkle_log(session, election), {}, NO_PREVIOUS
    for head in board.tree_heads(session, election):
        old = board.head_hash(election, head)
        head.root, head.previous = log.root(head.size).hex(), previous.hex()
        head.signature = keys.sign_bls(SignedTreeHead.signed_message(
            bytes.fromhex(election.fingerprint), head.size, bytes.fromhex(head.root), head.timestamp, previous))
        previous = bytes.fromhex(board.head_hash(election, head))
        renamed[old] = previous.hex()
    for other, _alias in board.board_entries(session, election):
        other.receipt_head = renamed[other.receipt_head]
        fields = {k: v for k, v in board.receipt_for_entry(election, other).to_json().items()
                  if k not in ("format", "signature", "election")}
        other.receipt_signature = record.sign_receipt_fields(keys.sign_bip340, fingerprint=election.fingerprint,
                                                             **fields).signature
    session.flush()


def test_a_rewritten_ballot_re_signed_throughout_is_caught_by_a_later_voters_receipt(db_session, tmp_path):
    setup = make_election(db_session, secrecy=Secrecy.OPEN, voters=3)
    election, t = setup.election, setup.now
    receipts: dict[str, record.Receipt] = {}
    for n, (name, choices) in enumerate((("x", YES), ("y", NO), ("z", YES))):
        receipts[name] = cast(db_session, election, setup.voters[n + 1], choices,
                                     expected_previous=0, now=t + timedelta(minutes=n)).receipt
        db_session.commit()
    heads = board.tree_heads(db_session, election)
    assert [h.size for h in heads] == [0, 1, 2]  # created, then doubled twice; z's cast signed none
    assert receipts["y"].head == board.head_hash(election, heads[2])  # y's cast signed head 2
    assert receipts["z"].head == board.head_hash(election, heads[2])  # z saw the same head

    honest = record_export.election_record(db_session, election)
    code, out = run_verify(honest, tmp_path, "--receipt", _receipt_file(tmp_path, "z", receipts["z"]))
    assert code == 0, out
    assert "consistent with it (RFC 9162)" in out["receipt"]["details"]

    _forge(db_session, election, board.entry_by_index(db_session, election, 0), NO)  # x's yes becomes a no
    db_session.commit()
    forged = record_export.election_record(db_session, election)
    code, out = run_verify(forged, tmp_path)
    assert code == 0, out  # the record alone cannot tell: the server holds every key
    for name in ("y", "z"):
        code, out = run_verify(forged, tmp_path, "--receipt", _receipt_file(tmp_path, name, receipts[name]))
        assert code == 1
        assert out["receipt"]["status"] == "FAIL"
        assert any("not in the record's chain of heads" in p and "a fork" in p for p in out["receipt"]["problems"])
    code, out = run_verify(forged, tmp_path, "--receipt", _receipt_file(tmp_path, "x", receipts["x"]))
    assert code == 1  # x's own receipt: the ballot at its place is another one now
    assert "missing from the board" in out["receipt"]["details"]

    site = json.loads(json.dumps(receipts["z"].to_json()))
    from voting.elections.receipts import check_receipt, parse_receipt
    result = check_receipt(db_session, parse_receipt(site))
    assert {c.name: c.status for c in result.checks}["head_chain"] == "fail"  # the site's own page says so too


def _chain_record(db_session) -> dict[str, Any]:
    setup = make_election(db_session, secrecy=Secrecy.OPEN, voters=4)
    for n in range(4):
        cast(db_session, setup.election, setup.voters[n + 1], YES, expected_previous=0,
                    now=setup.now + timedelta(minutes=n))
        db_session.commit()
    rec = record_export.election_record(db_session, setup.election)
    assert [h["size"] for h in rec["tree_heads"]] == [0, 1, 2, 4]
    return rec


def test_heads_cannot_be_dropped_reordered_or_cut_from_the_start(db_session, tmp_path):
    rec = _chain_record(db_session)
    code, out = run_verify(rec, tmp_path)
    assert code == 0, out
    assert "chained from the creation head" in check(out, "board.heads")["details"]

    def fails(tampered: dict[str, Any], detail: str) -> None:
        code, out = run_verify(tampered, tmp_path)
        result = check(out, "board.heads")
        assert code == 1
        assert result["status"] == "FAIL", result
        assert any(detail in p for p in result["problems"]), result

    dropped = copy.deepcopy(rec)  # all but the first and the last: the attack the issue names
    dropped["tree_heads"] = [dropped["tree_heads"][0], dropped["tree_heads"][-1]]
    fails(dropped, "head 1 (size 4): previous is not the hash of head 0")
    swapped = copy.deepcopy(rec)
    swapped["tree_heads"][1], swapped["tree_heads"][2] = swapped["tree_heads"][2], swapped["tree_heads"][1]
    fails(swapped, "previous is not the hash of head 1")
    headless = copy.deepcopy(rec)
    headless["tree_heads"] = headless["tree_heads"][1:]
    fails(headless, "does not start at the creation head")
    relinked = copy.deepcopy(rec)  # the chain mended by hand: the signature no longer covers it
    relinked["tree_heads"] = [relinked["tree_heads"][0], relinked["tree_heads"][-1]]
    relinked["tree_heads"][1]["previous"] = board_hash(rec["tree_heads"][0])
    fails(relinked, "head 1 (size 4): signature does not verify")
    other_head = copy.deepcopy(rec)  # a receipt that names a head the record lacks
    other_head["board"][2]["receipt_head"] = "ab" * 32
    fails(other_head, "leaf 2: its receipt names a tree head that is not in the chain")
    stale = copy.deepcopy(rec)  # a receipt that names an older head than the latest at its cast
    stale["board"][3]["receipt_head"] = stale["board"][0]["receipt_head"]
    fails(stale, "leaf 3: its receipt names a head other than the latest one when it was cast")


def board_hash(head: dict[str, Any]) -> str:
    return SignedTreeHead.from_json({k: head[k] for k in ("fingerprint", "size", "root", "timestamp", "previous",
                                                          "signature")}).head_hash().hex()


def test_a_version_1_receipt_for_a_version_2_record_is_refused(db_session, tmp_path):
    rec = _chain_record(db_session)
    entry = rec["board"][1]
    receipt = record.Receipt(election_id=rec["election_id"], fingerprint=rec["fingerprint"], leaf_index=1,
                             kind="cast", tracking_code=entry["tracking_code"], cast_at=entry["cast_at"],
                             leaf_hash=entry["leaf_hash"], server_public_key=rec["keys"]["receipt_public_key"],
                             signature=entry["receipt_signature"])  # head dropped
    code, out = run_verify(rec, tmp_path, "--receipt", _receipt_file(tmp_path, "v1", receipt))
    assert code == 1
    assert any("a version-1 receipt" in p for p in out["receipt"]["problems"])
