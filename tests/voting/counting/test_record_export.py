"""The election record export (voting/counting/record_export.py, voting/record/document.py): every part the
spec lists, in every state, for secret (k-of-n, with audited and superseded ballots) and open
elections; the record round-trips through the pure functions (fingerprint, roll hash, leaf hashes,
receipts, heads, tally, shares, certificate, outcome). Real database, ceremony, casting and counting."""

from __future__ import annotations

import copy
import json
import zipfile
from io import BytesIO

import pytest
from sqlalchemy import event

from proposals.models import Proposal, ProposalState
from proposals.outcome import VoteResult, decide_outcome, rules_at_opening
from tests.voting.record_scenarios import open_scenario, secret_scenario
from voting.counting import record_export
from voting.counting import services as counting
from voting.crypto import bls, merkle
from voting.crypto.ballot import EncryptedBallot, check_audited_ballot
from voting.crypto.elgamal import ElectionKey
from voting.crypto.group import Point
from voting.crypto.merkle import SignedTreeHead
from voting.elections.models import Election
from voting.record import canonical as record
from voting.record import document as er
from voting.record import tally


def _export(session, election: Election, **kw) -> dict:
    rec = record_export.election_record(session, election, **kw)
    data = er.record_bytes(rec)
    assert er.record_from_bytes(data) == rec  # canonical JSON round trip, shape checked
    return json.loads(data)


def _check_common(rec: dict, election: Election) -> None:
    """What every record must satisfy, recomputed with the pure functions only."""
    assert rec["format"] == er.RECORD_FORMAT
    assert list(rec) == sorted(er.TOP_LEVEL_KEYS)  # canonical order, every key present
    assert rec["election_id"] == election.id
    assert rec["manifest"] == election.manifest
    assert rec["fingerprint"] == record.manifest_fingerprint(rec["manifest"]) == election.fingerprint
    assert rec["keys"] == {"board_public_key": rec["manifest"]["board_public_key"],
                           "receipt_public_key": rec["manifest"]["receipt_public_key"]}
    assert record.roll_hash(rec["roll"]) == rec["manifest"]["roll"]["hash"]
    assert len(rec["roll"]) == rec["manifest"]["roll"]["size"] == len(set(rec["roll"]))
    assert [e["leaf_index"] for e in rec["board"]] == list(range(len(rec["board"])))
    log = merkle.MerkleLog()
    for entry in rec["board"]:
        assert entry["alias"] in rec["roll"]
        fields = er.leaf_fields(rec, entry)
        assert record.leaf_hash_hex(**fields) == entry["leaf_hash"]
        receipt = er.receipt_of(rec, entry)
        record.verify_receipt(receipt, rec["keys"]["receipt_public_key"])
        log.append_hash(bytes.fromhex(entry["leaf_hash"]))
    board_key = bls.BlsPublicKey.from_hex(rec["keys"]["board_public_key"])
    assert rec["tree_heads"], "every election has at least its creation head"
    for head in rec["tree_heads"]:
        assert head["fingerprint"] == rec["fingerprint"]
        assert head["signing_key"] == rec["keys"]["board_public_key"]
        assert log.root(head["size"]).hex() == head["root"]
        message = SignedTreeHead.signed_message(bytes.fromhex(rec["fingerprint"]), head["size"],
                                                bytes.fromhex(head["root"]), head["timestamp"],
                                                bytes.fromhex(head["previous"]))
        bls.verify(board_key, message, bls.BlsSignature.from_hex(head["signature"]))


def test_a_decided_secret_election_exports_everything_and_round_trips(db_session):
    scenario = secret_scenario(db_session)
    election = scenario.election
    rec = _export(db_session, election)
    _check_common(rec, election)
    assert rec["state"] == "decided"
    leaves = scenario.leaves
    board = rec["board"]
    assert len(board) == 5
    # Supersession and audit as posted.
    assert board[leaves["b-first"]]["superseded_by"] == leaves["b"]
    assert board[leaves["b-first"]]["superseded_at"] == board[leaves["b"]]["cast_at"]
    assert board[leaves["c-audit"]]["kind"] == "audited"
    assert board[leaves["c-audit"]]["superseded_by"] is None
    assert [e["superseded_by"] for i, e in enumerate(board) if i != leaves["b-first"]] == [None] * 4
    # Points are written uncompressed (65 bytes), hashes are over the compressed form.
    cast = board[leaves["a"]]["payload"]
    alpha = cast["answers"][0]["selections"][0]["ciphertext"][0]
    assert len(alpha) == 130
    assert alpha.startswith("04")
    stored = db_session.get(Election, election.id)
    assert er.hashed_payload("secret", "cast", cast) == counting.board_leaves(db_session, stored)[0].payload
    # The audited ballot reopens to the revealed choice.
    audited = board[leaves["c-audit"]]["payload"]
    key = ElectionKey(Point.from_hex(rec["manifest"]["election_key"]))
    assert check_audited_ballot(EncryptedBallot.from_json(audited["ballot"]), audited["reveal"], key) == [[0, 1, 0]]
    # The committee transcript: the ceremony of the manifest's committee, 2 of 3, no complaints.
    committee = rec["committee"]
    assert list(committee) == sorted(er.COMMITTEE_KEYS)
    assert committee["ceremony"] == {"fingerprint": rec["manifest"]["committee"]["ceremony_fingerprint"],
                                     "n": 3, "k": 2}
    assert committee["joint_key"] == rec["manifest"]["committee"]["joint_key"]
    assert len(committee["announcements"]) == len(committee["commitments"]) == len(committee["bls"]) == 3
    assert len(committee["encrypted_shares"]) == 6  # every dealer to every other trustee
    assert committee["complaints"] == []
    assert committee["disqualified"] == {}
    # The tally is the sum of the last cast of each alias; it recomputes from the board.
    counted = tally.counted_leaves(er.board_leaves(rec))
    assert [leaf.leaf_index for leaf in counted] == sorted([leaves["a"], leaves["b"], leaves["c"]])
    assert rec["tally"] == election.encrypted_tally
    recomputed = tally.tally_document(rec["fingerprint"], tally.specs_of(rec["manifest"]), counted,
                                      rec["tally"]["board_size"])
    assert recomputed == rec["tally"]
    # Decryptions: trustees 1 and 3, each proof holds, they combine to the result.
    assert [d["trustee_index"] for d in rec["decryptions"]] == [1, 3]
    joint = tally.joint_key_of_manifest(rec["manifest"])
    ciphertexts = tally.tally_from_document(rec["tally"])
    shares = {}
    for item in rec["decryptions"]:
        shares[item["trustee_index"]] = tally.parse_shares(item["shares"], [3])
        tally.verify_shares(joint, rec["fingerprint"], ciphertexts, shares[item["trustee_index"]],
                            item["trustee_index"])
        assert item["result_signature"] is not None
    assert tally.combine(joint, rec["fingerprint"], rec["tally"], shares) == rec["result"]["totals"] == [[2, 0, 1]]
    assert (rec["result"]["turnout"], rec["result"]["roll_size"]) == (3, 4)
    assert rec["certificate"]["signers"] == [1, 3]
    tally.verify_certificate(rec["manifest"], rec["result"], rec["certificate"])
    # The outcome: the rule applied, the inputs, the state; recomputed two ways.
    outcome = rec["outcome"]
    proposal = db_session.get(Proposal, election.proposal_id)
    rules = rules_at_opening(db_session, proposal)
    assert outcome["rule"]["quorum_percent"] == rules.quorum_percent
    assert (outcome["rule"]["threshold_numerator"], outcome["rule"]["threshold_denominator"]) == (1, 2)
    assert outcome["rule"]["constitution_version"] == proposal.constitution_version
    assert outcome["rule"]["constitution_snapshot_hash"] is not None
    assert outcome["record_hash"] == tally.result_hash(rec["result"]) == proposal.outcome["record_hash"]
    inputs = er.outcome_inputs(rec["manifest"], rec["result"], outcome["rule"]["alternatives"])
    assert inputs == outcome["inputs"]
    assert er.decide(outcome["rule"], inputs) == (outcome["state"], outcome["chosen_alternative"]) == ("adopted", None)
    assert ProposalState(proposal.state) == ProposalState.ADOPTED


def test_the_export_of_an_unchanged_election_is_byte_identical_and_uncompressed_is_optional(db_session):
    scenario = secret_scenario(db_session, sign=False)
    election = scenario.election
    first = er.record_bytes(record_export.election_record(db_session, election))
    assert er.record_bytes(record_export.election_record(db_session, election)) == first
    compressed = record_export.election_record(db_session, election, uncompressed_points=False)
    alpha = compressed["board"][0]["payload"]["answers"][0]["selections"][0]["ciphertext"][0]
    assert len(alpha) == 66
    # Same hashes either way: only the point encoding differs.
    rec = json.loads(first)
    assert [er.leaf_fields(rec, e)["payload"] for e in rec["board"]] == \
        [er.leaf_fields(compressed, e)["payload"] for e in compressed["board"]]
    # Not signed yet: the certificate has no signers, the decryptions no signatures.
    assert rec["certificate"]["signers"] == []
    assert rec["certificate"]["signature"] is None
    assert [d["result_signature"] for d in rec["decryptions"]] == [None, None]


def test_secret_election_while_open_and_while_tallying(db_session):
    scenario = secret_scenario(db_session, decide=False)
    election = scenario.election
    rec = _export(db_session, election)
    _check_common(rec, election)
    assert rec["state"] == "open"
    assert (rec["tally"], rec["result"], rec["certificate"], rec["outcome"]) == (None, None, None, None)
    assert rec["decryptions"] == []
    assert rec["committee"] is not None

    counting.close_election(db_session, election, now=counting_close(scenario))
    db_session.commit()
    rec = _export(db_session, election)
    _check_common(rec, election)
    assert rec["state"] == "tallying"
    assert rec["tally"]["ballots"] == 3
    assert rec["tally"]["board_size"] == 5
    assert rec["tree_heads"][-1]["size"] == 5  # the final head covers every ballot
    assert (rec["result"], rec["certificate"], rec["outcome"]) == (None, None, None)


def counting_close(scenario):
    from tests.voting.counting_helpers import after_close

    return after_close(scenario.setup)


def test_an_open_roll_call_record(db_session):
    scenario = open_scenario(db_session)
    election = scenario.election
    rec = _export(db_session, election)
    _check_common(rec, election)
    assert rec["state"] == "decided"
    assert rec["committee"] is None
    assert rec["tally"] is None
    assert rec["decryptions"] == []
    assert rec["manifest"]["secrecy"] == "open"
    assert rec["manifest"]["election_key"] is None
    assert [e["payload"]["choices"] for e in rec["board"]] == [[[1, 0, 0]], [[0, 1, 0]], [[1, 0, 0]], [[0, 0, 1]]]
    counted = tally.counted_leaves(er.board_leaves(rec))
    assert tally.open_totals(tally.specs_of(rec["manifest"]), counted) == rec["result"]["totals"] == [[2, 0, 1]]
    assert rec["certificate"]["kind"] == "cooperative"
    tally.verify_certificate(rec["manifest"], rec["result"], rec["certificate"])
    outcome = rec["outcome"]
    assert er.decide(outcome["rule"], er.outcome_inputs(rec["manifest"], rec["result"], 0))[0] == outcome["state"]


def test_a_cancelled_election_record(db_session):
    scenario = open_scenario(db_session, decide=False)
    election = scenario.election
    proposal = db_session.get(Proposal, election.proposal_id)
    proposal.state = ProposalState.CANCELLED
    db_session.commit()
    counting.close_election(db_session, election, now=counting_close(scenario))
    db_session.commit()
    rec = _export(db_session, election)
    _check_common(rec, election)
    assert rec["state"] == "cancelled"
    assert (rec["tally"], rec["result"], rec["certificate"], rec["outcome"]) == (None, None, None, None)
    assert rec["tree_heads"][-1]["size"] == len(rec["board"]) == 4


@pytest.mark.parametrize(("alternatives", "scores", "state"),
                         [(3, [1, 3, 2], ("adopted", 1)), (2, [2, 2], ("rejected", None)),
                          (2, [0, -1], ("rejected", None))])
def test_the_outcome_rule_agrees_with_the_proposals_rule(db_session, alternatives, scores, state):
    """election_record.decide is the constitution's rule restated without the site's code."""
    from governance.constitution.rules import DEFAULTS

    rules = DEFAULTS["payout_policy"]
    rule = {"quorum_percent": rules.quorum_percent, "threshold_numerator": 1, "threshold_denominator": 2,
            "alternatives": alternatives}
    result = VoteResult(electorate_size=4, turnout=3, scores=tuple(scores))
    decided, chosen = decide_outcome(rules, result, alternatives)
    assert (decided.value, chosen) == state == er.decide(rule, {**result.to_json(), "scores": scores})
    for yes, no, turnout in ((2, 1, 3), (1, 1, 3), (1, 0, 1), (0, 0, 0), (3, 1, 4)):
        for quorum in (0, 25, 100):
            yes_no = {**rule, "alternatives": 0, "quorum_percent": quorum, "threshold_numerator": 2,
                      "threshold_denominator": 3}
            mine = er.decide(yes_no, {"electorate_size": 4, "turnout": turnout, "yes": yes, "no": no})
            theirs = decide_outcome(rules.__class__(**{**rules.__dict__, "quorum_percent": quorum,
                                                       "threshold": __import__("fractions").Fraction(2, 3)}),
                                    VoteResult(electorate_size=4, turnout=turnout, yes=yes, no=no), 0)
            assert mine == (theirs[0].value, theirs[1])


def test_the_export_reads_the_board_in_a_fixed_number_of_queries(db_session, app):
    scenario = secret_scenario(db_session)
    election = scenario.election
    db_session.expire_all()
    statements: list[str] = []
    engine = app.extensions["dataguild_db"].engine

    def count(*args):
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        rec = record_export.election_record(db_session, db_session.get(Election, election.id))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(rec["board"]) == 5
    # One query for the board (whatever its size), one per other table: no query per entry or trustee.
    assert sum("FROM board_entries" in s for s in statements) == 1, statements
    assert sum("FROM ceremony_messages" in s for s in statements) == 1, statements
    assert sum("FROM decryption_shares" in s for s in statements) == 1, statements
    assert sum("FROM election_roll" in s and "board_entries" not in s for s in statements) == 1, statements
    assert len(statements) <= 30, statements


def test_reading_a_record_gives_clear_errors(db_session):
    scenario = open_scenario(db_session)
    rec = record_export.election_record(db_session, scenario.election)
    good = er.record_bytes(rec)
    assert er.record_from_bytes(er.zip_bytes(good)) == rec
    with zipfile.ZipFile(BytesIO(er.zip_bytes(good))) as archive:
        assert archive.namelist() == ["record.json"]
        assert archive.getinfo("record.json").compress_type == zipfile.ZIP_DEFLATED
    cases = [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe", "not UTF-8"),
        (b"[]", "must be a JSON object"),
        (good.replace(b'"turnout":3', b'"turnout":3.0'), "no floats"),
        (json.dumps({**rec, "format": "other"}).encode(), "unknown record format"),
        (json.dumps({k: v for k, v in rec.items() if k != "roll"}).encode(), "lacks roll"),
        (json.dumps({**rec, "extra": 1}).encode(), "has unknown extra"),
        (json.dumps({**rec, "state": "won"}).encode(), "state must be one of"),
        (json.dumps({**rec, "board": [{"leaf_index": 0}]}).encode(), r"board\[0\] lacks"),
        (b"PK\x03\x04garbage", "not a readable zip"),
    ]
    for data, message in cases:
        with pytest.raises(er.RecordError, match=message):
            er.record_from_bytes(data)


def test_build_record_refuses_parts_that_do_not_hang_together(db_session):
    scenario = open_scenario(db_session)
    rec = record_export.election_record(db_session, scenario.election)
    parts = {key: copy.deepcopy(rec[key]) for key in ("election_id", "manifest", "state", "exported_at", "roll",
                                                      "committee", "board", "tree_heads", "tally", "decryptions",
                                                      "result", "certificate", "outcome", "constitution")}
    assert er.build_record(**parts) == rec
    for change, message in [
        ({"roll": [*parts["roll"], "zzz"]}, "roll does not match"),
        ({"roll": list(reversed(parts["roll"]))}, "sorted"),
        ({"board": parts["board"][1:]}, "leaf index"),
        ({"state": "open"}, "has no result"),
        ({"result": None}, "needs its result"),
        ({"election_id": parts["election_id"] + 1}, "election"),
        ({"outcome": {**parts["outcome"], "record_hash": "0" * 64}}, "record hash"),
    ]:
        with pytest.raises(er.RecordError, match=message):
            er.build_record(**{**parts, **change})


@pytest.mark.parametrize(("method", "alternatives", "totals"), [
    ("one_member_one_vote", [], [3, 1, 2]),
    ("one_member_one_vote", ["A", "B", "C"], [1, 4, 0]),
    ("quadratic", [], [7, 9]),
    ("quadratic", ["A", "B"], [-3, 5]),
])
def test_outcome_inputs_map_totals_like_the_site(method, alternatives, totals):
    """election_record.outcome_inputs restates voting.counting.results.vote_result for every kind of ballot
    (and the legacy single net quadratic option)."""
    from voting.counting.results import vote_result
    from voting.crypto.ballot import QuadraticQuestion
    from voting.elections.services import questions_for

    cases = [questions_for("data_use_rule", method, alternatives, 100)]
    if method == "quadratic" and not alternatives:
        cases.append([QuadraticQuestion(("for",), 100, allow_negative=True)])  # elections before 2026-12-01
    for specs in cases:
        row = totals[:len(specs[0].options)]
        document = {"totals": [row], "turnout": 5, "roll_size": 9}
        manifest = {"method": method, "questions": [spec.to_json() for spec in specs]}
        site = vote_result(election_id=1, method=method, specs=specs, alternatives=len(alternatives),
                           document=document, record_hash="0" * 64).to_json()
        mine = er.outcome_inputs(manifest, document, len(alternatives))
        assert mine == {key: site[key] for key in mine}, specs


def test_a_ceremony_with_an_upheld_and_a_false_complaint_is_exported_and_recomputes(db_session):
    """The committee transcript of a ceremony where dealer 1 cheated (disqualified by trustee 2's upheld
    complaint) and trustee 3 falsely accused dealer 2: the joint key recomputes from the record alone."""
    from tests.conftest import make_member
    from tests.voting.committee_helpers import complaint_ceremony
    from tests.voting.counting_helpers import make_secret_election
    from voting.crypto import trustees as T

    steward = make_member(db_session, "ceremony-steward@example.org", roles=("member", "steward"))
    committee, _seats = complaint_ceremony(db_session, steward, "cx")
    setup = make_secret_election(db_session, committee, voters=2)
    db_session.commit()

    rec = _export(db_session, setup.election)
    _check_common(rec, setup.election)
    transcript = rec["committee"]
    assert [(c["complaint"]["dealer"], c["complaint"]["recipient"], c["dealer_at_fault"])
            for c in transcript["complaints"]] == [(1, 2, True), (2, 3, False)]
    assert "is valid" in transcript["complaints"][1]["verdict"]
    assert list(transcript["disqualified"]) == ["1"]
    assert transcript["disqualified"]["1"].startswith("upheld complaint of trustee 2")
    ceremony = T.Ceremony.from_json(transcript["ceremony"])
    roster = T.check_roster(ceremony, [T.Announcement.from_json(a) for a in transcript["announcements"]])
    joint = T.finalize_ceremony(ceremony, roster, [T.DealerCommitment.from_json(c) for c in transcript["commitments"]],
                                [T.EncryptedShare.from_json(s) for s in transcript["encrypted_shares"]],
                                [T.Complaint.from_json(c["complaint"]) for c in transcript["complaints"]])
    assert joint.to_json() == transcript["joint_key"] == rec["manifest"]["committee"]["joint_key"]
    assert joint.election_key().hex() == rec["manifest"]["election_key"]
    assert [t["index"] for t in rec["manifest"]["committee"]["trustees"]] == [2, 3]
    assert [b["index"] for b in transcript["bls"]] == [1, 2, 3]
