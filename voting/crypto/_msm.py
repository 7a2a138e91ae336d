"""Multi-scalar multiplication Σ k_i·P_i: Straus (interleaved wNAF) and Pippenger (buckets).

Both take scalars already reduced into [1, n) and affine points (field elements of the current
backend, identity already removed) and return a Jacobian point.

* :func:`straus` splits every scalar with the GLV endomorphism into two ~128-bit halves, builds
  per point a table of odd multiples (normalised to affine with one batch inversion, the
  ``beta·x`` table of the endomorphism comes for free) and runs one shared chain of ~129
  doublings with one mixed addition per nonzero wNAF digit. Best for few points: its per-point
  cost is ~50 additions.
* :func:`pippenger` sorts signed base-2^c digits into 2^(c-1) buckets per window, sums the buckets
  with a running sum (with the plain-int backend: in segments, all windows' segments stepping
  together in batched affine additions, :func:`_window_totals`), and combines windows with c
  doublings each. Per point and window it costs
  one addition (mixed Jacobian, or batched affine with the plain-int backend), so with the GLV
  halves (twice the points, half the windows) a point costs ~2·ceil(130/c) additions, and c
  grows with log(m). Scalars already below 2^129 (the random weights batch verification puts on
  proof commitments) are not split, so they cost half as much.

The crossover between them is chosen by measurement (``group.STRAUS_MAX``: at ~64 points both
cost the same per point; below, Straus wins, above, Pippenger).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from ._curve import (
    BETA,
    JINF,
    Affine,
    Jacobian,
    affine_add,
    batch_to_affine,
    glv_split,
    jadd,
    jadd_affine,
    jdouble,
    wnaf,
)
from ._field import F, batch_inverse

STRAUS_WINDOW = 5
_MAX_BITS = 136  # GLV halves are < 2^129; their wNAF has at most 130 digits


def _glv_expand(scalars: Sequence[int], xs: Sequence[Any], ys: Sequence[Any]
                ) -> tuple[list[int], list[Any], list[Any]]:
    """Replace each (k, P) by (|k1|, ±P) and (|k2|, ±phi(P)) with phi(x, y) = (beta·x, y)."""
    p = F.p
    beta = F.conv(BETA)
    ks: list[int] = []
    oxs: list[Any] = []
    oys: list[Any] = []
    for k, x, y in zip(scalars, xs, ys, strict=True):
        k1, k2 = glv_split(k)
        if k1:
            ks.append(abs(k1))
            oxs.append(x)
            oys.append(y if k1 > 0 else p - y)
        if k2:
            ks.append(abs(k2))
            oxs.append(beta * x % p)
            oys.append(y if k2 > 0 else p - y)
    return ks, oxs, oys


def straus(scalars: Sequence[int], xs: Sequence[Any], ys: Sequence[Any]) -> Jacobian:
    """Σ k_i·(xs[i], ys[i]) by interleaved wNAF with GLV (good up to a few hundred points)."""
    if not scalars:
        return JINF
    p = F.p
    beta = F.conv(BETA)
    one = F.conv(1)
    w = STRAUS_WINDOW
    size = 1 << (w - 2)  # odd multiples 1, 3, ..., 2^(w-1) - 1
    # Doubles of every base, normalised together so the table chain can use mixed additions.
    doubles = batch_to_affine([jdouble(x, y, one) for x, y in zip(xs, ys, strict=True)])
    chain: list[Jacobian] = []
    for x, y, dbl in zip(xs, ys, doubles, strict=True):
        acc: Jacobian = (x, y, one)
        chain.append(acc)
        assert dbl is not None  # 2P = O would need P of order 2
        dx, dy = dbl
        for _ in range(1, size):
            acc = jadd_affine(*acc, dx, dy)
            chain.append(acc)
    table = batch_to_affine(chain)
    # Bucket the additions by bit position: adds[i] = affine points to add after doubling i.
    adds: list[list[tuple[Any, Any]]] = [[] for _ in range(_MAX_BITS)]
    top = 0
    lut: list[tuple[Any, Any]] = [(0, 0)] * (4 * size)  # lut[d] for odd d in (-2^(w-1), 2^(w-1))
    for idx, k in enumerate(scalars):
        entries = table[idx * size:(idx + 1) * size]
        for half, use_beta in zip(glv_split(k), (False, True), strict=True):
            if not half:
                continue
            negate = half < 0
            for j, entry in enumerate(entries):
                # (2j+1)·P is never the identity: P has prime order n > 2^(w-1).
                assert entry is not None
                ex, ey = entry
                if use_beta:
                    ex = beta * ex % p
                pos_entry, neg_entry = (ex, ey), (ex, p - ey)
                if negate:
                    pos_entry, neg_entry = neg_entry, pos_entry
                lut[2 * j + 1] = pos_entry
                lut[-2 * j - 1] = neg_entry
            digits = wnaf(-half if negate else half, w)
            top = max(top, digits[-1][0] + 1)
            for pos, d in digits:
                adds[pos].append(lut[d])
    return _double_and_add(adds, top)


def _double_and_add(adds: list[list[tuple[Any, Any]]], top: int) -> Jacobian:
    """The shared doubling chain of Straus with doubling and mixed addition inlined."""
    p = F.p
    one = F.conv(1)
    X1: Any = 0
    Y1: Any = 0
    Z1: Any = 0  # the identity
    for pos in range(top - 1, -1, -1):
        if Z1:
            YY = Y1 * Y1 % p
            S = 4 * X1 * YY % p
            M = 3 * X1 * X1 % p
            X3 = (M * M - 2 * S) % p
            X1, Y1, Z1 = X3, (M * (S - X3) - 8 * YY * YY) % p, 2 * Y1 * Z1 % p
        for x2, y2 in adds[pos]:
            if not Z1:
                X1, Y1, Z1 = x2, y2, one
                continue
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


def pippenger_window(m: int, bits: int) -> int:
    """Window c minimising windows·(m·extract(c) + 2.9·2^(c-1)) (bucket sums are full additions).

    Byte-aligned windows (8, 16) read their digits straight out of a byte string, the others
    pay a shift-and-mask per digit (~5% of a mixed addition).
    """
    best_c, best_cost = 2, float("inf")
    for c in range(2, 21):
        windows = -(-(bits + 1) // c)
        extract = 1.0 if c in _BYTE_WINDOWS else 1.05
        cost = windows * (m * extract + 2.9 * (1 << (c - 1)))
        if cost < best_cost:
            best_c, best_cost = c, cost
    return best_c


_BYTE_WINDOWS = {8: "B", 16: "H"} if sys.byteorder == "little" else {}


def _digit_column(biased: Sequence[int], blob: memoryview | None, c: int, j: int, windows: int) -> list[int]:
    """Unsigned digit j (base 2^c) of every biased scalar."""
    if blob is not None:
        return blob[j::windows].tolist()
    shift = c * j
    mask = (1 << c) - 1
    return [(k >> shift) & mask for k in biased]


def _affine_bucket_sums(column: Sequence[int], pxs: Sequence[Any], pys: Sequence[Any],
                        negys: Sequence[Any], half: int) -> tuple[list[list[Any]], list[list[Any]]]:
    """Sum every bucket of one window in affine coordinates, all buckets' additions batched.

    Why: an affine addition is 3 multiplications once its inverse is known, and Montgomery's
    trick makes a whole level of independent inverses cost 3 multiplications each — about half
    of a mixed Jacobian addition. The buckets are reduced as a tree: each level adds disjoint
    pairs inside every bucket, so all denominators of a level are independent. Equal x
    (a doubling or P + (-P)) is rare and goes through :func:`._curve.affine_add`.
    Returns per bucket a list of at most one x and one y.
    """
    bx: list[list[Any]] = [[] for _ in range(half + 1)]
    by: list[list[Any]] = [[] for _ in range(half + 1)]
    for u, x, y, neg_y in zip(column, pxs, pys, negys, strict=True):
        if u > half:
            d = u - half
            bx[d].append(x)
            by[d].append(y)
        elif u < half:
            d = half - u
            bx[d].append(x)
            by[d].append(neg_y)
    active = [d for d in range(1, half + 1) if len(bx[d]) > 1]
    while active:
        x1s: list[Any] = []
        y1s: list[Any] = []
        x2s: list[Any] = []
        y2s: list[Any] = []
        counts: list[int] = []
        for d in active:
            lx = bx[d]
            ly = by[d]
            n = len(lx)
            k2 = n & ~1
            x1s += lx[0:k2:2]
            x2s += lx[1:k2:2]
            y1s += ly[0:k2:2]
            y2s += ly[1:k2:2]
            counts.append(k2 >> 1)
            if n & 1:
                bx[d] = lx[-1:]
                by[d] = ly[-1:]
            else:
                bx[d] = []
                by[d] = []
        x3s, y3s = _add_pairs(x1s, y1s, x2s, y2s)
        pos = 0
        for d, k in zip(active, counts, strict=True):
            end = pos + k
            bx[d] += [x for x in x3s[pos:end] if x is not None]
            by[d] += [y for y in y3s[pos:end] if y is not None]
            pos = end
        active = [d for d in active if len(bx[d]) > 1]
    return bx, by


def _add_pairs(x1s: list[Any], y1s: list[Any], x2s: list[Any], y2s: list[Any]) -> tuple[list[Any], list[Any]]:
    """Independent affine sums (x1s[i], y1s[i]) + (x2s[i], y2s[i]) with one batched inversion; a
    sum at the identity is ``None`` in both outputs."""
    p = F.p
    dens = [b - a for a, b in zip(x1s, x2s, strict=True)]
    if 0 in dens:
        return _exceptional_level(x1s, y1s, x2s, y2s, dens)
    invs = batch_inverse(dens)
    lams = [(b - a) * i % p for a, b, i in zip(y1s, y2s, invs, strict=True)]
    x3s = [(lam * lam - a - b) % p for lam, a, b in zip(lams, x1s, x2s, strict=True)]
    y3s = [(lam * (a - x3) - b) % p for lam, a, x3, b in zip(lams, x1s, x3s, y1s, strict=True)]
    return x3s, y3s


def _add_where_both(left: list[Affine | None], right: list[Affine | None]) -> list[Affine | None]:
    """``left[i] + right[i]`` for every i, ``None`` standing for the identity: the sums of two
    points are batched (:func:`_add_pairs`), the others are copies."""
    out = list(left)
    both = [i for i, (a, b) in enumerate(zip(left, right, strict=True)) if a is not None and b is not None]
    for i, b in enumerate(right):
        if left[i] is None:
            out[i] = b
    if both:
        x3s, y3s = _add_pairs([left[i][0] for i in both], [left[i][1] for i in both],  # type: ignore[index]
                              [right[i][0] for i in both], [right[i][1] for i in both])  # type: ignore[index]
        for i, x, y in zip(both, x3s, y3s, strict=True):
            out[i] = None if x is None else (x, y)
    return out


def _window_totals(buckets: list[list[Affine | None]], half: int) -> list[Jacobian]:
    """Σ_d d·B_d for each window's buckets ``B_1..B_half`` (``buckets[w][d]``, ``None`` if empty).

    The running sum (R += B_d, T += R from the top bucket down) is sequential in d, so each window
    is cut into segments of L buckets and all segments of all windows step together: every step is
    one batch of independent affine additions (one inversion for hundreds of them) instead of a
    Jacobian addition each. Segment s (buckets s·L+1 .. s·L+L) yields R_s = Σ B_d and
    T_s = Σ (d − s·L)·B_d; the window's total is Σ_s T_s + L·Σ_s s·R_s (a short Jacobian running sum).
    """
    seg = min(half, 32)
    count = half // seg  # half is a power of two
    chains = [(w, s) for w in range(len(buckets)) for s in range(count)]
    running: list[Affine | None] = [None] * len(chains)
    totals: list[Affine | None] = [None] * len(chains)
    for k in range(seg, 0, -1):
        step = [buckets[w][s * seg + k] for w, s in chains]
        running = _add_where_both(running, step)
        totals = _add_where_both(totals, running)
    out: list[Jacobian] = []
    one = F.conv(1)
    for w in range(len(buckets)):
        base = w * count
        weighted: Jacobian = JINF  # Σ_s s·R_s, by a running sum from the top segment down
        run: Jacobian = JINF
        for s in range(count - 1, 0, -1):
            r = running[base + s]
            if r is not None:
                run = jadd_affine(*run, r[0], r[1])
            weighted = jadd(weighted, run)
        for _ in range(seg.bit_length() - 1):  # · L (a power of two)
            weighted = jdouble(*weighted)
        for s in range(count):
            t = totals[base + s]
            if t is not None:
                weighted = jadd(weighted, (t[0], t[1], one))
        out.append(weighted)
    return out


def _exceptional_level(x1s: list[Any], y1s: list[Any], x2s: list[Any], y2s: list[Any],
                       dens: list[Any]) -> tuple[list[Any], list[Any]]:
    """A level containing equal x coordinates: those pairs are summed one by one.

    A pair summing to the identity leaves ``None`` in both outputs (the caller drops it).
    """
    one = F.conv(1)
    special = [i for i, den in enumerate(dens) if not den]
    safe = list(dens)
    for i in special:
        safe[i] = one
    p = F.p
    invs = batch_inverse(safe)
    x3s: list[Any] = []
    y3s: list[Any] = []
    for a, ya, b, yb, inv in zip(x1s, y1s, x2s, y2s, invs, strict=True):
        if a == b:
            total = affine_add((a, ya), (b, yb))
            x3s.append(None if total is None else total[0])
            y3s.append(None if total is None else total[1])
            continue
        lam = (yb - ya) * inv % p
        x3 = (lam * lam - a - b) % p
        x3s.append(x3)
        y3s.append((lam * (a - x3) - ya) % p)
    return x3s, y3s


def pippenger(scalars: Sequence[int], xs: Sequence[Any], ys: Sequence[Any], *,
              glv: bool = True, window: int | None = None, affine: bool | None = None) -> Jacobian:
    """Σ k_i·(xs[i], ys[i]) by the bucket method with signed digits (for many points).

    Digits are signed without a carry chain: adding ``bias = Σ 2^(c·j + c - 1)`` to the scalar
    makes each unsigned digit u stand for u - 2^(c-1), so 2^(c-1) buckets serve 2^c digit values
    (a negative digit adds the negated point, which costs one subtraction to prepare).

    ``affine`` chooses how buckets are filled: batched affine additions
    (:func:`_affine_bucket_sums`, measured ~15% faster with plain ints, where multiplications
    dominate) or inlined mixed Jacobian additions (faster with gmpy2, where interpreter overhead
    dominates). ``None`` picks by backend.
    """
    if affine is None:
        affine = not F.use_gmpy2
    if glv:
        ks, pxs, pys = _glv_expand(scalars, xs, ys)
    else:
        ks, pxs, pys = list(scalars), list(xs), list(ys)
    m = len(ks)
    if not m:
        return JINF
    p = F.p
    one = F.conv(1)
    top = max(ks)
    c = window or pippenger_window(m, top.bit_length())
    half = 1 << (c - 1)
    windows = 1
    while True:
        bias = sum(half << (c * j) for j in range(windows))
        if top + bias < 1 << (c * windows):
            break
        windows += 1
    biased = [k + bias for k in ks]
    blob: memoryview | None = None
    if c in _BYTE_WINDOWS:
        width = windows * c // 8
        blob = memoryview(b"".join(k.to_bytes(width, "little") for k in biased)).cast(_BYTE_WINDOWS[c])
    negys = [p - y for y in pys]
    result: Jacobian = JINF
    if affine:
        window_buckets: list[list[Affine | None]] = []
        for j in range(windows):
            bx, by = _affine_bucket_sums(_digit_column(biased, blob, c, j, windows), pxs, pys, negys, half)
            window_buckets.append([(bx[d][0], by[d][0]) if bx[d] else None for d in range(half + 1)])
        for total in reversed(_window_totals(window_buckets, half)):
            for _ in range(c):
                result = jdouble(*result)
            result = jadd(result, total)
        return result
    for j in range(windows - 1, -1, -1):
        for _ in range(c):
            result = jdouble(*result)
        column = _digit_column(biased, blob, c, j, windows)
        buckets: list[Jacobian | None] = [None] * (half + 1)
        for u, x2, y2, neg_y2 in zip(column, pxs, pys, negys, strict=True):
            if u > half:
                d = u - half
                yy = y2
            elif u < half:
                d = half - u
                yy = neg_y2
            else:
                continue
            cur = buckets[d]
            if cur is None:
                buckets[d] = (x2, yy, one)
                continue
            # Mixed addition inlined: this loop is the hot path of batch verification.
            X1, Y1, Z1 = cur
            if not Z1:
                buckets[d] = (x2, yy, one)
                continue
            ZZ = Z1 * Z1 % p
            H = x2 * ZZ % p - X1
            R = yy * (ZZ * Z1 % p) % p - Y1
            if not H:
                buckets[d] = jdouble(X1, Y1, Z1) if not R else JINF
                continue
            HH = H * H % p
            HHH = H * HH % p
            V = X1 * HH % p
            X3 = (R * R - HHH - 2 * V) % p
            buckets[d] = (X3, (R * (V - X3) - Y1 * HHH) % p, Z1 * H % p)
        # Σ d·bucket[d] as a running sum from the top bucket down.
        running = JINF
        total = JINF
        for d in range(half, 0, -1):
            bucket = buckets[d]
            if bucket is not None:
                running = jadd(running, bucket)
            total = jadd(total, running)
        result = jadd(result, total)
    return result
