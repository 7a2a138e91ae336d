"""Batch verification of ballots without accelerators, against the naive baseline timed in the same run.

    .venv/bin/python -m bench.verify_bench                      # 10,000 ballots x 5 options, 2 workers
    .venv/bin/python -m bench.verify_bench --ballots 1000       # quick run
    .venv/bin/python -m bench.verify_bench --cache /tmp/b.json  # reuse generated ballots between runs

What is timed: ``voting.crypto.parallel.batch_verify_ballots`` on the pure-Python backend (plain
``int`` arithmetic: no gmpy2, no coincurve, whatever is installed) over ballots given as JSON with
SEC1-uncompressed points (the form of the election record), one question, choose 1..3 of 5 options:
decoding and validating every point and scalar, recomputing every challenge, one random linear
combination per chunk and its multi-scalar multiplication. Also timed: the same ballots with
compressed points (one square root per point), and, on a sample in one process, the previous
method (``Relation`` objects, ``BatchVerifier``, tracking code per ballot) against the current one.

Baseline: ``bench/baseline.py`` — the same proofs on py-ecc's reference arithmetic, checked one by
one. Its time per ballot is measured on ``--baseline-sample`` ballots in this run and multiplied
by ballots / workers (running it for 10,000 ballots takes about ten minutes); the line says so.
Ballots are generated with the fastest installed backend (generation is not what is measured).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import baseline
from voting.crypto.ballot import ChoiceQuestion, EncryptedBallot, ballot_relations, encrypt_ballot
from voting.crypto.batch import BatchVerifier
from voting.crypto.elgamal import ElectionKey
from voting.crypto.group import available_backends, base_mult, get_backend, use_backend
from voting.crypto.hashing import dst, hash_to_scalar
from voting.crypto.parallel import batch_verify_ballots, verify_ballot_chunk

FINGERPRINT = bytes.fromhex("5a" * 32)
CHOICE = ChoiceQuestion(options=("a", "b", "c", "d", "e"), min_selections=1, max_selections=3)
KEY = ElectionKey(base_mult(hash_to_scalar(dst("bench/verify"), "election key")))


def _choice(i: int) -> list[int]:
    return [1, i % 2, 0, (i // 2) % 2, 0]


def _generate(count: int, cache: Path | None) -> list[dict[str, Any]]:
    """Ballots as JSON with uncompressed points (cached in ``cache`` when given)."""
    if cache is not None and cache.exists():
        data = json.loads(cache.read_text())
        if data.get("key") == KEY.point.hex() and len(data["ballots"]) >= count:
            return data["ballots"][:count]
    t = time.perf_counter()
    with use_backend(available_backends()[-1]):
        ballots = [encrypt_ballot(CHOICE, _choice(i), KEY, FINGERPRINT, f"v{i}")[0].to_json(uncompressed=True)
                   for i in range(count)]
    print(f"# generated {count} ballots in {time.perf_counter() - t:.1f} s", flush=True)
    if cache is not None:
        cache.write_text(json.dumps({"key": KEY.point.hex(), "ballots": ballots}))
    return ballots


def _cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _timed(fn: Callable[[], object]) -> tuple[float, float, object]:
    wall, cpu = time.perf_counter(), _cpu()
    result = fn()
    return time.perf_counter() - wall, _cpu() - cpu, result


def _previous_method(ballots_json: list[dict[str, Any]]) -> list[str]:
    """What ``batch_verify_ballots`` did per chunk before the weighted fast form (kept for the ratio)."""
    verifier = BatchVerifier()
    for data in ballots_json:
        ballot = EncryptedBallot.from_json(data)
        verifier.add(ballot.tracking_code(), ballot_relations(ballot, CHOICE, KEY, FINGERPRINT))
    return verifier.find_bad()


def _compressed(data: dict[str, Any]) -> dict[str, Any]:
    return EncryptedBallot.from_json(data).to_json()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--baseline-sample", type=int, default=20,
                        help="ballots the naive baseline verifies for real (its total is extrapolated)")
    parser.add_argument("--sample", type=int, default=400,
                        help="ballots for the previous-vs-current comparison in one process")
    parser.add_argument("--no-compressed", action="store_true", help="skip the compressed-input run")
    parser.add_argument("--cache", type=Path, help="JSON file to keep the generated ballots in")
    args = parser.parse_args()
    rows: list[tuple[str, str, str]] = []

    def row(what: str, value: str, note: str = "") -> None:
        rows.append((what, value, note))
        print(f"{what:<72} {value:>12} {note}", flush=True)

    print(f"# python {platform.python_version()}, {os.cpu_count()} cores, {args.workers} workers, "
          f"installed backends {available_backends()}, load average {os.getloadavg()[0]:.1f}", flush=True)
    ballots = _generate(args.ballots, args.cache)

    # --- baseline: py-ecc reference arithmetic, one proof at a time ------------------------------
    ref_key = (KEY.point.x, KEY.point.y)
    sample = [baseline.encrypt_ballot(ref_key, _choice(i), 1, 3, FINGERPRINT, f"b{i}")
              for i in range(args.baseline_sample)]
    wall, cpu, ok = _timed(lambda: all(baseline.verify_ballot(ref_key, b, 1, 3, FINGERPRINT, f"b{i}")
                                       for i, b in enumerate(sample)))
    assert ok
    base_one = wall / len(sample)
    base_total = base_one * args.ballots / args.workers
    base_cpu_total = cpu / len(sample) * args.ballots  # CPU seconds, all ballots (any number of cores)
    row("baseline (py-ecc, one by one): verify one 5-option ballot", f"{1000 * base_one:.1f} ms",
        f"cpu {1000 * cpu / len(sample):.1f} ms; measured on {len(sample)} ballots")
    row(f"baseline: verify {args.ballots} ballots on {args.workers} cores (extrapolated)", f"{base_total:.0f} s",
        f"cpu {base_cpu_total:.0f} s")

    with use_backend("python"):
        assert get_backend() == "python"
        # --- the measurement -------------------------------------------------------------------
        progress: list[int] = []
        wall, cpu, bad = _timed(lambda: batch_verify_ballots(ballots, [CHOICE], KEY.point, FINGERPRINT,
                                                             workers=args.workers, progress=progress.append))
        assert bad == [], bad[:3]
        assert progress[-1] == args.ballots
        row(f"batch_verify_ballots {args.ballots} x 5, uncompressed, pure Python", f"{wall:.1f} s",
            f"**{base_total / wall:.0f}x baseline**; cpu {cpu:.1f} s over all processes "
            f"({base_cpu_total / cpu:.0f}x less than the baseline's), {len(progress)} progress calls")
        if not args.no_compressed:
            compressed = [_compressed(b) for b in ballots]
            wall_c, cpu_c, bad = _timed(lambda: batch_verify_ballots(compressed, [CHOICE], KEY.point, FINGERPRINT,
                                                                     workers=args.workers))
            assert bad == [], bad[:3]
            row(f"batch_verify_ballots {args.ballots} x 5, compressed, pure Python", f"{wall_c:.1f} s",
                f"{base_total / wall_c:.0f}x baseline; cpu {cpu_c:.1f} s ({base_cpu_total / cpu_c:.0f}x less)")
        # --- previous method against the current one, same sample, one process ----------------
        part = ballots[:args.sample]
        _, cpu_old, bad = _timed(lambda: _previous_method(part))
        assert bad == []
        _, cpu_new, bad = _timed(lambda: verify_ballot_chunk(part, [CHOICE], KEY.point, FINGERPRINT))
        assert bad == []
        row(f"one process, {len(part)} ballots: previous method (Relations, BatchVerifier)",
            f"{1000 * cpu_old / len(part):.2f} ms", "cpu per ballot")
        row(f"one process, {len(part)} ballots: current method (weighted terms)",
            f"{1000 * cpu_new / len(part):.2f} ms", f"cpu per ballot, {cpu_old / cpu_new:.1f}x faster")

    print(f"# load average at the end {os.getloadavg()[0]:.1f}")
    print("\n| measurement | result | notes |\n|---|---|---|")
    for what, value, note in rows:
        print(f"| {what} | {value} | {note} |")


if __name__ == "__main__":
    main()
