"""The checks of ``dataguild-verify``, in the order docs/record-spec.md lists them. Each check has a
stable name, returns its counts and a one-line summary, or reports every problem it found; a check
whose inputs failed an earlier check is skipped with the reason.

PURE: stdlib and the pure ``voting`` modules only (no Flask, SQLAlchemy, click or governance).
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from voting import election_record as er
from voting import record, tally
from voting.crypto import bls, bls_batch
from voting.crypto import trustees as T
from voting.crypto.errors import CryptoError
from voting.crypto.group import Point
from voting.crypto.merkle import SignedTreeHead, node_hash
from voting.verify_ballots import PassContext, PassResult, check_board

PASS, FAIL, SKIP = "PASS", "FAIL", "SKIP"


class Problems(Exception):
    """A check failed; ``problems`` says every way it did."""

    def __init__(self, problems: list[str], counts: Mapping[str, int] | None = None) -> None:
        super().__init__(problems[0] if problems else "failed")
        self.problems, self.counts = problems, dict(counts or {})


class Skip(Exception):
    """The check cannot run (an input failed an earlier check) or does not apply (``applies=False``)."""

    def __init__(self, reason: str, *, applies: bool = True) -> None:
        super().__init__(reason)
        self.reason, self.applies = reason, applies


@dataclass
class CheckResult:
    name: str
    status: str
    details: str
    problems: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "details": self.details, "problems": self.problems,
                "counts": self.counts, "seconds": round(self.seconds, 3)}


@functools.lru_cache(maxsize=256)
def pop_valid(public_hex: str, pop_hex: str) -> bool:
    try:
        bls.pop_verify(bls.BlsPublicKey.from_hex(public_hex), bls.BlsSignature.from_hex(pop_hex))
    except CryptoError:
        return False
    return True


def _heads_verify(public_hex: str, items: list[tuple[bytes, str]], workers: int | None) -> list[str | None]:
    """Every tree head's BLS signature (all by the board key), batch-verified on all cores
    (``voting.crypto.bls_batch``: one pairing pair for the batch, one by one only to name a bad
    one): per item, None or why it fails. Remembered per process: a re-run in the same process (the
    tests) does not pay twice; the answer depends on nothing but the inputs."""
    todo = list(dict.fromkeys(item for item in items if (public_hex, *item) not in _BLS_DONE))
    if todo:
        errors = bls_batch.verify_many(bls.BlsPublicKey.from_hex(public_hex), [m for m, _ in todo],
                                       [bytes.fromhex(signature_hex) for _, signature_hex in todo],
                                       workers=max(1, workers or os.cpu_count() or 1))
        _BLS_DONE.update(((public_hex, *item), error) for item, error in zip(todo, errors, strict=True))
    return [_BLS_DONE[(public_hex, *item)] for item in items]


_BLS_DONE: dict[tuple[str, bytes, str], str | None] = {}
_UNPARSED_SIGNATURE = "c0" + "00" * 95  # the identity's encoding: decodes without arithmetic
_SIGNATURE_HEX = re.compile(f"[0-9a-f]{{{2 * bls.SIGNATURE_SIZE}}}")


def _raise(problems: list[str], counts: Mapping[str, int] | None = None) -> None:
    if problems:
        raise Problems(problems, counts)


@dataclass
class Verification:
    """One run over one record; the checks share what they decoded here."""

    rec: dict[str, Any]
    workers: int | None = None
    progress: Callable[[int, int], None] | None = None
    results: dict[str, CheckResult] = field(default_factory=dict)
    specs: Any = None
    board_pass: PassResult | None = None
    counted: list[tally.BoardLeaf] | None = None
    joint: T.JointKey | None = None
    open_totals: list[list[int]] | None = None
    shares: dict[int, list[list[T.DecryptionShare]]] = field(default_factory=dict)

    @property
    def manifest(self) -> dict[str, Any]:
        return self.rec["manifest"]

    @property
    def secret(self) -> bool:
        return self.manifest.get("secrecy") == "secret"

    def need(self, *names: str) -> None:
        for name in names:
            result = self.results.get(name)
            if result is not None and result.status == FAIL:
                raise Skip(f"skipped: check {name} failed")
            if result is not None and result.status == SKIP and result.details.startswith("skipped"):
                raise Skip(f"skipped: check {name} was skipped")

    def run(self, name: str, check: Callable[[Verification], tuple[str, dict[str, int]]]) -> CheckResult:
        started = time.monotonic()
        try:
            details, counts = check(self)
            result = CheckResult(name, PASS, details, counts=counts)
        except Problems as exc:
            more = f" (and {len(exc.problems) - 1} more)" if len(exc.problems) > 1 else ""
            result = CheckResult(name, FAIL, exc.problems[0] + more, exc.problems, exc.counts)
        except Skip as exc:
            result = CheckResult(name, SKIP, exc.reason if exc.applies else f"not applicable: {exc.reason}")
        except (CryptoError, KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            what = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
            result = CheckResult(name, FAIL, f"malformed: {what}", [f"malformed: {what}"])
        result.seconds = time.monotonic() - started
        self.results[name] = result
        return result


# ---------------------------------------------------------------- format, manifest, keys, roll

def check_format(v: Verification) -> tuple[str, dict[str, int]]:
    er.check_shape(v.rec)  # raises RecordError (a CryptoError): reported as malformed
    return f"{er.RECORD_FORMAT}, election {v.rec['election_id']}, state {v.rec['state']}", {}


def check_manifest(v: Verification) -> tuple[str, dict[str, int]]:
    v.need("format")
    m, problems = v.manifest, []
    if m.get("format") != record.MANIFEST_FORMAT:
        problems.append(f"unknown manifest format {m.get('format')!r}")
    fingerprint = record.manifest_fingerprint(m)
    if fingerprint != v.rec["fingerprint"]:
        problems.append(f"the fingerprint is not the manifest's hash (recomputed {fingerprint})")
    if m.get("election_id") != v.rec["election_id"]:
        problems.append(f"the manifest is election {m.get('election_id')}'s, the record says {v.rec['election_id']}")
    if m.get("secrecy") not in er.SECRECIES:
        problems.append(f"unknown secrecy {m.get('secrecy')!r}")
    if m.get("secrecy") == "secret" and not m.get("election_key"):
        problems.append("a secret election's manifest names no election key")
    record.parse_iso_seconds(m["window"]["opens_at"], "window.opens_at")
    record.parse_iso_seconds(m["window"]["closes_at"], "window.closes_at")
    v.specs = tally.specs_of(m)
    _raise(problems)
    return f"fingerprint {fingerprint[:16]}…, {m['secrecy']}, {len(v.specs)} question(s)", {"questions": len(v.specs)}


def check_keys(v: Verification) -> tuple[str, dict[str, int]]:
    v.need("manifest")
    keys, problems = v.rec["keys"], []
    for name in ("board_public_key", "receipt_public_key"):
        if keys[name] != v.manifest[name]:
            problems.append(f"{name} differs from the manifest's")
    bls.BlsPublicKey.from_hex(keys["board_public_key"])
    Point.from_bytes(b"\x02" + bytes.fromhex(keys["receipt_public_key"]))  # an x-only key on the curve
    _raise(problems)
    return "board (BLS) and receipt (BIP-340) keys are the manifest's", {}


def check_roll(v: Verification) -> tuple[str, dict[str, int]]:
    v.need("manifest")
    roll, problems = v.rec["roll"], []
    seen: set[str] = set()
    duplicates = sorted({a for a in roll if a in seen or seen.add(a)})  # type: ignore[func-returns-value]
    if duplicates:
        problems.append(f"alias {duplicates[0]} is on the roll more than once")
    if roll != sorted(roll):
        problems.append("the roll is not sorted by code point")
    if record.roll_hash(roll) != v.manifest["roll"]["hash"]:
        problems.append("the roll's hash is not the manifest's roll hash")
    if len(roll) != v.manifest["roll"]["size"]:
        problems.append(f"the roll has {len(roll)} aliases, the manifest says {v.manifest['roll']['size']}")
    _raise(problems)
    return f"{len(roll)} aliases, hash matches the manifest", {"aliases": len(roll)}


# ---------------------------------------------------------------- committee

def check_committee(v: Verification) -> tuple[str, dict[str, int]]:
    v.need("manifest")
    c, mc = v.rec["committee"], v.manifest.get("committee")
    if not v.secret:
        if c is not None or mc is not None:
            raise Problems(["an open roll call has no trustee committee, but the record names one"])
        raise Skip("open roll call, no trustees", applies=False)
    if c is None or mc is None:
        raise Problems(["a secret election's record has no committee transcript"])
    problems: list[str] = []
    ceremony = T.Ceremony.from_json(c["ceremony"])
    if ceremony.fingerprint.hex() != mc["ceremony_fingerprint"] or (ceremony.n, ceremony.k) != (mc["n"], mc["k"]):
        problems.append("the ceremony is not the one the manifest names")
    announcements = [T.Announcement.from_json(a) for a in c["announcements"]]
    try:
        roster = T.check_roster(ceremony, announcements)
    except CryptoError as exc:
        raise Problems([f"announcements: {exc}"]) from exc
    bls_keys = {}
    for item in c["bls"]:
        if pop_valid(item["bls_public_key"], item["bls_pop"]):
            bls_keys[item["index"]] = item["bls_public_key"]
        else:
            problems.append(f"trustee {item.get('index')}: the BLS proof of possession does not verify")
    commitments = [T.DealerCommitment.from_json(x) for x in c["commitments"]]
    shares = [T.EncryptedShare.from_json(x) for x in c["encrypted_shares"]]
    complaints = [T.Complaint.from_json(x["complaint"]) for x in c["complaints"]]
    try:
        joint = T.finalize_ceremony(ceremony, roster, commitments, shares, complaints)
    except CryptoError as exc:
        raise Problems([f"the ceremony's public judgement gives no joint key: {exc}"]) from exc
    posted = T.JointKey.from_json(c["joint_key"])
    if c["joint_key"] != mc["joint_key"]:
        problems.append("the transcript's joint key is not the manifest's")
    for dealer in sorted(set(posted.commitments) - set(joint.commitments)):
        problems.append(f"dealer {dealer} is qualified in the record's joint key, but {joint.disqualified[dealer]}")
    for dealer in sorted(set(joint.commitments) - set(posted.commitments)):
        problems.append(f"dealer {dealer} is disqualified in the record's joint key, but nothing disqualifies them")
    if dict(joint.commitments) != dict(posted.commitments):
        problems.append("the joint key does not recompute from the qualified dealers' commitments")
    if set(joint.disqualified) != set(posted.disqualified) or {str(d) for d in joint.disqualified} != set(
            c["disqualified"]):
        problems.append(f"disqualified trustees should be {sorted(joint.disqualified)} (from upheld complaints "
                        f"and missing messages), the record says {sorted(c['disqualified'])}")
    key_hex = joint.election_key().hex()
    if key_hex != v.manifest["election_key"] or key_hex != mc.get("election_key", key_hex):
        problems.append("the election key is not the committee's joint key")
    for t in mc.get("trustees", []):
        if t["index"] in joint.commitments and joint.verification_key(t["index"]).hex() != t["verification_key"]:
            problems.append(f"trustee {t['index']}: the manifest's verification key does not recompute")
        if bls_keys.get(t["index"]) != t.get("bls_public_key"):
            problems.append(f"trustee {t['index']}: the BLS key is not the one with a valid proof of possession")
    _raise(problems)
    v.joint = joint
    return (f"{ceremony.k}-of-{ceremony.n}, {len(joint.committee)} qualified, {len(complaints)} complaint(s), "
            f"joint key = election key", {"trustees": ceremony.n, "qualified": len(joint.committee),
                                          "complaints": len(complaints)})


# ---------------------------------------------------------------- the board

def _pass(v: Verification) -> PassResult:
    if v.board_pass is None:
        specs, key = None, None
        if v.results.get("manifest") and v.results["manifest"].status == PASS:
            specs = tuple(v.specs)
            key = bytes.fromhex(v.manifest["election_key"]) if v.secret else None
        v.counted = tally.counted_leaves(er.board_leaves(v.rec))
        ctx = PassContext(election_id=v.rec["election_id"], fingerprint=v.rec["fingerprint"],
                          secrecy=v.manifest.get("secrecy", ""), receipt_key=v.rec["keys"]["receipt_public_key"],
                          specs=specs, election_key=key, counted=frozenset(x.leaf_index for x in v.counted))
        v.board_pass = check_board(ctx, v.rec["board"], workers=v.workers, progress=v.progress)
    return v.board_pass


def check_leaves(v: Verification) -> tuple[str, dict[str, int]]:
    v.need("format")
    board, problems = v.rec["board"], []
    roll = set(v.rec["roll"])
    window = v.manifest["window"]
    opens, closes = record.parse_iso_seconds(window["opens_at"]), record.parse_iso_seconds(window["closes_at"])
    for i, entry in enumerate(board):
        where = f"leaf {entry['leaf_index']}"
        if entry["leaf_index"] != i:
            problems.append(f"entry {i} has leaf index {entry['leaf_index']} (leaves must run 0..{len(board) - 1})")
        if entry["kind"] not in record.ENTRY_KINDS:
            problems.append(f"{where}: unknown kind {entry['kind']!r}")
        if entry["alias"] not in roll:
            problems.append(f"{where}: alias {entry['alias']} is not on the roll")
        cast_at = record.parse_iso_seconds(entry["cast_at"], f"{where} cast_at")
        if cast_at >= closes:
            problems.append(f"{where}: cast at {entry['cast_at']}, after close ({window['closes_at']})")
        elif cast_at < opens:
            problems.append(f"{where}: cast at {entry['cast_at']}, before the election opened")
        if i and entry["cast_at"] < board[i - 1]["cast_at"]:
            problems.append(f"{where}: cast before the leaf before it")
    problems.extend(_pass(v).leaves)
    _raise(problems)
    casts = sum(1 for e in board if e["kind"] == "cast")
    return (f"{len(board)} leaves ({casts} cast, {len(board) - casts} audited), hashes recomputed",
            {"leaves": len(board), "cast": casts, "audited": len(board) - casts})


def check_receipts(v: Verification) -> tuple[str, dict[str, int]]:
    v.need("keys")
    result = _pass(v)
    _raise(result.receipts)
    return (f"{result.receipts_checked} receipt signatures verify (BIP-340, batch)",
            {"receipts": result.receipts_checked})


def _roots(leaf_hashes: list[bytes], sizes: set[int]) -> dict[int, bytes]:
    """RFC 9162 roots of the first ``size`` leaves for every size asked, in one pass."""
    roots: dict[int, bytes] = {}
    if 0 in sizes:
        roots[0] = hashlib.sha256(b"").digest()
    stack: list[tuple[int, bytes]] = []  # (number of leaves, hash) of perfect subtrees
    for n, digest in enumerate(leaf_hashes, start=1):
        stack.append((1, digest))
        while len(stack) > 1 and stack[-1][0] == stack[-2][0]:
            (size_a, a), (_, b) = stack[-2], stack[-1]
            stack[-2:] = [(2 * size_a, node_hash(a, b))]
        if n in sizes:
            root = stack[-1][1]
            for _, left in reversed(stack[:-1]):
                root = node_hash(left, root)
            roots[n] = root
    return roots


def check_heads(v: Verification) -> tuple[str, dict[str, int]]:
    v.need("keys")
    heads, board, problems = v.rec["tree_heads"], v.rec["board"], []
    public = bls.BlsPublicKey.from_hex(v.rec["keys"]["board_public_key"])
    if not heads:
        raise Problems(["no signed tree head"])
    hashes = []
    for entry in board:
        try:
            hashes.append(bytes.fromhex(entry["leaf_hash"]))
        except ValueError:
            hashes.append(b"")
    roots = _roots(hashes, {h["size"] for h in heads if isinstance(h["size"], int)})
    previous = None
    signed: list[tuple[str, tuple[bytes, str]]] = []
    for n, data in enumerate(heads):
        # The fields are parsed here; the signature is decoded and validated once, by the batch below.
        head = SignedTreeHead.from_json({**{k: data[k] for k in ("fingerprint", "size", "root", "timestamp")},
                                         "signature": _UNPARSED_SIGNATURE})
        where = f"head {n} (size {head.size})"
        if data["fingerprint"] != v.rec["fingerprint"]:
            problems.append(f"{where}: for another election")
        if data["signing_key"] != v.rec["keys"]["board_public_key"]:
            problems.append(f"{where}: signed with a key other than the board key")
        if head.size > len(board):
            problems.append(f"{where}: covers more leaves than the board has ({len(board)})")
        elif roots.get(head.size) != head.root:
            problems.append(f"{where}: root is not the Merkle root of the first {head.size} leaves "
                            "(inconsistent with the board and every earlier head)")
        if previous is not None and head.size <= previous.size:
            problems.append(f"{where}: size does not grow after head {n - 1} (size {previous.size}): "
                            "inconsistent with an earlier head")
        if previous is not None and head.timestamp < previous.timestamp:
            problems.append(f"{where}: timestamp goes backwards: inconsistent with an earlier head")
        message = SignedTreeHead.signed_message(head.fingerprint, head.size, head.root, head.timestamp)
        if isinstance(data["signature"], str) and _SIGNATURE_HEX.fullmatch(data["signature"]):
            signed.append((where, (message, data["signature"])))
        else:
            problems.append(f"{where}: the signature is not {bls.SIGNATURE_SIZE} bytes of lowercase hex")
        previous = head
    public_hex = public.to_hex()
    for (where, _), error in zip(signed, _heads_verify(public_hex, [item for _, item in signed], v.workers),
                                 strict=True):
        if error == bls_batch.NOT_VERIFIED:
            problems.append(f"{where}: signature does not verify with the board key")
        elif error is not None:
            problems.append(f"{where}: signature does not verify with the board key: {error}")
    if v.rec["state"] != "open" and heads[-1]["size"] != len(board):
        problems.append(f"the last head covers {heads[-1]['size']} leaves, the closed board has {len(board)}")
    _raise(problems)
    sizes = [h["size"] for h in heads]
    return (f"{len(heads)} heads, sizes {sizes[0]}..{sizes[-1]}, signatures verify (BLS, batch)",
            {"heads": len(heads)})


def check_supersession(v: Verification) -> tuple[str, dict[str, int]]:
    v.need("format")
    board, problems = v.rec["board"], []
    next_cast: dict[int, int] = {}
    last: dict[str, int] = {}
    for entry in board:
        if entry["kind"] == "cast":
            if entry["alias"] in last:
                next_cast[last[entry["alias"]]] = entry["leaf_index"]
            last[entry["alias"]] = entry["leaf_index"]
    superseded = 0
    by_index = {e["leaf_index"]: e for e in board}
    for entry in board:
        i, expected = entry["leaf_index"], next_cast.get(entry["leaf_index"])
        if entry["kind"] == "audited" and (entry["superseded_by"] is not None or entry["superseded_at"] is not None):
            problems.append(f"leaf {i}: an audited ballot is never superseded")
        elif entry["superseded_by"] != expected:
            problems.append(f"leaf {i}: superseded_by is {entry['superseded_by']}, the next cast of the same alias "
                            f"is {expected}")
        elif expected is not None:
            superseded += 1
            if entry["superseded_at"] != by_index[expected]["cast_at"]:
                problems.append(f"leaf {i}: superseded_at is not the time leaf {expected} was cast")
        elif entry["superseded_at"] is not None:
            problems.append(f"leaf {i}: superseded_at set on a ballot nobody superseded")
    _raise(problems)
    return f"{superseded} superseded, {len(last)} voters' last ballots count", {"superseded": superseded,
                                                                               "voters": len(last)}
