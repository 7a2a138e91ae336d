"""Fast G2 cofactor clearing, hashing and subgroup checks for BLS12-381, equal to py-ecc's.

Pure (stdlib and py-ecc only). py-ecc clears the cofactor of a hashed point by multiplying it by the
636-bit ``h_eff`` and checks membership of G2 by multiplying by the 255-bit group order ``r``; both
are plain double-and-add in Python and dominate the cost of checking a signature short of the
pairings. The standard endomorphism methods do the same work with two or one 64-bit multiplications
by the BLS parameter ``x`` (``-0xd201000000010000``) and the cheap endomorphism ``psi``:

- :func:`clear_cofactor` is RFC 9380 Appendix G.3 (Budroni-Pintore): ``h_eff·P = [x²-x-1]P +
  [x-1]psi(P) + psi²(2P)`` for every point P of E'(Fp2), which is how RFC 9380 defines ``h_eff``.
- :func:`linear_combination` computes the batch verifier's weighted sums Σ r_i·P_i with shared
  doublings and signed windows (Straus with width-5 NAF) instead of one double-and-add per point.
- :func:`in_subgroup` is M. Scott's test ("A note on group membership tests for G1, G2 and GT on BLS
  pairing-friendly curves", ePrint 2021/1130, proof completed in ePrint 2022/352): a point P of
  E'(Fp2) is in G2 exactly when ``psi(P) == [x]P``; blst and zkcrypto/bls12_381 use it.

tests/voting/crypto/test_g2.py checks both against py-ecc on points in G2 and on points of E'(Fp2) outside
it (``map_to_curve_G2`` outputs before clearing, and sums of those with G2 points).

Points are py-ecc's optimized ones: homogeneous projective ``(X, Y, Z)`` over ``FQ2`` with affine
``(X/Z, Y/Z)``, and ``Z == 0`` for the point at infinity.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from py_ecc.bls.hash_to_curve import hash_to_field_FQ2, map_to_curve_G2
from py_ecc.optimized_bls12_381 import FQ2, Z2, add, double, eq, field_modulus, is_inf, multiply, neg

Point = tuple[FQ2, FQ2, FQ2]  # py-ecc's optimized G2 point

BLS_X = -0xD201000000010000  # the BLS12-381 parameter x (negative), RFC 9380 section 8.8.2
_ABS_X = -BLS_X


def _conjugate(element: FQ2) -> FQ2:
    """The Frobenius map a + b·i -> a - b·i of Fp2 = Fp[i]/(i² + 1) (py-ecc's FQ2 modulus)."""
    real, imaginary = element.coeffs
    return FQ2([real, -imaginary])


def _psi_constants() -> tuple[FQ2, FQ2]:
    """c1 = 1/(1+i)^((p-1)/3) and c2 = 1/(1+i)^((p-1)/2), computed from RFC 9380 G.3's definition."""
    one_plus_i = FQ2([1, 1])
    return FQ2.one() / one_plus_i ** ((field_modulus - 1) // 3), FQ2.one() / one_plus_i ** ((field_modulus - 1) // 2)


if FQ2([0, 1]) ** 2 != -FQ2.one():  # _conjugate and the constants assume i² = -1
    raise ImportError("py-ecc's FQ2 is not Fp[i]/(i² + 1)")
PSI_X, PSI_Y = _psi_constants()


def psi(point: Point) -> Point:
    """The untwist-Frobenius-twist endomorphism psi(x, y) = (c1·conj(x), c2·conj(y)) of E'(Fp2).

    In homogeneous coordinates x = X/Z, so conj(x) = conj(X)/conj(Z): conjugating Z as well gives
    the image without an inversion. The point at infinity (Z = 0) stays at infinity."""
    x, y, z = point
    return PSI_X * _conjugate(x), PSI_Y * _conjugate(y), _conjugate(z)


def _times_x(point: Point) -> Point:
    """[x]P for the (negative) BLS parameter x."""
    return neg(multiply(point, _ABS_X))


def _subtract(left: Point, right: Point) -> Point:
    return add(left, neg(right))


def clear_cofactor(point: Point) -> Point:
    """h_eff·P (py-ecc's ``clear_cofactor_G2``) by RFC 9380 G.3's ``clear_cofactor_bls12381_g2``:
    [x²-x-1]P + [x-1]psi(P) + psi²(2P), two 64-bit multiplications instead of one 636-bit one."""
    t1 = _times_x(point)  # [x]P
    t2 = psi(point)
    t3 = psi(psi(double(point)))  # psi²(2P)
    t3 = _subtract(t3, t2)  # psi²(2P) - psi(P)
    t2 = _times_x(add(t1, t2))  # [x²]P + [x]psi(P)
    t3 = add(t3, t2)
    t3 = _subtract(t3, t1)
    return _subtract(t3, point)


def map_to_E2(message: bytes, dst: bytes, hash_function: Any) -> Point:
    """RFC 9380 hash_to_curve before its last step: map_to_curve(u0) + map_to_curve(u1), a point of
    E'(Fp2) not yet in G2. ``clear_cofactor`` is a group homomorphism, so a weighted sum of these
    can be cleared once: Σ r_i·H(m_i) = clear_cofactor(Σ r_i·map_to_E2(m_i))."""
    u0, u1 = hash_to_field_FQ2(message, 2, dst, hash_function)
    return add(map_to_curve_G2(u0), map_to_curve_G2(u1))


def hash_to_G2(message: bytes, dst: bytes, hash_function: Any) -> Point:
    """py-ecc's ``hash_to_G2`` (RFC 9380 hash_to_curve, BLS12381G2_XMD:SHA-256_SSWU_RO_) with
    :func:`clear_cofactor` in place of the multiplication by h_eff: the same point."""
    return clear_cofactor(map_to_E2(message, dst, hash_function))


def in_subgroup(point: Point) -> bool:
    """Whether a point of E'(Fp2) is in G2 (py-ecc's ``subgroup_check``: [r]P is infinity), by
    Scott's psi(P) == [x]P. The point must be on the curve (as ``signature_to_G2`` ensures); the
    point at infinity is in G2."""
    return eq(psi(point), _times_x(point))


_WINDOW = 5  # width-5 NAF digits: odd, in [-15, 15]; 8 precomputed multiples a point


def _naf_digits(scalar: int) -> list[int]:
    """The width-5 non-adjacent form of a non-negative scalar, least significant digit first: at most
    one nonzero digit in any 5 consecutive ones, so ~bits/6 additions instead of ~bits/2."""
    digits = []
    while scalar:
        digit = 0
        if scalar & 1:
            digit = scalar % (1 << _WINDOW)
            if digit >= 1 << (_WINDOW - 1):
                digit -= 1 << _WINDOW
            scalar -= digit
        digits.append(digit)
        scalar >>= 1
    return digits


def linear_combination(points: Sequence[Point], scalars: Sequence[int]) -> Point:
    """Σ scalars_i·points_i over E'(Fp2) (any points, non-negative scalars), the same point as
    summing py-ecc's ``multiply`` of each. The doublings are shared by all the points (Straus), so n
    64-bit weights cost 64 doublings and ~11n additions rather than n·(64 doublings + 32 additions)."""
    if len(points) != len(scalars) or any(scalar < 0 for scalar in scalars):
        raise ValueError("one non-negative scalar per point is needed")
    tables: list[list[Point]] = []  # P, 3P, 5P, ..., 15P for each point
    for point in points:
        twice = double(point)
        table = [point]
        for _ in range((1 << (_WINDOW - 2)) - 1):
            table.append(add(table[-1], twice))
        tables.append(table)
    expansions = [_naf_digits(scalar) for scalar in scalars]
    total: Point = Z2
    for position in range(max((len(digits) for digits in expansions), default=0) - 1, -1, -1):
        if not is_inf(total):
            total = double(total)
        for table, digits in zip(tables, expansions, strict=True):
            digit = digits[position] if position < len(digits) else 0
            if digit > 0:
                total = add(total, table[digit >> 1])
            elif digit < 0:
                total = add(total, neg(table[-digit >> 1]))
    return total
