"""The record test vectors (docs/record-vectors/): one real record and its hashes worked through.

``write_vectors`` (run by ``python -m tests.voting.record_scenarios``) writes ``record.json`` (the
canonical record of a decided 2-of-3 secret election with an audited and a superseded ballot) and
``expected.json`` (:func:`worked`: every intermediate byte string and hash a verifier computes, for
one example of each kind). ``tests/voting/record/test_record_vectors.py`` recomputes ``expected.json``
from ``record.json`` with the current code, so the vectors fail the tests the moment they no longer
match it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from voting.crypto import merkle
from voting.crypto.ballot import EncryptedBallot
from voting.crypto.hashing import encode
from voting.crypto.merkle import SignedTreeHead
from voting.record import canonical as record
from voting.record import document as er
from voting.record import tally

VECTORS = Path(__file__).resolve().parents[2] / "docs" / "record-vectors"


def _text(data: bytes) -> str:
    return data.decode("utf-8")


def _leaf(rec: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    fields = er.leaf_fields(rec, entry)
    payload_bytes = record.canonical_bytes(fields["payload"])
    document = record.leaf_document(**fields)
    leaf_bytes = record.canonical_bytes(document)
    receipt = er.receipt_of(rec, entry)
    receipt_doc = {k: v for k, v in receipt.to_json().items() if k != "signature"}
    out = {
        "leaf_index": entry["leaf_index"], "kind": entry["kind"],
        "payload_compressed_canonical": _text(payload_bytes),
        "payload_hash": hashlib.sha256(payload_bytes).hexdigest(),
        "leaf_document_canonical": _text(leaf_bytes),
        "leaf_hash": merkle.leaf_hash(leaf_bytes).hex(),
        "receipt_document_canonical": _text(record.canonical_bytes(receipt_doc)),
        "receipt_head": entry["receipt_head"],
        "receipt_message": receipt.message().hex(),
        "receipt_signature": receipt.signature,
    }
    ballot_json = fields["payload"]["ballot"] if entry["kind"] == "audited" else fields["payload"]
    if rec["manifest"]["secrecy"] == "secret":
        ballot = EncryptedBallot.from_json(ballot_json)
        encoded = encode(*ballot.canonical_items())
        out["tracking_code_input"] = encoded.hex()
        out["tracking_code"] = hashlib.sha256(encoded).hexdigest()
    return out


def worked(rec: dict[str, Any]) -> dict[str, Any]:
    """Every hash of the record worked through, from the record alone (pure functions only)."""
    manifest_bytes = record.canonical_bytes(rec["manifest"])
    roll_bytes = record.canonical_bytes(sorted(rec["roll"]))
    hashes = [bytes.fromhex(e["leaf_hash"]) for e in rec["board"]]
    log = merkle.MerkleLog()
    for h in hashes:
        log.append_hash(h)
    head = rec["tree_heads"][-1]
    head_message = SignedTreeHead.signed_message(bytes.fromhex(rec["fingerprint"]), head["size"],
                                                 bytes.fromhex(head["root"]), head["timestamp"],
                                                 bytes.fromhex(head["previous"]))
    first_cast = next(e for e in rec["board"] if e["kind"] == "cast")
    audited = next(e for e in rec["board"] if e["kind"] == "audited")
    result_message = tally.result_message(rec["result"])
    counted = tally.counted_leaves(er.board_leaves(rec))
    outcome = rec["outcome"]
    return {
        "record_sha256": er.record_digest(rec),
        "manifest_canonical": _text(manifest_bytes),
        "fingerprint": hashlib.sha256(manifest_bytes).hexdigest(),
        "roll_canonical": _text(roll_bytes),
        "roll_hash": hashlib.sha256(roll_bytes).hexdigest(),
        "leaves": [_leaf(rec, first_cast), _leaf(rec, audited)],
        "tree": {
            "leaf_hashes": [h.hex() for h in hashes],
            "node_0_1": merkle.node_hash(hashes[0], hashes[1]).hex(),
            "roots_by_size": {str(size): log.root(size).hex() for size in range(len(hashes) + 1)},
            "final_head": {"size": head["size"], "root": head["root"], "timestamp": head["timestamp"],
                           "previous": head["previous"], "signed_message": head_message.hex(),
                           "head_hash": hashlib.sha256(head_message).hexdigest(), "signature": head["signature"],
                           "signing_key": head["signing_key"]},
            "head_chain": [{"size": h["size"], "previous": h["previous"],
                            "head_hash": merkle.head_hash(bytes.fromhex(rec["fingerprint"]), h["size"],
                                                          bytes.fromhex(h["root"]), h["timestamp"],
                                                          bytes.fromhex(h["previous"])).hex()}
                           for h in rec["tree_heads"]],
        },
        "counted_leaves": [leaf.leaf_index for leaf in counted],
        "superseded": {str(e["leaf_index"]): e["superseded_by"] for e in rec["board"]
                       if e["superseded_by"] is not None},
        "decryption_position_q0_o0": encode(*tally.position(rec["fingerprint"], 0, 0)).hex(),
        "result_message_canonical": _text(result_message),
        "result_hash": hashlib.sha256(result_message).hexdigest(),
        "certificate": {"signers": rec["certificate"]["signers"], "signature": rec["certificate"]["signature"]},
        "outcome": {"inputs": er.outcome_inputs(rec["manifest"], rec["result"], outcome["rule"]["alternatives"]),
                    "decided": list(er.decide(outcome["rule"], outcome["inputs"]))},
    }


def selected_values(expected: dict[str, Any]) -> str:
    """The "Selected values" list of docs/record-spec.md §8, from expected.json (a test keeps them equal)."""
    leaf, tree, head = expected["leaves"][0], expected["tree"], expected["tree"]["final_head"]
    message = head["signed_message"]
    fingerprint = expected["fingerprint"]
    return "\n".join([
        f"- fingerprint `{fingerprint}`; roll hash",
        f"  `{expected['roll_hash']}` of",
        f"  `{expected['roll_canonical']}`.",
        "- leaf 0, document (canonical):",
        "",
        "  ```",
        f"  {leaf['leaf_document_canonical']}",
        "  ```",
        "",
        f"  leaf hash `SHA-256(00 ‖ that)` = `{leaf['leaf_hash']}`; its receipt names head",
        f"  `{leaf['receipt_head']}`.",
        "- receipt message of leaf 0 = SHA-256 of",
        "",
        "  ```",
        f"  {leaf['receipt_document_canonical']}",
        "  ```",
        "",
        f"  = `{leaf['receipt_message']}`.",
        f"- `node(leaf 0, leaf 1)` = root of size 2 = `{tree['node_0_1']}`;",
        f"  root of the {head['size']} leaves (final head, timestamp {head['timestamp']}) =",
        f"  `{head['root']}`; its `previous` is `{head['previous']}`, its signed message",
        f"  `{message}`",
        f"  and its head hash `{head['head_hash']}`; the chain has {len(tree['head_chain'])} heads, sizes "
        f"{', '.join(str(h['size']) for h in tree['head_chain'])}.",
        "- result message (v2: with the outcome)",
        f"  `{expected['result_message_canonical']}`,",
        f"  SHA-256 (`record_hash`) `{expected['result_hash']}`.",
    ])


def write_vectors(session: Any, election: Any, out: Path = VECTORS) -> None:
    from voting.counting import record_export

    rec = record_export.election_record(session, election)
    data = er.record_bytes(rec)
    out.mkdir(parents=True, exist_ok=True)
    (out / "record.json").write_bytes(data)
    (out / "expected.json").write_bytes(record.canonical_bytes(worked(er.record_from_bytes(data))) + b"\n")
