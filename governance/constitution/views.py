"""The public constitution: ``/constitution`` (current rules and history), one page per version, JSON."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template, url_for

from governance.audit.chain import timestamp, utc
from governance.constitution.models import ConstitutionVersion
from governance.constitution.rules import KINDS, PARAMETER_LABELS, PARAMETERS, display_value, summary
from governance.constitution.services import (
    current_version,
    get_version,
    list_versions,
    verify_versions,
    version_changes,
)
from governance.db import session

bp = Blueprint("constitution", __name__)


def _version_json(version: ConstitutionVersion) -> dict[str, Any]:
    return {
        "number": version.number,
        "adopted_at": timestamp(version.created_at),
        "actor_id": version.actor_id,
        "actor_label": version.actor_label,
        "reason": version.reason,
        "proposal_id": version.proposal_id,
        "snapshot_hash": version.snapshot_hash,
        "url": url_for("constitution.version", number=version.number, _external=True),
        "rules": [version.snapshot()[kind].to_json() for kind in KINDS],
    }


def _table(version: ConstitutionVersion) -> list[dict[str, Any]]:
    """One row per parameter with the displayed value for each kind."""
    snapshot = version.snapshot()
    return [{"parameter": p, "label": PARAMETER_LABELS[p],
             "values": [display_value(p, getattr(snapshot[k], p)) for k in KINDS]} for p in PARAMETERS]


def _render(version: ConstitutionVersion | None, *, is_current: bool, single_version: bool) -> str:
    db = session()
    history = [] if single_version else [
        {"version": v, "adopted_at": utc(v.created_at), "changes": version_changes(db, v)} for v in list_versions(db)]
    snapshot = version.snapshot() if version else {}
    return render_template(
        "constitution/index.html", version=version, is_current=is_current, single_version=single_version,
        kinds=KINDS,
        table=_table(version) if version else [],
        summaries={k: summary(snapshot[k]) for k in KINDS} if version else {},
        parameter_labels=PARAMETER_LABELS, parameters=PARAMETERS, display=display_value,
        adopted_at=utc(version.created_at) if version else None,
        changes=version_changes(db, version) if version else [], history=history,
        integrity_problems=verify_versions(db) if version else [])


@bp.get("/constitution")
def index() -> str:
    return _render(current_version(session()), is_current=True, single_version=False)


@bp.get("/constitution/versions/<int:number>")
def version(number: int) -> str:
    found = get_version(session(), number)
    if found is None:
        abort(404, description=f"The constitution has no version {number}.")
    current = current_version(session())
    return _render(found, is_current=current is not None and current.number == found.number, single_version=True)


@bp.get("/constitution.json")
def index_json() -> Response | tuple[Response, int]:
    db = session()
    versions = list_versions(db)
    if not versions:
        return jsonify({"error": "the constitution has not been adopted yet"}), 404
    return jsonify({"current": _version_json(versions[0]),
                    "history": [{**_version_json(v), "changes": [c.to_json() for c in version_changes(db, v)]}
                                for v in versions]})
