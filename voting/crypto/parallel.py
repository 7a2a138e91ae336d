"""Batch verification of many ballots on all local cores.

Ballots travel to worker processes as their JSON (cheaper to send than points, and each worker
validates and decodes its own share of the points). Each worker checks its chunk with one random
linear combination; a chunk that fails is bisected to name the bad ballots.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from .ballot import EncryptedBallot, QuestionSpec, ballot_relations
from .batch import BatchVerifier
from .elgamal import ElectionKey
from .errors import CryptoError
from .group import Point


def _verify_chunk(args: tuple[list[dict[str, Any]], Sequence[QuestionSpec], bytes, bytes]) -> list[str]:
    ballots_json, specs, key_bytes, fingerprint = args
    key = ElectionKey(Point.from_bytes(key_bytes))
    verifier = BatchVerifier()
    bad: list[str] = []
    for data in ballots_json:
        label = str(data.get("ballot_ref", "?")) if isinstance(data, dict) else "?"
        try:
            ballot = EncryptedBallot.from_json(data)
            verifier.add(ballot.tracking_code(), ballot_relations(ballot, specs, key, fingerprint))
        except CryptoError as exc:  # malformed, or a hash check failed: no need to batch it
            bad.append(f"{label}: {exc}")
    return bad + [f"{code}: proof relations do not hold" for code in verifier.find_bad()]


def batch_verify_ballots(ballots_json: Sequence[dict[str, Any]], specs: Sequence[QuestionSpec], key: Point,
                         fingerprint: bytes, *, workers: int | None = None) -> list[str]:
    """Verify every ballot's proofs; return one message per bad ballot ([] when all verify)."""
    workers = max(1, workers or os.cpu_count() or 1)
    specs = tuple(specs)
    if workers == 1 or len(ballots_json) < 2 * workers:
        return _verify_chunk((list(ballots_json), specs, key.to_bytes(), fingerprint))
    size = -(-len(ballots_json) // workers)
    chunks = [(list(ballots_json[i:i + size]), specs, key.to_bytes(), fingerprint)
              for i in range(0, len(ballots_json), size)]
    # fork: workers inherit the chosen arithmetic backend and the warm fixed-base tables.
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return [msg for result in pool.map(_verify_chunk, chunks) for msg in result]
