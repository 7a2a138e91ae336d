"""The election record v1: one canonical JSON document with everything needed to verify one
election without trusting the site (docs/record-spec.md is the specification; this module is the
reference reading of it).

PURE: stdlib, ``voting.record.canonical``, ``voting.record.tally`` and ``voting.crypto`` only (no Flask, no
SQLAlchemy), so ``dataguild-verify`` runs with just py-ecc and rfc8785 installed.

Stable API (the verifier imports these; keep them small and documented):

- ``RECORD_FORMAT``, ``RECORD_VERSION``, ``TOP_LEVEL_KEYS``, ``STATES``, ``CHECKS`` (the check names a
  verifier prints, in order), ``BOARD_ENTRY_KEYS``, ``HEAD_KEYS``, ``COMMITTEE_KEYS``, ``OUTCOME_KEYS``.
- ``RecordError`` (an ``InvalidEncoding``): a record that cannot be read; ``str(exc)`` says where.
- ``build_record(**parts) -> dict``: assemble a record from its parts and check that they hang
  together (the site's exporter calls it; so can a bench that forges records).
- ``record_bytes(record) -> bytes``: the canonical (RFC 8785) bytes, as written to record.json.
- ``record_digest(record) -> str``: sha256 hex of ``record_bytes`` (names a record; not stored in it).
- ``record_from_bytes(data) -> dict``: parse record.json (or the record.zip holding it) with clear
  errors for malformed JSON, floats, a wrong format, missing or unknown keys, wrong types.
- ``read_record(path) -> dict``: ``record_from_bytes`` of a file.
- ``hashed_payload(secrecy, kind, payload) -> dict``: the payload as its ``payload_hash`` hashes it
  (points re-compressed); ``leaf_fields(record, entry)``: the ``voting.record.canonical.leaf_document``
  arguments of a board entry; ``receipt_of(record, entry)``: the ``voting.record.canonical.Receipt`` that was
  handed out for it; ``board_leaves(record)``: the entries as ``voting.record.tally.BoardLeaf``.
- ``outcome_inputs(manifest, result, alternatives)`` and ``decide(rule, inputs)``: the proposal's
  outcome recomputed from the result (the same rule as ``proposals.outcome.decide_outcome``).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from voting.crypto import ballot as ballot_mod
from voting.crypto.errors import CryptoError, InvalidEncoding
from voting.record import canonical as record
from voting.record import tally as tally_mod

#: Version 2 (what the site exports for an election created with a v2 manifest) adds the decision rule
#: in the manifest, the constitution snapshot it comes from, the outcome in the certified result, tree
#: heads chained by ``previous`` and receipts that sign the latest head (``receipt_head``).
#: Version 1 records (elections created before) still read and verify, with a note of what they lack.
RECORD_FORMAT = "dataguild-election-record-v2"
RECORD_FORMAT_V1 = "dataguild-election-record-v1"
RECORD_FORMATS = (RECORD_FORMAT_V1, RECORD_FORMAT)
RECORD_VERSION = 2
V1_LACKS = ("the decision rule is not fixed in the manifest (the outcome's rule is only the record's word)",
            "the constitution snapshot the rule comes from is not in the record",
            "the trustees' certificate covers the totals, not the outcome",
            "the tree heads are not chained (a record could omit heads) and receipts name no head (no fork check)")
#: The name of the one file inside record.zip.
ZIP_MEMBER = "record.json"
STATES = ("open", "tallying", "decided", "cancelled")
SECRECIES = ("secret", "open")
TOP_LEVEL_KEYS_V1 = ("format", "election_id", "manifest", "fingerprint", "state", "exported_at", "keys", "roll",
                     "committee", "board", "tree_heads", "tally", "decryptions", "result", "certificate", "outcome")
TOP_LEVEL_KEYS = (*TOP_LEVEL_KEYS_V1, "constitution")
CONSTITUTION_KEYS = ("version", "snapshot")
BOARD_ENTRY_KEYS_V1 = ("leaf_index", "kind", "alias", "tracking_code", "cast_at", "payload", "leaf_hash",
                       "receipt_signature", "superseded_by", "superseded_at")
BOARD_ENTRY_KEYS = (*BOARD_ENTRY_KEYS_V1, "receipt_head")
HEAD_KEYS_V1 = ("fingerprint", "size", "root", "timestamp", "signature", "signing_key")
HEAD_KEYS = (*HEAD_KEYS_V1, "previous")
COMMITTEE_KEYS = ("ceremony", "announcements", "bls", "commitments", "encrypted_shares", "complaints",
                  "disqualified", "joint_key")
DECRYPTION_KEYS = ("trustee_index", "shares", "result_signature")
OUTCOME_KEYS = ("rule", "inputs", "state", "chosen_alternative", "record_hash")
#: The keys of a v1 record's ``outcome.rule`` (v2: the manifest's rule, ``record.RULE_KEYS``).
RULE_KEYS_V1 = ("kind", "constitution_version", "constitution_snapshot_hash", "quorum_percent",
                "threshold_numerator", "threshold_denominator", "alternatives", "method")
#: Check names, in the order a verifier runs them (one output line each; docs/record-spec.md §6).
CHECKS = ("format", "manifest", "rule", "keys", "roll", "committee", "board.leaves", "board.receipts", "board.heads",
          "board.supersession", "ballots", "audits", "tally", "decryptions", "result", "certificate", "outcome")
OUTCOME_STATES = ("adopted", "rejected", "no_quorum")
#: The options of a quadratic ballot on a single decision (``voting.elections.services.SINGLE_DECISION_OPTIONS``).
SINGLE_DECISION_OPTIONS = ("for", "against")

_HEX64 = re.compile(r"[0-9a-f]{64}")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
MAX_RECORD_BYTES = 2_000_000_000  # refuse to unpack a zip member larger than this


class RecordError(InvalidEncoding):
    """The record cannot be read as an election record (the message says where and why)."""


def record_version(rec: Mapping[str, Any]) -> int:
    """1 or 2, from the record's ``format`` (which :func:`check_shape` has checked)."""
    return 1 if rec.get("format") == RECORD_FORMAT_V1 else 2


# ---------------------------------------------------------------- bytes

def record_bytes(rec: Mapping[str, Any]) -> bytes:
    """The canonical bytes of a record (RFC 8785, UTF-8): what record.json holds."""
    return record.canonical_bytes(dict(rec))


def record_digest(rec: Mapping[str, Any]) -> str:
    """SHA-256 hex of :func:`record_bytes` (the ETag of /elections/<id>/record.json)."""
    return hashlib.sha256(record_bytes(rec)).hexdigest()


def zip_bytes(data: bytes) -> bytes:
    """record.zip: one deflated member ``record.json`` holding ``data``, with a fixed timestamp
    (1980-01-01) so the same record always gives the same zip."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo(ZIP_MEMBER, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        archive.writestr(info, data)
    return out.getvalue()


def _refuse_float(text: str) -> Any:
    raise RecordError(f"the record contains the number {text}, but v1 records hold integers only (no floats)")


def _refuse_constant(text: str) -> Any:
    raise RecordError(f"the record contains {text}, which is not JSON")


def _unzip(data: bytes) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if ZIP_MEMBER not in names:
                raise RecordError(f"the zip holds no {ZIP_MEMBER} (it holds: {', '.join(names) or 'nothing'})")
            if archive.getinfo(ZIP_MEMBER).file_size > MAX_RECORD_BYTES:
                raise RecordError(f"{ZIP_MEMBER} in the zip is larger than {MAX_RECORD_BYTES} bytes")
            return archive.read(ZIP_MEMBER)
    except zipfile.BadZipFile as exc:
        raise RecordError(f"the file starts like a zip but is not a readable zip: {exc}") from exc


def record_from_bytes(data: bytes) -> dict[str, Any]:
    """Parse record.json (or record.zip) and check its outer shape: the format, every top-level key
    (and no other), the types of the top-level values, the shape of each board entry and head.
    Raises :class:`RecordError`. Signatures, hashes and proofs are the verifier's checks."""
    if data[:4] == b"PK\x03\x04":
        data = _unzip(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RecordError(f"the record is not UTF-8 text (byte {exc.start})") from exc
    try:
        obj = json.loads(text, parse_float=_refuse_float, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise RecordError(f"the record is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    return check_shape(obj)


def read_record(path: str | Path) -> dict[str, Any]:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise RecordError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return record_from_bytes(data)


# ---------------------------------------------------------------- shape

def _type(value: object, kinds: type | tuple[type, ...], where: str, what: str) -> None:
    ok = isinstance(value, kinds) and not (isinstance(value, bool) and bool not in (
        kinds if isinstance(kinds, tuple) else (kinds,)))
    if not ok:
        raise RecordError(f"{where} must be {what}")


def _keys(obj: object, keys: Sequence[str], where: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise RecordError(f"{where} must be a JSON object")
    missing = [k for k in keys if k not in obj]
    extra = sorted(set(obj) - set(keys))
    if missing or extra:
        parts = ([f"lacks {', '.join(missing)}"] if missing else []) + ([f"has unknown {', '.join(extra)}"]
                                                                      if extra else [])
        raise RecordError(f"{where} " + "; ".join(parts))
    return obj


def check_shape(obj: object) -> dict[str, Any]:
    """The outer shape of a record (see :func:`record_from_bytes`); returns it unchanged."""
    if not isinstance(obj, dict):
        raise RecordError("the record must be a JSON object")
    if obj.get("format") not in RECORD_FORMATS:
        raise RecordError(f"unknown record format {obj.get('format')!r} (this reads {' and '.join(RECORD_FORMATS)})")
    version = record_version(obj)
    rec = _keys(obj, TOP_LEVEL_KEYS if version == 2 else TOP_LEVEL_KEYS_V1, "the record")
    _type(rec["election_id"], int, "election_id", "an integer")
    _type(rec["manifest"], dict, "manifest", "an object")
    if not isinstance(rec["fingerprint"], str) or not _HEX64.fullmatch(rec["fingerprint"]):
        raise RecordError("fingerprint must be 64 lowercase hex characters")
    if rec["state"] not in STATES:
        raise RecordError(f"state must be one of {', '.join(STATES)}")
    if not isinstance(rec["exported_at"], str) or not _ISO.fullmatch(rec["exported_at"]):
        raise RecordError("exported_at must be a UTC time like 2026-01-31T12:00:00Z")
    _keys(rec["keys"], ("board_public_key", "receipt_public_key"), "keys")
    _type(rec["roll"], list, "roll", "a list of aliases")
    if not all(isinstance(a, str) for a in rec["roll"]):
        raise RecordError("roll must hold strings (aliases)")
    if rec["committee"] is not None:
        _keys(rec["committee"], COMMITTEE_KEYS, "committee")
    _type(rec["board"], list, "board", "a list of entries")
    entry_keys, head_keys = (BOARD_ENTRY_KEYS, HEAD_KEYS) if version == 2 else (BOARD_ENTRY_KEYS_V1, HEAD_KEYS_V1)
    for i, entry in enumerate(rec["board"]):
        _keys(entry, entry_keys, f"board[{i}]")
        _type(entry["leaf_index"], int, f"board[{i}].leaf_index", "an integer")
        _type(entry["payload"], dict, f"board[{i}].payload", "an object")
    _type(rec["tree_heads"], list, "tree_heads", "a list of heads")
    for i, head in enumerate(rec["tree_heads"]):
        _keys(head, head_keys, f"tree_heads[{i}]")
    for key in ("tally", "result", "certificate", "outcome"):
        if rec[key] is not None:
            _type(rec[key], dict, key, "an object or null")
    _type(rec["decryptions"], list, "decryptions", "a list")
    for i, item in enumerate(rec["decryptions"]):
        _keys(item, DECRYPTION_KEYS, f"decryptions[{i}]")
    if rec["outcome"] is not None:
        _keys(rec["outcome"], OUTCOME_KEYS, "outcome")
        _keys(rec["outcome"]["rule"], record.RULE_KEYS if version == 2 else RULE_KEYS_V1, "outcome.rule")
    if version == 2:
        _keys(rec["manifest"].get("rule"), record.RULE_KEYS, "manifest.rule")
        if rec["constitution"] is not None:
            _keys(rec["constitution"], CONSTITUTION_KEYS, "constitution")
            _type(rec["constitution"]["snapshot"], list, "constitution.snapshot", "a list of each kind's rules")
    return rec


# ---------------------------------------------------------------- board entries

def hashed_payload(secrecy: str, kind: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The payload as ``payload_hash`` hashes it: a secret ballot with every point SEC1-compressed
    (a record may write them uncompressed); an open ballot as it is."""
    if secrecy != "secret":
        return dict(payload)
    try:
        if kind == "audited":
            return {**payload, "ballot": ballot_mod.EncryptedBallot.from_json(payload["ballot"]).to_json()}
        return ballot_mod.EncryptedBallot.from_json(payload).to_json()
    except (KeyError, TypeError) as exc:
        raise RecordError(f"a {kind} secret payload lacks {exc}") from exc


def uncompressed_payload(secrecy: str, kind: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """A secret ballot's payload with every point uncompressed (65 bytes: no square roots to read
    it). Falls back to the payload as stored where the crypto layer cannot write that form."""
    rewrite = getattr(ballot_mod, "ballot_json_uncompressed", None)
    if secrecy != "secret" or rewrite is None:
        return dict(payload)
    if kind == "audited":
        return {**payload, "ballot": rewrite(payload["ballot"])}
    return rewrite(payload)


def leaf_fields(rec: Mapping[str, Any], entry: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments of ``voting.record.canonical.leaf_document`` (and ``leaf_hash_hex``) for ``entry``."""
    return {"fingerprint": rec["fingerprint"], "leaf_index": entry["leaf_index"], "kind": entry["kind"],
            "alias": entry["alias"], "tracking_code": entry["tracking_code"], "cast_at": entry["cast_at"],
            "payload": hashed_payload(rec["manifest"]["secrecy"], entry["kind"], entry["payload"])}


def receipt_of(rec: Mapping[str, Any], entry: Mapping[str, Any]) -> record.Receipt:
    """The receipt the site handed out for ``entry`` (its signature is ``receipt_signature``)."""
    return record.Receipt(election_id=rec["election_id"], fingerprint=rec["fingerprint"],
                          leaf_index=entry["leaf_index"], kind=entry["kind"], tracking_code=entry["tracking_code"],
                          cast_at=entry["cast_at"], leaf_hash=entry["leaf_hash"],
                          server_public_key=rec["keys"]["receipt_public_key"], signature=entry["receipt_signature"],
                          head=entry.get("receipt_head"))


def board_leaves(rec: Mapping[str, Any]) -> list[tally_mod.BoardLeaf]:
    return [tally_mod.BoardLeaf(e["leaf_index"], e["kind"], e["alias"], e["payload"]) for e in rec["board"]]


# ---------------------------------------------------------------- the outcome rule

def outcome_inputs(manifest: Mapping[str, Any], result: Mapping[str, Any], alternatives: int) -> dict[str, Any]:
    """What the constitution's rule reads, from the result (docs/record-spec.md "The outcome"; the
    same mapping as ``voting.counting.results.vote_result``): ``electorate_size``, ``turnout``, ``yes``, ``no``,
    ``abstain``, ``scores``, from the first question's totals, in this order of cases:
    alternatives (``alternatives >= 2``): the totals are the scores; options exactly
    ``["for", "against"]`` (a quadratic single decision): yes, no = the two totals; a quadratic
    method or question otherwise (elections opened before 2026-12-01: one net option S):
    yes = max(S, 0), no = max(-S, 0); otherwise the totals of the options named "yes", "no",
    "abstain" (0 for an option that is missing)."""
    totals = [int(t) for t in result["totals"][0]]
    inputs: dict[str, Any] = {"electorate_size": int(result["roll_size"]), "turnout": int(result["turnout"]),
                              "yes": 0, "no": 0, "abstain": 0, "scores": []}
    question = manifest["questions"][0]
    if alternatives >= 2:
        inputs["scores"] = totals
    elif tuple(question["options"]) == SINGLE_DECISION_OPTIONS:
        inputs["yes"], inputs["no"] = totals[0], totals[1]
    elif manifest["method"] == "quadratic" or question.get("kind") == "quadratic":
        inputs["yes"], inputs["no"] = max(totals[0], 0), max(-totals[0], 0)
    else:
        by_option = dict(zip(question["options"], totals, strict=True))
        inputs.update(yes=by_option.get("yes", 0), no=by_option.get("no", 0), abstain=by_option.get("abstain", 0))
    return inputs


def decide(rule: Mapping[str, Any], inputs: Mapping[str, Any]) -> tuple[str, int | None]:
    """(``adopted`` | ``rejected`` | ``no_quorum``, chosen alternative or None).

    Quorum: ``turnout > 0`` and ``turnout * 100 >= quorum_percent * electorate_size``. Alternatives
    (``rule.alternatives >= 2``): the highest score wins if it is positive and not tied, else rejected.
    Yes/no: adopted iff ``yes > no`` and ``yes * threshold_denominator >= threshold_numerator * (yes + no)``;
    a single alternative (``alternatives == 1``) is chosen (index 0) when adopted."""
    electorate, turnout = int(inputs["electorate_size"]), int(inputs["turnout"])
    if not 0 <= turnout <= electorate:
        raise RecordError(f"turnout {turnout} is outside 0..{electorate}")
    if not (turnout > 0 and turnout * 100 >= int(rule["quorum_percent"]) * electorate):
        return "no_quorum", None
    alternatives = int(rule["alternatives"])
    if alternatives >= 2:
        scores = [int(s) for s in inputs["scores"]]
        if len(scores) != alternatives:
            raise RecordError(f"expected {alternatives} scores, one per alternative, got {len(scores)}")
        top = max(scores)
        if top <= 0 or scores.count(top) > 1:
            return "rejected", None
        return "adopted", scores.index(top)
    yes, no = int(inputs["yes"]), int(inputs["no"])
    num, den = int(rule["threshold_numerator"]), int(rule["threshold_denominator"])
    if yes > no and yes * den >= num * (yes + no):
        return "adopted", (0 if alternatives == 1 else None)
    return "rejected", None


def result_document(manifest: Mapping[str, Any], fingerprint: str, totals: Sequence[Sequence[int]], turnout: int,
                    roll_size: int) -> dict[str, Any]:
    """The result the certificate signs: with a v2 manifest (a ``rule``), the outcome that rule gives
    for these totals is part of it (``dataguild-result-v2``), so the trustees co-sign what was decided."""
    document = tally_mod.result_document(fingerprint, totals, turnout, roll_size)
    rule = manifest.get("rule")
    if rule is None:
        return document
    state, chosen = decide(rule, outcome_inputs(manifest, document, int(rule["alternatives"])))
    return tally_mod.with_outcome(document, {"state": state, "chosen_alternative": chosen})


def constitution_hash(snapshot: Sequence[Mapping[str, Any]]) -> str:
    """sha256 hex of the RFC 8785 bytes of a constitution snapshot (each kind's rules, in kind order):
    the ``constitution_snapshot_hash`` a v2 manifest's rule names."""
    return record.sha256_hex(list(snapshot))


# ---------------------------------------------------------------- building

def _fail(message: str) -> None:
    raise RecordError(f"cannot build the record: {message}")


def build_record(*, election_id: int, manifest: Mapping[str, Any], state: str, exported_at: str,
                 roll: Sequence[str], committee: Mapping[str, Any] | None, board: Sequence[Mapping[str, Any]],
                 tree_heads: Sequence[Mapping[str, Any]], tally: Mapping[str, Any] | None,
                 decryptions: Sequence[Mapping[str, Any]], result: Mapping[str, Any] | None,
                 certificate: Mapping[str, Any] | None, outcome: Mapping[str, Any] | None,
                 constitution: Mapping[str, Any] | None = None, uncompressed_points: bool = True) -> dict[str, Any]:
    """Assemble a record from its parts (each exactly as the site stores/publishes it; see the spec):
    v2 for a v2 manifest, else v1; ``constitution`` (v2) is the version and snapshot the manifest's
    rule comes from, or None when the rule came from the defaults. Checks that they hang together:
    the fingerprint and roll hash recompute, leaf indexes run 0..n-1, heads are in size order, the
    parts a state needs are there. With
    ``uncompressed_points`` secret ballots' points are written uncompressed (hashes do not change).
    Raises :class:`RecordError`; this is a sanity check of the exporter, not verification."""
    if state not in STATES:
        _fail(f"unknown state {state!r}")
    fingerprint = record.manifest_fingerprint(manifest)
    if manifest.get("election_id") != election_id:
        _fail(f"the manifest is election {manifest.get('election_id')}'s, not {election_id}'s")
    secrecy = manifest.get("secrecy")
    if secrecy not in SECRECIES:
        _fail(f"the manifest's secrecy {secrecy!r} is unknown")
    roll = list(roll)
    if roll != sorted(roll):
        _fail("the roll must be sorted by code point")
    if record.roll_hash(roll) != manifest["roll"]["hash"] or len(roll) != manifest["roll"]["size"]:
        _fail("the roll does not match the manifest's roll hash and size")
    if secrecy == "open" and committee is not None:
        _fail("an open election has no trustee committee")
    version = 2 if manifest.get("format") == record.MANIFEST_FORMAT else 1
    entry_keys, head_keys = (BOARD_ENTRY_KEYS, HEAD_KEYS) if version == 2 else (BOARD_ENTRY_KEYS_V1, HEAD_KEYS_V1)
    entries = []
    for i, entry in enumerate(board):
        if entry["leaf_index"] != i:
            _fail(f"board entry {i} has leaf index {entry['leaf_index']} (entries must be in leaf order)")
        if version == 2 and entry.get("receipt_head") is None:
            _fail(f"board entry {i} has no receipt head (a v2 election's receipts name the latest head)")
        item = {key: entry[key] for key in entry_keys}
        if uncompressed_points:
            try:
                item["payload"] = uncompressed_payload(secrecy, entry["kind"], entry["payload"])
            except CryptoError as exc:
                _fail(f"the ballot at leaf {i} cannot be read: {exc}")
        entries.append(item)
    if version == 2 and any(head.get("previous") is None for head in tree_heads):
        _fail("a v2 election's tree heads must be chained (a head has no previous)")
    heads = [{key: head[key] for key in head_keys} for head in tree_heads]
    if [h["size"] for h in heads] != sorted(h["size"] for h in heads):
        _fail("tree heads must be in size order")
    if state in ("tallying", "decided") and secrecy == "secret" and tally is None and result is None:
        _fail(f"a {state} secret election needs its encrypted tally")
    if state == "decided" and (result is None or certificate is None):
        _fail("a decided election needs its result and certificate")
    if result is not None and state != "decided":
        _fail(f"a {state} election has no result")
    if outcome is not None:
        missing = [k for k in OUTCOME_KEYS if k not in outcome]
        if missing:
            _fail(f"the outcome lacks {', '.join(missing)}")
        if result is not None and outcome["record_hash"] != tally_mod.result_hash(result):
            _fail("the outcome's record hash is not the result message's hash")
    if version == 2 and constitution is not None and \
            constitution_hash(constitution["snapshot"]) != manifest["rule"]["constitution_snapshot_hash"]:
        _fail("the constitution snapshot does not hash to the manifest rule's constitution_snapshot_hash")
    rec = {
        "format": RECORD_FORMAT if version == 2 else RECORD_FORMAT_V1, "election_id": election_id,
        "manifest": dict(manifest), "fingerprint": fingerprint,
        "state": state, "exported_at": exported_at,
        "keys": {"board_public_key": manifest["board_public_key"],
                 "receipt_public_key": manifest["receipt_public_key"]},
        "roll": roll, "committee": dict(committee) if committee is not None else None, "board": entries,
        "tree_heads": heads, "tally": dict(tally) if tally is not None else None,
        "decryptions": [{key: d[key] for key in DECRYPTION_KEYS} for d in decryptions],
        "result": dict(result) if result is not None else None,
        "certificate": dict(certificate) if certificate is not None else None,
        "outcome": dict(outcome) if outcome is not None else None,
    }
    if version == 2:
        rec["constitution"] = dict(constitution) if constitution is not None else None
    return check_shape(rec)
