"""secp256k1 group arithmetic: the public interface every other crypto module uses.

Points are immutable :class:`Point` objects in affine coordinates; the identity (point at
infinity) is :data:`IDENTITY`. Scalars are plain ``int`` in ``[0, N)``.

Reference arithmetic is py-ecc's ``py_ecc.secp256k1``; the fast paths below must agree with it
(``tests/voting/crypto/test_group.py`` checks every one on every backend):

* ``_curve``: Jacobian formulas for a = 0, batch normalisation, GLV split, wNAF, comb tables;
* ``_msm``: Straus (interleaved wNAF, GLV) for few points, Pippenger (signed buckets) for many;
* ``_field``: backend choice — ``python`` (plain ints), ``gmpy2`` (mpz field elements, GMP
  inversion and square roots), ``coincurve`` (libsecp256k1 through ``_secp`` for single
  multiplications and decoding, plus gmpy2 where Python still computes). Chosen automatically,
  overridable with ``DATAGUILD_CRYPTO_BACKEND`` or :func:`set_backend` / :func:`use_backend`.

Untrusted input enters only through :meth:`Point.from_bytes`, :meth:`Point.from_xy`,
:func:`point_from_coordinates`, :func:`decode_points`, :func:`scalar_from_bytes` and
:func:`check_scalar`, which validate before anything is computed. Points decode from SEC1
compressed (33 bytes, canonical: every hash input uses it) or uncompressed (65 bytes, a transport
form for large records: no square root to decode).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from . import _secp
from ._curve import (
    JINF,
    CombTable,
    Jacobian,
    affine_add,
    batch_to_affine,
    jadd,
    jadd_affine,
    to_affine,
)
from ._field import F, available_backends, batch_inverse, get_backend, set_backend, use_backend
from ._msm import pippenger, straus
from .errors import InvalidEncoding, InvalidPoint, InvalidScalar

__all__ = [
    "GROUP_NAME",
    "IDENTITY",
    "B",
    "FixedBase",
    "G",
    "N",
    "P",
    "Point",
    "available_backends",
    "base_mult",
    "batch_inverse",
    "batch_normalize",
    "check_scalar",
    "decode_points",
    "get_backend",
    "lift_x",
    "msm_with_fixed",
    "multi_scalar_mult",
    "point_from_coordinates",
    "random_scalar",
    "scalar_from_bytes",
    "scalar_from_hex",
    "scalar_mult",
    "scalar_to_bytes",
    "set_backend",
    "sum_points",
    "use_backend",
]

#: Field prime p and group order n of secp256k1 (cofactor 1).
P = 2**256 - 2**32 - 977
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
B = 7
GROUP_NAME = "secp256k1"

_GX = 0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798
_GY = 0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8

#: Up to this many (nonzero) terms an MSM uses Straus, above it Pippenger (measured crossover).
STRAUS_MAX = 64
#: With the coincurve backend every MSM is separate C multiplications (~33 µs a term, measured
#: cheaper than Python Pippenger at 10^3..10^5 terms), combined in C per chunk of this size.
SECP_MSM_CHUNK = 4096
#: Comb window (bits) of fixed-base tables: 2^(w-1)·ceil(257/w) stored points per base.
COMB_WINDOW = 8


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

    # Default pickling restores slots through __setattr__, which refuses; worker processes of the
    # verifier need to ship points, and copies of an immutable value can be the value itself.
    def __reduce__(self) -> tuple[type[Point], tuple[int | None, int | None]]:
        return (Point, (self.x, self.y))

    def __copy__(self) -> Point:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> Point:
        return self

    # --- construction from untrusted data -------------------------------------------------
    @classmethod
    def from_xy(cls, x: int, y: int) -> Point:
        """Validate affine coordinates: 0 <= x, y < p and y² = x³ + 7. Identity is rejected."""
        if not (isinstance(x, int) and isinstance(y, int)) or isinstance(x, bool) or isinstance(y, bool):
            raise InvalidPoint("point coordinates must be integers")
        if not (0 <= x < P and 0 <= y < P):
            raise InvalidPoint("point coordinate out of range (must be < p)")
        if (y * y - (x * x * x + B)) % P != 0:
            raise InvalidPoint("point is not on secp256k1")
        return _point(int(x), int(y))

    @classmethod
    def from_bytes(cls, data: bytes) -> Point:
        """Decode a SEC1 point: 33-byte compressed (``02``/``03`` || x) or 65-byte uncompressed
        (``04`` || x || y). Rejects infinity, coordinates >= p and points not on the curve; the
        uncompressed form costs one curve-equation check instead of a square root."""
        return _decode(data)

    @classmethod
    def from_hex(cls, text: str) -> Point:
        try:
            raw = bytes.fromhex(text)
        except (ValueError, TypeError) as exc:
            raise InvalidEncoding("point must be hex-encoded") from exc
        return cls.from_bytes(raw)

    # --- encoding -------------------------------------------------------------------------
    def to_bytes(self, *, compressed: bool = True) -> bytes:
        """SEC1 encoding: 33-byte compressed (the canonical form, hashed everywhere) or, with
        ``compressed=False``, 65-byte uncompressed ``04 || x || y`` (a transport form that
        decodes without a square root). The identity has no encoding and raises."""
        if self.x is None or self.y is None:
            raise InvalidPoint("the point at infinity has no SEC1 encoding")
        if not compressed:
            return b"\x04" + self.x.to_bytes(32, "big") + self.y.to_bytes(32, "big")
        return bytes([2 + (self.y & 1)]) + self.x.to_bytes(32, "big")

    def hex(self, *, compressed: bool = True) -> str:
        return self.to_bytes(compressed=compressed).hex()

    # --- arithmetic -----------------------------------------------------------------------
    @property
    def is_identity(self) -> bool:
        return self.x is None

    def __add__(self, other: Point) -> Point:
        if not isinstance(other, Point):
            return NotImplemented
        return _from_affine(affine_add(_affine(self), _affine(other)))

    def __neg__(self) -> Point:
        if self.x is None or self.y is None:
            return self
        return _point(self.x, (P - self.y) % P)

    def __sub__(self, other: Point) -> Point:
        if not isinstance(other, Point):
            return NotImplemented
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


# Trusted fast construction: slot descriptors bypass the immutability guard (and __init__).
_new_point = object.__new__
_set_x = Point.x.__set__  # type: ignore[attr-defined]
_set_y = Point.y.__set__  # type: ignore[attr-defined]


def _point(x: int, y: int) -> Point:
    pt = _new_point(Point)
    _set_x(pt, x)
    _set_y(pt, y)
    return pt


def _affine(pt: Point) -> tuple[Any, Any] | None:
    """A Point as an affine tuple of the backend's field type (None for the identity)."""
    if pt.x is None:
        return None
    conv = F.conv
    return conv(pt.x), conv(pt.y)


def _from_affine(aff: tuple[Any, Any] | None) -> Point:
    if aff is None:
        return IDENTITY
    return _point(int(aff[0]), int(aff[1]))


def _from_jacobian(jac: Jacobian) -> Point:
    return _from_affine(to_affine(*jac))


IDENTITY = Point(None, None)
G = Point(_GX, _GY)


def lift_x(x: int) -> int:
    """Return the y with y² = x³ + 7 given by the root pow(., (p+1)/4); raise if there is none."""
    conv = F.conv
    p = F.p
    y_sq = (conv(x) ** 3 + B) % p
    y = F.sqrt(y_sq)
    if y * y % p != y_sq:
        raise InvalidPoint("x coordinate is not on secp256k1")
    return int(y)


def _check_encoding(data: object) -> None:
    if not isinstance(data, bytes | bytearray):
        raise InvalidEncoding("point encoding must be bytes")
    if len(data) == 65:
        if data[0] != 4:
            raise InvalidEncoding(f"uncompressed point prefix must be 0x04, got {data[0]:#04x}")
        return
    if len(data) != 33:
        raise InvalidEncoding(f"point must be 33 bytes (compressed) or 65 bytes (uncompressed), got {len(data)}")
    prefix = data[0]
    if prefix not in (2, 3):
        raise InvalidEncoding(f"compressed point prefix must be 0x02 or 0x03, got {prefix:#04x}")


def point_from_coordinates(x: int, y: int) -> Point:
    """Validate untrusted integer coordinates (the uncompressed decoders' check): 0 <= x, y < p and
    y² = x³ + 7 — a few multiplications, no square root. The identity cannot be expressed."""
    if type(x) is not int or type(y) is not int:
        raise InvalidPoint("point coordinates must be integers")
    if not (0 <= x < P and 0 <= y < P):
        raise InvalidPoint("uncompressed point coordinate out of range (must be < p)")
    if (y * y - x * x * x - B) % P:
        raise InvalidPoint("uncompressed point is not on secp256k1 (y² != x³ + 7)")
    return _point(x, y)


def _decode(data: bytes) -> Point:
    _check_encoding(data)
    if len(data) == 65:
        return point_from_coordinates(int.from_bytes(data[1:33], "big"), int.from_bytes(data[33:], "big"))
    x = int.from_bytes(data[1:], "big")
    if x >= P:
        raise InvalidPoint("point x coordinate out of range (must be < p)")
    if F.use_coincurve:
        xy = _secp.decompress(bytes(data))
        if xy is None:
            raise InvalidPoint("x coordinate is not on secp256k1")
        return _point(*xy)
    y = lift_x(x)
    if (y & 1) != (data[0] & 1):
        y = P - y
    return _point(x, y)


def decode_points(encodings: Iterable[bytes]) -> list[Point]:
    """Decode many SEC1 points, compressed or uncompressed (same checks and errors as
    :meth:`Point.from_bytes`).

    The batch form exists so callers decoding a whole record pay one function call per point and
    the backend's cheapest square root (libsecp256k1 or GMP) without re-dispatching each time.
    """
    return [_decode(data) for data in encodings]


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
def _is_generator(pt: Point) -> bool:
    return pt.x == _GX and pt.y == _GY


def scalar_mult(k: int, point: Point) -> Point:
    """k·point for any int k (reduced mod N)."""
    k %= N
    if k == 0 or point.x is None or point.y is None:
        return IDENTITY
    if _is_generator(point):
        return base_mult(k)
    if F.use_coincurve:
        return _point(*_secp.scalar_mult(k, point.x, point.y))
    conv = F.conv
    return _from_jacobian(straus([k], [conv(point.x)], [conv(point.y)]))


class FixedBase:
    """A point used as a base many times (the election key, the generator): precompute once.

    The comb table (:class:`._curve.CombTable`, ~4,000 affine points for w = 8, built in ~30 ms
    pure Python) is built on the first :meth:`mult`, once per arithmetic backend, so creating a
    FixedBase is free. G uses w = 10 (~13,000 points): ~26 instead of ~33 additions per use.
    """

    __slots__ = ("_tables", "point", "window")

    def __init__(self, point: Point, *, window: int = COMB_WINDOW) -> None:
        self.point = point
        self.window = window
        self._tables: dict[str, CombTable] = {}

    def table(self) -> CombTable:
        """The comb table for the current backend's field type (built on first use)."""
        key = "mpz" if F.use_gmpy2 else "int"
        table = self._tables.get(key)
        if table is None:
            assert self.point.x is not None
            table = CombTable(F.conv(self.point.x), F.conv(self.point.y), self.window)
            self._tables[key] = table
        return table

    def mult_jacobian(self, k: int) -> Jacobian:
        """k·point in Jacobian form, for callers that add several results before normalising."""
        k %= N
        if k == 0 or self.point.x is None:
            return JINF
        if F.use_coincurve:
            x, y = self._secp_mult(k)
            return F.conv(x), F.conv(y), F.conv(1)
        return self.table().mult_jacobian(k)

    def _secp_mult(self, k: int) -> tuple[int, int]:
        # libsecp256k1 (~20 µs for G with its own table, ~35 µs otherwise) beats our Python comb
        # (~60 µs with gmpy2), so with coincurve no Python table is built at all.
        if _is_generator(self.point):
            return _secp.base_mult(k)
        assert self.point.x is not None
        assert self.point.y is not None
        return _secp.scalar_mult(k, self.point.x, self.point.y)

    def mult(self, k: int) -> Point:
        k %= N
        if k == 0 or self.point.x is None or self.point.y is None:
            return IDENTITY
        if F.use_coincurve:
            return _point(*self._secp_mult(k))
        return _from_jacobian(self.table().mult_jacobian(k))


_G_TABLE = FixedBase(G, window=10)


def base_mult(k: int) -> Point:
    """k·G (fixed base; a precomputed table makes this the fastest multiplication)."""
    return _G_TABLE.mult(k)


def _msm_jacobian(scalars: Sequence[int], points: Sequence[Point]) -> Jacobian:
    """Σ k_i·P_i in Jacobian form; terms with a zero scalar or the identity are dropped and
    multiples of G are merged into one term served by G's comb table."""
    ks: list[int] = []
    xs: list[int] = []
    ys: list[int] = []
    g_scalar = 0
    for scalar, pt in zip(scalars, points, strict=True):
        k = scalar % N
        if not k or pt.x is None:
            continue
        if pt.x == _GX and pt.y == _GY:
            g_scalar += k
            continue
        ks.append(k)
        xs.append(pt.x)
        ys.append(pt.y)  # type: ignore[arg-type]
    acc = _G_TABLE.mult_jacobian(g_scalar)
    if not ks:
        return acc
    conv = F.conv
    if F.use_coincurve:
        for start in range(0, len(ks), SECP_MSM_CHUNK):
            stop = start + SECP_MSM_CHUNK
            xy = _secp.multi_scalar_mult(ks[start:stop], xs[start:stop], ys[start:stop])
            if xy is not None:
                acc = jadd_affine(*acc, conv(xy[0]), conv(xy[1]))
        return acc
    fx = [conv(x) for x in xs]
    fy = [conv(y) for y in ys]
    rest = straus(ks, fx, fy) if len(ks) <= STRAUS_MAX else pippenger(ks, fx, fy)
    return jadd(acc, rest)


def multi_scalar_mult(scalars: Sequence[int], points: Sequence[Point]) -> Point:
    """Σ scalars[i]·points[i] (Straus for few terms, Pippenger for many; any ints, reduced mod N)."""
    if len(scalars) != len(points):
        raise ValueError("multi_scalar_mult needs as many scalars as points")
    jac = _msm_jacobian(scalars, points)
    return _from_jacobian(jac)


def msm_with_fixed(scalars: Sequence[int], points: Sequence[Point],
                   fixed: Sequence[tuple[int, FixedBase]] = ()) -> Point:
    """Σ scalars[i]·points[i] + Σ k·base for (k, base) in ``fixed``, using the bases' comb tables.

    For verification equations where the election key (or another FixedBase) carries one large
    merged coefficient: its table costs ~33 additions instead of ~50 in Straus.
    """
    if len(scalars) != len(points):
        raise ValueError("msm_with_fixed needs as many scalars as points")
    jac = _msm_jacobian(scalars, points)
    for k, base in fixed:
        jac = jadd(jac, base.mult_jacobian(k))
    return _from_jacobian(jac)


def batch_normalize(jacobians: Sequence[Jacobian]) -> list[Point]:
    """Points from many :meth:`FixedBase.mult_jacobian` results with a single field inversion.

    An encryption computes several multiples (r·G, r·K, commitments ...); normalising them
    together saves one ~15 µs pure-Python inversion per point.
    """
    return [_from_affine(aff) for aff in batch_to_affine(jacobians)]


def sum_points(points: Iterable[Point]) -> Point:
    """Σ points with mixed Jacobian additions and a single inversion at the end."""
    acc: Jacobian = JINF
    conv = F.conv
    for pt in points:
        if pt.x is not None:
            acc = jadd_affine(*acc, conv(pt.x), conv(pt.y))
    return _from_jacobian(acc)
