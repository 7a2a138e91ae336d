"""secp256k1 group arithmetic: the public interface every other crypto module uses.

Points are immutable :class:`Point` objects in affine coordinates; the identity (point at
infinity) is :data:`IDENTITY`. Scalars are plain ``int`` in ``[0, N)``.

Reference arithmetic is py-ecc's ``py_ecc.secp256k1``; faster paths live behind the same
functions (see ``voting/crypto/_fast*.py`` once present) and must agree with the reference.

Untrusted input enters only through :meth:`Point.from_bytes`, :meth:`Point.from_xy`,
:func:`scalar_from_bytes` and :func:`check_scalar`, which validate before anything is computed.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence

from py_ecc.secp256k1 import secp256k1 as _ref

from .errors import InvalidEncoding, InvalidPoint, InvalidScalar

#: Field prime p and group order n of secp256k1 (cofactor 1).
P = 2**256 - 2**32 - 977
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
B = 7
GROUP_NAME = "secp256k1"

_GX = 0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798
_GY = 0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8


class Point:
    """An affine point of secp256k1, or the identity (``x is None``)."""

    __slots__ = ("x", "y")

    x: int | None
    y: int | None

    def __init__(self, x: int | None, y: int | None) -> None:
        # Trusted constructor: callers inside the package pass points they computed.
        # Untrusted data must go through from_xy / from_bytes.
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "y", y)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Point is immutable")

    # --- construction from untrusted data -------------------------------------------------
    @classmethod
    def from_xy(cls, x: int, y: int) -> Point:
        """Validate affine coordinates: 0 <= x, y < p and y² = x³ + 7. Identity is rejected."""
        if not (isinstance(x, int) and isinstance(y, int)):
            raise InvalidPoint("point coordinates must be integers")
        if not (0 <= x < P and 0 <= y < P):
            raise InvalidPoint("point coordinate out of range (must be < p)")
        if (y * y - (x * x * x + B)) % P != 0:
            raise InvalidPoint("point is not on secp256k1")
        return cls(x, y)

    @classmethod
    def from_bytes(cls, data: bytes) -> Point:
        """Decode a 33-byte SEC1 compressed point; rejects infinity, x >= p and x not on the curve."""
        if not isinstance(data, bytes | bytearray):
            raise InvalidEncoding("point encoding must be bytes")
        if len(data) != 33:
            raise InvalidEncoding(f"compressed point must be 33 bytes, got {len(data)}")
        prefix = data[0]
        if prefix not in (2, 3):
            raise InvalidEncoding(f"compressed point prefix must be 0x02 or 0x03, got {prefix:#04x}")
        x = int.from_bytes(data[1:], "big")
        if x >= P:
            raise InvalidPoint("point x coordinate out of range (must be < p)")
        y = lift_x(x)
        if (y & 1) != (prefix & 1):
            y = P - y
        return cls(x, y)

    @classmethod
    def from_hex(cls, text: str) -> Point:
        try:
            raw = bytes.fromhex(text)
        except (ValueError, TypeError) as exc:
            raise InvalidEncoding("point must be hex-encoded") from exc
        return cls.from_bytes(raw)

    # --- encoding -------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        """33-byte SEC1 compressed encoding. The identity has no encoding and raises."""
        if self.x is None or self.y is None:
            raise InvalidPoint("the point at infinity has no compressed encoding")
        return bytes([2 + (self.y & 1)]) + self.x.to_bytes(32, "big")

    def hex(self) -> str:
        return self.to_bytes().hex()

    # --- arithmetic -----------------------------------------------------------------------
    @property
    def is_identity(self) -> bool:
        return self.x is None

    def __add__(self, other: Point) -> Point:
        return _from_ref(_ref.add(_to_ref(self), _to_ref(other)))

    def __neg__(self) -> Point:
        if self.x is None or self.y is None:
            return self
        return Point(self.x, (P - self.y) % P)

    def __sub__(self, other: Point) -> Point:
        return self + (-other)

    def __mul__(self, scalar: int) -> Point:
        return scalar_mult(scalar, self)

    __rmul__ = __mul__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Point) and self.x == other.x and self.y == other.y

    def __hash__(self) -> int:
        return hash((self.x, self.y))

    def __repr__(self) -> str:
        if self.x is None:
            return "Point(IDENTITY)"
        return f"Point({self.hex()})"


IDENTITY = Point(None, None)
G = Point(_GX, _GY)


def lift_x(x: int) -> int:
    """Return the even-or-odd y with y² = x³ + 7 (the root pow(., (p+1)/4)); raise if none."""
    y_sq = (pow(x, 3, P) + B) % P
    y = pow(y_sq, (P + 1) // 4, P)
    if (y * y) % P != y_sq:
        raise InvalidPoint("x coordinate is not on secp256k1")
    return y


# --- scalars ------------------------------------------------------------------------------
def check_scalar(k: object, *, nonzero: bool = False) -> int:
    """Validate an untrusted scalar: an int in [0, N) (or [1, N) with ``nonzero``)."""
    if not isinstance(k, int) or isinstance(k, bool):
        raise InvalidScalar("scalar must be an integer")
    if not 0 <= k < N:
        raise InvalidScalar("scalar out of range (must be 0 <= s < n)")
    if nonzero and k == 0:
        raise InvalidScalar("scalar must not be zero")
    return k


def scalar_to_bytes(k: int) -> bytes:
    return (k % N).to_bytes(32, "big")


def scalar_from_bytes(data: bytes, *, nonzero: bool = False) -> int:
    if not isinstance(data, bytes | bytearray) or len(data) != 32:
        raise InvalidEncoding("scalar encoding must be exactly 32 bytes")
    return check_scalar(int.from_bytes(data, "big"), nonzero=nonzero)


def scalar_from_hex(text: str, *, nonzero: bool = False) -> int:
    try:
        raw = bytes.fromhex(text)
    except (ValueError, TypeError) as exc:
        raise InvalidEncoding("scalar must be hex-encoded") from exc
    return scalar_from_bytes(raw, nonzero=nonzero)


def random_scalar() -> int:
    """A uniformly random nonzero scalar from the OS CSPRNG."""
    return secrets.randbelow(N - 1) + 1


# --- multiplication -----------------------------------------------------------------------
def scalar_mult(k: int, point: Point) -> Point:
    """k·point for any int k (reduced mod N)."""
    k %= N
    if k == 0 or point.is_identity:
        return IDENTITY
    return _from_ref(_ref.multiply(_to_ref(point), k))


def base_mult(k: int) -> Point:
    """k·G (fixed base; a precomputed table makes this the fastest multiplication)."""
    return scalar_mult(k, G)


class FixedBase:
    """A point used as a base many times (the election key, the generator): precompute once."""

    __slots__ = ("point",)

    def __init__(self, point: Point) -> None:
        self.point = point

    def mult(self, k: int) -> Point:
        return scalar_mult(k, self.point)


def multi_scalar_mult(scalars: Sequence[int], points: Sequence[Point]) -> Point:
    """Σ scalars[i]·points[i] (Straus for few terms, Pippenger for many)."""
    if len(scalars) != len(points):
        raise ValueError("multi_scalar_mult needs as many scalars as points")
    acc = IDENTITY
    for k, pt in zip(scalars, points, strict=True):
        acc = acc + scalar_mult(k, pt)
    return acc


def sum_points(points: Iterable[Point]) -> Point:
    acc = IDENTITY
    for pt in points:
        acc = acc + pt
    return acc


# --- bridging to the reference implementation ---------------------------------------------
# py-ecc writes the identity as (0, 0): no secp256k1 point has y = 0 (the order is odd).
def _to_ref(pt: Point) -> tuple[int, int]:
    if pt.x is None or pt.y is None:
        return (0, 0)
    return (pt.x, pt.y)


def _from_ref(pt: tuple[int, int]) -> Point:
    x, y = pt
    if y == 0:
        return IDENTITY
    return Point(int(x), int(y))
