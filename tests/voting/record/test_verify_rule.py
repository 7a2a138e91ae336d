"""Version 2 records bind the rule that decides the outcome: the tamperings an observer tried on
version 1 records (a stricter threshold or quorum and a changed state, the constitution's hash
zeroed) are each refused with the check that caught them named; so are the other fields that can
change an outcome (the manifest's rule and window, the result's outcome, totals, turnout, roll
size, the certificate). A version 1 record still verifies, and says what it lacks."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from tests.voting.verify_helpers import cached_records, check, run_verify
from voting.record import canonical as record
from voting.record import document as er

V1_RECORD = Path(__file__).parent / "data" / "record-v1.json"


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return cached_records(tmp_path_factory.getbasetemp())


def _fails(rec: dict[str, Any], tmp: Path, name: str, detail: str) -> dict[str, Any]:
    code, out = run_verify(rec, tmp)
    result = check(out, name)
    assert code == 1, out
    assert result["status"] == "FAIL", result
    assert any(detail in p for p in result["problems"]), result
    return out


def test_records_are_version_2_with_the_rule_fixed_in_the_manifest(records, tmp_path):
    rec = records["secret"]
    assert rec["format"] == er.RECORD_FORMAT
    assert rec["manifest"]["format"] == record.MANIFEST_FORMAT
    rule = rec["manifest"]["rule"]
    assert tuple(rule) == record.RULE_KEYS
    assert rec["outcome"]["rule"] == rule
    assert rec["constitution"]["version"] == rule["constitution_version"]
    assert er.constitution_hash(rec["constitution"]["snapshot"]) == rule["constitution_snapshot_hash"]
    assert rec["result"]["outcome"] == {"state": rec["outcome"]["state"],
                                        "chosen_alternative": rec["outcome"]["chosen_alternative"]}
    code, out = run_verify(rec, tmp_path)
    assert code == 0
    assert check(out, "rule")["status"] == "PASS"


@pytest.mark.parametrize("name", ["secret", "open", "quadratic"])
def test_a_stricter_threshold_and_a_new_state_are_refused(records, tmp_path, name):
    rec = copy.deepcopy(records[name])
    rec["outcome"]["rule"].update(threshold_numerator=9, threshold_denominator=10)
    rec["outcome"]["state"], rec["outcome"]["chosen_alternative"] = "rejected", None
    out = _fails(rec, tmp_path, "outcome", "the outcome names a rule other than the manifest's")
    assert "threshold_denominator, threshold_numerator" in check(out, "outcome")["details"]


def test_a_higher_quorum_and_no_quorum_are_refused(records, tmp_path):
    rec = copy.deepcopy(records["secret"])
    rec["outcome"]["rule"]["quorum_percent"] = 90
    rec["outcome"]["state"] = "no_quorum"
    _fails(rec, tmp_path, "outcome", "the outcome names a rule other than the manifest's")


def test_a_changed_state_alone_is_refused(records, tmp_path):
    rec = copy.deepcopy(records["secret"])
    rec["outcome"]["state"] = "rejected" if rec["outcome"]["state"] == "adopted" else "adopted"
    _fails(rec, tmp_path, "outcome", "the rule gives")


def test_a_zeroed_constitution_hash_is_refused_wherever_it_is(records, tmp_path):
    in_outcome = copy.deepcopy(records["secret"])
    in_outcome["outcome"]["rule"]["constitution_snapshot_hash"] = "0" * 64
    _fails(in_outcome, tmp_path, "outcome", "the outcome names a rule other than the manifest's")
    in_manifest = copy.deepcopy(records["secret"])
    in_manifest["manifest"]["rule"]["constitution_snapshot_hash"] = "0" * 64
    _fails(in_manifest, tmp_path, "manifest", "the fingerprint is not the manifest's hash")


def test_a_changed_constitution_snapshot_is_refused(records, tmp_path):
    rec = copy.deepcopy(records["secret"])
    rec["constitution"]["snapshot"][0]["quorum_percent"] = 1
    _fails(rec, tmp_path, "rule", "the constitution snapshot hashes to")


def test_a_rewritten_manifest_rule_breaks_every_signature(records, tmp_path):
    """A forger who changes the rule and recomputes the fingerprint: the receipts the voters hold and
    the signed heads name the old fingerprint."""
    rec = copy.deepcopy(records["secret"])
    rec["manifest"]["rule"]["threshold_numerator"] = 9
    rec["manifest"]["rule"]["threshold_denominator"] = 10
    rec["outcome"]["rule"] = copy.deepcopy(rec["manifest"]["rule"])
    rec["fingerprint"] = record.manifest_fingerprint(rec["manifest"])
    code, out = run_verify(rec, tmp_path)
    assert code == 1
    assert check(out, "manifest")["status"] == "PASS"
    assert check(out, "board.receipts")["status"] == "FAIL"
    assert check(out, "board.heads")["status"] == "FAIL"


@pytest.mark.parametrize(("path", "value"), [
    (("rule", "quorum_percent"), 90), (("rule", "alternatives"), 2), (("window", "closes_at"), "2099-01-01T00:00:00Z"),
    (("roll", "size"), 99), (("method",), "quadratic"),
])
def test_every_manifest_field_is_bound_by_the_fingerprint(records, tmp_path, path, value):
    rec = copy.deepcopy(records["secret"])
    target = rec["manifest"]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    _fails(rec, tmp_path, "manifest", "the fingerprint is not the manifest's hash")


def test_a_changed_result_outcome_is_refused_and_breaks_the_certificate(records, tmp_path):
    rec = copy.deepcopy(records["secret"])
    rec["result"]["outcome"]["state"] = "rejected" if rec["result"]["outcome"]["state"] == "adopted" else "adopted"
    out = _fails(rec, tmp_path, "result", "the manifest's rule gives")
    assert check(out, "certificate")["status"] == "FAIL"  # the trustees signed the outcome that was decided


@pytest.mark.parametrize(("field", "value", "name"), [
    ("turnout", 1, "result"), ("roll_size", 99, "result"),
])
def test_result_numbers_are_refused(records, tmp_path, field, value, name):
    rec = copy.deepcopy(records["secret"])
    rec["result"][field] = value
    _fails(rec, tmp_path, name, "")


def test_certificate_signers_and_message_are_checked(records, tmp_path):
    signers = copy.deepcopy(records["secret"])
    signers["certificate"]["signers"] = signers["certificate"]["signers"][:1]
    assert run_verify(signers, tmp_path)[0] == 1
    message = copy.deepcopy(records["secret"])
    message["result"]["totals"][0][0] += 1
    out = _fails(message, tmp_path, "result", "do not match")
    assert check(out, "certificate")["status"] == "FAIL"


def test_a_version_1_record_still_verifies_and_says_what_it_lacks(tmp_path):
    rec = er.read_record(V1_RECORD)
    assert rec["format"] == er.RECORD_FORMAT_V1
    code, out = run_verify(rec, tmp_path)
    assert code == 0, [c for c in out["checks"] if c["status"] == "FAIL"]
    rule = check(out, "rule")
    assert rule["status"] == "SKIP"
    assert rule["details"].startswith("not applicable: version 1 record: the decision rule is not fixed")
    assert "certificate covers the totals, not the outcome" in rule["details"]


def test_a_version_2_record_cannot_pass_as_version_1(records, tmp_path):
    """Relabelled v1 to skip the rule check: its v2 manifest (and outcome rule) give it away."""
    rec = copy.deepcopy(records["secret"])
    rec["format"] = er.RECORD_FORMAT_V1
    del rec["constitution"]
    code, out = run_verify(rec, tmp_path)
    assert code == 2  # unreadable as v1: its board entries name receipt heads
    assert "board[0] has unknown receipt_head" in out["error"]
    for entry in rec["board"]:
        del entry["receipt_head"]
    for head in rec["tree_heads"]:
        del head["previous"]
    code, out = run_verify(rec, tmp_path)
    assert code == 2  # still unreadable as v1: its outcome rule has v2's keys
    assert "outcome.rule has unknown abstentions, ties" in out["error"]
    rec["outcome"]["rule"] = {k: rec["outcome"]["rule"][k] for k in er.RULE_KEYS_V1}
    _fails(rec, tmp_path, "manifest", "which a dataguild-election-record-v1 record holds")


def test_client_scripts_are_bound_by_the_fingerprint_and_must_be_hashes(records, tmp_path):
    rec = copy.deepcopy(records["secret"])
    assert set(rec["manifest"]["client_scripts"]) >= {"js/ballot/encrypt.js", "vendor/noble/noble.js"}
    rec["manifest"]["client_scripts"]["js/ballot/encrypt.js"] = "0" * 64  # other code than voters were served
    _fails(rec, tmp_path, "manifest", "the fingerprint is not the manifest's hash")
    rec["manifest"]["client_scripts"]["js/ballot/encrypt.js"] = "not a hash"
    _fails(rec, tmp_path, "manifest", "client_scripts must map each script's path to its SHA-256")
