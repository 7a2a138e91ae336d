"""``/api/v1`` operations of counting: an election's result with its certificate, and its public record.

Thin views over :mod:`voting.counting.services` and the record export the pages use (``result.json``,
``record.json``), each described and guarded by :func:`governance.api.access.operation`. Both are public, like
their pages. See docs/api.md and docs/record-spec.md.
"""

from __future__ import annotations

import json

from flask import Response

from governance import db
from governance.api.access import ok, operation, with_etag
from governance.api.problems import ApiProblem
from governance.api.spec import ApiBlueprint, Operation
from governance.security import csrf
from governance.sitecontext import as_utc, utcnow
from proposals.models import Proposal
from voting.counting import services as counting
from voting.counting.record_views import record_file
from voting.counting.views import certificate_verified
from voting.elections.models import Election, ElectionState
from voting.record import canonical as record
from voting.record import tally

bp = ApiBlueprint("counting_api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # session callers' CSRF header is checked by @operation

TAG = "elections"
HEX64 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}

RESULT = bp.schema("ElectionResult", {
    "type": "object",
    "required": ["election_id", "proposal_id", "fingerprint", "state", "decided_at", "result", "certificate",
                 "certificate_verified", "record_hash", "outcome", "decryptions"],
    "description": "A decided election's result (totals per option, turnout, roll size; docs/record-spec.md §5.11), "
                   "its certificate (the trustees' aggregate BLS signature over the result message, or for an "
                   "open roll call the cooperative's), and the proposal's outcome.",
    "properties": {
        "election_id": {"type": "integer"}, "proposal_id": {"type": "integer"}, "fingerprint": HEX64,
        "state": {"type": "string", "enum": ["decided"]},
        "decided_at": {"type": ["string", "null"], "description": "UTC, to the second."},
        "result": {"type": "object"},
        "certificate": {"type": ["object", "null"], "description": "docs/record-spec.md §5.11."},
        "certificate_verified": {"type": ["boolean", "null"],
                                 "description": "This site checked the certificate against the manifest's keys."},
        "record_hash": {**HEX64, "description": "SHA-256 of the result message (docs/record-spec.md §9)."},
        "outcome": {"type": ["string", "null"], "description": "The proposal's state the result gave."},
        "decryptions": {"type": "array", "description": "The trustees' decryption shares (secret ballots).",
                        "items": {"type": "object", "required": ["trustee_index", "shares", "result_signature"],
                                  "properties": {"trustee_index": {"type": "integer"},
                                                 "shares": {"type": "array"},
                                                 "result_signature": {"type": ["string", "null"]}}}}}})
RECORD = bp.schema("ElectionRecord", {
    "type": "object", "required": ["format", "election_id", "state", "manifest", "fingerprint", "board", "tree_heads"],
    "description": "The election record (docs/record-spec.md): the same document as record.json, whose RFC 8785 "
                   "canonical bytes dataguild-verify checks (their SHA-256 is the X-Record-SHA256 header)."})


def _load(election_id: int) -> tuple[Election, Proposal]:
    election = db.session().get(Election, election_id)
    if election is None:
        raise ApiProblem("not-found", f"There is no election #{election_id}.")
    proposal = db.session().get(Proposal, election.proposal_id)
    assert proposal is not None  # a foreign key
    return election, proposal


def _not_yet(election: Election) -> ApiProblem:
    state = ElectionState(election.state)
    if state == ElectionState.CANCELLED:
        return ApiProblem("conflict", "This election was closed uncounted: its proposal was cancelled during "
                                      "voting, so it has no result.")
    if state == ElectionState.TALLYING:
        shares, needed = len(counting.share_records(db.session(), election)), counting.threshold(election)
        progress = (f"{shares} of the {needed} trustees' decryptions needed are in" if needed
                    else "the trustees' decryptions are not all in yet")
        return ApiProblem("conflict", f"Voting is closed and the encrypted tally is posted; {progress}. The result "
                                      "is published once they are in.")
    closes = record.iso_seconds(election.closes_at)
    if as_utc(utcnow()) >= as_utc(election.closes_at):
        return ApiProblem("conflict", f"Voting ended at {closes}; the result is published once the election is "
                                      "closed and counted.")
    return ApiProblem("conflict", f"Voting is open until {closes}; the result is published once the election is "
                                  "closed and counted.")


@bp.get("/elections/<int:election_id>/result")
@operation(Operation(
    summary="An election's result, outcome and certificate", tag=TAG, scope=None,
    description="Public once the election is decided (as result.json); 409 before (open, tallying, or closed "
                "uncounted because the proposal was cancelled), with what is still missing.",
    problems=(409,), responses={200: ("The decided result.", RESULT)}))
def result(election_id: int) -> tuple[Response, int]:
    election, proposal = _load(election_id)
    if election.state != ElectionState.DECIDED or election.result is None:
        raise _not_yet(election)
    records = counting.share_records(db.session(), election)
    return ok({
        "election_id": election.id, "proposal_id": proposal.id, "fingerprint": election.fingerprint,
        "state": ElectionState(election.state).value,
        "decided_at": record.iso_seconds(election.decided_at) if election.decided_at else None,
        "result": election.result, "certificate": election.result_certificate,
        "certificate_verified": certificate_verified(election),
        "record_hash": tally.result_hash(election.result),
        "outcome": (proposal.outcome or {}).get("state"),
        "decryptions": [{"trustee_index": r.trustee_index, "shares": r.shares,
                         "result_signature": r.result_signature} for r in records],
    })


@bp.get("/elections/<int:election_id>/record")
@operation(Operation(
    summary="The public election record", tag=TAG, scope=None,
    description="Public in every state (open: the board so far; docs/record-spec.md §2): the same document as "
                "record.json. Re-encode it with RFC 8785 to get record.json's bytes (X-Record-SHA256 is their "
                "SHA-256), or download those bytes from /elections/{id}/record.json. With an ETag: send it in "
                "If-None-Match to get 304 while the record is unchanged.",
    etag=True, responses={200: ("The record.", RECORD)},
    headers={200: {"X-Record-SHA256": "SHA-256 (hex) of the record's canonical bytes, as record.json serves "
                                      "them and dataguild-verify reads them."}}))
def election_record(election_id: int) -> Response:
    election, _proposal = _load(election_id)
    data, digest = record_file(db.session(), election, zipped=False)
    response = with_etag(json.loads(data))
    response.headers["X-Record-SHA256"] = digest
    return response
