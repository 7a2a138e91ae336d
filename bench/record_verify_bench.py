"""The verifier benchmark: ``dataguild-verify`` on a whole synthetic but valid election record,
against the naive baseline timed in the same run.

    .venv/bin/python -m bench.record_verify_bench                 # 10,000 ballots x 5 options
    .venv/bin/python -m bench.record_verify_bench --ballots 500   # a quick run

The record is built with the pure code only (no database): a 2-of-3 trustee ceremony with BLS keys,
a manifest, a roll of one alias per ballot, one ballot per alias (one question, 5 options, choose 1..3,
like bench/crypto_bench.py) encrypted in parallel with the fastest backend, every leaf's receipt
(BIP-340), the signed tree heads the site would sign (throwaway BLS key), the encrypted tally,
two trustees' decryption shares, the result, its aggregate certificate and the outcome. It is cached
(``--cache``, default ``$TMPDIR/dataguild-bench``) so reruns skip the generation.

The ballots are spread evenly over the 7-day voting window (one every ~60 s for 10,000), and the tree
heads are the ones the site's schedule (``voting.elections.board.schedule_due``) signs for that election: at
creation, whenever the board has doubled since the latest head or the latest head is 6 hours old,
and at close. ``--heads-every N`` instead signs one every N leaves (the bench's earlier record).

Then ``dataguild-verify`` runs on it in a subprocess with ``DATAGUILD_CRYPTO_BACKEND=python`` (pure
Python, no gmpy2/coincurve), every check. The baseline — bench/baseline.py's ballot proofs on
py-ecc's reference arithmetic and BIP-340 receipts on py-ecc's secp256k1, one by one — is timed on a
sample and extrapolated to the whole record on the same number of cores (it says so); the BLS checks
(heads, proofs of possession, certificate: py-ecc's reference Verify, PopVerify and FastAggregateVerify)
are timed one by one in full; the verifier
batch-verifies the heads (``voting.crypto.bls_batch``). The baseline
is timed in CPU time (load-independent); the verifier in wall time and in CPU time of it and its
workers, because this machine is shared: divided by the workers, the CPU time is what an idle
machine would take.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from py_ecc.bls import G2ProofOfPossession as ReferenceBls
from py_ecc.secp256k1 import secp256k1 as ref

from bench import baseline
from voting.crypto import bip340, bls
from voting.crypto import trustees as T
from voting.crypto.ballot import ChoiceQuestion, encrypt_ballot
from voting.crypto.elgamal import ElectionKey
from voting.crypto.group import Point, available_backends, use_backend
from voting.crypto.keyfile import generate_trustee
from voting.crypto.merkle import NO_PREVIOUS, MerkleLog, SignedTreeHead
from voting.elections.board import schedule_due  # the site's head schedule (imports the site's models; fine in a bench)
from voting.record import canonical as record
from voting.record import document as er
from voting.record import tally

ROOT = Path(__file__).resolve().parents[1]
OPENS = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
WINDOW = timedelta(days=7)
CHOICE = ChoiceQuestion(options=("a", "b", "c", "d", "e"), min_selections=1, max_selections=3)


# ---------------------------------------------------------------- the synthetic record

def _committee(rng: Any) -> tuple[dict[str, Any], dict[str, Any], T.JointKey, dict[int, Any], dict[int, Any]]:
    ceremony = T.Ceremony(hashlib.sha256(b"bench committee").digest(), 3, 2)
    keys = [generate_trustee(i, rng) for i in ceremony.indices]
    announcements = [T.announce(ceremony, t, rng=rng) for t in keys]
    roster = T.check_roster(ceremony, announcements)
    dealings = [T.deal(ceremony, t, roster, rng=rng) for t in keys]
    commitments = [d.commitment for d in dealings]
    shares = [s for d in dealings for s in d.shares]
    joint = T.finalize_ceremony(ceremony, roster, commitments, shares)
    final = {d.secrets.index: T.derive_trustee_share(
        joint, d.secrets, T.collect_shares(ceremony, d.secrets, roster, commitments, shares, rng=rng)[0])
        for d in dealings}
    bls_secrets = {j: bls.keygen(hashlib.sha256(f"bench bls {j}".encode()).digest()) for j in ceremony.indices}
    bls_keys = {j: (s.public_key().to_hex(), bls.pop_prove(s).to_hex()) for j, s in bls_secrets.items()}
    transcript = {"ceremony": ceremony.to_json(), "announcements": [a.to_json() for a in announcements],
                  "bls": [{"index": j, "bls_public_key": k, "bls_pop": p} for j, (k, p) in bls_keys.items()],
                  "commitments": [c.to_json() for c in commitments],
                  "encrypted_shares": [s.to_json() for s in shares], "complaints": [], "disqualified": {},
                  "joint_key": joint.to_json()}
    summary = {"committee_id": 1, "name": "Bench committee", "ceremony_fingerprint": ceremony.fingerprint.hex(),
               "k": 2, "n": 3, "election_key": joint.election_key().hex(), "joint_key": joint.to_json(),
               "trustees": [{"index": j, "verification_key": joint.verification_key(j).hex(),
                             "bls_public_key": bls_keys[j][0], "bls_pop": bls_keys[j][1]} for j in joint.committee]}
    return transcript, summary, joint, final, bls_secrets


_GEN: dict[str, Any] = {}


def _make_entries(indexes: range) -> list[dict[str, Any]]:
    g = _GEN
    out = []
    with use_backend(available_backends()[-1]):
        for i in indexes:
            choices = [1, i % 2, 0, (i // 2) % 2, 0]
            ballot, _ = encrypt_ballot(CHOICE, choices, g["key"], bytes.fromhex(g["fingerprint"]), f"b-{i:08d}")
            fields = {"fingerprint": g["fingerprint"], "leaf_index": i, "kind": "cast", "alias": g["roll"][i],
                      "tracking_code": ballot.tracking_code(),
                      "cast_at": record.iso_seconds(cast_time(i, g["ballots"])), "payload": ballot.to_json()}
            out.append({"leaf_index": i, "kind": "cast", "alias": fields["alias"],
                        "tracking_code": fields["tracking_code"], "cast_at": fields["cast_at"],
                        "payload": ballot.to_json(uncompressed=True), "leaf_hash": record.leaf_hash_hex(**fields),
                        "receipt_signature": "", "receipt_head": "", "superseded_by": None, "superseded_at": None})
    return out


def _sign_receipts(items: list[tuple[dict[str, Any], str]]) -> list[dict[str, Any]]:
    """The entries with their receipts signed, each naming the head hash it is paired with."""
    g = _GEN
    out = []
    for entry, head in items:
        message = record.receipt_message(
            election_id=1, fingerprint=g["fingerprint"], leaf_index=entry["leaf_index"], kind="cast",
            tracking_code=entry["tracking_code"], cast_at=entry["cast_at"], leaf_hash=entry["leaf_hash"],
            server_public_key=g["receipt_public"], head=head)
        signature = bip340.sign(g["receipt_secret"], message).hex()
        out.append({**entry, "receipt_head": head, "receipt_signature": signature})
    return out


def cast_time(i: int, ballots: int) -> datetime:
    """Ballot ``i`` of ``ballots`` spread evenly over the window, whole seconds."""
    return OPENS + timedelta(seconds=i * int(WINDOW.total_seconds()) // ballots)


def head_plan(ballots: int, heads_every: int) -> list[tuple[int, datetime]]:
    """``(size, signed at)`` of every tree head: the site's schedule (``heads_every`` 0) or one every
    ``heads_every`` leaves; always the creation head (size 0) and the closing head."""
    plan = [(0, OPENS)]
    for n in range(1, ballots + 1):
        now = cast_time(n - 1, ballots)
        due = n % heads_every == 0 if heads_every else schedule_due(plan[-1][0], plan[-1][1], n, now)
        if due:
            plan.append((n, now))
    if plan[-1][0] != ballots:
        plan.append((ballots, OPENS + WINDOW))
    return plan


def build_bench_record(ballots: int, heads_every: int, workers: int) -> dict[str, Any]:
    rng = T.deterministic_rng(b"verify bench")
    transcript, summary, joint, trustee_secrets, bls_secrets = _committee(rng)
    board_key = bls.keygen(hashlib.sha256(b"bench board key").digest())
    receipt_secret = bip340.generate_secret()
    roll = sorted(f"voter-{hashlib.sha256(str(i).encode()).hexdigest()[:16]}" for i in range(ballots))
    manifest = record.manifest_document(
        election_id=1, cooperative="Bench cooperative",
        proposal={"id": 1, "kind": "data_use_rule", "title": "Bench", "version": 1, "content_hash": "0" * 64},
        method="one_member_one_vote", secrecy="secret", questions=[CHOICE.to_json()], opens_at=OPENS,
        closes_at=OPENS + WINDOW, roll_size=ballots, roll_hash_hex=record.roll_hash(roll),
        election_key=joint.election_key().hex(), committee=summary, board_public_key=board_key.public_key().to_hex(),
        receipt_public_key=bip340.pubkey_from_secret(receipt_secret).hex(), constitution_version=None,
        rule=record.decision_rule(kind="data_use_rule", method="one_member_one_vote", quorum_percent=20,
                                  threshold_numerator=1, threshold_denominator=2, alternatives=5,
                                  constitution_version=None, constitution_snapshot_hash=None))
    fingerprint = record.manifest_fingerprint(manifest)
    _GEN.update(key=ElectionKey(joint.election_key()), fingerprint=fingerprint, roll=roll, ballots=ballots,
                receipt_secret=receipt_secret, receipt_public=manifest["receipt_public_key"])
    size = -(-ballots // (workers * 8))
    ranges = [range(i, min(i + size, ballots)) for i in range(0, ballots, size)]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        board = [entry for part in pool.map(_make_entries, ranges) for entry in part]
        log = MerkleLog()
        heads, named, previous = [], [], NO_PREVIOUS  # named[i]: the head hash leaf i's receipt signs
        plan = dict(head_plan(ballots, heads_every))
        for n, entry in enumerate([None, *board]):
            if entry is not None:
                log.append_hash(bytes.fromhex(entry["leaf_hash"]))
            if n in plan:
                head = SignedTreeHead.create(board_key, bytes.fromhex(fingerprint), n, log.root(),
                                             int(plan[n].timestamp() * 1000), previous)
                previous = head.head_hash()
                heads.append({**head.to_json(), "signing_key": board_key.public_key().to_hex()})
            if n:
                named.append(previous.hex())  # the latest head after leaf n - 1's cast
        items = list(zip(board, named, strict=True))
        board = [entry for part in pool.map(_sign_receipts, [items[r.start:r.stop] for r in ranges]) for entry in part]
    counted = tally.counted_leaves(er.board_leaves({"board": board}))
    document = tally.tally_document(fingerprint, tally.specs_of(manifest), counted, len(board))
    cts = tally.tally_from_document(document)
    shares = {j: tally.make_shares(joint, trustee_secrets[j], fingerprint, cts) for j in (1, 2)}
    parsed = {j: tally.parse_shares(s, [5]) for j, s in shares.items()}
    result = er.result_document(manifest, fingerprint, tally.combine(joint, fingerprint, document, parsed),
                                len(counted), ballots)
    message = tally.result_message(result)
    signatures = {j: bls.sign(bls_secrets[j], message) for j in (1, 2)}
    certificate = {"format": tally.CERTIFICATE_FORMAT, "kind": "trustees", "threshold": 2, "decrypted_by": [1, 2],
                   "signers": [1, 2], "signature": bls.aggregate(list(signatures.values())).to_hex()}
    rule = manifest["rule"]
    inputs = er.outcome_inputs(manifest, result, 5)
    state, chosen = er.decide(rule, inputs)
    outcome = {"rule": rule, "inputs": inputs, "state": state, "chosen_alternative": chosen,
               "record_hash": tally.result_hash(result)}
    return er.build_record(
        election_id=1, manifest=manifest, state="decided", exported_at=record.iso_seconds(OPENS + timedelta(days=8)),
        roll=roll, committee=transcript, board=board, tree_heads=heads, tally=document,
        decryptions=[{"trustee_index": j, "shares": shares[j], "result_signature": signatures[j].to_hex()}
                     for j in (1, 2)],
        result=result, certificate=certificate, outcome=outcome, uncompressed_points=False)


# ---------------------------------------------------------------- the naive baseline

def _naive_bip340_verify(public_x: int, message: bytes, signature: bytes) -> bool:
    """BIP-340 verification on py-ecc's reference arithmetic: two multiplications, one signature at a time."""
    y = pow(public_x ** 3 + 7, (ref.P + 1) // 4, ref.P)
    public = (public_x, y if y % 2 == 0 else ref.P - y)
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    tag = hashlib.sha256(b"BIP0340/challenge").digest()
    e = int.from_bytes(hashlib.sha256(tag + tag + signature[:32] + public_x.to_bytes(32, "big") + message)
                       .digest(), "big") % ref.N
    point = ref.add(ref.multiply(ref.G, s), ref.multiply(public, ref.N - e))
    return point[0] == r and point[1] % 2 == 0


def naive_seconds(rec: dict[str, Any], workers: int, sample: int) -> tuple[float, float, float, float]:
    """(per-ballot ms, per-receipt ms, ballots extrapolated s, receipts extrapolated s) on ``workers`` cores."""
    key = ElectionKey(Point.from_hex(rec["manifest"]["election_key"]))
    ref_key = (key.point.x, key.point.y)
    fp = bytes.fromhex(rec["fingerprint"])
    naive = [baseline.encrypt_ballot(ref_key, [1, i % 2, 0, 0, 0], 1, 3, fp, f"n{i}") for i in range(sample)]
    started = time.process_time()
    assert all(baseline.verify_ballot(ref_key, b, 1, 3, fp, f"n{i}") for i, b in enumerate(naive))
    per_ballot = (time.process_time() - started) / sample
    public_x = int(rec["keys"]["receipt_public_key"], 16)
    entries = rec["board"][:sample]
    started = time.process_time()
    for entry in entries:
        receipt = er.receipt_of(rec, entry)
        assert _naive_bip340_verify(public_x, receipt.message(), bytes.fromhex(entry["receipt_signature"]))
    per_receipt = (time.process_time() - started) / len(entries)
    n = len(rec["board"])
    return 1000 * per_ballot, 1000 * per_receipt, per_ballot * n / workers, per_receipt * n / workers


def naive_bls_seconds(rec: dict[str, Any]) -> float:
    """Every BLS check of the record one by one (heads, proofs of possession, the certificate) with
    py-ecc's reference ``G2ProofOfPossession`` (``voting.crypto.bls`` now verifies with the faster
    endomorphism equivalents of ``voting.crypto.g2``, so it is not the baseline)."""
    started = time.process_time()
    board_key = bytes.fromhex(rec["keys"]["board_public_key"])
    for head in rec["tree_heads"]:
        message = SignedTreeHead.signed_message(bytes.fromhex(head["fingerprint"]), head["size"],
                                                bytes.fromhex(head["root"]), head["timestamp"],
                                                bytes.fromhex(head["previous"]))
        assert ReferenceBls.Verify(board_key, message, bytes.fromhex(head["signature"]))
    for item in rec["committee"]["bls"]:
        assert ReferenceBls.PopVerify(bytes.fromhex(item["bls_public_key"]), bytes.fromhex(item["bls_pop"]))
    keys = tally.trustee_bls_keys(rec["manifest"])
    assert ReferenceBls.FastAggregateVerify([bytes.fromhex(keys[j]) for j in rec["certificate"]["signers"]],
                                            tally.result_message(rec["result"]),
                                            bytes.fromhex(rec["certificate"]["signature"]))
    return time.process_time() - started


# ---------------------------------------------------------------- main

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--heads-every", type=int, default=0,
                        help="leaves between signed tree heads (default 0: the site's head schedule)")
    parser.add_argument("--sample", type=int, default=10, help="ballots and receipts timed for the baseline")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "dataguild-bench")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    schedule = f"every-{args.heads_every}" if args.heads_every else "site"
    # The cache is keyed by the code that writes the record, so a changed format never reads a stale one.
    tag = hashlib.sha256(b"".join(Path(f).read_bytes() for f in (__file__, er.__file__))).hexdigest()[:12]
    path = args.cache / f"verify-record-v{er.RECORD_VERSION}-{tag}-{args.ballots}-{schedule}.json"
    print(f"# python {platform.python_version()}, {os.cpu_count()} cores, backends {available_backends()}, "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    if path.exists():
        print(f"# record: {path} (cached)", flush=True)
    else:
        started = time.perf_counter()
        rec = build_bench_record(args.ballots, args.heads_every, args.workers)
        path.write_bytes(er.record_bytes(rec))
        print(f"# record: {path}, generated in {time.perf_counter() - started:.0f} s", flush=True)
    rec = er.read_record(path)
    sizes = [h["size"] for h in rec["tree_heads"]]
    how = (f"one every {args.heads_every} leaves" if args.heads_every else
           "the site's schedule for ballots spread evenly over 7 days: creation, each doubling of the board, "
           "every 6 h, close")
    print(f"# {path.stat().st_size / 1e6:.1f} MB, {len(rec['board'])} leaves, {len(sizes)} heads ({how}; sizes "
          f"{', '.join(map(str, sizes[:16]))}{', ...' if len(sizes) > 16 else ''})", flush=True)
    env = {**os.environ, "DATAGUILD_CRYPTO_BACKEND": "python"}
    command = [sys.executable, "-m", "voting.record.verify", str(path), "--json", "--no-progress",
               "--workers", str(args.workers)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    verify_s = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    report = json.loads(done.stdout)
    assert done.returncode == 0, [c for c in report["checks"] if c["status"] != "PASS"]
    print(f"# verified (exit 0) in {verify_s:.1f} s wall, {cpu_s:.1f} s CPU (verifier and its workers), "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    print("# slowest checks (wall): " + ", ".join(
        f"{c['name']} {c['seconds']:.1f} s" for c in sorted(report["checks"], key=lambda c: -c["seconds"])[:5]))
    ballot_ms, receipt_ms, naive_ballots_s, naive_receipts_s = naive_seconds(rec, args.workers, args.sample)
    heads = len(rec["tree_heads"])
    bls_s = naive_bls_seconds(rec)
    naive_s = naive_ballots_s + naive_receipts_s + bls_s
    rows = [
        (f"dataguild-verify, {args.ballots} ballots x 5, {heads} heads (pure Python)", f"{verify_s:.1f} s",
         f"{args.workers} workers, all {len(report['checks'])} checks pass, process start and JSON parsing "
         "included"),
        ("the same run in CPU time / workers (what an idle machine would take)", f"{cpu_s / args.workers:.1f} s",
         f"{cpu_s:.1f} s CPU in all"),
        ("baseline: verify one ballot, one by one (py-ecc)", f"{ballot_ms:.0f} ms", f"CPU, sample of {args.sample}"),
        ("baseline: verify one receipt, one by one (py-ecc)", f"{receipt_ms:.1f} ms",
         f"CPU, sample of {args.sample}"),
        (f"baseline: BLS checks one by one ({heads} heads, 3 proofs of possession, certificate)",
         f"{bls_s:.1f} s", "CPU, all of them, py-ecc's reference BLS one by one"),
        (f"baseline: whole record ({args.ballots} ballots + receipts extrapolated, BLS measured)", f"{naive_s:.0f} s",
         f"{args.workers} cores for ballots and receipts"),
        ("dataguild-verify vs baseline", f"{naive_s / (cpu_s / args.workers):.1f}x",
         f"both in CPU time per core ({naive_s / verify_s:.1f}x against the verifier's wall time)"),
    ]
    print("\n| measurement | result | note |\n|---|---|---|")
    for what, value, note in rows:
        print(f"| {what} | {value} | {note} |")


if __name__ == "__main__":
    main()
