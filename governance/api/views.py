"""``POST /api/v1/policy/decide``: the decision API for counterparties' pipelines, connectors and auditors.

JSON in, JSON out; public and stateless (it reads no session cookie, so it is exempt from CSRF).
Load → call the service → render: the service reads only. Errors are JSON too:
``{"error": {"status", "title", "message", "field"}}`` with 400 for a bad request and 415 for a body that is
not declared as JSON. See docs/policy.md ("Decision API").
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from governance import db
from governance.policy.decisions.request import BadDecisionRequest
from governance.policy.decisions.services import decide_request
from governance.security import csrf
from governance.sitecontext import SiteSettings

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # a JSON API without cookies: a forged cross-site form cannot send application/json


#: The same error shape as the site's other JSON errors (governance.pages.views), plus ``field``.
ERROR_TITLES = {400: "The request could not be understood", 415: "The request is not JSON"}


def _error(status: int, message: str, field: str | None = None) -> tuple[Response, int]:
    response = jsonify({"error": {"status": status, "title": ERROR_TITLES[status], "message": message,
                                  "field": field}})
    response.headers["Cache-Control"] = "no-store"
    return response, status


@bp.post("/policy/decide")
def policy_decide() -> tuple[Response, int]:
    if not request.is_json:
        return _error(415, "Send the request as JSON with the header Content-Type: application/json.")
    try:
        data: Any = json.loads(request.get_data(as_text=True))
    except ValueError:
        return _error(400, "The request body is not valid JSON.")
    base_url = SiteSettings.from_config(current_app.config).base_url
    try:
        decision = decide_request(db.session(), data, base_url=base_url)
    except BadDecisionRequest as exc:
        return _error(400, exc.message, exc.field or None)
    response = jsonify(decision.to_json())
    # The answer depends on the time asked about and on versions adopted later: never reuse it.
    response.headers["Cache-Control"] = "no-store"
    return response, 200
