"""voting.crypto.g2 and the py-ecc-equivalent verifications of voting.crypto.bls_fast: every fast path
gives py-ecc's answer on valid and invalid inputs. py-ecc is slow (~0.2 s a cofactor clearing, ~0.3 s a
signature), so each check uses a handful of points."""

from __future__ import annotations

import hashlib
import random

import pytest
from py_ecc.bls import G2ProofOfPossession as Scheme
from py_ecc.bls.g2_primitives import G1_to_pubkey, G2_to_signature, pubkey_to_G1, subgroup_check
from py_ecc.bls.hash_to_curve import clear_cofactor_G2, hash_to_field_FQ2, map_to_curve_G2
from py_ecc.bls.hash_to_curve import hash_to_G2 as reference_hash_to_G2
from py_ecc.optimized_bls12_381 import (
    FQ2,
    G2,
    Z1,
    Z2,
    add,
    b2,
    curve_order,
    field_modulus,
    is_inf,
    is_on_curve,
    multiply,
    neg,
    normalize,
)

from tests.voting.crypto.test_bls_batch import INFINITY, _off_curve, _outside_subgroup
from voting.crypto import bls, bls_fast, g2

SHA256 = Scheme.xmd_hash_function


def _unclear(seed: bytes) -> tuple[FQ2, FQ2, FQ2]:
    """A point of E'(Fp2) as hash_to_G2 makes it before clearing the cofactor (almost never in G2)."""
    u0, u1 = hash_to_field_FQ2(seed, 2, b"test_g2 points", SHA256)
    return add(map_to_curve_G2(u0), map_to_curve_G2(u1))


UNCLEAR = [_unclear(bytes([i])) for i in range(3)]
IN_G2 = [G2, multiply(G2, 0xDEADBEEF), reference_hash_to_G2(b"in G2", Scheme.DST, SHA256)]
MIXED = [add(IN_G2[1], UNCLEAR[0]), multiply(UNCLEAR[1], curve_order)]  # G2 + non-G2; order dividing h2


def _same(left: tuple[FQ2, FQ2, FQ2], right: tuple[FQ2, FQ2, FQ2]) -> bool:
    if is_inf(left) or is_inf(right):
        return is_inf(left) and is_inf(right)
    return normalize(left) == normalize(right)


def _conj(element: FQ2) -> FQ2:
    return FQ2([element.coeffs[0], -element.coeffs[1]])


def test_the_invalid_points_really_are_outside_g2() -> None:
    for point in UNCLEAR + MIXED:
        assert is_on_curve(point, b2)
        assert not is_inf(point)
        assert not subgroup_check(point)


def test_psi_is_the_affine_definition_in_projective_coordinates() -> None:
    one_plus_i = FQ2([1, 1])
    assert g2.PSI_X * one_plus_i ** ((field_modulus - 1) // 3) == FQ2.one()
    assert g2.PSI_Y * one_plus_i ** ((field_modulus - 1) // 2) == FQ2.one()
    for point in [IN_G2[1], UNCLEAR[0], MIXED[0]]:
        scaled = (point[0] * FQ2([3, 5]), point[1] * FQ2([3, 5]), point[2] * FQ2([3, 5]))  # same point
        x, y = normalize(point)
        for image in (g2.psi(point), g2.psi(scaled)):
            assert is_on_curve(image, b2)
            assert normalize(image) == (g2.PSI_X * _conj(x), g2.PSI_Y * _conj(y))
    assert is_inf(g2.psi(Z2))


def test_psi_satisfies_the_frobenius_equation_on_points_outside_g2() -> None:
    # psi² - t·psi + p = 0 on E'(Fp2), with t = x + 1 the trace of Frobenius of E(Fp): an independent
    # check that the constants are those of the endomorphism, not merely of some map
    point = UNCLEAR[2]
    trace = g2.BLS_X + 1
    total = add(add(g2.psi(g2.psi(point)), multiply(g2.psi(point), -trace)), multiply(point, field_modulus))
    assert is_inf(total)


@pytest.mark.parametrize("index", range(len(UNCLEAR + MIXED + IN_G2) + 1))
def test_clear_cofactor_equals_py_ecc(index: int) -> None:
    point = (UNCLEAR + MIXED + IN_G2 + [Z2])[index]
    assert _same(g2.clear_cofactor(point), clear_cofactor_G2(point))


@pytest.mark.parametrize("dst", [Scheme.DST, Scheme.POP_TAG])
def test_hash_to_g2_equals_py_ecc(dst: bytes) -> None:
    for message in [b"", b"abc", b"tree head 7", bytes(range(200))]:
        ours = g2.hash_to_G2(message, dst, SHA256)
        assert _same(ours, reference_hash_to_G2(message, dst, SHA256))
        assert G2_to_signature(ours) == G2_to_signature(reference_hash_to_G2(message, dst, SHA256))


def test_in_subgroup_agrees_with_py_ecc() -> None:
    from py_ecc.bls.g2_primitives import signature_to_G2

    outside = signature_to_G2(_outside_subgroup())  # type: ignore[arg-type]
    for point in [Z2, *IN_G2, add(IN_G2[0], IN_G2[1]), *UNCLEAR, *MIXED, outside, neg(outside)]:
        assert g2.in_subgroup(point) == subgroup_check(point)
    assert g2.in_subgroup(Z2)
    assert all(g2.in_subgroup(point) for point in IN_G2)
    assert not any(g2.in_subgroup(point) for point in [*UNCLEAR, *MIXED, outside])


def test_linear_combination_equals_the_sum_of_py_ecc_multiplications() -> None:
    rng = random.Random(64)
    points = [*IN_G2, UNCLEAR[0], MIXED[1], Z2, IN_G2[0]]
    scalars = [rng.getrandbits(64), 0, 1, rng.getrandbits(255), rng.getrandbits(64), 31, 2**64 - 1]
    expected = Z2
    for point, scalar in zip(points, scalars, strict=True):
        expected = add(expected, multiply(point, scalar))
    assert _same(g2.linear_combination(points, scalars), expected)
    assert _same(g2.linear_combination([IN_G2[0], neg(IN_G2[0])], [5, 5]), Z2)  # cancelling terms
    assert _same(g2.linear_combination([IN_G2[0], IN_G2[0]], [3, 3]), multiply(IN_G2[0], 6))  # equal terms
    assert is_inf(g2.linear_combination([], []))
    with pytest.raises(ValueError, match="one non-negative scalar per point"):
        g2.linear_combination(points, scalars[:-1])
    with pytest.raises(ValueError, match="one non-negative scalar per point"):
        g2.linear_combination(points[:1], [-1])


@pytest.fixture(scope="module")
def keys() -> list[bls.BlsSecretKey]:
    return [bls.keygen(hashlib.sha256(f"trustee {i}".encode()).digest()) for i in range(3)]


def _bad_public_keys(keys: list[bls.BlsSecretKey]) -> list[object]:
    raw = keys[0].public_key().raw
    return [
        G1_to_pubkey(Z1),  # the identity
        raw[:47],  # too short
        bytearray(raw),  # not bytes
        bytes([raw[0] ^ 0x80]) + raw[1:],  # compression flag cleared
        bytes([0x80]) + bytes(46) + b"\x05",  # x with no point (or the wrong flags)
    ]


def test_verify_one_answers_as_py_ecc(keys) -> None:
    public = keys[0].public_key().raw
    message = b"tree head"
    signature = bls.sign(keys[0], message).raw
    cases = [
        (public, message, signature),
        (public, b"another head", signature),
        (keys[1].public_key().raw, message, signature),
        (public, message, INFINITY),
        (public, message, _off_curve()),
        (public, message, _outside_subgroup()),
        (public, message, signature[:95]),
        (public, message, bytearray(signature)),
        (public, bytearray(message), signature),
    ] + [(bad, message, signature) for bad in _bad_public_keys(keys)]
    answers = [bls_fast.verify_one(p, m, s, Scheme.DST) for p, m, s in cases]  # type: ignore[arg-type]
    assert answers == [Scheme.Verify(p, m, s) for p, m, s in cases]  # type: ignore[arg-type]
    assert answers[0]
    assert not any(answers[1:])
    # the DST is the caller's: a proof of possession verifies with POP_TAG only
    proof = Scheme.PopProve(keys[0].value)
    assert bls_fast.verify_one(public, public, proof, Scheme.POP_TAG)
    assert not bls_fast.verify_one(public, public, proof, Scheme.DST)


def test_pop_verify_many_answers_as_py_ecc_and_names_the_bad_ones(keys) -> None:
    publics = [k.public_key().raw for k in keys]
    proofs = [Scheme.PopProve(k.value) for k in keys]
    assert bls_fast.pop_verify_many(list(zip(publics, proofs, strict=True))) == [True, True, True]
    assert bls_fast.pop_verify_many([]) == []
    items = [
        (publics[0], proofs[0]),
        (publics[1], proofs[2]),  # the proof of another key, in the middle
        (publics[2], proofs[2]),
        (publics[0], proofs[0]),  # a key twice
        (publics[1], bls.sign(keys[1], publics[1]).raw),  # signed with the message DST, not POP_TAG
        (publics[2], INFINITY),
        (publics[2], _outside_subgroup()),
        (publics[2], _off_curve()),
        (publics[2], proofs[2][:95]),
    ] + [(bad, proofs[0]) for bad in _bad_public_keys(keys)]
    expected = [True, False, True, True] + [False] * (len(items) - 4)
    assert bls_fast.pop_verify_many(items) == expected  # type: ignore[arg-type]
    assert [Scheme.PopVerify(p, s) for p, s in items[:7]] == expected[:7]  # type: ignore[arg-type]
    assert bls_fast.pop_verify_many(items[1:2]) == [False]  # type: ignore[arg-type]


def test_fast_aggregate_verify_answers_as_py_ecc(keys) -> None:
    publics = [k.public_key().raw for k in keys]
    message = b"result"
    signature = bls.aggregate([bls.sign(k, message) for k in keys]).raw
    negated = G1_to_pubkey(neg(pubkey_to_G1(publics[0])))  # a valid key; with publics[0] sums to the identity
    cases = [
        (publics, message, signature),
        (publics[::-1], message, signature),
        (publics[:2], message, signature),  # a signer missing
        (publics, b"other result", signature),
        ([], message, signature),
        ([publics[0], negated], message, INFINITY),
        (publics, message, INFINITY),
        (publics, message, _outside_subgroup()),
        (publics, bytearray(message), signature),
        ([*publics[:2], _bad_public_keys(keys)[0]], message, signature),
        ([*publics, _bad_public_keys(keys)[3]], message, signature),
    ]
    answers = [bls_fast.fast_aggregate_verify(p, m, s) for p, m, s in cases]  # type: ignore[arg-type]
    assert answers == [Scheme.FastAggregateVerify(p, m, s) for p, m, s in cases]  # type: ignore[arg-type]
    assert answers[:2] == [True, True]
    assert not any(answers[2:])
