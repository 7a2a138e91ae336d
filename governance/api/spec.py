"""The OpenAPI 3.1 description of ``/api/v1``, built from the code that serves it.

Each API view carries an :class:`Operation` (set by :func:`governance.api.access.operation`, the same
decorator that enforces its scope), each :class:`ApiBlueprint` the JSON Schemas its views answer with.
:func:`openapi_document` walks the application's URL map, so every route under ``/api/v1`` is described
from the decorator it runs through and a route without one fails the build (``UndocumentedRoute``).
apispec assembles the document (components, ``$ref`` resolution, the 3.1 layout).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from apispec import APISpec
from flask import Blueprint, Flask

from governance.api.problems import PROBLEMS
from governance.api.services import SCOPES

API_PREFIX = "/api/v1"
API_VERSION = "1.0.0"
OPENAPI_VERSION = "3.1.0"
#: Routes under /api/v1 that are not operations of the public API: the trustee API (docs/trustees.md), which
#: keeps its own error shape for the trustee desk and commands, and this description itself.
UNDESCRIBED = ("/api/v1/trustee/", "/api/v1/openapi.json", "/api/v1/docs")
_CONVERTER = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")
MAX_ID = 2**31 - 1  # ids are 32-bit integer columns; PostgreSQL refuses to compare them with larger numbers
_PATH_TYPES = {"int": {"type": "integer", "minimum": 0, "maximum": MAX_ID}, "string": {"type": "string"},
               None: {"type": "string"}}


class UndocumentedRoute(RuntimeError):
    """A route under /api/v1 that no :func:`operation` decorator describes."""


@dataclass(frozen=True)
class Param:
    name: str
    schema: dict[str, Any]
    description: str
    required: bool = False
    where: str = "query"


@dataclass(frozen=True)
class Operation:
    summary: str
    tag: str
    scope: str | None                 # None: public (a token or session, if sent, must be valid)
    responses: dict[int, tuple[str, str | dict[str, Any] | None]]  # status → (description, schema or None)
    description: str = ""
    params: tuple[Param, ...] = ()
    body: str | dict[str, Any] | None = None
    problems: tuple[int, ...] = ()    # statuses beyond those every operation of its kind may answer
    etag: bool = False
    paginated: bool = False
    headers: dict[int, dict[str, str]] = field(default_factory=dict)


class ApiBlueprint(Blueprint):
    """A blueprint of API views, with the JSON Schemas (components) its operations refer to by name."""

    def __init__(self, name: str, import_name: str, **kwargs: Any) -> None:
        super().__init__(name, import_name, **kwargs)
        self.schemas: dict[str, dict[str, Any]] = {}

    def schema(self, name: str, body: dict[str, Any]) -> str:
        self.schemas[name] = body
        return name


def standard_problems(op: Operation, method: str, path_params: bool) -> set[int]:
    """The statuses any operation of this kind may answer, whatever its own logic."""
    statuses = {401, 429} | set(op.problems)   # a bad token is refused even on a public operation
    if op.scope is not None:
        statuses.add(403)
    if method not in ("GET", "HEAD"):
        statuses |= {400}                        # a session caller without the CSRF header
    if op.body is not None:
        statuses |= {400, 413, 415}
    if op.params:
        statuses.add(400)
    if path_params:
        statuses.add(404)
    if op.etag:
        statuses.add(304)
    return statuses


def _content(schema: str | dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _path_schema(converter: str | None, args: str | None) -> dict[str, Any]:
    if converter == "any" and args:
        return {"type": "string", "enum": [a.strip().strip("'\"") for a in args.split(",")]}
    return dict(_PATH_TYPES.get(converter, {"type": "string"}))


def _operation_dict(op: Operation, method: str, path_params: list[tuple[str, dict[str, Any]]],
                    endpoint: str) -> dict[str, Any]:
    params: list[dict[str, Any]] = [{"name": name, "in": "path", "required": True, "schema": schema}
                                    for name, schema in path_params]
    params += [{"name": p.name, "in": p.where, "required": p.required, "schema": p.schema,
                "description": p.description} for p in op.params]
    if op.etag:
        params.append("IfNoneMatch")  # apispec turns a component name into its $ref
    responses: dict[str, Any] = {}
    for status, (description, schema) in op.responses.items():
        entry: dict[str, Any] = {"description": description}
        if schema is not None:
            entry["content"] = _content(schema)
        headers: dict[str, Any] = {}
        if op.etag and 200 <= status < 300:
            headers["ETag"] = {"$ref": "#/components/headers/ETag"}
        if op.paginated and status == 200:
            headers["Link"] = {"$ref": "#/components/headers/Link"}
        for name, text in op.headers.get(status, {}).items():
            headers[name] = {"description": text, "schema": {"type": "string"}}
        if headers:
            entry["headers"] = headers
        responses[str(status)] = entry
    for status in sorted(standard_problems(op, method, bool(path_params)) - set(op.responses)):
        if status == 304:
            responses["304"] = {"description": "Not modified: the ETag sent in If-None-Match is current."}
        elif status == 429:
            responses["429"] = {"$ref": "#/components/responses/RateLimited"}
        else:
            responses[str(status)] = {"$ref": f"#/components/responses/Problem{status}"}
    out: dict[str, Any] = {"operationId": endpoint.replace(".", "_"), "summary": op.summary, "tags": [op.tag],
                           "responses": responses}
    if op.description:
        out["description"] = op.description
    if params:
        out["parameters"] = params
    if op.body is not None:
        out["requestBody"] = {"required": True, "content": _content(op.body)}
    # A public operation also answers anonymous callers ({}); a scoped one needs a token or a session.
    bearer = [{"bearerAuth": [op.scope]}] if op.scope else [{"bearerAuth": []}]
    out["security"] = bearer + [{"sessionCookie": []}] + ([{}] if op.scope is None else [])
    return out


def _common_components(spec: APISpec) -> None:
    spec.components.schema("Problem", {
        "type": "object", "required": ["type", "title", "status", "detail"],
        "description": "RFC 9457 problem details.",
        "properties": {"type": {"type": "string", "format": "uri"}, "title": {"type": "string"},
                       "status": {"type": "integer"}, "detail": {"type": "string"},
                       "field": {"type": "string", "description": "The input at fault, when one is."}}})
    for status in sorted({s for s, _t in PROBLEMS.values()}):
        titles = "; ".join(t for s, t in PROBLEMS.values() if s == status)
        spec.components.response(f"Problem{status}", {
            "description": titles, "content": {"application/problem+json": {"schema": {"$ref":
                                                                                        "#/components/schemas/Problem"}}}})
    spec.components.response("RateLimited", {
        "description": "Too many requests with this token; wait the seconds Retry-After says.",
        "headers": {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}})
    spec.components.parameter("IfNoneMatch", "header", {
        "name": "If-None-Match", "required": False, "schema": {"type": "string"},
        "description": "An ETag from an earlier answer: 304 when it is still current."})
    spec.components.header("ETag", {"description": "The version of this representation.",
                                    "schema": {"type": "string"}})
    spec.components.header("Link", {"description": "RFC 8288 link to the next page (rel=\"next\").",
                                    "schema": {"type": "string"}})
    spec.components.security_scheme("bearerAuth", {
        "type": "http", "scheme": "bearer",
        "description": "A personal access token (dgp_…) from the account page. Scopes: "
                       + "; ".join(f"{s}: {text}" for s, text in SCOPES.items()) + "."})
    spec.components.security_scheme("sessionCookie", {
        "type": "apiKey", "in": "cookie", "name": "dataguild_session",
        "description": "A signed-in browser session; requests other than GET must send the page's CSRF token "
                       "in the X-CSRFToken header."})


def openapi_document(app: Flask, *, server_url: str) -> dict[str, Any]:
    spec = APISpec(title=f"{app.config.get('COOPERATIVE_NAME', 'dataguild')} API", version=API_VERSION,
                   openapi_version=OPENAPI_VERSION, servers=[{"url": server_url}],
                   info={"description": "The public JSON API of a dataguild site: proposals, elections and their "
                                        "records, the data-use policy and its decisions, payouts, the member's "
                                        "own account. See docs/api.md."})
    _common_components(spec)
    for blueprint in app.blueprints.values():
        for name, body in getattr(blueprint, "schemas", {}).items():
            spec.components.schema(name, body)
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith(API_PREFIX + "/") or rule.rule.startswith(UNDESCRIBED):
            continue
        op: Operation | None = getattr(app.view_functions[rule.endpoint], "api_operation", None)
        if op is None:
            raise UndocumentedRoute(f"{rule.rule} ({rule.endpoint}) has no @operation description")
        path = _CONVERTER.sub(r"{\3}", rule.rule)
        converters = [(m.group(3), _path_schema(m.group(1), m.group(2))) for m in _CONVERTER.finditer(rule.rule)]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation_dict(op, method, converters, rule.endpoint)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
