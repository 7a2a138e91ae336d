"""Batch verification of proofs in commitment form by random linear combination.

Every proof's verifier first does its per-proof checks (decoding, challenge hash) and then reduces
to *linear relations* between points: ``Σ coeff_i · P_i == IDENTITY`` (for a Chaum–Pedersen branch:
``z·G − c·A − a == 0``). A :class:`BatchVerifier` collects the relations of many proofs, multiplies
each relation by a fresh random nonzero 128-bit weight from :mod:`secrets`, merges the
coefficients of equal points (G, the election key K and shared ciphertexts collapse into one term
each) and checks the whole sum with one multi-scalar multiplication. A false relation survives only
with probability about 2^-128. When the sum is not the identity, :meth:`BatchVerifier.find_bad`
bisects over the proofs to name the bad ones.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .errors import InvalidProof
from .group import IDENTITY, FixedBase, N, Point, multi_scalar_mult

WEIGHT_BITS = 128


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
    """True iff all relations hold (up to 2^-128 error), checked with one MSM."""
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
