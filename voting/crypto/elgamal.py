"""Exponential ElGamal on secp256k1: ``Enc(m; r) = (r·G, m·G + r·K)``.

Ciphertexts add componentwise (``Enc(a) + Enc(b) = Enc(a + b)``), so a tally is the sum of the
ballots' ciphertexts. Only totals are ever decrypted; the small total ``m`` is recovered from
``m·G`` by baby-step giant-step within a known bound.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from .errors import DiscreteLogOutOfRange, InvalidEncoding
from .group import IDENTITY, FixedBase, G, Point, base_mult, random_scalar, sum_points


@dataclass(frozen=True, slots=True)
class Ciphertext:
    """``alpha = r·G``, ``beta = m·G + r·K``."""

    alpha: Point
    beta: Point

    def __add__(self, other: Ciphertext) -> Ciphertext:
        return Ciphertext(self.alpha + other.alpha, self.beta + other.beta)

    def __neg__(self) -> Ciphertext:
        return Ciphertext(-self.alpha, -self.beta)

    def __sub__(self, other: Ciphertext) -> Ciphertext:
        return self + (-other)

    def to_json(self, *, uncompressed: bool = False) -> list[str]:
        compressed = not uncompressed
        return [self.alpha.hex(compressed=compressed), self.beta.hex(compressed=compressed)]

    @classmethod
    def from_json(cls, data: object) -> Ciphertext:
        """Decode ``[alpha_hex, beta_hex]`` (SEC1 compressed or uncompressed); both points are
        validated (on curve, not infinity)."""
        if not isinstance(data, list | tuple) or len(data) != 2 or not all(isinstance(x, str) for x in data):
            raise InvalidEncoding("ciphertext must be a list of two hex-encoded points")
        return cls(Point.from_hex(data[0]), Point.from_hex(data[1]))


ZERO = Ciphertext(IDENTITY, IDENTITY)


class ElectionKey:
    """The joint public key K with a fixed-base table (it is used for every encryption)."""

    __slots__ = ("point", "table")

    def __init__(self, point: Point) -> None:
        self.point = point
        self.table = FixedBase(point)

    def mult(self, k: int) -> Point:
        return self.table.mult(k)


def encrypt(key: ElectionKey, m: int, r: int | None = None) -> tuple[Ciphertext, int]:
    """Encrypt the small integer m (may be negative); returns the ciphertext and its randomness."""
    if r is None:
        r = random_scalar()
    return Ciphertext(base_mult(r), base_mult(m) + key.mult(r)), r


def rerandomize(key: ElectionKey, ct: Ciphertext, r: int | None = None) -> tuple[Ciphertext, int]:
    """The same plaintext under fresh randomness: ``ct + Enc(0; r)``."""
    zero, r = encrypt(key, 0, r)
    return ct + zero, r


def sum_ciphertexts(cts: Sequence[Ciphertext]) -> Ciphertext:
    """The homomorphic sum (a tally): Jacobian accumulation, one inversion per component."""
    return Ciphertext(sum_points(ct.alpha for ct in cts), sum_points(ct.beta for ct in cts))


def decrypt_with_secret(secret: int, ct: Ciphertext) -> Point:
    """m·G from a single secret key (tests and audited ballots only; trustees use shares)."""
    return ct.beta - ct.alpha * secret


@lru_cache(maxsize=8)
def _baby_steps(m: int) -> dict[int, int]:
    # x-coordinate -> j (with j·G and −j·G sharing x): halves the table.
    table: dict[int, int] = {}
    acc = IDENTITY
    for j in range(m + 1):
        if acc.x is not None:
            table.setdefault(acc.x, j)
        acc = acc + G
    return table


def discrete_log(point: Point, bound: int, *, lower: int = 0) -> int:
    """The m in [lower, bound] with m·G == point (baby-step giant-step, cached table).

    Raises :class:`DiscreteLogOutOfRange` if there is none.
    """
    if bound < lower:
        raise ValueError("discrete_log: bound below lower")
    span = bound - lower
    shifted = point - base_mult(lower) if lower else point
    if shifted.is_identity:
        return lower
    m = max(1, math.isqrt(span) + 1)
    table = _baby_steps(m)
    # Search shifted = i·(2m+1)·G ± j·G, j in [0, m]; each giant step covers 2m+1 values.
    step = base_mult(2 * m + 1)
    gamma = shifted
    for i in range(span // (2 * m + 1) + 2):
        if gamma.is_identity:
            candidate = i * (2 * m + 1)
            if candidate <= span:
                return lower + candidate
        elif gamma.x in table:
            j = table[gamma.x]
            for cand in (i * (2 * m + 1) + j, i * (2 * m + 1) - j):
                if 0 <= cand <= span and base_mult(cand) == shifted:
                    return lower + cand
        gamma = gamma - step
    raise DiscreteLogOutOfRange(f"no discrete log in [{lower}, {bound}]")
