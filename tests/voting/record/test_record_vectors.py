"""The committed test vectors (docs/record-vectors/) still match the code: the record is canonical,
every worked hash in expected.json recomputes from record.json, and every signature and proof in it
verifies. Regenerate with ``python -m tests.voting.record_scenarios`` (and update docs/record-spec.md
where it quotes them) when a format changes on purpose."""

from __future__ import annotations

import json
from pathlib import Path

from tests.voting.record_vectors import VECTORS, selected_values, worked
from voting.crypto import bls
from voting.crypto.ballot import EncryptedBallot, check_audited_ballot, verify_ballot
from voting.crypto.elgamal import ElectionKey
from voting.crypto.group import Point
from voting.crypto.merkle import SignedTreeHead
from voting.record import canonical as record
from voting.record import document as er
from voting.record import tally


def _record() -> dict:
    data = (VECTORS / "record.json").read_bytes()
    rec = er.record_from_bytes(data)
    assert er.record_bytes(rec) == data, "record.json is not in canonical form"
    return rec


def test_the_worked_hashes_recompute_from_the_record():
    rec = _record()
    expected = json.loads((VECTORS / "expected.json").read_bytes())
    assert worked(rec) == expected


def test_the_spec_quotes_the_committed_vectors():
    """docs/record-spec.md §8 "Selected values" are the committed vectors' (regenerating changes both)."""
    expected = json.loads((VECTORS / "expected.json").read_bytes())
    spec = (Path(__file__).resolve().parents[3] / "docs" / "record-spec.md").read_text(encoding="utf-8")
    assert selected_values(expected) in spec


def test_the_vector_record_is_the_promised_election():
    rec = _record()
    assert rec["state"] == "decided"
    assert rec["committee"]["ceremony"]["n"] == 3
    assert rec["committee"]["ceremony"]["k"] == 2
    assert [e["kind"] for e in rec["board"]].count("audited") == 1
    assert sum(e["superseded_by"] is not None for e in rec["board"]) == 1
    assert rec["result"]["turnout"] == 3


def test_every_signature_and_proof_in_the_vectors_verifies():
    rec = _record()
    fingerprint = bytes.fromhex(rec["fingerprint"])
    for entry in rec["board"]:
        assert record.leaf_hash_hex(**er.leaf_fields(rec, entry)) == entry["leaf_hash"]
        record.verify_receipt(er.receipt_of(rec, entry), rec["keys"]["receipt_public_key"])
    board_key = bls.BlsPublicKey.from_hex(rec["keys"]["board_public_key"])
    for head in rec["tree_heads"]:
        SignedTreeHead.from_json({k: head[k] for k in ("fingerprint", "size", "root", "timestamp", "previous",
                                                        "signature")}
                                 ).verify(board_key)
    specs = tally.specs_of(rec["manifest"])
    key = ElectionKey(Point.from_hex(rec["manifest"]["election_key"]))
    for entry in rec["board"]:
        ballot = EncryptedBallot.from_json(entry["payload"]["ballot"] if entry["kind"] == "audited"
                                           else entry["payload"])
        verify_ballot(ballot, specs, key, fingerprint)
        assert ballot.tracking_code() == entry["tracking_code"]
        if entry["kind"] == "audited":
            check_audited_ballot(ballot, entry["payload"]["reveal"], key)
    counted = tally.counted_leaves(er.board_leaves(rec))
    assert tally.tally_document(rec["fingerprint"], specs, counted, rec["tally"]["board_size"]) == rec["tally"]
    joint = tally.joint_key_of_manifest(rec["manifest"])
    ciphertexts = tally.tally_from_document(rec["tally"])
    shares = {}
    for item in rec["decryptions"]:
        shares[item["trustee_index"]] = tally.parse_shares(item["shares"], [len(q) for q in ciphertexts])
        tally.verify_shares(joint, rec["fingerprint"], ciphertexts, shares[item["trustee_index"]],
                            item["trustee_index"])
    assert tally.combine(joint, rec["fingerprint"], rec["tally"], shares) == rec["result"]["totals"]
    tally.verify_certificate(rec["manifest"], rec["result"], rec["certificate"])
