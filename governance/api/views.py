"""``/api/v1``: the OpenAPI description and its reference page, and the decision API.

Views are thin (load → authorize → call the service → answer); each runs through
:func:`governance.api.access.operation`, which authenticates and documents it. The other areas' operations
live beside their pages (``proposals/api.py``, ``voting/elections/api.py``, ...). See docs/api.md.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify, render_template

from governance import db
from governance.api.access import json_body, ok, operation
from governance.api.problems import PROBLEMS, ApiProblem
from governance.api.services import SCOPES
from governance.api.spec import ApiBlueprint, Operation, openapi_document
from governance.policy.decisions.request import BadDecisionRequest
from governance.policy.decisions.services import decide_request
from governance.security import csrf
from governance.sitecontext import SiteSettings

bp = ApiBlueprint("api", __name__, url_prefix="/api/v1")
# Token requests carry no cookie and cannot be forged cross-site; session requests are checked for the
# X-CSRFToken header by the operation decorator, so the automatic form check is off here.
csrf.exempt(bp)

DECISION = bp.schema("Decision", {
    "type": "object", "required": ["decision", "permitted", "time", "request", "rules", "duties", "reasons",
                                   "policies", "explanation"],
    "description": "The answer to one question; docs/policy.md (Decision API) explains every field.",
    "properties": {
        "decision": {"type": "string", "enum": ["permit", "deny", "not_applicable"]},
        "permitted": {"type": "boolean"},
        "time": {"type": "string", "format": "date-time"},
        "request": {"type": "object"},
        "rules": {"type": "array", "items": {"type": "string"}},
        "duties": {"type": "array", "items": {"type": "object"}},
        "reasons": {"type": "array", "items": {"type": "object"}},
        "excluded_actions": {"type": "array", "items": {"type": "object"}},
        "policies": {"type": "array", "items": {"type": "object"}},
        "explanation": {"type": "array", "items": {"type": "string"}},
    }})
DECISION_REQUEST = bp.schema("DecisionRequest", {
    "type": "object", "required": ["party", "action", "dataset", "purpose", "time"],
    "properties": {"party": {"type": "string"}, "action": {"type": "string"}, "dataset": {"type": "string"},
                   "purpose": {"type": "string"}, "time": {"type": "string"},
                   "cohort_size": {"type": "integer", "minimum": 1}, "region": {"type": "string"},
                   "party_category": {"type": "string",
                                      "enum": ["academic", "nonprofit", "public_body", "commercial"]}},
    "additionalProperties": False})


def _base_url() -> str:
    return SiteSettings.from_config(current_app.config).base_url


@bp.get("/openapi.json")
def openapi_json() -> Response:
    response = jsonify(openapi_document(current_app, server_url=_base_url()))
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/docs")
def reference() -> str:
    document = openapi_document(current_app, server_url=_base_url())
    return render_template("api/reference.html", document=document, operations=_operations_by_tag(document),
                           problems=PROBLEMS, scopes=SCOPES)


def _operations_by_tag(document: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    tags: dict[str, list[dict[str, Any]]] = {}
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            scopes = [s for entry in op.get("security", []) for s in entry.get("bearerAuth", [])]
            tags.setdefault(op["tags"][0], []).append({"method": method.upper(), "path": path, "op": op,
                                                       "scope": scopes[0] if scopes else None})
    return tags


@bp.post("/policy/decide")
@operation(Operation(
    summary="Decide whether a party may use a dataset for a purpose at a time", tag="policy", scope=None,
    description="Public and read-only: permit, deny or not_applicable, with the rules, duties and reasons "
                "(docs/policy.md, Decision API). not_applicable must be treated as a refusal.",
    body=DECISION_REQUEST, responses={200: ("The decision.", DECISION)}))
def policy_decide() -> tuple[Response, int]:
    data = json_body()
    try:
        decision = decide_request(db.session(), data, base_url=_base_url())
    except BadDecisionRequest as exc:
        raise ApiProblem("invalid", exc.message, field=exc.field or None) from exc
    # The answer depends on the time asked about and on versions adopted later: never reuse it.
    return ok(decision.to_json())
