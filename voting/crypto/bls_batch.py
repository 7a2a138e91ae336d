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
``psi(P) == [x]P`` and RFC 9380 G.3), which tests/crypto/test_g2.py proves equal to py-ecc's
``subgroup_check`` and ``hash_to_G2`` on valid and invalid points. When the batch equation fails,
:func:`verify_many` checks the signatures one by one (two pairings each) to name every bad one.

:func:`verify_one`, :func:`pop_verify_many` and :func:`fast_aggregate_verify` give the answers of
py-ecc's ``G2ProofOfPossession`` ``Verify`` (with any DST), ``PopVerify`` and
``FastAggregateVerify`` with the same fast hash and subgroup check; :func:`pop_verify_many` also
batches the proofs of possession of many keys into one final exponentiation.

The per-signature work (decode, subgroup check, hash, weighting) runs on ``workers`` processes when
there are several signatures; the final two pairings in the caller.
"""

from __future__ import annotations

import multiprocessing
import os
import secrets
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from py_ecc.bls import G2ProofOfPossession as _Scheme
from py_ecc.bls.g2_primitives import pubkey_to_G1, signature_to_G2
from py_ecc.optimized_bls12_381 import (
    FQ2,
    FQ12,
    G1,
    Z1,
    Z2,
    add,
    final_exponentiate,
    is_inf,
    multiply,
    neg,
    normalize,
    pairing,
)

from . import g2
from .bls import PUBLIC_KEY_SIZE, SIGNATURE_SIZE, BlsPublicKey
from .errors import InvalidSignature

WEIGHT_BITS = 64
NOT_VERIFIED = "the signature does not verify with this key and message"
DST = _Scheme.DST  # b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_", as voting.crypto.bls signs

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


def signature_point(raw: object) -> Any:
    """Decode a 96-byte compressed signature into a G2 point, validated as py-ecc's ``Verify`` does
    (encoding, on the curve, in the subgroup) and not the identity; :class:`InvalidSignature` says
    which of these failed."""
    if not isinstance(raw, bytes | bytearray) or len(raw) != SIGNATURE_SIZE:
        raise InvalidSignature(f"the signature must be {SIGNATURE_SIZE} bytes")
    try:
        point = signature_to_G2(bytes(raw))  # type: ignore[arg-type]
    except (ValueError, AssertionError) as exc:  # py-ecc's ValidationError is a ValueError
        raise InvalidSignature(f"the signature is not a point on the curve: {exc}") from exc
    if is_inf(point):
        raise InvalidSignature("the signature is the point at infinity")
    if not g2.in_subgroup(point):  # py-ecc's subgroup_check, by the endomorphism (tested equal)
        raise InvalidSignature("the signature is not in the G2 subgroup")
    return point


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


def _pairs_hold(g1_side: Any, pk_point: Any, hash_side: Any) -> bool:
    """e(g1, g1_side) == e(pk, hash_side), as one product of two Miller loops and one final
    exponentiation (py-ecc's ``Verify`` does the same with the signature and one message)."""
    product = pairing(g1_side, G1, final_exponentiate=False) * pairing(hash_side, neg(pk_point),
                                                                       final_exponentiate=False)
    return final_exponentiate(product) == FQ12.one()


def _one(item: tuple[bytes, _Affine, _Affine]) -> bool:
    pk_raw, sig, mapped = item
    return _pairs_hold(_from_affine(sig), pubkey_to_G1(pk_raw), g2.clear_cofactor(_from_affine(mapped)))


def _map(function: Any, items: list[Any], workers: int) -> list[Any]:
    if workers > 1 and len(items) > 1:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=min(workers, len(items)), mp_context=context) as pool:
            return list(pool.map(function, items))
    return [function(item) for item in items]


def random_weight() -> int:
    """A uniform nonzero ``WEIGHT_BITS``-bit weight from :mod:`secrets`."""
    while True:
        weight = secrets.randbits(WEIGHT_BITS)
        if weight:
            return weight


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


def _valid_public_point(raw: object) -> Any | None:
    """The G1 point of a public key that ``G2ProofOfPossession`` accepts (48 bytes and
    ``KeyValidate``: decodes, not the identity, in G1), else ``None``."""
    if not isinstance(raw, bytes) or len(raw) != PUBLIC_KEY_SIZE or not _Scheme.KeyValidate(raw):  # type: ignore[arg-type]
        return None
    return pubkey_to_G1(raw)  # type: ignore[arg-type]


def _signature_or_none(raw: object) -> Any | None:
    """The G2 point of a signature ``_CoreVerify`` could accept (``bytes`` of 96, decodes, in G2),
    else ``None``. The identity is refused too: py-ecc would accept it only for a message hashing
    to the identity (e(O, g1) == e(H(m), pk) needs H(m) = O), which no one can find."""
    if not isinstance(raw, bytes):
        return None
    try:
        return signature_point(raw)
    except InvalidSignature:
        return None


def _verify_point(public_point: Any, message: object, signature_raw: object, dst: bytes) -> bool:
    if not isinstance(message, bytes):
        return False
    signature = _signature_or_none(signature_raw)
    if signature is None:
        return False
    return _pairs_hold(signature, public_point, g2.hash_to_G2(message, dst, _Scheme.xmd_hash_function))


def verify_one(public_raw: bytes, message: bytes, signature_raw: bytes, dst: bytes) -> bool:
    """py-ecc's ``G2ProofOfPossession._CoreVerify(public, message, signature, dst)`` (``Verify``
    with ``DST``, ``PopVerify`` with ``POP_TAG``) with the fast hash and subgroup check."""
    public_point = _valid_public_point(public_raw)
    return public_point is not None and _verify_point(public_point, message, signature_raw, dst)


def pop_verify_many(items: Sequence[tuple[bytes, bytes]]) -> list[bool]:
    """For each ``(public key, proof of possession)``: py-ecc's ``G2ProofOfPossession.PopVerify``.

    The well-formed pairs are checked together with random weights r_i (see the module docstring)::

        e(g1, Σ r_i·π_i) == Π e(r_i·pk_i, H_pop(pk_i))

    one Miller loop per pair (the weight on the cheaper G1 side) and one final exponentiation. Each
    pair keeps its own weight, so the 2^-64 bound holds even when a key appears twice. If the batch
    fails, the pairs are checked one by one to name the bad ones."""
    results = [False] * len(items)
    accepted: list[tuple[int, Any, Any, Any]] = []  # (index, pk point, proof point, H_pop(pk))
    for index, (public_raw, proof_raw) in enumerate(items):
        public_point = _valid_public_point(public_raw)
        proof = _signature_or_none(proof_raw) if public_point is not None else None
        if proof is not None:
            hashed = g2.hash_to_G2(public_raw, _Scheme.POP_TAG, _Scheme.xmd_hash_function)
            accepted.append((index, public_point, proof, hashed))
    if not accepted:
        return results
    weights = [random_weight() for _ in accepted]
    product = pairing(g2.linear_combination([proof for _i, _pk, proof, _h in accepted], weights), neg(G1),
                      final_exponentiate=False)
    for (_index, public_point, _proof, hashed), weight in zip(accepted, weights, strict=True):
        product *= pairing(hashed, multiply(public_point, weight), final_exponentiate=False)
    if final_exponentiate(product) == FQ12.one():
        for index, *_points in accepted:
            results[index] = True
        return results
    for index, public_point, proof, hashed in accepted:
        results[index] = _pairs_hold(proof, public_point, hashed)
    return results


def fast_aggregate_verify(public_raws: Sequence[bytes], message: bytes, signature_raw: bytes) -> bool:
    """py-ecc's ``G2ProofOfPossession.FastAggregateVerify`` with the fast hash and subgroup check:
    every key valid (48 bytes, ``KeyValidate``), at least one, and ``Verify`` of the sum of the keys
    (which refuses a sum at the identity; a sum of G1 points is in G1)."""
    points = [_valid_public_point(raw) for raw in public_raws]
    if not points or any(point is None for point in points):
        return False
    aggregate = Z1
    for point in points:
        aggregate = add(aggregate, point)
    return not is_inf(aggregate) and _verify_point(aggregate, message, signature_raw, DST)
