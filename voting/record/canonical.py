"""The public election record: canonical JSON, the manifest and its fingerprint, the roll hash, the
bulletin-board leaf document and the ballot receipt (see docs/elections.md for every byte).

PURE: stdlib, rfc8785 and ``voting.crypto`` only, so the standalone verifier can use it unchanged.

- ``canonical_bytes``: RFC 8785 (JSON Canonicalization Scheme); floats are refused because their
  text is not stable across languages; numbers in the record are integers, amounts are strings.
- fingerprint: ``sha256(canonical_bytes(manifest))`` as lowercase hex.
- roll hash: ``sha256(canonical_bytes(sorted aliases))``.
- board leaf: ``canonical_bytes(leaf_document(...))``; its Merkle leaf hash is RFC 9162's
  ``sha256(0x00 || leaf)`` (``voting.crypto.merkle.leaf_hash``).
- receipt: the BIP-340 signature signs ``sha256(canonical_bytes(receipt without "signature"))``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import rfc8785

from voting.crypto import bip340, merkle
from voting.crypto.errors import InvalidEncoding, InvalidSignature
from voting.crypto.hashing import PROTOCOL_VERSION

#: The manifest format elections are created with: v2 fixes the decision rule (``rule``) before voting.
MANIFEST_FORMAT = "dataguild-election-manifest-v2"
MANIFEST_FORMAT_V1 = "dataguild-election-manifest-v1"
MANIFEST_FORMATS = (MANIFEST_FORMAT_V1, MANIFEST_FORMAT)
#: The keys of a v2 manifest's ``rule`` (docs/elections.md, "The decision rule").
RULE_KEYS = ("kind", "method", "quorum_percent", "threshold_numerator", "threshold_denominator", "alternatives",
             "ties", "abstentions", "constitution_version", "constitution_snapshot_hash")
#: How a tie and abstentions are treated: the only rules the site has (docs/constitution.md).
TIES_STATUS_QUO = "status_quo"
ABSTENTIONS_QUORUM_ONLY = "quorum_only"
LEAF_FORMAT = "dataguild-board-leaf-v1"
RECEIPT_FORMAT = "dataguild-receipt-v2"
RECEIPT_FORMAT_V1 = "dataguild-receipt-v1"
ENTRY_KINDS = ("cast", "audited")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEX128 = re.compile(r"[0-9a-f]{128}")
_ISO_SECONDS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


# ---------------------------------------------------------------- canonical JSON and hashes

def _refuse_floats(value: Any, path: str) -> None:
    if isinstance(value, float):
        raise InvalidEncoding(f"{path}: floats are not allowed in canonical documents; use an integer or a string")
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidEncoding(f"{path}: object keys must be strings")
            _refuse_floats(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _refuse_floats(item, f"{path}[{i}]")


def canonical_bytes(obj: Any) -> bytes:
    """RFC 8785 canonical JSON of ``obj`` (UTF-8); raises ``InvalidEncoding`` on floats, integers
    beyond ±(2^53 − 1), lone surrogates and anything else RFC 8785 cannot encode."""
    _refuse_floats(obj, "$")
    try:
        return rfc8785.dumps(obj)
    except rfc8785.CanonicalizationError as exc:
        raise InvalidEncoding(f"not canonical JSON: {exc}") from exc


def sha256_hex(obj: Any) -> str:
    return hashlib.sha256(canonical_bytes(obj)).hexdigest()


def manifest_fingerprint(manifest: Mapping[str, Any]) -> str:
    """The election fingerprint: SHA-256 (hex) of the canonical manifest."""
    return sha256_hex(dict(manifest))


def roll_hash(aliases: Iterable[str]) -> str:
    """SHA-256 (hex) of the canonical JSON array of the roll's aliases, sorted by code point."""
    return sha256_hex(sorted(aliases))


def iso_seconds(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` in UTC, fractions of a second dropped (naive values are taken as UTC)."""
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso_seconds(text: object, what: str = "time") -> datetime:
    if not isinstance(text, str) or not _ISO_SECONDS.fullmatch(text):
        raise InvalidEncoding(f"{what} must be an ISO 8601 UTC time like 2026-01-31T12:00:00Z")
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError as exc:
        raise InvalidEncoding(f"{what} is not a valid date and time") from exc


# ---------------------------------------------------------------- the manifest

def manifest_document(*, election_id: int, cooperative: str, proposal: Mapping[str, Any], method: str,
                      secrecy: str, questions: Sequence[Mapping[str, Any]], opens_at: datetime,
                      closes_at: datetime, roll_size: int, roll_hash_hex: str, election_key: str | None,
                      committee: Mapping[str, Any] | None, board_public_key: str, receipt_public_key: str,
                      constitution_version: int | None, rule: Mapping[str, Any],
                      client_scripts: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The manifest (v2), field by field as docs/elections.md lists them. ``proposal`` has ``id``,
    ``kind``, ``title``, ``version`` (the frozen version number) and ``content_hash``; ``rule`` is
    :func:`decision_rule`'s; ``client_scripts`` (secret elections) maps each script the ballot page runs
    to encrypt (its path under the site's ``/static/``) to its SHA-256, fixing which code voters are served."""
    if tuple(rule) != RULE_KEYS:
        raise InvalidEncoding(f"a decision rule has the keys {', '.join(RULE_KEYS)}, in that order")
    manifest = {
        "format": MANIFEST_FORMAT,
        "protocol": PROTOCOL_VERSION,
        "election_id": election_id,
        "cooperative": cooperative,
        "proposal": {key: proposal[key] for key in ("id", "kind", "title", "version", "content_hash")},
        "method": method,
        "secrecy": secrecy,
        "questions": [dict(q) for q in questions],
        "window": {"opens_at": iso_seconds(opens_at), "closes_at": iso_seconds(closes_at)},
        "roll": {"size": roll_size, "hash": roll_hash_hex},
        "election_key": election_key,
        "committee": dict(committee) if committee is not None else None,
        "board_public_key": board_public_key,
        "receipt_public_key": receipt_public_key,
        "constitution_version": constitution_version,
        "rule": dict(rule),
    }
    if client_scripts is not None:
        manifest["client_scripts"] = dict(sorted(client_scripts.items()))
    return manifest


def decision_rule(*, kind: str, method: str, quorum_percent: int, threshold_numerator: int,
                  threshold_denominator: int, alternatives: int, constitution_version: int | None,
                  constitution_snapshot_hash: str | None) -> dict[str, Any]:
    """What decides the vote, fixed in the manifest when voting opens: quorum (percent of the roll that
    must cast), threshold (share of yes among yes + no), how many alternatives compete (0: a yes/no
    question), that a tie keeps the status quo and that abstentions count towards the quorum only,
    and the constitution version (with its snapshot's hash) these come from."""
    return {"kind": kind, "method": method, "quorum_percent": quorum_percent,
            "threshold_numerator": threshold_numerator, "threshold_denominator": threshold_denominator,
            "alternatives": alternatives, "ties": TIES_STATUS_QUO, "abstentions": ABSTENTIONS_QUORUM_ONLY,
            "constitution_version": constitution_version, "constitution_snapshot_hash": constitution_snapshot_hash}


# ---------------------------------------------------------------- board leaves

def leaf_document(*, fingerprint: str, leaf_index: int, kind: str, alias: str, tracking_code: str,
                  cast_at: str, payload: Mapping[str, Any] | None = None,
                  payload_hash: str | None = None) -> dict[str, Any]:
    """What one board leaf says: which election, where in the log, what kind, whose (alias), which
    ballot (tracking code), when (``iso_seconds``), and the hash of the posted payload (give the
    ``payload``, or its ``sha256_hex`` as ``payload_hash`` when already computed)."""
    if (payload is None) == (payload_hash is None):
        raise TypeError("leaf_document needs exactly one of payload and payload_hash")
    if kind not in ENTRY_KINDS:
        raise InvalidEncoding(f"leaf kind must be one of {', '.join(ENTRY_KINDS)}")
    if not isinstance(leaf_index, int) or isinstance(leaf_index, bool) or leaf_index < 0:
        raise InvalidEncoding("leaf index must be a non-negative integer")
    return {"format": LEAF_FORMAT, "election": fingerprint, "leaf_index": leaf_index, "kind": kind, "alias": alias,
            "tracking_code": tracking_code, "cast_at": cast_at,
            "payload_hash": payload_hash if payload is None else sha256_hex(dict(payload))}


def leaf_bytes(**fields: Any) -> bytes:
    """``canonical_bytes(leaf_document(**fields))``: the bytes the Merkle leaf hashes."""
    return canonical_bytes(leaf_document(**fields))


def leaf_hash_hex(**fields: Any) -> str:
    """RFC 9162 leaf hash ``sha256(0x00 || leaf_bytes)`` in hex."""
    return merkle.leaf_hash(leaf_bytes(**fields)).hex()


# ---------------------------------------------------------------- receipts

_RECEIPT_FIELDS_V1 = ("format", "election_id", "election", "leaf_index", "kind", "tracking_code", "cast_at",
                      "leaf_hash", "server_public_key", "signature")
_RECEIPT_FIELDS = (*_RECEIPT_FIELDS_V1[:-1], "head", "signature")


def _receipt_document(*, election_id: int, fingerprint: str, leaf_index: int, kind: str, tracking_code: str,
                      cast_at: str, leaf_hash: str, server_public_key: str, head: str | None = None) -> dict[str, Any]:
    document = {"format": RECEIPT_FORMAT if head is not None else RECEIPT_FORMAT_V1, "election_id": election_id,
                "election": fingerprint, "leaf_index": leaf_index, "kind": kind, "tracking_code": tracking_code,
                "cast_at": cast_at, "leaf_hash": leaf_hash, "server_public_key": server_public_key}
    if head is not None:
        document["head"] = head
    return document


def receipt_message(*, election_id: int, fingerprint: str, leaf_index: int, kind: str, tracking_code: str,
                    cast_at: str, leaf_hash: str, server_public_key: str, head: str | None = None) -> bytes:
    """The 32 bytes the receipt signature signs: SHA-256 of the canonical receipt without ``signature``.
    ``head`` (v2) is the hash of the latest signed tree head when the ballot was cast; None: a v1 receipt."""
    return hashlib.sha256(canonical_bytes(_receipt_document(
        election_id=election_id, fingerprint=fingerprint, leaf_index=leaf_index, kind=kind,
        tracking_code=tracking_code, cast_at=cast_at, leaf_hash=leaf_hash,
        server_public_key=server_public_key, head=head))).digest()


def _hex(value: object, pattern: re.Pattern[str], what: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise InvalidEncoding(f"{what} must be {64 if pattern is _HEX64 else 128} lowercase hex characters")
    return value


def _index(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidEncoding(f"{what} must be a non-negative integer")
    return value


@dataclass(frozen=True, slots=True)
class Receipt:
    """A signed promise of the election server: this ballot (tracking code) is leaf ``leaf_index``
    of election ``fingerprint``'s board, posted at ``cast_at``, when the board's latest signed tree head
    was the one whose hash is ``head`` (v2; None in a v1 receipt)."""

    election_id: int
    fingerprint: str
    leaf_index: int
    kind: str
    tracking_code: str
    cast_at: str
    leaf_hash: str
    server_public_key: str
    signature: str
    head: str | None = None

    def _fields(self) -> dict[str, Any]:
        return {"election_id": self.election_id, "fingerprint": self.fingerprint, "leaf_index": self.leaf_index,
                "kind": self.kind, "tracking_code": self.tracking_code, "cast_at": self.cast_at,
                "leaf_hash": self.leaf_hash, "server_public_key": self.server_public_key, "head": self.head}

    def message(self) -> bytes:
        return receipt_message(**self._fields())

    def to_json(self) -> dict[str, Any]:
        return {**_receipt_document(**self._fields()), "signature": self.signature}

    @classmethod
    def from_json(cls, data: object) -> Receipt:
        """Decode and validate the structure (not the signature); raises ``InvalidEncoding``."""
        if not isinstance(data, dict):
            raise InvalidEncoding("a receipt must be a JSON object")
        if "format" in data and data["format"] not in (RECEIPT_FORMAT, RECEIPT_FORMAT_V1):
            raise InvalidEncoding(f"unknown receipt format {data['format']!r} (expected {RECEIPT_FORMAT} or "
                                  f"{RECEIPT_FORMAT_V1})")
        fields = _RECEIPT_FIELDS_V1 if data.get("format") == RECEIPT_FORMAT_V1 else _RECEIPT_FIELDS
        missing = [k for k in fields if k not in data]
        extra = sorted(set(data) - set(fields))
        if missing or extra:
            raise InvalidEncoding("the receipt " + "; ".join(
                ([f"lacks {', '.join(missing)}"] if missing else []) + ([f"has unknown {', '.join(extra)}"]
                                                                      if extra else [])))
        if data["kind"] not in ENTRY_KINDS:
            raise InvalidEncoding(f"receipt kind must be one of {', '.join(ENTRY_KINDS)}")
        parse_iso_seconds(data["cast_at"], "cast_at")
        return cls(election_id=_index(data["election_id"], "election_id"),
                   fingerprint=_hex(data["election"], _HEX64, "election (the fingerprint)"),
                   leaf_index=_index(data["leaf_index"], "leaf_index"), kind=data["kind"],
                   tracking_code=_hex(data["tracking_code"], _HEX64, "tracking_code"), cast_at=data["cast_at"],
                   leaf_hash=_hex(data["leaf_hash"], _HEX64, "leaf_hash"),
                   server_public_key=_hex(data["server_public_key"], _HEX64, "server_public_key"),
                   signature=_hex(data["signature"], _HEX128, "signature"),
                   head=_hex(data["head"], _HEX64, "head (the tree head's hash)") if "head" in data else None)


def verify_receipt(receipt: Receipt, server_public_hex: str) -> None:
    """Raise ``InvalidSignature`` unless the election server's key ``server_public_hex`` signed ``receipt``."""
    if receipt.server_public_key != server_public_hex:
        raise InvalidSignature("the receipt names a different server key than the election's")
    bip340.verify(bytes.fromhex(server_public_hex), receipt.message(), bytes.fromhex(receipt.signature))


def sign_receipt_fields(sign: Callable[[bytes], str], **fields: Any) -> Receipt:
    """A receipt for ``fields`` (all but ``signature``) signed by ``sign(message32) -> hex``."""
    return Receipt(**fields, signature=sign(receipt_message(**fields)))
