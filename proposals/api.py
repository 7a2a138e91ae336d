"""``/api/v1`` operations of proposals: list, read, draft and edit, comment, co-sponsor, and the member's
notification settings.

The API twins of the pages in :mod:`proposals.views` and :mod:`proposals.views_discussion`: thin views
(load → authorize → call the same service → answer) that keep the pages' checks. A draft is visible only
to its author and the stewards (others get 404, as on the page); a refusal of a service answers as the
page does: 403 when the member lacks the role or relation, 409 when the proposal's state forbids it, 422
for anything else (with ``field`` naming the input at fault). Opening voting lives in voting's API.
See docs/api.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Response, current_app, request

from governance import db
from governance.api.access import (
    CURSOR_PARAM,
    LIMIT_PARAM,
    caller,
    json_body,
    ok,
    operation,
    query_choice,
    query_int,
    signed_in,
    with_etag,
)
from governance.api.pagination import decode_cursor, page, page_schema
from governance.api.problems import ApiProblem
from governance.api.spec import ApiBlueprint, Operation, Param
from governance.constitution.rules import KINDS
from governance.constitution.services import rules_for
from governance.security import csrf
from governance.sitecontext import utcnow
from proposals import notifications, services
from proposals.api_json import (
    SCHEMAS,
    STATES,
    comment_json,
    person_json,
    proposal_json,
    summary_json,
    when,
)
from proposals.discussion import list_amendments, list_comments
from proposals.errors import IllegalTransition, NotPermitted, ProposalError
from proposals.models import Comment, Proposal, ProposalState

bp = ApiBlueprint("proposals_api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # session callers' CSRF header is checked by @operation

for _name, _schema in SCHEMAS.items():
    bp.schema(_name, _schema)
PROPOSAL, COMMENT, SPONSORSHIP = "Proposal", "Comment", "Sponsorship"
PROPOSAL_PAGE = bp.schema("ProposalPage", page_schema("ProposalSummary"))
COMMENT_PAGE = bp.schema("CommentPage", page_schema("Comment"))
_TOPIC_FLAGS = {"type": "object", "additionalProperties": False,
                "properties": {topic: {"type": "boolean", "description": text}
                               for topic, text in notifications.TOPICS.items()}}
NOTIFICATIONS = bp.schema("NotificationSettings", {
    "type": "object", "required": ["settings", "topics"],
    "description": "Which mails about proposals you receive (each topic is on unless you turned it off).",
    "properties": {"settings": {**_TOPIC_FLAGS, "required": list(notifications.TOPICS)},
                   "topics": {"type": "object", "description": "What each topic is, in the settings page's words.",
                              "additionalProperties": {"type": "string"}}}})
NOTIFICATIONS_CHANGE = bp.schema("NotificationSettingsChange", {
    "type": "object", "required": ["settings"], "additionalProperties": False,
    "description": "The topics to set; topics you leave out keep their setting.",
    "properties": {"settings": _TOPIC_FLAGS}})

#: The fields of a proposal's content that a service names in its errors; any other name is a body path.
_TEXT_FIELDS = frozenset({"kind", "title", "summary", "note", "text"})
_PROPOSAL_ID = "There is no such proposal, or it is a draft only its author and the stewards can see."


# ---------------------------------------------------------------- loading, refusals, reading bodies


def _base_url() -> str:
    return str(current_app.config["BASE_URL"]).rstrip("/")


def _load(proposal_id: int) -> Proposal:
    """The proposal, or 404 when it does not exist *or* is a draft the caller may not see (as on its page)."""
    proposal = db.session().get(Proposal, proposal_id)
    if proposal is None or not services.can_view(proposal, caller().member):
        raise ApiProblem("not-found", _PROPOSAL_ID)
    return proposal


def _refusal(exc: ProposalError, *, body_paths: bool = False) -> ApiProblem:
    """A service's refusal as a problem, with the status the page answers it with."""
    code = ("forbidden" if isinstance(exc, NotPermitted) else
            "conflict" if isinstance(exc, IllegalTransition) else "unprocessable")
    fields = [name if name in _TEXT_FIELDS or not body_paths else ("body." + name if name else "body")
              for name in exc.errors]
    detail = exc.message
    if exc.errors:
        detail += " " + " ".join(f"{field}: {message}" for field, message in zip(fields, exc.errors.values(),
                                                                               strict=True))
    return ApiProblem(code, detail, field=fields[0] if fields else None)


def _take(data: dict[str, Any], *, required: tuple[str, ...] = (), optional: tuple[str, ...] = ()) -> None:
    """Refuse a body missing a required field or carrying one this operation does not know (a typo)."""
    for name in sorted(data):
        if name not in required and name not in optional:
            raise ApiProblem("invalid", f"Unknown field “{name}”; this operation takes "
                                        f"{', '.join(required + optional)}.", field=name)
    for name in required:
        if name not in data:
            raise ApiProblem("invalid", f"“{name}” is required.", field=name)


def _string(data: dict[str, Any], name: str, default: str = "") -> str:
    value = data.get(name, default)
    if not isinstance(value, str):
        raise ApiProblem("invalid", f"“{name}” must be a string.", field=name)
    return value


def _object(data: dict[str, Any], name: str, default: dict[str, Any]) -> dict[str, Any]:
    value = data.get(name, default)
    if not isinstance(value, dict):
        raise ApiProblem("invalid", f"“{name}” must be a JSON object (the structured body of the proposal's "
                                    "kind, docs/proposals.md).", field=name)
    return value


def _query_bool(name: str) -> bool:
    raw = request.args.get(name)
    if raw is not None and raw not in ("true", "false"):
        raise ApiProblem("invalid", f"“{name}” must be true or false.", field=name)
    return raw == "true"


def _detail(proposal: Proposal, now: datetime) -> dict[str, Any]:
    session = db.session()
    return proposal_json(proposal, amendments=list_amendments(session, proposal),
                         rules=rules_for(session, proposal.kind), now=now, base_url=_base_url())


# ---------------------------------------------------------------- list and read


@bp.get("/proposals")
@operation(Operation(
    summary="List proposals", tag="proposals", scope="read", paginated=True,
    description="Newest first (by id). Drafts are listed only for their author and the stewards, as on the "
                "list page. state filters by the state shown now (a vote whose window ended is \"counting\"); "
                "q matches the title, the summary or \"#id\".",
    params=(Param("kind", {"type": "string", "enum": ["", *KINDS]}, "Only proposals of this kind (empty: all)."),
            Param("state", {"type": "string", "enum": ["", *STATES]},
                  "Only proposals in this state (empty: any)."),
            Param("q", {"type": "string", "maxLength": 200}, "Text in the title or summary, or #id."),
            Param("mine", {"type": "boolean"}, "Only proposals you wrote or co-sponsor."),
            LIMIT_PARAM, CURSOR_PARAM),
    responses={200: ("A page of proposals.", PROPOSAL_PAGE)}))
def list_proposals() -> tuple[Response, int]:
    viewer = signed_in()
    kind, state = query_choice("kind", tuple(KINDS)), query_choice("state", STATES)
    text = request.args.get("q", "").strip()
    if len(text) > 200:
        raise ApiProblem("invalid", "“q” must be at most 200 characters.", field="q")
    mine, limit = _query_bool("mine"), query_int("limit", 20, low=1, high=100)
    after = decode_cursor(request.args.get("cursor"))
    now = utcnow()
    found = services.list_proposals(db.session(), viewer=viewer, kind=kind, state=state, mine=mine,
                                    query=text or None, now=now)
    # The list page orders by latest activity, which moves; pages of the API need a key that does not.
    ordered = sorted((p for p in found if after is None or p.id < after), key=lambda p: p.id, reverse=True)
    chosen = ordered[:limit + 1]
    body, headers = page([summary_json(p, now=now, base_url=_base_url()) for p in chosen],
                         [p.id for p in chosen], limit)
    return ok(body, headers=headers)


@bp.get("/proposals/<int:proposal_id>")
@operation(Operation(
    summary="Read a proposal with its versions and amendments", tag="proposals", scope="read", etag=True,
    description="404 for a draft you may not see (only its author and the stewards can).",
    responses={200: ("The proposal.", PROPOSAL)}))
def read_proposal(proposal_id: int) -> Response:
    return with_etag(_detail(_load(proposal_id), utcnow()))


# ---------------------------------------------------------------- drafting


@bp.post("/proposals")
@operation(Operation(
    summary="Create a draft", tag="proposals", scope="draft", body="NewDraft",
    description="A private draft (version 1), seen only by you and the stewards until you publish it on its "
                "page. Needs the member or steward role. 422 lists every error of the content; field names "
                "the first (body paths as body.changes.0.rule.id).",
    responses={201: ("The new draft.", PROPOSAL)}, problems=(422,),
    headers={201: {"Location": "The draft's address in the API."}}))
def create_draft() -> tuple[Response, int]:
    data = json_body()
    _take(data, required=("kind", "title", "body"), optional=("summary",))
    kind, title, summary = _string(data, "kind"), _string(data, "title"), _string(data, "summary")
    body = _object(data, "body", {})
    session, now = db.session(), utcnow()
    try:
        proposal = services.create_draft(session, actor=signed_in(), kind=kind, title=title, summary=summary,
                                         body=body, now=now)
    except ProposalError as exc:
        raise _refusal(exc, body_paths=True) from exc
    session.commit()
    response, status = ok(_detail(proposal, now), 201)
    response.headers["Location"] = f"{_base_url()}/api/v1/proposals/{proposal.id}"
    return response, status


@bp.patch("/proposals/<int:proposal_id>")
@operation(Operation(
    summary="Edit a draft (a new version)", tag="proposals", scope="draft", body="DraftEdit",
    description="Only drafts are edited, by their author or a steward (409 once published: members then "
                "propose amendments on the page). 422 when the content has errors or nothing changed.",
    responses={200: ("The draft with its new version.", PROPOSAL)}, problems=(409, 422)))
def edit_draft(proposal_id: int) -> tuple[Response, int]:
    proposal = _load(proposal_id)   # an unknown or hidden proposal is 404 whatever the body says
    data = json_body()
    _take(data, optional=("title", "summary", "body", "note"))
    viewer, session, now = signed_in(), db.session(), utcnow()
    if proposal.state != ProposalState.DRAFT:
        raise ApiProblem("conflict", "This proposal is no longer a draft, so it cannot be edited; members change "
                                     "it by proposing amendments.")
    if not services.can_edit(proposal, viewer):
        raise ApiProblem("forbidden", "Only the author and the stewards may edit this draft.")
    latest = proposal.latest
    try:
        services.save_version(session, proposal, actor=viewer, title=_string(data, "title", latest.title),
                              summary=_string(data, "summary", latest.summary),
                              body=_object(data, "body", latest.body), note=_string(data, "note"), now=now)
    except ProposalError as exc:
        raise _refusal(exc, body_paths=True) from exc
    session.commit()
    return ok(_detail(proposal, now))


# ---------------------------------------------------------------- discussion and sponsors


@bp.get("/proposals/<int:proposal_id>/comments")
@operation(Operation(
    summary="Read the discussion", tag="proposals", scope="read", paginated=True, params=(LIMIT_PARAM, CURSOR_PARAM),
    description="Comments and replies in the order they were posted; a reply's parent_id names its thread.",
    responses={200: ("A page of comments.", COMMENT_PAGE)}))
def list_discussion(proposal_id: int) -> tuple[Response, int]:
    limit = query_int("limit", 20, low=1, high=100)
    after = decode_cursor(request.args.get("cursor"))
    proposal = _load(proposal_id)
    rows = list_comments(db.session(), proposal, after=after, limit=limit + 1)
    body, headers = page([comment_json(c) for c in rows], [c.id for c in rows], limit)
    return ok(body, headers=headers)


@bp.post("/proposals/<int:proposal_id>/comments")
@operation(Operation(
    summary="Comment, or reply to a comment", tag="proposals", scope="draft", body="NewComment",
    description="Needs the member role; open while the proposal is in discussion or voting (409 otherwise).",
    responses={201: ("The comment.", COMMENT)}, problems=(409, 422)))
def add_comment(proposal_id: int) -> tuple[Response, int]:
    proposal = _load(proposal_id)   # an unknown or hidden proposal is 404 whatever the body says
    data = json_body()
    _take(data, required=("text",), optional=("parent_id",))
    text, parent_id = _string(data, "text"), data.get("parent_id")
    if parent_id is not None and (not isinstance(parent_id, int) or isinstance(parent_id, bool)):
        raise ApiProblem("invalid", "“parent_id” must be the id of a comment, or null.", field="parent_id")
    session, now = db.session(), utcnow()
    if parent_id is not None:
        parent = session.get(Comment, parent_id)
        if parent is None or parent.proposal_id != proposal.id:
            raise ApiProblem("unprocessable", "The comment you reply to is not part of this proposal.",
                             field="parent_id")
    try:
        comment = services.add_comment(session, proposal, actor=signed_in(), text=text, parent_id=parent_id,
                                       now=now)
    except ProposalError as exc:
        raise _refusal(exc) from exc
    session.commit()
    return ok(comment_json(comment), 201)


@bp.post("/proposals/<int:proposal_id>/sponsors")
@operation(Operation(
    summary="Co-sponsor a proposal", tag="proposals", scope="draft",
    description="Needs the member role; while the proposal is in discussion (409 otherwise); not your own "
                "proposal (403); once (422 the second time).",
    responses={201: ("You co-sponsor the proposal.", SPONSORSHIP)}, problems=(409, 422)))
def sponsor(proposal_id: int) -> tuple[Response, int]:
    session, now = db.session(), utcnow()
    proposal = _load(proposal_id)
    try:
        row = services.sponsor(session, proposal, actor=signed_in(), now=now)
    except ProposalError as exc:
        raise _refusal(exc) from exc
    session.commit()
    return ok({"proposal_id": proposal.id, "member": person_json(row.member),
               "since": when(row.created_at), "sponsor_count": len(proposal.sponsorships),
               "sponsors_needed": rules_for(session, proposal.kind).min_sponsors}, 201)


# ---------------------------------------------------------------- notification settings


def _settings() -> dict[str, Any]:
    return {"settings": notifications.preferences(db.session(), signed_in()), "topics": dict(notifications.TOPICS)}


@bp.get("/me/notifications")
@operation(Operation(
    summary="Your notification settings", tag="member", scope="read",
    responses={200: ("Each topic, on or off.", NOTIFICATIONS)}))
def notification_settings() -> tuple[Response, int]:
    return ok(_settings())


@bp.put("/me/notifications")
@operation(Operation(
    summary="Change your notification settings", tag="member", scope="draft", body=NOTIFICATIONS_CHANGE,
    description="Turn topics on (true) or off (false); topics you leave out keep their setting.",
    responses={200: ("Your settings now.", NOTIFICATIONS)}))
def change_notification_settings() -> tuple[Response, int]:
    data = json_body()
    _take(data, required=("settings",))
    chosen = data["settings"]
    if not isinstance(chosen, dict):
        raise ApiProblem("invalid", "“settings” must be an object of topic → true or false.", field="settings")
    for topic, enabled in chosen.items():
        if topic not in notifications.TOPICS:
            raise ApiProblem("invalid", f"Unknown topic “{topic}”; the topics are {', '.join(notifications.TOPICS)}.",
                             field=f"settings.{topic}")
        if not isinstance(enabled, bool):
            raise ApiProblem("invalid", f"“{topic}” must be true or false.", field=f"settings.{topic}")
    notifications.set_preferences(db.session(), signed_in(), chosen, now=utcnow())
    db.session().commit()
    return ok(_settings())
