"""``/api/v1`` operations of elections: receipts (and, as they are added, manifests, boards and casting).

Thin views over :mod:`voting.elections.services`, :mod:`.board` and :mod:`.receipts`, each described and
guarded by :func:`governance.api.access.operation`. See docs/api.md.
"""

from __future__ import annotations

from flask import Response

from governance import db
from governance.api.access import json_body, ok, operation
from governance.api.problems import ApiProblem
from governance.api.spec import ApiBlueprint, Operation
from governance.security import csrf
from voting import VotingError
from voting.elections import receipts

bp = ApiBlueprint("elections_api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # session callers' CSRF header is checked by @operation

RECEIPT_CHECK = bp.schema("ReceiptCheck", {
    "type": "object", "required": ["status", "election_id", "fingerprint", "receipt", "checks", "notes"],
    "description": "Each check of a receipt against the board (docs/ballots.md, Checking a receipt).",
    "properties": {
        "status": {"type": "string", "enum": ["pass", "fail", "pending"]},
        "election_id": {"type": "integer"}, "fingerprint": {"type": "string"},
        "receipt": {"type": "object"},
        "checks": {"type": "array", "items": {"type": "object", "required": ["name", "title", "status"],
                                              "properties": {"name": {"type": "string"}, "title": {"type": "string"},
                                                             "status": {"type": "string"},
                                                             "explanation": {"type": "string"}}}},
        "tree_head": {"type": ["object", "null"]},
        "inclusion_proof": {"type": ["array", "null"], "items": {"type": "string"}},
        "notes": {"type": "array", "items": {"type": "string"}}}})
RECEIPT = bp.schema("Receipt", {"type": "object", "description": "A receipt as the site issued it (its JSON file)."})


@bp.post("/receipts/check")
@operation(Operation(
    summary="Check a ballot receipt against the election's board", tag="elections", scope=None,
    description="Public: anyone holding a receipt checks its signature, that its ballot is on the board, and "
                "that the head it names is in the board's chain. 422 when a check fails.",
    body=RECEIPT, responses={200: ("Every check passed (or is pending).", RECEIPT_CHECK),
                             422: ("A check failed.", RECEIPT_CHECK)}))
def check_receipt() -> tuple[Response, int]:
    data = json_body()
    try:
        result = receipts.check_receipt(db.session(), receipts.parse_receipt(data))
    except receipts.ReceiptUnreadable as exc:
        raise ApiProblem("invalid", exc.message) from exc
    except VotingError as exc:
        raise ApiProblem("unprocessable", exc.message) from exc
    return ok(result.to_json(), 422 if result.status == receipts.FAIL else 200)
