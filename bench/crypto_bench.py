"""Ballot-crypto benchmark: every figure of the crypto issue, against a baseline timed in the same run.

    .venv/bin/python -m bench.crypto_bench            # full run (10,000 ballots x 5 options)
    .venv/bin/python -m bench.crypto_bench --ballots 1000

Baseline: bench/baseline.py — the same proofs on py-ecc's reference arithmetic, one multiply per
exponentiation, checked one by one. Its 10,000-ballot figure is extrapolated from timing a sample
(running it in full takes several minutes per core); the line says so.
Prints a Markdown table; docs/performance.md holds the latest output.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable

from bench import baseline
from voting.crypto import trustees as tr
from voting.crypto.ballot import (
    ChoiceQuestion,
    EncryptedBallot,
    QuadraticQuestion,
    ballot_relations,
    encrypt_ballot,
    verify_ballot,
)
from voting.crypto.batch import BatchVerifier
from voting.crypto.elgamal import ElectionKey, sum_ciphertexts
from voting.crypto.group import available_backends, use_backend
from voting.crypto.keyfile import generate_trustee
from voting.crypto.parallel import batch_verify_ballots

FINGERPRINT = bytes.fromhex("5a" * 32)
CHOICE = ChoiceQuestion(options=("a", "b", "c", "d", "e"), min_selections=1, max_selections=3)
QUADRATIC = QuadraticQuestion(options=("a", "b", "c", "d", "e"), budget=99, allow_negative=True)
Q_CHOICE = [3, -4, 5, 2, -6]  # 9 + 16 + 25 + 4 + 36 = 90 <= 99


def _avg_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def _ceremony(k: int, n: int) -> tuple[tr.JointKey, list]:
    rng = tr.deterministic_rng(b"bench")
    ceremony = tr.Ceremony(FINGERPRINT, n, k)
    keys = [generate_trustee(i, rng) for i in ceremony.indices]
    roster = tr.check_roster(ceremony, [tr.announce(ceremony, t, rng=rng) for t in keys])
    dealings = [tr.deal(ceremony, t, roster, rng=rng) for t in keys]
    commitments = [d.commitment for d in dealings]
    shares = [s for d in dealings for s in d.shares]
    collected = {d.secrets.index: tr.collect_shares(ceremony, d.secrets, roster, commitments, shares, rng=rng)[0]
                 for d in dealings}
    joint = tr.finalize_ceremony(ceremony, roster, commitments, shares)
    final = [tr.derive_trustee_share(joint, d.secrets, collected[d.secrets.index]) for d in dealings]
    return joint, final


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    rows: list[tuple[str, str, str, str]] = []

    def row(what: str, backend: str, value: str, ratio: str = "") -> None:
        rows.append((what, backend, value, ratio))
        print(f"{what:<58} {backend:<10} {value:>14} {ratio}", flush=True)

    print(f"# python {platform.python_version()}, {os.cpu_count()} cores, backends {available_backends()}")
    # --- baseline -----------------------------------------------------------------------------
    joint, trustees = _ceremony(2, 3)
    key = ElectionKey(joint.election_key())
    ref_key = (key.point.x, key.point.y)
    choice = [1, 0, 1, 0, 0]
    sample = [baseline.encrypt_ballot(ref_key, choice, 1, 3, FINGERPRINT, f"b{i}") for i in range(3)]
    base_prove = _avg_ms(lambda: baseline.encrypt_ballot(ref_key, choice, 1, 3, FINGERPRINT, "b"), 5)
    base_verify = _avg_ms(lambda: baseline.verify_ballot(ref_key, sample[0], 1, 3, FINGERPRINT, "b0"), 5)
    base_batch_s = base_verify * args.ballots / 1000 / args.workers
    row("baseline: encrypt+prove 5-option ballot", "py-ecc", f"{base_prove:.1f} ms")
    row("baseline: verify one 5-option ballot", "py-ecc", f"{base_verify:.1f} ms")
    row(f"baseline: verify {args.ballots} ballots (extrapolated)", "py-ecc", f"{base_batch_s:.0f} s",
        f"({args.workers} cores)")

    # One set of ballots for every backend (made with the fastest one).
    t = time.perf_counter()
    with use_backend(available_backends()[-1]):
        ballots = [encrypt_ballot(CHOICE, [1, i % 2, 0, (i // 2) % 2, 0], key, FINGERPRINT, f"v{i}")[0]
                   for i in range(args.ballots)]
    ballots_json = [b.to_json() for b in ballots]
    print(f"# generated {args.ballots} ballots in {time.perf_counter() - t:.1f} s")

    for backend in available_backends():
        with use_backend(backend):
            prove = _avg_ms(lambda: encrypt_ballot(CHOICE, choice, key, FINGERPRINT, "x"), 30)
            row("encrypt + prove 5-option ballot", backend, f"{prove:.2f} ms", f"{base_prove / prove:.1f}x baseline")
            verify = _avg_ms(lambda: verify_ballot(EncryptedBallot.from_json(ballots_json[0]), CHOICE, key,
                                                   FINGERPRINT), 30)
            row("verify one ballot at cast time (incl. decoding)", backend, f"{verify:.2f} ms",
                f"{base_verify / verify:.1f}x baseline")
            t = time.perf_counter()
            bad = batch_verify_ballots(ballots_json, [CHOICE], key.point, FINGERPRINT, workers=args.workers)
            batch_s = time.perf_counter() - t
            assert bad == [], bad[:3]
            row(f"batch-verify {args.ballots} ballots x 5 (decode+hash+MSM)", backend, f"{batch_s:.1f} s",
                f"{base_batch_s / batch_s:.0f}x baseline, {args.workers} cores")

            decoded = [EncryptedBallot.from_json(b) for b in ballots_json]
            t = time.perf_counter()
            tally = [sum_ciphertexts([b.answers[0].tally_ciphertexts()[o] for b in decoded]) for o in range(5)]
            shares = {s.index: tr.partial_decrypt_tally(joint, s, tally) for s in trustees[:2]}
            totals = tr.combine_tally(joint, tally, shares, bound=args.ballots)
            tally_s = time.perf_counter() - t
            assert totals[0] == args.ballots, totals
            row(f"homomorphic tally + 2-of-3 threshold decryption ({args.ballots} x 5)", backend,
                f"{tally_s:.2f} s")


            q_prove = _avg_ms(lambda: encrypt_ballot(QUADRATIC, Q_CHOICE, key, FINGERPRINT, "q"), 3)
            row("quadratic B=99, 5 options: encrypt + prove", backend, f"{q_prove:.0f} ms")
            q_ballots = [encrypt_ballot(QUADRATIC, Q_CHOICE, key, FINGERPRINT, f"q{i}")[0] for i in range(10)]
            t = time.perf_counter()
            verifier = BatchVerifier()
            for qb in q_ballots:
                decoded_q = EncryptedBallot.from_json(qb.to_json())
                verifier.add(decoded_q.tracking_code(), ballot_relations(decoded_q, QUADRATIC, key, FINGERPRINT))
            verifier.verify()
            row("quadratic B=99, 5 options: batch-verify, per ballot", backend,
                f"{1000 * (time.perf_counter() - t) / len(q_ballots):.0f} ms")

    print("\n| measurement | backend | result | vs baseline |\n|---|---|---|---|")
    for what, backend, value, ratio in rows:
        print(f"| {what} | {backend} | {value} | {ratio} |")


if __name__ == "__main__":
    main()
