"""py-ecc's BLS verification answers, fast: one signature, proofs of possession, fast aggregates.

:func:`verify_one`, :func:`pop_verify_many` and :func:`fast_aggregate_verify` give the answers of
py-ecc's ``G2ProofOfPossession`` ``Verify`` (with any DST), ``PopVerify`` and ``FastAggregateVerify``
with the endomorphism-based hash-to-G2 cofactor clearing and G2 subgroup check of
:mod:`voting.crypto.g2` (Scott's ``psi(P) == [x]P`` and RFC 9380 G.3), which
tests/voting/crypto/test_g2.py proves equal to py-ecc's on valid and invalid points.
:func:`pop_verify_many` also batches the proofs of possession of many keys into one final
exponentiation with random ``WEIGHT_BITS``-bit weights. :mod:`voting.crypto.bls` verifies with
these; :mod:`voting.crypto.bls_batch` batches many signatures of one key.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from py_ecc.bls import G2ProofOfPossession as _Scheme
from py_ecc.bls.g2_primitives import pubkey_to_G1, signature_to_G2
from py_ecc.optimized_bls12_381 import FQ12, G1, Z1, add, final_exponentiate, is_inf, multiply, neg, pairing

from . import g2
from .errors import InvalidSignature

PUBLIC_KEY_SIZE = 48
SIGNATURE_SIZE = 96
WEIGHT_BITS = 64
DST = _Scheme.DST  # b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_", as voting.crypto.bls signs


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


def _pairs_hold(g1_side: Any, pk_point: Any, hash_side: Any) -> bool:
    """e(g1, g1_side) == e(pk, hash_side), as one product of two Miller loops and one final
    exponentiation (py-ecc's ``Verify`` does the same with the signature and one message)."""
    product = pairing(g1_side, G1, final_exponentiate=False) * pairing(hash_side, neg(pk_point),
                                                                       final_exponentiate=False)
    return final_exponentiate(product) == FQ12.one()


def random_weight() -> int:
    """A uniform nonzero ``WEIGHT_BITS``-bit weight from :mod:`secrets`."""
    while True:
        weight = secrets.randbits(WEIGHT_BITS)
        if weight:
            return weight


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
