"""``/api/v1/policy`` and ``/api/v1/agreements``: the adopted policy versions and the agreements, for machines.

Public and read-only, like the JSON-LD exports they embed (:mod:`governance.policy.odrl.views`); each version
and agreement answer carries an ETag, so a pipeline polling for changes gets 304 until something changed.
The decision endpoint is ``POST /api/v1/policy/decide`` (governance.api.views). See docs/api.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Response, current_app, request
from sqlalchemy import select

from governance import db
from governance.api.access import CURSOR_PARAM, LIMIT_PARAM, ok, operation, query_int, with_etag
from governance.api.pagination import decode_cursor, page, page_schema
from governance.api.problems import ApiProblem
from governance.api.spec import ApiBlueprint, Operation, Param
from governance.policy.agreements import agreement_status, get_agreement
from governance.policy.models import Agreement, PolicyVersion
from governance.policy.odrl.agreement import agreement_document_of
from governance.policy.odrl.data_use import data_use_set_of
from governance.policy.odrl.payout import payout_policy_document_of
from governance.policy.services import (
    DATA_USE,
    PAYOUT,
    get_policy_version,
    list_policy_versions,
    rules_in_force_at,
)
from governance.security import csrf
from governance.sitecontext import as_utc, utcnow

bp = ApiBlueprint("policy_api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # read-only; session callers' CSRF header would be checked by @operation

#: The URL words of the two policy lines.
LINES = {"data-use": DATA_USE, "payout": PAYOUT}
_COMPILERS = {DATA_USE: data_use_set_of, PAYOUT: payout_policy_document_of}
_NULLABLE_STRING = {"type": ["string", "null"]}
_NULLABLE_INT = {"type": ["integer", "null"]}

VERSION = bp.schema("PolicyVersion", {
    "type": "object", "required": ["line", "number", "document_hash", "adopted_at", "document_url"],
    "properties": {
        "line": {"type": "string", "enum": list(LINES)}, "number": {"type": "integer"},
        "document_hash": {"type": "string"}, "previous_hash": _NULLABLE_STRING,
        "adopted_at": {"type": "string", "format": "date-time"}, "proposal_id": _NULLABLE_INT,
        "election_id": _NULLABLE_INT, "election_record_hash": _NULLABLE_STRING,
        "signature": _NULLABLE_STRING, "signing_key": _NULLABLE_STRING,
        "document_url": {"type": "string", "format": "uri"},
        "document": {"type": "object", "description": "The version's JSON-LD document (ODRL Set for data use)."}}})
VERSIONS = bp.schema("PolicyVersionPage", page_schema("PolicyVersion"))
AGREEMENT = bp.schema("Agreement", {
    "type": "object", "required": ["id", "counterparty", "status", "start_date", "end_date", "approved_at",
                                   "terms_hash", "document_url"],
    "properties": {
        "id": {"type": "integer"},
        "counterparty": {"type": "object", "properties": {"name": {"type": "string"},
                                                          "identifier": {"type": "string"}}},
        "status": {"type": "string", "enum": ["upcoming", "active", "expired", "suspended"]},
        "start_date": {"type": "string", "format": "date"}, "end_date": {"type": "string", "format": "date"},
        "approved_at": {"type": "string", "format": "date-time"}, "terms_hash": {"type": "string"},
        "record_hash": _NULLABLE_STRING, "proposal_id": _NULLABLE_INT, "election_id": _NULLABLE_INT,
        "suspended_at": _NULLABLE_STRING, "suspension_reason": {"type": "string"},
        "document_url": {"type": "string", "format": "uri"},
        "document": {"type": "object", "description": "The agreement's ODRL Agreement (JSON-LD)."}}})
AGREEMENTS = bp.schema("AgreementPage", page_schema("Agreement"))
LINE_TEXT = "The policy line: data-use (the ODRL Set of data-use rules) or payout."


def _base_url() -> str:
    return str(current_app.config["BASE_URL"]).rstrip("/")


def _iso(when: datetime | None) -> str | None:
    return as_utc(when).isoformat().replace("+00:00", "Z") if when is not None else None


def _version_json(version: PolicyVersion, *, document: bool) -> dict[str, Any]:
    word = next(w for w, line in LINES.items() if line == version.line)
    out: dict[str, Any] = {
        "line": word, "number": version.number, "document_hash": version.document_hash,
        "previous_hash": version.previous_hash, "adopted_at": _iso(version.adopted_at),
        "proposal_id": version.proposal_id, "election_id": version.election_id,
        "election_record_hash": version.election_record_hash, "signature": version.signature,
        "signing_key": version.signing_key,
        "document_url": f"{_base_url()}/policy/{word}/v{version.number}.jsonld"}
    if document:
        out["document"] = _COMPILERS[version.line](_base_url(), version)
    return out


def _agreement_json(agreement: Agreement, *, document: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": agreement.id,
        "counterparty": {"name": agreement.counterparty_name, "identifier": agreement.counterparty_identifier},
        "status": agreement_status(agreement, utcnow().date()),
        "start_date": agreement.start_date.isoformat(), "end_date": agreement.end_date.isoformat(),
        "approved_at": _iso(agreement.approved_at), "terms_hash": agreement.terms_hash,
        "record_hash": agreement.record_hash, "proposal_id": agreement.proposal_id,
        "election_id": agreement.election_id, "suspended_at": _iso(agreement.suspended_at),
        "suspension_reason": agreement.suspension_reason or "",
        "document_url": f"{_base_url()}/deals/{agreement.id}/agreement.jsonld"}
    if document:
        bound_by = rules_in_force_at(db.session(), agreement.approved_at)
        out["document"] = agreement_document_of(_base_url(), agreement, bound_by)
    return out


@bp.get("/policy/<any('data-use', 'payout'):line>/versions")
@operation(Operation(summary="The adopted versions of a policy line, newest first", tag="policy", scope=None,
                     params=(LIMIT_PARAM, CURSOR_PARAM), paginated=True,
                     responses={200: ("A page of versions (without their documents).", VERSIONS)}))
def versions(line: str) -> tuple[Response, int]:
    limit, after = query_int("limit", 20, low=1, high=100), decode_cursor(request.args.get("cursor"))
    rows = [v for v in list_policy_versions(db.session(), LINES[line]) if after is None or v.number < after]
    body, headers = page([_version_json(v, document=False) for v in rows[:limit + 1]],
                         [v.number for v in rows[:limit + 1]], limit)
    return ok(body, cache="no-cache", headers=headers)


@bp.get("/policy/<any('data-use', 'payout'):line>/versions/<int:number>")
@operation(Operation(summary="One version of a policy line, with its JSON-LD document", tag="policy", scope=None,
                     etag=True, responses={200: ("The version.", VERSION)}))
def version(line: str, number: int) -> Response:
    found = get_policy_version(db.session(), LINES[line], number)
    if found is None:
        raise ApiProblem("not-found", f"The {line} policy has no version {number}.")
    return with_etag(_version_json(found, document=True), cache="public, max-age=31536000, immutable")


@bp.get("/policy/<any('data-use', 'payout'):line>/in-force")
@operation(Operation(
    summary="The version of a policy line in force at a time (default: now)", tag="policy", scope=None,
    params=(Param("time", {"type": "string", "format": "date-time"},
                  "ISO 8601 with a time zone, e.g. 2027-03-01T12:00:00Z; default now."),),
    etag=True, responses={200: ("The version in force.", VERSION)}))
def in_force(line: str) -> Response:
    raw = request.args.get("time")
    when = utcnow()
    if raw:
        try:
            when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ApiProblem("invalid", "“time” is not an ISO 8601 time (e.g. 2027-03-01T12:00:00Z).",
                             field="time") from exc
        if when.tzinfo is None:
            raise ApiProblem("invalid", "“time” has no time zone; add Z for UTC.", field="time")
    rows = [v for v in list_policy_versions(db.session(), LINES[line]) if as_utc(v.adopted_at) <= when]
    if not rows:
        raise ApiProblem("not-found", f"No {line} policy was in force at {when.isoformat()}.")
    return with_etag(_version_json(max(rows, key=lambda v: v.number), document=True))


@bp.get("/agreements")
@operation(Operation(summary="The agreements approved by vote, newest first", tag="policy", scope=None,
                     params=(LIMIT_PARAM, CURSOR_PARAM), paginated=True,
                     responses={200: ("A page of agreements (without their documents).", AGREEMENTS)}))
def agreements() -> tuple[Response, int]:
    limit, after = query_int("limit", 20, low=1, high=100), decode_cursor(request.args.get("cursor"))
    query = select(Agreement).order_by(Agreement.id.desc()).limit(limit + 1)
    if after is not None:
        query = query.where(Agreement.id < after)
    rows = list(db.session().execute(query).scalars())
    body, headers = page([_agreement_json(a, document=False) for a in rows], [a.id for a in rows], limit)
    return ok(body, cache="no-cache", headers=headers)


@bp.get("/agreements/<int:agreement_id>")
@operation(Operation(summary="One agreement, with its ODRL document and its status today", tag="policy",
                     scope=None, etag=True, responses={200: ("The agreement.", AGREEMENT)}))
def agreement(agreement_id: int) -> Response:
    found = get_agreement(db.session(), agreement_id)
    if found is None:
        raise ApiProblem("not-found", f"There is no agreement {agreement_id}.")
    return with_etag(_agreement_json(found, document=True))
