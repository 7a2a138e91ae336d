"""Parallel batch verification agrees with one-by-one verification and names the bad ballots, the
question and the option; the weighted fast form agrees with the relations it replaces."""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from voting.crypto import parallel
from voting.crypto.ballot import (
    ChoiceAnswer,
    ChoiceQuestion,
    EncryptedBallot,
    QuadraticAnswer,
    QuadraticQuestion,
    ballot_relations,
    ballot_weighted_terms,
    encrypt_ballot,
    verify_ballot,
)
from voting.crypto.batch import (
    WEIGHT_BITS,
    find_bad_weighted,
    random_weights,
    relations_hold,
    weighted_terms_hold,
)
from voting.crypto.elgamal import ElectionKey
from voting.crypto.group import G, N, available_backends, base_mult, use_backend
from voting.crypto.parallel import batch_verify_ballots, verify_ballot_chunk

FINGERPRINT = bytes(range(32))
SPEC = ChoiceQuestion(options=("a", "b", "c"), min_selections=1, max_selections=2)
QV = QuadraticQuestion(options=("p", "q"), budget=4, allow_negative=True)
KEY = ElectionKey(base_mult(987654321))
BASES = (G, KEY.point)


@pytest.fixture(params=available_backends())
def backend(request: pytest.FixtureRequest) -> Iterator[str]:
    with use_backend(request.param) as name:
        yield name


def _encrypted(count: int, prefix: str = "voter") -> list[EncryptedBallot]:
    out = []
    for i in range(count):
        choice = [1, 0, 0] if i % 2 else [0, 1, 1]
        ballot, _ = encrypt_ballot(SPEC, choice, KEY, FINGERPRINT, f"{prefix}-{i}")
        out.append(ballot)
    return out


def _ballots(count: int) -> list[dict]:
    out = []
    for ballot in _encrypted(count):
        verify_ballot(ballot, SPEC, KEY, FINGERPRINT)
        out.append(ballot.to_json())
    return out


def _bump_response(ballot: EncryptedBallot, option: int) -> EncryptedBallot:
    """Alter one response: the challenge hash still matches, only the equations fail."""
    ans = ballot.answers[0]
    assert isinstance(ans, ChoiceAnswer)
    p = ans.proofs[option]
    bad = replace(p, responses=(p.responses[0], (p.responses[1] + 1) % N))
    proofs = list(ans.proofs)
    proofs[option] = bad
    return replace(ballot, answers=(replace(ans, proofs=tuple(proofs)),))


def _bump_sum(ballot: EncryptedBallot) -> EncryptedBallot:
    ans = ballot.answers[0]
    assert isinstance(ans, ChoiceAnswer)
    p = ans.sum_proof
    bad = replace(p, responses=((p.responses[0] + 1) % N, *p.responses[1:]))
    return replace(ballot, answers=(replace(ans, sum_proof=bad),))


def test_all_good_ballots_pass_in_parallel_and_serially() -> None:
    ballots = _ballots(8)
    assert batch_verify_ballots(ballots, [SPEC], KEY.point, FINGERPRINT, workers=2) == []
    assert batch_verify_ballots(ballots, [SPEC], KEY.point, FINGERPRINT, workers=1) == []
    assert batch_verify_ballots([], [SPEC], KEY.point, FINGERPRINT, workers=2) == []


def test_bad_ballots_are_named_whichever_worker_gets_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "MIN_PER_WORKER", 1)
    ballots = _ballots(8)
    swapped = copy.deepcopy(ballots[1])
    selections = swapped["answers"][0]["selections"]
    selections[0]["ciphertext"], selections[1]["ciphertext"] = selections[1]["ciphertext"], selections[0]["ciphertext"]
    ballots[1] = swapped
    ballots[6]["election"] = "00" * 32  # another election's fingerprint
    messages = batch_verify_ballots(ballots, [SPEC], KEY.point, FINGERPRINT, workers=2)
    assert len(messages) == 2
    assert messages[0].startswith("ballot voter-1 question 0 option 0: 0/1 proof failed")
    assert messages[1] == "ballot voter-6: cast for another election (fingerprint mismatch)"


def test_equation_failures_name_ballot_question_and_option(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    ballots = _encrypted(12, "eq")
    ballots[3] = _bump_response(ballots[3], 2)
    ballots[8] = _bump_sum(_bump_response(ballots[8], 0))
    data = [b.to_json(uncompressed=i % 2 == 0) for i, b in enumerate(ballots)]
    expected = ["ballot eq-3 question 0 option 2: proof does not verify",
                "ballot eq-8 question 0 option 0: proof does not verify",
                "ballot eq-8 question 0 sum: proof does not verify"]
    # many tiny chunks in several processes, one process, and one chunk: the same messages
    assert batch_verify_ballots(data, [SPEC], KEY.point, FINGERPRINT, workers=1) == expected
    monkeypatch.setattr(parallel, "CHUNK", 2)
    monkeypatch.setattr(parallel, "MIN_PER_WORKER", 1)
    assert batch_verify_ballots(data, [SPEC], KEY.point, FINGERPRINT, workers=2) == expected
    assert verify_ballot_chunk(data, [SPEC], KEY.point, FINGERPRINT) == expected


def test_labels_replace_ballot_refs_in_messages() -> None:
    ballots = _encrypted(4, "lab")
    ballots[2] = _bump_response(ballots[2], 1)
    data = [b.to_json() for b in ballots]
    data[0]["answers"] = "nope"
    labels = ["10", "11", "12", "13"]
    messages = batch_verify_ballots(data, [SPEC], KEY.point, FINGERPRINT, workers=1, labels=labels)
    assert messages == ["ballot 10: does not decode: answers must be a list",
                        "ballot 12 question 0 option 1: proof does not verify"]
    with pytest.raises(ValueError, match="labels"):
        batch_verify_ballots(data, [SPEC], KEY.point, FINGERPRINT, labels=labels[:2])


def test_hash_failures_are_named_without_the_ballot_ref_twice() -> None:
    ballots = _encrypted(3, "h")
    data = [b.to_json() for b in ballots]
    data[1]["answers"][0]["sum_proof"]["challenges"][0] = "00" * 32
    messages = batch_verify_ballots(data, [SPEC], KEY.point, FINGERPRINT, workers=1, labels=["a", "b", "c"])
    assert len(messages) == 1
    assert messages[0].startswith("ballot b question 0 sum: selection count in [1..2] proof failed")


def test_progress_is_reported_from_the_parent_in_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    data = [b.to_json(uncompressed=True) for b in _encrypted(120, "p")]
    calls: list[tuple[int, int]] = []
    monkeypatch.setattr(parallel, "CHUNK", 25)
    assert batch_verify_ballots(data, [SPEC], KEY.point, FINGERPRINT, workers=2,
                                progress=lambda done: calls.append((done, os.getpid()))) == []
    done = [d for d, _ in calls]
    assert done == sorted(done)
    assert done[-1] == 120
    assert all(b - a <= 25 for a, b in zip([0, *done], done, strict=False))
    assert {pid for _, pid in calls} == {os.getpid()}
    serial: list[int] = []
    batch_verify_ballots(data[:10], [SPEC], KEY.point, FINGERPRINT, workers=1, progress=serial.append)
    assert serial[-1] == 10


def test_quadratic_ballots_in_the_batch(backend: str) -> None:
    ballots = [encrypt_ballot(QV, [(-1) ** i, 1], KEY, FINGERPRINT, f"q{i}")[0] for i in range(3)]
    data = [b.to_json(uncompressed=True) for b in ballots]
    assert batch_verify_ballots(data, [QV], KEY.point, FINGERPRINT, workers=1) == []
    ans = ballots[1].answers[0]
    assert isinstance(ans, QuadraticAnswer)
    p = ans.proofs[1]
    (z1, z2), *rest = p.responses
    bad = replace(p, responses=((z1, (z2 + 1) % N), *rest))
    ballots[1] = replace(ballots[1], answers=(replace(ans, proofs=(ans.proofs[0], bad)),))
    data = [b.to_json() for b in ballots]
    assert batch_verify_ballots(data, [QV], KEY.point, FINGERPRINT, workers=1) == [
        "ballot q1 question 0 option 1: proof does not verify"]


def test_weighted_terms_agree_with_relations(backend: str) -> None:
    ballots = _encrypted(6, "w")
    ballots[4] = _bump_sum(ballots[4])
    items: list[tuple[str, Any]] = []
    for b in ballots:
        terms = ballot_weighted_terms(b, [SPEC], KEY, FINGERPRINT)
        assert weighted_terms_hold(BASES, [terms]) == relations_hold(ballot_relations(b, SPEC, KEY, FINGERPRINT))
        items.append((b.ballot_ref, terms))
        # one scalar per point, two shared bases
        assert len(terms.scalars) == len(terms.points)
        assert len(terms.base_coeffs) == 2
    assert not weighted_terms_hold(BASES, [t for _, t in items])
    assert find_bad_weighted(BASES, items) == ["w-4"]
    assert find_bad_weighted(BASES, items, known_bad=True) == ["w-4"]
    assert find_bad_weighted(BASES, items[:4]) == []
    assert find_bad_weighted(BASES, []) == []


def test_random_weights() -> None:
    ws = random_weights(1000)
    assert len(ws) == 1000
    assert all(0 < w < 2**WEIGHT_BITS for w in ws)
    assert len(set(ws)) == 1000
    assert max(ws).bit_length() > WEIGHT_BITS - 8  # uniform over 128 bits, not a short range
    assert random_weights(0) == []
