"""The benchmark baseline: a naive implementation of the same ballot proofs on py-ecc's reference
secp256k1 arithmetic — one ``py_ecc`` multiply (jacobian_multiply) per exponentiation, affine
conversions after every operation, proofs checked one by one. Same statements and the same
Fiat–Shamir hashing as ``voting.crypto`` so that the ratios compare arithmetic and verification
strategy, not hashing.

Not used by the site; only by ``bench/crypto_bench.py``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from py_ecc.secp256k1 import secp256k1 as ref

from voting.crypto.group import N, Point
from voting.crypto.hashing import challenge

Pt = tuple[int, int]


def _mul(p: Pt, k: int) -> Pt:
    return ref.multiply(p, k % N)


def _add(p: Pt, q: Pt) -> Pt:
    return ref.add(p, q)


def _neg(p: Pt) -> Pt:
    return (p[0], (ref.P - p[1]) % ref.P)


def _pt(p: Pt) -> Point:
    return Point(p[0], p[1])


@dataclass
class NaiveDisjunctiveProof:
    commitments: list[tuple[Pt, Pt]]
    challenges: list[int]
    responses: list[int]


def _statement(key: Pt, ct: tuple[Pt, Pt], allowed: list[int]) -> list:
    return [_pt(key), _pt(ct[0]), _pt(ct[1]), list(allowed)]


def prove_in_set(key: Pt, ct: tuple[Pt, Pt], m: int, r: int, allowed: list[int], fp: bytes,
                 position: tuple) -> NaiveDisjunctiveProof:
    a_ct, b_ct = ct
    commitments: list[tuple[Pt, Pt]] = []
    chals: list[int] = []
    resps: list[int] = []
    w = secrets.randbelow(N)
    real = allowed.index(m)
    for idx, j in enumerate(allowed):
        if idx == real:
            commitments.append((_mul(ref.G, w), _mul(key, w)))
            chals.append(0)
            resps.append(0)
            continue
        c, z = secrets.randbelow(N), secrets.randbelow(N)
        b_minus = _add(b_ct, _neg(_mul(ref.G, j))) if j else b_ct
        commitments.append((_add(_mul(ref.G, z), _neg(_mul(a_ct, c))),
                            _add(_mul(key, z), _neg(_mul(b_minus, c)))))
        chals.append(c)
        resps.append(z)
    flat = [_pt(p) for pair in commitments for p in pair]
    c_total = challenge("proof/disjunctive", fp, position, _statement(key, ct, allowed), flat)
    chals[real] = (c_total - sum(chals)) % N
    resps[real] = (w + chals[real] * r) % N
    return NaiveDisjunctiveProof(commitments, chals, resps)


def verify_in_set(key: Pt, ct: tuple[Pt, Pt], proof: NaiveDisjunctiveProof, allowed: list[int], fp: bytes,
                  position: tuple) -> bool:
    a_ct, b_ct = ct
    flat = [_pt(p) for pair in proof.commitments for p in pair]
    c_total = challenge("proof/disjunctive", fp, position, _statement(key, ct, allowed), flat)
    if sum(proof.challenges) % N != c_total:
        return False
    for j, (a, b), c, z in zip(allowed, proof.commitments, proof.challenges, proof.responses, strict=True):
        b_minus = _add(b_ct, _neg(_mul(ref.G, j))) if j else b_ct
        if _mul(ref.G, z) != _add(a, _mul(a_ct, c)):
            return False
        if _mul(key, z) != _add(b, _mul(b_minus, c)):
            return False
    return True


def encrypt(key: Pt, m: int) -> tuple[tuple[Pt, Pt], int]:
    r = secrets.randbelow(N - 1) + 1
    beta = _add(_mul(ref.G, m), _mul(key, r)) if m else _mul(key, r)
    return (_mul(ref.G, r), beta), r


@dataclass
class NaiveBallot:
    ciphertexts: list[tuple[Pt, Pt]]
    option_proofs: list[NaiveDisjunctiveProof]
    sum_proof: NaiveDisjunctiveProof


def encrypt_ballot(key: Pt, choices: list[int], lo: int, hi: int, fp: bytes, ref_: str) -> NaiveBallot:
    cts, proofs, r_sum = [], [], 0
    for i, m in enumerate(choices):
        ct, r = encrypt(key, m)
        cts.append(ct)
        proofs.append(prove_in_set(key, ct, m, r, [0, 1], fp, (ref_, 0, i)))
        r_sum += r
    total = cts[0]
    for ct in cts[1:]:
        total = (_add(total[0], ct[0]), _add(total[1], ct[1]))
    sum_proof = prove_in_set(key, total, sum(choices), r_sum % N, list(range(lo, hi + 1)), fp, (ref_, 0, "sum"))
    return NaiveBallot(cts, proofs, sum_proof)


def verify_ballot(key: Pt, ballot: NaiveBallot, lo: int, hi: int, fp: bytes, ref_: str) -> bool:
    for i, (ct, proof) in enumerate(zip(ballot.ciphertexts, ballot.option_proofs, strict=True)):
        if not verify_in_set(key, ct, proof, [0, 1], fp, (ref_, 0, i)):
            return False
    total = ballot.ciphertexts[0]
    for ct in ballot.ciphertexts[1:]:
        total = (_add(total[0], ct[0]), _add(total[1], ct[1]))
    return verify_in_set(key, total, ballot.sum_proof, list(range(lo, hi + 1)), fp, (ref_, 0, "sum"))
