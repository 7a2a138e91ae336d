"""The tamper suite of ``dataguild-verify``: starting from REAL records (real ceremony, casting, counting
and signing, exported by voting.counting.record_export), every tampering the issue lists makes the verifier
fail with the right check named; the untampered records pass. The base records are built once per
module (on SQLite: the verifier never sees the database) and deep-copied per case."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.voting.verify_helpers import cached_records, check, run_verify
from voting.record import document as er
from voting.record import tally
from voting.record.verify_ballots import PassContext, check_board


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return cached_records(tmp_path_factory.getbasetemp())


@pytest.fixture
def tmp(tmp_path: Path) -> Path:
    return tmp_path


def _fails(rec: dict[str, Any], tmp: Path, name: str, detail: str, *extra: str) -> dict[str, Any]:
    code, out = run_verify(rec, tmp, *extra)
    result = check(out, name)
    assert code == 1, out
    assert result["status"] == "FAIL", result
    assert any(detail in p for p in result["problems"]), result
    return out


def _selections(rec: dict[str, Any], leaf: int) -> list[dict[str, Any]]:
    return rec["board"][leaf]["payload"]["answers"][0]["selections"]


def _rehash(rec: dict[str, Any], leaf: int) -> None:
    """Recompute a tampered leaf's hash, as a forger would (the receipt then no longer verifies)."""
    from voting.record import canonical as record

    rec["board"][leaf]["leaf_hash"] = record.leaf_hash_hex(**er.leaf_fields(rec, rec["board"][leaf]))


# ---------------------------------------------------------------- untampered records pass

@pytest.mark.parametrize("name", ["secret", "quadratic", "open", "cancelled"])
def test_untampered_records_pass(records, tmp, name):
    code, out = run_verify(records[name], tmp)
    assert code == 0, [c for c in out["checks"] if c["status"] != "PASS"]
    assert [c["name"] for c in out["checks"]] == list(er.CHECKS)
    assert out["ok"] is True


# ---------------------------------------------------------------- ballots

def test_altered_ciphertext(records, tmp):
    rec = copy.deepcopy(records["secret"])
    sel = _selections(rec, 0)
    sel[0]["ciphertext"][1] = sel[1]["ciphertext"][1]
    out = _fails(rec, tmp, "ballots", "ballot 0")
    assert check(out, "board.leaves")["status"] == "FAIL"


def test_altered_ciphertext_with_the_leaf_rehashed(records, tmp):
    rec = copy.deepcopy(records["secret"])
    sel = _selections(rec, 0)
    sel[0]["ciphertext"][0] = sel[1]["ciphertext"][0]
    _rehash(rec, 0)
    _fails(rec, tmp, "ballots", "ballot 0")
    _fails(rec, tmp, "board.receipts", "leaf 0: receipt signature does not verify")
    _fails(rec, tmp, "board.heads", "root is not the Merkle root")


def test_altered_proof(records, tmp):
    rec = copy.deepcopy(records["secret"])
    proof = _selections(rec, 2)[1]["proof"]
    key = next(k for k, v in proof.items() if isinstance(v, list) and v and isinstance(v[0], str))
    value = proof[key][0]
    proof[key][0] = value[:-1] + ("0" if value[-1] != "0" else "1")
    _fails(rec, tmp, "ballots", "ballot 2 question 0 option 1")


@pytest.mark.parametrize("source", ["ballot", "option", "election"])
def test_proof_replayed(records, tmp, source):
    rec = copy.deepcopy(records["secret"])
    target = _selections(rec, 0)
    if source == "ballot":
        target[0] = copy.deepcopy(_selections(rec, 2)[0])
    elif source == "option":
        target[0]["proof"] = copy.deepcopy(target[1]["proof"])
    else:
        target[0] = copy.deepcopy(_selections(records["cancelled"], 0)[0])
    _fails(rec, tmp, "ballots", "ballot 0 question 0 option 0")


def test_two_options_swapped(records, tmp):
    rec = copy.deepcopy(records["secret"])
    sel = _selections(rec, 0)
    sel[0], sel[1] = sel[1], sel[0]
    _fails(rec, tmp, "ballots", "ballot 0 question 0 option 0")  # the first option whose proof fails
    _fails(rec, tmp, "board.leaves", "leaf 0: the leaf hash does not match")


def test_audited_ballot_that_does_not_reopen(records, tmp):
    rec = copy.deepcopy(records["secret"])
    reveal = rec["board"][3]["payload"]["reveal"]
    reveal["answers"][0]["values"] = [1, 0, 0] if reveal["answers"][0]["values"] != [1, 0, 0] else [0, 1, 0]
    _fails(rec, tmp, "audits", "audited ballot 3")


# ---------------------------------------------------------------- the board

def test_a_ballot_dropped(records, tmp):
    rec = copy.deepcopy(records["secret"])
    del rec["board"][0]
    _fails(rec, tmp, "board.leaves", "entry 0 has leaf index 1")
    _fails(rec, tmp, "board.heads", "root is not the Merkle root")
    _fails(rec, tmp, "tally", "leaf 0")


def test_a_ballot_added_after_close(records, tmp):
    rec = copy.deepcopy(records["secret"])
    extra = copy.deepcopy(rec["board"][0])
    extra.update(leaf_index=len(rec["board"]), cast_at=rec["exported_at"])
    rec["board"].append(extra)
    _rehash(rec, len(rec["board"]) - 1)
    _fails(rec, tmp, "board.leaves", "after close")


def test_superseded_ballot_counted(records, tmp):
    rec = copy.deepcopy(records["secret"])
    rec["tally"]["counted_leaves"] = [0, 1, 4]
    _fails(rec, tmp, "tally", "leaf 1 is superseded by leaf 2")


def test_superseded_ballot_no_longer_marked(records, tmp):
    rec = copy.deepcopy(records["secret"])
    rec["board"][1]["superseded_by"] = None
    _fails(rec, tmp, "board.supersession", "leaf 1: superseded_by is None")


def test_audited_ballot_counted(records, tmp):
    rec = copy.deepcopy(records["secret"])
    rec["tally"]["counted_leaves"] = [0, 2, 3, 4]
    rec["tally"]["ballots"] = 4
    _fails(rec, tmp, "tally", "leaf 3 is an audited ballot")


def test_roll_entry_duplicated(records, tmp):
    rec = copy.deepcopy(records["secret"])
    rec["roll"] = sorted([*rec["roll"], rec["roll"][0]])
    _fails(rec, tmp, "roll", "is on the roll more than once")


def test_tree_head_inconsistent_with_an_earlier_one(records, tmp):
    rec = copy.deepcopy(records["secret"])
    heads = rec["tree_heads"]
    heads[2]["root"] = heads[3]["root"]
    _fails(rec, tmp, "board.heads", "head 2 (size 2): root is not the Merkle root")
    rec = copy.deepcopy(records["secret"])
    rec["tree_heads"][3]["timestamp"] = rec["tree_heads"][2]["timestamp"] - 1
    _fails(rec, tmp, "board.heads", "timestamp goes backwards")


# ---------------------------------------------------------------- counting

def test_altered_encrypted_tally(records, tmp):
    rec = copy.deepcopy(records["secret"])
    row = rec["tally"]["questions"][0]
    row[0]["ciphertext"] = row[1]["ciphertext"]
    _fails(rec, tmp, "tally", "question 0 option 0: the encrypted tally is not the sum")


def test_altered_decryption_share(records, tmp):
    rec = copy.deepcopy(records["secret"])
    shares = rec["decryptions"][0]["shares"][0]
    shares[0]["share"] = shares[1]["share"]
    out = _fails(rec, tmp, "decryptions", "trustee 1 question 0 option 0")
    assert check(out, "result")["status"] == "SKIP"


def test_result_not_matching_the_decryption(records, tmp):
    rec = copy.deepcopy(records["secret"])
    rec["result"]["totals"] = [[3, 0, 0]]
    _fails(rec, tmp, "result", "do not match the decryption")
    _fails(rec, tmp, "certificate", "does not verify")


def test_open_result_not_matching_the_choices(records, tmp):
    rec = copy.deepcopy(records["open"])
    rec["result"]["totals"] = [[1, 1, 1]]
    _fails(rec, tmp, "result", "do not match the open ballots' choices")


# ---------------------------------------------------------------- signatures

def test_bad_tree_head_signature(records, tmp):
    rec = copy.deepcopy(records["secret"])
    heads = rec["tree_heads"]
    heads[1]["signature"], heads[2]["signature"] = heads[2]["signature"], heads[1]["signature"]
    _fails(rec, tmp, "board.heads", "head 1 (size 1): signature does not verify")


@pytest.mark.parametrize(("signature", "detail"), [
    ("identity", "signature does not verify with the board key: the signature is the point at infinity"),
    ("outside", "signature does not verify with the board key: the signature is not in the G2 subgroup"),
    ("off curve", "signature does not verify with the board key: the signature is not a point on the curve"),
    ("upper", "the signature is not 96 bytes of lowercase hex"),
])
def test_tree_head_signature_that_is_no_valid_point(records, tmp, signature, detail):
    from tests.voting.crypto.test_bls_batch import INFINITY, _off_curve, _outside_subgroup

    rec = copy.deepcopy(records["secret"])
    head = rec["tree_heads"][2]
    head["signature"] = {"identity": INFINITY.hex(), "outside": _outside_subgroup().hex(),
                         "off curve": _off_curve().hex(), "upper": head["signature"].upper()}[signature]
    _fails(rec, tmp, "board.heads", f"head 2 (size 2): {detail}")


def test_bad_receipt_signature(records, tmp):
    rec = copy.deepcopy(records["secret"])
    board = rec["board"]
    board[0]["receipt_signature"], board[2]["receipt_signature"] = (board[2]["receipt_signature"],
                                                                    board[0]["receipt_signature"])
    _fails(rec, tmp, "board.receipts", "leaf 0: receipt signature does not verify")


def test_bad_result_certificate(records, tmp):
    rec = copy.deepcopy(records["secret"])
    rec["certificate"]["signers"] = [1, 2]
    _fails(rec, tmp, "certificate", "does not verify")
    rec["certificate"]["signers"] = [1]
    _fails(rec, tmp, "certificate", "2 needed")


def test_bad_ceremony_message_signature(records, tmp):
    rec = copy.deepcopy(records["secret"])
    announcements = rec["committee"]["announcements"]
    announcements[0]["signature"] = announcements[1]["signature"]
    _fails(rec, tmp, "committee", "announcement signature")


def test_bad_commitment_signature(records, tmp):
    rec = copy.deepcopy(records["secret"])
    commitments = rec["committee"]["commitments"]
    commitments[0]["signature"] = commitments[1]["signature"]
    _fails(rec, tmp, "committee", "commitment signature")


# ---------------------------------------------------------------- receipts

@pytest.mark.parametrize(("leaf", "says"), [("a", "counted"), ("b-first", "superseded by leaf 2"),
                                            ("c-audit", "audited")])
def test_receipt_of_a_ballot_on_the_board(records, tmp, leaf, says):
    path = tmp / "receipt.json"
    import json

    path.write_text(json.dumps(records["receipts"][leaf]))
    code, out = run_verify(records["secret"], tmp, "--receipt", str(path))
    assert code == 0
    assert out["receipt"]["status"] == "PASS"
    assert says in out["receipt"]["details"]


def test_a_receipt_whose_ballot_is_missing(records, tmp):
    import json

    rec = copy.deepcopy(records["secret"])
    rec["board"][0]["tracking_code"] = rec["board"][2]["tracking_code"]
    path = tmp / "receipt.json"
    path.write_text(json.dumps(records["receipts"]["a"]))
    _fails(rec, tmp, "receipt", "missing from the board", "--receipt", str(path))
    forged = dict(records["receipts"]["a"], signature=records["receipts"]["b"]["signature"])
    path.write_text(json.dumps(forged))
    _fails(records["secret"], tmp, "receipt", "signature does not verify", "--receipt", str(path))


# ---------------------------------------------------------------- a property: any hex change in a ballot

def _hex_paths(value: Any, path: tuple = ()) -> list[tuple]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _hex_paths(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _hex_paths(v, (*path, i))]
    if isinstance(value, str) and len(value) >= 64 and all(c in "0123456789abcdef" for c in value):
        return [path]
    return []


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_change_of_a_hex_field_in_a_ballot_is_detected(records, data):
    rec = records["secret"]
    leaf = data.draw(st.sampled_from([0, 1, 2, 4]), label="leaf")
    entry = copy.deepcopy(rec["board"][leaf])
    path = data.draw(st.sampled_from(_hex_paths(entry["payload"])), label="field")
    holder = entry["payload"]
    for step in path[:-1]:
        holder = holder[step]
    text = holder[path[-1]]
    at = data.draw(st.integers(0, len(text) - 1), label="position")
    holder[path[-1]] = text[:at] + data.draw(st.sampled_from([c for c in "0123456789abcdef" if c != text[at]])) \
        + text[at + 1:]
    manifest = rec["manifest"]
    ctx = PassContext(election_id=rec["election_id"], fingerprint=rec["fingerprint"], secrecy="secret",
                      receipt_key=rec["keys"]["receipt_public_key"], specs=tally.specs_of(manifest),
                      election_key=bytes.fromhex(manifest["election_key"]), counted=frozenset())
    result = check_board(ctx, [entry], workers=1)
    assert result.ballots or result.leaves, (path, at)


# ---------------------------------------------------------------- a ceremony with complaints

def test_a_ceremony_with_an_upheld_and_a_false_complaint_verifies_and_its_verdicts_cannot_be_forged(
        db_session, tmp_path):
    """Dealer 1 cheated (trustee 2's complaint is upheld, dealer 1 disqualified); trustee 3 falsely
    accused dealer 2. The record verifies; claiming dealer 1 qualified, or dropping the complaint,
    fails the committee check."""
    from tests.conftest import make_member
    from tests.voting.committee_helpers import complaint_ceremony
    from tests.voting.counting_helpers import make_secret_election
    from voting.counting import record_export

    steward = make_member(db_session, "verify-ceremony@example.org", roles=("member", "steward"))
    committee, _seats = complaint_ceremony(db_session, steward, "vcx")
    setup = make_secret_election(db_session, committee, voters=2)
    db_session.commit()
    rec = record_export.election_record(db_session, setup.election)

    code, out = run_verify(rec, tmp_path)
    assert code == 0, [c for c in out["checks"] if c["status"] == "FAIL"]
    assert check(out, "committee")["counts"] == {"trustees": 3, "qualified": 2, "complaints": 2}

    dropped = copy.deepcopy(rec)
    dropped["committee"]["complaints"] = dropped["committee"]["complaints"][1:]
    _fails(dropped, tmp_path, "committee", "dealer 1 is disqualified in the record's joint key, but nothing")
