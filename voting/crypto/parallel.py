"""Batch verification of many ballots on all local cores.

The ballots (their JSON, as published: points compressed or — faster, no square roots —
uncompressed) are split into chunks of at most :data:`CHUNK` ballots. A worker process decodes
and validates every point and scalar of a chunk (:meth:`EncryptedBallot.from_json`), recomputes
every proof's Fiat–Shamir challenge, weights every relation with its own random 128-bit weight
and merges them (:func:`~voting.crypto.ballot.ballot_weighted_terms`), and checks the whole chunk
with one multi-scalar multiplication. A chunk that fails is bisected, with the same weights, to
name the bad ballots, and each bad ballot's proofs are then checked one by one to name the
question and option.

With the ``fork`` start method the workers read the ballots from the parent's memory (inherited at
fork) and only chunk boundaries and messages cross process boundaries; the parent reports
progress as chunks complete.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from .ballot import EncryptedBallot, QuestionSpec, ballot_relation_groups, ballot_weighted_terms
from .batch import WeightedTerms, find_bad_weighted, relations_hold, weighted_terms_hold
from .elgamal import ElectionKey
from .errors import CryptoError
from .group import G, Point, base_mult

#: Most ballots checked by one multi-scalar multiplication (and between two progress reports per
#: worker). Pippenger's cost per ballot falls slowly with the batch size (measured: ~15% less per
#: ballot at 2,500 than at 250 in pure Python), so this trades a little speed for progress and
#: for less work lost to bisection when a chunk fails.
CHUNK = 400
#: Below this many ballots per worker, one process does everything (forking costs more).
MIN_PER_WORKER = 50

# The jobs of the calls in progress, by id, for workers forked from this process to read.
_JOBS: dict[int, tuple[Sequence[Any], Sequence[str] | None, tuple[QuestionSpec, ...], bytes, bytes]] = {}
_job_ids = itertools.count(1)


def _label(data: object, index: int, labels: Sequence[str] | None) -> str:
    if labels is not None:
        return str(labels[index])
    ref = data.get("ballot_ref") if isinstance(data, dict) else None
    return ref if isinstance(ref, str) and ref else f"#{index}"


def _name_bad_proofs(ballot: EncryptedBallot, label: str, specs: tuple[QuestionSpec, ...], key: ElectionKey,
                     fingerprint: bytes) -> list[str]:
    """One message per proof of ``ballot`` whose equations fail (checked one proof at a time)."""
    groups = ballot_relation_groups(ballot, specs, key, fingerprint)
    bad = [name for name, rels in groups if not relations_hold(rels)]
    if not bad:  # the ballot failed in the batch but every proof holds alone: probability ~2^-128
        return [f"ballot {label}: proof equations do not hold"]
    return [f"ballot {label} {name}: proof does not verify" for name in bad]


def verify_ballot_chunk(ballots_json: Sequence[Any], specs: Sequence[QuestionSpec], key: Point,
                        fingerprint: bytes, labels: Sequence[str] | None = None) -> list[str]:
    """Check ``ballots_json`` in this process (decode, hash checks, one MSM, bisection on failure);
    return one message per failure in ballot order, naming the ballot by ``labels[i]`` (default:
    its ballot_ref)."""
    specs = tuple(specs)
    election_key = ElectionKey(key)
    found: list[tuple[int, str]] = []
    items: list[tuple[str, WeightedTerms]] = []
    decoded: list[EncryptedBallot | None] = []
    for index, data in enumerate(ballots_json):
        label = _label(data, index, labels)
        try:
            ballot = EncryptedBallot.from_json(data)
        except CryptoError as exc:
            found.append((index, f"ballot {label}: does not decode: {exc}"))
            decoded.append(None)
            continue
        decoded.append(ballot)
        try:
            terms = ballot_weighted_terms(ballot, specs, election_key, fingerprint)
        except CryptoError as exc:  # structure or a challenge hash: named without any MSM
            text = str(exc)
            prefix = f"ballot {ballot.ballot_ref}"
            found.append((index, f"ballot {label}{text[len(prefix):]}" if text.startswith(prefix)
                          else f"ballot {label}: {text}"))
            continue
        items.append((str(index), terms))
    bases = (G, key)
    if items and not weighted_terms_hold(bases, [t for _, t in items]):
        for key_label in find_bad_weighted(bases, items, known_bad=True):
            index = int(key_label)
            ballot = decoded[index]
            assert ballot is not None
            label = _label(ballots_json[index], index, labels)
            found += [(index, m) for m in _name_bad_proofs(ballot, label, specs, election_key, fingerprint)]
    found.sort(key=lambda item: item[0])  # stable: a ballot's messages keep their order
    return [m for _, m in found]


def _chunk_labels(ballots_json: Sequence[Any], labels: Sequence[str] | None, start: int, stop: int) -> list[str]:
    if labels is not None:
        return [str(x) for x in labels[start:stop]]
    return [_label(data, start + i, None) for i, data in enumerate(ballots_json[start:stop])]


def _run_chunk(args: tuple[int, int, int]) -> tuple[int, list[str]]:
    job, start, stop = args
    ballots_json, labels, specs, key_bytes, fingerprint = _JOBS[job]
    messages = verify_ballot_chunk(ballots_json[start:stop], specs, Point.from_bytes(key_bytes), fingerprint,
                                   _chunk_labels(ballots_json, labels, start, stop))
    return stop - start, messages


def batch_verify_ballots(ballots_json: Sequence[dict[str, Any]], specs: Sequence[QuestionSpec], key: Point,
                         fingerprint: bytes, *, workers: int | None = None,
                         progress: Callable[[int], None] | None = None,
                         labels: Sequence[str] | None = None) -> list[str]:
    """Verify every ballot's proofs; return one message per failure ([] when all verify).

    Messages name the ballot (``labels[i]`` if given — e.g. leaf indexes — else its ``ballot_ref``)
    and, when the failure is in one proof, the question and option: ``"ballot 17 question 0
    option 2: proof does not verify"``, ``"ballot v3 question 0 sum: selection count in [1..3]
    proof failed: …"``, ``"ballot v9: does not decode: …"``. They come in ballot order within
    each chunk, chunks in input order.

    ``progress(done)`` is called in this process (never in a worker) with the number of ballots
    checked so far, after each chunk of at most :data:`CHUNK` ballots; the last call has
    ``done == len(ballots_json)``.
    """
    if labels is not None and len(labels) != len(ballots_json):
        raise ValueError("batch_verify_ballots: labels must have one entry per ballot")
    workers = max(1, workers or os.cpu_count() or 1)
    specs = tuple(specs)
    total = len(ballots_json)
    # Chunks: at most CHUNK ballots, at least two per worker so that the cores finish together.
    per_chunk = max(1, min(CHUNK, -(-total // (2 * workers))))
    bounds = [(i, min(i + per_chunk, total)) for i in range(0, total, per_chunk)]
    messages: list[str] = []
    done = 0
    if workers == 1 or total < MIN_PER_WORKER * 2:
        for start, stop in bounds:
            messages += verify_ballot_chunk(ballots_json[start:stop], specs, key, fingerprint,
                                            _chunk_labels(ballots_json, labels, start, stop))
            if progress is not None:
                progress(stop)
        return messages
    base_mult(1)  # build G's table once here: the forked workers inherit it
    job = next(_job_ids)
    _JOBS[job] = (ballots_json, labels, specs, key.to_bytes(), fingerprint)
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            for count, chunk_messages in pool.map(_run_chunk, [(job, a, b) for a, b in bounds]):
                messages += chunk_messages
                done += count
                if progress is not None:
                    progress(done)
    finally:
        del _JOBS[job]
    return messages
