"""The voter's browser ballot encryption (static/js/ballot/encrypt.js, run here in Node) against the Python
reference (voting/crypto/ballot.py): byte-identical ballots and tracking codes for the same randomness, JS
ballots verified and audited by Python, the same refusals of bad choices, tampered ballots refused, BIP-340
receipts signed in Python checked in JS, and the test vector of docs/ballot-js-vectors.md.

Needs ``node`` (20+); skipped without it unless ``DATAGUILD_TEST_REQUIRE_BROWSER=1`` (CI), which turns the
skip into a failure. Every test runs its cases in one Node process (op ``batch`` of js/driver.mjs)."""

from __future__ import annotations

import copy
import functools
import json
import re
import shutil
import statistics
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import node_or_skip
from voting.crypto import bip340
from voting.crypto.ballot import (
    BallotSecrets,
    ChoiceQuestion,
    EncryptedBallot,
    QuadraticQuestion,
    audit_reveal,
    check_audited_ballot,
    encrypt_ballot,
    verify_ballot,
)
from voting.crypto.elgamal import ElectionKey
from voting.crypto.errors import CryptoError, InvalidBallot
from voting.crypto.group import Point, base_mult
from voting.crypto.hashing import dst, hash_to_scalar
from voting.crypto.trustees import deterministic_rng
from voting.record import canonical as record
from voting.record.tally import specs_of

DRIVER = Path(__file__).parent / "js" / "driver.mjs"
DOC = Path(__file__).resolve().parents[3] / "docs" / "ballot-js-vectors.md"
RECEIPT_SECRET = bytes(31) + b"\x03"
#: A stand-in BLS key: the manifest only carries it (it is fingerprinted, never used here).
BOARD_KEY = "a0" * 48
TIMINGS: dict[str, float] = {}


@pytest.fixture(scope="module", autouse=True)
def node() -> str:
    return node_or_skip("the browser ballot encryption")


def batch(*calls: dict[str, Any]) -> list[dict[str, Any]]:
    """Run the calls in one Node process; one answer ({ok, result | name, message}) per call."""
    done = subprocess.run([shutil.which("node") or "node", str(DRIVER)],  # noqa: S603 - our own driver script
                          input=json.dumps({"op": "batch", "calls": list(calls)}),
                          capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["ok"], answer
    return answer["result"]


def results(*calls: dict[str, Any]) -> list[Any]:
    answers = batch(*calls)
    for call, answer in zip(calls, answers, strict=True):
        assert answer["ok"], (call["op"], answer)
    return [a["result"] for a in answers]


# ---------------------------------------------------------------- elections


def manifest_for(questions: list[dict[str, Any]], *, secret: int = 0x5EC, election_id: int = 7,
                 title: str = "Share anonymised sensor data with the city") -> dict[str, Any]:
    """A secret election's v2 manifest (as voting.elections.services writes it) with key ``secret``·G."""
    return record.manifest_document(
        election_id=election_id, cooperative="Example data cooperative",
        proposal={"id": 3, "kind": "data_use_rule", "title": title, "version": 1, "content_hash": "5d" * 32},
        method="quadratic" if any(q["kind"] == "quadratic" for q in questions) else "one_member_one_vote",
        secrecy="secret", questions=questions,
        opens_at=datetime(2026, 3, 1, 9, 0, tzinfo=UTC), closes_at=datetime(2026, 3, 8, 9, 0, tzinfo=UTC),
        roll_size=3, roll_hash_hex=record.roll_hash(["voter-a", "voter-b", "voter-c"]),
        election_key=base_mult(secret).hex(), committee={"id": 1, "threshold": 2, "trustees": 3},
        board_public_key=BOARD_KEY, receipt_public_key=bip340.pubkey_from_secret(RECEIPT_SECRET).hex(),
        constitution_version=1,
        rule=record.decision_rule(kind="data_use_rule", method="one_member_one_vote", quorum_percent=20,
                                  threshold_numerator=1, threshold_denominator=2, alternatives=0,
                                  constitution_version=1, constitution_snapshot_hash="c0" * 32))


YNA = ChoiceQuestion.yes_no_abstain().to_json()
FIVE = ChoiceQuestion(("a", "b", "c", "d", "e"), 1, 3).to_json()
OPTIONAL = ChoiceQuestion(("north", "south"), 0, 2).to_json()
QV_NEG = QuadraticQuestion(("p", "q", "r", "s", "t"), 99, allow_negative=True).to_json()
QV_POS = QuadraticQuestion(("p", "q", "r", "s", "t"), 99, allow_negative=False).to_json()


def key_of(manifest: dict[str, Any]) -> ElectionKey:
    return ElectionKey(Point.from_hex(manifest["election_key"]))


def fingerprint_of(manifest: dict[str, Any]) -> bytes:
    return bytes.fromhex(record.manifest_fingerprint(manifest))


def python_ballot(manifest: dict[str, Any], choices: list[list[int]], ref: str,
                  seed: bytes) -> tuple[EncryptedBallot, BallotSecrets]:
    return encrypt_ballot(list(specs_of(manifest)), choices, key_of(manifest), fingerprint_of(manifest), ref,
                          rng=deterministic_rng(seed))


def python_verify(manifest: dict[str, Any], ballot_json: Any) -> None:
    verify_ballot(EncryptedBallot.from_json(ballot_json), specs_of(manifest), key_of(manifest),
                  fingerprint_of(manifest))


def encrypt_call(manifest: dict[str, Any], choices: list[list[int]], **extra: Any) -> dict[str, Any]:
    return {"op": "encrypt", "manifest": manifest, "choices": choices, **extra}


# ---------------------------------------------------------------- primitives


def test_fingerprints_specs_and_seeded_randomness_match_python():
    manifests = [manifest_for([YNA]), manifest_for([FIVE, QV_NEG], title="“Quoted” ünïcødé ✓ 😀 title"),
                 manifest_for([QV_POS], election_id=2**53 - 1)]
    seeds = [b"", b"seed", bytes(range(40))]
    answers = results(*({"op": "fingerprint", "manifest": m} for m in manifests),
                      *({"op": "rng", "seed": s.hex(), "count": 5} for s in seeds),
                      {"op": "specs", "manifest": manifests[1]})
    assert answers[:3] == [record.manifest_fingerprint(m) for m in manifests]
    for seed, draws in zip(seeds, answers[3:6], strict=True):
        rng = deterministic_rng(seed)
        assert draws == [f"{rng():064x}" for _ in range(5)]
    five, qv = answers[6]
    assert (five["kind"], five["min"], five["max"]) == ("choice", 1, 3)
    assert (qv["kind"], qv["budget"], qv["range"]) == ("quadratic", 99, [-9, 9])


# ---------------------------------------------------------------- byte-identical ballots

SEEDED_CASES: list[tuple[str, list[dict[str, Any]], list[list[int]]]] = [
    ("yes/no/abstain: yes", [YNA], [[1, 0, 0]]),
    ("yes/no/abstain: abstain", [YNA], [[0, 0, 1]]),
    ("choose 1..3 of 5: three", [FIVE], [[1, 0, 1, 1, 0]]),
    ("choose 1..3 of 5: one", [FIVE], [[0, 0, 0, 0, 1]]),
    ("choose 0..2 of 2: none (all zeros allowed)", [OPTIONAL], [[0, 0]]),
    ("two questions", [YNA, FIVE], [[0, 1, 0], [1, 1, 0, 0, 0]]),
    ("quadratic B=99 with negatives: the whole budget", [QV_NEG], [[9, -3, 3, 0, 0]]),
    ("quadratic B=99 with negatives: -9 (edge of the range)", [QV_NEG], [[-9, 0, 0, 0, 0]]),
    ("quadratic B=99 with negatives: all zeros", [QV_NEG], [[0, 0, 0, 0, 0]]),
    ("quadratic B=99 without negatives: the whole budget", [QV_POS], [[7, 7, 1, 0, 0]]),
    ("quadratic B=99 without negatives: all zeros", [QV_POS], [[0, 0, 0, 0, 0]]),
    ("choice and quadratic", [YNA, QV_NEG], [[1, 0, 0], [-5, 5, 7, 0, 0]]),
]


def test_seeded_js_ballots_are_byte_identical_to_python():
    manifests = [manifest_for(questions) for _, questions, _ in SEEDED_CASES]
    calls = [encrypt_call(m, choices, ballotRef=f"vector-{i}", seed=f"seed {label}".encode().hex(), verify=True)
             for i, (m, (label, _, choices)) in enumerate(zip(manifests, SEEDED_CASES, strict=True))]
    for call, manifest, (label, _, choices), out in zip(calls, manifests, SEEDED_CASES, results(*calls), strict=True):
        ballot, ballot_secrets = python_ballot(manifest, choices, call["ballotRef"], bytes.fromhex(call["seed"]))
        assert record.canonical_bytes(out["ballot"]) == record.canonical_bytes(ballot.to_json()), label
        assert out["trackingCode"] == out["recomputedTrackingCode"] == ballot.tracking_code(), label
        assert out["reveal"] == audit_reveal(ballot, ballot_secrets), label
        assert out["verified"] is True, label  # the trustee desk's JavaScript verifier accepts it
        options = sum(len(c) for c in choices)
        assert out["progress"] == [[i, options] for i in range(1, options + 1)], label


def test_the_async_encryption_gives_the_same_ballot():
    manifest = manifest_for([YNA, FIVE])
    seed = b"async".hex()
    sync, asynchronous = results(encrypt_call(manifest, [[1, 0, 0], [0, 1, 1, 0, 0]], ballotRef="r-1", seed=seed),
                                 {"op": "encryptAsync", "manifest": manifest, "choices": [[1, 0, 0], [0, 1, 1, 0, 0]],
                                  "ballotRef": "r-1", "seed": seed})
    assert asynchronous == {"ballot": sync["ballot"], "trackingCode": sync["trackingCode"]}


# ---------------------------------------------------------------- real randomness: Python verifies and audits


def test_random_js_ballots_verify_and_audit_in_python():
    cases = [([YNA], [[0, 1, 0]]), ([FIVE], [[1, 1, 1, 0, 0]]), ([YNA, FIVE], [[1, 0, 0], [0, 0, 0, 1, 0]]),
             ([QV_NEG], [[-9, 3, 3, 0, 0]]), ([QV_POS], [[0, 0, 0, 0, 0]]),
             ([OPTIONAL, QV_POS], [[0, 0], [1, 2, 3, 4, 5]])]
    manifests = [manifest_for(questions) for questions, _ in cases]
    outs = results(*(encrypt_call(m, choices) for m, (_, choices) in zip(manifests, cases, strict=True)),
                   encrypt_call(manifests[0], [[0, 1, 0]]))
    for manifest, (_, choices), out in zip(manifests, cases, outs, strict=False):
        assert re.fullmatch(r"b-[0-9a-f]{24}", out["ballot"]["ballot_ref"])
        python_verify(manifest, out["ballot"])
        ballot = EncryptedBallot.from_json(out["ballot"])
        assert ballot.tracking_code() == out["trackingCode"]
        assert check_audited_ballot(ballot, out["reveal"], key_of(manifest)) == choices
    # Fresh randomness and a fresh reference every time.
    first, again = outs[0], outs[-1]
    assert first["ballot"]["ballot_ref"] != again["ballot"]["ballot_ref"]
    assert first["ballot"]["answers"][0]["selections"][0]["ciphertext"] != \
        again["ballot"]["answers"][0]["selections"][0]["ciphertext"]
    assert first["reveal"]["answers"][0]["randomness"] != again["reveal"]["answers"][0]["randomness"]


# ---------------------------------------------------------------- refusals


def _python_words(message: str) -> str:
    """Python's message for the same refusal, as the JS one writes it (JSON spellings of values, a full stop)."""
    return message.replace("'", '"').replace("None", "null").replace("True", "true") + "."


def test_bad_choices_are_refused_like_python_refuses_them():
    qv, five, yna_five = manifest_for([QV_NEG]), manifest_for([FIVE]), manifest_for([YNA, FIVE])
    qv_pos = manifest_for([QV_POS])
    # (manifest, choices, the JS message, whether Python says the same words)
    cases: list[tuple[dict[str, Any], Any, str, bool]] = [
        (qv, [[9, 3, 3, 1, 0]], "question 0: spends 100 voice credits, budget is 99", True),
        (qv, [[10, 0, 0, 0, 0]], "question 0 option 0: 10 votes cost 100 credits, more than the budget of 99 "
                                 "(at most 9 votes)", True),
        (qv_pos, [[0, -1, 0, 0, 0]], "question 0 option 1: negative votes are not allowed on this question", True),
        (qv, [[1.5, 0, 0, 0, 0]], "question 0 option 0: votes must be an integer, got 1.5", True),
        (qv, [["1", 0, 0, 0, 0]], 'question 0 option 0: votes must be an integer, got "1"', True),
        (five, [[1, 1, 1, 1, 0]], "question 0: 4 options selected, allowed 1..3", True),
        (five, [[0, 0, 0, 0, 0]], "question 0: 0 options selected, allowed 1..3", True),
        (five, [[1, 2, 0, 0, 0]], "question 0 option 1: a selection must be 0 or 1, got 2", True),
        (five, [[True, 0, 0, 0, 0]], "question 0 option 0: a selection must be 0 or 1, got true", True),
        (five, [[None, 1, 0, 0, 0]], "question 0 option 0: a selection must be 0 or 1, got null", True),
        (five, [[1, 0, 0, 0]], "question 0: expected 5 option values, got 4", True),
        (yna_five, [[1, 0, 0]], "Expected choices for 2 question(s), got 1", True),
        (yna_five, [[1, 0, 0], [1, 0, 0, 0, 0], [1]], "Expected choices for 2 question(s), got 3", True),
        (yna_five, [[1, 1, 0], [1, 0, 0, 0, 0]], "question 0: 2 options selected, allowed exactly 1", False),
        (yna_five, [[1, 0, 0], 1], "question 1: the choices must be a list of one value per option", False),
    ]
    fine = [(qv, [[5, 5, 5, 0, 0]]), (qv, [[-9, 0, 0, 0, 0]]), (five, [[1, 1, 1, 0, 0]]),
            (yna_five, [[0, 0, 1], [0, 0, 0, 0, 1]])]
    answers = batch(*({"op": "checkChoices", "manifest": m, "choices": c} for m, c, _, _ in cases),
                    *({"op": "checkChoices", "manifest": m, "choices": c} for m, c in fine),
                    *(encrypt_call(m, c) for m, c, _, _ in cases[:4]))
    for (manifest, choices, message, same_words), answer in zip(cases, answers, strict=False):
        assert answer["ok"] is False, (choices, answer)
        assert (answer["name"], answer["message"]) == ("InvalidInput", message + "."), choices
        if same_words:  # Python refuses the same choices, in the same words
            with pytest.raises(CryptoError) as refused:
                encrypt_ballot(list(specs_of(manifest)), choices, key_of(manifest), fingerprint_of(manifest), "r")
            assert _python_words(str(refused.value)).lower() == answer["message"].lower(), choices
    for (_, choices), answer in zip(fine, answers[len(cases):], strict=False):
        assert answer == {"ok": True, "result": choices}
    for (_, _, message, _), answer in zip(cases[:4], answers[len(cases) + len(fine):], strict=True):
        assert (answer["ok"], answer["message"]) == (False, message + "."), "encryptBallot checks like checkChoices"


def test_manifests_it_must_not_encrypt_for():
    manifest = manifest_for([YNA])
    open_vote = {**manifest, "secrecy": "open", "election_key": None}
    bad_key = {**manifest, "election_key": "02" + "00" * 32}
    answers = batch(encrypt_call(open_vote, [[1, 0, 0]]), encrypt_call(bad_key, [[1, 0, 0]]),
                    encrypt_call(manifest, [[1, 0, 0]], ballotRef="has spaces"),
                    encrypt_call(manifest, [[1, 0, 0]], fingerprint="00" * 32),
                    encrypt_call(manifest, [[1, 0, 0]], fingerprint=record.manifest_fingerprint(manifest)))
    assert [a["ok"] for a in answers] == [False, False, False, False, True]
    assert "open roll call" in answers[0]["message"]
    assert "election key cannot be used" in answers[1]["message"]
    assert "ballot_ref must be" in answers[2]["message"]
    assert "does not hash to the election's fingerprint" in answers[3]["message"]


def _flip_hex(text: str, at: int = -1) -> str:
    chars = list(text)
    chars[at] = "0" if chars[at] != "0" else "1"
    return "".join(chars)


def test_tampered_and_transplanted_js_ballots_are_refused_by_python():
    ours, other = manifest_for([FIVE, QV_NEG]), manifest_for([FIVE, QV_NEG], election_id=8)
    assert record.manifest_fingerprint(ours) != record.manifest_fingerprint(other)
    choices = [[1, 0, 1, 0, 0], [3, -3, 0, 0, 0]]
    mine, theirs = results(encrypt_call(ours, choices, ballotRef="b-same", seed="01"),
                           encrypt_call(other, choices, ballotRef="b-same", seed="02"))
    python_verify(ours, mine["ballot"])
    python_verify(other, theirs["ballot"])

    tampered = []
    response = copy.deepcopy(mine["ballot"])  # one proof byte changed: a 0/1 proof's response
    proof = response["answers"][0]["selections"][2]["proof"]
    proof["responses"][1] = _flip_hex(proof["responses"][1])
    tampered.append(("a 0/1 proof response", response, "question 0 option 2"))
    pair = copy.deepcopy(mine["ballot"])  # a pair proof's challenge
    pair_proof = pair["answers"][1]["options"][0]["proof"]
    pair_proof["challenges"][4] = _flip_hex(pair_proof["challenges"][4], 10)
    tampered.append(("a pair proof challenge", pair, "question 1 option 0"))
    budget = copy.deepcopy(mine["ballot"])  # the budget proof's response
    budget_proof = budget["answers"][1]["budget_proof"]
    budget_proof["responses"][0] = _flip_hex(budget_proof["responses"][0])
    tampered.append(("the budget proof", budget, "question 1 sum"))
    transplant = copy.deepcopy(mine["ballot"])  # a selection (ciphertext and its proof) of the other election's ballot
    transplant["answers"][0]["selections"][0] = theirs["ballot"]["answers"][0]["selections"][0]
    tampered.append(("a selection from another election", transplant, "question 0 option 0"))
    bare = copy.deepcopy(mine["ballot"])  # only the ciphertext of the other election's (same choice) option
    bare["answers"][1]["options"][1]["votes"] = theirs["ballot"]["answers"][1]["options"][1]["votes"]
    tampered.append(("a ciphertext from another election", bare, "question 1 option 1"))
    relabelled = copy.deepcopy(theirs["ballot"])  # the other election's ballot, relabelled for ours
    relabelled["election"] = mine["ballot"]["election"]
    tampered.append(("a whole ballot of another election, relabelled", relabelled, "question 0 option 0"))

    for label, ballot, where in tampered:
        with pytest.raises(InvalidBallot) as refused:
            python_verify(ours, ballot)
        assert re.match(rf"ballot b-same\b.*\b{where}\b", str(refused.value)), (label, str(refused.value))
    with pytest.raises(InvalidBallot, match="cast for another election"):
        python_verify(ours, theirs["ballot"])
    # The JavaScript verifier refuses them as well.
    for (label, _, _), answer in zip(tampered, batch(*({"op": "verifyBallot", "manifest": ours, "ballot": b}
                                                       for _, b, _ in tampered)), strict=True):
        assert answer == {"ok": True, "result": False} or (answer["ok"] is False and "Fiat" in answer["message"]), label


# ---------------------------------------------------------------- receipts


def _receipt(manifest: dict[str, Any], tracking_code: str, *, secret: bytes = RECEIPT_SECRET, head: bool = True,
             **changes: Any) -> dict[str, Any]:
    fields = {"election_id": manifest["election_id"], "fingerprint": record.manifest_fingerprint(manifest),
              "leaf_index": 4, "kind": "cast", "tracking_code": tracking_code, "cast_at": "2026-03-02T10:15:30Z",
              "leaf_hash": "1f" * 32, "server_public_key": bip340.pubkey_from_secret(secret).hex(),
              "head": "e7" * 32 if head else None, **changes}
    receipt = record.sign_receipt_fields(lambda m: bip340.sign(secret, m, aux_rand=bytes(32)).hex(), **fields)
    return receipt.to_json()


def test_receipts_signed_in_python_are_checked_in_js():
    manifest = manifest_for([YNA])
    server = manifest["receipt_public_key"]
    code = "ab" * 32
    good, v1 = _receipt(manifest, code), _receipt(manifest, code, head=False)
    changed = {**good, "leaf_index": 5}
    impostor_secret = bytes(31) + b"\x07"
    impostor = _receipt(manifest, code, secret=impostor_secret)
    impostor_key = bip340.pubkey_from_secret(impostor_secret).hex()
    other_election = _receipt(manifest, code, fingerprint="00" * 32)
    answers = results(
        {"op": "receiptMessage", "receipt": good},
        {"op": "verifyReceipt", "receipt": good, "key": server},
        {"op": "verifyReceipt", "receipt": v1, "key": server},
        {"op": "verifyReceipt", "receipt": changed, "key": server},
        {"op": "verifyReceipt", "receipt": {**good, "signature": _flip_hex(good["signature"])}, "key": server},
        {"op": "verifyReceipt", "receipt": good, "key": impostor_key},
        {"op": "verifyReceipt", "receipt": impostor, "key": server},
        {"op": "verifyReceipt", "receipt": impostor, "key": impostor_key},
        {"op": "verifyReceipt", "receipt": {**good, "signature": "zz"}, "key": server},
        {"op": "verifyReceipt", "receipt": None, "key": server},
        {"op": "verifyReceipt", "receipt": good, "key": "not hex"},
        {"op": "checkReceipt", "receipt": good, "manifest": manifest, "trackingCode": code},
        {"op": "checkReceipt", "receipt": good, "manifest": manifest, "trackingCode": "cd" * 32},
        {"op": "checkReceipt", "receipt": impostor, "manifest": manifest, "trackingCode": code},
        {"op": "checkReceipt", "receipt": changed, "manifest": manifest, "trackingCode": code},
        {"op": "checkReceipt", "receipt": other_election, "manifest": manifest, "trackingCode": code},
        {"op": "checkReceipt", "receipt": good, "manifest": manifest, "trackingCode": code,
         "serverPublicKeyHex": impostor_key},
        {"op": "checkReceipt", "receipt": {"tracking_code": code}, "manifest": manifest, "trackingCode": code},
    )
    assert answers[0] == record.Receipt.from_json(good).message().hex()
    assert answers[1:11] == [True, True, False, False, False, False, True, False, False, False]
    assert answers[11] == []
    assert len(answers[12]) == 1
    assert answers[12][0].startswith(f"The receipt's tracking code {code[:16]}… is not your ballot's")
    assert answers[13] == ["The receipt names a different server key than the election's receipt key."]
    assert answers[14] == ["The receipt's signature does not verify with the election's receipt key."]
    assert answers[15] == ["The receipt is for another election than the one you voted in."]
    assert answers[16] == ["The server signs with a key that is not the election's receipt key (receipt_public_key "
                           "in the manifest)."]
    assert answers[17][0].startswith("The server's answer is not a receipt: it lacks format, election_id")


def test_a_real_js_ballot_with_its_receipt():
    manifest = manifest_for([YNA, QV_NEG])
    out = results(encrypt_call(manifest, [[0, 0, 1], [2, 2, -2, 0, 0]]))[0]
    python_verify(manifest, out["ballot"])
    receipt = _receipt(manifest, EncryptedBallot.from_json(out["ballot"]).tracking_code())
    assert results({"op": "checkReceipt", "receipt": receipt, "manifest": manifest,
                    "trackingCode": out["trackingCode"]})[0] == []


# ---------------------------------------------------------------- the published vector


@functools.cache
def doc_blocks() -> dict[str, Any]:
    """The JSON blocks of docs/ballot-js-vectors.md, each after a ``<!-- vector: NAME -->`` marker."""
    text = DOC.read_text(encoding="utf-8")
    return {name: json.loads(body) for name, body in
            re.findall(r"<!-- vector: ([\w-]+) -->\s*```json\n(.*?)```", text, re.S)}


def vector_outputs(ballot: dict[str, Any], tracking_code: str, fingerprint: str) -> dict[str, Any]:
    """What the document quotes of the vector's ballot."""
    first = ballot["answers"][0]["selections"][0]
    quadratic = ballot["answers"][1]["options"][0]
    return {"fingerprint": fingerprint, "tracking_code": tracking_code, "first_ciphertext": first["ciphertext"],
            "first_proof": first["proof"], "first_quadratic_votes": quadratic["votes"],
            "first_quadratic_square": quadratic["square"],
            "sum_proof_challenges": ballot["answers"][0]["sum_proof"]["challenges"]}


def test_the_documented_vector_is_what_both_implementations_produce():
    blocks = doc_blocks()
    inputs, expected = blocks["inputs"], blocks["outputs"]
    manifest = inputs["manifest"]
    secret = hash_to_scalar(dst("test-vector-key"), "dataguild test vectors")
    assert manifest["election_key"] == base_mult(secret).hex()
    assert manifest["receipt_public_key"] == bip340.pubkey_from_secret(RECEIPT_SECRET).hex()
    seed = inputs["seed"].encode()
    js_out, draws = results(encrypt_call(manifest, inputs["choices"], ballotRef=inputs["ballot_ref"],
                                         seed=seed.hex(), verify=True),
                            {"op": "rng", "seed": seed.hex(), "count": 3})
    ballot, _ = python_ballot(manifest, inputs["choices"], inputs["ballot_ref"], seed)
    fingerprint = record.manifest_fingerprint(manifest)
    assert vector_outputs(ballot.to_json(), ballot.tracking_code(), fingerprint) == expected
    assert vector_outputs(js_out["ballot"], js_out["trackingCode"], fingerprint) == expected
    assert draws == expected_draws() == blocks["rng"]
    assert js_out["verified"] is True
    python_verify(manifest, js_out["ballot"])


def expected_draws() -> list[str]:
    rng = deterministic_rng(doc_blocks()["inputs"]["seed"].encode())
    return [f"{rng():064x}" for _ in range(3)]


# ---------------------------------------------------------------- timings


def test_encryption_is_quick_enough_for_a_phone(record_property):
    cases = {"yes/no/abstain": (manifest_for([YNA]), [[1, 0, 0]]),
             "choose 1..3 of 5": (manifest_for([FIVE]), [[1, 0, 1, 1, 0]]),
             "quadratic B=99, 5 options": (manifest_for([QV_NEG]), [[9, -3, 3, 0, 0]])}
    runs = results(*({"op": "time", "manifest": m, "choices": c, "runs": 5} for m, c in cases.values()))
    for label, ms in zip(cases, runs, strict=True):
        TIMINGS[f"encrypt {label} (ms, median of 5 in Node)"] = statistics.median(ms)
    record_property("timings", TIMINGS)
    print(json.dumps(TIMINGS, indent=1))  # shown with pytest -s
    assert all(median < 10_000 for median in TIMINGS.values()), TIMINGS
