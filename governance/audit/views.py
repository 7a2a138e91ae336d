"""The public audit log: ``/audit`` (HTML) and ``/audit.json`` (or ``Accept: application/json``)."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template, request, url_for

from governance.audit.actions import describe_action
from governance.audit.chain import timestamp, utc
from governance.audit.models import GENESIS_HASH, AuditEntry
from governance.audit.services import ChainStatus, chain_status, count_entries, list_entries
from governance.db import session

bp = Blueprint("audit", __name__)

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 500
HASH_SPEC = {
    "algorithm": "sha256",
    "genesis_prev_hash": GENESIS_HASH,
    "entry_hash": "hex(SHA-256(ascii(prev_hash) || canonical_json(payload)))",
    "payload_fields": ["seq", "created_at", "actor_id", "actor_label", "action", "subject_type",
                       "subject_id", "details"],
    "canonical_json": "sorted keys, separators ',' and ':', UTF-8, non-ASCII unescaped",
    "created_at": "UTC, YYYY-MM-DDTHH:MM:SS.ffffffZ",
}


class BadQuery(ValueError):
    pass


def _int_arg(name: str, default: int, low: int, high: int | None = None) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit():
        raise BadQuery(f"The '{name}' parameter must be a whole number, not {raw!r}")
    value = int(raw)
    if value < low or (high is not None and value > high):
        raise BadQuery(f"The '{name}' parameter must be between {low} and {high}" if high is not None
                       else f"The '{name}' parameter must be {low} or more")
    return value


def _wants_json(force: bool) -> bool:
    if force or request.args.get("format") == "json":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def _entry_json(e: AuditEntry) -> dict[str, Any]:
    return {"seq": e.seq, "created_at": timestamp(e.created_at), "actor_id": e.actor_id,
            "actor_label": e.actor_label, "action": e.action, "action_text": describe_action(e.action),
            "subject_type": e.subject_type, "subject_id": e.subject_id, "details": e.details,
            "prev_hash": e.prev_hash, "entry_hash": e.entry_hash}


def _status_json(status: ChainStatus) -> dict[str, Any]:
    return {"intact": status.intact, "entries": status.entries, "head_seq": status.head_seq,
            "head_hash": status.head_hash,
            "breaks": [{"seq": b.seq, "reason": b.reason} for b in status.breaks]}


def _detail_text(value: Any) -> str:
    """Readable text for a detail value: objects as ``key: value, ...``, lists joined with ``; ``."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_detail_text(v)}" for k, v in sorted(value.items()))
    if isinstance(value, list):
        return "; ".join(_detail_text(v) for v in value) or "(none)"
    return json.dumps(value)


def _detail_rows(details: Any) -> list[tuple[str, str]]:
    if not isinstance(details, dict):  # only an edited row can hold anything else; show it as it is
        return [("(not an object)", _detail_text(details))]
    return [(k, _detail_text(v)) for k, v in sorted(details.items())]


@bp.after_request
def _vary_on_accept(response: Response) -> Response:
    if request.endpoint == "audit.index":
        response.vary.add("Accept")  # the same URL serves HTML or JSON
    return response


@bp.get("/audit", endpoint="index")
@bp.get("/audit.json", endpoint="index_json")
def index() -> Response | tuple[Response | str, int] | str:
    as_json = _wants_json(request.endpoint == "audit.index_json")
    try:
        page = _int_arg("page", 1, 1)
        per_page = _int_arg("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
        order = request.args.get("order", "desc")
        if order not in ("asc", "desc"):
            raise BadQuery(f"The 'order' parameter must be 'asc' or 'desc', not {order!r}")
    except BadQuery as exc:
        if as_json:
            return jsonify({"error": str(exc)}), 400
        abort(400, description=f"{exc}.")

    db = session()
    total = count_entries(db)
    pages = max(1, -(-total // per_page))
    if page > pages:
        message = f"There is no page {page}: the log has {pages} page(s) of {per_page} entries"
        if as_json:
            return jsonify({"error": message}), 404
        abort(404, description=f"{message}.")
    status = chain_status(db)
    entries = list_entries(db, offset=(page - 1) * per_page, limit=per_page, newest_first=order == "desc")

    def page_url(n: int) -> str:
        args = {"page": n, "per_page": per_page if per_page != DEFAULT_PER_PAGE else None,
                "order": order if order != "desc" else None}
        return url_for(request.endpoint or "audit.index", **{k: v for k, v in args.items() if v is not None})

    prev_url = page_url(page - 1) if page > 1 else None
    next_url = page_url(page + 1) if page < pages else None
    if as_json:
        return jsonify({"chain": _status_json(status), "hash": HASH_SPEC, "page": page, "per_page": per_page,
                        "pages": pages, "total": total, "order": order, "previous": prev_url, "next": next_url,
                        "entries": [_entry_json(e) for e in entries]})
    rows = [{"entry": e, "time": utc(e.created_at), "action_text": describe_action(e.action),
             "details": _detail_rows(e.details)} for e in entries]
    return render_template("audit/index.html", status=status, rows=rows, page=page, pages=pages, total=total,
                           prev_url=prev_url, next_url=next_url, order=order,
                           json_url=url_for("audit.index_json", page=page, order=order))
