"""Batch verification of many BLS signatures made by one key (the board's signed tree heads).

Pure (py-ecc only). Every head of an election is signed by the cooperative's one BLS key, so instead
of two pairings per signature (py-ecc's ``Verify``: ~0.4 s each) the verifier checks all of them in
one equation with random weights (small-exponent batch verification)::

    e(g1, Σ r_i·σ_i) == e(pk, Σ r_i·H(m_i))

with ``r_i`` uniform in [1, 2^64) from :mod:`secrets`, chosen after the signatures are read. If
every ``σ_i = sk·H(m_i)`` the equation holds; if any one does not, it holds with probability at most
2^-64 (the points are in the prime-order subgroup, so a bad ``σ_i`` leaves a nonzero difference
that the unknown ``r_i`` would have to cancel). Each signature still costs its decoding, its
subgroup check and its map to the curve (the same as in ``Verify``), but the pairings are paid
once, the weighted sums share their doublings (:func:`voting.crypto.g2.linear_combination`), and
the hash's last step, clearing the cofactor (a homomorphism), is applied once to the weighted sum
of the mapped messages: Σ r_i·H(m_i) = clear_cofactor(Σ r_i·map_to_E2(m_i)).

Every signature point is validated as py-ecc's ``Verify`` does (``signature_to_G2``: the encoding
and on the curve; then in G2) and the point at infinity is refused (the IETF draft's
``signature_subgroup_check`` plus an explicit identity check, as :class:`voting.crypto.bls.
BlsSignature` does). The message is hashed to G2 as py-ecc's ``hash_to_G2`` does with the DST of the
scheme :mod:`voting.crypto.bls` uses (``G2ProofOfPossession``), so the batch accepts exactly what
:func:`voting.crypto.bls.verify` accepts (up to the 2^-64 above). The subgroup check and the
hash's cofactor clearing are the fast endomorphism equivalents of :mod:`voting.crypto.g2` (Scott's
``psi(P) == [x]P`` and RFC 9380 G.3), which tests/voting/crypto/test_g2.py proves equal to py-ecc's
``subgroup_check`` and ``hash_to_G2`` on valid and invalid points. When the batch equation fails,
:func:`verify_many` checks the signatures one by one (two pairings each) to name every bad one.

The per-signature work (decode, subgroup check, hash, weighting) runs on ``workers`` processes when
there are several signatures; the final two pairings in the caller.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from py_ecc.bls import G2ProofOfPossession as _Scheme
from py_ecc.bls.g2_primitives import pubkey_to_G1
from py_ecc.optimized_bls12_381 import (
    FQ2,
    Z2,
    add,
    is_inf,
    normalize,
)

from . import g2
from .bls import BlsPublicKey
from .bls_fast import DST, _pairs_hold, random_weight, signature_point
from .errors import InvalidSignature

NOT_VERIFIED = "the signature does not verify with this key and message"

_Affine = tuple[tuple[int, int], tuple[int, int]] | None  # a G2 point for pickling (None: infinity)


def _to_affine(point: Any) -> _Affine:
    if is_inf(point):
        return None
    x, y = normalize(point)
    return (int(x.coeffs[0]), int(x.coeffs[1])), (int(y.coeffs[0]), int(y.coeffs[1]))


def _from_affine(data: _Affine) -> Any:
    if data is None:
        return Z2
    (x0, x1), (y0, y1) = data
    return FQ2([x0, x1]), FQ2([y0, y1]), FQ2.one()


@dataclass(frozen=True)
class _Prepared:
    errors: list[str | None]  # per item: why its signature point was refused, or None
    points: list[tuple[_Affine, _Affine]]  # per item: (σ_i, m_i mapped to E' uncleared), None when refused
    weighted_sig: _Affine  # Σ r_i·σ_i over the accepted items
    weighted_hash: _Affine  # Σ r_i·map_to_E2(m_i) over the accepted items (cofactor not cleared yet)


def _prepare(chunk: Sequence[tuple[bytes, bytes, int]]) -> _Prepared:
    """Decode, validate, hash and weight one chunk of ``(message, signature, weight)``."""
    errors: list[str | None] = []
    points: list[tuple[_Affine, _Affine]] = []
    sigs: list[Any] = []  # the accepted σ_i, mapped m_i and r_i, weighted together at the end
    hashes: list[Any] = []
    weights: list[int] = []
    for message, raw, weight in chunk:
        try:
            sig = signature_point(raw)
        except InvalidSignature as exc:
            errors.append(str(exc))
            points.append((None, None))
            continue
        hashed = g2.map_to_E2(message, DST, _Scheme.xmd_hash_function)  # cleared once, on the sum
        errors.append(None)
        points.append((_to_affine(sig), _to_affine(hashed)))
        sigs.append(sig)
        hashes.append(hashed)
        weights.append(weight)
    return _Prepared(errors, points, _to_affine(g2.linear_combination(sigs, weights)),
                     _to_affine(g2.linear_combination(hashes, weights)))


def _one(item: tuple[bytes, _Affine, _Affine]) -> bool:
    pk_raw, sig, mapped = item
    return _pairs_hold(_from_affine(sig), pubkey_to_G1(pk_raw), g2.clear_cofactor(_from_affine(mapped)))


def _map(function: Any, items: list[Any], workers: int) -> list[Any]:
    if workers > 1 and len(items) > 1:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=min(workers, len(items)), mp_context=context) as pool:
            return list(pool.map(function, items))
    return [function(item) for item in items]


def verify_many(public: BlsPublicKey, messages: Sequence[bytes], signatures: Sequence[bytes], *,
                workers: int | None = 1) -> list[str | None]:
    """Check that ``signatures[i]`` is ``public``'s BLS signature of ``messages[i]`` for every i.

    Returns one entry per signature: ``None`` if it verifies, else why not ("the signature is not in
    the G2 subgroup", "does not verify with this key and message", …). All valid: one batch equation.
    ``workers`` (default 1; ``None``: every core) processes share the per-signature work."""
    if len(messages) != len(signatures):
        raise InvalidSignature("as many messages as signatures are needed")
    if not all(isinstance(m, bytes | bytearray) for m in messages):
        raise InvalidSignature("BLS messages must be bytes")
    n = len(messages)
    if n == 0:
        return []
    workers = max(1, workers or os.cpu_count() or 1)
    items = [(bytes(m), bytes(s) if isinstance(s, bytes | bytearray) else s, random_weight())
             for m, s in zip(messages, signatures, strict=True)]
    size = -(-n // min(workers, n))
    chunks = [items[i:i + size] for i in range(0, n, size)]
    prepared: list[_Prepared] = _map(_prepare, chunks, workers)
    errors = [e for part in prepared for e in part.errors]
    points = [p for part in prepared for p in part.points]
    sig_sum, hash_sum = Z2, Z2
    for part in prepared:
        sig_sum = add(sig_sum, _from_affine(part.weighted_sig))
        hash_sum = add(hash_sum, _from_affine(part.weighted_hash))
    pk_point = pubkey_to_G1(public.raw)
    accepted = [i for i in range(n) if errors[i] is None]
    if not accepted or _pairs_hold(sig_sum, pk_point, g2.clear_cofactor(hash_sum)):
        return errors
    # The batch failed: find which accepted signatures are bad, one by one.
    singles = _map(_one, [(public.raw, *points[i]) for i in accepted], workers)
    for i, ok in zip(accepted, singles, strict=True):
        if not ok:
            errors[i] = NOT_VERIFIED
    return errors


def batch_verify(public: BlsPublicKey, messages: Sequence[bytes], signatures: Sequence[bytes], *,
                 workers: int | None = 1) -> None:
    """Every signature verifies, or :class:`InvalidSignature` naming the first bad one (by index)."""
    for i, error in enumerate(verify_many(public, messages, signatures, workers=workers)):
        if error is not None:
            raise InvalidSignature(f"signature {i}: {error}")


