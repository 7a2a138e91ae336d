"""``/api/v1`` operations of elections: the manifest, the roll, the board and its signed heads, inclusion and
consistency proofs, casting and auditing encrypted ballots, receipts, and (stewards) opening an election.

Thin views over :mod:`voting.elections.services`, :mod:`.board`, :mod:`.casting`, :mod:`.receipts` and
:mod:`.panel` — the services the pages use — each described and guarded by
:func:`governance.api.access.operation`. What anyone may read on the election pages is public here too; only
the caller's own place on the roll needs a session or a token with the scope read or vote. See docs/api.md.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, current_app, request, url_for
from sqlalchemy.orm import Session

from governance import db
from governance.api.access import (
    CURSOR_PARAM,
    LIMIT_PARAM,
    caller,
    json_body,
    ok,
    operation,
    query_int,
    signed_in,
)
from governance.api.pagination import decode_cursor, page
from governance.api.problems import ApiProblem
from governance.api.spec import MAX_ID, ApiBlueprint, Operation, Param
from governance.security import csrf
from governance.sitecontext import utcnow
from proposals.access import can_view
from proposals.errors import IllegalTransition, ProposalError
from proposals.errors import NotPermitted as ProposalNotPermitted
from proposals.models import Proposal
from voting import NotOnRoll, NotPermitted, StaleBallot, VotingError, WindowClosed
from voting.elections import api_schemas as schemas
from voting.elections import board, receipts
from voting.elections import services as elections
from voting.elections.casting import (
    PLAIN_CHOICES_REFUSED,
    PlainChoicesRefused,
    audit_ballot,
    cast_ballot,
)
from voting.elections.models import Election, ElectionState, Secrecy, TreeHead
from voting.elections.panel import current_cast, open_election
from voting.record import canonical as record

bp = ApiBlueprint("elections_api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # session callers' CSRF header is checked by @operation

TAG = "elections"
RECEIPT_CHECK = bp.schema("ReceiptCheck", schemas.RECEIPT_CHECK)
RECEIPT = bp.schema("Receipt", {"type": "object", "description": "A receipt as the site issued it (its JSON file)."})
ELECTION = bp.schema("Election", schemas.ELECTION)
ROLL = bp.schema("Roll", schemas.ROLL)
bp.schema("BoardLeaf", schemas.BOARD_LEAF)
BOARD_PAGE = bp.schema("BoardPage", schemas.board_page())
bp.schema("TreeHead", schemas.TREE_HEAD)
HEADS = bp.schema("TreeHeads", schemas.HEADS)
INCLUSION = bp.schema("InclusionProof", schemas.INCLUSION)
CONSISTENCY = bp.schema("ConsistencyProof", schemas.CONSISTENCY)
CAST_BODY = bp.schema("CastBallot", schemas.CAST_BODY)
CAST = bp.schema("CastReceipt", schemas.CAST)
AUDIT_BODY = bp.schema("AuditBallot", schemas.AUDIT_BODY)
AUDIT = bp.schema("AuditReceipt", schemas.AUDIT)
OPEN_BODY = bp.schema("OpenElection", schemas.OPEN_ELECTION_BODY)

API_ONLY_ENCRYPTED = ("This election is an open roll call: its ballots are not encrypted, and the API casts "
                      "encrypted ballots only. Vote on the ballot page.")


# ---------------------------------------------------------------- loading and answering


def session() -> Session:
    return db.session()


def load_election(election_id: int) -> Election:
    election = session().get(Election, election_id)
    if election is None:
        raise ApiProblem("not-found", f"There is no election #{election_id}.")
    return election


def refusal(exc: VotingError | ProposalError) -> ApiProblem:
    """The problem for a service's refusal, with the statuses the pages answer (docs/ballots.md)."""
    field = next(iter(exc.errors), None) or None
    field = "committee_id" if field == "committee" else field
    if isinstance(exc, PlainChoicesRefused):
        return ApiProblem("invalid", exc.message, field="ballot")
    if isinstance(exc, NotOnRoll | NotPermitted | ProposalNotPermitted):
        return ApiProblem("forbidden", exc.message)
    if isinstance(exc, WindowClosed | StaleBallot | IllegalTransition):
        return ApiProblem("conflict", exc.message, field=field)
    return ApiProblem("unprocessable", exc.message, field=field)


def head_json(election: Election, head: TreeHead) -> dict[str, Any]:
    return {**board.head_json(election, head), "hash": board.head_hash(election, head)}


def election_json(election: Election) -> dict[str, Any]:
    db_session = session()
    counts = board.board_counts(db_session, election)
    latest = board.latest_head(db_session, election)
    return {
        "election_id": election.id, "proposal_id": election.proposal_id, "fingerprint": election.fingerprint,
        "state": ElectionState(election.state).value, "secrecy": Secrecy(election.secrecy).value,
        "method": election.method, "opens_at": record.iso_seconds(election.opens_at),
        "closes_at": record.iso_seconds(election.closes_at),
        "window_open": election.state == ElectionState.OPEN and elections.window_open(election, utcnow()),
        "roll_size": election.roll_size, "roll_hash": election.roll_hash,
        "board": {"size": counts["casts"] + counts["audited"], **counts},
        "latest_head": head_json(election, latest) if latest is not None else None,
        "manifest": election.manifest,
    }


def signed_head(election: Election, size: int, name: str) -> TreeHead:
    head = board.head_of_size(session(), election, size)
    if head is None:
        raise ApiProblem("not-found", f"No signed tree head of size {size}: “{name}” must be the size of one of "
                                      "the heads /heads lists.", field=name)
    return head


def required_size(name: str) -> int:
    size = query_int(name, -1, low=0, high=MAX_ID)
    if size < 0:
        raise ApiProblem("invalid", f"“{name}” is required: the size of a signed tree head.", field=name)
    return size


def encrypted_ballot_body(election: Election) -> dict[str, Any]:
    """The body of a cast or an audit: an encrypted ballot only (the page's refusals, in the same words)."""
    data = json_body()
    if "choices" in data:
        raise ApiProblem("invalid", PLAIN_CHOICES_REFUSED, field="choices")
    if election.secrecy != Secrecy.SECRET:
        raise ApiProblem("unprocessable", API_ONLY_ENCRYPTED)
    return data


# ---------------------------------------------------------------- reading an election


ELECTION_ID = "the election's number"


@bp.get("/elections/<int:election_id>")
@operation(Operation(
    summary="An election: manifest, fingerprint, state and window", tag=TAG, scope=None,
    description="Public, like the election page. The fingerprint is the SHA-256 of the manifest's RFC 8785 "
                "canonical bytes: a voter's device recomputes it (and compares it with the one announced) before "
                "encrypting. /elections/{id}/manifest.json serves those bytes themselves.",
    responses={200: ("The election.", ELECTION)}))
def election_detail(election_id: int) -> tuple[Response, int]:
    return ok(election_json(load_election(election_id)))


@bp.get("/elections/<int:election_id>/roll")
@operation(Operation(
    summary="The frozen roll's size and hash, and your own alias on it", tag=TAG, scope=None,
    description="Public: the roll's size and hash (docs/elections.md; the aliases themselves are in roll.json "
                "and the record). With a session, or a token holding the scope read or vote, `you` says whether "
                "you are on the roll, your alias (your pseudonym on the board), your count of casts (what a cast "
                "sends as expected_previous) and the leaf of the ballot that counts now; nobody else's.",
    responses={200: ("The roll.", ROLL)}))
def roll(election_id: int) -> tuple[Response, int]:
    election = load_election(election_id)
    who = caller()
    you = None
    if who.may("read") or who.may("vote"):
        entry = elections.roll_entry_of(session(), election, who.member)
        counts_now = current_cast(session(), election, who.member) if entry is not None else None
        you = {"on_roll": entry is not None, "alias": entry.alias if entry else None,
               "ballots_cast": entry.ballots_cast if entry else None,
               "current_leaf_index": counts_now.leaf_index if counts_now is not None else None}
    return ok({"election_id": election.id, "fingerprint": election.fingerprint, "size": election.roll_size,
               "roll_hash": election.roll_hash, "you": you})


@bp.get("/elections/<int:election_id>/board")
@operation(Operation(
    summary="The bulletin board's leaves, in leaf order", tag=TAG, scope=None,
    description="Public, like board.json: each entry with what is needed to recompute its leaf hash "
                "(docs/record-spec.md §5.7). Cursor-paginated by leaf index.",
    params=(LIMIT_PARAM, CURSOR_PARAM), paginated=True, responses={200: ("A page of leaves.", BOARD_PAGE)}))
def board_leaves(election_id: int) -> tuple[Response, int]:
    election = load_election(election_id)
    limit = query_int("limit", 20, low=1, high=100)
    after = decode_cursor(request.args.get("cursor"))
    rows = board.board_entries(session(), election, after=after, limit=limit + 1)
    body, headers = page([board.entry_json(election, entry, alias) for entry, alias in rows],
                         [entry.leaf_index for entry, _alias in rows], limit)
    body.update({"election_id": election.id, "fingerprint": election.fingerprint,
                 "size": board.board_size(session(), election)})
    return ok(body, headers=headers)


@bp.get("/elections/<int:election_id>/heads")
@operation(Operation(
    summary="The board's signed tree heads", tag=TAG, scope=None,
    description="Public, like heads.json: every head, oldest first, BLS-signed with the manifest's "
                "board_public_key, each with the RFC 9162 consistency proof from the head before it.",
    responses={200: ("The heads.", HEADS)}))
def heads(election_id: int) -> tuple[Response, int]:
    election = load_election(election_id)
    signed = board.tree_heads(session(), election)
    log = board.merkle_log(session(), election)
    listed = [{**head_json(election, head), "consistency_from_previous":
               [h.hex() for h in log.consistency_proof(signed[i - 1].size if i else 0, head.size)]}
              for i, head in enumerate(signed)]
    return ok({"election_id": election.id, "fingerprint": election.fingerprint,
               "board_public_key": election.manifest["board_public_key"], "heads": listed})


SIZE_PARAM = Param("size", {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                   "The size of the signed head to prove against (default: the latest head).")


@bp.get("/elections/<int:election_id>/board/<int:leaf_index>/proof")
@operation(Operation(
    summary="Inclusion proof of a leaf in a signed tree head", tag=TAG, scope=None,
    description="Public. RFC 9162 §2.1.3: the audit path from the leaf hash to the root of the signed head of "
                "`size` leaves (default: the latest). 404 for no such leaf or head; 409 while no signed head "
                "covers the leaf yet (the next one is signed as the board grows, and at close); 422 when the "
                "head asked for is older than the leaf.",
    params=(SIZE_PARAM,), problems=(409, 422), responses={200: ("The proof.", INCLUSION)}))
def inclusion_proof(election_id: int, leaf_index: int) -> tuple[Response, int]:
    election = load_election(election_id)
    entry = board.entry_by_index(session(), election, leaf_index)
    if entry is None:
        raise ApiProblem("not-found", f"The board of election #{election.id} has no leaf {leaf_index}.")
    size = query_int("size", 0, low=1, high=MAX_ID)
    if size:
        head = signed_head(election, size, "size")
        if leaf_index >= head.size:
            raise ApiProblem("unprocessable", f"The head of size {head.size} does not cover leaf {leaf_index}; "
                                              "ask for a later head.", field="size")
    else:
        latest = board.head_covering(session(), election, leaf_index)
        if latest is None:
            raise ApiProblem("conflict", f"No signed tree head covers leaf {leaf_index} yet; it will be covered "
                                         "by the next head (signed as the board grows, and at close).")
        head = latest
    proof = board.inclusion_proof(session(), election, leaf_index, head.size)
    return ok({"election_id": election.id, "fingerprint": election.fingerprint, "leaf_index": leaf_index,
               "leaf_hash": entry.leaf_hash, "tree_size": head.size, "tree_head": head_json(election, head),
               "proof": proof})


@bp.get("/elections/<int:election_id>/consistency")
@operation(Operation(
    summary="Consistency proof between two signed tree heads", tag=TAG, scope=None,
    description="Public. RFC 9162 §2.1.4: the proof that the signed head of `second` leaves extends the signed "
                "head of `first` leaves (both sizes of heads /heads lists; first ≤ second; empty when first is "
                "0 or equals second). 404 when no head has that size, 422 when first > second.",
    params=(Param("first", {"type": "integer", "minimum": 0, "maximum": MAX_ID}, "The earlier head's size.",
                  required=True),
            Param("second", {"type": "integer", "minimum": 0, "maximum": MAX_ID}, "The later head's size.",
                  required=True)),
    problems=(422,), responses={200: ("The proof.", CONSISTENCY)}))
def consistency_proof(election_id: int) -> tuple[Response, int]:
    election = load_election(election_id)
    first_size, second_size = required_size("first"), required_size("second")
    if first_size > second_size:
        raise ApiProblem("unprocessable", "“first” must not be larger than “second”.", field="first")
    first, second = signed_head(election, first_size, "first"), signed_head(election, second_size, "second")
    proof = board.consistency_proof(session(), election, first.size, second.size)
    return ok({"election_id": election.id, "fingerprint": election.fingerprint,
               "first": head_json(election, first), "second": head_json(election, second), "proof": proof})


# ---------------------------------------------------------------- casting and auditing


@bp.post("/elections/<int:election_id>/ballots")
@operation(Operation(
    summary="Cast an encrypted ballot", tag=TAG, scope="vote",
    description="The ballot as the voter's device encrypted it (voting.elections.client, or the ballot page's "
                "script), verified like ballot.json: 201 with the signed receipt (check it with "
                "POST /receipts/check). Refused: plain choices (400); not on the roll (403); the window is "
                "closed, or expected_previous is not your count of casts — a second cast of the same ballot "
                "or from another tab (409); a ballot that is unreadable, another election's, already on the "
                "board, or whose proofs fail, and any ballot of an open roll call (422). A later cast with "
                "your new count replaces your ballot (the last one counts).",
    body=CAST_BODY, problems=(409, 422),
    responses={201: ("Cast: the receipt.", CAST)},
    headers={201: {"Location": "The receipt's public JSON (/elections/{id}/receipts/{tracking code}.json)."}}))
def cast(election_id: int) -> tuple[Response, int]:
    election = load_election(election_id)
    data = encrypted_ballot_body(election)
    db_session = session()
    try:
        result = cast_ballot(db_session, election, signed_in(), ballot=data.get("ballot"),
                             expected_previous=data.get("expected_previous"), now=utcnow())
    except VotingError as exc:
        raise refusal(exc) from exc
    db_session.commit()
    entry = result.entry
    receipt_url = url_for("ballots.receipt_json", election_id=election.id, tracking_code=entry.tracking_code)
    response, status = ok({"receipt": result.receipt.to_json(), "tracking_code": entry.tracking_code,
                           "leaf_index": entry.leaf_index, "replaced": result.replaced,
                           "receipt_url": receipt_url}, 201)
    response.headers["Location"] = receipt_url
    return response, status


@bp.post("/elections/<int:election_id>/audits")
@operation(Operation(
    summary="Audit an encrypted ballot (cast-or-audit; never counted)", tag=TAG, scope="vote",
    description="Posts the ballot with its randomness revealed, as the ballot page's audit does "
                "(docs/ballots.md, Cast-or-audit): the server checks the proofs and that the reveal reopens the "
                "ballot, and answers what it encrypts. Never counted; your count of casts is unchanged. Refused "
                "like a cast: 400 plain choices, 403 not on the roll, 409 window closed, 422 a ballot or reveal "
                "that does not verify, or an open roll call.",
    body=AUDIT_BODY, problems=(409, 422), responses={201: ("Audited: the receipt and the revealed choices.", AUDIT)},
    headers={201: {"Location": "The audited ballot's public JSON, for dataguild-verify --audited."}}))
def audit(election_id: int) -> tuple[Response, int]:
    election = load_election(election_id)
    data = encrypted_ballot_body(election)
    db_session = session()
    try:
        result = audit_ballot(db_session, election, signed_in(), ballot=data.get("ballot"),
                              reveal=data.get("reveal"), now=utcnow())
    except VotingError as exc:
        raise refusal(exc) from exc
    db_session.commit()
    entry = result.entry
    audited_url = url_for("ballots.audited_json", election_id=election.id, tracking_code=entry.tracking_code)
    response, status = ok({"receipt": result.receipt.to_json(), "tracking_code": entry.tracking_code,
                           "leaf_index": entry.leaf_index, "choices": result.choices, "audited_url": audited_url},
                          201)
    response.headers["Location"] = audited_url
    return response, status


@bp.post("/receipts/check")
@operation(Operation(
    summary="Check a ballot receipt against the election's board", tag=TAG, scope=None,
    description="Public: anyone holding a receipt checks its signature, that its ballot is on the board, and "
                "that the head it names is in the board's chain. 422 when a check fails.",
    body=RECEIPT, responses={200: ("Every check passed (or is pending).", RECEIPT_CHECK),
                             422: ("A check failed.", RECEIPT_CHECK)}))
def check_receipt() -> tuple[Response, int]:
    data = json_body()
    try:
        result = receipts.check_receipt(session(), receipts.parse_receipt(data))
    except receipts.ReceiptUnreadable as exc:
        raise ApiProblem("invalid", exc.message) from exc
    except VotingError as exc:
        raise ApiProblem("unprocessable", exc.message) from exc
    return ok(result.to_json(), 422 if result.status == receipts.FAIL else 200)


# ---------------------------------------------------------------- opening an election (stewards)


def closes_at_of(data: dict[str, Any]) -> datetime | None:
    value = data.get("closes_at")
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
        if moment is not None:
            moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        moment = None
    if moment is None:
        raise ApiProblem("invalid", "“closes_at” must be an ISO 8601 date and time, e.g. 2030-01-31T18:00:00Z.",
                         field="closes_at")
    return moment


@bp.post("/proposals/<int:proposal_id>/election")
@operation(Operation(
    summary="Open voting on a proposal (stewards)", tag=TAG, scope="steward",
    description="As the steward's form on the proposal page: opens the vote (freezes the version; the blockers "
                "of docs/proposals.md apply) and creates its election (freezes the roll, fixes the manifest) in one "
                "transaction — a refusal keeps neither. A secret ballot needs a ready trustee committee. 201 with "
                "the election; 403 not a steward; 409 the proposal is not in discussion; 422 a blocker, no ready "
                "committee, or a closing time in the past.",
    body=OPEN_BODY, problems=(409, 422), responses={201: ("Voting is open: the election.", ELECTION)},
    headers={201: {"Location": "The election (/api/v1/elections/{id})."}}))
def open_voting(proposal_id: int) -> tuple[Response, int]:
    member, db_session = signed_in(), session()
    proposal = db_session.get(Proposal, proposal_id)
    if proposal is None or not can_view(proposal, member):
        raise ApiProblem("not-found", f"There is no proposal #{proposal_id}, or it is a draft only its author "
                                      "can see.")
    data = json_body()
    secrecy = data.get("secrecy")
    if secrecy not in (Secrecy.SECRET.value, Secrecy.OPEN.value):
        raise ApiProblem("invalid", "“secrecy” must be secret or open.", field="secrecy")
    committee_id = data.get("committee_id")
    if committee_id is not None and (not isinstance(committee_id, int) or isinstance(committee_id, bool)):
        raise ApiProblem("invalid", "“committee_id” must be a committee's number, or null.", field="committee_id")
    closes_at = closes_at_of(data)
    try:
        election = open_election(db_session, proposal, actor=member, now=utcnow(), secrecy=secrecy,
                                 committee_id=committee_id, closes_at=closes_at,
                                 base_url=current_app.config["BASE_URL"],
                                 cooperative_name=current_app.config.get("COOPERATIVE_NAME"))
    except (ProposalError, VotingError) as exc:
        raise refusal(exc) from exc
    db_session.commit()
    response, status = ok(election_json(election), 201)
    response.headers["Location"] = url_for(".election_detail", election_id=election.id)
    return response, status
