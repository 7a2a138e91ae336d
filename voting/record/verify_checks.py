"""The checks of ``dataguild-verify``, in the order docs/record-spec.md lists them. Each check has a
stable name, returns its counts and a one-line summary, or reports every problem it found; a check
whose inputs failed an earlier check is skipped with the reason.

PURE: stdlib and the pure ``voting`` modules only (no Flask, SQLAlchemy, click or governance).
"""

from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from voting.crypto import bls, bls_fast
from voting.crypto import trustees as T
from voting.crypto.errors import CryptoError
from voting.crypto.group import Point
from voting.record import canonical as record
from voting.record import document as er
from voting.record import tally
from voting.record.verify_ballots import BoardPass, PassResult

PASS, FAIL, SKIP = "PASS", "FAIL", "SKIP"
#: What a check raises on a malformed record (reported as "malformed: …").
_HEX64 = re.compile(r"[0-9a-f]{64}")
MALFORMED = (CryptoError, KeyError, TypeError, ValueError, AttributeError, IndexError)


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


def pops_valid(pairs: list[tuple[object, object]]) -> list[bool]:
    """For each (BLS public key hex, proof of possession hex): lowercase hex of the right sizes, and
    py-ecc's ``PopVerify`` holds — all pairs in one batch (``bls_fast.pop_verify_many``).
    Remembered per process, like the heads: the tamper tests verify the same committee many times."""
    todo = [pair for pair in dict.fromkeys(pairs) if pair not in _POPS_DONE]
    well_formed: list[tuple[tuple[object, object], tuple[bytes, bytes]]] = []
    for key_hex, pop_hex in todo:
        try:
            raw = (bls.hex_bytes(key_hex, bls.PUBLIC_KEY_SIZE, "BLS public key"),
                   bls.hex_bytes(pop_hex, bls.SIGNATURE_SIZE, "BLS proof of possession"))
        except CryptoError:
            _POPS_DONE[(key_hex, pop_hex)] = False
            continue
        well_formed.append(((key_hex, pop_hex), raw))
    verdicts = bls_fast.pop_verify_many([raw for _, raw in well_formed])
    _POPS_DONE.update((pair, ok) for (pair, _), ok in zip(well_formed, verdicts, strict=True))
    return [_POPS_DONE[pair] for pair in pairs]


_POPS_DONE: dict[tuple[object, object], bool] = {}


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
    board_run: BoardPass | None = None
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
        except MALFORMED as exc:
            what = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
            result = CheckResult(name, FAIL, f"malformed: {what}", [f"malformed: {what}"])
        result.seconds = time.monotonic() - started
        self.results[name] = result
        return result


# ---------------------------------------------------------------- format, manifest, keys, roll

def check_format(v: Verification) -> tuple[str, dict[str, int]]:
    er.check_shape(v.rec)  # raises RecordError (a CryptoError): reported as malformed
    return f"{v.rec['format']}, election {v.rec['election_id']}, state {v.rec['state']}", {}


def check_manifest(v: Verification) -> tuple[str, dict[str, int]]:
    v.need("format")
    m, problems = v.manifest, []
    expected_format = record.MANIFEST_FORMAT if er.record_version(v.rec) == 2 else record.MANIFEST_FORMAT_V1
    if m.get("format") != expected_format:
        problems.append(f"the manifest format {m.get('format')!r} is not {expected_format!r}, which a "
                        f"{v.rec['format']} record holds")
    fingerprint = record.manifest_fingerprint(m)
    if fingerprint != v.rec["fingerprint"]:
        problems.append(f"the fingerprint is not the manifest's hash (recomputed {fingerprint})")
    if m.get("election_id") != v.rec["election_id"]:
        problems.append(f"the manifest is election {m.get('election_id')}'s, the record says {v.rec['election_id']}")
    if m.get("secrecy") not in er.SECRECIES:
        problems.append(f"unknown secrecy {m.get('secrecy')!r}")
    if m.get("secrecy") == "secret" and not m.get("election_key"):
        problems.append("a secret election's manifest names no election key")
    scripts = m.get("client_scripts", {})
    if not isinstance(scripts, dict) or not all(isinstance(k, str) and isinstance(h, str) and _HEX64.fullmatch(h)
                                                for k, h in scripts.items()):
        problems.append("client_scripts must map each script's path to its SHA-256 (64 lowercase hex)")
    record.parse_iso_seconds(m["window"]["opens_at"], "window.opens_at")
    record.parse_iso_seconds(m["window"]["closes_at"], "window.closes_at")
    v.specs = tally.specs_of(m)
    _raise(problems)
    return f"fingerprint {fingerprint[:16]}…, {m['secrecy']}, {len(v.specs)} question(s)", {"questions": len(v.specs)}


def check_rule(v: Verification) -> tuple[str, dict[str, int]]:
    """The decision rule fixed in the (fingerprinted) manifest: its form, that it is the election's
    method and proposal kind, and that it is the constitution snapshot's rule for that kind, the
    snapshot (in the record) hashing to the hash the rule names."""
    if er.record_version(v.rec) == 1:
        raise Skip("version 1 record: " + "; ".join(er.V1_LACKS), applies=False)
    v.need("manifest")
    rule, constitution, problems = v.manifest["rule"], v.rec["constitution"], []
    if rule["kind"] != v.manifest["proposal"]["kind"] or rule["method"] != v.manifest["method"]:
        problems.append("the rule is for another method or kind of proposal than the manifest's")
    if rule["ties"] != record.TIES_STATUS_QUO or rule["abstentions"] != record.ABSTENTIONS_QUORUM_ONLY:
        problems.append(f"unknown tie or abstention rule {rule['ties']!r} / {rule['abstentions']!r}")
    ints = ("quorum_percent", "threshold_numerator", "threshold_denominator", "alternatives")
    if not all(isinstance(rule[k], int) and not isinstance(rule[k], bool) and rule[k] >= 0 for k in ints) \
            or rule["quorum_percent"] > 100 or not rule["threshold_denominator"] > 0 \
            or rule["threshold_numerator"] > rule["threshold_denominator"]:
        problems.append("the rule's quorum, threshold or alternatives are not sensible integers")
        _raise(problems)
    source = "the default constitution (no version)"
    if rule["constitution_version"] is None or constitution is None:
        if rule["constitution_version"] is not None or constitution is not None:
            problems.append("the rule and the record's constitution disagree on whether a version applies")
    else:
        if constitution["version"] != rule["constitution_version"]:
            problems.append(f"the record's constitution is version {constitution['version']}, the rule names "
                            f"version {rule['constitution_version']}")
        recomputed = er.constitution_hash(constitution["snapshot"])
        if recomputed != rule["constitution_snapshot_hash"]:
            problems.append(f"the constitution snapshot hashes to {recomputed}, not to the rule's "
                            f"{rule['constitution_snapshot_hash']}")
        of_kind = [k for k in constitution["snapshot"] if isinstance(k, dict) and k.get("kind") == rule["kind"]]
        if of_kind:
            fixed = {k: of_kind[0].get(k) for k in ("quorum_percent", "threshold_numerator", "threshold_denominator")}
            if fixed != {k: rule[k] for k in fixed}:
                problems.append(f"the rule's quorum and threshold are not the constitution's for {rule['kind']}: "
                                f"{fixed}")
            source = f"constitution version {rule['constitution_version']}"
        else:
            source = (f"constitution version {rule['constitution_version']}, which predates the kind "
                      f"{rule['kind']} (its defaults apply)")
    _raise(problems)
    return (f"quorum {rule['quorum_percent']}%, threshold {rule['threshold_numerator']}/"
            f"{rule['threshold_denominator']}, ties keep the status quo, from {source}", {})


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
    for item, valid in zip(c["bls"], pops_valid([(x["bls_public_key"], x["bls_pop"]) for x in c["bls"]]),
                           strict=True):
        if valid:
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


@functools.lru_cache(maxsize=256)
def certificate_valid(manifest: bytes, result: bytes, certificate: bytes) -> bool:
    """``tally.verify_certificate`` on canonical JSON bytes, remembered (a BLS pairing costs ~1 s)."""
    try:
        tally.verify_certificate(json.loads(manifest), json.loads(result), json.loads(certificate))
    except CryptoError:
        return False
    return True
