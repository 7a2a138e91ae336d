"""Proposals as the API shows them: the JSON of proposals, versions, amendments, comments and sponsors,
and the JSON Schemas (OpenAPI components) that describe exactly that JSON.

Every schema here is registered on the blueprint of :mod:`proposals.api`; each ``*_json`` function
answers what its schema says (nullable fields are typed ``[..., "null"]``, times are RFC 3339 strings).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from governance.constitution.rules import KINDS, KindRules
from governance.members.models import Member
from governance.sitecontext import as_utc
from proposals.models import Amendment, Comment, Proposal, ProposalState, ProposalVersion, Sponsorship
from proposals.transitions import shown_state

STATES = tuple(s.value for s in ProposalState)

_TIME = {"type": "string", "format": "date-time"}
_TIME_OR_NULL = {"type": ["string", "null"], "format": "date-time"}
_PERSON = {"$ref": "#/components/schemas/Person"}
_WINDOWS = ("discussion_started_at", "voting_opened_at", "voting_closes_at", "decided_at", "enacted_at")

SCHEMAS: dict[str, dict[str, Any]] = {
    "Person": {"type": "object", "required": ["id", "name"],
               "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}},
    "ProposalSummary": {
        "type": "object",
        "required": ["id", "kind", "title", "state", "author", "current_version", "sponsor_count", "created_at",
                     "updated_at", "voting_closes_at", "url"],
        "description": "A proposal as the list shows it; state is the state shown now (a vote whose window "
                       "ended is \"counting\").",
        "properties": {
            "id": {"type": "integer"}, "kind": {"type": "string", "enum": list(KINDS)},
            "title": {"type": "string"}, "state": {"type": "string", "enum": list(STATES)},
            "author": _PERSON, "current_version": {"type": "integer"}, "sponsor_count": {"type": "integer"},
            "created_at": _TIME, "updated_at": _TIME, "voting_closes_at": _TIME_OR_NULL,
            "url": {"type": "string", "description": "The proposal's page."}}},
    "ProposalVersion": {
        "type": "object",
        "required": ["number", "title", "summary", "body", "content_hash", "created_at", "created_by", "note",
                     "amendment_id"],
        "description": "One saved version (immutable); body is the kind's structured body (docs/proposals.md).",
        "properties": {
            "number": {"type": "integer"}, "title": {"type": "string"}, "summary": {"type": "string"},
            "body": {"type": "object"}, "content_hash": {"type": "string"}, "created_at": _TIME,
            "created_by": _PERSON, "note": {"type": "string"}, "amendment_id": {"type": ["integer", "null"]}}},
    "Amendment": {
        "type": "object",
        "required": ["id", "status", "base_version", "proposer", "title", "summary", "body", "rationale",
                     "created_at", "decided_at", "decision_reason", "resulting_version"],
        "properties": {
            "id": {"type": "integer"}, "status": {"type": "string",
                                                   "enum": ["open", "accepted", "declined", "withdrawn"]},
            "base_version": {"type": "integer"}, "proposer": _PERSON, "title": {"type": "string"},
            "summary": {"type": "string"}, "body": {"type": "object"}, "rationale": {"type": "string"},
            "created_at": _TIME, "decided_at": _TIME_OR_NULL, "decision_reason": {"type": "string"},
            "resulting_version": {"type": ["integer", "null"]}}},
    "Sponsor": {"type": "object", "required": ["member", "since"],
                "properties": {"member": _PERSON, "since": _TIME}},
    "Proposal": {
        "type": "object",
        "description": "A proposal with its latest content, every version and amendment, its sponsors, the "
                       "times of its lifecycle and the current rules of its kind.",
        "allOf": [{"$ref": "#/components/schemas/ProposalSummary"}],
        "required": ["summary", "body", "content_hash", "sponsors", "sponsors_needed", "windows", "rules",
                     "frozen_version", "voting_method", "outcome", "enactment_ref", "companion_id", "versions",
                     "amendments"],
        "properties": {
            "summary": {"type": "string"}, "body": {"type": "object"}, "content_hash": {"type": "string"},
            "sponsors": {"type": "array", "items": {"$ref": "#/components/schemas/Sponsor"}},
            "sponsors_needed": {"type": "integer"},
            "windows": {"type": "object", "required": list(_WINDOWS),
                        "properties": dict.fromkeys(_WINDOWS, _TIME_OR_NULL)},
            "rules": {"type": "object", "description": "The kind's rules in the constitution in force now.",
                      "required": ["method", "min_sponsors", "min_discussion_days", "voting_days",
                                   "quorum_percent"],
                      "properties": {"method": {"type": "string"}, "min_sponsors": {"type": "integer"},
                                     "min_discussion_days": {"type": "integer"},
                                     "voting_days": {"type": "integer"}, "quorum_percent": {"type": "integer"}}},
            "frozen_version": {"type": ["integer", "null"], "description": "The version voted on."},
            "voting_method": {"type": ["string", "null"]},
            "outcome": {"type": ["object", "null"]},
            "enactment_ref": {"type": ["string", "null"]},
            "companion_id": {"type": ["integer", "null"]},
            "versions": {"type": "array", "items": {"$ref": "#/components/schemas/ProposalVersion"},
                         "description": "Oldest first."},
            "amendments": {"type": "array", "items": {"$ref": "#/components/schemas/Amendment"},
                           "description": "Oldest first, open and decided."}}},
    "Comment": {
        "type": "object",
        "required": ["id", "parent_id", "author", "text", "created_at", "edited_at", "hidden", "hidden_reason"],
        "description": "A comment or a reply (parent_id: the top-level comment it answers). A comment a steward "
                       "hid has text null and the steward's reason.",
        "properties": {
            "id": {"type": "integer"}, "parent_id": {"type": ["integer", "null"]}, "author": _PERSON,
            "text": {"type": ["string", "null"]}, "created_at": _TIME, "edited_at": _TIME_OR_NULL,
            "hidden": {"type": "boolean"}, "hidden_reason": {"type": ["string", "null"]}}},
    "Sponsorship": {
        "type": "object", "required": ["proposal_id", "member", "since", "sponsor_count", "sponsors_needed"],
        "properties": {"proposal_id": {"type": "integer"}, "member": _PERSON, "since": _TIME,
                       "sponsor_count": {"type": "integer"}, "sponsors_needed": {"type": "integer"}}},
    "NewDraft": {
        "type": "object", "required": ["kind", "title", "body"], "additionalProperties": False,
        "description": "What the drafting page's form carries: the kind, title, summary and the kind's structured "
                       "body as JSON (the shapes of docs/proposals.md, as the form would build them).",
        "properties": {"kind": {"type": "string", "enum": list(KINDS)},
                       "title": {"type": "string", "maxLength": 200}, "summary": {"type": "string"},
                       "body": {"type": "object"}}},
    "DraftEdit": {
        "type": "object", "additionalProperties": False,
        "description": "A new version of a draft: the fields you send replace the latest version's, the others "
                       "are kept; note says what changed (optional).",
        "properties": {"title": {"type": "string", "maxLength": 200}, "summary": {"type": "string"},
                       "body": {"type": "object"}, "note": {"type": "string", "maxLength": 500}}},
    "NewComment": {
        "type": "object", "required": ["text"], "additionalProperties": False,
        "properties": {"text": {"type": "string", "maxLength": 10000},
                       "parent_id": {"type": ["integer", "null"],
                                     "description": "The comment this replies to (replies join its thread)."}}},
}


def when(value: datetime | None) -> str | None:
    return as_utc(value).isoformat() if value is not None else None


def person_json(member: Member) -> dict[str, Any]:
    return {"id": member.id, "name": member.name}


def summary_json(proposal: Proposal, *, now: datetime, base_url: str) -> dict[str, Any]:
    return {
        "id": proposal.id, "kind": proposal.kind, "title": proposal.latest.title,
        "state": shown_state(proposal, now).value, "author": person_json(proposal.author),
        "current_version": proposal.current_version, "sponsor_count": len(proposal.sponsorships),
        "created_at": when(proposal.created_at), "updated_at": when(proposal.updated_at),
        "voting_closes_at": when(proposal.voting_closes_at), "url": f"{base_url}/proposals/{proposal.id}",
    }


def version_json(version: ProposalVersion) -> dict[str, Any]:
    return {"number": version.number, "title": version.title, "summary": version.summary, "body": version.body,
            "content_hash": version.content_hash, "created_at": when(version.created_at),
            "created_by": person_json(version.created_by), "note": version.note,
            "amendment_id": version.amendment_id}


def amendment_json(amendment: Amendment) -> dict[str, Any]:
    return {"id": amendment.id, "status": str(amendment.status), "base_version": amendment.base_version,
            "proposer": person_json(amendment.proposer), "title": amendment.title, "summary": amendment.summary,
            "body": amendment.body, "rationale": amendment.rationale, "created_at": when(amendment.created_at),
            "decided_at": when(amendment.decided_at), "decision_reason": amendment.decision_reason,
            "resulting_version": amendment.resulting_version}


def sponsor_json(sponsorship: Sponsorship) -> dict[str, Any]:
    return {"member": person_json(sponsorship.member), "since": when(sponsorship.created_at)}


def proposal_json(proposal: Proposal, *, amendments: list[Amendment], rules: KindRules, now: datetime,
                  base_url: str) -> dict[str, Any]:
    latest = proposal.latest
    return {
        **summary_json(proposal, now=now, base_url=base_url),
        "summary": latest.summary, "body": latest.body, "content_hash": latest.content_hash,
        "sponsors": [sponsor_json(s) for s in proposal.sponsorships], "sponsors_needed": rules.min_sponsors,
        "windows": {"discussion_started_at": when(proposal.discussion_started_at),
                    "voting_opened_at": when(proposal.voting_opened_at),
                    "voting_closes_at": when(proposal.voting_closes_at), "decided_at": when(proposal.decided_at),
                    "enacted_at": when(proposal.enacted_at)},
        "rules": {"method": rules.method, "min_sponsors": rules.min_sponsors,
                  "min_discussion_days": rules.min_discussion_days, "voting_days": rules.voting_days,
                  "quorum_percent": rules.quorum_percent},
        "frozen_version": proposal.frozen_version, "voting_method": proposal.voting_method,
        "outcome": proposal.outcome, "enactment_ref": proposal.enactment_ref, "companion_id": proposal.companion_id,
        "versions": [version_json(v) for v in proposal.versions],
        "amendments": [amendment_json(a) for a in amendments],
    }


def comment_json(comment: Comment) -> dict[str, Any]:
    hidden = comment.hidden_at is not None
    return {"id": comment.id, "parent_id": comment.parent_id, "author": person_json(comment.author),
            "text": None if hidden else comment.text, "created_at": when(comment.created_at),
            "edited_at": when(comment.edited_at), "hidden": hidden,
            "hidden_reason": comment.hidden_reason if hidden else None}
