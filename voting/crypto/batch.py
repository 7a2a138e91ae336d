"""Batch verification of proofs in commitment form by random linear combination.

Every proof's verifier first does its per-proof checks (decoding, challenge hash) and then reduces
to *linear relations* between points: ``Σ coeff_i · P_i == IDENTITY`` (for a Chaum–Pedersen branch:
``z·G − c·A − a == 0``). A :class:`BatchVerifier` collects the relations of many proofs, multiplies
each relation by a fresh random nonzero 64-bit weight from :mod:`secrets`, merges the
coefficients of equal points (G, the election key K and shared ciphertexts collapse into one term
each) and checks the whole sum with one multi-scalar multiplication. A false relation survives only
with probability about 2^-64: the weights are drawn after the relations are fixed, so with every
other weight fixed, at most one value of a false relation's weight mod n (a prime) cancels it
(Bellare, Garay and Rabin's small-exponent test). 64 bits, as BLS batch verification in Ethereum
clients (blst) uses, halve the cost of the commitment points against 128 (their scalars are the
bare weights; with 128 they were most of a ballot's multi-scalar multiplication). When the sum is
not the identity, :meth:`BatchVerifier.find_bad` bisects over the proofs to name the bad ones.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .errors import InvalidProof
from .group import IDENTITY, FixedBase, N, Point, multi_scalar_mult

WEIGHT_BITS = 64


@dataclass(frozen=True, slots=True)
class Relation:
    """``Σ coeff·point == IDENTITY`` — one linear relation a proof asserts."""

    terms: tuple[tuple[int, Point], ...]

    def holds(self) -> bool:
        scalars = [c % N for c, _ in self.terms]
        return multi_scalar_mult(scalars, [p for _, p in self.terms]).is_identity


def _weight() -> int:
    while True:
        w = secrets.randbits(WEIGHT_BITS)
        if w:
            return w


def random_weights(count: int) -> list[int]:
    """``count`` independent uniformly random nonzero ``WEIGHT_BITS``-bit weights from the OS CSPRNG
    (one read for all of them instead of one per weight; the same distribution as :func:`_weight`)."""
    size = WEIGHT_BITS // 8
    raw = secrets.token_bytes(size * count)
    out = [int.from_bytes(raw[i:i + size], "big") for i in range(0, size * count, size)]
    return [w or _weight() for w in out]


def combine(relations: Iterable[Relation]) -> tuple[list[int], list[Point]]:
    """Weighted sum of relations with equal points merged: returns (scalars, points) for an MSM."""
    coeffs: dict[Point, int] = {}
    for rel in relations:
        w = _weight()
        for c, pt in rel.terms:
            if pt.is_identity:
                continue
            coeffs[pt] = (coeffs.get(pt, 0) + w * c) % N
    points = [p for p, c in coeffs.items() if c]
    return [coeffs[p] for p in points], points


def relations_hold(relations: Sequence[Relation]) -> bool:
    """True iff all relations hold (up to 2^-64 error), checked with one MSM."""
    if not relations:
        return True
    scalars, points = combine(relations)
    return multi_scalar_mult(scalars, points) == IDENTITY


@dataclass
class BatchVerifier:
    """Collects labelled proofs' relations; :meth:`verify` checks them all at once."""

    fixed_bases: Sequence[FixedBase] = ()
    _items: list[tuple[str, tuple[Relation, ...]]] = field(default_factory=list)

    def add(self, label: str, relations: Iterable[Relation]) -> None:
        self._items.append((label, tuple(relations)))

    def __len__(self) -> int:
        return len(self._items)

    def _holds(self, items: Sequence[tuple[str, tuple[Relation, ...]]]) -> bool:
        return relations_hold([r for _, rels in items for r in rels])

    def find_bad(self) -> list[str]:
        """Labels of every proof whose relations fail (bisection; [] when all hold)."""
        bad: list[str] = []
        stack = [self._items] if self._items else []
        while stack:
            chunk = stack.pop()
            if self._holds(chunk):
                continue
            if len(chunk) == 1:
                bad.append(chunk[0][0])
                continue
            mid = len(chunk) // 2
            stack.append(chunk[mid:])
            stack.append(chunk[:mid])
        return bad

    def verify(self) -> None:
        """Raise :class:`InvalidProof` naming the bad proofs unless every relation holds."""
        if self._holds(self._items):
            return
        bad = self.find_bad()
        shown = ", ".join(bad[:10]) + (f" and {len(bad) - 10} more" if len(bad) > 10 else "")
        raise InvalidProof(f"{len(bad)} proof(s) do not verify: {shown}")


@dataclass(slots=True)
class WeightedTerms:
    """One item's relations, already multiplied by their random weights and merged: ``Σ`` over the
    item's relations of ``w·relation`` equals ``Σ base_coeffs[i]·bases[i] + Σ scalars[j]·points[j]``,
    where ``bases`` are the few points every item shares (G, the election key) and are merged
    across items before the multi-scalar multiplication.

    Built without intermediate :class:`Relation` objects by the proofs' ``weighted_terms`` methods
    (see :func:`voting.crypto.ballot.ballot_weighted_terms`); the weights are fixed once drawn.
    """

    base_coeffs: tuple[int, ...]
    scalars: list[int]
    points: list[Point]


def weighted_terms_hold(bases: Sequence[Point], items: Sequence[WeightedTerms]) -> bool:
    """True iff the weighted sum of all items is the identity: one MSM over the items' terms plus
    one merged term per shared base (a false relation survives with probability at most 2^-64)."""
    scalars: list[int] = []
    points: list[Point] = []
    merged = [0] * len(bases)
    for item in items:
        scalars += item.scalars
        points += item.points
        for i, c in enumerate(item.base_coeffs):
            merged[i] += c
    for base, c in zip(bases, merged, strict=True):
        scalars.append(c % N)
        points.append(base)
    return multi_scalar_mult(scalars, points).is_identity


def find_bad_weighted(bases: Sequence[Point], items: Sequence[tuple[str, WeightedTerms]], *,
                      known_bad: bool = False) -> list[str]:
    """Labels of the items whose terms do not sum to the identity, by bisection (``[]`` if all hold).

    The weights drawn when the terms were built are reused for every subset: they were drawn after
    the relations were fixed, so a subset containing a false relation still sums to the identity
    with probability at most 2^-64 each time (union bound over the ~2·log2(n) subsets
    checked per bad item). ``known_bad``: the caller has just seen the whole set fail.
    """
    bad: list[str] = []
    stack: list[tuple[Sequence[tuple[str, WeightedTerms]], bool]] = [(items, known_bad)] if items else []
    while stack:
        chunk, failed = stack.pop()
        if not failed and weighted_terms_hold(bases, [t for _, t in chunk]):
            continue
        if len(chunk) == 1:
            bad.append(chunk[0][0])
            continue
        mid = len(chunk) // 2
        left, right = chunk[:mid], chunk[mid:]
        if weighted_terms_hold(bases, [t for _, t in left]):
            stack.append((right, True))  # the whole failed and its left half holds
        else:
            stack.append((right, False))
            stack.append((left, True))
    return bad
