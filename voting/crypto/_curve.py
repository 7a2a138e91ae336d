"""Internal point arithmetic on secp256k1 (y² = x³ + 7) with plain tuples of field elements.

Why tuples and free functions instead of objects: in CPython the cost of a point operation is
dominated by interpreter overhead, so the hot paths avoid attribute look-ups, method calls and
allocation of anything but the result tuple.

* affine points are ``(x, y)``; the identity is ``None``;
* Jacobian points are ``(X, Y, Z)`` standing for ``(X/Z², Y/Z³)``; the identity has ``Z == 0``.

Formulas (a = 0, so doubling needs no ``a·Z⁴`` term): doubling is dbl-2009-l's a = 0 variant
(7 multiplications), mixed Jacobian+affine addition is the madd-2007-bl family with the classic
``H, R`` form (11), full Jacobian addition add-1998-cmo-2 (16). Every addition checks the
exceptional cases (equal operands -> doubling, opposite operands -> identity, identity operands),
so the formulas are complete for our inputs. Field elements may be ``int`` or ``gmpy2.mpz``
(see :mod:`._field`); every function reads the backend's prime once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._field import F, batch_inverse

N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

Affine = tuple[Any, Any]
Jacobian = tuple[Any, Any, Any]

JINF: Jacobian = (1, 1, 0)

# --- GLV endomorphism: lambda·(x, y) = (beta·x, y) -----------------------------------------
BETA = 0x7AE96A2B657C07106E64479EAC3434E99CF0497512F58995C1396C28719501EE
LAMBDA = 0x5363AD4CC05C30E0A5261C028812645A122E22EA20816678DF02967C1B23BD72
# A short basis of the lattice {(a, b) : a + b·lambda ≡ 0 (mod n)} (Guide to ECC, alg. 3.74).
_A1 = 0x3086D221A7D46BCDE86C90E49284EB15
_B1 = -0xE4437ED6010E88286F547FA90ABFE4C3
_A2 = 0x114CA50F7A8E2F3F657C1108D9D44CFD8
_B2 = _A1
_HALF_N = N // 2
_SHORT = 1 << 129


def glv_split(k: int) -> tuple[int, int]:
    """Return (k1, k2) with k ≡ k1 + k2·lambda (mod n) and |k1|, |k2| < 2^129 (signed).

    Rounding ``b2·k/n`` and ``-b1·k/n`` to the nearest integer projects k onto the short basis,
    so both halves are about sqrt(n): two 128-bit multiplications replace one 256-bit one.
    A scalar that is already short (|k| < 2^129 mod n, e.g. a batch-verification weight times
    ±1) is returned unsplit as (k, 0): splitting it would double its points for nothing.
    """
    if k < _SHORT:
        return k, 0
    if N - k < _SHORT:
        return k - N, 0
    c1 = (_B2 * k + _HALF_N) // N
    c2 = (-_B1 * k + _HALF_N) // N
    k1 = k - c1 * _A1 - c2 * _A2
    k2 = -c1 * _B1 - c2 * _B2
    return k1, k2


def wnaf(k: int, w: int) -> list[tuple[int, int]]:
    """Width-w non-adjacent form of k >= 0 as sparse (bit position, digit) pairs, low to high.

    Nonzero digits are odd, |d| < 2^(w-1), and at least w-1 zeros follow each, so a scan of
    the bits needs one addition per ~w+1 bits from a table of 2^(w-2) odd multiples. Runs of
    zeros are skipped with one bit trick instead of one loop turn per bit (the dense loop
    dominated Straus' cost in CPython).
    """
    digits: list[tuple[int, int]] = []
    full = 1 << w
    half = full >> 1
    mask = full - 1
    pos = 0
    while k:
        if not k & 1:
            zeros = (k & -k).bit_length() - 1
            k >>= zeros
            pos += zeros
        d = k & mask
        if d >= half:
            d -= full
        digits.append((pos, d))
        k = (k - d) >> w  # k - d is divisible by 2^w
        pos += w
    return digits


# --- formulas --------------------------------------------------------------------------------
def jdouble(X: Any, Y: Any, Z: Any) -> Jacobian:
    """2·(X, Y, Z). No secp256k1 point has y = 0 (the order is odd), so only Z = 0 is special."""
    if not Z:
        return JINF
    p = F.p
    YY = Y * Y % p
    S = 4 * X * YY % p
    M = 3 * X * X % p
    X3 = (M * M - 2 * S) % p
    return X3, (M * (S - X3) - 8 * YY * YY) % p, 2 * Y * Z % p


def jadd_affine(X1: Any, Y1: Any, Z1: Any, x2: Any, y2: Any) -> Jacobian:
    """(X1, Y1, Z1) + (x2, y2) with the second operand affine (mixed addition)."""
    if not Z1:
        return x2, y2, F.conv(1)
    p = F.p
    ZZ = Z1 * Z1 % p
    H = x2 * ZZ % p - X1
    R = y2 * (ZZ * Z1 % p) % p - Y1
    if not H:
        return jdouble(X1, Y1, Z1) if not R else JINF
    HH = H * H % p
    HHH = H * HH % p
    V = X1 * HH % p
    X3 = (R * R - HHH - 2 * V) % p
    return X3, (R * (V - X3) - Y1 * HHH) % p, Z1 * H % p


def jadd(a: Jacobian, b: Jacobian) -> Jacobian:
    """Sum of two Jacobian points."""
    X1, Y1, Z1 = a
    X2, Y2, Z2 = b
    if not Z1:
        return b
    if not Z2:
        return a
    p = F.p
    Z1Z1 = Z1 * Z1 % p
    Z2Z2 = Z2 * Z2 % p
    U1 = X1 * Z2Z2 % p
    S1 = Y1 * (Z2 * Z2Z2 % p) % p
    H = X2 * Z1Z1 % p - U1
    R = Y2 * (Z1 * Z1Z1 % p) % p - S1
    if not H:
        return jdouble(X1, Y1, Z1) if not R else JINF
    HH = H * H % p
    HHH = H * HH % p
    V = U1 * HH % p
    X3 = (R * R - HHH - 2 * V) % p
    return X3, (R * (V - X3) - S1 * HHH) % p, Z1 * Z2 % p * H % p


def to_affine(X: Any, Y: Any, Z: Any) -> Affine | None:
    """Normalise one Jacobian point (one field inversion)."""
    if not Z:
        return None
    p = F.p
    zi = F.inv(Z)
    zi2 = zi * zi % p
    return X * zi2 % p, Y * zi2 % p * zi % p


def batch_to_affine(points: Sequence[Jacobian]) -> list[Affine | None]:
    """Normalise many Jacobian points with a single inversion (Montgomery's trick)."""
    p = F.p
    live = [i for i, pt in enumerate(points) if pt[2]]
    out: list[Affine | None] = [None] * len(points)
    invs = batch_inverse([points[i][2] for i in live])
    for i, zi in zip(live, invs, strict=True):
        X, Y, _ = points[i]
        zi2 = zi * zi % p
        out[i] = (X * zi2 % p, Y * zi2 % p * zi % p)
    return out


def affine_add(a: Affine | None, b: Affine | None) -> Affine | None:
    """One affine addition: for a single sum, one inversion beats Jacobian + normalisation."""
    if a is None:
        return b
    if b is None:
        return a
    p = F.p
    x1, y1 = a
    x2, y2 = b
    if x1 == x2:
        if (y1 + y2) % p == 0:
            return None
        lam = 3 * x1 * x1 * F.inv(2 * y1) % p
    else:
        lam = (y2 - y1) * F.inv(x2 - x1) % p
    x3 = (lam * lam - x1 - x2) % p
    return x3, (lam * (x1 - x3) - y1) % p


# --- fixed-base tables -----------------------------------------------------------------------
class CombTable:
    """Signed-digit fixed-window table: k·P as ~256/w mixed additions and no doublings.

    Window j holds the affine points d·2^(w·j)·P for d = 1..2^(w-1). The scalar is recoded with
    digits in [-2^(w-1), 2^(w-1)) by adding the constant Σ 2^(w·j + w - 1) and subtracting
    2^(w-1) from each unsigned digit (no carry chain); a negative digit uses the negated entry.
    Building costs about (256/w)·2^(w-1) additions plus two batch normalisations.
    """

    __slots__ = ("bias", "half", "mask", "tables", "w", "windows")

    def __init__(self, x: Any, y: Any, w: int = 8) -> None:
        self.w = w
        self.half = 1 << (w - 1)
        self.mask = (1 << w) - 1
        windows = 1
        while True:
            bias = sum(self.half << (w * j) for j in range(windows))
            if N - 1 + bias < 1 << (w * windows):
                break
            windows += 1
        self.windows = windows
        self.bias = bias
        # Bases 2^(w·j)·P, computed by doubling, then normalised together.
        bases_j: list[Jacobian] = [(x, y, F.conv(1))]
        for _ in range(1, windows):
            cur = bases_j[-1]
            for _ in range(w):
                cur = jdouble(*cur)
            bases_j.append(cur)
        bases = batch_to_affine(bases_j)
        flat: list[Jacobian] = []
        for base in bases:
            assert base is not None  # 2^(w·j) is never a multiple of the prime n
            bx, by = base
            acc: Jacobian = (bx, by, F.conv(1))
            flat.append(acc)
            for _ in range(1, self.half):
                acc = jadd_affine(*acc, bx, by)
                flat.append(acc)
        aff = batch_to_affine(flat)
        # Identity entries cannot occur (d·2^(w·j) < n for every stored multiple except in the top
        # window, where the multiple of a prime-order point is zero only if n divides it).
        self.tables = [aff[j * self.half:(j + 1) * self.half] for j in range(windows)]

    def mult_jacobian(self, k: int) -> Jacobian:
        """k·P in Jacobian coordinates (k already reduced mod n)."""
        p = F.p
        k += self.bias
        half = self.half
        mask = self.mask
        w = self.w
        one = F.conv(1)
        X1: Any = 0
        Y1: Any = 0
        Z1: Any = 0  # the identity until the first nonzero digit
        for table in self.tables:
            d = (k & mask) - half
            k >>= w
            if not d:
                continue
            if d > 0:
                entry = table[d - 1]
                if entry is None:
                    continue
                x2, y2 = entry
            else:
                entry = table[-d - 1]
                if entry is None:
                    continue
                x2, y2 = entry[0], p - entry[1]
            if not Z1:
                X1, Y1, Z1 = x2, y2, one
                continue
            # Mixed addition inlined (this loop is every encryption's cost).
            ZZ = Z1 * Z1 % p
            H = x2 * ZZ % p - X1
            R = y2 * (ZZ * Z1 % p) % p - Y1
            if not H:
                X1, Y1, Z1 = jdouble(X1, Y1, Z1) if not R else JINF
                continue
            HH = H * H % p
            HHH = H * HH % p
            V = X1 * HH % p
            X3 = (R * R - HHH - 2 * V) % p
            X1, Y1, Z1 = X3, (R * (V - X3) - Y1 * HHH) % p, Z1 * H % p
        return X1, Y1, Z1

    def mult(self, k: int) -> Affine | None:
        return to_affine(*self.mult_jacobian(k))
