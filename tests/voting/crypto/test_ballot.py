"""Encrypted ballots: encoding, validation, verification (single and batch), cast-or-audit, tally,
JSON, tracking codes and the published test vectors.

``python -m tests.voting.crypto.test_ballot`` prints the test vectors of docs/crypto-ballots.md.
"""

from __future__ import annotations

import copy
import itertools
import json
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voting.crypto.ballot import (
    ChoiceAnswer,
    ChoiceQuestion,
    EncryptedBallot,
    QuadraticAnswer,
    QuadraticQuestion,
    audit_reveal,
    ballot_relations,
    check_audited_ballot,
    encrypt_ballot,
    question_from_json,
    verify_ballot,
)
from voting.crypto.batch import BatchVerifier
from voting.crypto.elgamal import ElectionKey, decrypt_with_secret, discrete_log, encrypt, sum_ciphertexts
from voting.crypto.errors import BudgetExceeded, CryptoError, InvalidBallot, InvalidEncoding
from voting.crypto.group import N, base_mult
from voting.crypto.hashing import GROUP_NAME, PROTOCOL_VERSION, dst, encode, hash_to_scalar, sha256
from voting.crypto.proofs import DisjunctiveProof, QuadraticPairProof, RangeProof


# --- deterministic inputs (also used for the published vectors) --------------------------------------
def seeded_rng(seed: str) -> Callable[[], int]:
    """Scalar i of the stream is hash_to_scalar(dst("test-vector-rng"), seed, i), zero skipped."""
    counter = itertools.count()

    def rng() -> int:
        while True:
            k = hash_to_scalar(dst("test-vector-rng"), seed, next(counter))
            if k:
                return k
    return rng


SECRET = hash_to_scalar(dst("test-vector-key"), "dataguild test vectors")
KEY = ElectionKey(base_mult(SECRET))
FP = sha256(b"dataguild test election")
OTHER_FP = sha256(b"another election")
YNA = ChoiceQuestion.yes_no_abstain()
PICK = ChoiceQuestion(("a", "b", "c", "d", "e"), 1, 3)
QV = QuadraticQuestion(("p", "q", "r"), 9, allow_negative=True)
QV_POS = QuadraticQuestion(("p", "q"), 4)
FAST = settings(max_examples=8, deadline=None)


def decrypt(ct: Any, bound: int, lower: int = 0) -> int:
    return discrete_log(decrypt_with_secret(SECRET, ct), bound, lower=lower)


# --- honest ballots ---------------------------------------------------------------------------------
def test_yes_no_abstain_ballot_verifies_and_round_trips() -> None:
    ballot, secrets = encrypt_ballot(YNA, [0, 0, 1], KEY, FP, "ref-1")
    verify_ballot(ballot, YNA, KEY, FP)
    data = json.loads(json.dumps(ballot.to_json()))
    again = EncryptedBallot.from_json(data)
    assert again == ballot
    assert again.tracking_code() == ballot.tracking_code()
    assert len(ballot.tracking_code()) == 64
    assert secrets.answers[0].values == (0, 0, 1)
    assert str(secrets.answers[0].randomness[0]) not in repr(secrets)


@FAST
@given(st.integers(1, 5), st.data())
def test_random_choice_ballots_verify(n: int, data: st.DataObject) -> None:
    lo = data.draw(st.integers(0, n))
    hi = data.draw(st.integers(lo, n))
    count = data.draw(st.integers(lo, hi))
    chosen = set(data.draw(st.permutations(range(n)))[:count])
    spec = ChoiceQuestion(tuple(f"o{i}" for i in range(n)), lo, hi)
    ballot, _ = encrypt_ballot(spec, [int(i in chosen) for i in range(n)], KEY, FP, "r")
    verify_ballot(ballot, spec, KEY, FP)


@FAST
@given(st.lists(st.integers(-3, 3), min_size=3, max_size=3).filter(lambda vs: sum(v * v for v in vs) <= 9))
def test_random_quadratic_ballots_verify(votes: list[int]) -> None:
    ballot, _ = encrypt_ballot(QV, votes, KEY, FP, "q")
    verify_ballot(ballot, QV, KEY, FP)
    assert EncryptedBallot.from_json(ballot.to_json()) == ballot


def test_multi_question_ballot_verifies_and_positions_are_per_question() -> None:
    ballot, _ = encrypt_ballot([YNA, QV_POS], [[1, 0, 0], [2, 0]], KEY, FP, "multi")
    verify_ballot(ballot, [YNA, QV_POS], KEY, FP)
    with pytest.raises(InvalidBallot, match="answer is quadratic"):
        verify_ballot(replace(ballot, answers=ballot.answers[::-1]), [YNA, QV_POS], KEY, FP)


@FAST
@given(st.lists(st.tuples(st.integers(0, 2), st.lists(st.integers(-3, 3), min_size=3, max_size=3)
                          .filter(lambda vs: sum(v * v for v in vs) <= 9)), min_size=1, max_size=5))
def test_decrypted_tallies_equal_the_sums_of_the_votes(electorate: list[tuple[int, list[int]]]) -> None:
    ballots = []
    for i, (pick, votes) in enumerate(electorate):
        ballot, _ = encrypt_ballot([YNA, QV], [[int(j == pick) for j in range(3)], votes], KEY, FP, f"v{i}")
        ballots.append(ballot)
    for q, spec in enumerate((YNA, QV)):
        for opt in range(len(spec.options)):
            total = sum_ciphertexts([b.answers[q].tally_ciphertexts()[opt] for b in ballots])
            bound = 3 * len(ballots)
            got = decrypt(total, bound, lower=-bound)
            if q == 0:
                assert got == sum(int(pick == opt) for pick, _ in electorate)
            else:
                assert got == sum(votes[opt] for _, votes in electorate)


# --- validation at encryption time ------------------------------------------------------------------
@pytest.mark.parametrize(("spec", "choices", "error", "match"), [
    (YNA, [1, 1, 0], InvalidBallot, "2 options selected"),
    (YNA, [0, 0, 0], InvalidBallot, "0 options selected"),
    (YNA, [1, 0], InvalidBallot, "expected 3"),
    (YNA, [2, 0, 0], InvalidBallot, "0 or 1"),
    (YNA, [True, 0, 0], InvalidBallot, "0 or 1"),
    (YNA, [1.0, 0, 0], InvalidBallot, "0 or 1"),
    (PICK, [1, 1, 1, 1, 0], InvalidBallot, "allowed 1..3"),
    (QV, [2, 2, 2], BudgetExceeded, "spends 12"),
    (QV, [4, 0, 0], BudgetExceeded, "at most 3"),
    (QV, [0, -4, 0], BudgetExceeded, "at most 3"),
    (QV, [1, 1], InvalidBallot, "expected 3"),
    (QV, [1, "1", 0], InvalidBallot, "integer"),
    (QV_POS, [-1, 0], InvalidBallot, "negative"),
])
def test_invalid_choices_are_refused_before_encryption(spec: Any, choices: list[Any], error: type,
                                                       match: str) -> None:
    with pytest.raises(error, match=match):
        encrypt_ballot(spec, choices, KEY, FP, "x")


def test_budget_exceeded_is_not_a_generic_ballot_error_and_bad_context_is_refused() -> None:
    assert not issubclass(BudgetExceeded, InvalidBallot)
    with pytest.raises(InvalidBallot, match="fingerprint"):
        encrypt_ballot(YNA, [1, 0, 0], KEY, b"short", "x")
    with pytest.raises(InvalidBallot, match="ballot_ref"):
        encrypt_ballot(YNA, [1, 0, 0], KEY, FP, "has space")
    with pytest.raises(InvalidBallot, match=r"2 question\(s\)"):
        encrypt_ballot([YNA, QV], [[1, 0, 0]], KEY, FP, "x")


@pytest.mark.parametrize("make", [
    lambda: ChoiceQuestion(("a", "a")),
    lambda: ChoiceQuestion(()),
    lambda: ChoiceQuestion(("a", "b"), 2, 1),
    lambda: ChoiceQuestion(("a", "b"), 0, 3),
    lambda: QuadraticQuestion(("a",), 0),
    lambda: QuadraticQuestion(("a",), 5000),
    lambda: QuadraticQuestion(("a",), 4, allow_negative=1),
])
def test_invalid_question_specs_are_refused(make: Callable[[], Any]) -> None:
    with pytest.raises(InvalidBallot):
        make()


def test_question_specs_normalize_options_to_tuples() -> None:
    spec = ChoiceQuestion(["x", "y"], 0, 1)  # type: ignore[arg-type]
    assert spec.options == ("x", "y")
    assert hash(spec) == hash(ChoiceQuestion(("x", "y"), 0, 1))
    with pytest.raises(InvalidBallot):
        QuadraticQuestion("ab", 4)  # type: ignore[arg-type]


def test_question_specs_round_trip_through_json() -> None:
    for spec in (YNA, PICK, QV, QV_POS):
        assert question_from_json(json.loads(json.dumps(spec.to_json()))) == spec
    with pytest.raises(InvalidEncoding):
        question_from_json({"kind": "ranked", "options": ["a"]})
    with pytest.raises(InvalidEncoding):
        question_from_json({**QV.to_json(), "extra": 1})


# --- verification failures --------------------------------------------------------------------------
def _forged_over_budget_ballot() -> EncryptedBallot:
    """Each |v| <= k with an honest pair proof, but Σ v² = 18 > 9; the budget proof lies (claims 9)."""
    votes = [3, -3, 0]
    ref, q = "over", 0
    cts, sqs, proofs, r2s = [], [], [], []
    for i, v in enumerate(votes):
        ct_v, r_v = encrypt(KEY, v)
        ct_sq, r_sq = encrypt(KEY, v * v)
        proofs.append(QuadraticPairProof.prove(KEY, ct_v, ct_sq, v=v, r_v=r_v, r_sq=r_sq, low=-3, high=3,
                                               fingerprint=FP, position=[ref, q, i]))
        cts.append(ct_v)
        sqs.append(ct_sq)
        r2s.append(r_sq)
    lie = RangeProof.prove(KEY, sum_ciphertexts(sqs), sum(r2s) % N, 9, low=0, high=9,
                           fingerprint=FP, position=[ref, q, "sum"])
    return EncryptedBallot(FP, ref, (QuadraticAnswer(tuple(cts), tuple(sqs), tuple(proofs), lie),))


def test_hand_built_over_budget_ballot_is_rejected_at_the_budget_proof() -> None:
    with pytest.raises(InvalidBallot, match="question 0 sum"):
        verify_ballot(_forged_over_budget_ballot(), QV, KEY, FP)


def test_hand_built_ballot_with_two_selections_is_rejected_at_the_sum_proof() -> None:
    ref = "two"
    cts, proofs, rs = [], [], []
    for i, x in enumerate([1, 1, 0]):
        ct, r = encrypt(KEY, x)
        proofs.append(DisjunctiveProof.prove(KEY, ct, r, x, values=(0, 1), fingerprint=FP, position=[ref, 0, i]))
        cts.append(ct)
        rs.append(r)
    lie = RangeProof.prove(KEY, sum_ciphertexts(cts), sum(rs) % N, 1, low=1, high=1, fingerprint=FP,
                           position=[ref, 0, "sum"])
    ballot = EncryptedBallot(FP, ref, (ChoiceAnswer(tuple(cts), tuple(proofs), lie),))
    with pytest.raises(InvalidBallot, match="question 0 sum"):
        verify_ballot(ballot, YNA, KEY, FP)


@pytest.mark.parametrize("claimed", [0, 1])
def test_option_encrypting_two_is_rejected_even_when_the_sum_is_in_range(claimed: int) -> None:
    """[2, 0, 0, 0, 0] sums to 2, inside PICK's 1..3, so the sum proof is honest; the 0/1 proof of
    option 0 is the best forgery available (prover run with a false witness)."""
    ref = "two-in-one"
    cts, proofs, rs = [], [], []
    for i, x in enumerate([2, 0, 0, 0, 0]):
        ct, r = encrypt(KEY, x)
        proofs.append(DisjunctiveProof.prove(KEY, ct, r, claimed if x == 2 else x, values=(0, 1),
                                             fingerprint=FP, position=[ref, 0, i]))
        cts.append(ct)
        rs.append(r)
    honest_sum = RangeProof.prove(KEY, sum_ciphertexts(cts), sum(rs) % N, 2, low=1, high=3, fingerprint=FP,
                                  position=[ref, 0, "sum"])
    ballot = EncryptedBallot(FP, ref, (ChoiceAnswer(tuple(cts), tuple(proofs), honest_sum),))
    with pytest.raises(InvalidBallot, match=r"equations do not hold at question 0 option 0$"):
        verify_ballot(ballot, PICK, KEY, FP)


def test_swapped_options_are_rejected_naming_the_option() -> None:
    ballot, _ = encrypt_ballot(YNA, [1, 0, 0], KEY, FP, "swap")
    ans = ballot.answers[0]
    assert isinstance(ans, ChoiceAnswer)
    order = (1, 0, 2)
    swapped = ChoiceAnswer(tuple(ans.ciphertexts[i] for i in order), tuple(ans.proofs[i] for i in order),
                           ans.sum_proof)
    with pytest.raises(InvalidBallot, match=r"question 0 option 0: 0/1 proof failed"):
        verify_ballot(replace(ballot, answers=(swapped,)), YNA, KEY, FP)


def test_swapped_quadratic_options_are_rejected() -> None:
    ballot, _ = encrypt_ballot(QV, [2, -1, 0], KEY, FP, "swapq")
    ans = ballot.answers[0]
    assert isinstance(ans, QuadraticAnswer)
    order = (1, 0, 2)
    swapped = QuadraticAnswer(*(tuple(seq[i] for i in order) for seq in (ans.votes, ans.squares, ans.proofs)),
                              ans.budget_proof)
    with pytest.raises(InvalidBallot, match="question 0 option 0"):
        verify_ballot(replace(ballot, answers=(swapped,)), QV, KEY, FP)


def test_ballot_replayed_under_another_reference_or_election_is_rejected() -> None:
    ballot, _ = encrypt_ballot(YNA, [0, 1, 0], KEY, FP, "orig")
    with pytest.raises(InvalidBallot, match="question 0 option 0"):
        verify_ballot(replace(ballot, ballot_ref="copy"), YNA, KEY, FP)
    with pytest.raises(InvalidBallot, match="another election"):
        verify_ballot(ballot, YNA, KEY, OTHER_FP)
    with pytest.raises(InvalidBallot, match="question 0 option 0"):
        verify_ballot(replace(ballot, election=OTHER_FP), YNA, KEY, OTHER_FP)


def test_ballot_against_the_wrong_question_spec_is_rejected() -> None:
    ballot, _ = encrypt_ballot(YNA, [0, 1, 0], KEY, FP, "spec")
    with pytest.raises(InvalidBallot, match="selections for 5 options"):
        verify_ballot(ballot, PICK, KEY, FP)
    with pytest.raises(InvalidBallot, match="answer is choice"):
        verify_ballot(ballot, QuadraticQuestion(("a", "b", "c"), 4), KEY, FP)
    with pytest.raises(InvalidBallot, match="sum"):  # same shape, other selection range
        verify_ballot(ballot, ChoiceQuestion(("y", "n", "a"), 0, 3), KEY, FP)
    with pytest.raises(InvalidBallot, match="2 questions"):
        verify_ballot(ballot, [YNA, YNA], KEY, FP)


def test_altered_ciphertext_in_a_ballot_is_rejected() -> None:
    ballot, _ = encrypt_ballot(PICK, [0, 1, 1, 0, 0], KEY, FP, "alt")
    ans = ballot.answers[0]
    assert isinstance(ans, ChoiceAnswer)
    other, _ = encrypt(KEY, 1)
    cts = (*ans.ciphertexts[:3], other, ans.ciphertexts[4])
    with pytest.raises(InvalidBallot, match="question 0 option 3"):
        verify_ballot(replace(ballot, answers=(replace(ans, ciphertexts=cts),)), PICK, KEY, FP)


# --- batch verification -----------------------------------------------------------------------------
def _bump_response(ballot: EncryptedBallot) -> EncryptedBallot:
    """Alter one response: the challenge hash still matches, only the equations fail."""
    ans = ballot.answers[0]
    assert isinstance(ans, ChoiceAnswer)
    p = ans.proofs[1]
    bad = replace(p, responses=(p.responses[0], (p.responses[1] + 1) % N))
    return replace(ballot, answers=(replace(ans, proofs=(ans.proofs[0], bad, *ans.proofs[2:])),))


def test_batch_verification_over_many_ballots_agrees_with_one_by_one() -> None:
    batch = BatchVerifier()
    expected_bad = set()
    for i in range(16):
        ballot, _ = encrypt_ballot(PICK, [int(j <= i % 3) for j in range(5)], KEY, FP, f"b{i}")
        if i in (5, 11):
            ballot = _bump_response(ballot)
            expected_bad.add(ballot.tracking_code())
            with pytest.raises(InvalidBallot, match="question 0 option 1"):
                verify_ballot(ballot, PICK, KEY, FP)
        else:
            verify_ballot(ballot, PICK, KEY, FP)
        batch.add(ballot.tracking_code(), ballot_relations(ballot, PICK, KEY, FP))
    assert set(batch.find_bad()) == expected_bad
    with pytest.raises(CryptoError):
        batch.verify()
    good = BatchVerifier()
    for i in range(3):
        ballot, _ = encrypt_ballot(QV, [i, -1, 0], KEY, FP, f"g{i}")
        good.add(ballot.ballot_ref, ballot_relations(ballot, QV, KEY, FP))
    good.verify()
    assert good.find_bad() == []


def test_ballot_relations_raise_on_hash_failures_before_any_batching() -> None:
    ballot, _ = encrypt_ballot(YNA, [1, 0, 0], KEY, FP, "h")
    with pytest.raises(InvalidBallot, match="question 0 option 0"):
        ballot_relations(replace(ballot, ballot_ref="h2"), YNA, KEY, FP)


# --- cast-or-audit ----------------------------------------------------------------------------------
def test_audited_ballot_reveals_and_checks_the_choices() -> None:
    ballot, secrets = encrypt_ballot([PICK, QV], [[1, 0, 0, 1, 0], [0, -2, 2]], KEY, FP, "aud")
    reveal = json.loads(json.dumps(audit_reveal(ballot, secrets)))
    assert check_audited_ballot(ballot, reveal, KEY) == [[1, 0, 0, 1, 0], [0, -2, 2]]


@pytest.mark.parametrize(("damage", "error"), [
    (lambda r: r["answers"][0]["values"].__setitem__(0, 0), InvalidBallot),
    (lambda r: r["answers"][1]["values"].__setitem__(1, 2), InvalidBallot),
    (lambda r: r["answers"][0]["randomness"].__setitem__(0, "00" * 31 + "01"), InvalidBallot),
    (lambda r: r["answers"][1]["square_randomness"].__setitem__(2, "00" * 31 + "01"), InvalidBallot),
    (lambda r: r.update(tracking_code="00" * 32), InvalidBallot),
    (lambda r: r.update(ballot_ref="other"), InvalidBallot),
    (lambda r: r["answers"][0]["values"].__setitem__(0, 1.0), InvalidEncoding),
    (lambda r: r["answers"][0]["randomness"].pop(), InvalidEncoding),
    (lambda r: r["answers"][1].pop("square_randomness"), InvalidEncoding),
    (lambda r: r["answers"][0].update(kind="quadratic"), InvalidBallot),
    (lambda r: r["answers"][0]["randomness"].__setitem__(0, f"{N:064x}"), CryptoError),
])
def test_audit_with_a_wrong_reveal_is_rejected(damage: Callable[[dict[str, Any]], Any], error: type) -> None:
    ballot, secrets = encrypt_ballot([PICK, QV], [[1, 0, 0, 1, 0], [0, -2, 2]], KEY, FP, "aud")
    reveal = copy.deepcopy(audit_reveal(ballot, secrets))
    damage(reveal)
    with pytest.raises(error):
        check_audited_ballot(ballot, reveal, KEY)


def test_secrets_of_one_ballot_cannot_reveal_another() -> None:
    b1, s1 = encrypt_ballot(YNA, [1, 0, 0], KEY, FP, "one")
    b2, _ = encrypt_ballot(YNA, [1, 0, 0], KEY, FP, "two")
    with pytest.raises(InvalidBallot):
        audit_reveal(b2, s1)
    with pytest.raises(InvalidBallot):
        check_audited_ballot(b2, audit_reveal(b1, s1), KEY)


# --- JSON validation --------------------------------------------------------------------------------
def _ballot_json() -> dict[str, Any]:
    ballot, _ = encrypt_ballot([YNA, QV_POS], [[1, 0, 0], [1, 1]], KEY, FP, "json")
    return ballot.to_json()


@pytest.mark.parametrize("damage", [
    lambda d: d.update(version="dataguild-ballot-v0"),
    lambda d: d.update(election="AB" * 32),
    lambda d: d.update(election="ab" * 31),
    lambda d: d.update(ballot_ref=""),
    lambda d: d.update(ballot_ref=7),
    lambda d: d.update(answers=[]),
    lambda d: d.update(extra=True),
    lambda d: d.pop("answers"),
    lambda d: d["answers"][0].update(kind="ranked"),
    lambda d: d["answers"][0]["selections"][0].update(ciphertext=["00" * 33, "00" * 33]),
    lambda d: d["answers"][0]["selections"][1]["ciphertext"].pop(),
    lambda d: d["answers"][0]["selections"][1]["proof"]["responses"].__setitem__(0, 1.5),
    lambda d: d["answers"][0]["sum_proof"]["challenges"].__setitem__(0, f"{N:064x}"),
    lambda d: d["answers"][1]["options"][0].update(square=d["answers"][1]["options"][0]["votes"][0]),
    lambda d: d["answers"][1]["options"][0]["proof"]["commitments"][0].__setitem__(0, "02" + "ff" * 32),
    lambda d: d["answers"][1]["budget_proof"].pop("challenges"),
    lambda d: d["answers"][1].update(options=[]),
])
def test_ballot_from_json_rejects_malformed_input(damage: Callable[[dict[str, Any]], Any]) -> None:
    data = _ballot_json()
    damage(data)
    with pytest.raises(CryptoError):
        EncryptedBallot.from_json(data)


def test_tracking_code_covers_every_part_of_the_ballot() -> None:
    ballot, _ = encrypt_ballot(YNA, [1, 0, 0], KEY, FP, "tc")
    ans = ballot.answers[0]
    assert isinstance(ans, ChoiceAnswer)
    p = ans.sum_proof
    variants = [
        replace(ballot, ballot_ref="tc2"),
        replace(ballot, election=OTHER_FP),
        replace(ballot, answers=(replace(ans, sum_proof=replace(p, responses=((p.responses[0] + 1) % N,))),)),
        replace(ballot, answers=(replace(ans, ciphertexts=ans.ciphertexts[::-1]),)),
    ]
    codes = {v.tracking_code() for v in variants} | {ballot.tracking_code()}
    assert len(codes) == len(variants) + 1


# --- published test vectors -------------------------------------------------------------------------
def generate_vectors() -> dict[str, Any]:
    """Deterministic vectors: fixed key, fingerprint and randomness stream (see seeded_rng)."""
    rng = seeded_rng("proof vectors")
    ct, r = encrypt(KEY, 1, rng())
    zero_one = DisjunctiveProof.prove(KEY, ct, r, 1, values=(0, 1), fingerprint=FP,
                                      position=["vector", 0, 0], rng=rng)
    ct_v, r_v = encrypt(KEY, -2, rng())
    ct_sq, r_sq = encrypt(KEY, 4, rng())
    pair = QuadraticPairProof.prove(KEY, ct_v, ct_sq, v=-2, r_v=r_v, r_sq=r_sq, low=-2, high=2,
                                    fingerprint=FP, position=["vector", 0, 1], rng=rng)
    ct_range, r_range = encrypt(KEY, 2, rng())
    rng_proof = RangeProof.prove(KEY, ct_range, r_range, 2, low=1, high=3, fingerprint=FP,
                                 position=["vector", 0, "sum"], rng=rng)
    first = seeded_rng("proof vectors")
    statement = [KEY.point, ct.alpha, ct.beta, [0, 1]]
    yna, _ = encrypt_ballot(YNA, [0, 0, 1], KEY, FP, "vector-yna", rng=seeded_rng("ballot yna"))
    quad, _ = encrypt_ballot(QV_POS, [1, 1], KEY, FP, "vector-qv", rng=seeded_rng("ballot qv"))
    return {
        "election_secret": f"{SECRET:064x}",
        "election_key": KEY.point.hex(),
        "fingerprint": FP.hex(),
        "rng_first_scalars": [f"{k:064x}" for k in itertools.islice(iter(first, None), 3)],
        "zero_one": {"value": 1, "randomness": f"{r:064x}", "position": ["vector", 0, 0],
                     "ciphertext": ct.to_json(), "proof": zero_one.to_json(),
                     "challenge_input": encode(PROTOCOL_VERSION, GROUP_NAME, FP, ["vector", 0, 0], statement,
                                               [list(ab) for ab in zero_one.commitments]).hex(),
                     "challenge": f"{sum(zero_one.challenges) % N:064x}"},
        "quadratic_pair": {"value": -2, "range": [-2, 2], "position": ["vector", 0, 1],
                           "votes": ct_v.to_json(), "square": ct_sq.to_json(), "proof": pair.to_json()},
        "range": {"value": 2, "range": [1, 3], "position": ["vector", 0, "sum"],
                  "ciphertext": ct_range.to_json(), "proof": rng_proof.to_json()},
        "ballot_yes_no_abstain": {"spec": YNA.to_json(), "choices": [0, 0, 1], "rng_seed": "ballot yna",
                                  "tracking_code": yna.tracking_code(), "ballot": yna.to_json()},
        "ballot_quadratic": {"spec": QV_POS.to_json(), "choices": [1, 1], "rng_seed": "ballot qv",
                             "tracking_code": quad.tracking_code(), "ballot": quad.to_json()},
    }


GOLDEN_TRACKING_CODES = {
    "ballot_yes_no_abstain": "52ac182f929f35004598f2811cdf89526c1a85a2ee533bb74f93395656b4178a",
    "ballot_quadratic": "9e33bdd8ab2c8f255c72e48ed7efa73ab9b60572f2807e65f50f24060e8392d8",
}


def test_vectors_are_deterministic_verify_and_match_the_published_tracking_codes() -> None:
    vectors = generate_vectors()
    assert vectors == generate_vectors()
    for name, spec in (("ballot_yes_no_abstain", YNA), ("ballot_quadratic", QV_POS)):
        ballot = EncryptedBallot.from_json(vectors[name]["ballot"])
        verify_ballot(ballot, spec, KEY, FP)
        assert ballot.tracking_code() == vectors[name]["tracking_code"] == GOLDEN_TRACKING_CODES[name]
    zo = vectors["zero_one"]
    assert hash_to_scalar(dst("proof/disjunctive-cp"), *_decode_items(zo)) == int(zo["challenge"], 16)
    DisjunctiveProof.from_json(zo["proof"]).verify(KEY, _ct(zo["ciphertext"]), values=(0, 1), fingerprint=FP,
                                                   position=zo["position"])


def _decode_items(zo: dict[str, Any]) -> list[Any]:
    ct = _ct(zo["ciphertext"])
    proof = DisjunctiveProof.from_json(zo["proof"])
    items = [PROTOCOL_VERSION, GROUP_NAME, FP, zo["position"], [KEY.point, ct.alpha, ct.beta, [0, 1]],
             [list(ab) for ab in proof.commitments]]
    assert encode(*items).hex() == zo["challenge_input"]
    return items


def _ct(data: Any) -> Any:
    from voting.crypto.proofs import ciphertext_from_json
    return ciphertext_from_json(data)


if __name__ == "__main__":
    json.dump(generate_vectors(), sys.stdout, indent=1)
    sys.stdout.write("\n")
