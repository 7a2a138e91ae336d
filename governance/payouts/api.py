"""``/api/v1/payouts``: a member's own payout lines and statements; stewards read whole statements.

The same services and role checks as the payout pages (:mod:`governance.payouts.views`): members (and
stewards/admins) read statements and their own lines; only stewards and admins see every member's line.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request
from sqlalchemy import select

from governance import db
from governance.api.access import CURSOR_PARAM, LIMIT_PARAM, caller, ok, operation, query_int, signed_in
from governance.api.pagination import decode_cursor, page, page_schema
from governance.api.problems import ApiProblem
from governance.api.spec import ApiBlueprint, Operation
from governance.members.models import Member, Role
from governance.payouts.csv_import import payout_alias
from governance.payouts.models import PayoutLine, PayoutStatement
from governance.payouts.services import can_manage, member_lines, own_line, statement_intact, statement_lines
from governance.payouts.statement import money
from governance.security import csrf
from governance.sitecontext import as_utc

bp = ApiBlueprint("payouts_api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # read-only; session callers' CSRF header would be checked by @operation

_AMOUNT = {"type": "object", "required": ["cents", "text"],
           "properties": {"cents": {"type": "integer"}, "text": {"type": "string"}}}
LINE = bp.schema("PayoutLine", {
    "type": "object", "required": ["statement_id", "amount", "explanation"],
    "properties": {"statement_id": {"type": "integer"}, "alias": {"type": "string"},
                   "member": {"type": "object", "description": "Stewards only: whose line it is.",
                              "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}},
                   "amount": _AMOUNT, "contribution": {"type": ["string", "null"]},
                   "explanation": {"type": "string"},
                   "period_start": {"type": "string", "format": "date"},
                   "period_end": {"type": "string", "format": "date"}, "currency": {"type": "string"}}})
LINES = bp.schema("PayoutLineList", {"type": "object", "required": ["items"],
                                     "properties": {"items": {"type": "array",
                                                              "items": {"$ref": "#/components/schemas/PayoutLine"}}}})
STATEMENT = bp.schema("PayoutStatement", {
    "type": "object", "required": ["id", "period_start", "period_end", "currency", "document_hash", "intact"],
    "properties": {
        "id": {"type": "integer"}, "period_start": {"type": "string", "format": "date"},
        "period_end": {"type": "string", "format": "date"}, "currency": {"type": "string"},
        "policy_version": {"type": "integer"}, "policy_document_hash": {"type": "string"},
        "revenue": _AMOUNT, "reserve": _AMOUNT, "operating_cost": _AMOUNT, "distributable": _AMOUNT,
        "distributed": _AMOUNT, "document_hash": {"type": "string"},
        "intact": {"type": "boolean", "description": "The stored document still hashes to document_hash."},
        "computed_at": {"type": "string", "format": "date-time"},
        "own_line": {"oneOf": [{"$ref": "#/components/schemas/PayoutLine"}, {"type": "null"}]},
        "lines": {"type": "array", "description": "Stewards only: every member's line.",
                  "items": {"$ref": "#/components/schemas/PayoutLine"}},
        "document": {"type": "object"}}})
STATEMENTS = bp.schema("PayoutStatementPage", page_schema("PayoutStatement"))


def _reader() -> Member:
    member = signed_in()
    if not (can_manage(member) or member.has_role(Role.MEMBER)):
        raise ApiProblem("forbidden", "Payouts are for the members of the cooperative.")
    return member


def _amount(cents: int, currency: str) -> dict[str, Any]:
    return {"cents": cents, "text": f"{currency} {money(cents)}"}


def _line(line: PayoutLine, statement: PayoutStatement, member: Member | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "statement_id": statement.id, "alias": payout_alias(line.member_id),
        "amount": _amount(line.amount_cents, statement.currency), "contribution": line.contribution,
        "explanation": line.explanation, "period_start": statement.period_start.isoformat(),
        "period_end": statement.period_end.isoformat(), "currency": statement.currency}
    if member is not None:
        out["member"] = {"id": member.id, "name": member.name}
    return out


def _statement(statement: PayoutStatement, *, viewer: Member, full: bool) -> dict[str, Any]:
    c = statement.currency
    out: dict[str, Any] = {
        "id": statement.id, "period_start": statement.period_start.isoformat(),
        "period_end": statement.period_end.isoformat(), "currency": c,
        "policy_version": statement.policy_version_number, "policy_document_hash": statement.policy_document_hash,
        "revenue": _amount(statement.revenue_cents, c), "reserve": _amount(statement.reserve_cents, c),
        "operating_cost": _amount(statement.operating_cost_cents, c),
        "distributable": _amount(statement.distributable_cents, c),
        "distributed": _amount(statement.distributed_cents, c), "document_hash": statement.document_hash,
        "intact": statement_intact(statement), "computed_at": as_utc(statement.computed_at).isoformat()}
    if full:
        session = db.session()
        mine = own_line(session, statement, viewer)
        out["own_line"] = _line(mine, statement) if mine is not None else None
        out["document"] = statement.document
        if can_manage(viewer) and caller().may("steward"):
            out["lines"] = [_line(line, statement, member) for line, member in statement_lines(session, statement)]
    return out


@bp.get("/payouts/mine")
@operation(Operation(summary="Your own payout lines, newest statement first", tag="payouts", scope="read",
                     responses={200: ("Your lines.", LINES)}))
def mine() -> tuple[Response, int]:
    member = _reader()
    return ok({"items": [_line(line, statement) for line, statement in member_lines(db.session(), member)]})


@bp.get("/payouts/statements")
@operation(Operation(summary="Payout statements, newest first", tag="payouts", scope="read",
                     params=(LIMIT_PARAM, CURSOR_PARAM), paginated=True,
                     responses={200: ("A page of statements (totals only).", STATEMENTS)}))
def statements() -> tuple[Response, int]:
    member = _reader()
    limit, after = query_int("limit", 20, low=1, high=100), decode_cursor(request.args.get("cursor"))
    query = select(PayoutStatement).order_by(PayoutStatement.id.desc()).limit(limit + 1)
    if after is not None:
        query = query.where(PayoutStatement.id < after)
    rows = list(db.session().execute(query).scalars())
    body, headers = page([_statement(s, viewer=member, full=False) for s in rows], [s.id for s in rows], limit)
    return ok(body, headers=headers)


@bp.get("/payouts/statements/<int:statement_id>")
@operation(Operation(
    summary="One payout statement: totals, its document, your own line, and (stewards) every line",
    tag="payouts", scope="read",
    description="Every member's line is included only for a steward or admin calling with a session or a "
                "token holding the steward scope.",
    responses={200: ("The statement.", STATEMENT)}))
def statement(statement_id: int) -> tuple[Response, int]:
    member = _reader()
    found = db.session().get(PayoutStatement, statement_id)
    if found is None:
        raise ApiProblem("not-found", "There is no payout statement with that number.")
    return ok(_statement(found, viewer=member, full=True))
