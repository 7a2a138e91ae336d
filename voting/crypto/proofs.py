"""Zero-knowledge proofs about ElGamal ciphertexts, in commitment form.

Every proof is a frozen dataclass holding its *commitments*, per-branch *challenges* and
*responses*. Verification is split in two:

1. :meth:`relations` recomputes the strong Fiat–Shamir challenge with :func:`hashing.challenge`
   (protocol version, group, election fingerprint, position, the whole statement, all
   commitments) and checks that the branch challenges add up to it — raising
   :class:`InvalidProof` otherwise — then returns the linear :class:`Relation`\\ s the proof asserts;
2. the relations are checked, either right away (:meth:`verify`) or merged with those of many other
   proofs in a :class:`~voting.crypto.batch.BatchVerifier`.

Notation: ``K`` the election key, a ciphertext ``(A, B) = (r·G, m·G + r·K)``. A Chaum–Pedersen
branch "``(A, B − s·G)`` is an encryption of zero" has commitments ``(a, b)``, challenge ``c`` and
response ``z`` and holds iff::

    z·G == a + c·A                    (R1)
    z·K == b + c·(B − s·G)            (R2)

The prover knows ``r`` and ``m``. For the real branch (``s = m``) it picks a nonce ``w`` and sets
``a = w·G``, ``b = w·K``, ``z = w + c·r``. For a simulated branch it picks ``c`` and ``z`` and,
instead of the variable-base multiplications ``z·G − c·A``, uses the equivalent fixed-base forms::

    a = (z − c·r)·G
    b = (z − c·r)·K + c·(s − m)·G

so proving costs only multiplications by ``G`` and by ``K`` (both with precomputed tables).

Draw order of the randomness source (documented so test vectors are reproducible): branches in
the order of the allowed values; a real branch draws ``w`` (pair proof: ``w1, w2``), a simulated
branch draws ``c`` then ``z`` (pair proof: ``c, z1, z2``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from .batch import Relation, relations_hold
from .elgamal import Ciphertext, ElectionKey
from .errors import InvalidEncoding, InvalidProof
from .group import G, N, Point, base_mult, check_scalar, point_from_coordinates, random_scalar
from .hashing import Encodable, challenge

#: Largest number of branches a disjunctive proof may have (bounds prover and verifier work and
#: the size of untrusted JSON). A quadratic budget B needs B + 1 branches for its sum proof.
MAX_BRANCHES = 1025

Rng = Callable[[], int]
Position = Sequence[Encodable]

_POINT_HEX = re.compile(r"0[23][0-9a-f]{64}")
_POINT_HEX_UNCOMPRESSED = re.compile(r"04[0-9a-f]{128}")
_SCALAR_HEX = re.compile(r"[0-9a-f]{64}")


# --- strict JSON decoding (lowercase hex only) --------------------------------------------------
def point_from_json(data: object) -> Point:
    """A point from lowercase hex: 66 characters (SEC1 compressed, ``02``/``03`` prefix) or 130
    characters (SEC1 uncompressed, ``04`` prefix, checked on the curve without a square root).

    Both forms denote the same point; hashes (challenges, tracking codes) always use the
    compressed encoding, so a proof or ballot does not depend on the form it travelled in.
    """
    if isinstance(data, str):
        if len(data) == 130 and _POINT_HEX_UNCOMPRESSED.fullmatch(data):
            return point_from_coordinates(int(data[2:66], 16), int(data[66:], 16))
        if _POINT_HEX.fullmatch(data):
            return Point.from_hex(data)
    raise InvalidEncoding("point must be lowercase hex: 66 characters (compressed, 02/03 prefix) "
                          "or 130 characters (uncompressed, 04 prefix)")


def point_to_json(pt: Point, *, uncompressed: bool = False) -> str:
    """The hex a point is written as in JSON (compressed unless ``uncompressed``)."""
    return pt.hex(compressed=not uncompressed)


def scalar_from_json(data: object) -> int:
    """A scalar from exactly 64 lowercase hex characters, validated < n."""
    if not isinstance(data, str) or not _SCALAR_HEX.fullmatch(data):
        raise InvalidEncoding("scalar must be 64 lowercase hex characters")
    return check_scalar(int(data, 16))


def scalar_to_json(k: int) -> str:
    return f"{k % N:064x}"


def ciphertext_from_json(data: object) -> Ciphertext:
    """``[alpha_hex, beta_hex]`` with both points strictly decoded and validated."""
    if not isinstance(data, list) or len(data) != 2:
        raise InvalidEncoding("ciphertext must be a list of two hex-encoded points")
    return Ciphertext(point_from_json(data[0]), point_from_json(data[1]))


def expect_list(data: object, what: str, length: int | None = None) -> list[Any]:
    if not isinstance(data, list):
        raise InvalidEncoding(f"{what} must be a list")
    if length is not None and len(data) != length:
        raise InvalidEncoding(f"{what} must have {length} items, got {len(data)}")
    return data


def expect_object(data: object, keys: set[str], what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InvalidEncoding(f"{what} must be an object")
    if set(data) != keys:
        raise InvalidEncoding(f"{what} must have exactly the keys {sorted(keys)}, got {sorted(data)}")
    return data


# --- statement checks --------------------------------------------------------------------------
def check_values(values: Sequence[int]) -> tuple[int, ...]:
    """The allowed set of a disjunctive proof: distinct ints, 1..MAX_BRANCHES of them."""
    vals = tuple(values)
    if not vals or len(vals) > MAX_BRANCHES:
        raise InvalidProof(f"allowed set must have 1..{MAX_BRANCHES} values, got {len(vals)}")
    if any(not isinstance(v, int) or isinstance(v, bool) for v in vals):
        raise InvalidProof("allowed values must be integers")
    if len(set(vals)) != len(vals):
        raise InvalidProof("allowed values must be distinct")
    return vals


def check_range(low: int, high: int) -> tuple[int, ...]:
    if not all(isinstance(x, int) and not isinstance(x, bool) for x in (low, high)) or low > high:
        raise InvalidProof(f"invalid range [{low}..{high}]")
    if high - low + 1 > MAX_BRANCHES:
        raise InvalidProof(f"range [{low}..{high}] has more than {MAX_BRANCHES} values")
    return tuple(range(low, high + 1))


def _sum_challenges(challenges: Sequence[int]) -> int:
    return sum(challenges) % N


def _check_hash(purpose: str, expected: int, challenges: Sequence[int]) -> None:
    if _sum_challenges(challenges) != expected:
        raise InvalidProof(f"{purpose}: branch challenges do not add up to the Fiat–Shamir challenge "
                           "(statement, position, election or commitments differ from the proven ones)")


# --- the disjunctive Chaum–Pedersen core ---------------------------------------------------------
def _prove_disjunction(purpose: str, statement: list[Encodable], key: ElectionKey, *,
                       r: int, m: int, values: tuple[int, ...], fingerprint: bytes,
                       position: Position, rng: Rng,
                       ) -> tuple[tuple[tuple[Point, Point], ...], tuple[int, ...], tuple[int, ...]]:
    if m not in values:
        raise InvalidProof(f"{purpose}: cannot prove: value {m} is not in the allowed set")
    real = values.index(m)
    commitments: list[tuple[Point, Point]] = []
    chals: list[int] = [0] * len(values)
    resps: list[int] = [0] * len(values)
    w = 0
    for j, s in enumerate(values):
        if j == real:
            w = rng()
            commitments.append((base_mult(w), key.mult(w)))
        else:
            c, z = rng(), rng()
            t = (z - c * r) % N
            commitments.append((base_mult(t), key.mult(t) + base_mult(c * (s - m))))
            chals[j], resps[j] = c, z
    c_all = challenge(purpose, fingerprint, position, statement, [list(ab) for ab in commitments])
    chals[real] = (c_all - sum(chals)) % N
    resps[real] = (w + chals[real] * r) % N
    return tuple(commitments), tuple(chals), tuple(resps)


def _disjunction_relations(key: ElectionKey, ct: Ciphertext, *, values: tuple[int, ...],
                           commitments: Sequence[tuple[Point, Point]], chals: Sequence[int],
                           resps: Sequence[int]) -> list[Relation]:
    rels = []
    for s, (a, b), c, z in zip(values, commitments, chals, resps, strict=True):
        rels.append(Relation(((z, G), (-c, ct.alpha), (-1, a))))
        rels.append(Relation(((z, key.point), (c * s, G), (-c, ct.beta), (-1, b))))
    return rels


def _disjunction_terms(values: Sequence[int], commitments: Sequence[tuple[Point, Point]],
                       chals: Sequence[int], resps: Sequence[int], weights: Sequence[int],
                       scalars: list[int], points: list[Point]) -> tuple[int, int, int, int]:
    """The relations of :func:`_disjunction_relations`, weighted and merged in one pass.

    Branch ``j`` takes weights ``u = weights[2j]`` for (R1) and ``v = weights[2j+1]`` for (R2);
    the commitment terms ``(−u, a_j)``, ``(−v, b_j)`` are appended to ``scalars``/``points`` and
    the merged coefficients of G, K, A and B are returned (unreduced)::

        G: Σ u·z + v·c·s      K: Σ v·z      A: −Σ u·c      B: −Σ v·c
    """
    g = k = ca = cb = 0
    n = N
    i = 0
    for s, (a, b), c, z in zip(values, commitments, chals, resps, strict=True):
        u = weights[i]
        v = weights[i + 1]
        i += 2
        g += u * z + v * c * s
        k += v * z
        ca += u * c
        cb += v * c
        scalars.append(n - u)
        points.append(a)
        scalars.append(n - v)
        points.append(b)
    return g, k, -ca, -cb


@dataclass(frozen=True, slots=True)
class _DisjunctiveForm:
    """Shared storage and JSON of the set-membership and range proofs."""

    commitments: tuple[tuple[Point, Point], ...]
    challenges: tuple[int, ...]
    responses: tuple[int, ...]

    def to_json(self, *, uncompressed: bool = False) -> dict[str, Any]:
        c = not uncompressed
        return {
            "commitments": [[a.hex(compressed=c), b.hex(compressed=c)] for a, b in self.commitments],
            "challenges": [scalar_to_json(c) for c in self.challenges],
            "responses": [scalar_to_json(z) for z in self.responses],
        }

    @staticmethod
    def _decode(data: object, what: str) -> tuple[tuple[tuple[Point, Point], ...], tuple[int, ...],
                                                  tuple[int, ...]]:
        obj = expect_object(data, {"commitments", "challenges", "responses"}, what)
        comms = expect_list(obj["commitments"], f"{what} commitments")
        if not 1 <= len(comms) <= MAX_BRANCHES:
            raise InvalidEncoding(f"{what} must have 1..{MAX_BRANCHES} branches, got {len(comms)}")
        commitments = tuple(
            (point_from_json(ab[0]), point_from_json(ab[1]))
            for ab in (expect_list(x, f"{what} commitment pair", 2) for x in comms))
        chals = tuple(scalar_from_json(c) for c in expect_list(obj["challenges"], f"{what} challenges", len(comms)))
        resps = tuple(scalar_from_json(z) for z in expect_list(obj["responses"], f"{what} responses", len(comms)))
        return commitments, chals, resps

    def _items(self) -> list[Encodable]:
        """Canonical encoding items (used by ballot tracking codes): ``[[a, b, c, z], ...]``."""
        return [[a, b, c, z] for (a, b), c, z in
                zip(self.commitments, self.challenges, self.responses, strict=True)]

    def _check_branches(self, what: str, count: int) -> None:
        if not (len(self.commitments) == len(self.challenges) == len(self.responses) == count):
            raise InvalidProof(f"{what}: expected {count} branches, got {len(self.commitments)}")


@dataclass(frozen=True, slots=True)
class DisjunctiveProof(_DisjunctiveForm):
    """Disjunctive Chaum–Pedersen: ``ct`` encrypts one value of the allowed set ``values``.

    One branch per allowed value ``s_j`` (in the given order) with relations (R1), (R2) above, and
    ``Σ c_j == H`` where ``H = challenge("proof/disjunctive-cp", fingerprint, position,
    [K, A, B, [s_0, ..., s_{L-1}]], [[a_0, b_0], ..., [a_{L-1}, b_{L-1}]])``.
    The 0/1 proof of an option is this proof with ``values = (0, 1)``.
    """

    PURPOSE: ClassVar[str] = "proof/disjunctive-cp"

    @staticmethod
    def statement(key: ElectionKey, ct: Ciphertext, values: Sequence[int]) -> list[Encodable]:
        return [key.point, ct.alpha, ct.beta, list(values)]

    @classmethod
    def prove(cls, key: ElectionKey, ct: Ciphertext, r: int, m: int, *, values: Sequence[int],
              fingerprint: bytes, position: Position, rng: Rng = random_scalar) -> DisjunctiveProof:
        """Prove ``ct = Enc(m; r)`` with ``m`` in ``values`` (the caller guarantees the witness)."""
        vals = check_values(values)
        return cls(*_prove_disjunction(cls.PURPOSE, cls.statement(key, ct, vals), key, r=r, m=m,
                                       values=vals, fingerprint=fingerprint, position=position, rng=rng))

    def _checked(self, key: ElectionKey, ct: Ciphertext, values: Sequence[int], fingerprint: bytes,
                 position: Position) -> tuple[int, ...]:
        vals = check_values(values)
        self._check_branches(self.PURPOSE, len(vals))
        commitments = [list(ab) for ab in self.commitments]
        h = challenge(self.PURPOSE, fingerprint, position, self.statement(key, ct, vals), commitments)
        _check_hash(self.PURPOSE, h, self.challenges)
        return vals

    def relations(self, key: ElectionKey, ct: Ciphertext, *, values: Sequence[int],
                  fingerprint: bytes, position: Position) -> list[Relation]:
        vals = self._checked(key, ct, values, fingerprint, position)
        return _disjunction_relations(key, ct, values=vals, commitments=self.commitments,
                                      chals=self.challenges, resps=self.responses)

    def weighted_terms(self, key: ElectionKey, ct: Ciphertext, *, values: Sequence[int], fingerprint: bytes,
                       position: Position, weights: Sequence[int], scalars: list[int],
                       points: list[Point]) -> tuple[int, int, int, int]:
        """The same checks as :meth:`relations`, then its relations weighted by ``weights`` (two per
        branch) and merged: commitment terms appended, coefficients of (G, K, A, B) returned."""
        vals = self._checked(key, ct, values, fingerprint, position)
        return _disjunction_terms(vals, self.commitments, self.challenges, self.responses, weights,
                                  scalars, points)

    def verify(self, key: ElectionKey, ct: Ciphertext, *, values: Sequence[int],
               fingerprint: bytes, position: Position) -> None:
        if not relations_hold(self.relations(key, ct, values=values, fingerprint=fingerprint, position=position)):
            raise InvalidProof(f"{self.PURPOSE}: verification equations do not hold")

    @classmethod
    def from_json(cls, data: object) -> DisjunctiveProof:
        return cls(*cls._decode(data, "disjunctive proof"))


@dataclass(frozen=True, slots=True)
class RangeProof(_DisjunctiveForm):
    """``ct`` encrypts a value in ``[low..high]``: a disjunction over ``low, low+1, ..., high``.

    Same branches and relations as :class:`DisjunctiveProof` with ``s_j = low + j``, but its own
    domain tag and statement: ``H = challenge("proof/range-cp", fingerprint, position,
    [K, A, B, low, high], [[a_0, b_0], ...])``. Cost is linear in ``high − low + 1``
    (at most :data:`MAX_BRANCHES`).
    """

    PURPOSE: ClassVar[str] = "proof/range-cp"

    @staticmethod
    def statement(key: ElectionKey, ct: Ciphertext, low: int, high: int) -> list[Encodable]:
        return [key.point, ct.alpha, ct.beta, low, high]

    @classmethod
    def prove(cls, key: ElectionKey, ct: Ciphertext, r: int, m: int, *, low: int, high: int,
              fingerprint: bytes, position: Position, rng: Rng = random_scalar) -> RangeProof:
        vals = check_range(low, high)
        return cls(*_prove_disjunction(cls.PURPOSE, cls.statement(key, ct, low, high), key, r=r, m=m,
                                       values=vals, fingerprint=fingerprint, position=position, rng=rng))

    def _checked(self, key: ElectionKey, ct: Ciphertext, low: int, high: int, fingerprint: bytes,
                 position: Position) -> tuple[int, ...]:
        vals = check_range(low, high)
        self._check_branches(self.PURPOSE, len(vals))
        commitments = [list(ab) for ab in self.commitments]
        h = challenge(self.PURPOSE, fingerprint, position, self.statement(key, ct, low, high), commitments)
        _check_hash(self.PURPOSE, h, self.challenges)
        return vals

    def relations(self, key: ElectionKey, ct: Ciphertext, *, low: int, high: int,
                  fingerprint: bytes, position: Position) -> list[Relation]:
        vals = self._checked(key, ct, low, high, fingerprint, position)
        return _disjunction_relations(key, ct, values=vals, commitments=self.commitments,
                                      chals=self.challenges, resps=self.responses)

    def weighted_terms(self, key: ElectionKey, ct: Ciphertext, *, low: int, high: int, fingerprint: bytes,
                       position: Position, weights: Sequence[int], scalars: list[int],
                       points: list[Point]) -> tuple[int, int, int, int]:
        """As :meth:`DisjunctiveProof.weighted_terms` (two weights per branch)."""
        vals = self._checked(key, ct, low, high, fingerprint, position)
        return _disjunction_terms(vals, self.commitments, self.challenges, self.responses, weights,
                                  scalars, points)

    def verify(self, key: ElectionKey, ct: Ciphertext, *, low: int, high: int,
               fingerprint: bytes, position: Position) -> None:
        rels = self.relations(key, ct, low=low, high=high, fingerprint=fingerprint, position=position)
        if not relations_hold(rels):
            raise InvalidProof(f"{self.PURPOSE}: verification equations do not hold")

    @classmethod
    def from_json(cls, data: object) -> RangeProof:
        return cls(*cls._decode(data, "range proof"))


@dataclass(frozen=True, slots=True)
class QuadraticPairProof:
    """``(C1, C2) = (Enc(v; r1), Enc(v²; r2))`` with ``v`` in ``[low..high]``.

    A disjunction over ``j = low..high`` of the conjunction "``C1 − j·G`` and ``C2 − j²·G`` both
    encrypt zero", with **one** challenge ``c_j`` per branch shared by both halves. Branch ``j`` has
    commitments ``(a1, b1, a2, b2)``, challenge ``c`` and responses ``(z1, z2)`` and holds iff::

        z1·G == a1 + c·A1          z1·K == b1 + c·(B1 − j·G)
        z2·G == a2 + c·A2          z2·K == b2 + c·(B2 − j²·G)

    and ``Σ c_j == challenge("proof/quadratic-pair", fingerprint, position,
    [K, A1, B1, A2, B2, low, high], [[a1, b1, a2, b2] per branch])``.
    Simulated branches use ``a1 = (z1 − c·r1)·G``, ``b1 = (z1 − c·r1)·K + c·(j − v)·G`` and the same
    for ``(a2, b2)`` with ``r2`` and ``j² − v²``. Because ``j ↦ j²`` is evaluated inside each branch,
    ``C2`` is proven to encrypt the square of the value ``C1`` encrypts.
    """

    commitments: tuple[tuple[Point, Point, Point, Point], ...]
    challenges: tuple[int, ...]
    responses: tuple[tuple[int, int], ...]

    PURPOSE: ClassVar[str] = "proof/quadratic-pair"

    @staticmethod
    def statement(key: ElectionKey, ct_v: Ciphertext, ct_sq: Ciphertext, low: int,
                  high: int) -> list[Encodable]:
        return [key.point, ct_v.alpha, ct_v.beta, ct_sq.alpha, ct_sq.beta, low, high]

    @classmethod
    def prove(cls, key: ElectionKey, ct_v: Ciphertext, ct_sq: Ciphertext, *, v: int, r_v: int, r_sq: int,
              low: int, high: int, fingerprint: bytes, position: Position,
              rng: Rng = random_scalar) -> QuadraticPairProof:
        vals = check_range(low, high)
        if v not in vals:
            raise InvalidProof(f"{cls.PURPOSE}: cannot prove: value {v} is not in [{low}..{high}]")
        real = vals.index(v)
        commitments: list[tuple[Point, Point, Point, Point]] = []
        chals = [0] * len(vals)
        resps = [(0, 0)] * len(vals)
        w1 = w2 = 0
        for idx, j in enumerate(vals):
            if idx == real:
                w1, w2 = rng(), rng()
                commitments.append((base_mult(w1), key.mult(w1), base_mult(w2), key.mult(w2)))
                continue
            c, z1, z2 = rng(), rng(), rng()
            t1, t2 = (z1 - c * r_v) % N, (z2 - c * r_sq) % N
            commitments.append((base_mult(t1), key.mult(t1) + base_mult(c * (j - v)),
                                base_mult(t2), key.mult(t2) + base_mult(c * (j * j - v * v))))
            chals[idx], resps[idx] = c, (z1, z2)
        h = challenge(cls.PURPOSE, fingerprint, position, cls.statement(key, ct_v, ct_sq, low, high),
                      [list(x) for x in commitments])
        chals[real] = (h - sum(chals)) % N
        resps[real] = ((w1 + chals[real] * r_v) % N, (w2 + chals[real] * r_sq) % N)
        return cls(tuple(commitments), tuple(chals), tuple(resps))

    def _checked(self, key: ElectionKey, ct_v: Ciphertext, ct_sq: Ciphertext, low: int, high: int,
                 fingerprint: bytes, position: Position) -> tuple[int, ...]:
        vals = check_range(low, high)
        if not (len(self.commitments) == len(self.challenges) == len(self.responses) == len(vals)):
            raise InvalidProof(f"{self.PURPOSE}: expected {len(vals)} branches, got {len(self.commitments)}")
        h = challenge(self.PURPOSE, fingerprint, position, self.statement(key, ct_v, ct_sq, low, high),
                      [list(x) for x in self.commitments])
        _check_hash(self.PURPOSE, h, self.challenges)
        return vals

    def weighted_terms(self, key: ElectionKey, ct_v: Ciphertext, ct_sq: Ciphertext, *, low: int, high: int,
                       fingerprint: bytes, position: Position, weights: Sequence[int], scalars: list[int],
                       points: list[Point]) -> tuple[int, int, int, int, int, int]:
        """The same checks as :meth:`relations`, then its four relations per branch weighted by
        ``weights`` (four per branch) and merged: commitment terms appended, coefficients of
        (G, K, A1, B1, A2, B2) returned (unreduced)."""
        vals = self._checked(key, ct_v, ct_sq, low, high, fingerprint, position)
        n = N
        g = k = ca1 = cb1 = ca2 = cb2 = 0
        i = 0
        for j, (a1, b1, a2, b2), c, (z1, z2) in zip(vals, self.commitments, self.challenges,
                                                    self.responses, strict=True):
            u1, v1, u2, v2 = weights[i], weights[i + 1], weights[i + 2], weights[i + 3]
            i += 4
            g += u1 * z1 + v1 * c * j + u2 * z2 + v2 * c * j * j
            k += v1 * z1 + v2 * z2
            ca1 += u1 * c
            cb1 += v1 * c
            ca2 += u2 * c
            cb2 += v2 * c
            scalars += (n - u1, n - v1, n - u2, n - v2)
            points += (a1, b1, a2, b2)
        return g, k, -ca1, -cb1, -ca2, -cb2

    def relations(self, key: ElectionKey, ct_v: Ciphertext, ct_sq: Ciphertext, *, low: int, high: int,
                  fingerprint: bytes, position: Position) -> list[Relation]:
        vals = self._checked(key, ct_v, ct_sq, low, high, fingerprint, position)
        g, k = G, key.point
        rels = []
        for j, (a1, b1, a2, b2), c, (z1, z2) in zip(vals, self.commitments, self.challenges,
                                                    self.responses, strict=True):
            rels.append(Relation(((z1, g), (-c, ct_v.alpha), (-1, a1))))
            rels.append(Relation(((z1, k), (c * j, g), (-c, ct_v.beta), (-1, b1))))
            rels.append(Relation(((z2, g), (-c, ct_sq.alpha), (-1, a2))))
            rels.append(Relation(((z2, k), (c * j * j, g), (-c, ct_sq.beta), (-1, b2))))
        return rels

    def verify(self, key: ElectionKey, ct_v: Ciphertext, ct_sq: Ciphertext, *, low: int, high: int,
               fingerprint: bytes, position: Position) -> None:
        rels = self.relations(key, ct_v, ct_sq, low=low, high=high, fingerprint=fingerprint, position=position)
        if not relations_hold(rels):
            raise InvalidProof(f"{self.PURPOSE}: verification equations do not hold")

    def to_json(self, *, uncompressed: bool = False) -> dict[str, Any]:
        c = not uncompressed
        return {
            "commitments": [[p.hex(compressed=c) for p in quad] for quad in self.commitments],
            "challenges": [scalar_to_json(c) for c in self.challenges],
            "responses": [[scalar_to_json(z1), scalar_to_json(z2)] for z1, z2 in self.responses],
        }

    @classmethod
    def from_json(cls, data: object) -> QuadraticPairProof:
        what = "quadratic pair proof"
        obj = expect_object(data, {"commitments", "challenges", "responses"}, what)
        comms = expect_list(obj["commitments"], f"{what} commitments")
        if not 1 <= len(comms) <= MAX_BRANCHES:
            raise InvalidEncoding(f"{what} must have 1..{MAX_BRANCHES} branches, got {len(comms)}")
        commitments = []
        for quad in comms:
            a1, b1, a2, b2 = (point_from_json(x) for x in expect_list(quad, f"{what} commitment", 4))
            commitments.append((a1, b1, a2, b2))
        chals = tuple(scalar_from_json(c) for c in expect_list(obj["challenges"], f"{what} challenges", len(comms)))
        resps = []
        for pair in expect_list(obj["responses"], f"{what} responses", len(comms)):
            z1, z2 = (scalar_from_json(z) for z in expect_list(pair, f"{what} response pair", 2))
            resps.append((z1, z2))
        return cls(tuple(commitments), chals, tuple(resps))

    def _items(self) -> list[Encodable]:
        """Canonical encoding items: ``[[a1, b1, a2, b2, c, z1, z2], ...]``."""
        return [[*quad, c, z1, z2] for quad, c, (z1, z2) in
                zip(self.commitments, self.challenges, self.responses, strict=True)]
