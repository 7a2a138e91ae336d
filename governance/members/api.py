"""``/api/v1/me``: the calling member's own profile (and, for a token, what it may do)."""

from __future__ import annotations

from flask import Response

from governance.api.access import caller, ok, operation, signed_in
from governance.api.spec import ApiBlueprint, Operation
from governance.security import csrf
from governance.sitecontext import as_utc

bp = ApiBlueprint("members_api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # session callers' CSRF header is checked by @operation

PROFILE = bp.schema("Profile", {
    "type": "object", "required": ["id", "name", "email", "roles", "status", "token"],
    "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "email": {"type": "string"},
        "roles": {"type": "array", "items": {"type": "string",
                                             "enum": ["member", "steward", "trustee", "observer", "admin"]}},
        "status": {"type": "string"},
        "joined_at": {"type": ["string", "null"], "format": "date-time"},
        "token": {"type": ["object", "null"], "description": "The token this request used (null: a session).",
                  "properties": {"id": {"type": "integer"}, "label": {"type": "string"},
                                 "scopes": {"type": "array", "items": {"type": "string"}},
                                 "expires_at": {"type": ["string", "null"], "format": "date-time"}}}}})


@bp.get("/me")
@operation(Operation(summary="Your profile, roles and the token you called with", tag="member", scope="read",
                     responses={200: ("The calling member.", PROFILE)}))
def me() -> tuple[Response, int]:
    member, token = signed_in(), caller().token
    return ok({
        "id": member.id, "name": member.name, "email": member.email,
        "roles": sorted(r.value for r in member.role_names), "status": member.status.value,
        "joined_at": as_utc(member.joined_at).isoformat() if member.joined_at else None,
        "token": None if token is None else {
            "id": token.id, "label": token.label, "scopes": token.scopes.split(),
            "expires_at": as_utc(token.expires_at).isoformat() if token.expires_at else None},
    })
