"""The machine-readable policy at stable URLs: the data-use policy (ODRL ``Set``) and payout policy
versions, each agreement (ODRL ``Agreement``), the cooperative's ODRL profile, JSON-LD context and
payout JSON Schema.

Public, no login: counterparties, auditors and dataspace connectors are meant to read them. Read-only
(no commit). A versioned document never changes (``Cache-Control: immutable``); the current-version
aliases revalidate and name the version they stand for in ``Content-Location``. The ETag is the
SHA-256 of the document's RFC 8785 canonical form, so conditional requests get 304.
Views: load → (public) → compile with the pure compilers → respond.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from governance import db
from governance.policy.agreements import get_agreement
from governance.policy.odrl.agreement import agreement_document_of
from governance.policy.odrl.data_use import data_use_set_of, document_etag, document_text
from governance.policy.odrl.jsonld import DATA_DIR, PAYOUT_SCHEMA, PROFILE_TURTLE, SHAPES_TURTLE
from governance.policy.odrl.payout import payout_policy_document_of
from governance.policy.services import (
    DATA_USE,
    LINE_LABELS,
    PAYOUT,
    current_policy_version,
    get_policy_version,
    rules_in_force_at,
)

bp = Blueprint("policy_exports", __name__)

JSON_LD = "application/ld+json"
SCHEMA_JSON = "application/schema+json"
TURTLE = "text/turtle"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, no-cache"
#: Version numbers and ids are 32-bit integer columns; larger numbers cannot exist (and PostgreSQL
#: would refuse to compare with them).
MAX_ID = 2**31 - 1

_COMPILERS: dict[str, Callable[[str, Any], dict[str, Any]]] = {
    DATA_USE: data_use_set_of,
    PAYOUT: payout_policy_document_of,
}
_PATHS = {DATA_USE: "/policy/data-use", PAYOUT: "/policy/payout"}


def _base_url() -> str:
    return str(current_app.config["BASE_URL"]).rstrip("/")


def _not_found(message: str) -> Response:
    response = jsonify({"error": {"status": 404, "message": message}})
    response.status_code = 404
    return response


def _public(response: Response, cache_control: str) -> Response:
    response.headers["Cache-Control"] = cache_control
    response.headers["Access-Control-Allow-Origin"] = "*"  # JSON-LD tools in browsers fetch these too
    return response


def _document_response(document: Mapping[str, Any], *, cache_control: str, mimetype: str = JSON_LD,
                       location: str | None = None) -> Response:
    response = Response(document_text(document), mimetype=mimetype)
    response.set_etag(document_etag(document))
    if location is not None:
        response.headers["Content-Location"] = location
    return _public(response, cache_control).make_conditional(request)


def _file_response(name: str, mimetype: str) -> Response:
    """A shipped data file, byte for byte (its ETag is its content's hash, computed by Werkzeug)."""
    response = Response((DATA_DIR / name).read_bytes(), mimetype=mimetype)
    response.add_etag()
    return _public(response, REVALIDATE).make_conditional(request)


def _version(line: str, number: int) -> Response:
    label = LINE_LABELS[line]
    version = get_policy_version(db.session(), line, number) if 1 <= number <= MAX_ID else None
    if version is None:
        return _not_found(f"The {label} has no version {number}.")
    return _document_response(_COMPILERS[line](_base_url(), version), cache_control=IMMUTABLE)


def _current(line: str) -> Response:
    version = current_policy_version(db.session(), line)
    if version is None:
        return _not_found(f"No {LINE_LABELS[line]} has been adopted yet.")
    return _document_response(_COMPILERS[line](_base_url(), version), cache_control=REVALIDATE,
                              location=f"{_PATHS[line]}/v{version.number}.jsonld")


@bp.get("/policy/data-use.jsonld")
def current_data_use() -> Response:
    return _current(DATA_USE)


@bp.get("/policy/data-use/v<int:number>.jsonld")
def data_use_version(number: int) -> Response:
    return _version(DATA_USE, number)


@bp.get("/policy/payout.jsonld")
def current_payout() -> Response:
    return _current(PAYOUT)


@bp.get("/policy/payout/v<int:number>.jsonld")
def payout_version(number: int) -> Response:
    return _version(PAYOUT, number)


@bp.get("/deals/<int:agreement_id>/agreement.jsonld")
def agreement(agreement_id: int) -> Response:
    found = get_agreement(db.session(), agreement_id) if 1 <= agreement_id <= MAX_ID else None
    if found is None:
        return _not_found(f"There is no agreement {agreement_id}.")
    # The terms, provenance and the rules that bound it at approval are fixed; whether it is in force,
    # and what later rules add, are on the deal page and in the decision API.
    bound_by = rules_in_force_at(db.session(), found.approved_at)
    return _document_response(agreement_document_of(_base_url(), found, bound_by), cache_control=IMMUTABLE)


@bp.get("/ns/odrl-profile")
def odrl_profile() -> Response:
    """Turtle unless the client prefers JSON-LD."""
    best = request.accept_mimetypes.best_match([TURTLE, JSON_LD], default=TURTLE)
    if best == JSON_LD:
        response = _file_response("dataguild-profile.jsonld", JSON_LD)
    else:
        response = _file_response(PROFILE_TURTLE.name, TURTLE)
    response.vary.add("Accept")
    return response


@bp.get("/ns/shapes.ttl")
def shapes() -> Response:
    return _file_response(SHAPES_TURTLE.name, TURTLE)


@bp.get("/ns/context.jsonld")
def context() -> Response:
    return _file_response("dataguild-context.jsonld", JSON_LD)


@bp.get("/ns/payout-policy.schema.json")
def payout_schema() -> Response:
    return _file_response(PAYOUT_SCHEMA.name, SCHEMA_JSON)
