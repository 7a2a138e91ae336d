"""secp256k1 group: every fast path against py-ecc's reference arithmetic, on every backend.

py-ecc writes the identity as (0, 0); no secp256k1 point has y = 0 (the order is odd).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from py_ecc.secp256k1 import secp256k1 as ref

from voting.crypto import _msm
from voting.crypto._curve import LAMBDA, CombTable, glv_split, wnaf
from voting.crypto._field import F
from voting.crypto.errors import CryptoError, InvalidEncoding, InvalidPoint, InvalidScalar
from voting.crypto.group import (
    IDENTITY,
    FixedBase,
    G,
    N,
    P,
    Point,
    _from_jacobian,
    available_backends,
    base_mult,
    batch_inverse,
    batch_normalize,
    check_scalar,
    decode_points,
    get_backend,
    lift_x,
    msm_with_fixed,
    multi_scalar_mult,
    random_scalar,
    scalar_from_bytes,
    scalar_from_hex,
    scalar_mult,
    scalar_to_bytes,
    set_backend,
    sum_points,
    use_backend,
)

BACKENDS = available_backends()
EDGE_SCALARS = [0, 1, 2, 3, N - 1, N - 2, N // 2, N // 2 + 1, 2**128 - 1, 2**128, 2**128 + 1,
                2**129, 2**129 - 1, LAMBDA, N - LAMBDA, 2**255, 2**256 - 1, N, N + 1, -1, -(2**128)]
scalars = st.integers(min_value=0, max_value=N - 1)
any_ints = st.integers(min_value=-(2**300), max_value=2**300)


def ref_mult(k: int, pt: Point) -> Point:
    k %= N
    if k == 0 or pt.is_identity:
        return IDENTITY
    assert pt.x is not None
    assert pt.y is not None
    x, y = ref.multiply((pt.x, pt.y), k)
    return IDENTITY if y == 0 else Point(int(x), int(y))


def ref_add(a: Point, b: Point) -> Point:
    if a.is_identity:
        return b
    if b.is_identity:
        return a
    x, y = ref.add((a.x, a.y), (b.x, b.y))  # type: ignore[arg-type]
    return IDENTITY if y == 0 else Point(int(x), int(y))


def ref_msm(ks: list[int], pts: list[Point]) -> Point:
    acc = IDENTITY
    for k, pt in zip(ks, pts, strict=True):
        acc = ref_add(acc, ref_mult(k, pt))
    return acc


# Points with known discrete logs, built with the reference only.
LOGS = [7, 11, 2**200 + 3, N - 5, 0xDEADBEEF, 2**128 + 99]
REF_POINTS = [ref_mult(a, G) for a in LOGS]
Q = REF_POINTS[2]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[str]:
    with use_backend(request.param) as name:
        yield name


def test_both_pure_and_accelerated_paths_are_tested() -> None:
    assert "python" in BACKENDS
    assert len(BACKENDS) >= 2, "install the 'fast' extra (gmpy2, coincurve) to test the accelerated paths"


# --- backend selection ----------------------------------------------------------------------
def test_set_backend_switches_and_restores() -> None:
    before = get_backend()
    with use_backend("python"):
        assert get_backend() == "python"
        assert not F.use_gmpy2
    assert get_backend() == before
    previous = set_backend("auto")
    try:
        assert get_backend() == BACKENDS[-1]
    finally:
        set_backend(previous)


def test_unknown_backend_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown crypto backend"):
        set_backend("openssl")


def test_environment_variable_selects_backend() -> None:
    env = {**os.environ, "DATAGUILD_CRYPTO_BACKEND": "python"}
    code = "from voting.crypto.group import get_backend, base_mult; base_mult(5); print(get_backend())"
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    out = subprocess.run(  # noqa: S603 - fixed argv: this interpreter and a literal program
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, cwd=root)
    assert out.stdout.strip() == "python"


# --- scalar multiplication ------------------------------------------------------------------
@pytest.mark.parametrize("k", EDGE_SCALARS)
def test_edge_scalars_agree_with_reference(backend: str, k: int) -> None:
    expected_g = ref_mult(k, G)
    expected_q = ref_mult(k, Q)
    assert base_mult(k) == expected_g
    assert scalar_mult(k, G) == expected_g
    assert scalar_mult(k, Q) == expected_q
    assert k * Q == expected_q
    assert Q * k == expected_q
    assert FixedBase(Q).mult(k) == expected_q
    assert FixedBase(G).mult(k) == expected_g
    assert scalar_mult(k, IDENTITY) == IDENTITY
    assert FixedBase(IDENTITY).mult(k) == IDENTITY


@pytest.mark.parametrize("name", BACKENDS)
@settings(max_examples=25, deadline=None)
@given(k=scalars, j=st.integers(0, len(REF_POINTS) - 1))
def test_random_scalar_mult_agrees_with_reference(name: str, k: int, j: int) -> None:
    pt = REF_POINTS[j]
    expected = ref_mult(k, pt)
    with use_backend(name):
        assert scalar_mult(k, pt) == expected
        assert base_mult(k) == ref_mult(k, G)
        assert FixedBase(pt).mult(k) == expected


_SHARED_BASE = FixedBase(Q)


@pytest.mark.parametrize("name", BACKENDS)
@settings(max_examples=30, deadline=None)
@given(k=any_ints)
def test_fixed_base_reduces_any_int(name: str, k: int) -> None:
    with use_backend(name):
        assert _SHARED_BASE.mult(k) == ref_mult(k, Q)


@pytest.mark.parametrize("window", [2, 4, 7, 8, 10])
def test_comb_tables_of_every_window(backend: str, window: int) -> None:
    assert Q.x is not None
    table = CombTable(F.conv(Q.x), F.conv(Q.y), window)
    for k in [1, 2, N - 1, 2**128, (1 << (window - 1)) - 1, 1 << (window - 1), LOGS[3]]:
        aff = table.mult(k)
        assert aff is not None
        assert Point(int(aff[0]), int(aff[1])) == ref_mult(k, Q)


@pytest.mark.parametrize("k", EDGE_SCALARS)
def test_glv_split(k: int) -> None:
    k %= N
    k1, k2 = glv_split(k)
    assert (k1 + k2 * LAMBDA - k) % N == 0
    assert abs(k1) < 2**129
    assert abs(k2) < 2**129


def test_glv_split_leaves_short_scalars_whole() -> None:
    assert glv_split(5) == (5, 0)
    assert glv_split(2**129 - 1) == (2**129 - 1, 0)
    assert glv_split(N - 1) == (-1, 0)
    assert glv_split(2**129)[1] != 0


@settings(max_examples=100, deadline=None)
@given(k=scalars)
def test_glv_split_random(k: int) -> None:
    k1, k2 = glv_split(k)
    assert (k1 + k2 * LAMBDA - k) % N == 0
    assert max(abs(k1), abs(k2)) < 2**129


@settings(max_examples=100, deadline=None)
@given(k=st.integers(0, 2**140), w=st.integers(2, 8))
def test_wnaf_reconstructs_the_scalar(k: int, w: int) -> None:
    digits = wnaf(k, w)
    assert sum(d << pos for pos, d in digits) == k
    for (pos, d), nxt in zip(digits, [*digits[1:], (10**9, 1)], strict=False):
        assert d % 2 == 1
        assert abs(d) < 1 << (w - 1)
        assert nxt[0] - pos >= w


def test_endomorphism(backend: str) -> None:
    beta_point = scalar_mult(LAMBDA, Q)
    assert Q.x is not None
    assert beta_point.y == Q.y
    assert beta_point == ref_mult(LAMBDA, Q)


# --- addition -------------------------------------------------------------------------------
def test_addition_edge_cases(backend: str) -> None:
    a, b = REF_POINTS[0], REF_POINTS[1]
    assert a + b == ref_add(a, b)
    assert a + a == ref_mult(2, a)  # doubling through addition
    assert a + (-a) == IDENTITY
    assert a - a == IDENTITY
    assert a + IDENTITY == a
    assert IDENTITY + a == a
    assert IDENTITY + IDENTITY == IDENTITY
    assert -IDENTITY == IDENTITY
    assert a - b == ref_add(a, Point(b.x, P - b.y))  # type: ignore[arg-type,operator]
    assert -a + a == IDENTITY
    assert (-a).y == P - a.y  # type: ignore[operator]


def test_batch_normalize(backend: str) -> None:
    base = FixedBase(Q)
    ks = [1, 0, N - 1, 2**128, 5]
    got = batch_normalize([base.mult_jacobian(k) for k in ks] + [FixedBase(G).mult_jacobian(3)])
    assert got == [ref_mult(k, Q) for k in ks] + [ref_mult(3, G)]
    assert all(type(pt.x) is int for pt in got if not pt.is_identity)
    assert batch_normalize([]) == []


def test_sum_points(backend: str) -> None:
    pts = [*REF_POINTS, REF_POINTS[0], -REF_POINTS[1], IDENTITY]
    expected = IDENTITY
    for pt in pts:
        expected = ref_add(expected, pt)
    assert sum_points(pts) == expected
    assert sum_points([]) == IDENTITY
    assert sum_points([Q, -Q]) == IDENTITY
    assert sum_points([Q, Q, Q]) == ref_mult(3, Q)
    assert sum_points(iter([G])) == G


# --- multi-scalar multiplication ------------------------------------------------------------
def test_msm_small_cases(backend: str) -> None:
    a, b = REF_POINTS[0], REF_POINTS[1]
    assert multi_scalar_mult([], []) == IDENTITY
    assert multi_scalar_mult([5], [a]) == ref_mult(5, a)
    assert multi_scalar_mult([0], [a]) == IDENTITY
    assert multi_scalar_mult([5], [IDENTITY]) == IDENTITY
    assert multi_scalar_mult([0, 0], [a, b]) == IDENTITY
    assert multi_scalar_mult([3, 4], [a, a]) == ref_mult(7, a)  # duplicate points
    assert multi_scalar_mult([3, N - 3], [a, a]) == IDENTITY
    assert multi_scalar_mult([3, 3], [a, -a]) == IDENTITY
    assert multi_scalar_mult([2, 5, 1], [G, a, G]) == ref_add(ref_mult(3, G), ref_mult(5, a))
    assert multi_scalar_mult([N + 2, -1], [a, b]) == ref_add(ref_mult(2, a), ref_mult(N - 1, b))
    with pytest.raises(ValueError, match="as many scalars"):
        multi_scalar_mult([1, 2], [a])


@pytest.mark.parametrize("name", BACKENDS)
@settings(max_examples=20, deadline=None)
@given(ks=st.lists(scalars, min_size=0, max_size=6),
       idx=st.lists(st.integers(0, len(REF_POINTS) - 1), min_size=6, max_size=6))
def test_random_small_msm_agrees_with_reference(name: str, ks: list[int], idx: list[int]) -> None:
    pts = [REF_POINTS[i] for i in idx[:len(ks)]]
    expected = ref_msm(ks, pts)
    with use_backend(name):
        assert multi_scalar_mult(ks, pts) == expected


def _known_log_terms(m: int, seed: int) -> tuple[list[int], list[Point], int]:
    """m terms over points with known logs (consecutive multiples of Q), and Σ k·log."""
    import random

    rng = random.Random(seed)
    qlog = LOGS[2]
    pts: list[Point] = []
    logs: list[int] = []
    cur, cur_log = Q, qlog
    for _ in range(m):
        pts.append(cur)
        logs.append(cur_log)
        cur, cur_log = ref_add(cur, G), cur_log + 1
    ks = [rng.randrange(N) for _ in range(m)]
    # zero scalars, duplicates, opposite points and GLV-edge scalars in every large MSM
    ks[0] = 0
    pts[1], logs[1] = pts[2], logs[2]
    pts[3], logs[3] = -pts[4], -logs[4]
    ks[5], ks[6], ks[7] = 2**128, N - 1, 1
    pts[8], logs[8] = G, 1
    total = sum(k * lg for k, lg in zip(ks, logs, strict=True)) % N
    return ks, pts, total


LARGE = _known_log_terms(150, seed=1)


def test_large_msm_hits_pippenger_and_agrees(backend: str) -> None:
    ks, pts, total = LARGE
    assert len(ks) > 64  # above the Straus crossover
    assert multi_scalar_mult(ks, pts) == ref_mult(total, G)
    # a false relation is not the identity, a true one is
    assert multi_scalar_mult([*ks, N - total], [*pts, G]) == IDENTITY
    assert multi_scalar_mult([*ks, N - total + 1], [*pts, G]) == G


PIPPENGER_CASES = [(window, glv, affine)
                   for window in (None, 2, 5, 8, 11, 16)
                   for glv in (True, False)
                   for affine in (True, False)
                   if not (window == 16 and not glv)]  # 2^15 buckets x 17 windows: slow, no new path


@pytest.mark.parametrize(("window", "glv", "affine"), PIPPENGER_CASES)
def test_pippenger_internals(backend: str, window: int | None, glv: bool, affine: bool) -> None:
    ks, pts, total = LARGE
    terms = [(k % N, pt) for k, pt in zip(ks, pts, strict=True) if k % N and not pt.is_identity]
    xs = [F.conv(pt.x) for _, pt in terms]
    ys = [F.conv(pt.y) for _, pt in terms]
    got = _msm.pippenger([k for k, _ in terms], xs, ys, glv=glv, window=window, affine=affine)
    assert _from_jacobian(got) == ref_mult(total, G)


def test_pippenger_affine_buckets_with_equal_x(backend: str) -> None:
    # Many copies of one point and of its negation land in the same buckets: the batched affine
    # levels meet doublings and P + (-P) = O.
    a = REF_POINTS[0]
    pts = [a, a, -a, a, -a, -a, a, a, REF_POINTS[1], a]
    ks = [5, 5, 5, 5, 5, 7, 7, 2**130 + 5, 5, 3]
    xs = [F.conv(pt.x) for pt in pts]
    ys = [F.conv(pt.y) for pt in pts]
    expected = ref_msm(ks, pts)
    for window in (2, 3, 4):
        for affine in (True, False):
            got = _msm.pippenger(ks, xs, ys, window=window, affine=affine)
            assert _from_jacobian(got) == expected
    got = _msm.pippenger([5, 5], xs[:3:2], ys[:3:2], window=4)
    assert _from_jacobian(got) == IDENTITY


def test_pippenger_window_totals_meet_doublings_and_cancellations(backend: str) -> None:
    # Σ d·B_d per window, with buckets holding 0, ±P, 2P or 3P: the batched running sums meet
    # R + B with equal x (a doubling), R + (-R) (the identity) and empty buckets.
    a = REF_POINTS[0]
    multiples = {m: ref_mult(m % N, a) for m in (-1, 1, 2, 3)}
    half = 64
    pattern = [0, 1, 1, -1, 0, 2, -1, 3, 1, 1, 0, -1, -1, 2]
    windows = [[pattern[(d * (w + 3)) % len(pattern)] for d in range(half + 1)] for w in range(3)]
    windows[2] = [0] * (half + 1)  # an empty window
    buckets = [[None if m == 0 else (F.conv(multiples[m].x), F.conv(multiples[m].y)) for m in row]
               for row in windows]
    for got, row in zip(_msm._window_totals(buckets, half), windows, strict=True):
        expected = sum(d * row[d] for d in range(1, half + 1)) % N
        assert _from_jacobian(got) == (ref_mult(expected, a) if expected else IDENTITY)


def test_straus_internals(backend: str) -> None:
    ks, pts, total = LARGE
    terms = [(k % N, pt) for k, pt in zip(ks, pts, strict=True) if k % N and not pt.is_identity]
    xs = [F.conv(pt.x) for _, pt in terms]
    ys = [F.conv(pt.y) for _, pt in terms]
    ksr = [k for k, _ in terms]
    assert _from_jacobian(_msm.straus(ksr, xs, ys)) == ref_mult(total, G)
    assert _from_jacobian(_msm.straus(ksr[:1], xs[:1], ys[:1])) == ref_mult(ksr[0], terms[0][1])
    assert _from_jacobian(_msm.straus([], [], [])) == IDENTITY
    assert _from_jacobian(_msm.pippenger([], [], [])) == IDENTITY


def test_msm_with_fixed_bases(backend: str) -> None:
    ks, pts, _ = LARGE
    base = FixedBase(Q)
    got = msm_with_fixed(ks[:10], pts[:10], [(5, base), (0, base), (7, FixedBase(G))])
    expected = ref_add(ref_msm(ks[:10], pts[:10]), ref_add(ref_mult(5, Q), ref_mult(7, G)))
    assert got == expected
    assert msm_with_fixed([], [], [(N - 1, base), (1, base)]) == IDENTITY


# --- field helpers --------------------------------------------------------------------------
def test_batch_inverse(backend: str) -> None:
    values = [F.conv(v) for v in (1, 2, 3, P - 1, 2**255, 12345678901234567890)]
    for v, inv in zip(values, batch_inverse(values), strict=True):
        assert v * inv % P == 1
    assert batch_inverse([]) == []
    with pytest.raises(ZeroDivisionError):
        batch_inverse([F.conv(3), F.conv(0)])


# --- encoding and validation ----------------------------------------------------------------
def test_encoding_roundtrip(backend: str) -> None:
    for pt in [*REF_POINTS, G, -G]:
        data = pt.to_bytes()
        assert len(data) == 33
        assert Point.from_bytes(data) == pt
        assert Point.from_bytes(bytearray(data)) == pt
        assert Point.from_hex(pt.hex()) == pt
        assert Point.from_xy(pt.x, pt.y) == pt  # type: ignore[arg-type]
    assert decode_points([pt.to_bytes() for pt in REF_POINTS]) == REF_POINTS
    assert decode_points([]) == []
    assert G.to_bytes().hex() == "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"


def _x_not_on_curve() -> int:
    x = 5
    while True:
        try:
            lift_x(x)
        except InvalidPoint:
            return x
        x += 1


def test_lift_x(backend: str) -> None:
    assert G.x is not None
    y = lift_x(G.x)
    assert y in (G.y, P - G.y)  # type: ignore[operator]
    assert isinstance(y, int)
    with pytest.raises(InvalidPoint):
        lift_x(_x_not_on_curve())


@pytest.mark.parametrize(("data", "error"), [
    (b"\x02" + b"\x00" * 31, InvalidEncoding),                         # 32 bytes
    (G.to_bytes() + b"\x00", InvalidEncoding),                         # 34 bytes
    (b"", InvalidEncoding),
    (b"\x04" + G.to_bytes()[1:], InvalidEncoding),                     # uncompressed prefix
    (b"\x00" + G.to_bytes()[1:], InvalidEncoding),                     # infinity-style prefix
    (b"\x05" + G.to_bytes()[1:], InvalidEncoding),
    (b"\x02" + P.to_bytes(32, "big"), InvalidPoint),                    # x = p
    (b"\x03" + (P + 1).to_bytes(32, "big"), InvalidPoint),              # x > p
    (b"\x02" + (2**256 - 1).to_bytes(32, "big"), InvalidPoint),
    (b"\x02" + _x_not_on_curve().to_bytes(32, "big"), InvalidPoint),
    (b"\x00" * 33, InvalidEncoding),
])
def test_from_bytes_rejects(backend: str, data: bytes, error: type[CryptoError]) -> None:
    with pytest.raises(error):
        Point.from_bytes(data)
    with pytest.raises(error):
        decode_points([G.to_bytes(), data])


@pytest.mark.parametrize("data", ["0279be", G.hex(), 42, None, [2, 3]])
def test_from_bytes_rejects_non_bytes(data: object) -> None:
    with pytest.raises(InvalidEncoding):
        Point.from_bytes(data)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["zz", G.hex()[:-1], G.hex() + "00", "", 5])
def test_from_hex_rejects(text: object) -> None:
    with pytest.raises(InvalidEncoding):
        Point.from_hex(text)  # type: ignore[arg-type]


@pytest.mark.parametrize(("x", "y"), [
    (G.x, (G.y or 0) + 1),          # off the curve
    (0, 0),                         # py-ecc's identity is not a point
    (G.x, (G.y or 0) + P),          # y >= p (same residue)
    ((G.x or 0) + P, G.y),          # x >= p
    (P, 0),
    (-1, G.y),
    (G.x, -(G.y or 0)),
    (True, G.y),
    (1.0, 2.0),
    (None, None),
])
def test_from_xy_rejects(x: object, y: object) -> None:
    with pytest.raises(InvalidPoint):
        Point.from_xy(x, y)  # type: ignore[arg-type]


def test_identity_has_no_encoding() -> None:
    assert IDENTITY.is_identity
    with pytest.raises(InvalidPoint):
        IDENTITY.to_bytes()
    with pytest.raises(InvalidPoint):
        IDENTITY.hex()


def test_points_are_immutable_and_hashable() -> None:
    with pytest.raises(AttributeError):
        G.x = 5  # type: ignore[misc]
    assert len({G, Point.from_bytes(G.to_bytes()), -G}) == 2
    assert (G.x, G.y) != G
    assert repr(IDENTITY) == "Point(IDENTITY)"
    assert G.hex() in repr(G)


def test_points_pickle_and_copy() -> None:
    import copy
    import pickle

    for pt in (G, Q, IDENTITY):
        clone = pickle.loads(pickle.dumps(pt))  # noqa: S301 - our own bytes
        assert clone == pt
        assert clone.is_identity == pt.is_identity
        assert copy.copy(pt) is pt
        assert copy.deepcopy([pt])[0] == pt


def test_results_are_plain_ints(backend: str) -> None:
    for pt in [base_mult(5), scalar_mult(5, Q), FixedBase(Q).mult(5), Q + G,
               multi_scalar_mult([1, 2], [Q, G]), Point.from_bytes(Q.to_bytes())]:
        assert type(pt.x) is int
        assert type(pt.y) is int


# --- scalars --------------------------------------------------------------------------------
@pytest.mark.parametrize("k", [-1, N, N + 5, 2**256, True, False, 1.0, "1", None])
def test_check_scalar_rejects(k: object) -> None:
    with pytest.raises(InvalidScalar):
        check_scalar(k)


def test_check_scalar_accepts_and_nonzero() -> None:
    assert check_scalar(0) == 0
    assert check_scalar(N - 1) == N - 1
    with pytest.raises(InvalidScalar):
        check_scalar(0, nonzero=True)
    assert check_scalar(1, nonzero=True) == 1


def test_scalar_encoding() -> None:
    assert scalar_to_bytes(N + 3) == (3).to_bytes(32, "big")
    assert scalar_from_bytes(scalar_to_bytes(N - 1)) == N - 1
    assert scalar_from_hex(scalar_to_bytes(77).hex()) == 77
    with pytest.raises(InvalidScalar):
        scalar_from_bytes(N.to_bytes(32, "big"))
    with pytest.raises(InvalidScalar):
        scalar_from_bytes(bytes(32), nonzero=True)
    for bad in [bytes(31), bytes(33), "00" * 32, 5]:
        with pytest.raises(InvalidEncoding):
            scalar_from_bytes(bad)  # type: ignore[arg-type]
    for bad_text in ["xyz", "00" * 31, 7]:
        with pytest.raises(InvalidEncoding):
            scalar_from_hex(bad_text)  # type: ignore[arg-type]


def test_random_scalar_range() -> None:
    values = {random_scalar() for _ in range(50)}
    assert all(1 <= v < N for v in values)
    assert len(values) == 50
