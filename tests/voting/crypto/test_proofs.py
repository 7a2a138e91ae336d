"""Disjunctive Chaum–Pedersen, range and quadratic pair proofs: honest proofs verify, every
tampering, replay and forgery attempt is rejected, and untrusted JSON is validated."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voting.crypto.batch import BatchVerifier
from voting.crypto.elgamal import Ciphertext, ElectionKey, encrypt
from voting.crypto.errors import CryptoError, InvalidEncoding, InvalidProof
from voting.crypto.group import G, N, P, base_mult, random_scalar
from voting.crypto.hashing import challenge
from voting.crypto.proofs import (
    MAX_BRANCHES,
    DisjunctiveProof,
    QuadraticPairProof,
    RangeProof,
)

SECRET = 0x5EC2E7
KEY = ElectionKey(base_mult(SECRET))
OTHER_KEY = ElectionKey(base_mult(SECRET + 1))
FP = bytes(range(32))
OTHER_FP = bytes(range(1, 33))
POS = ["ballot-1", 0, 2]
FAST = settings(max_examples=10, deadline=None)


def zero_one(m: int) -> tuple[Ciphertext, DisjunctiveProof]:
    ct, r = encrypt(KEY, m)
    return ct, DisjunctiveProof.prove(KEY, ct, r, m, values=(0, 1), fingerprint=FP, position=POS)


def check_zero_one(proof: DisjunctiveProof, ct: Ciphertext, *, key: ElectionKey = KEY,
                   fingerprint: bytes = FP, position: list[Any] | None = None) -> None:
    proof.verify(key, ct, values=(0, 1), fingerprint=fingerprint, position=position or POS)


# --- honest proofs ---------------------------------------------------------------------------------
@pytest.mark.parametrize("m", [0, 1])
def test_honest_zero_one_proof_verifies_and_round_trips(m: int) -> None:
    ct, proof = zero_one(m)
    check_zero_one(proof, ct)
    assert DisjunctiveProof.from_json(proof.to_json()) == proof
    assert len(proof.commitments) == 2


@FAST
@given(st.lists(st.integers(-50, 50), min_size=1, max_size=6, unique=True), st.data())
def test_honest_set_membership_proof_verifies(values: list[int], data: st.DataObject) -> None:
    m = data.draw(st.sampled_from(values))
    ct, r = encrypt(KEY, m)
    proof = DisjunctiveProof.prove(KEY, ct, r, m, values=values, fingerprint=FP, position=POS)
    proof.verify(KEY, ct, values=values, fingerprint=FP, position=POS)


@FAST
@given(st.integers(-5, 5), st.integers(0, 8), st.data())
def test_honest_range_proof_verifies(low: int, width: int, data: st.DataObject) -> None:
    high = low + width
    m = data.draw(st.integers(low, high))
    ct, r = encrypt(KEY, m)
    proof = RangeProof.prove(KEY, ct, r, m, low=low, high=high, fingerprint=FP, position=POS)
    proof.verify(KEY, ct, low=low, high=high, fingerprint=FP, position=POS)
    assert RangeProof.from_json(proof.to_json()) == proof


def pair(v: int, low: int = -3, high: int = 3, sq: int | None = None) -> tuple[Ciphertext, Ciphertext,
                                                                               QuadraticPairProof]:
    ct_v, r_v = encrypt(KEY, v)
    ct_sq, r_sq = encrypt(KEY, v * v if sq is None else sq)
    proof = QuadraticPairProof.prove(KEY, ct_v, ct_sq, v=v, r_v=r_v, r_sq=r_sq, low=low, high=high,
                                     fingerprint=FP, position=POS)
    return ct_v, ct_sq, proof


@FAST
@given(st.integers(-3, 3))
def test_honest_quadratic_pair_proof_verifies(v: int) -> None:
    ct_v, ct_sq, proof = pair(v)
    proof.verify(KEY, ct_v, ct_sq, low=-3, high=3, fingerprint=FP, position=POS)
    assert QuadraticPairProof.from_json(proof.to_json()) == proof


def test_the_proven_statement_is_exactly_what_the_challenge_hashes() -> None:
    ct, proof = zero_one(1)
    expected = challenge("proof/disjunctive-cp", FP, POS, [KEY.point, ct.alpha, ct.beta, [0, 1]],
                         [list(ab) for ab in proof.commitments])
    assert sum(proof.challenges) % N == expected
    ct_r, r_r = encrypt(KEY, 2)
    ranged = RangeProof.prove(KEY, ct_r, r_r, 2, low=1, high=3, fingerprint=FP, position=POS)
    expected = challenge("proof/range-cp", FP, POS, [KEY.point, ct_r.alpha, ct_r.beta, 1, 3],
                         [list(ab) for ab in ranged.commitments])
    assert sum(ranged.challenges) % N == expected
    ct_v, ct_sq, paired = pair(-1)
    expected = challenge("proof/quadratic-pair", FP, POS,
                         [KEY.point, ct_v.alpha, ct_v.beta, ct_sq.alpha, ct_sq.beta, -3, 3],
                         [list(quad) for quad in paired.commitments])
    assert sum(paired.challenges) % N == expected


# --- tampering --------------------------------------------------------------------------------------
def _tampered_zero_one(proof: DisjunctiveProof, what: str) -> DisjunctiveProof:
    comms = list(proof.commitments)
    chals = list(proof.challenges)
    resps = list(proof.responses)
    if what == "commitment":
        comms[0] = (comms[0][0] + G, comms[0][1])
    elif what == "commitment-b":
        comms[1] = (comms[1][0], comms[1][1] + G)
    elif what == "challenge":
        chals[0] = (chals[0] + 1) % N
    elif what == "challenges-shifted":  # still sums to the hash: only the equations can catch it
        chals[0], chals[1] = (chals[0] + 1) % N, (chals[1] - 1) % N
    elif what == "response":
        resps[1] = (resps[1] + 1) % N
    elif what == "swapped-branches":
        comms.reverse()
        chals.reverse()
        resps.reverse()
    return DisjunctiveProof(tuple(comms), tuple(chals), tuple(resps))


@pytest.mark.parametrize("what", ["commitment", "commitment-b", "challenge", "challenges-shifted",
                                  "response", "swapped-branches"])
@pytest.mark.parametrize("m", [0, 1])
def test_any_altered_part_of_a_zero_one_proof_is_rejected(what: str, m: int) -> None:
    ct, proof = zero_one(m)
    with pytest.raises(InvalidProof):
        check_zero_one(_tampered_zero_one(proof, what), ct)


def test_altered_ciphertext_is_rejected() -> None:
    ct, proof = zero_one(1)
    other, _ = encrypt(KEY, 1)
    for bad in (other, Ciphertext(ct.alpha + G, ct.beta), Ciphertext(ct.alpha, ct.beta + G),
                Ciphertext(ct.beta, ct.alpha)):
        with pytest.raises(InvalidProof):
            check_zero_one(proof, bad)


@pytest.mark.parametrize("where", [
    {"position": ["ballot-2", 0, 2]},
    {"position": ["ballot-1", 1, 2]},
    {"position": ["ballot-1", 0, 1]},
    {"position": ["ballot-1", 0, "sum"]},
    {"fingerprint": OTHER_FP},
    {"key": OTHER_KEY},
])
def test_proof_replayed_at_another_ballot_question_option_election_or_key_is_rejected(
        where: dict[str, Any]) -> None:
    ct, proof = zero_one(0)
    with pytest.raises(InvalidProof, match="challenges do not add up"):
        check_zero_one(proof, ct, **where)


def test_range_and_set_proofs_are_not_interchangeable() -> None:
    ct, r = encrypt(KEY, 1)
    as_set = DisjunctiveProof.prove(KEY, ct, r, 1, values=(0, 1), fingerprint=FP, position=POS)
    as_range = RangeProof(as_set.commitments, as_set.challenges, as_set.responses)
    with pytest.raises(InvalidProof):
        as_range.verify(KEY, ct, low=0, high=1, fingerprint=FP, position=POS)
    with pytest.raises(InvalidProof):  # a proof for the set (1, 0) is not one for (0, 1)
        DisjunctiveProof.prove(KEY, ct, r, 1, values=(1, 0), fingerprint=FP, position=POS).verify(
            KEY, ct, values=(0, 1), fingerprint=FP, position=POS)


# --- forgery attempts for a ciphertext of 2 ---------------------------------------------------------
def test_encryption_of_two_with_both_branches_simulated_is_rejected() -> None:
    """The classic forgery: simulate every branch with chosen challenges. The equations hold, but
    the challenges cannot also add up to the hash of the statement and commitments."""
    ct, _ = encrypt(KEY, 2)
    comms, chals, resps = [], [], []
    for s in (0, 1):
        c, z = random_scalar(), random_scalar()
        comms.append((G * z - ct.alpha * c, KEY.point * z - (ct.beta - G * s) * c))
        chals.append(c)
        resps.append(z)
    forged = DisjunctiveProof(tuple(comms), tuple(chals), tuple(resps))
    with pytest.raises(InvalidProof, match="challenges do not add up"):
        check_zero_one(forged, ct)
    # Fixing the hash by adjusting one simulated challenge breaks that branch's equations.
    h = challenge("proof/disjunctive-cp", FP, POS, [KEY.point, ct.alpha, ct.beta, [0, 1]],
                  [list(ab) for ab in comms])
    fixed = DisjunctiveProof(tuple(comms), (chals[0], (h - chals[0]) % N), tuple(resps))
    with pytest.raises(InvalidProof, match="equations do not hold"):
        check_zero_one(fixed, ct)


@pytest.mark.parametrize("claimed", [0, 1])
def test_encryption_of_two_proven_with_a_false_witness_is_rejected(claimed: int) -> None:
    ct, r = encrypt(KEY, 2)
    forged = DisjunctiveProof.prove(KEY, ct, r, claimed, values=(0, 1), fingerprint=FP, position=POS)
    with pytest.raises(InvalidProof, match="equations do not hold"):
        check_zero_one(forged, ct)


def test_honest_proof_does_not_survive_homomorphic_doubling() -> None:
    ct, proof = zero_one(1)
    with pytest.raises(InvalidProof):
        check_zero_one(proof, ct + ct)


def test_proof_over_a_larger_set_is_not_a_zero_one_proof() -> None:
    ct, r = encrypt(KEY, 2)
    wide = DisjunctiveProof.prove(KEY, ct, r, 2, values=(0, 1, 2), fingerprint=FP, position=POS)
    with pytest.raises(InvalidProof, match="expected 2 branches"):
        check_zero_one(wide, ct)
    truncated = DisjunctiveProof(wide.commitments[:2], wide.challenges[:2], wide.responses[:2])
    with pytest.raises(InvalidProof):
        check_zero_one(truncated, ct)


def test_prover_refuses_a_value_outside_the_allowed_set() -> None:
    ct, r = encrypt(KEY, 2)
    with pytest.raises(InvalidProof, match="not in the allowed set"):
        DisjunctiveProof.prove(KEY, ct, r, 2, values=(0, 1), fingerprint=FP, position=POS)
    with pytest.raises(InvalidProof):
        RangeProof.prove(KEY, ct, r, 2, low=3, high=5, fingerprint=FP, position=POS)
    with pytest.raises(InvalidProof):
        pair(4)
    with pytest.raises(InvalidProof, match="more than"):
        RangeProof.prove(KEY, ct, r, 2, low=0, high=MAX_BRANCHES, fingerprint=FP, position=POS)


# --- quadratic pair forgeries -----------------------------------------------------------------------
@pytest.mark.parametrize(("v", "sq"), [(3, 0), (3, 4), (-2, 2), (0, 1), (1, -1)])
def test_pair_with_a_wrong_square_is_rejected(v: int, sq: int) -> None:
    ct_v, ct_sq, proof = pair(v, sq=sq)
    with pytest.raises(InvalidProof):
        proof.verify(KEY, ct_v, ct_sq, low=-3, high=3, fingerprint=FP, position=POS)


def test_pair_value_beyond_k_cannot_be_passed_off() -> None:
    ct_v, r_v = encrypt(KEY, 4)
    ct_sq, r_sq = encrypt(KEY, 16)
    forged = QuadraticPairProof.prove(KEY, ct_v, ct_sq, v=3, r_v=r_v, r_sq=r_sq, low=-3, high=3,
                                      fingerprint=FP, position=POS)
    with pytest.raises(InvalidProof):
        forged.verify(KEY, ct_v, ct_sq, low=-3, high=3, fingerprint=FP, position=POS)


def test_pair_proof_is_bound_to_range_position_and_both_ciphertexts() -> None:
    ct_v, ct_sq, proof = pair(-1)
    good = {"fingerprint": FP, "position": POS}
    with pytest.raises(InvalidProof):  # a [-3..3] proof is not a [0..3] proof
        proof.verify(KEY, ct_v, ct_sq, low=0, high=3, **good)
    with pytest.raises(InvalidProof):
        proof.verify(KEY, ct_sq, ct_v, low=-3, high=3, **good)
    with pytest.raises(InvalidProof):
        proof.verify(KEY, ct_v, ct_sq, low=-3, high=3, fingerprint=FP, position=["ballot-1", 0, 3])
    bumped = replace(proof, responses=((proof.responses[0][0], (proof.responses[0][1] + 1) % N),
                                       *proof.responses[1:]))
    with pytest.raises(InvalidProof, match="equations"):
        bumped.verify(KEY, ct_v, ct_sq, low=-3, high=3, **good)


# --- batch verification -----------------------------------------------------------------------------
def test_batch_verification_agrees_with_single_verification_and_names_the_bad_proofs() -> None:
    batch = BatchVerifier()
    bad_labels = set()
    for i in range(12):
        m = i % 2
        ct, proof = zero_one(m)
        if i in (3, 8):  # passes the hash check, fails the equations
            proof = _tampered_zero_one(proof, "response")
            bad_labels.add(f"proof {i}")
            with pytest.raises(InvalidProof):
                check_zero_one(proof, ct)
        else:
            check_zero_one(proof, ct)
        batch.add(f"proof {i}", proof.relations(KEY, ct, values=(0, 1), fingerprint=FP, position=POS))
    assert set(batch.find_bad()) == bad_labels
    with pytest.raises(InvalidProof, match="2 proof"):
        batch.verify()


# --- untrusted JSON ---------------------------------------------------------------------------------
def _non_residue_x() -> int:
    x = 0
    while pow((x**3 + 7) % P, (P - 1) // 2, P) == 1:
        x += 1
    return x


OFF_CURVE = "02" + f"{_non_residue_x():064x}"
TOO_BIG_X = "02" + f"{P:064x}"
BAD_POINTS = [OFF_CURVE, TOO_BIG_X, "00" * 33, "00", "04" + "11" * 64, "02" + "ab" * 31, "02" + "ab" * 33,
              "zz" * 33, 5, None, "02" + "AB" * 32, " 02" + "ab" * 32]
BAD_SCALARS = [f"{N:064x}", "ff" * 32, "00" * 31, "00" * 33, "0x" + "00" * 31, "AB" * 32, 7, None, -1, True]


def _json(kind: str) -> dict[str, Any]:
    if kind == "pair":
        return pair(1)[2].to_json()
    return zero_one(1)[1].to_json()


@pytest.mark.parametrize("bad", BAD_POINTS)
@pytest.mark.parametrize("kind", ["disjunctive", "pair"])
def test_from_json_rejects_bad_commitment_points(kind: str, bad: object) -> None:
    data = _json(kind)
    data["commitments"][0][1] = bad
    decoder = QuadraticPairProof if kind == "pair" else DisjunctiveProof
    with pytest.raises(CryptoError):
        decoder.from_json(data)


@pytest.mark.parametrize("bad", BAD_SCALARS)
def test_from_json_rejects_bad_scalars(bad: object) -> None:
    for field, index in (("challenges", (0,)), ("responses", (1,))):
        data = _json("disjunctive")
        data[field][index[0]] = bad
        with pytest.raises(CryptoError):
            DisjunctiveProof.from_json(data)
    data = _json("pair")
    data["responses"][0][1] = bad
    with pytest.raises(CryptoError):
        QuadraticPairProof.from_json(data)


def _structural_damage() -> list[tuple[str, Any]]:
    return [
        ("missing key", lambda d: d.pop("responses")),
        ("extra key", lambda d: d.update(extra=1)),
        ("not a list", lambda d: d.update(challenges="00")),
        ("short challenges", lambda d: d["challenges"].pop()),
        ("long responses", lambda d: d["responses"].append(d["responses"][0])),
        ("no branches", lambda d: d.update(commitments=[], challenges=[], responses=[])),
        ("commitment triple", lambda d: d["commitments"][0].append(d["commitments"][0][0])),
        ("commitment as dict", lambda d: d["commitments"].__setitem__(0, {"a": 1})),
    ]


@pytest.mark.parametrize(("name", "damage"), _structural_damage())
@pytest.mark.parametrize("kind", ["disjunctive", "pair"])
def test_from_json_rejects_wrong_structure(kind: str, name: str, damage: Any) -> None:
    data = copy.deepcopy(_json(kind))
    damage(data)
    decoder = QuadraticPairProof if kind == "pair" else DisjunctiveProof
    with pytest.raises(InvalidEncoding):
        decoder.from_json(data)


@pytest.mark.parametrize("bad", [None, [], "proof", 3])
def test_from_json_rejects_non_objects(bad: object) -> None:
    for decoder in (DisjunctiveProof, RangeProof, QuadraticPairProof):
        with pytest.raises(InvalidEncoding):
            decoder.from_json(bad)
