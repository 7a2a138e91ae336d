"""voting.record.canonical (pure): canonical JSON, fingerprints, roll hash, leaf documents, receipts."""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from voting.crypto import bip340, bls, merkle
from voting.crypto.ballot import ChoiceQuestion
from voting.crypto.errors import InvalidEncoding, InvalidSignature
from voting.record import canonical as record
from voting.record.canonical import Receipt

SERVER_SECRET = bytes.fromhex("0b" * 32)
SERVER_PUBLIC = bip340.pubkey_from_secret(SERVER_SECRET).hex()
FP = "ab" * 32
TC = "cd" * 32


def sign(message: bytes) -> str:
    return bip340.sign(SERVER_SECRET, message, aux_rand=bytes(32)).hex()


def leaf_fields(**changes: object) -> dict[str, object]:
    fields: dict[str, object] = {"fingerprint": FP, "leaf_index": 3, "kind": "cast", "alias": "voter-abcdefgh",
                                 "tracking_code": TC, "cast_at": "2026-03-01T12:00:00Z",
                                 "payload": {"choices": [[1, 0, 0]]}}
    return {**fields, **changes}


def make_receipt(**changes: object) -> Receipt:
    fields = {"election_id": 7, "fingerprint": FP, "leaf_index": 3, "kind": "cast", "tracking_code": TC,
              "cast_at": "2026-03-01T12:00:00Z", "leaf_hash": "ef" * 32, "server_public_key": SERVER_PUBLIC,
              "head": "a1" * 32, **changes}
    return record.sign_receipt_fields(sign, **fields)


# ---------------------------------------------------------------- canonical JSON and hashes

def test_canonical_bytes_sorts_keys_and_drops_whitespace() -> None:
    assert record.canonical_bytes({"b": [1, "é"], "a": None}) == '{"a":null,"b":[1,"é"]}'.encode()


@pytest.mark.parametrize("value", [1.5, {"a": [0.0]}, [{"x": {"y": 2.0}}]])
def test_canonical_bytes_refuses_floats(value: object) -> None:
    with pytest.raises(InvalidEncoding, match="floats"):
        record.canonical_bytes(value)


def test_fingerprint_is_sha256_of_canonical_manifest_and_sees_every_change() -> None:
    manifest = {"format": record.MANIFEST_FORMAT, "election_id": 1, "window": {"opens_at": "x"}}
    expected = hashlib.sha256(record.canonical_bytes(manifest)).hexdigest()
    assert record.manifest_fingerprint(manifest) == expected
    assert record.manifest_fingerprint({**manifest, "election_id": 2}) != expected
    assert record.manifest_fingerprint({**manifest, "window": {"opens_at": "y"}}) != expected


def test_roll_hash_ignores_order_but_not_content() -> None:
    assert record.roll_hash(["voter-b", "voter-a"]) == record.roll_hash(["voter-a", "voter-b"])
    assert record.roll_hash(["voter-a", "voter-b"]) == hashlib.sha256(b'["voter-a","voter-b"]').hexdigest()
    assert record.roll_hash(["voter-a"]) != record.roll_hash(["voter-a", "voter-b"])


def test_iso_seconds_is_utc_without_fractions() -> None:
    moment = datetime(2026, 3, 1, 13, 0, 5, 999999, tzinfo=timezone(timedelta(hours=1)))
    assert record.iso_seconds(moment) == "2026-03-01T12:00:05Z"
    assert record.iso_seconds(datetime(2026, 3, 1, 12, 0, 5)) == "2026-03-01T12:00:05Z"  # naive = UTC
    assert record.parse_iso_seconds("2026-03-01T12:00:05Z") == datetime(2026, 3, 1, 12, 0, 5, tzinfo=UTC)


@pytest.mark.parametrize("text", ["2026-03-01 12:00:05", "2026-03-01T12:00:05.1Z", "2026-02-30T12:00:05Z", 5, None])
def test_parse_iso_seconds_refuses_other_forms(text: object) -> None:
    with pytest.raises(InvalidEncoding):
        record.parse_iso_seconds(text)


# ---------------------------------------------------------------- leaves

def test_leaf_document_binds_the_payload_by_hash() -> None:
    doc = record.leaf_document(**leaf_fields())
    assert doc["payload_hash"] == record.sha256_hex({"choices": [[1, 0, 0]]})
    assert "payload" not in doc
    assert record.leaf_bytes(**leaf_fields()) == record.canonical_bytes(doc)
    assert record.leaf_hash_hex(**leaf_fields()) == merkle.leaf_hash(record.canonical_bytes(doc)).hex()


@pytest.mark.parametrize("change", [
    {"fingerprint": "00" * 32}, {"leaf_index": 4}, {"kind": "audited"}, {"alias": "voter-zzzzzzzz"},
    {"tracking_code": "00" * 32}, {"cast_at": "2026-03-01T12:00:01Z"}, {"payload": {"choices": [[0, 1, 0]]}},
])
def test_every_leaf_field_changes_the_leaf_hash(change: dict[str, object]) -> None:
    assert record.leaf_hash_hex(**leaf_fields(**change)) != record.leaf_hash_hex(**leaf_fields())


@pytest.mark.parametrize("change", [{"kind": "counted"}, {"leaf_index": -1}, {"leaf_index": True}])
def test_leaf_document_refuses_bad_fields(change: dict[str, object]) -> None:
    with pytest.raises(InvalidEncoding):
        record.leaf_document(**leaf_fields(**change))


# ---------------------------------------------------------------- receipts

def test_receipt_signature_verifies_and_round_trips_through_json() -> None:
    receipt = make_receipt()
    record.verify_receipt(receipt, SERVER_PUBLIC)
    data = receipt.to_json()
    assert set(data) == set(record._RECEIPT_FIELDS)
    assert Receipt.from_json(data) == receipt
    unsigned = {k: v for k, v in data.items() if k != "signature"}
    assert receipt.message() == hashlib.sha256(record.canonical_bytes(unsigned)).digest()
    assert len(receipt.message()) == 32


def test_a_version_1_receipt_still_reads_and_verifies() -> None:
    receipt = make_receipt(head=None)
    data = receipt.to_json()
    assert data["format"] == record.RECEIPT_FORMAT_V1
    assert "head" not in data
    assert Receipt.from_json(data) == receipt
    record.verify_receipt(receipt, SERVER_PUBLIC)
    with pytest.raises(InvalidEncoding, match="lacks head"):
        Receipt.from_json({**data, "format": record.RECEIPT_FORMAT})
    with pytest.raises(InvalidEncoding, match="unknown head"):
        Receipt.from_json({**make_receipt().to_json(), "format": record.RECEIPT_FORMAT_V1})


def test_receipt_verifies_with_another_bip340_library() -> None:
    coincurve = pytest.importorskip("coincurve")
    receipt = make_receipt()
    key = coincurve.PublicKeyXOnly(bytes.fromhex(receipt.server_public_key))
    assert key.verify(bytes.fromhex(receipt.signature), receipt.message())
    assert not key.verify(bytes.fromhex(receipt.signature), replace(receipt, leaf_index=4).message())


@pytest.mark.parametrize("change", [
    {"election_id": 8}, {"fingerprint": "00" * 32}, {"leaf_index": 2}, {"kind": "audited"},
    {"tracking_code": "00" * 32}, {"cast_at": "2026-03-01T12:00:01Z"}, {"leaf_hash": "00" * 32},
    {"head": "00" * 32}, {"head": None},
])
def test_tampering_with_any_receipt_field_breaks_the_signature(change: dict[str, object]) -> None:
    tampered = replace(make_receipt(), **change)
    with pytest.raises(InvalidSignature):
        record.verify_receipt(tampered, SERVER_PUBLIC)


def test_receipt_from_another_server_key_is_refused() -> None:
    other_public = bip340.pubkey_from_secret(bytes.fromhex("0c" * 32)).hex()
    with pytest.raises(InvalidSignature, match="different server key"):
        record.verify_receipt(make_receipt(), other_public)
    forged = replace(make_receipt(), server_public_key=other_public)
    with pytest.raises(InvalidSignature):
        record.verify_receipt(forged, other_public)


@pytest.mark.parametrize(("change", "message"), [
    ({"format": "dataguild-receipt-v0"}, "unknown receipt format"),
    ({"kind": "counted"}, "kind"),
    ({"leaf_index": -1}, "leaf_index"),
    ({"leaf_index": "3"}, "leaf_index"),
    ({"election_id": True}, "election_id"),
    ({"election": "AB" * 32}, "fingerprint"),
    ({"tracking_code": "cd" * 31}, "tracking_code"),
    ({"signature": "00" * 63}, "signature"),
    ({"cast_at": "yesterday"}, "cast_at"),
    ({"extra": 1}, "unknown extra"),
])
def test_receipt_from_json_refuses_malformed_receipts(change: dict[str, object], message: str) -> None:
    data = {**make_receipt().to_json(), **change}
    with pytest.raises(InvalidEncoding, match=message):
        Receipt.from_json(data)


def test_receipt_from_json_names_missing_fields() -> None:
    data = make_receipt().to_json()
    del data["leaf_hash"]
    with pytest.raises(InvalidEncoding, match="lacks leaf_hash"):
        Receipt.from_json(data)
    with pytest.raises(InvalidEncoding, match="JSON object"):
        Receipt.from_json([data])


# ---------------------------------------------------------------- the worked example of docs/elections.md

DOC = Path(__file__).resolve().parents[3] / "docs" / "elections.md"


@functools.cache
def _doc_example() -> dict[str, str]:
    """Recompute every value of the worked example from its inputs (as the document states them)."""
    bls_secret = bls.keygen(bytes(range(32)))
    bip_secret = bytes.fromhex("00" * 31 + "03")
    aliases = ["voter-c4kq7m2a", "voter-7hzd3xwe", "voter-pq5tnb6r"]
    manifest = record.manifest_document(
        election_id=1, cooperative="Example data cooperative",
        proposal={"id": 12, "kind": "data_use_rule", "title": "No training of generative models", "version": 2,
                  "content_hash": "5d" * 32},
        method="one_member_one_vote", secrecy="open", questions=[ChoiceQuestion.yes_no_abstain().to_json()],
        opens_at=datetime(2026, 3, 1, 9, 0, tzinfo=UTC), closes_at=datetime(2026, 3, 8, 9, 0, tzinfo=UTC),
        roll_size=3, roll_hash_hex=record.roll_hash(aliases), election_key=None, committee=None,
        board_public_key=bls_secret.public_key().to_hex(),
        receipt_public_key=bip340.pubkey_from_secret(bip_secret).hex(), constitution_version=1,
        rule=record.decision_rule(kind="data_use_rule", method="one_member_one_vote", quorum_percent=20,
                                  threshold_numerator=1, threshold_denominator=2, alternatives=0,
                                  constitution_version=1, constitution_snapshot_hash="c0" * 32))
    fingerprint = record.manifest_fingerprint(manifest)
    payload = {"ballot_ref": "b-0123456789abcdef01234567", "choices": [[1, 0, 0]]}
    tracking = record.sha256_hex({"type": "dataguild/open-ballot", "election": fingerprint,
                                  "ballot_ref": payload["ballot_ref"], "choices": payload["choices"]})
    leaf = {"fingerprint": fingerprint, "leaf_index": 0, "kind": "cast", "alias": aliases[0],
            "tracking_code": tracking, "cast_at": "2026-03-02T10:15:30Z", "payload": payload}
    created = int(datetime(2026, 3, 1, 9, 0, tzinfo=UTC).timestamp() * 1000)
    creation = merkle.SignedTreeHead.create(bls_secret, bytes.fromhex(fingerprint), 0, merkle.EMPTY_ROOT, created)
    timestamp = int(datetime(2026, 3, 2, 10, 15, 30, tzinfo=UTC).timestamp() * 1000)
    root = merkle.MerkleLog([record.leaf_bytes(**leaf)]).root()
    head = merkle.SignedTreeHead.create(bls_secret, bytes.fromhex(fingerprint), 1, root, timestamp,
                                        creation.head_hash())
    head.verify(bls.BlsPublicKey.from_hex(manifest["board_public_key"]))
    fields = {"election_id": 1, "fingerprint": fingerprint, "leaf_index": 0, "kind": "cast",
              "tracking_code": tracking, "cast_at": "2026-03-02T10:15:30Z", "leaf_hash": record.leaf_hash_hex(**leaf),
              "server_public_key": bip340.pubkey_from_secret(bip_secret).hex(), "head": head.head_hash().hex()}
    receipt = record.sign_receipt_fields(lambda m: bip340.sign(bip_secret, m, aux_rand=bytes(32)).hex(), **fields)
    record.verify_receipt(receipt, manifest["receipt_public_key"])
    unsigned = {k: v for k, v in receipt.to_json().items() if k != "signature"}
    return {
        "manifest": json.dumps(manifest, indent=2), "manifest bytes": record.canonical_bytes(manifest).decode(),
        "fingerprint": f"Fingerprint: `{fingerprint}`", "roll hash": record.roll_hash(aliases),
        "payload hash": record.sha256_hex(payload), "tracking code": tracking,
        "leaf bytes": record.leaf_bytes(**leaf).decode(), "leaf hash": f"`{record.leaf_hash_hex(**leaf)}`",
        "creation timestamp": f"`{created}`", "creation head": json.dumps(creation.to_json(), indent=2),
        "creation hash": f"`{creation.head_hash().hex()}`",
        "timestamp": f"`{timestamp}`", "head message": head.message().hex(),
        "head": json.dumps(head.to_json(), indent=2), "head hash": f"`{head.head_hash().hex()}`",
        "unsigned receipt": record.canonical_bytes(unsigned).decode(),
        "receipt message": f"`{receipt.message().hex()}`", "receipt": json.dumps(receipt.to_json(), indent=2),
    }


@pytest.mark.parametrize("name", list(_doc_example()))
def test_docs_worked_example_matches_the_code(name: str) -> None:
    assert _doc_example()[name] in DOC.read_text(encoding="utf-8"), f"docs/elections.md: the {name} drifted"


def test_counting_docs_result_message_of_the_worked_example_matches_the_code() -> None:
    """docs/counting.md's v2 result message: the worked example's totals with its rule's outcome."""
    from voting.record import document as er
    from voting.record import tally

    example = _doc_example()
    manifest = json.loads(example["manifest"])
    document = er.result_document(manifest, record.manifest_fingerprint(manifest), [[2, 0, 1]], 3, 3)
    counting_doc = (DOC.parent / "counting.md").read_text(encoding="utf-8")
    assert tally.result_message(document).decode() in counting_doc
    assert tally.result_hash(document) in counting_doc
