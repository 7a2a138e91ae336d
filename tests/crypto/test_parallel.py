"""Parallel batch verification agrees with one-by-one verification and names the bad ballots."""

from __future__ import annotations

import copy

from voting.crypto.ballot import ChoiceQuestion, encrypt_ballot, verify_ballot
from voting.crypto.elgamal import ElectionKey
from voting.crypto.group import base_mult
from voting.crypto.parallel import batch_verify_ballots

FINGERPRINT = bytes(range(32))
SPEC = ChoiceQuestion(options=("a", "b", "c"), min_selections=1, max_selections=2)
KEY = ElectionKey(base_mult(987654321))


def _ballots(count: int) -> list[dict]:
    out = []
    for i in range(count):
        choice = [1, 0, 0] if i % 2 else [0, 1, 1]
        ballot, _ = encrypt_ballot(SPEC, choice, KEY, FINGERPRINT, f"voter-{i}")
        verify_ballot(ballot, SPEC, KEY, FINGERPRINT)
        out.append(ballot.to_json())
    return out


def test_all_good_ballots_pass_in_parallel_and_serially() -> None:
    ballots = _ballots(8)
    assert batch_verify_ballots(ballots, [SPEC], KEY.point, FINGERPRINT, workers=2) == []
    assert batch_verify_ballots(ballots, [SPEC], KEY.point, FINGERPRINT, workers=1) == []


def test_bad_ballots_are_named_whichever_worker_gets_them() -> None:
    ballots = _ballots(8)
    swapped = copy.deepcopy(ballots[1])
    selections = swapped["answers"][0]["selections"]
    selections[0]["ciphertext"], selections[1]["ciphertext"] = selections[1]["ciphertext"], selections[0]["ciphertext"]
    ballots[1] = swapped
    ballots[6]["election"] = "00" * 32  # another election's fingerprint
    messages = batch_verify_ballots(ballots, [SPEC], KEY.point, FINGERPRINT, workers=2)
    assert len(messages) == 2
    assert any(m.startswith("voter-1") or "voter-1" in m for m in messages)
    assert any("voter-6" in m for m in messages)
