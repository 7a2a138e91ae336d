"""JSON Schemas of the elections' ``/api/v1`` answers and bodies (registered by :mod:`voting.elections.api`).

Each answer's schema is true for every answer the view gives (nullable fields say so); the request bodies
say what the views require, so that generated requests meet the same refusals as real ones.
"""

from __future__ import annotations

from typing import Any

from governance.api.pagination import page_schema

HEX64 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
HEX_LIST = {"type": "array", "items": {"type": "string"}, "description": "Hashes, lowercase hex."}
TIME = {"type": "string", "description": "UTC, to the second: YYYY-MM-DDTHH:MM:SSZ."}
STATES = ["open", "tallying", "decided", "cancelled"]

RECEIPT_CHECK: dict[str, Any] = {
    "type": "object", "required": ["status", "election_id", "fingerprint", "receipt", "checks", "notes"],
    "description": "Each check of a receipt against the board (docs/ballots.md, Checking a receipt).",
    "properties": {
        "status": {"type": "string", "enum": ["pass", "fail", "pending"]},
        "election_id": {"type": "integer"}, "fingerprint": {"type": "string"},
        "receipt": {"type": "object"},
        "checks": {"type": "array", "items": {"type": "object", "required": ["name", "title", "status"],
                                              "properties": {"name": {"type": "string"}, "title": {"type": "string"},
                                                             "status": {"type": "string"},
                                                             "explanation": {"type": "string"}}}},
        "tree_head": {"type": ["object", "null"]},
        "inclusion_proof": {"type": ["array", "null"], "items": {"type": "string"}},
        "notes": {"type": "array", "items": {"type": "string"}}}}

ELECTION: dict[str, Any] = {
    "type": "object",
    "required": ["election_id", "proposal_id", "fingerprint", "state", "secrecy", "method", "opens_at", "closes_at",
                 "window_open", "roll_size", "roll_hash", "board", "latest_head", "manifest"],
    "description": "An election: its manifest (canonical JSON, docs/elections.md) and the fingerprint, the "
                   "SHA-256 of the manifest's RFC 8785 bytes (recompute it before encrypting a ballot).",
    "properties": {
        "election_id": {"type": "integer"}, "proposal_id": {"type": "integer"}, "fingerprint": HEX64,
        "state": {"type": "string", "enum": STATES},
        "secrecy": {"type": "string", "enum": ["secret", "open"]}, "method": {"type": "string"},
        "opens_at": TIME, "closes_at": TIME,
        "window_open": {"type": "boolean", "description": "Ballots are accepted now (state open, inside the window)."},
        "roll_size": {"type": "integer"}, "roll_hash": HEX64,
        "board": {"type": "object", "description": "Turnout so far, as counts only.",
                  "properties": {k: {"type": "integer"} for k in ("size", "voted", "casts", "superseded", "audited")}},
        "latest_head": {"anyOf": [{"$ref": "#/components/schemas/TreeHead"}, {"type": "null"}],
                        "description": "The latest signed tree head (null: none yet)."},
        "manifest": {"type": "object"}}}

ROLL: dict[str, Any] = {
    "type": "object", "required": ["election_id", "fingerprint", "size", "roll_hash", "you"],
    "properties": {
        "election_id": {"type": "integer"}, "fingerprint": HEX64, "size": {"type": "integer"}, "roll_hash": HEX64,
        "you": {"type": ["object", "null"],
                "description": "The caller on this roll; null for anonymous callers and tokens without the scope "
                               "read or vote.",
                "required": ["on_roll", "alias", "ballots_cast", "current_leaf_index"],
                "properties": {
                    "on_roll": {"type": "boolean"},
                    "alias": {"type": ["string", "null"], "description": "Your pseudonym on the board."},
                    "ballots_cast": {"type": ["integer", "null"],
                                     "description": "Your casts so far: send it as expected_previous."},
                    "current_leaf_index": {"type": ["integer", "null"],
                                           "description": "The leaf of your ballot that counts now."}}}}}

BOARD_LEAF: dict[str, Any] = {
    "type": "object",
    "required": ["leaf_index", "kind", "alias", "tracking_code", "cast_at", "payload", "leaf_hash",
                 "receipt_signature", "receipt_head", "superseded_by", "superseded_at"],
    "description": "A board entry with what is needed to recompute its leaf hash (docs/record-spec.md §5.7).",
    "properties": {
        "leaf_index": {"type": "integer"}, "kind": {"type": "string", "enum": ["cast", "audited"]},
        "alias": {"type": "string"}, "tracking_code": {"type": "string"}, "cast_at": TIME,
        "payload": {"type": "object"}, "leaf_hash": HEX64, "receipt_signature": {"type": "string"},
        "receipt_head": {"type": ["string", "null"]}, "superseded_by": {"type": ["integer", "null"]},
        "superseded_at": {"type": ["string", "null"]}}}


def board_page() -> dict[str, Any]:
    schema = page_schema("BoardLeaf")
    schema["required"] = [*schema["required"], "election_id", "fingerprint", "size"]
    schema["properties"] = {**schema["properties"], "election_id": {"type": "integer"}, "fingerprint": HEX64,
                            "size": {"type": "integer", "description": "Leaves on the board now."}}
    return schema


TREE_HEAD: dict[str, Any] = {
    "type": "object", "required": ["fingerprint", "size", "root", "timestamp", "signature", "signing_key", "hash"],
    "description": "A signed tree head (docs/record-spec.md §4.6): BLS-signed by the cooperative's board key; "
                   "previous (absent in version-1 elections) is the hash of the head before it.",
    "properties": {
        "fingerprint": HEX64, "size": {"type": "integer"}, "root": HEX64,
        "timestamp": {"type": "integer", "description": "Unix time in milliseconds, as signed."},
        "signature": {"type": "string"}, "previous": HEX64, "signing_key": {"type": "string"},
        "hash": {**HEX64, "description": "The head's hash: what the next head's previous and a receipt's head hold."},
        "consistency_from_previous": {**HEX_LIST, "description": "RFC 9162 consistency proof from the head before."}}}

HEADS: dict[str, Any] = {
    "type": "object", "required": ["election_id", "fingerprint", "board_public_key", "heads"],
    "properties": {"election_id": {"type": "integer"}, "fingerprint": HEX64, "board_public_key": {"type": "string"},
                   "heads": {"type": "array", "items": {"$ref": "#/components/schemas/TreeHead"},
                             "description": "Oldest first."}}}

INCLUSION: dict[str, Any] = {
    "type": "object",
    "required": ["election_id", "fingerprint", "leaf_index", "leaf_hash", "tree_size", "tree_head", "proof"],
    "description": "RFC 9162 §2.1.3 inclusion proof (audit path, leaf to root) of a leaf in a signed head.",
    "properties": {"election_id": {"type": "integer"}, "fingerprint": HEX64, "leaf_index": {"type": "integer"},
                   "leaf_hash": HEX64, "tree_size": {"type": "integer"},
                   "tree_head": {"$ref": "#/components/schemas/TreeHead"}, "proof": HEX_LIST}}

CONSISTENCY: dict[str, Any] = {
    "type": "object", "required": ["election_id", "fingerprint", "first", "second", "proof"],
    "description": "RFC 9162 §2.1.4 consistency proof: the head of size second extends the head of size first.",
    "properties": {"election_id": {"type": "integer"}, "fingerprint": HEX64,
                   "first": {"$ref": "#/components/schemas/TreeHead"},
                   "second": {"$ref": "#/components/schemas/TreeHead"}, "proof": HEX_LIST}}

CAST_BODY: dict[str, Any] = {
    "type": "object", "required": ["ballot", "expected_previous"],
    "description": "An encrypted ballot as the voter's device made it (voting.elections.client.prepare, or "
                   "static/js/ballot/encrypt.js). Never the choices: a body with choices is refused (400).",
    "properties": {
        "ballot": {"type": "object", "description": "EncryptedBallot JSON (docs/crypto-ballots.md)."},
        "expected_previous": {"type": "integer", "minimum": 0,
                              "description": "Your count of casts (the roll's you.ballots_cast) when you prepared "
                                             "this ballot; a cast against an older count is refused (409)."}}}

CAST: dict[str, Any] = {
    "type": "object", "required": ["receipt", "tracking_code", "leaf_index", "replaced", "receipt_url"],
    "properties": {"receipt": {"$ref": "#/components/schemas/Receipt"}, "tracking_code": HEX64,
                   "leaf_index": {"type": "integer"},
                   "replaced": {"type": ["integer", "null"],
                                "description": "The leaf of your earlier ballot this one supersedes (a re-vote)."},
                   "receipt_url": {"type": "string"}}}

AUDIT_BODY: dict[str, Any] = {
    "type": "object", "required": ["ballot", "reveal"],
    "description": "Cast-or-audit: an encrypted ballot with its randomness revealed (never counted).",
    "properties": {"ballot": {"type": "object"},
                   "reveal": {"type": "object", "description": "PreparedBallot.reveal(): choices and randomness."}}}

AUDIT: dict[str, Any] = {
    "type": "object", "required": ["receipt", "tracking_code", "leaf_index", "choices", "audited_url"],
    "properties": {"receipt": {"$ref": "#/components/schemas/Receipt"}, "tracking_code": HEX64,
                   "leaf_index": {"type": "integer"},
                   "choices": {"type": "array", "items": {"type": "array", "items": {"type": "integer"}},
                               "description": "What the ballot encrypts, recomputed from the reveal."},
                   "audited_url": {"type": "string"}}}

OPEN_ELECTION_BODY: dict[str, Any] = {
    "type": "object", "required": ["secrecy"],
    "properties": {
        "secrecy": {"type": "string", "enum": ["secret", "open"]},
        "committee_id": {"type": ["integer", "null"],
                         "description": "A ready trustee committee (secret ballots only)."},
        "closes_at": {"type": ["string", "null"], "format": "date-time",
                      "description": "When voting closes (ISO 8601; without an offset: UTC). Omit or null: the "
                                     "constitution's voting period."}}}
